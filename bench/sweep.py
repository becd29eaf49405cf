"""Sweep throughput: runs per minute for baseline runs on two local workers (issue #6, item 4).

Two paths, and the table says which one ran:

- ``experiments.run_sweep`` — the project's sweep API (spawned process pool, batches of runs
  per task, a result store with resume and compaction), on a spec of baseline seeds. Its runs
  keep metrics and the summary, not events or the network, as every sweep does;
- if ``experiments.sweep`` is missing, a ``ProcessPoolExecutor(2)`` whose reused workers call
  ``experiments.runner.simulate`` and ``write_run`` (all outputs) for one seed each.

Either way the results are written under a temporary directory that is deleted afterwards, so
the figure includes what a sweep pays to store them.
"""

from __future__ import annotations

import importlib
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table


@dataclass(frozen=True)
class SweepTiming:
    """Wall time of one sweep."""

    runs: int
    workers: int
    seconds: float
    path: str  # which code ran it
    execute_s: float | None = None  # the sweep's own "execute" stage, when it reports one

    @property
    def runs_per_minute(self) -> float:
        """Completed runs per minute of wall time."""
        return 60.0 * self.runs / self.seconds


def _simulate_and_write(seed: int, scenario_name: str, out_dir: str, steps: int | None) -> float:
    """Worker task: one run written to ``out_dir/seed-<seed>``; returns its seconds."""
    from abm import load_scenario
    from experiments.runner import simulate, write_run

    t = time.perf_counter()
    scenario = load_scenario(scenario_name)
    if steps is not None:
        scenario = scenario.with_overrides({"steps": steps})
    out = simulate(scenario, seed)
    write_run(out, Path(out_dir) / f"seed-{seed}")
    return time.perf_counter() - t


def _warm_up() -> None:
    """Import the engine in a worker before the clock starts (a real pool is long-lived)."""
    import abm  # noqa: F401
    import experiments.runner  # noqa: F401


def _run_sweep_api() -> Any | None:
    """``experiments.run_sweep``, if the sweep package is there."""
    try:
        module = importlib.import_module("experiments.sweep")
    except ImportError:
        return None
    return getattr(module, "run_sweep", None)


def time_run_sweep(
    run_sweep: Any, runs: int, workers: int, out_dir: Path, steps: int | None = None
) -> SweepTiming:
    """Time ``run_sweep`` on a spec of ``runs`` baseline seeds, a local pool of ``workers``.

    The clock covers the whole call: planning, starting the workers, the runs, writing and
    compacting the store — what a researcher waits for.
    """
    spec = {
        "name": "bench-sweep",
        "description": "Throughput benchmark: baseline seeds only.",
        "base": {"scenario": "baseline", "set": {"steps": steps} if steps else {}},
        "replications": {"seeds": runs},
    }
    t = time.perf_counter()
    report = run_sweep(spec, executor="processes", out=out_dir, workers=workers, progress=False)
    seconds = time.perf_counter() - t
    if report.finished != runs:
        raise RuntimeError(f"sweep finished {report.finished} of {runs} runs: {report.failures}")
    return SweepTiming(
        runs,
        workers,
        seconds,
        f"experiments.run_sweep(executor='processes', workers={workers}) [{report.executor}]",
        execute_s=report.stage_s.get("execute"),
    )


def time_process_pool(
    runs: int,
    workers: int,
    out_dir: Path,
    scenario: str = "baseline",
    steps: int | None = None,
) -> SweepTiming:
    """Time ``runs`` seeds of ``scenario`` on a pool of ``workers`` reused processes."""
    # Spawned, not forked: polars' thread pool can deadlock a forked child.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Start the workers and import the engine before timing.
        for f in [pool.submit(_warm_up) for _ in range(workers)]:
            f.result()
        t = time.perf_counter()
        futures = [
            pool.submit(_simulate_and_write, seed, scenario, str(out_dir), steps)
            for seed in range(1, runs + 1)
        ]
        for f in futures:
            f.result()
        seconds = time.perf_counter() - t
    return SweepTiming(
        runs,
        workers,
        seconds,
        f"ProcessPoolExecutor({workers}, spawn) -> experiments.runner.simulate + write_run",
    )


def time_sweep(
    runs: int = 100, workers: int = 2, *, steps: int | None = None, use_api: bool = True
) -> SweepTiming:
    """Runs per minute for ``runs`` baseline runs on ``workers`` local workers.

    Uses ``experiments.run_sweep`` when it exists (and ``use_api``), else the process pool.
    ``steps`` shortens the runs (smoke tests).
    """
    with tempfile.TemporaryDirectory(prefix="aimarket-bench-sweep-") as tmp:
        run_sweep = _run_sweep_api() if use_api else None
        if run_sweep is not None:
            return time_run_sweep(run_sweep, runs, workers, Path(tmp) / "store", steps)
        return time_process_pool(runs, workers, Path(tmp), steps=steps)


def sweep_table(timing: SweepTiming, single_run_s: float | None = None) -> Table:
    """Item 4: sweep throughput; ``single_run_s`` is one in-process run's work, for the ideal."""
    table = Table(
        title=f"4. Sweep throughput: {timing.runs} baseline runs on {timing.workers} workers"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("path", timing.path)
    table.add_row("wall time", f"{timing.seconds:.1f} s")
    table.add_row("runs per minute (wall)", f"{timing.runs_per_minute:.1f}", style="bold")
    if timing.execute_s:
        table.add_row(
            "runs per minute (execute stage only)", f"{60.0 * timing.runs / timing.execute_s:.1f}"
        )
    if single_run_s:
        ideal = 60.0 * timing.workers / single_run_s
        table.add_row(
            "vs ideal: workers x (1 / one in-process run: set-up + quarters + metrics)",
            f"{timing.runs_per_minute / ideal:.0%} of {ideal:.0f}",
        )
    return table
