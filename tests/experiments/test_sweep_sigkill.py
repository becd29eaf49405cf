"""Kill the sweep driver with SIGKILL mid-way, rerun the command: nothing lost, nothing doubled.

The sweep runs in subprocesses (``python -m experiments.cli sweep``) from the repository root,
exactly as a user types it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sweep_files import tiny_spec_text

from experiments import load_results

STEPS, SEEDS = 8, 8
PLANNED = 3 * 2 * SEEDS  # interventions x points x seeds


ROOT = Path(__file__).resolve().parents[2]


def _command(spec: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    cmd = [sys.executable, "-m", "experiments.cli", "sweep", str(spec), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [*cmd, "--workers", "2"], env


def _run_files(out: Path) -> dict[str, int]:
    return {
        p.stem: p.stat().st_mtime_ns
        for p in (out / "runs").rglob("*.parquet")
        if ".tmp-" not in p.name
    }


def _group_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    keys = [c for c in ("run_id", "quarter") if c in frame.columns]
    return frame.sort(keys)


@pytest.mark.slow
def test_sigkill_of_the_driver_then_rerun_equals_an_uninterrupted_sweep(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(tiny_spec_text(steps=STEPS, seeds=SEEDS, runs_per_task=2))
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    cmd, env = _command(spec, killed)

    with (tmp_path / "first.log").open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while len(_run_files(killed)) < 6:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no runs were stored"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool workers
        assert proc.wait() == -signal.SIGKILL
    assert _group_gone(proc.pid), "pool workers survived the kill"

    before = _run_files(killed)
    assert 6 <= len(before) < PLANNED, "the kill should land mid-sweep"
    assert not (killed / "manifest.json").exists()
    partial = load_results(killed)  # readable while unfinished
    assert not partial.complete and partial.summaries.height == len(before)

    rerun = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} already in the store" in rerun.stderr
    after = _run_files(killed)
    assert len(after) == PLANNED
    assert all(after[run_id] == mtime for run_id, mtime in before.items()), (
        "runs finished before the kill were run again"
    )
    assert not list(killed.rglob("*.tmp-*"))

    cmd_clean, _ = _command(spec, clean)
    done = subprocess.run(cmd_clean, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    a, b = load_results(killed), load_results(clean)
    assert a.complete and b.complete
    assert a.summaries["run_id"].n_unique() == a.summaries.height == PLANNED
    assert a.metrics.height == PLANNED * STEPS
    for name in ("metrics", "summaries", "failures", "plan"):
        assert_frame_equal(_sorted(getattr(a, name)), _sorted(getattr(b, name)), check_exact=True)
