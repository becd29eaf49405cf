"""The result store: one directory per sweep that never loses finished work.

Layout of a store directory ``DIR``::

    DIR/
      .lock                      held (flock) by the sweep writing to DIR; one writer at a time
      spec.toml                  the sweep file as given (when it came from a file)
      sweep.json                 the validated spec, design, interventions, seeds, versions
      plan.parquet               every planned run: run_id, intervention, point, seed_index, seed
      design.parquet             one row per point: parameter values (and sample.<key> columns,
                                 the point in sampling space, for SALib)
      sessions.jsonl             one line when a sweep session starts and one when it ends
      runs/<id[:2]>/<id>.parquet one file per finished run: its metrics rows, labelled with
                                 run_id, intervention, point, seed_index, seed; the run's
                                 summary, timings and provenance in the Parquet key-value
                                 metadata under "aimarket"
      failures/<id>.json         one file per failed run: error, traceback, kind, worker
      metrics.parquet            compacted: every finished run's rows, in plan order
      summaries.parquet          compacted: one row per finished run (labels + summary keys)
      failures.parquet           compacted: labels + kind, error, traceback of failed runs
      timings.parquet            compacted: per-run timings (s) and the worker that ran it
      manifest.json              written last: spec, design, counts, versions, timings, sessions

Every file is written under a temporary name in its final directory and renamed into place
(``os.replace``), so a reader sees a whole file or none, and a killed sweep leaves at most
temporary files, which the next session removes. A run id is a content hash
(:mod:`experiments.plan`), so rerunning the same sweep skips the runs whose files exist, and two
writers of the same run (a retried task) write the same file. A session starts by removing
``manifest.json``; the compacted files are current exactly when a manifest is present.

Read the compacted dataset with polars (``pl.read_parquet("DIR/metrics.parquet")``), DuckDB
(``SELECT * FROM 'DIR/summaries.parquet'``) or :func:`experiments.load_results`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from abm import ScenarioError
from experiments.plan import LABEL_SCHEMA, LABELS, RunSpec

STORE_FORMAT = 1
META_KEY = b"aimarket"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
TMP_MARK = ".tmp-"
# Failures of these kinds come from the environment, not the model: a resumed sweep retries them.
RETRIED_KINDS = frozenset({"worker_lost", "environment", "store"})


class StoreBusyError(ScenarioError):
    """Another sweep is writing to this store directory."""

    def __init__(self, root: Path):
        self.problems = [f"--out {root}: another sweep is writing to this directory"]
        ValueError.__init__(self, self.problems[0])


@dataclass
class RunResult:
    """A finished run as it travels from a worker to the store.

    Attributes:
        run: the run's labels.
        metrics: kept metric rows with the label columns in front.
        summary: the run summary (None when the sweep does not keep it).
        timings: seconds spent building the scenario, in the model and storing.
        worker: ``host:pid`` of the process that ran it.
        model_version: engine hash of that process.
        parameters: the point's parameter values.
    """

    run: RunSpec
    metrics: pl.DataFrame
    summary: dict[str, float] | None
    timings: dict[str, float]
    worker: str
    model_version: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunFailure:
    """A run that did not finish.

    ``kind`` is ``error`` (the run raised: recorded for good), or ``worker_lost``,
    ``environment`` or ``store`` (retried when the sweep is resumed).
    """

    run: RunSpec
    kind: str
    error: str
    traceback: str
    worker: str = ""


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


# ---- paths ------------------------------------------------------------------------------------


def run_path(root: str | Path, run_id: str) -> Path:
    """Where a finished run's Parquet file lives."""
    return Path(root) / RUNS_DIR / run_id[:2] / f"{run_id}.parquet"


def failure_path(root: str | Path, run_id: str) -> Path:
    """Where a failed run's record lives."""
    return Path(root) / FAILURES_DIR / f"{run_id}.json"


def has_run(root: str | Path, run_id: str) -> bool:
    """Whether a run's result file exists."""
    return run_path(root, run_id).is_file()


