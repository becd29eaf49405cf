"""Running a sweep: plan, skip what the store holds, execute the rest, compact.

``run_sweep`` is the Python API (notebooks) and ``aimarket sweep`` its command line::

    from experiments import run_sweep, load_results
    report = run_sweep("experiments/specs/counterfactual_presets.toml", out="runs/cf")
    results = load_results("runs/cf")

The sweep is validated and planned before anything starts (a bad spec raises
:class:`~experiments.spec.SpecError` and writes nothing). Runs whose files are already in the
store are skipped, so rerunning the same command after a crash or a kill resumes it. Runs are
sent in batches to the executor with a bounded number in flight; a run that raises is recorded
with its traceback and the sweep goes on; the runs of a task whose worker died are retried one
at a time, so a run that kills its worker is found and recorded as ``worker_lost``, and a
broken process pool is rebuilt. At the end, the store is compacted
into one dataset plus a manifest.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from abm import ScenarioError
from experiments import store
from experiments.batch import Batch, Receipt, run_batch
from experiments.executors import ExecutorHandle, check_choice, open_executor
from experiments.plan import Plan, RunSpec, build_plan
from experiments.provenance import library_versions
from experiments.spec import SweepSpec, as_spec
from experiments.store import RETRIED_KINDS, RunFailure, RunResult

MAX_CRASHES = 2  # a run that kills its worker this often, running alone, is worker_lost
MAX_POOL_REBUILDS = 20
TASKS_PER_WORKER = 16  # batches per worker: load balance at the end vs per-task overhead
MAX_RUNS_PER_TASK = 64


@dataclass
class SweepReport:
    """What a sweep session did.

    Attributes:
        out: the store directory.
        planned: runs in the plan.
        already_done: runs whose results were in the store before this session.
        skipped_failures: runs recorded as failed earlier and not retried.
        ran: runs executed in this session.
        finished: runs of this session that finished.
        failed: runs of this session that failed (recorded with their traceback).
        wall_s: seconds from the start of execution to the end of compaction.
        executor: description of the executor.
        workers: tasks run at once.
        stage_s: seconds spent in each stage (plan, execute, compact).
        failures: (run id, error) of this session's failures.
    """

    out: Path
    planned: int
    already_done: int
    skipped_failures: int
    ran: int = 0
    finished: int = 0
    failed: int = 0
    wall_s: float = 0.0
    executor: str = ""
    workers: int = 0
    stage_s: dict[str, float] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def runs_per_minute(self) -> float:
        """Runs executed per minute of execution (not counting planning and compaction)."""
        seconds = self.stage_s.get("execute", 0.0)
        return 60.0 * self.ran / seconds if seconds > 0 else float("nan")

    @property
    def complete(self) -> bool:
        """Every planned run is in the store."""
        return self.already_done + self.finished == self.planned


def run_sweep(
    spec: SweepSpec | Plan | str | Path | dict[str, Any],
    executor: Any = None,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    runs_per_task: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    write_on_workers: bool | None = None,
) -> SweepReport:
    """Run (or resume) a sweep into a result store.

    Args:
        spec: a sweep file path, a parsed spec, plain data, or a plan from
            :func:`experiments.plan.build_plan`.
        executor: None or ``"processes"`` (local process pool), ``"serial"``, a
            ``distributed.Client``, an :class:`~experiments.executors.ExecutorHandle`, or any
            ``concurrent.futures.Executor`` (not shut down here).
        out: store directory (default ``runs/sweeps/<spec name>``); rerun to resume.
        workers: processes of the local pool (default: usable cores).
        runs_per_task: runs per executor task (default: spec, else about 16 tasks per worker).
        retry_failed: rerun runs recorded as failed (environment failures are always retried).
        progress: show a progress bar (runs done, failures, ETA) on stderr.
        write_on_workers: see :func:`experiments.executors.open_executor`.

    Returns:
        What this session did; read the results with :func:`experiments.load_results`.

    Raises:
        SpecError: for a bad spec, before anything is written.
        StoreBusyError: if another sweep is writing to ``out``.
    """
    t0 = time.perf_counter()
    check_choice(executor, workers)
    plan = spec if isinstance(spec, Plan) else build_plan(as_spec(spec))
    root = Path(out) if out is not None else Path("runs") / "sweeps" / plan.spec.name
    t_plan = time.perf_counter() - t0
    with store.lock(root):
        return _session(
            plan,
            root,
            executor,
            workers=workers,
            runs_per_task=runs_per_task,
            retry_failed=retry_failed,
            progress=progress,
            write_on_workers=write_on_workers,
            t_plan=t_plan,
        )


def _session(
    plan: Plan,
    root: Path,
    executor: Any,
    *,
    workers: int | None,
    runs_per_task: int | None,
    retry_failed: bool,
    progress: bool,
    write_on_workers: bool | None,
    t_plan: float,
) -> SweepReport:
    (root / "manifest.json").unlink(missing_ok=True)
    store.remove_temporary(root)
    description = sweep_description(plan)
    _write_inputs(root, plan, description)

    done = store.finished_ids(root)
    failures = store.failure_records(root)
    planned_ids = {r.run_id for r in plan.runs}
    kept_failures = {
        rid
        for rid, rec in failures.items()
        if rid in planned_ids and not retry_failed and rec.get("kind") not in RETRIED_KINDS
    }
    todo = [r for r in plan.runs if r.run_id not in done and r.run_id not in kept_failures]
    report = SweepReport(
        root,
        len(plan.runs),
        already_done=len(planned_ids & done),
        skipped_failures=len(kept_failures),
    )
    session = uuid.uuid4().hex[:12]
    t_exec = time.perf_counter()
    status = "complete"
    timings: list[dict[str, float]] = []
    try:
        if todo:
            with open_executor(
                executor, workers=workers, write_on_workers=write_on_workers
            ) as handle:
                report.executor, report.workers = handle.description, handle.workers
                store.log_session(
                    root,
                    {
                        "session": session,
                        "event": "start",
                        "executor": handle.description,
                        "workers": handle.workers,
                        "planned": report.planned,
                        "already_done": report.already_done,
                        "to_run": len(todo),
                    },
                )
                _announce(plan, report, len(todo), progress)
                _Execution(plan, root, handle, report, timings, progress).run(
                    todo, runs_per_task or plan.spec.execution.runs_per_task
                )
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "aborted"
        raise
    finally:
        report.stage_s = {"plan": t_plan, "execute": time.perf_counter() - t_exec}
        if todo:
            store.log_session(
                root,
                {
                    "session": session,
                    "event": "end",
                    "status": status,
                    "ran": report.ran,
                    "finished": report.finished,
                    "failed": report.failed,
                    "execute_s": report.stage_s["execute"],
                    "runs_per_minute": report.runs_per_minute,
                    "median_s": _medians(timings),
                },
            )
    t_compact = time.perf_counter()
    store.compact(root, {**description, "sessions": store.read_sessions(root)})
    report.stage_s["compact"] = time.perf_counter() - t_compact
    report.wall_s = time.perf_counter() - t_exec + t_plan
    return report


def sweep_description(plan: Plan) -> dict[str, Any]:
    """The static part of the manifest: spec, design, interventions, seeds, versions."""
    spec = plan.spec
    return {
        "name": spec.name,
        "description": spec.description,
        "spec": spec.model_dump(mode="json"),
        "spec_file": str(spec.source_path) if spec.source_path else None,
        "interventions": plan.interventions,
        "baseline": spec.baseline,
        "scenarios": {name: s.digest() for name, s in plan.scenarios.items()},
        "design": {
            **plan.design.settings,
            "parameters": [p.model_dump(mode="json") for p in spec.parameters],
            "points": len(plan.design),
            "problem": plan.design.problem,
        },
        "seeds": {"root": spec.replications.root, "values": plan.seeds},
        "kept_metrics": plan.kept_metrics,
        "model_version": plan.model_version,
        "versions": library_versions(),
    }


def _write_inputs(root: Path, plan: Plan, description: dict[str, Any]) -> None:
    spec = plan.spec
    if spec.source_path is not None:
        store.write_text(root / "spec.toml", spec.source_text)
    store.write_json(root / "sweep.json", description)
    store.write_frame(root / "plan.parquet", plan.frame())
    store.write_frame(root / "design.parquet", plan.design_frame())


def _announce(plan: Plan, report: SweepReport, todo: int, progress: bool) -> None:
    if not progress:
        return
    parts = [f"sweep {plan.spec.name}: {report.planned} runs planned"]
    if report.already_done:
        parts.append(f"{report.already_done} already in the store")
    if report.skipped_failures:
        parts.append(f"{report.skipped_failures} failed before (not retried)")
    parts.append(f"{todo} to run on {report.executor}")
    print(", ".join(parts), file=sys.stderr)


def _medians(timings: list[dict[str, float]]) -> dict[str, float]:
    if not timings:
        return {}
    keys = timings[0].keys()
    return {k: float(np.median([t.get(k, np.nan) for t in timings])) for k in keys}


class _Execution:
    """Feeds batches to the executor, collects outcomes, retries lost tasks."""

    def __init__(
        self,
        plan: Plan,
        root: Path,
        handle: ExecutorHandle,
        report: SweepReport,
        timings: list[dict[str, float]],
        progress: bool,
    ):
        self.plan = plan
        self.root = root
        self.handle = handle
        self.report = report
        self.timings = timings
        self.rebuilds = 0
        self.generation = 0
        self.progress = progress
        self.suspects: deque[tuple[RunSpec, int]] = deque()

    def run(self, todo: list[RunSpec], runs_per_task: int | None) -> None:
        """Execute every run of ``todo``.

        Batches go out with at most ``2 x workers + 1`` in flight. When a task dies with its
        worker, its unfinished runs become suspects: each is then run alone (nothing else in
        flight), so a crash can be pinned on one run; a run that crashes its worker
        ``MAX_CRASHES`` times is recorded as ``worker_lost`` and the sweep goes on.
        """
        self.bar = tqdm(
            total=len(todo),
            unit="run",
            desc=self.plan.spec.name,
            disable=not self.progress,
            dynamic_ncols=True,
            mininterval=0.5,
            smoothing=0.05,
            file=sys.stderr,
        )
        size = runs_per_task or max(
            1,
            min(MAX_RUNS_PER_TASK, math.ceil(len(todo) / (self.handle.workers * TASKS_PER_WORKER))),
        )
        queue = deque(tuple(todo[i : i + size]) for i in range(0, len(todo), size))
        self.bar.set_postfix(failed=0, refresh=False)
        in_flight: dict[Future[Any], _Task] = {}
        window = 2 * self.handle.workers + 1
        try:
            while queue or self.suspects or in_flight:
                if self.suspects:
                    if not in_flight:
                        run, crashes = self.suspects.popleft()
                        self._submit(in_flight, (run,), isolated=True, crashes=crashes)
                else:
                    while queue and len(in_flight) < window:
                        self._submit(in_flight, queue.popleft(), isolated=False, crashes=0)
                finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in finished:
                    task = in_flight.pop(future)
                    try:
                        outcomes = future.result()
                    except Exception as exc:
                        self._task_failed(task, exc)
                        continue
                    for outcome in outcomes:
                        self._record(outcome)
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise
        finally:
            self.bar.close()

    def _submit(
        self,
        in_flight: dict[Future[Any], _Task],
        runs: tuple[RunSpec, ...],
        *,
        isolated: bool,
        crashes: int,
    ) -> None:
        future = self.handle.executor.submit(run_batch, self._batch(runs))
        in_flight[future] = _Task(runs, isolated, crashes, self.generation)

    def _batch(self, runs: tuple[RunSpec, ...]) -> Batch:
        names = {r.intervention for r in runs}
        return Batch(
            runs=runs,
            scenarios={n: self.plan.scenarios[n] for n in names},
            parameters={r.point: self.plan.design.points[r.point] for r in runs},
            outputs=self.plan.outputs,
            model_version=self.plan.model_version,
            store_dir=str(self.root) if self.handle.shared_filesystem else None,
        )

    def _record(self, outcome: Any) -> None:
        """Count one run's outcome, writing it into the store if the worker did not."""
        if isinstance(outcome, Receipt):
            if outcome.status == "skipped":
                self.bar.update(1)
                return
            if outcome.status == "failed" and outcome.kind == "store":
                # The worker could not write; record it from here (retried on resume).
                store.write_failure(self.root, RunFailure(outcome.run, "store", outcome.error, ""))
            ok = outcome.status == "finished"
            if ok and outcome.timings:
                self.timings.append(outcome.timings)
            self._count(outcome.run, ok, outcome.error)
            return
        if isinstance(outcome, RunResult):
            t0 = time.perf_counter()
            try:
                store.write_run(self.root, outcome)
            except OSError as exc:
                failure = RunFailure(outcome.run, "store", f"writing the result failed: {exc}", "")
                store.write_failure(self.root, failure)
                self._count(outcome.run, False, failure.error)
                return
            self.timings.append({**outcome.timings, "store_s": time.perf_counter() - t0})
            self._count(outcome.run, True, "")
            return
        store.write_failure(self.root, outcome)
        self._count(outcome.run, False, outcome.error)

    def _count(self, run: RunSpec, ok: bool, error: str) -> None:
        self.report.ran += 1
        if ok:
            self.report.finished += 1
        else:
            self.report.failed += 1
            self.report.failures.append((run.run_id, error))
            self.bar.set_postfix(failed=self.report.failed, refresh=False)
        self.bar.update(1)

    def _task_failed(self, task: _Task, exc: Exception) -> None:
        """A task died with its worker (run errors come back as failures, not exceptions).

        A broken process pool is rebuilt. The task's unfinished runs become suspects; a
        suspect that was running alone is charged with the crash.
        """
        broken = isinstance(exc, BrokenProcessPool) or "Broken" in type(exc).__name__
        if broken and task.generation == self.generation:
            if self.handle.rebuild is None or self.rebuilds >= MAX_POOL_REBUILDS:
                raise RuntimeError(
                    f"the executor broke ({exc}); finished runs are stored, rerun to resume"
                ) from exc
            self.handle.executor = self.handle.rebuild()
            self.rebuilds += 1
            self.generation += 1
        done = store.finished_ids(self.root) if self.handle.shared_filesystem else set()
        pending = []
        for run in task.runs:
            if run.run_id in done:  # stored by the worker before it died
                self._count(run, True, "")
            else:
                pending.append(run)
        if not task.isolated:
            self.suspects.extend((run, 0) for run in pending)
            return
        crashes = task.crashes + 1
        if crashes < MAX_CRASHES:
            self.suspects.extend((run, crashes) for run in pending)
            return
        trace = "".join(traceback.format_exception(exc))
        for run in pending:
            failure = RunFailure(
                run,
                "worker_lost",
                f"{type(exc).__name__}: {exc} (the run's worker died {crashes} times)",
                trace,
            )
            store.write_failure(self.root, failure)
            self._count(run, False, failure.error)


