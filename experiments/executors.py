"""Where runs execute: any ``concurrent.futures.Executor`` (the shape Mesa 4 is moving to).

- :class:`SerialExecutor` runs each task in the calling process (debugging, notebooks,
  profiling; a run that raises still shows its traceback in the store).
- A local process pool (the default): ``--workers`` processes started with ``spawn`` for this
  pool only (the process-wide start method is left alone), each reused for many tasks.
- Dask distributed: a ``LocalCluster`` on 127.0.0.1 (``--dask-local N``), or an existing
  scheduler (``--scheduler tcp://host:8786``), through ``client.get_executor()``. This is how
  a sweep grows past one machine: start the scheduler and workers with dask-jobqueue (SLURM,
  PBS) or dask-kubernetes and pass its address (``docs/experiments.md``).

:func:`open_executor` turns any of these choices into an :class:`ExecutorHandle` and closes
what it opened (pools, clusters, clients) on exit, also on errors.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from abm import ScenarioError

# Dask diagnostics that cost a pure-Python model time on every worker: the statistical profiler
# samples the running task's stack every 10 ms (measured: runs about 15-20 % slower), and the
# event-loop and system monitors tick every 20 ms / 500 ms. Set for clusters started here; for
# an external cluster set DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False on the workers.
QUIET_WORKERS: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


class SerialExecutor(Executor):
    """Runs every submitted task at once, in the calling process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(exc)
        return future


@dataclass
class ExecutorHandle:
    """An executor and what the sweep needs to know about it.

    Attributes:
        executor: where tasks go.
        workers: how many tasks run at once (sizes batches and the in-flight window).
        description: for the progress line and the manifest.
        shared_filesystem: workers can write into the store directory themselves.
        rebuild: makes a fresh executor after the current one broke (a pool whose worker
            process died); None if it cannot be rebuilt.
    """

    executor: Executor
    workers: int
    description: str
    shared_filesystem: bool
    rebuild: Callable[[], Executor] | None = None