# ---- atomic writes --------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{path.name}{TMP_MARK}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: Path, obj: Any) -> None:
    """Write a JSON file atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def write_frame(path: Path, frame: pl.DataFrame) -> None:
    """Write a Parquet file atomically."""
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp)


def write_run(root: str | Path, result: RunResult) -> Path:
    """Store a finished run: its metric rows, with summary and timings in the file's metadata."""
    path = run_path(root, result.run.run_id)
    meta = {
        "store_format": STORE_FORMAT,
        "run": result.run.labels(),
        "parameters": result.parameters,
        "summary": result.summary,
        "timings": result.timings,
        "worker": result.worker,
        "model_version": result.model_version,
        "finished": time.time(),
    }
    with atomic_path(path) as tmp:
        result.metrics.write_parquet(tmp, metadata={META_KEY.decode(): json.dumps(meta)})
    failure_path(root, result.run.run_id).unlink(missing_ok=True)
    return path


def write_failure(root: str | Path, failure: RunFailure) -> Path:
    """Record a failed run (error message and traceback)."""
    path = failure_path(root, failure.run.run_id)
    write_json(
        path,
        {
            **failure.run.labels(),
            "kind": failure.kind,
            "error": failure.error,
            "traceback": failure.traceback,
            "worker": failure.worker,
            "time": time.time(),
        },
    )
    return path


def read_meta(path: Path) -> dict[str, Any]:
    """A stored run's metadata (summary, timings, provenance), from the file's footer only."""
    return json.loads((pq.read_metadata(path).metadata or {}).get(META_KEY, b"{}"))


