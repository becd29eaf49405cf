"""Where one baseline run spends its time (issue #6, item 5).

Two views of the same kind of run:

- by phase — each quarter phase of ``AIMarketModel.step`` (policy, chips, compute, product,
  capital, demography, metrics) and a few costly parts inside them, timed by wrapping the
  module-level functions the model calls, for the duration of one run only (the engine is not
  edited; parts that a later version of the engine renames are skipped);
- by function — cProfile of the whole run (set-up, quarters, recording), the top ten by
  cumulative time, leaving out the scheduler frames that merely call ``step``.

cProfile adds overhead to every Python call, so its absolute times are inflated; read it for
proportions. The phase timer adds only a clock read per wrapped call.
"""

from __future__ import annotations

import cProfile
import importlib
import pstats
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from abm import AIMarketModel, Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent

# (module, attribute, label). A class attribute is given as "Class.method". Labels with a
# dot are parts inside a phase and are not added into the phase total.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("abm.policy", "Policy.update", "policy"),
    ("abm.population", "activate_founded", "activate founded"),
    ("abm.phases.chips", "run", "chips"),
    ("abm.phases.compute", "run", "compute"),
    ("abm.phases.product", "run", "product"),
    ("abm.phases.capital", "run", "capital"),
    ("abm.phases.demography", "run", "demography"),
    ("abm.metrics", "MetricRecorder.record", "metrics"),
)
PARTS: tuple[tuple[str, str, str], ...] = (
    ("abm.phases.capital", "_offers", "capital._offers"),
    ("abm.phases.capital", "_deal_groups", "capital._deal_groups"),
    ("abm.phases.capital", "venture_offers", "capital.venture_offers"),
    ("abm.phases.capital", "stacked_offers", "capital.stacked_offers (strategic)"),
    ("abm.phases.capital", "clear_rounds", "capital.clear_rounds"),
    ("abm.phases.capital", "_apply", "capital._apply"),
    ("abm.phases.demography", "_exits", "demography._exits"),
    ("abm.phases.demography", "_entry", "demography._entry"),
    ("abm.holdings", "Holdings.value_by_investor", "demography.value_by_investor"),
    ("abm.model", "AIMarketModel.compact_labs", "demography.compact_labs"),
    ("abm.model", "AIMarketModel.register_rows", "Mesa handles: register_rows"),
)
SCHEDULER_FRAMES = {"run_for", "_advance_time", "execute", "_execute_and_reschedule", "_do_step"}


def _resolve(module_name: str, attr: str) -> tuple[Any, str, Callable[..., Any]] | None:
    try:
        owner: Any = importlib.import_module(module_name)
    except ImportError:
        return None
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    fn = getattr(owner, name, None)
    return (owner, name, fn) if callable(fn) else None


