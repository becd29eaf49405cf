"""Outcomes: the key results a comparison reports, named once and read the same way everywhere.

An outcome is a metric (a column of a run's quarterly table) read at a year — the last
simulated quarter of that year (Q4, or the last quarter of a partial year) — or at ``"end"``,
the last simulated quarter. ``compare``, ``sensitivity``, their plots and the browser app use
the names and labels below.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from abm import ScenarioError
from experiments.results import Results

KEY_OUTCOMES: dict[str, str] = {
    "hhi_revenue": "HHI of model-lab revenue (0-10,000)",
    "n_frontier_labs": "frontier labs (within 10x of the largest run)",
    "us_cn_gap_years": "US-China capability gap, years",
    "compute_share.CN": "China's share of installed AI compute",
    "cn_domestic_chip_share": "domestic vendors' share of chips into China",
    "cross_bloc_capital_share": "share of lab funding crossing the US/China divide",
    "top5_funding_share": "top-5 recipients' share of lab funding (4 quarters)",
}
DEFAULT_YEARS: tuple[str, ...] = ("2030", "end")
RUN_KEYS: tuple[str, ...] = ("run_id", "intervention", "point", "seed_index")


class AnalysisError(ScenarioError):
    """A comparison or sensitivity analysis was asked something the results cannot answer."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        ValueError.__init__(self, "cannot analyse these results:\n  " + "\n  ".join(problems))


def label(outcome: str) -> str:
    """Readable label of an outcome (the metric name when it is not a key outcome)."""
    return KEY_OUTCOMES.get(outcome, outcome)


def analysis_defaults(results: Results) -> dict[str, Any]:
    """The sweep file's ``[analysis]`` section (baseline, outcomes, years), with defaults."""
    spec = results.manifest.get("spec") or {}
    section = spec.get("analysis") or {}
    return {
        "baseline": section.get("baseline") or results.manifest.get("baseline"),
        "outcomes": section.get("outcomes"),
        "years": section.get("years") or list(DEFAULT_YEARS),
    }


def default_outcomes(results: Results) -> list[str]:
    """The sweep's chosen outcomes, else the key outcomes the sweep kept."""
    chosen = analysis_defaults(results)["outcomes"]
    if chosen:
        return list(chosen)
    return [o for o in KEY_OUTCOMES if o in results.metrics.columns]


def check_outcomes(results: Results, outcomes: list[str]) -> None:
    """Every outcome is a kept metric of the sweep."""
    missing = [o for o in outcomes if o not in results.metrics.columns]
    if missing:
        kept = [c for c in results.metrics.columns if c not in (*RUN_KEYS, "seed", "quarter")]
        raise AnalysisError(
            [
                f"outcome {o!r} is not among this sweep's metrics (kept: {', '.join(kept[:20])}"
                + (", ..." if len(kept) > 20 else "")
                + ")"
                for o in missing
            ]
        )


def outcome_values(results: Results, outcomes: list[str], years: list[str]) -> pl.DataFrame:
    """Each run's outcomes at each year, long format.

    Returns:
        Columns ``run_id, intervention, point, seed_index, year, outcome, value``; runs whose
        horizon does not reach a year have no row for it.
    """
    check_outcomes(results, outcomes)
    m = results.metrics.select(*RUN_KEYS, "quarter", *outcomes).with_columns(
        pl.col("quarter").str.slice(0, 4).alias("_year")
    )
    m = m.sort(["run_id", "quarter"])
    frames = []
    for year in years:
        sub = m if year == "end" else m.filter(pl.col("_year") == year)
        last = sub.group_by("run_id", maintain_order=True).last()
        frames.append(last.drop("quarter", "_year").with_columns(pl.lit(year).alias("year")))
    wide = pl.concat(frames, how="vertical")
    return wide.unpivot(
        index=[*RUN_KEYS, "year"], on=outcomes, variable_name="outcome", value_name="value"
    ).with_columns(pl.col("value").cast(pl.Float64))
