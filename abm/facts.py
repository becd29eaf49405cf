"""Facts: the targets the baseline must reproduce, and how each is computed from a run.

``abm/data/facts.csv`` holds the project's facts table (from ``shared/FACTS.md``): every
target (T1-T12) with its value, band and source, and the inputs set from data. The model
never reads the targets; :func:`evaluate` computes each target's simulated statistic from a
run's metrics table, so validation compares like with like. Each statistic is a small pure
function of a metrics DataFrame, unit-tested on synthetic series with known answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from abm.data_tables import load_table


@dataclass(frozen=True)
class Fact:
    """One row of the facts table."""

    id: str
    kind: str  # "target" or "input"
    name: str
    metric: str
    period: str
    value: float
    low: float
    high: float
    unit: str
    source: str

    def passes(self, statistic: float) -> bool:
        """Whether a simulated statistic lies in the band (inclusive)."""
        return bool(np.isfinite(statistic) and self.low <= statistic <= self.high)


@cache
def load_facts() -> tuple[Fact, ...]:
    """All rows of the facts table."""
    return tuple(Fact(**row) for row in load_table("facts"))


def targets() -> tuple[Fact, ...]:
    """The targets (kind == "target"), in table order."""
    return tuple(f for f in load_facts() if f.kind == "target")


def fact(fact_id: str) -> Fact:
    """One fact by id."""
    return next(f for f in load_facts() if f.id == fact_id)


# ---- building blocks ----------------------------------------------------------------------------


def _years(metrics: pl.DataFrame) -> np.ndarray:
    return np.array([int(q[:4]) for q in metrics["quarter"].to_list()])


def growth_per_year(metrics: pl.DataFrame, column: str, first_year: int, last_year: int) -> float:
    """Yearly growth factor of a positive series: 10 ** slope of a least-squares fit of
    log10(value) on time (years), over the quarters of ``first_year``..``last_year``."""
    years = _years(metrics)
    sel = (years >= first_year) & (years <= last_year)
    y = metrics[column].to_numpy()[sel]
    keep = y > 0
    if keep.sum() < 2:
        return float("nan")
    t = np.arange(sel.sum())[keep] / 4.0
    slope = np.polyfit(t, np.log10(y[keep]), 1)[0]
    return float(10.0**slope)


def value_at(metrics: pl.DataFrame, column: str, quarter: str) -> float:
    """Value of a column in one quarter (NaN if that quarter was not simulated)."""
    rows = metrics.filter(pl.col("quarter") == quarter)
    return float(rows[column][0]) if rows.height else float("nan")


def year_last(metrics: pl.DataFrame, column: str, year: int) -> float:
    """Value in the last simulated quarter of a year."""
    sel = _years(metrics) == year
    return float(metrics[column].to_numpy()[sel][-1]) if sel.any() else float("nan")


def year_mean(metrics: pl.DataFrame, column: str, year: int) -> float:
    """Mean over the quarters of a year."""
    sel = _years(metrics) == year
    return float(metrics[column].to_numpy()[sel].mean()) if sel.any() else float("nan")


def year_median(metrics: pl.DataFrame, column: str, year: int) -> float:
    """Median over the quarters of a year."""
    sel = _years(metrics) == year
    return float(np.median(metrics[column].to_numpy()[sel])) if sel.any() else float("nan")


def period_sum(metrics: pl.DataFrame, column: str, first_year: int, last_year: int) -> float:
    """Sum of a per-quarter flow over whole years."""
    years = _years(metrics)
    sel = (years >= first_year) & (years <= last_year)
    return float(metrics[column].to_numpy()[sel].sum()) if sel.any() else float("nan")


def ratio_of_sums(
    metrics: pl.DataFrame, numerator: str, denominator: str, first_year: int, last_year: int
) -> float:
    """Sum of one flow over sum of another, over whole years."""
    den = period_sum(metrics, denominator, first_year, last_year)
    return period_sum(metrics, numerator, first_year, last_year) / den if den > 0 else float("nan")


def cn_domestic_share(metrics: pl.DataFrame, year: int) -> float:
    """Domestic vendors' share of chips delivered into China over a year (H100e-weighted)."""
    dom = period_sum(metrics, "cn_chips_domestic_h100e", year, year)
    total = (
        dom
        + period_sum(metrics, "cn_chips_imported_h100e", year, year)
        + period_sum(metrics, "cn_chips_leaked_h100e", year, year)
    )
    return dom / total if total > 0 else float("nan")