@dataclass(frozen=True)
class _Task:
    """A submitted batch: its runs, whether it ran alone, its crash count, pool generation."""

    runs: tuple[RunSpec, ...]
    isolated: bool
    crashes: int
    generation: int


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(args: argparse.Namespace) -> int:
    """``aimarket sweep SPEC --out DIR [--workers N | --dask-local N | --scheduler ADDR]``.

    Returns:
        0 when every planned run is in the store, 1 when some runs failed (they are listed,
        and recorded with their tracebacks in DIR/failures.parquet).
    """
    plan = build_plan(as_spec(args.spec))
    for flag in ("workers", "dask_local"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise ScenarioError([f"--{flag.replace('_', '-')} = {value}: must be at least 1"])
    retry = bool(getattr(args, "retry_failed", False))
    try:
        if args.dask_local is not None or args.scheduler is not None:
            with open_executor(dask_local=args.dask_local, scheduler=args.scheduler) as handle:
                report = run_sweep(plan, handle, args.out, retry_failed=retry)
        else:
            report = run_sweep(
                plan, "processes", args.out, workers=args.workers, retry_failed=retry
            )
    except KeyboardInterrupt:
        stored = len(store.finished_ids(args.out)) if Path(args.out).is_dir() else 0
        print(
            f"\ninterrupted: {stored} runs are stored in {args.out}; "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    _print_report(report)
    return 0 if report.complete else 1


def _print_report(report: SweepReport) -> None:
    s = report.stage_s
    lines = [
        f"{report.out}: {report.already_done + report.finished} of {report.planned} runs stored"
        + (f" ({report.already_done} from earlier sessions)" if report.already_done else ""),
    ]
    if report.ran:
        lines.append(
            f"this session: {report.ran} runs in {s.get('execute', 0):.1f} s "
            f"({report.runs_per_minute:.0f} runs/min on {report.executor}), "
            f"{report.failed} failed"
        )
    if report.skipped_failures:
        lines.append(
            f"{report.skipped_failures} runs failed in earlier sessions and were not retried"
        )
    for run_id, error in report.failures[:5]:
        lines.append(f"  failed {run_id}: {error.splitlines()[0] if error else ''}")
    if len(report.failures) > 5:
        lines.append(f"  ... and {len(report.failures) - 5} more")
    if report.failed or report.skipped_failures:
        lines.append(f"tracebacks: {report.out / 'failures.parquet'}")
    lines.append(
        f"dataset: {report.out / 'metrics.parquet'}, {report.out / 'summaries.parquet'}, "
        f"{report.out / 'manifest.json'} (compacted in {s.get('compact', 0):.1f} s)"
    )
    print("\n".join(lines))
