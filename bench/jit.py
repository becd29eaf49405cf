"""Compile cost of the engine's numba kernels (``abm/kernels``), kept out of the timed work.

The kernels are compiled on their first call and cached on disk (``abm/kernels/__pycache__``,
or ``NUMBA_CACHE_DIR``); a later process only loads them. Every timed part of the benchmark
therefore runs :func:`warm_up` first — a tiny run that calls every kernel — so no figure of
tables 1–3 and 5 includes compiling or loading them. Table 6 reports that one-off cost per
process: a fresh process with an empty cache (compiles everything) and one with a warm cache
(loads), each as the time of its first tiny run minus its second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = {"population.scale": 0.2, "steps": 8}
"""The tiny run: the scale scenario at 200 labs for 8 quarters (rounds, exits, entry, compaction
all happen, so every kernel is called)."""


def warm_up() -> float:
    """Run the tiny model once (compiling or loading every kernel); returns its seconds."""
    from abm import AIMarketModel, load_scenario

    scenario = load_scenario("scale").with_overrides(WARM_UP)
    t = time.perf_counter()
    AIMarketModel(scenario, rng=0).run_for(scenario.steps)
    return time.perf_counter() - t


@dataclass(frozen=True)
class ProcessStart:
    """One fresh process: import, first tiny run (with compile or load), second tiny run."""

    import_s: float
    first_s: float
    second_s: float

    @property
    def jit_s(self) -> float:
        """What the kernels cost the process once: the first run over the second."""
        return max(self.first_s - self.second_s, 0.0)


@dataclass(frozen=True)
class JitCost:
    """A process with an empty kernel cache, then one with the cache it left."""

    cold: ProcessStart
    warm: ProcessStart


def _start(cache_dir: str) -> ProcessStart:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    cmd = [sys.executable, "-m", "bench.jit", "--child"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return ProcessStart(**json.loads(proc.stdout.strip().splitlines()[-1]))


def measure() -> JitCost:
    """Two fresh processes sharing a new, empty cache directory: cold, then warm."""
    with tempfile.TemporaryDirectory(prefix="aimarket-numba-") as cache:
        cold = _start(cache)
        warm = _start(cache)
    return JitCost(cold, warm)


def jit_table(cost: JitCost) -> Table:
    """Table 6: the one-off cost of the kernels per process."""
    table = Table(
        title="6. JIT compile cost of abm/kernels (numba), per fresh process; not in any timed "
        "figure above (each timed part runs a tiny warm-up first)"
    )
    for col in ("kernel cache", "import abm", "first tiny run", "second tiny run", "JIT cost"):
        table.add_column(col, justify="right")
    for label, p in (("cold (empty: compiles)", cost.cold), ("warm (loads from disk)", cost.warm)):
        table.add_row(
            label,
            f"{p.import_s:.2f} s",
            f"{p.first_s:.2f} s",
            f"{p.second_s:.3f} s",
            f"{p.jit_s:.2f} s",
        )
    return table


def main(argv: list[str] | None = None) -> None:
    """Child entry point: time the import and two tiny runs, print one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", action="store_true", required=True)
    p.parse_args(argv)
    t = time.perf_counter()
    import abm  # noqa: F401

    import_s = time.perf_counter() - t
    first = warm_up()
    second = warm_up()
    print(json.dumps({"import_s": import_s, "first_s": first, "second_s": second}))


if __name__ == "__main__":
    main()
