"""The benchmark code runs end to end in a tiny configuration (no timing assertions)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console

# ``bench`` is a top-level folder, not an installed package: import it from the checkout.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.__main__ import PARTS, BenchConfig, run, write_results  # noqa: E402
from bench.boltzmann import BoltzmannModel, time_boltzmann  # noqa: E402


def test_boltzmann_conserves_wealth_and_reports_a_rate() -> None:
    model = BoltzmannModel(50, rng=3)
    for _ in range(5):
        model.step()
    assert sum(a.wealth for a in model.agents) == 50
    assert time_boltzmann(50, 3, seed=3).agent_steps_per_s > 0


def test_every_part_runs_on_a_tiny_configuration(tmp_path: Path) -> None:
    config = BenchConfig(
        baseline_runs=1,
        scales={0.05: 1},
        boltzmann_at=0.05,
        boltzmann_agents=50,
        boltzmann_steps=3,
        sweep_runs=2,
        sweep_workers=2,
        steps=3,
        profile_scale=0.05,
    )
    console = Console(record=True, file=io.StringIO(), width=130)
    results = run(config, PARTS, console)

    assert len(results.baseline) == 1 and results.baseline[0].quarters == 3
    size = results.sizes[0.05]
    assert size.runs[0].lab_quarters > 0 and size.peak_rss_mib > 0
    assert size.ratio_to_boltzmann is not None
    assert results.sweep is not None and results.sweep.runs == 2
    assert len(results.phases) == 2 and len(results.functions) == 10
    assert results.jit is not None and results.jit.cold.first_s > 0
    text = console.export_text(clear=False)
    for title in (
        "1. Baseline",
        "2. Scale",
        "3. Side by side",
        "4. Sweep",
        "5a.",
        "5b.",
        "6. JIT",
        "Targets",
    ):
        assert title in text

    out = tmp_path / "RESULTS.md"
    write_results(out, console, "python -m bench --quick", "test machine")
    written = out.read_text()
    assert "Machine: test machine" in written and "4. Sweep" in written


def test_sweep_falls_back_to_a_process_pool_without_the_sweep_api() -> None:
    from bench.sweep import time_sweep

    timing = time_sweep(2, 1, steps=2, use_api=False)
    assert timing.runs == 2 and timing.path.startswith("ProcessPoolExecutor")
