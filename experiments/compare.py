"""Comparing interventions with a baseline, paired by seed, with bootstrap confidence intervals.

Every intervention of a sweep runs with the same seeds at the same design points, so run
*k* of an intervention and run *k* of the baseline share their random draws (common random
numbers). The effect of an intervention on an outcome is the mean over pairs of
``intervention - baseline``; its confidence interval is the percentile interval of that mean
over bootstrap resamples of the pairs. ``aimarket compare DIR`` prints the table and writes
``effects.csv``, ``effects.png`` (effect sizes with CIs) and ``fans.png`` (10-50-90 % bands over
time per intervention) into DIR; sweeps with several design points also get
``effects_by_point.csv`` and ``effects_by_point.png``.
"""

from __future__ import annotations

import argparse
import zlib
from pathlib import Path

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

EFFECT_COLUMNS = (
    "intervention",
    "outcome",
    "year",
    "baseline_mean",
    "intervention_mean",
    "effect",
    "ci_low",
    "ci_high",
    "n_pairs",
)
BOOT_CHUNK = 256  # bootstrap resamples drawn at once (bounds memory for many pairs)


def bootstrap_ci(
    diffs: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``diffs`` (NaN for fewer than 2 values)."""
    n = diffs.size
    if n < 2 or n_boot < 1:
        return float("nan"), float("nan")
    means = np.empty(n_boot)
    for start in range(0, n_boot, BOOT_CHUNK):
        stop = min(n_boot, start + BOOT_CHUNK)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diffs[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(lo), float(hi)


def effects(
    results: Results,
    baseline: str = "baseline",
    outcomes: list[str] | None = None,
    years: list[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    *,
    by_point: bool = False,
    level: float = 0.95,
) -> pl.DataFrame:
    """Each intervention's effect on each outcome, paired by seed (and design point).

    Args:
        results: a sweep's results.
        baseline: the reference intervention.
        outcomes: metric names (default: the sweep's ``[analysis]`` outcomes, else the key
            outcomes).
        years: years as strings ("2030") and/or "end" (default: the sweep's, else 2030, end).
        n_boot: bootstrap resamples of the pairs.
        seed: seed of the bootstrap (each row's resampling depends only on it and the row).
        by_point: one row per design point as well (adds a ``point`` column).
        level: confidence level of the interval.

    Returns:
        Columns ``intervention, outcome, year, baseline_mean, intervention_mean, effect,
        ci_low, ci_high, n_pairs`` (in the outcome's unit; ``year`` a string), interventions
        in spec order. Pairs where either value is NaN or infinite are left out; rows without
        any pair are omitted.

    Raises:
        AnalysisError: unknown baseline or outcome.
    """
    names = results.interventions
    if baseline not in names:
        raise AnalysisError(
            [
                f"--baseline {baseline!r}: not an intervention of this sweep (have: {', '.join(names)})"
            ]
        )
    outcomes = list(outcomes or default_outcomes(results))
    years = [str(y) for y in (years or analysis_defaults(results)["years"])]
    values = outcome_values(results, outcomes, years)
    keys = ["point", "seed_index", "year", "outcome"]
    base = values.filter(pl.col("intervention") == baseline).select(
        *keys, pl.col("value").alias("_base")
    )
    paired = (
        values.filter(pl.col("intervention") != baseline)
        .join(base, on=keys, how="inner")
        .filter(pl.col("value").is_finite() & pl.col("_base").is_finite())
    )
    group = ["intervention", "outcome", "year"] + (["point"] if by_point else [])
    rows = []
    order = {
        "intervention": {n: i for i, n in enumerate(names)},
        "outcome": {o: i for i, o in enumerate(outcomes)},
        "year": {y: i for i, y in enumerate(years)},
    }
    for key, frame in paired.group_by(group):
        ident = dict(zip(group, key, strict=True))
        b = frame["_base"].to_numpy()
        v = frame["value"].to_numpy()
        d = v - b
        token = "|".join(str(ident[g]) for g in group)
        rng = np.random.default_rng([seed, zlib.crc32(token.encode())])
        lo, hi = bootstrap_ci(d, n_boot, rng, level)
        rows.append(
            {
                **ident,
                "baseline_mean": float(b.mean()),
                "intervention_mean": float(v.mean()),
                "effect": float(d.mean()),
                "ci_low": lo,
                "ci_high": hi,
                "n_pairs": int(d.size),
            }
        )
    schema = {
        "intervention": pl.Utf8,
        "outcome": pl.Utf8,
        "year": pl.Utf8,
        **({"point": pl.Int64} if by_point else {}),
        "baseline_mean": pl.Float64,
        "intervention_mean": pl.Float64,
        "effect": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "n_pairs": pl.Int64,
    }
    rows.sort(
        key=lambda r: (
            order["intervention"][r["intervention"]],
            order["outcome"][r["outcome"]],
            order["year"][r["year"]],
            r.get("point", 0),
        )
    )
    return pl.DataFrame(rows, schema=schema)


def fans(results: Results, metric: str) -> pl.DataFrame:
    """10th, 50th and 90th percentile of a metric per intervention and quarter, over runs.

    Returns:
        Columns ``intervention, quarter, p10, p50, p90`` (the metric's unit), interventions in
        spec order and quarters in time order. NaN and infinite values are left out.
    """
    if metric not in results.metrics.columns:
        raise AnalysisError([f"metric {metric!r} is not among this sweep's metrics"])
    col = pl.col(metric).filter(pl.col(metric).is_finite())
    out = results.metrics.group_by(["intervention", "quarter"]).agg(
        col.quantile(0.1, "linear").alias("p10"),
        col.quantile(0.5, "linear").alias("p50"),
        col.quantile(0.9, "linear").alias("p90"),
    )
    rank = {n: i for i, n in enumerate(results.interventions)}
    return (
        out.with_columns(
            pl.col("intervention").replace_strict(rank, default=len(rank)).alias("_rank")
        )
        .sort("_rank", "quarter")
        .drop("_rank")
        .select("intervention", "quarter", "p10", "p50", "p90")
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.3g}" if abs(x) < 1e5 else f"{x:.2e}"


def effects_table(frame: pl.DataFrame, title: str) -> Table:
    """A rich table of an effects frame; effects whose interval excludes 0 are marked *."""
    table = Table(title=title, header_style="bold", show_lines=False)
    extra = ["point"] if "point" in frame.columns else []
    for col in ["intervention", "outcome", "year", *extra]:
        table.add_column(col)
    for col in ("baseline", "intervention", "effect", "95 % CI", "pairs"):
        table.add_column(col, justify="right")
    last = None
    for r in frame.iter_rows(named=True):
        lo, hi = r["ci_low"], r["ci_high"]
        sig = np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0)
        effect = _fmt(r["effect"]) + (" *" if sig else "  ")
        name = r["intervention"] if r["intervention"] != last else ""
        last = r["intervention"]
        table.add_row(
            name,
            r["outcome"],
            r["year"],
            *[str(r[c]) for c in extra],
            _fmt(r["baseline_mean"]),
            _fmt(r["intervention_mean"]),
            effect,
            f"[{_fmt(lo)}, {_fmt(hi)}]",
            str(r["n_pairs"]),
        )
    return table


def main(args: argparse.Namespace) -> int:
    """``aimarket compare DIR [--baseline NAME]``: table in the terminal, plots into DIR."""
    root = Path(args.dir)
    results = load_results(root)
    defaults = analysis_defaults(results)
    baseline = args.baseline
    if baseline == "baseline" and "baseline" not in results.interventions and defaults["baseline"]:
        baseline = defaults["baseline"]
    outcomes = default_outcomes(results)
    years = defaults["years"]
    console = Console(width=200)
    if len(results.interventions) < 2:
        raise AnalysisError(
            [
                f"{root}: the sweep has one intervention ({results.interventions[0]}); nothing to compare"
            ]
        )
    counts = results.manifest.get("counts", {})
    if not results.complete:
        console.print(
            f"[yellow]note: {counts.get('failed', 0)} runs failed and {counts.get('missing', 0)} "
            "are missing; effects use the pairs present[/yellow]"
        )
    table = effects(results, baseline, outcomes, years)
    console.print(
        effects_table(
            table,
            f"{results.manifest.get('name', root.name)}: effect vs {baseline} (paired by seed)",
        )
    )
    console.print("* 95 % bootstrap interval excludes 0")
    table.write_csv(root / "effects.csv")
    plots.save(plots.effects_figure(table, {o: label(o) for o in outcomes}), root / "effects.png")
    fan_frames = {o: fans(results, o) for o in outcomes}
    plots.save(plots.fans_figure(fan_frames, {o: label(o) for o in outcomes}), root / "fans.png")
    written = ["effects.csv", "effects.png", "fans.png"]
    if results.design.height > 1:
        by_point = effects(results, baseline, outcomes, years, by_point=True)
        by_point = results.with_parameters(by_point)
        by_point.write_csv(root / "effects_by_point.csv")
        plots.save(
            plots.effects_by_point_figure(
                by_point, results.parameters, {o: label(o) for o in outcomes}
            ),
            root / "effects_by_point.png",
        )
        written += ["effects_by_point.csv", "effects_by_point.png"]
    console.print(f"wrote {', '.join(str(root / w) for w in written)}")
    return 0
