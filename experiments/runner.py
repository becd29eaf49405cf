"""One run of the model, and writing its outputs: the single run function used by the CLI,
the sweeps and the validation (DESIGN.md §1, "one way to do a thing").

Outputs of a run directory, all Parquet (readable with polars and DuckDB):

- ``metrics.parquet`` — one row per quarter, every metric of DESIGN.md §7;
- ``events.parquet`` — funding rounds, failures, acquisitions, rule changes, runs, entries;
- ``network_nodes.parquet`` and ``network_edges.parquet`` — the investment network;
- ``summary.json`` — scalar outcomes, the scenario and seed, timings.

A directory is written under a temporary name and renamed into place at the end, so a failed
or interrupted run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from abm import AIMarketModel, Scenario


@dataclass
class RunOutput:
    """Everything one run produces."""

    scenario: Scenario
    seed: int
    metrics: pl.DataFrame
    summary: dict[str, float]
    events: pl.DataFrame | None = None
    network: tuple[pl.DataFrame, pl.DataFrame] | None = None
    """(nodes, edges) tables of the investment network, see ``AIMarketModel.network_frames``."""
    timings: dict[str, float] = field(default_factory=dict)


def simulate(
    scenario: Scenario, seed: int, *, keep_events: bool = True, keep_network: bool = True
) -> RunOutput:
    """Build the model, run every quarter of the scenario, and collect its outputs."""
    t0 = time.perf_counter()
    model = AIMarketModel(scenario, rng=seed)
    t1 = time.perf_counter()
    model.run_for(scenario.steps)
    t2 = time.perf_counter()
    out = RunOutput(
        scenario=scenario,
        seed=seed,
        metrics=model.metrics(),
        summary=model.summary(),
        events=model.events() if keep_events else None,
        network=model.network_frames() if keep_network else None,
    )
    out.timings = {"setup_s": t1 - t0, "run_s": t2 - t1, "collect_s": time.perf_counter() - t2}
    return out


def write_run(out: RunOutput, directory: Path) -> Path:
    """Write a run's outputs to ``directory`` atomically (temporary name, then rename)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        out.metrics.write_parquet(tmp / "metrics.parquet")
        if out.events is not None:
            out.events.write_parquet(tmp / "events.parquet")
        if out.network is not None:
            nodes, edges = out.network
            nodes.write_parquet(tmp / "network_nodes.parquet")
            edges.write_parquet(tmp / "network_edges.parquet")
        meta: dict[str, Any] = {
            "scenario": out.scenario.name,
            "scenario_digest": out.scenario.digest(),
            "seed": out.seed,
            "timings": out.timings,
            "summary": out.summary,
        }
        (tmp / "summary.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        (tmp / "scenario.json").write_text(out.scenario.model_dump_json(indent=2))
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory
