"""Same results from the serial executor, a process pool and a real Dask cluster on 127.0.0.1."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal
from sweep_files import tiny_spec_dict

from abm import ScenarioError
from experiments import load_results, run_sweep
from experiments.executors import SerialExecutor, open_executor

DATASET = ("metrics", "summaries", "failures", "plan", "design")


@pytest.fixture(scope="module")
def serial_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    run_sweep(tiny_spec_dict(), executor="serial", out=out, progress=False)
    return out


def _assert_same(a: Path, b: Path) -> None:
    ra, rb = load_results(a), load_results(b)
    assert ra.complete and rb.complete
    for name in DATASET:
        assert_frame_equal(getattr(ra, name), getattr(rb, name), check_exact=True)


def test_process_pool_gives_identical_results(serial_results: Path, tmp_path: Path) -> None:
    report = run_sweep(
        tiny_spec_dict(), executor="processes", workers=2, out=tmp_path, progress=False
    )
    assert report.workers == 2 and "process pool" in report.executor
    _assert_same(serial_results, tmp_path)
    workers = load_results(tmp_path).timings["worker"].unique()
    assert workers.len() >= 1


def test_dask_local_cluster_gives_identical_results(
    serial_results: Path, tmp_path: Path, dask_client: Any
) -> None:
    addresses = list(dask_client.scheduler_info()["workers"])
    assert addresses and all(a.startswith("tcp://127.0.0.1:") for a in addresses)
    report = run_sweep(tiny_spec_dict(), executor=dask_client, out=tmp_path, progress=False)
    assert report.complete and "Dask" in report.executor
    _assert_same(serial_results, tmp_path)


def test_dask_scheduler_address_with_results_returned_to_the_driver(
    serial_results: Path, tmp_path: Path, dask_client: Any
) -> None:
    address = dask_client.scheduler.address
    with open_executor(scheduler=address) as handle:
        assert not handle.shared_filesystem  # a remote cluster may not see our disk
        run_sweep(tiny_spec_dict(), executor=handle, out=tmp_path, progress=False)
    _assert_same(serial_results, tmp_path)


def test_any_concurrent_futures_executor_can_be_passed(
    serial_results: Path, tmp_path: Path
) -> None:
    import multiprocessing

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        run_sweep(tiny_spec_dict(), executor=pool, out=tmp_path, progress=False, runs_per_task=1)
        assert pool.submit(abs, -1).result() == 1, "a caller's executor must stay open"
    _assert_same(serial_results, tmp_path)


def test_bad_executor_choices_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown"):
        run_sweep(tiny_spec_dict(), executor="threads", out=tmp_path / "a", progress=False)
    with pytest.raises(ScenarioError, match="--workers = 0"):
        run_sweep(tiny_spec_dict(), executor="processes", workers=0, out=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with open_executor(SerialExecutor()) as handle:
        assert handle.workers == 1 and handle.shared_filesystem


def test_pool_workers_use_one_blas_thread_each() -> None:
    from experiments.executors import process_pool

    with process_pool(1) as pool:
        assert pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result() == "1"
