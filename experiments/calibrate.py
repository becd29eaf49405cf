"""Method-of-simulated-moments calibration of the behavioural parameters no data fixes.

A handful of invented parameters (``FITTED``) are estimated, not hand-tuned: the routine
searches their box for the values whose simulated target statistics (median over seeds, from
:func:`abm.facts.evaluate`) come closest to a subset of the targets (``FIT_TARGETS``); every
other target is *held out* and only reported. The distance is a sum of squares in log space,
each term scaled so that a band edge counts 1::

    d = sum_k ((log s_k - log v_k) / log(edge_k / v_k))^2        (one-sided targets: only
                                                                  the side that misses)

Search: a Latin-hypercube design over the box, then Nelder-Mead from the best point, both with
common random numbers (the same seeds at every point), using the single run function of
``experiments/runner.py`` in a pool of worker processes.

    aimarket calibrate --points 48 --seeds 4 --out runs/calibration
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from abm import Scenario, load_scenario
from abm.facts import evaluate, fact
from experiments.executors import process_pool
from experiments.runner import simulate

FITTED: dict[str, tuple[float, float]] = {
    "demand.capability_elasticity": (0.35, 0.7),
    "demand.base_busd_per_year": (0.04, 0.3),
    "labs.war_chest_share": (0.08, 0.4),
    "labs.revenue_multiple": (0.5, 8.0),
    "labs.hype_premium": (0.0, 1.5),
    "labs.contender_value_share": (0.05, 1.0),
    "clouds.internal_ai_elasticity": (0.15, 0.5),
    "clouds.internal_ai_share_max": (0.1, 0.4),
    "clouds.capacity_headroom": (0.1, 0.8),
}
"""Parameters estimated, with the box searched (log-uniform where the ratio of bounds > 4)."""

FIT_TARGETS: tuple[str, ...] = ("T9a", "T9b", "T9c", "T10a", "T10b", "T11a", "T11b", "T12a")
"""Targets the fit uses: NVIDIA revenue, compute concentration, leader valuation, AI venture
funding. All others (T1-T8, T12b) are held out."""


def _log_box(lo: float, hi: float) -> bool:
    return lo > 0 and hi / lo > 4.0


def to_params(unit: np.ndarray) -> dict[str, float]:
    """Map a point of the unit cube to parameter values."""
    out = {}
    for u, (name, (lo, hi)) in zip(unit, FITTED.items(), strict=True):
        u = float(np.clip(u, 0.0, 1.0))
        out[name] = (
            float(np.exp(np.log(lo) + u * np.log(hi / lo)))
            if _log_box(lo, hi)
            else lo + u * (hi - lo)
        )
    return out


def to_unit(params: dict[str, float]) -> np.ndarray:
    """Inverse of :func:`to_params`: a parameter point as a point of the unit cube."""
    out = []
    for name, (lo, hi) in FITTED.items():
        v = float(np.clip(params[name], lo, hi))
        out.append(np.log(v / lo) / np.log(hi / lo) if _log_box(lo, hi) else (v - lo) / (hi - lo))
    return np.array(out)


def distance(stats: dict[str, float], targets: Sequence[str] = FIT_TARGETS) -> float:
    """Scaled squared log distance of simulated statistics to the targets (0 = on target).

    Two-sided bands: ``((log s - log v) / log(edge / v))^2`` with the edge on the side of s,
    so a band edge counts 1. One-sided bands (an open upper end, e.g. "above $60B"): only a
    miss counts, ``((log s - log edge) / log 1.5)^2``.
    """
    total = 0.0
    for tid in targets:
        f = fact(tid)
        s = stats[tid]
        if not np.isfinite(s) or s <= 0:
            total += 25.0
        elif f.high / f.value > 100.0:
            if s < f.low:
                total += (np.log(f.low / s) / np.log(1.5)) ** 2
        else:
            edge = f.high if s >= f.value else f.low
            total += (np.log(s / f.value) / np.log(edge / f.value)) ** 2
    return float(total)


def _run_stats(args: tuple[Scenario, int]) -> dict[str, float]:
    scenario, seed = args
    out = simulate(scenario, seed, keep_events=False, keep_network=False)
    return evaluate(out.metrics)


@dataclass
class Calibration:
    """Result of a calibration: the best parameters and how the targets come out there."""

    params: dict[str, float]
    objective: float
    medians: dict[str, float]
    evaluations: int
    seconds: float
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)
    searched: list[str] = field(default_factory=lambda: list(FITTED))
    """The parameters this search moved; the others stayed at the start point's values."""

    def to_json(self) -> dict:
        """Plain data for calibration.json."""
        return {
            "fitted": self.params,
            "searched": self.searched,
            "objective": self.objective,
            "fit_targets": list(FIT_TARGETS),
            "held_out": [k for k in self.medians if k not in FIT_TARGETS],
            "medians": self.medians,
            "evaluations": self.evaluations,
            "seconds": self.seconds,
            "box": {k: list(v) for k, v in FITTED.items()},
        }