LOCATED_US = "compute_share_located.US"
"""Derived column: the US share of AI compute by location (see :func:`with_location`)."""


def with_location(metrics: pl.DataFrame, us_operated_abroad: float | None = None) -> pl.DataFrame:
    """The metrics with :data:`LOCATED_US`, the US share of AI compute by *location*, estimated
    from the shares by owner's home region that the model records.

    Outside the US and China, US companies operate ``us_operated_abroad`` (facts row I17: 48 %,
    by investment value) of all data-centre capacity, so for every unit owned by firms of the
    allies, the Gulf and the rest of the world, US owners run ``I17 / (1 - I17)`` units there
    too; that much leaves the US share. Compute of owners outside the US is taken to sit at
    home (China's in China), and foreign owners' compute inside the US is not counted.
    """
    k = fact("I17").value if us_operated_abroad is None else us_operated_abroad
    abroad = (
        pl.col("compute_share.ALLY") + pl.col("compute_share.GULF") + pl.col("compute_share.ROW")
    )
    return metrics.with_columns(
        (pl.col("compute_share.US") - k / (1.0 - k) * abroad).alias(LOCATED_US)
    )


def ai_share_of_venture(metrics: pl.DataFrame, year: int, non_ai_busd: float) -> float:
    """Simulated AI venture funding of a year over itself plus real non-AI venture funding."""
    ai = year_last(metrics, "vc_funding_total", year)
    return ai / (ai + non_ai_busd)


# ---- the target statistics ----------------------------------------------------------------------

TARGET_STATISTICS: dict[str, Callable[[pl.DataFrame], float]] = {
    "T1": lambda m: growth_per_year(m, "max_training_flop", 2020, 2025),
    "T2": lambda m: growth_per_year(m, "max_training_cost", 2020, 2025),
    "T3": lambda m: value_at(m, "max_training_flop", "2025Q2"),
    "T4": lambda m: value_at(m, "n_labs_above_1e25", "2025Q2"),
    "T5a": lambda m: value_at(with_location(m), LOCATED_US, "2025Q2"),
    "T5b": lambda m: value_at(m, "compute_share.CN", "2025Q2"),
    "T6": lambda m: year_mean(m, "us_cn_gap_years", 2025),
    "T7a": lambda m: cn_domestic_share(m, 2023),
    "T7b": lambda m: cn_domestic_share(m, 2025),
    "T8a": lambda m: ratio_of_sums(
        m, "vendor_cn_h100e.NVIDIA", "vendor_shipped_h100e.NVIDIA", 2022, 2025
    ),
    "T8b": lambda m: ratio_of_sums(
        m, "vendor_cn_revenue.NVIDIA", "vendor_revenue.NVIDIA", 2022, 2025
    ),
    "T9a": lambda m: period_sum(m, "vendor_revenue.NVIDIA", 2023, 2023),
    "T9b": lambda m: period_sum(m, "vendor_revenue.NVIDIA", 2024, 2024),
    "T9c": lambda m: period_sum(m, "vendor_revenue.NVIDIA", 2025, 2025),
    "T10a": lambda m: value_at(m, "hhi_compute_top5", "2025Q4"),
    "T10b": lambda m: value_at(m, "top1_compute_share_top5", "2025Q4"),
    "T11a": lambda m: year_median(m, "leader_valuation", 2023),
    "T11b": lambda m: year_median(m, "leader_valuation", 2025),
    "T12a": lambda m: value_at(m, "vc_funding_total", "2024Q4"),
    "T12b": lambda m: (
        ai_share_of_venture(m, 2024, fact("I2").value)
        - ai_share_of_venture(m, 2022, fact("I1").value)
    ),
}


def evaluate(metrics: pl.DataFrame) -> dict[str, float]:
    """Every target's simulated statistic for one run."""
    return {fid: float(fn(metrics)) for fid, fn in TARGET_STATISTICS.items()}
