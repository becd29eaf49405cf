"""A run that kills its worker process is found, recorded, and the sweep goes on."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sweep_files import tiny_spec_dict

from experiments import load_results, run_sweep
from experiments.executors import ExecutorHandle
from experiments.plan import build_plan
from experiments.spec import SweepSpec


def crash_on_seed(seed: int) -> None:
    """Worker initializer: make the run with this seed kill its process (like a segfault)."""
    import experiments.batch

    real = experiments.batch.simulate

    def crashing(scenario, run_seed, **kwargs):
        if run_seed == seed:
            os._exit(3)
        return real(scenario, run_seed, **kwargs)

    experiments.batch.simulate = crashing


def test_a_run_that_kills_its_worker_is_recorded_as_worker_lost(tmp_path: Path) -> None:
    spec = tiny_spec_dict(**{"replications.seeds": 6})
    spec["interventions"] = [{"name": "baseline"}]
    spec["parameters"][0]["values"] = [2.0]
    plan = build_plan(SweepSpec.from_dict(spec))
    doomed = plan.seeds[2]
    context = multiprocessing.get_context("spawn")

    def pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            2, mp_context=context, initializer=crash_on_seed, initargs=(doomed,)
        )

    pools = [pool()]

    def rebuild() -> ProcessPoolExecutor:
        pools[-1].shutdown(wait=False, cancel_futures=True)
        pools.append(pool())
        return pools[-1]

    handle = ExecutorHandle(pools[0], 2, "crashing pool", True, rebuild)
    try:
        report = run_sweep(plan, executor=handle, out=tmp_path, progress=False, runs_per_task=3)
    finally:
        for p in pools:
            p.shutdown(wait=True, cancel_futures=True)
    assert (report.finished, report.failed) == (5, 1)
    failures = load_results(tmp_path).failures
    assert failures["seed"].to_list() == [doomed]
    assert failures["kind"].to_list() == ["worker_lost"]
    assert "died 2 times" in failures["error"][0]
    assert len(pools) >= 3  # rebuilt after each crash