def calibration_markdown(data: dict, command: str) -> str:
    """A readable account of a calibration.json: method, box, fitted values, fit and held out."""
    lines = [
        "# Calibration",
        "",
        "Behavioural parameters no data fixes are estimated by the method of simulated moments "
        "(`experiments/calibrate.py`): the distance between the simulated target statistics "
        "(median over common seeds) and the facts is minimised over a box, first on a "
        "Latin-hypercube design, then by Nelder-Mead from the best point. Distance: "
        "sum over fit targets of ((log s - log v) / log(edge / v))^2, so a band edge counts 1; "
        "one-sided targets count only a miss. Everything else is held out.",
        "",
        f"Command: `{command}`  ",
        f"Objective at the optimum: **{data['objective']:.3f}** after {data['evaluations']} "
        f"evaluations ({data['seconds']:.0f} s).",
        "",
        "| parameter | fitted value | box | this search |",
        "|---|---|---|---|",
    ]
    searched = data.get("searched", list(data["fitted"]))
    for name, value in data["fitted"].items():
        lo, hi = data["box"][name]
        scale = " (log)" if _log_box(lo, hi) else ""
        how = "searched" if name in searched else "held at the start value"
        lines.append(f"| `{name}` | {value:.4g} | {lo:g} - {hi:g}{scale} | {how} |")
    lines += [
        "",
        "| target | used | median at the optimum | band | |",
        "|---|---|---|---|---|",
    ]
    for tid, med in data["medians"].items():
        f = fact(tid)
        used = "fit" if tid in data["fit_targets"] else "held out"
        lines.append(
            f"| {tid} {f.name} | {used} | {med:.4g} | {f.low:g} - {f.high:g} | "
            f"{'pass' if f.passes(med) else '**fail**'} |"
        )
    lines += [
        "",
        "The medians here are over the calibration's seeds; `aimarket validate` reports them "
        "over 20 (docs/validation.md).",
    ]
    return "\n".join(lines) + "\n"


def medians_at(
    base: Scenario, params: dict[str, float], seeds: Sequence[int], executor: Executor
) -> dict[str, float]:
    """Median over seeds of every target statistic at a parameter point."""
    scenario = base.with_overrides(params)
    runs = list(executor.map(_run_stats, [(scenario, s) for s in seeds]))
    return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}


def calibrate(
    base: Scenario,
    points: int = 48,
    seeds: Sequence[int] = (1, 2, 3, 4),
    workers: int = 2,
    refine_iterations: int = 40,
    progress: Callable[[int, float], None] | None = None,
    start: dict[str, float] | None = None,
    on_best: Callable[[Calibration], None] | None = None,
    only: Sequence[str] | None = None,
) -> Calibration:
    """Latin-hypercube search then Nelder-Mead refinement of ``FITTED`` against ``FIT_TARGETS``.

    ``start`` (e.g. the ``fitted`` values of an earlier calibration.json) joins the design as
    one more point, so a search can continue from where an earlier one stopped. ``on_best`` is
    called with the best point so far whenever it improves (``main`` checkpoints it to disk, so
    an interrupted search loses nothing: rerun with ``--start`` on the checkpoint).

    ``only`` searches a block of ``FITTED`` (the design and the simplex span those parameters)
    with every other parameter held at ``start``: a block that mainly moves a few targets can
    be fitted without re-searching a box where the rest already sit at an optimum.
    """
    names = list(FITTED)
    if only is not None:
        check_block(only, start is not None)
    block = np.array([names.index(n) for n in only] if only is not None else range(len(names)))
    base_unit = to_unit(start) if start is not None else np.full(len(names), 0.5)

    def full(sub: np.ndarray) -> np.ndarray:
        unit = base_unit.copy()
        unit[block] = sub
        return unit

    t0 = time.perf_counter()
    history: list[tuple[dict[str, float], float]] = []
    cache: dict[tuple, tuple[float, dict[str, float]]] = {}

    # spawn, not fork: a forked child of a process with running threads (polars, BLAS) can
    # deadlock (it did, inside the test suite).
    with process_pool(workers) as executor:

        def objective(sub: np.ndarray) -> float:
            key = tuple(np.round(np.clip(full(sub), 0, 1), 6))
            if key not in cache:
                params = to_params(np.array(key))
                med = medians_at(base, params, seeds, executor)
                score = distance(med)
                improved = all(score < v[0] for v in cache.values())
                cache[key] = (score, med)
                history.append((params, score))
                if progress:
                    progress(len(history), score)
                if improved and on_best:
                    on_best(
                        Calibration(
                            params=params,
                            objective=score,
                            medians=med,
                            evaluations=len(history),
                            seconds=time.perf_counter() - t0,
                            searched=[names[i] for i in block],
                        )
                    )
            return cache[key][0]

        sampler = qmc.LatinHypercube(d=block.size, seed=0)
        design = sampler.random(points) if points > 0 else np.empty((0, block.size))
        if start is not None:
            design = np.vstack([base_unit[block][None, :], design])
        if len(design) == 0:
            raise ValueError("calibrate needs points > 0 or a start point")
        scores = [objective(u) for u in design]
        start = design[int(np.argmin(scores))]
        res = minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={
                "maxfev": refine_iterations,
                "xatol": 1e-3,
                "fatol": 1e-3,
                "initial_simplex": _simplex(start),
            },
        )
        best_key = min(cache, key=lambda k: cache[k][0])
    best_score, best_med = cache[best_key]
    assert res is not None
    return Calibration(
        params=to_params(np.array(best_key)),
        objective=best_score,
        medians=best_med,
        evaluations=len(history),
        seconds=time.perf_counter() - t0,
        history=history,
        searched=[names[i] for i in block],
    )


