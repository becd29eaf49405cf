"""The result store: resume without loss or duplication, failures recorded, readable anywhere."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sweep_files import tiny_spec_dict

import experiments.batch
from experiments import load_results, run_sweep, store
from experiments.plan import build_plan
from experiments.spec import SweepSpec
from experiments.store import StoreBusyError

DATASET = ("metrics", "summaries", "failures")


def _dataset(root: Path) -> dict[str, pl.DataFrame]:
    results = load_results(root)
    return {name: getattr(results, name) for name in DATASET}


def _same_dataset(a: Path, b: Path) -> None:
    da, db = _dataset(a), _dataset(b)
    for name in DATASET:
        assert_frame_equal(da[name], db[name], check_exact=True)


def test_a_sweep_stores_every_run_once_in_plan_order(tmp_path: Path) -> None:
    report = run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    assert report.planned == report.ran == report.finished == 18 and report.complete
    results = load_results(tmp_path)
    assert results.complete and results.manifest["counts"]["finished"] == 18
    assert results.summaries.columns[:5] == [
        "run_id",
        "intervention",
        "point",
        "seed_index",
        "seed",
    ]
    assert results.metrics.columns[:6] == [*results.summaries.columns[:5], "quarter"]
    assert results.summaries["run_id"].n_unique() == 18
    assert results.metrics.height == 18 * 6
    assert results.interventions == ["baseline", "strict_antitrust", "tighten"]
    assert results.summaries["intervention"].unique(maintain_order=True).to_list() == (
        results.interventions
    )
    assert results.design.columns[:2] == ["point", "labs.lock_in"]
    assert results.failures.height == 0
    manifest = results.manifest
    for key in ("spec", "design", "versions", "model_version", "sessions", "run_timings_s"):
        assert key in manifest, key
    assert manifest["versions"]["mesa"] and manifest["design"]["kind"] == "grid"
    assert len(list((tmp_path / "runs").rglob("*.parquet"))) == 18


def test_rerunning_resumes_and_skips_finished_runs(tmp_path: Path) -> None:
    full, part = tmp_path / "full", tmp_path / "part"
    run_sweep(tiny_spec_dict(), executor="serial", out=full, progress=False)
    run_sweep(tiny_spec_dict(), executor="serial", out=part, progress=False)
    files = sorted((part / "runs").rglob("*.parquet"))
    kept = {p: p.stat().st_mtime_ns for p in files[5:]}
    for path in files[:5]:
        path.unlink()
    (part / "runs" / "ab").mkdir(exist_ok=True)
    (part / "runs" / "ab" / "x.parquet.tmp-123").write_text("partial write of a killed run")

    report = run_sweep(tiny_spec_dict(), executor="serial", out=part, progress=False)
    assert (report.already_done, report.ran, report.finished) == (13, 5, 5)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items()), "finished runs were redone"
    assert not list(part.rglob("*.tmp-*")), "temporary files of a killed session remain"
    _same_dataset(full, part)

    again = run_sweep(tiny_spec_dict(), executor="serial", out=part, progress=False)
    assert again.ran == 0 and again.complete


def test_a_run_that_raises_is_recorded_with_its_traceback_and_the_others_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = build_plan(SweepSpec.from_dict(tiny_spec_dict()))
    doomed = plan.seeds[1]
    real = experiments.batch.simulate

    def flaky_simulate(scenario, seed, **kwargs):
        if seed == doomed:
            raise FloatingPointError("market failed to clear")
        return real(scenario, seed, **kwargs)

    monkeypatch.setattr(experiments.batch, "simulate", flaky_simulate)
    report = run_sweep(plan, executor="serial", out=tmp_path, progress=False)
    assert (report.ran, report.finished, report.failed) == (18, 12, 6)
    assert not report.complete

    results = load_results(tmp_path)
    assert results.failures.height == 6 and results.summaries.height == 12
    assert set(results.failures["seed"]) == {doomed}
    assert results.failures.columns[:7] == [
        "run_id", "intervention", "point", "seed_index", "seed", "kind", "error",
    ]  # fmt: skip
    row = results.failures.row(0, named=True)
    assert row["kind"] == "error"
    assert row["error"] == "FloatingPointError: market failed to clear"
    assert "flaky_simulate" in row["traceback"] and "Traceback" in row["traceback"]
    assert not results.complete and results.manifest["counts"]["failed"] == 6

    # A resumed sweep does not rerun recorded errors unless asked to.
    monkeypatch.setattr(experiments.batch, "simulate", real)
    again = run_sweep(plan, executor="serial", out=tmp_path, progress=False)
    assert (again.ran, again.skipped_failures) == (0, 6)
    retried = run_sweep(plan, executor="serial", out=tmp_path, progress=False, retry_failed=True)
    assert (retried.ran, retried.finished) == (6, 6) and retried.complete
    assert load_results(tmp_path).failures.height == 0
    assert not list((tmp_path / "failures").glob("*.json"))


def test_environment_failures_are_retried_on_resume(tmp_path: Path) -> None:
    plan = build_plan(SweepSpec.from_dict(tiny_spec_dict()))
    run = plan.runs[0]
    store.write_failure(tmp_path, store.RunFailure(run, "worker_lost", "KilledWorker", ""))
    report = run_sweep(plan, executor="serial", out=tmp_path, progress=False)
    assert report.ran == 18 and report.complete


def test_a_worker_with_another_engine_refuses_to_run(tmp_path: Path) -> None:
    plan = build_plan(SweepSpec.from_dict(tiny_spec_dict(**{"replications.seeds": 1})))
    plan.model_version = "not-this-engine"
    report = run_sweep(plan, executor="serial", out=tmp_path, progress=False)
    assert report.failed == report.planned
    failures = load_results(tmp_path).failures
    assert set(failures["kind"]) == {"environment"}
    assert "install the same aimarket version" in failures["error"][0]


def test_the_dataset_is_readable_with_duckdb_and_polars(tmp_path: Path) -> None:
    run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    con = duckdb.connect()
    n, interventions = con.execute(
        f"SELECT count(*), count(DISTINCT intervention) FROM '{tmp_path}/summaries.parquet'"
    ).fetchone()
    assert (n, interventions) == (18, 3)
    rows = con.execute(
        f"SELECT count(*) FROM '{tmp_path}/metrics.parquet' WHERE quarter = '2020Q1'"
    ).fetchone()[0]
    assert rows == 18
    one = sorted((tmp_path / "runs").rglob("*.parquet"))[0]
    frame, meta = store.read_run(one)
    assert frame.height == 6 and meta["summary"] and meta["run"]["run_id"] == one.stem
    assert pl.read_parquet(one).height == 6


def test_results_can_be_read_while_a_sweep_is_unfinished(tmp_path: Path) -> None:
    run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    (tmp_path / "manifest.json").unlink()  # as during a session, or after a kill
    for path in sorted((tmp_path / "runs").rglob("*.parquet"))[:4]:
        path.unlink()
    live = load_results(tmp_path)
    assert not live.complete and live.manifest["in_progress"]
    assert live.manifest["counts"] == {"planned": 18, "finished": 14, "failed": 0, "missing": 4}
    assert live.summaries.height == 14 and live.metrics.height == 14 * 6
    assert not (tmp_path / "manifest.json").exists(), "reading must not write"


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with store.lock(tmp_path), pytest.raises(StoreBusyError, match="another sweep"):
        run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)


def test_results_travel_back_when_workers_cannot_see_the_store(tmp_path: Path) -> None:
    a, b = tmp_path / "workers_write", tmp_path / "driver_writes"
    run_sweep(tiny_spec_dict(), executor="serial", out=a, progress=False)
    run_sweep(tiny_spec_dict(), executor="serial", out=b, progress=False, write_on_workers=False)
    _same_dataset(a, b)


def test_sessions_are_logged(tmp_path: Path) -> None:
    run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    events = [json.loads(x) for x in (tmp_path / "sessions.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "end"]
    assert events[1]["status"] == "complete" and events[1]["finished"] == 18
    assert os.path.exists(tmp_path / "spec.toml") is False  # built from a dict: sweep.json only
    assert json.loads((tmp_path / "sweep.json").read_text())["name"] == "tiny"
