"""Terminal tables of a run's metrics (rich)."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table

YEARLY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (metric, header, format)
    ("max_training_flop", "largest run FLOP", "{:.1e}"),
    ("max_training_cost", "run cost $B", "{:.2f}"),
    ("n_frontier_labs", "frontier labs", "{:.0f}"),
    ("hhi_revenue", "HHI rev", "{:.0f}"),
    ("top3_revenue_share", "top-3 rev", "{:.0%}"),
    ("vc_funding_total", "funding $B/yr", "{:.1f}"),
    ("startups_funded", "labs funded", "{:.0f}"),
    ("top5_funding_share", "top-5 funding", "{:.0%}"),
    ("compute_share.US", "US compute", "{:.0%}"),
    ("compute_share.CN", "CN compute", "{:.0%}"),
    ("cn_domestic_chip_share", "CN domestic chips", "{:.0%}"),
    ("us_cn_gap_years", "US-CN gap yr", "{:.1f}"),
    ("leader_valuation", "leader $B", "{:.0f}"),
    ("total_ai_revenue", "AI revenue $B/q", "{:.1f}"),
)


def yearly(metrics: pl.DataFrame) -> pl.DataFrame:
    """Last quarter of each year (Q4, or the last simulated quarter of a partial year)."""
    return (
        metrics.with_columns(pl.col("quarter").str.slice(0, 4).cast(pl.Int32).alias("year"))
        .group_by("year", maintain_order=True)
        .last()
    )


def print_yearly_table(
    metrics: pl.DataFrame, title: str = "", console: Console | None = None
) -> None:
    """Print the compact yearly table of the key metrics."""
    table = Table(title=title, header_style="bold")
    table.add_column("year", justify="right")
    for _, header, _ in YEARLY_COLUMNS:
        table.add_column(header, justify="right")
    for row in yearly(metrics).iter_rows(named=True):
        table.add_row(str(row["year"]), *(fmt.format(row[name]) for name, _, fmt in YEARLY_COLUMNS))
    (console or Console(width=220)).print(table)