def check_block(only: Sequence[str], has_start: bool) -> None:
    """Refuse a block search over a name that is not fitted, or without a start point for
    the parameters it holds (ValueError naming the bad name and the allowed ones)."""
    unknown = [n for n in only if n not in FITTED]
    if unknown:
        raise ValueError(
            f"--only {unknown[0]!r} is not a fitted parameter; allowed: {', '.join(FITTED)}"
        )
    if not has_start:
        raise ValueError("--only needs a start point (--start): the other parameters stay there")


def _value(scenario: Scenario, dotted: str) -> float:
    """The value of ``section.field`` in a scenario."""
    section, name = dotted.split(".")
    return float(getattr(getattr(scenario, section), name))


def _simplex(x0: np.ndarray, step: float = 0.08) -> np.ndarray:
    d = len(x0)
    simplex = np.repeat(x0[None, :], d + 1, axis=0)
    for i in range(d):
        simplex[i + 1, i] = x0[i] + step if x0[i] + step <= 1.0 else x0[i] - step
    return simplex


def main(args) -> int:
    """``aimarket calibrate``: run the fit and write ``calibration.json`` to ``--out``."""
    base = load_scenario(args.scenario)
    seeds = tuple(range(1, args.seeds + 1))
    only = getattr(args, "only", None)
    if only:
        try:
            check_block(only, bool(getattr(args, "start", None)))
        except ValueError as exc:  # before anything is written
            print(f"aimarket calibrate: {exc}", file=sys.stderr)
            return 2

    def report(i: int, score: float) -> None:
        print(f"  evaluation {i:3d}: distance {score:.3f}", flush=True)

    start = None
    if getattr(args, "start", None):
        start = json.loads(Path(args.start).read_text())["fitted"]
        # A parameter the earlier search did not fit starts from the scenario's own value.
        start = {name: start.get(name, _value(base, name)) for name in FITTED}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def checkpoint(best: Calibration) -> None:
        data = {**best.to_json(), "complete": False}
        tmp = out / "checkpoint.json.tmp"
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(out / "checkpoint.json")

    result = calibrate(
        base,
        points=args.points,
        seeds=seeds,
        workers=args.workers or 2,
        refine_iterations=args.refine,
        progress=report,
        start=start,
        on_best=checkpoint,
        only=only,
    )
    data = result.to_json()
    (out / "calibration.json").write_text(json.dumps(data, indent=2))
    command = (
        "aimarket calibrate "
        + " ".join(
            f"--{k} {v}"
            for k, v in vars(args).items()
            if k in ("points", "refine", "seeds", "start") and v is not None
        )
        + "".join(f" --only {n}" for n in only or ())
    )
    (out / "calibration.md").write_text(calibration_markdown(data, command))
    print(
        f"best distance {result.objective:.3f} after {result.evaluations} evaluations ({result.seconds:.0f} s)"
    )
    for name, value in result.params.items():
        print(f"  {name} = {value:.4g}")
    for tid, med in result.medians.items():
        f = fact(tid)
        mark = "fit " if tid in FIT_TARGETS else "held"
        print(
            f"  {tid:5s} {mark} {'PASS' if f.passes(med) else 'fail'} {med:.4g} band [{f.low:g}, {f.high:g}]"
        )
    return 0
