"""Compute: where the world's AI chips are installed, and how chips reach China.

Top: ``compute_share.<R>`` — share of installed AI compute (H100e, leaked chips included)
located in each region, stacked to 100 %. Bottom: chips delivered into China each quarter,
in millions of H100e, split into domestic vendors (``cn_chips_domestic_h100e``), licensed
imports (``cn_chips_imported_h100e``) and grey-channel leakage (``cn_chips_leaked_h100e``).
Export controls show as imports falling to zero and, unless enforcement is perfect, leakage
taking part of their place.
"""

from __future__ import annotations

from typing import Any

import solara

from abm.regions import REGIONS
from viz.components.chart import (
    REGION_COLOURS,
    REGION_LABELS,
    Chart,
    ViewCard,
    base_option,
    clean,
    fmt,
    two_panels,
)
from viz.state import Snapshot

CHINA_CHIPS: tuple[tuple[str, str, str], ...] = (
    ("cn_chips_domestic_h100e", "domestic (Chinese vendors)", "#b22222"),
    ("cn_chips_imported_h100e", "imported (licensed)", "#1f5fae"),
    ("cn_chips_leaked_h100e", "leaked (grey channels)", "#7f7f7f"),
)


def compute_option(snap: Snapshot) -> dict[str, Any]:
    """ECharts option: compute share by region above chips delivered into China."""
    m = snap.metrics
    quarters = m["quarter"].to_list() if m.height else []
    option = base_option()
    option.update(
        two_panels(quarters, "share of installed compute, %", "into China, million H100e/quarter")
    )
    option["yAxis"][0].update({"min": 0, "max": 100})
    series: list[dict[str, Any]] = []
    for region in REGIONS:
        values = m[f"compute_share.{region}"].to_list() if m.height else []
        series.append(
            {
                "name": REGION_LABELS[region],
                "type": "line",
                "stack": "compute",
                "areaStyle": {},
                "symbol": "none",
                "lineStyle": {"width": 0.5},
                "color": REGION_COLOURS[region],
                "data": clean([100.0 * v for v in values]),
            }
        )
    for column, label, colour in CHINA_CHIPS:
        values = m[column].to_list() if m.height else []
        series.append(
            {
                "name": label,
                "type": "bar",
                "stack": "china",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "color": colour,
                "barCategoryGap": "15%",
                "data": clean([v / 1e6 for v in values]),
            }
        )
    option["series"] = series
    return option


def h100e(value: float) -> str:
    """A number of H100e, short: 0, 950, 38.2 k, 1.39 M."""
    if value >= 1e6:
        return f"{value / 1e6:,.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:,.1f} k"
    return f"{value:,.0f}"


def compute_reading(snap: Snapshot) -> str:
    """One line: installed compute, the US and Chinese shares, and this quarter's chips into China."""
    if not snap.metrics.height:
        return "Installed compute by region appears after the first quarter."
    last = snap.metrics.row(-1, named=True)
    parts = [f"{h100e(last[c])} {label.split(' ')[0]}" for c, label, _ in CHINA_CHIPS]
    return (
        f"{snap.quarter}: {fmt(last['installed_h100e'])} H100e installed, "
        f"{100 * last['compute_share.US']:.0f} % in the US, {100 * last['compute_share.CN']:.0f} % in China. "
        f"Into China this quarter: {', '.join(parts)} H100e."
    )


@solara.component
def ComputeView(snapshot: Snapshot) -> solara.Element:
    """Card: compute by region and chips delivered into China."""
    option = solara.use_memo(lambda: compute_option(snapshot), [id(snapshot)])
    return ViewCard(
        "Compute by region and chips into China",
        "compute",
        compute_reading(snapshot),
        children=[Chart(option, "compute", height=380)],
    )