@contextmanager
def phase_timer(
    targets: tuple[tuple[str, str, str], ...] = PHASES + PARTS,
) -> Iterator[Counter[str]]:
    """Time the given functions while the block runs; yields seconds by label."""
    seconds: Counter[str] = Counter()
    patched: list[tuple[Any, str, Callable[..., Any]]] = []

    def timed(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - t

        return wrapper

    for module_name, attr, label in targets:
        found = _resolve(module_name, attr)
        if found is None:
            continue
        owner, name, fn = found
        patched.append((owner, name, fn))
        setattr(owner, name, timed(fn, label))
    try:
        yield seconds
    finally:
        for owner, name, fn in reversed(patched):
            setattr(owner, name, fn)


@dataclass(frozen=True)
class PhaseProfile:
    """Seconds per phase and part over one run, and the run's total model work."""

    seconds: dict[str, float]
    run_s: float
    quarters: int
    mean_alive_labs: float


def profile_phases(scenario: Scenario | None = None, seed: int = 1) -> PhaseProfile:
    """Run one model under the phase timer."""
    from bench.jit import warm_up

    scenario = scenario or load_scenario("baseline")
    warm_up()  # kernels compiled or loaded before timing (bench/jit.py)
    model = AIMarketModel(scenario, rng=seed)
    alive = 0
    with phase_timer() as seconds:
        t = time.perf_counter()
        for _ in range(scenario.steps):
            model.step()
            alive += int(model.labs.alive[: model.labs.n].sum())
        run_s = time.perf_counter() - t
    return PhaseProfile(dict(seconds), run_s, scenario.steps, alive / scenario.steps)


def phase_table(prof: PhaseProfile, title: str) -> Table:
    """Per-phase milliseconds per quarter and share of model work."""
    table = Table(title=title)
    table.add_column("phase / part")
    table.add_column("ms / quarter", justify="right")
    table.add_column("share of model work", justify="right")
    q = prof.quarters
    phase_total = 0.0
    for _, _, label in PHASES:
        if label in prof.seconds:
            s = prof.seconds[label]
            phase_total += s
            table.add_row(label, f"{s / q * 1e3:.2f}", f"{100 * s / prof.run_s:.1f} %")
    table.add_row(
        "(step overhead: events, stats, scheduler)",
        f"{(prof.run_s - phase_total) / q * 1e3:.2f}",
        f"{100 * (prof.run_s - phase_total) / prof.run_s:.1f} %",
    )
    for _, _, label in PARTS:
        if label in prof.seconds:
            s = prof.seconds[label]
            table.add_row(
                f"  inside: {label}",
                f"{s / q * 1e3:.2f}",
                f"{100 * s / prof.run_s:.1f} %",
                style="dim",
            )
    table.add_row("model work, all quarters", f"{prof.run_s / q * 1e3:.2f}", "100 %", style="bold")
    return table


@dataclass(frozen=True)
class FunctionCost:
    """One row of the cProfile table."""

    where: str
    calls: int
    tottime_s: float
    cumtime_s: float


def profile_functions(
    scenario: Scenario | None = None, seed: int = 1, top: int = 10
) -> tuple[list[FunctionCost], float]:
    """cProfile one whole run (set-up, quarters, recording); top functions by cumulative time.

    Returns the rows and the profiled wall time. The scheduler frames between ``run_for`` and
    ``step`` are left out: they only call ``step``.
    """
    from bench.jit import warm_up

    scenario = scenario or load_scenario("baseline")
    warm_up()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    model = AIMarketModel(scenario, rng=seed)
    model.run_for(scenario.steps)
    model.metrics()
    model.summary()
    model.events()
    model.network_frames()
    prof.disable()
    wall = time.perf_counter() - t
    stats = pstats.Stats(prof)
    rows: list[FunctionCost] = []
    entries = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
    for (filename, line, name), (_, calls, tottime, cumtime, _) in entries:
        if name in SCHEDULER_FRAMES and "mesa" in filename:
            continue
        if name == "<method 'disable' of '_lsprof.Profiler' objects>":
            continue
        rows.append(FunctionCost(_short(filename, line, name), calls, tottime, cumtime))
        if len(rows) == top:
            break
    return rows, wall


def _short(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name
    path = Path(filename)
    try:
        shown = str(path.resolve().relative_to(ROOT))
    except ValueError:
        parts = path.parts
        shown = (
            "/".join(parts[parts.index("site-packages") + 1 :])
            if "site-packages" in parts
            else path.name
        )
    return f"{shown}:{line}({name})"


def function_table(rows: list[FunctionCost], wall_s: float) -> Table:
    """The cProfile top ten."""
    table = Table(
        title=f"5b. cProfile of one baseline run (set-up + quarters + recording), top {len(rows)} "
        f"by cumulative time; profiled wall {wall_s:.2f} s"
    )
    table.add_column("function")
    table.add_column("calls", justify="right")
    table.add_column("own (tottime)", justify="right")
    table.add_column("cumulative", justify="right")
    table.add_column("% of run", justify="right")
    for r in rows:
        table.add_row(
            r.where,
            f"{r.calls:,}",
            f"{r.tottime_s:.3f} s",
            f"{r.cumtime_s:.3f} s",
            f"{100 * r.cumtime_s / wall_s:.1f}",
        )
    return table