def read_run(path: Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A stored run's metric rows and its metadata (summary, timings, provenance)."""
    return pl.read_parquet(path), read_meta(path)


def read_runs(paths: list[Path]) -> pl.DataFrame:
    """The metric rows of many stored runs, in the order given (one multi-file read)."""
    if not paths:
        return pl.DataFrame()
    try:
        return pl.read_parquet([str(p) for p in paths])
    except pl.exceptions.PolarsError:
        # Runs stored with different columns (e.g. output selections changed): align by name.
        return pl.concat([pl.read_parquet(p) for p in paths], how="diagonal_relaxed")


# ---- scanning ---------------------------------------------------------------------------------


def finished_ids(root: str | Path) -> set[str]:
    """Ids of every run with a result file in the store."""
    runs = Path(root) / RUNS_DIR
    if not runs.is_dir():
        return set()
    out = set()
    for shard in os.scandir(runs):
        if shard.is_dir():
            for entry in os.scandir(shard.path):
                if entry.name.endswith(".parquet") and TMP_MARK not in entry.name:
                    out.add(entry.name[: -len(".parquet")])
    return out


def failure_records(root: str | Path) -> dict[str, dict[str, Any]]:
    """Failure records by run id (runs that later finished are left out)."""
    folder = Path(root) / FAILURES_DIR
    if not folder.is_dir():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for entry in os.scandir(folder):
        if entry.name.endswith(".json") and TMP_MARK not in entry.name:
            with contextlib.suppress(OSError, json.JSONDecodeError):
                out[entry.name[: -len(".json")]] = json.loads(Path(entry.path).read_text())
    done = finished_ids(root)
    return {k: v for k, v in out.items() if k not in done}


def remove_temporary(root: str | Path) -> int:
    """Delete temporary files left by a killed session; returns how many were removed."""
    removed = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            if TMP_MARK in name:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
    return removed


# ---- sessions and the writer lock ----------------------------------------------------------


@contextlib.contextmanager
def lock(root: Path) -> Iterator[None]:
    """Hold the store's writer lock (released by the kernel even if the process is killed)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(root) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def log_session(root: Path, event: dict[str, Any]) -> None:
    """Append one event to ``sessions.jsonl`` (a single small append, atomic on POSIX)."""
    line = json.dumps({"time": time.time(), **event}) + "\n"
    with (root / "sessions.jsonl").open("a") as fh:
        fh.write(line)


def read_sessions(root: Path) -> list[dict[str, Any]]:
    """Every logged session event, oldest first."""
    path = Path(root) / "sessions.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


# ---- collecting and compacting ---------------------------------------------------------------


@dataclass
class Collected:
    """Everything the store holds for one plan, in plan order."""

    metrics: pl.DataFrame
    summaries: pl.DataFrame
    failures: pl.DataFrame
    timings: pl.DataFrame
    missing: int


FAILURE_SCHEMA: dict[str, Any] = {
    **LABEL_SCHEMA,
    "kind": pl.Utf8,
    "error": pl.Utf8,
    "traceback": pl.Utf8,
    "worker": pl.Utf8,
}


def collect(root: str | Path, plan: pl.DataFrame) -> Collected:
    """Read every run of ``plan`` (a plan table) that the store holds, in plan order."""
    root = Path(root)
    paths: list[Path] = []
    summary_rows: list[dict[str, Any]] = []
    timing_rows: list[dict[str, Any]] = []
    failure_rows: list[dict[str, Any]] = []
    failures = failure_records(root)
    missing = 0
    for row in plan.iter_rows(named=True):
        path = run_path(root, row["run_id"])
        labels = {k: row[k] for k in LABELS}
        if path.is_file():
            meta = read_meta(path)
            paths.append(path)
            summary_rows.append({**labels, **(meta.get("summary") or {})})
            timing_rows.append(
                {"run_id": row["run_id"], "worker": meta.get("worker", ""), **meta["timings"]}
            )
        elif row["run_id"] in failures:
            rec = failures[row["run_id"]]
            failure_rows.append(
                {
                    **labels,
                    "kind": rec.get("kind", "error"),
                    "error": rec.get("error", ""),
                    "traceback": rec.get("traceback", ""),
                    "worker": rec.get("worker", ""),
                }
            )
        else:
            missing += 1
    label_frame = pl.DataFrame(schema=LABEL_SCHEMA)
    metrics = (
        read_runs(paths)
        if paths
        else label_frame.with_columns(pl.lit(None, pl.Utf8).alias("quarter"))
    )
    return Collected(
        metrics=metrics,
        summaries=_summary_frame(summary_rows),
        failures=pl.DataFrame(failure_rows, schema=FAILURE_SCHEMA),
        timings=_timing_frame(timing_rows),
        missing=missing,
    )


def _summary_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(k for k in row if k not in LABEL_SCHEMA))
    columns: dict[str, pl.Series] = {
        k: pl.Series(k, [r[k] for r in rows], dtype=dtype) for k, dtype in LABEL_SCHEMA.items()
    }
    for k in keys:
        columns[k] = pl.Series(k, [r.get(k) for r in rows], dtype=pl.Float64)
    return pl.DataFrame(columns)


def _timing_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema={"run_id": pl.Utf8, "worker": pl.Utf8})
    keys = [k for k in rows[0] if k not in ("run_id", "worker")]
    data: dict[str, pl.Series] = {
        "run_id": pl.Series("run_id", [r["run_id"] for r in rows], dtype=pl.Utf8),
        "worker": pl.Series("worker", [r["worker"] for r in rows], dtype=pl.Utf8),
    }
    for k in keys:
        data[k] = pl.Series(k, [r.get(k) for r in rows], dtype=pl.Float64)
    return pl.DataFrame(data)


def compact(root: str | Path, manifest: dict[str, Any]) -> Collected:
    """Write the compacted dataset of the store's current plan, then ``manifest.json``.

    Args:
        root: store directory (with ``plan.parquet``).
        manifest: sweep description (spec, design, versions, sessions); counts and file names
            are added here.

    Returns:
        What was compacted.
    """
    root = Path(root)
    t0 = time.perf_counter()
    plan = pl.read_parquet(root / "plan.parquet")
    got = collect(root, plan)
    write_frame(root / "metrics.parquet", got.metrics)
    write_frame(root / "summaries.parquet", got.summaries)
    write_frame(root / "failures.parquet", got.failures)
    write_frame(root / "timings.parquet", got.timings)
    done = got.summaries.height
    manifest = {
        **manifest,
        "store_format": STORE_FORMAT,
        "counts": {
            "planned": plan.height,
            "finished": done,
            "failed": got.failures.height,
            "missing": got.missing,
        },
        "complete": got.failures.height == 0 and got.missing == 0,
        "files": {
            "metrics": "metrics.parquet",
            "summaries": "summaries.parquet",
            "failures": "failures.parquet",
            "timings": "timings.parquet",
            "plan": "plan.parquet",
            "design": "design.parquet",
        },
        "run_timings_s": _timing_stats(got.timings),
        "compacted": time.time(),
        "compact_s": time.perf_counter() - t0,
    }
    write_json(root / "manifest.json", manifest)
    return got


def _timing_stats(timings: pl.DataFrame) -> dict[str, dict[str, float]]:
    out = {}
    for col in timings.columns:
        if col in ("run_id", "worker") or timings.height == 0:
            continue
        s = timings[col]
        out[col] = {"median": float(s.median()), "mean": float(s.mean()), "sum": float(s.sum())}  # type: ignore[arg-type]
    return out
