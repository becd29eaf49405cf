"""Fixtures of the experiments tests: a tiny sweep file on disk and a real Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sweep_files import tiny_spec_text


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
