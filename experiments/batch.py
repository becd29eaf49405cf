"""A batch of runs: the unit of work an executor task carries, and the function workers run.

Runs are grouped into batches so that per-task overhead (about 1.7 ms on Dask, more for a
fresh interpreter) is paid once for several runs, and so that one worker process runs many
batches (it imports the engine once). :func:`run_batch` is a module-level function, so it
pickles by reference under ``spawn`` and on remote Dask workers.

Each run uses :func:`experiments.runner.simulate`, the project's one run function. An
exception inside a run is caught and returned as a :class:`~experiments.store.RunFailure`
with its traceback; the other runs of the batch go on. When the batch carries a store
directory (workers share the driver's filesystem), each result is written there as soon as the
run ends; otherwise results travel back to the driver, which writes them.
"""

from __future__ import annotations

import fnmatch
import json
import time
import traceback
from dataclasses import dataclass
from typing import Any

import polars as pl

from abm import Scenario
from experiments.plan import LABEL_SCHEMA, RunSpec
from experiments.provenance import model_version
from experiments.runner import simulate
from experiments.spec import Outputs
from experiments.store import (
    RunFailure,
    RunResult,
    has_run,
    worker_name,
    write_failure,
    write_run,
)

_SCENARIO_CACHE: dict[tuple[str, str], Scenario] = {}
_CACHE_SIZE = 64


@dataclass(frozen=True)
class Batch:
    """Runs sent to a worker in one task.

    Attributes:
        runs: the runs, in plan order.
        scenarios: intervention name -> scenario (only the interventions these runs use).
        parameters: point index -> parameter values (only the points these runs use).
        outputs: what each run keeps.
        model_version: the driver's engine hash; a worker with another engine refuses to run.
        store_dir: store directory to write results into, or None to return them.
    """

    runs: tuple[RunSpec, ...]
    scenarios: dict[str, Scenario]
    parameters: dict[int, dict[str, Any]]
    outputs: Outputs
    model_version: str
    store_dir: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What a worker reports for a run it stored itself (the file is the result)."""

    run: RunSpec
    status: str  # "finished", "failed" or "skipped" (its file already existed)
    kind: str = ""
    error: str = ""
    timings: dict[str, float] | None = None


Outcome = RunResult | RunFailure | Receipt


def run_batch(batch: Batch) -> list[Outcome]:
    """Run every run of a batch; never raises for a run that fails.

    Returns:
        One outcome per run: :class:`Receipt` when the results were written to
        ``batch.store_dir``, else the :class:`RunResult` or :class:`RunFailure` itself.
    """
    worker = worker_name()
    local_version = model_version()
    outcomes: list[Outcome] = []
    for run in batch.runs:
        if batch.store_dir is not None and has_run(batch.store_dir, run.run_id):
            outcomes.append(Receipt(run, "skipped"))
            continue
        if local_version != batch.model_version:
            outcome: RunResult | RunFailure = RunFailure(
                run,
                "environment",
                f"this worker's engine hashes to {local_version}, the driver's to "
                f"{batch.model_version}: install the same aimarket version on every worker",
                "",
                worker,
            )
        else:
            outcome = run_one(batch, run, worker)
        outcomes.append(_deliver(batch, outcome))
    return outcomes


def run_one(batch: Batch, run: RunSpec, worker: str) -> RunResult | RunFailure:
    """Run one simulation and shape its outputs; a raised exception becomes a RunFailure."""
    t0 = time.perf_counter()
    params = batch.parameters[run.point]
    try:
        scenario = _scenario(batch.scenarios[run.intervention], params)
        t1 = time.perf_counter()
        out = simulate(scenario, run.seed, keep_events=False, keep_network=False)
        t2 = time.perf_counter()
        metrics = shape_metrics(out.metrics, batch.outputs, run)
        summary = dict(out.summary) if batch.outputs.summary else None
    except Exception as exc:
        return RunFailure(
            run, "error", f"{type(exc).__name__}: {exc}", traceback.format_exc(), worker
        )
    t3 = time.perf_counter()
    timings = {
        "scenario_s": t1 - t0,
        **out.timings,
        "simulate_s": t2 - t1,
        "shape_s": t3 - t2,
    }
    return RunResult(run, metrics, summary, timings, worker, batch.model_version, params)


def shape_metrics(metrics: pl.DataFrame, outputs: Outputs, run: RunSpec) -> pl.DataFrame:
    """Keep the chosen metrics and quarters, with the run's labels as the first columns."""
    names = [
        c
        for c in metrics.columns
        if c != "quarter" and any(fnmatch.fnmatchcase(c, p) for p in outputs.metrics)
    ]
    frame = metrics.select("quarter", *names)
    if outputs.quarters == "year_end" and frame.height:
        last = frame.height - 1
        frame = frame.filter(
            pl.col("quarter").str.ends_with("Q4") | (pl.int_range(pl.len()) == last)
        )
    labels = [pl.lit(v, dtype=LABEL_SCHEMA[k]).alias(k) for k, v in run.labels().items()]
    return frame.select(*labels, pl.all())


def _scenario(base: Scenario, params: dict[str, Any]) -> Scenario:
    """The run's scenario: the intervention's with the point's parameters (cached per worker)."""
    if not params:
        return base
    key = (base.digest(), json.dumps(params, sort_keys=True))
    scenario = _SCENARIO_CACHE.get(key)
    if scenario is None:
        if len(_SCENARIO_CACHE) >= _CACHE_SIZE:
            _SCENARIO_CACHE.pop(next(iter(_SCENARIO_CACHE)))
        scenario = _SCENARIO_CACHE[key] = base.with_overrides(params)
    return scenario


def _deliver(batch: Batch, outcome: RunResult | RunFailure) -> Outcome:
    """Write the outcome into the store when the batch says so; else hand it back."""
    if batch.store_dir is None:
        return outcome
    run = outcome.run
    t0 = time.perf_counter()
    try:
        if isinstance(outcome, RunResult):
            write_run(batch.store_dir, outcome)
            timings = {**outcome.timings, "store_s": time.perf_counter() - t0}
            return Receipt(run, "finished", timings=timings)
        write_failure(batch.store_dir, outcome)
        return Receipt(run, "failed", outcome.kind, outcome.error)
    except OSError as exc:
        return Receipt(run, "failed", "store", f"writing the result failed: {exc}")
