"""Reading a sweep's results: :func:`load_results` and the :class:`Results` it returns.

A finished sweep is read from its compacted files (``metrics.parquet``, ``summaries.parquet``,
``failures.parquet``, ``manifest.json``; layout in :mod:`experiments.store`). A sweep that is
still running, or was killed, has no manifest yet: its results are then gathered from the
per-run files in memory (nothing is written), and ``manifest["complete"]`` is False, so the
browser app and notebooks can watch a sweep as it fills.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from abm import ScenarioError
from experiments import store


@dataclass
class Results:
    """Everything a sweep produced.

    Attributes:
        path: the store directory.
        metrics: one row per run and kept quarter: ``run_id, intervention, point, seed_index,
            seed, quarter`` then every kept metric (units in ``abm.metrics.METRIC_DOCS``).
        summaries: one row per finished run: the labels then every summary key.
        failures: one row per failed run: the labels, ``kind, error, traceback, worker``.
        manifest: spec, design, counts, versions, timings and sessions (``complete`` is True
            when every planned run finished).
        design: one row per point: ``point`` and the parameter values.
        plan: one row per planned run (labels only).
        timings: per-run timings in seconds and the worker that ran each.
    """

    path: Path
    metrics: pl.DataFrame
    summaries: pl.DataFrame
    failures: pl.DataFrame
    manifest: dict[str, Any]
    design: pl.DataFrame
    plan: pl.DataFrame
    timings: pl.DataFrame

    @property
    def interventions(self) -> list[str]:
        """Intervention names in spec order."""
        names = self.manifest.get("interventions")
        if names:
            return list(names)
        return list(dict.fromkeys(self.plan["intervention"].to_list()))

    @property
    def parameters(self) -> list[str]:
        """Swept scenario paths (columns of :attr:`design`)."""
        return [c for c in self.design.columns if c != "point" and not c.startswith("sample.")]

    @property
    def complete(self) -> bool:
        """Every planned run finished."""
        return bool(self.manifest.get("complete"))

    def with_parameters(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (with a ``point`` column) joined with the point's parameter values."""
        return frame.join(self.design.select("point", *self.parameters), on="point", how="left")


def load_results(path: str | Path) -> Results:
    """Read a sweep's results from its store directory.

    Raises:
        ScenarioError: if the directory holds no sweep.
    """
    root = Path(path)
    if not (root / "plan.parquet").is_file():
        raise ScenarioError([f"{root}: not a sweep result directory (no plan.parquet)"])
    plan = pl.read_parquet(root / "plan.parquet")
    design = (
        pl.read_parquet(root / "design.parquet")
        if (root / "design.parquet").is_file()
        else pl.DataFrame({"point": [0]})
    )
    manifest_path = root / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        return Results(
            root,
            pl.read_parquet(root / "metrics.parquet"),
            pl.read_parquet(root / "summaries.parquet"),
            pl.read_parquet(root / "failures.parquet"),
            manifest,
            design,
            plan,
            pl.read_parquet(root / "timings.parquet"),
        )
    got = store.collect(root, plan)
    manifest = (
        json.loads((root / "sweep.json").read_text()) if (root / "sweep.json").is_file() else {}
    )
    manifest |= {
        "complete": False,
        "in_progress": True,
        "counts": {
            "planned": plan.height,
            "finished": got.summaries.height,
            "failed": got.failures.height,
            "missing": got.missing,
        },
        "sessions": store.read_sessions(root),
    }
    return Results(
        root, got.metrics, got.summaries, got.failures, manifest, design, plan, got.timings
    )