# One BLAS/OpenMP thread per worker process: a pool already puts one process on each core, and
# numpy's OpenBLAS would otherwise start a thread per core in every worker (oversubscription).
# Workers inherit the environment when they start; a value the user set is kept.
SINGLE_THREADED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_workers() -> None:
    """Make worker processes started from now on use one BLAS thread each (unless set)."""
    for name in SINGLE_THREADED:
        os.environ.setdefault(name, "1")


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` reusable processes started with ``spawn`` (for this pool only)."""
    single_threaded_workers()
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def default_workers() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def dask_workers(client: Any) -> int:
    """Threads across a Dask client's workers (each runs one task at a time per thread)."""
    return max(1, sum(client.nthreads().values()))


@contextlib.contextmanager
def dask_local_cluster(n_workers: int) -> Iterator[Any]:
    """A Dask ``LocalCluster`` of ``n_workers`` single-threaded processes on 127.0.0.1.

    Yields a connected ``distributed.Client``; the client and cluster are closed on exit.
    """
    import dask
    from distributed import Client, LocalCluster

    single_threaded_workers()
    with dask.config.set(QUIET_WORKERS):
        cluster = LocalCluster(
            host="127.0.0.1",
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    try:
        client = Client(cluster)
        try:
            client.wait_for_workers(n_workers)
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def check_choice(executor: Any = None, workers: int | None = None) -> None:
    """Reject an unknown executor name or a worker count below 1 (before anything starts).

    Raises:
        ScenarioError: naming the bad choice and the allowed ones.
    """
    if workers is not None and workers < 1:
        raise ScenarioError([f"--workers = {workers}: must be at least 1"])
    if isinstance(executor, str) and executor not in ("processes", "serial"):
        raise ScenarioError(
            [f"executor = {executor!r}: unknown (allowed: 'processes', 'serial', an Executor)"]
        )


@contextlib.contextmanager
def open_executor(
    executor: Any = None,
    *,
    workers: int | None = None,
    dask_local: int | None = None,
    scheduler: str | None = None,
    write_on_workers: bool | None = None,
) -> Iterator[ExecutorHandle]:
    """Resolve the choice of executor, opening (and on exit closing) what it needs.

    Args:
        executor: None or ``"processes"`` (local process pool), ``"serial"``, an
            :class:`ExecutorHandle`, a ``distributed.Client``, or any
            ``concurrent.futures.Executor`` (used as given; not shut down here).
        workers: processes of the local pool (default: the usable cores).
        dask_local: start a Dask LocalCluster of this many workers on 127.0.0.1.
        scheduler: address of an existing Dask scheduler.
        write_on_workers: whether workers write results into the store themselves (they must
            see the store's filesystem). Default: yes for local executors, no for an external
            scheduler or an executor of unknown kind (results then return to the driver).

    Raises:
        ScenarioError: for a worker count below 1 or an unknown executor name.
    """
    for flag, value in (("--workers", workers), ("--dask-local", dask_local)):
        if value is not None and value < 1:
            raise ScenarioError([f"{flag} = {value}: must be at least 1"])
    if isinstance(executor, ExecutorHandle):
        yield _with_writes(executor, write_on_workers)
        return
    if dask_local is not None:
        with dask_local_cluster(dask_local) as client:
            handle = ExecutorHandle(
                client.get_executor(pure=False),
                dask_workers(client),
                f"Dask LocalCluster on 127.0.0.1, {dask_local} workers",
                shared_filesystem=True,
            )
            yield _with_writes(handle, write_on_workers)
        return
    if scheduler is not None:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ScenarioError([f"--scheduler {scheduler}: cannot connect ({exc})"]) from None
        try:
            handle = ExecutorHandle(
                client.get_executor(pure=False),
                dask_workers(client),
                f"Dask scheduler {scheduler}, {dask_workers(client)} worker threads",
                shared_filesystem=False,
            )
            yield _with_writes(handle, write_on_workers)
        finally:
            client.close()
        return
    if executor is None or executor == "processes":
        n = workers or default_workers()
        pool = process_pool(n)
        holder = {"pool": pool}

        def rebuild() -> Executor:
            holder["pool"].shutdown(wait=False, cancel_futures=True)
            holder["pool"] = process_pool(n)
            return holder["pool"]

        try:
            yield _with_writes(
                ExecutorHandle(pool, n, f"process pool, {n} workers", True, rebuild),
                write_on_workers,
            )
        finally:
            holder["pool"].shutdown(wait=True, cancel_futures=True)
        return
    if executor == "serial":
        yield _with_writes(
            ExecutorHandle(SerialExecutor(), 1, "serial (in process)", True), write_on_workers
        )
        return
    if isinstance(executor, str):
        raise ScenarioError(
            [f"executor = {executor!r}: unknown (allowed: 'processes', 'serial', an Executor)"]
        )
    yield _with_writes(_wrap(executor), write_on_workers)


def _wrap(executor: Any) -> ExecutorHandle:
    """Describe an executor the caller owns."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        Client = ()  # type: ignore[assignment,misc]
    if isinstance(executor, Client):
        n = dask_workers(executor)
        return ExecutorHandle(
            executor.get_executor(pure=False), n, f"Dask client, {n} worker threads", False
        )
    if isinstance(executor, SerialExecutor):
        return ExecutorHandle(executor, 1, "serial (in process)", True)
    if isinstance(executor, ProcessPoolExecutor | ThreadPoolExecutor):
        n = int(getattr(executor, "_max_workers", 1))
        return ExecutorHandle(executor, n, f"{type(executor).__name__}, {n} workers", True)
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "nthreads"):
        n = dask_workers(client)
        return ExecutorHandle(executor, n, f"Dask executor, {n} worker threads", False)
    if not isinstance(executor, Executor):
        raise ScenarioError(
            [f"executor = {type(executor).__name__}: not a concurrent.futures.Executor"]
        )
    return ExecutorHandle(executor, default_workers(), type(executor).__name__, False)


def _with_writes(handle: ExecutorHandle, write_on_workers: bool | None) -> ExecutorHandle:
    if write_on_workers is not None:
        handle.shared_filesystem = write_on_workers
    return handle
