"""Capability: the frontier of each region and the US-China gap in years.

Top: ``frontier_capability.<R>`` — the best model of the region's alive labs, in log10
effective training FLOP (a region with no model lab yet is a gap in its line). Bottom:
``us_cn_gap_years`` — the US frontier minus China's, divided by how fast the global frontier
has been growing (orders of magnitude per year over the last two years): how many years
China is behind. Negative means China leads.
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
    two_panels,
)
from viz.state import Snapshot


def capability_option(snap: Snapshot) -> dict[str, Any]:
    """ECharts option: frontier capability by region above the US-China gap in years."""
    m = snap.metrics
    quarters = m["quarter"].to_list() if m.height else []
    option = base_option()
    option.update(
        two_panels(quarters, "frontier, log10 effective FLOP", "US lead over China, years")
    )
    option["yAxis"][0]["scale"] = True
    series: list[dict[str, Any]] = []
    for region in REGIONS:
        column = f"frontier_capability.{region}"
        values = m[column].to_list() if m.height else []
        series.append(
            {
                "name": REGION_LABELS[region],
                "type": "line",
                "symbol": "none",
                "color": REGION_COLOURS[region],
                "lineStyle": {"width": 2.5 if region in ("US", "CN") else 1.2},
                "data": clean(values, zero_is_missing=True),
            }
        )
    series.append(
        {
            "name": "US-China gap (years)",
            "type": "line",
            "xAxisIndex": 1,
            "yAxisIndex": 1,
            "symbol": "none",
            "color": "#6a3d9a",
            "areaStyle": {"opacity": 0.15},
            "data": clean(m["us_cn_gap_years"].to_list() if m.height else []),
            "markLine": {
                "silent": True,
                "symbol": "none",
                "lineStyle": {"color": "#999"},
                "label": {"show": False},
                "data": [{"yAxis": 0}],
            },
        }
    )
    option["series"] = series
    return option


def capability_reading(snap: Snapshot) -> str:
    """One line: the US and Chinese frontier and the gap."""
    if not snap.metrics.height:
        return "Frontier capability by region appears after the first quarter."
    last = snap.metrics.row(-1, named=True)
    us, cn = last["frontier_capability.US"], last["frontier_capability.CN"]
    gap = last["us_cn_gap_years"]
    lead = f"the US leads by {gap:.1f} years" if gap >= 0 else f"China leads by {-gap:.1f} years"
    return f"{snap.quarter}: US frontier {us:.1f}, China {cn:.1f} log10 effective FLOP; {lead}."


@solara.component
def CapabilityView(snapshot: Snapshot) -> solara.Element:
    """Card: frontier capability by region and the US-China gap."""
    option = solara.use_memo(lambda: capability_option(snapshot), [id(snapshot)])
    return ViewCard(
        "Frontier capability by region",
        "capability",
        capability_reading(snapshot),
        children=[Chart(option, "capability", height=380)],
    )
