"""The capital market's yearly series against reported figures: reported, never targeted.

The validation report prints the capital market's own series (``CAPITAL_SERIES`` of
:mod:`experiments.validate`) from 2020 to 2030 so that a reader can judge whether capital
concentrates as the last five years suggest. ``abm/data/capital_market_figures.csv`` gives the
few reported yearly figures of the same quantities, each with its source; this module sets the
model's median and 10-90 % range beside each. Nothing here feeds the model or the fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from abm.data_tables import load_table
from experiments.reported import ReportedRow


@dataclass(frozen=True)
class CapitalFigure:
    """One reported yearly figure of a capital-market series."""

    series: str
    year: int
    value: float
    unit: str
    source: str


def load_figures(known: Sequence[str]) -> tuple[CapitalFigure, ...]:
    """The rows of ``abm/data/capital_market_figures.csv``; each must name a series in
    ``known`` (the report's capital series)."""
    out = []
    for r in load_table("capital_market_figures"):
        f = CapitalFigure(r["series"], r["year"], r["value"], r["unit"], r["source"])
        if f.series not in known:
            raise ValueError(
                f"capital_market_figures.csv: series {f.series!r} ({f.year}) not one of the "
                f"report's capital series {tuple(known)}"
            )
        out.append(f)
    return tuple(out)


@dataclass(frozen=True)
class CapitalRow(ReportedRow):
    """A reported figure and the model's yearly value across seeds."""


def compare(
    figures: Sequence[CapitalFigure], quantiles: Callable[[str], pl.DataFrame]
) -> list[CapitalRow]:
    """Each figure beside the model's quantiles of its series in its year (NaN if the runs do
    not reach that year). ``quantiles(series)`` returns columns year, p10, p50, p90."""
    rows = []
    for f in figures:
        q = quantiles(f.series).filter(pl.col("year") == f.year)
        if q.height:
            rows.append(CapitalRow(f, q["p50"][0], q["p10"][0], q["p90"][0]))
        else:
            rows.append(CapitalRow(f, np.nan, np.nan, np.nan))
    return rows


def markdown(rows: Sequence[CapitalRow], fmt) -> list[str]:
    """Lines of the report's table (``fmt`` formats a number)."""
    lines = [
        "| series | year | reported | unit | model median | 10-90 % | model / reported | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r.figure
        lines.append(
            f"| {f.series} | {f.year} | {fmt(f.value)} | {f.unit} | {fmt(r.median)} | "
            f"{fmt(r.p10)}-{fmt(r.p90)} | {fmt(r.ratio)} | {f.source} |"
        )
    return lines
