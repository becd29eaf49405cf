"""Sweep throughput: runs per minute for baseline runs on two local workers (issue #6, item 4).

Two paths, and the report says which one ran:

- ``experiments.sweep`` — the project's sweep API, when it exists (it is being built in
  parallel): its public ``run_sweep`` with a local executor of two workers;
- otherwise a ``concurrent.futures.ProcessPoolExecutor(2)`` whose reused workers call
  ``experiments.runner.simulate`` and ``write_run`` for one seed each.

Either way every run writes its outputs (Parquet and JSON) under a temporary directory that is
deleted afterwards, so the figure includes what a real sweep pays to store its results.
"""

from __future__ import annotations

import importlib
import inspect
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


def _sweep_api() -> Any | None:
    """The project's ``experiments.sweep`` module, if it has been built yet."""
    try:
        return importlib.import_module("experiments.sweep")
    except ImportError:
        return None


def _time_with_sweep_api(module: Any, runs: int, workers: int, out_dir: Path) -> SweepTiming:
    """Time ``run_sweep`` from ``experiments.sweep`` with a local executor of ``workers``.

    The API is matched by parameter name, since it is being written in parallel; anything
    it does not accept falls back to the process pool (see :func:`time_sweep`).
    """
    run_sweep = module.run_sweep
    params = inspect.signature(run_sweep).parameters
    kwargs: dict[str, Any] = {}
    for name in ("workers", "n_workers", "max_workers"):
        if name in params:
            kwargs[name] = workers
    for name in ("out", "out_dir", "store", "directory"):
        if name in params:
            kwargs[name] = out_dir
    for name in ("seeds",):
        if name in params:
            kwargs[name] = list(range(1, runs + 1))
    for name in ("replications", "n_seeds", "runs"):
        if name in params:
            kwargs[name] = runs
    first = next(iter(params))
    t = time.perf_counter()
    run_sweep("baseline", **kwargs) if first not in kwargs else run_sweep(**kwargs)
    return SweepTiming(runs, workers, time.perf_counter() - t, "experiments.sweep.run_sweep")


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

    ``steps`` shortens the runs (smoke tests); it forces the process-pool path.
    """
    with tempfile.TemporaryDirectory(prefix="aimarket-bench-sweep-") as tmp:
        module = _sweep_api() if use_api and steps is None else None
        if module is not None and hasattr(module, "run_sweep"):
            try:
                return _time_with_sweep_api(module, runs, workers, Path(tmp) / "api")
            except TypeError:
                pass  # an API shape we do not know yet: measure the plain pool instead
        return time_process_pool(runs, workers, Path(tmp), steps=steps)


def sweep_table(timing: SweepTiming, single_run_s: float | None = None) -> Table:
    """Item 4: sweep throughput."""
    table = Table(
        title=f"4. Sweep throughput: {timing.runs} baseline runs on {timing.workers} workers"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("path", timing.path)
    table.add_row("wall time", f"{timing.seconds:.1f} s")
    table.add_row("runs per minute", f"{timing.runs_per_minute:.1f}", style="bold")
    if single_run_s:
        ideal = 60.0 * timing.workers / single_run_s
        table.add_row(
            "vs ideal (workers x 1 / one in-process run)",
            f"{timing.runs_per_minute / ideal:.0%} of {ideal:.0f}",
        )
    return table
