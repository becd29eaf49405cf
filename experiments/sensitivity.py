"""Global sensitivity: which parameters drive an outcome (SALib's Morris and Sobol analysers).

Works on sweeps whose design is ``morris`` or ``sobol``: the design matrix the sampler made is
stored with the sweep (``design.parquet``, ``sample.<key>`` columns) and handed back to SALib
with the outcome per point — the mean over the point's seeds (common random numbers across
points, so seed noise does not masquerade as a parameter effect). Morris gives mu* (mean
absolute elementary effect, in the outcome's unit per unit of the sampled range) and sigma
(spread: interactions or non-linearity); Sobol gives first-order (S1) and total (ST) shares of
the outcome's variance, with 95 % bootstrap intervals.

``aimarket sensitivity DIR`` prints a table per outcome and writes ``sensitivity.csv`` and
``sensitivity.png`` into DIR.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from experiments import plots
from experiments.outcomes import (
    AnalysisError,
    analysis_defaults,
    default_outcomes,
    label,
    outcome_values,
)
from experiments.results import Results, load_results

MEASURES = {"morris": ("mu_star", "sigma", "mu"), "sobol": ("S1", "ST")}
INDEX_SCHEMA = {
    "intervention": pl.Utf8,
    "outcome": pl.Utf8,
    "year": pl.Utf8,
    "parameter": pl.Utf8,
    "method": pl.Utf8,
    "measure": pl.Utf8,
    "value": pl.Float64,
    "conf": pl.Float64,
}


def _design(results: Results) -> tuple[str, dict[str, Any], dict[str, Any], np.ndarray]:
    design = results.manifest.get("design") or {}
    kind = design.get("kind", "none")
    if kind not in MEASURES:
        raise AnalysisError(
            [
                f"{results.path}: sensitivity indices need a morris or sobol design; "
                f"this sweep's design is {kind!r}"
            ]
        )
    problem = design["problem"]
    cols = [f"sample.{name}" for name in problem["names"]]
    matrix = results.design.sort("point").select(cols).to_numpy().astype(float)
    return kind, design, problem, matrix


def indices(
    results: Results,
    outcomes: list[str] | None = None,
    years: list[str] | None = None,
    intervention: str | None = None,
    seed: int = 0,
    num_resamples: int = 1000,
) -> pl.DataFrame:
    """Morris or Sobol indices of each outcome, per intervention and year.

    Args:
        results: a sweep with a morris or sobol design.
        outcomes: metric names (default: the sweep's analysis outcomes, else key outcomes).
        years: "end" and/or years as strings (default: the sweep's analysis years).
        intervention: only this intervention (default: every one).
        seed: seed of SALib's bootstrap.
        num_resamples: bootstrap resamples for the intervals.

    Returns:
        Long table: ``intervention, outcome, year, parameter, method, measure, value, conf``
        (``conf``: half-width of the 95 % interval; NaN where SALib gives none). An outcome
        that does not vary across points has NaN Sobol indices.

    Raises:
        AnalysisError: design is not morris/sobol, unknown outcome, or design points without
            any finished run (rerun the sweep to fill them).
    """
    kind, design, problem, matrix = _design(results)
    outcomes = list(outcomes or default_outcomes(results))
    years = [str(y) for y in (years or analysis_defaults(results)["years"])]
    names = [intervention] if intervention else results.interventions
    if intervention and intervention not in results.interventions:
        raise AnalysisError([f"intervention {intervention!r} is not in this sweep"])
    values = outcome_values(results, outcomes, years)
    means = (
        values.filter(pl.col("value").is_finite())
        .group_by("intervention", "outcome", "year", "point")
        .agg(pl.col("value").mean())
    )
    n_points = matrix.shape[0]
    rows: list[dict[str, Any]] = []
    for name in names:
        for outcome in outcomes:
            for year in years:
                sub = means.filter(
                    (pl.col("intervention") == name)
                    & (pl.col("outcome") == outcome)
                    & (pl.col("year") == year)
                )
                y = np.full(n_points, np.nan)
                y[sub["point"].to_numpy()] = sub["value"].to_numpy()
                missing = int(np.isnan(y).sum())
                if missing == n_points:
                    continue  # e.g. a year the runs do not reach
                if missing:
                    raise AnalysisError(
                        [
                            f"{name}/{outcome}/{year}: {missing} of {n_points} design points have "
                            "no finished run with a finite value; rerun the sweep "
                            "(see failures.parquet)"
                        ]
                    )
                rows.extend(
                    _analyse(
                        kind, design, problem, matrix, y, seed, num_resamples, name, outcome, year
                    )
                )
    return pl.DataFrame(rows, schema=INDEX_SCHEMA)


def _analyse(
    kind: str,
    design: dict[str, Any],
    problem: dict[str, Any],
    matrix: np.ndarray,
    y: np.ndarray,
    seed: int,
    num_resamples: int,
    name: str,
    outcome: str,
    year: str,
) -> list[dict[str, Any]]:
    base = {"intervention": name, "outcome": outcome, "year": year, "method": kind}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if kind == "morris":
            from SALib.analyze import morris

            res = morris.analyze(
                problem,
                matrix,
                y,
                num_resamples=num_resamples,
                num_levels=int(design.get("levels", 4)),
                seed=seed,
            )
            conf = {"mu_star": res["mu_star_conf"]}
        else:
            from SALib.analyze import sobol

            if np.nanstd(y) == 0:
                nan = np.full(len(problem["names"]), np.nan)
                res = {"S1": nan, "ST": nan, "S1_conf": nan, "ST_conf": nan}
            else:
                res = sobol.analyze(
                    problem,
                    y,
                    calc_second_order=bool(design.get("second_order", False)),
                    num_resamples=num_resamples,
                    seed=seed,
                )
            conf = {"S1": res["S1_conf"], "ST": res["ST_conf"]}
    out = []
    for measure in MEASURES[kind]:
        for j, param in enumerate(problem["names"]):
            c = conf.get(measure)
            out.append(
                {
                    **base,
                    "parameter": param,
                    "measure": measure,
                    "value": float(np.asarray(res[measure])[j]),
                    "conf": float(np.asarray(c)[j]) if c is not None else float("nan"),
                }
            )
    return out


def _table(frame: pl.DataFrame, title: str, measures: tuple[str, ...]) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("parameter")
    for m in measures:
        table.add_column(m, justify="right")
    wide: dict[str, dict[str, str]] = {}
    for r in frame.iter_rows(named=True):
        cell = "-" if not np.isfinite(r["value"]) else f"{r['value']:.3g}"
        if np.isfinite(r["conf"]):
            cell += f" ± {r['conf']:.2g}"
        wide.setdefault(r["parameter"], {})[r["measure"]] = cell
    lead = measures[0]
    ranked = frame.filter(pl.col("measure") == lead).sort("value", descending=True, nulls_last=True)
    for param in ranked["parameter"]:
        table.add_row(param, *(wide[param].get(m, "-") for m in measures))
    return table


def main(args: argparse.Namespace) -> int:
    """``aimarket sensitivity DIR``: tables in the terminal, CSV and plot into DIR."""
    root = Path(args.dir)
    results = load_results(root)
    frame = indices(results)
    if frame.height == 0:
        raise AnalysisError([f"{root}: no outcome could be analysed (no finished runs?)"])
    method = frame["method"][0]
    console = Console(width=160)
    for (name, outcome, year), sub in frame.group_by(
        "intervention", "outcome", "year", maintain_order=True
    ):
        console.print(_table(sub, f"{name}: {label(str(outcome))} ({year})", MEASURES[method]))
    if method == "morris":
        console.print("mu*: mean |elementary effect| (outcome units across the range); ± 95 % CI")
    else:
        console.print("S1 first-order, ST total share of variance; ± 95 % CI half-width")
    frame.write_csv(root / "sensitivity.csv")
    outcomes = list(dict.fromkeys(frame["outcome"].to_list()))
    first = frame.filter(pl.col("intervention") == frame["intervention"][0])
    plots.save(
        plots.sensitivity_figure(first, {o: label(o) for o in outcomes}), root / "sensitivity.png"
    )
    console.print(f"wrote {root / 'sensitivity.csv'}, {root / 'sensitivity.png'}")
    return 0
