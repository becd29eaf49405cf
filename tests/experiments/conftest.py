"""Shared helpers of the experiments tests: tiny sweep files and a real Dask cluster.

Runs are kept tiny (the synthetic ``scale`` world at 5 % population, a few quarters, tens of
milliseconds each) so the suite stays within a few minutes on two cores. Assertions are about
behaviour (resume, failures, executors, validation), never about model values: the engine is
being calibrated while these tests run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("abm", "agents", "experiments")
SNAPSHOT_ENV = "AIMARKET_TEST_SNAPSHOT"


def _snapshot_checkout() -> Path:
    """Copy the engine and this package into a temporary directory, removed at exit.

    Other engineers edit ``abm/`` while these tests run. Worker processes (process pools, Dask)
    import the engine afresh, and each checks that its engine hashes to the driver's model
    version, so an edit landing mid-test would turn runs into 'environment' failures. Tests
    import a snapshot taken at session start instead; spawned workers inherit ``sys.path``.
    """
    src = Path(tempfile.mkdtemp(prefix="aimarket-tests-src-"))
    atexit.register(shutil.rmtree, src, ignore_errors=True)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    return src


# Import ``experiments`` as a regular package from the checkout (snapshot): the editable
# install maps it as a namespace package (it was installed before ``experiments/__init__.py``
# had content), so ``from experiments import run_sweep`` would otherwise fail.
# Worker processes that import this file (spawned children inherit the environment) reuse the
# session's snapshot; if another conftest already imported the engine, keep using the checkout.
if os.environ.get(SNAPSHOT_ENV):
    SOURCE = Path(os.environ[SNAPSHOT_ENV])
elif any(name in sys.modules for name in PACKAGES):
    SOURCE = ROOT
else:
    SOURCE = _snapshot_checkout()
    os.environ[SNAPSHOT_ENV] = str(SOURCE)
if str(SOURCE) not in sys.path:
    sys.path.insert(0, str(SOURCE))


def tiny_spec_text(
    *,
    name: str = "tiny",
    steps: int = 6,
    seeds: int = 3,
    lock_in: tuple[float, ...] = (1.0, 4.0),
    runs_per_task: int | None = None,
) -> str:
    """A small grid x interventions x seeds sweep file (TOML text)."""
    values = ", ".join(str(v) for v in lock_in)
    execution = f"[execution]\nruns_per_task = {runs_per_task}\n" if runs_per_task else ""
    return f"""
name = "{name}"

[base]
scenario = "scale"
set = {{ steps = {steps}, "population.scale" = 0.05 }}

[design]
kind = "grid"

[[parameters]]
key = "labs.lock_in"
values = [{values}]

[[interventions]]
name = "baseline"

[[interventions]]
name = "strict_antitrust"
set = {{ "antitrust.max_combined_share" = 0.25 }}

[[interventions]]
name = "tighten"
[[interventions.timeline]]
id = "tighten-2020"
quarter = "2020Q3"
set = {{ "export_control.rule" = "oct2023", "export_control.licence.3.mode" = "deny" }}

[replications]
seeds = {seeds}
root = 99

{execution}
[analysis]
years = ["end"]
"""


def tiny_spec_dict(**overrides: Any) -> dict[str, Any]:
    """The same sweep as plain data (what a notebook passes to ``run_sweep``)."""
    import tomllib

    data = tomllib.loads(tiny_spec_text())
    for dotted, value in overrides.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


@pytest.fixture
def tiny_spec(tmp_path: Path) -> Path:
    """A tiny sweep file on disk: 3 interventions x 2 points x 3 seeds = 18 runs."""
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_spec_text())
    return path


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A real Dask LocalCluster on 127.0.0.1 (2 single-threaded worker processes), closed after."""
    from experiments.executors import dask_local_cluster

    with dask_local_cluster(2) as client:
        yield client
