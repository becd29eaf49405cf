"""Market structure: who earns model labs' revenue, and how concentrated it is.

Top: revenue shares over time as a stacked area, the labs with the highest peak share named
and every other model lab grouped. Bottom: the Herfindahl-Hirschman index of model-lab
revenue (``hhi_revenue``) with the 1,500 and 2,500 guide lines of the US merger guidelines
(moderately and highly concentrated).
"""

from __future__ import annotations

from typing import Any

import solara

from viz.components.chart import (
    OTHERS_COLOUR,
    SERIES_COLOURS,
    Chart,
    ViewCard,
    base_option,
    clean,
    two_panels,
)
from viz.state import Snapshot

HHI_GUIDES: tuple[tuple[float, str], ...] = ((1500.0, "moderate"), (2500.0, "high"))


def market_option(snap: Snapshot) -> dict[str, Any]:
    """ECharts option: stacked revenue shares (%) above the HHI with its guide lines."""
    shares = snap.shares
    option = base_option()
    option.update(
        two_panels(
            shares.quarters,
            "share of model-lab revenue, %",
            "HHI; dashed: 1,500 moderately, 2,500 highly concentrated",
        )
    )
    option["yAxis"][0].update({"max": 100, "min": 0})
    option["yAxis"][1].update({"min": 0, "max": 10000})
    series: list[dict[str, Any]] = []
    for i, (name, values) in enumerate(shares.named):
        series.append(
            {
                "name": name,
                "type": "line",
                "stack": "share",
                "areaStyle": {},
                "symbol": "none",
                "lineStyle": {"width": 0.5},
                "color": SERIES_COLOURS[i % len(SERIES_COLOURS)],
                "data": clean([100.0 * v for v in values]),
            }
        )
    series.append(
        {
            "name": "other labs",
            "type": "line",
            "stack": "share",
            "areaStyle": {},
            "symbol": "none",
            "lineStyle": {"width": 0.5},
            "color": OTHERS_COLOUR,
            "data": clean([100.0 * v for v in shares.others]),
        }
    )
    hhi = snap.metrics["hhi_revenue"].to_list() if snap.metrics.height else []
    series.append(
        {
            "name": "HHI",
            "type": "line",
            "xAxisIndex": 1,
            "yAxisIndex": 1,
            "symbol": "none",
            "color": "#222",
            "data": clean(hhi),
            "markLine": {
                "silent": True,
                "symbol": "none",
                "lineStyle": {"type": "dashed", "color": "#999"},
                "label": {"show": False},
                "data": [{"yAxis": y, "name": f"{y:,.0f} {label}"} for y, label in HHI_GUIDES],
            },
        }
    )
    option["series"] = series
    return option


def market_reading(snap: Snapshot) -> str:
    """One line: the quarter's HHI, the top three's share and the leader."""
    if not snap.metrics.height:
        return "Press Play or Step to start the run."
    last = snap.metrics.row(-1, named=True)
    text = f"{snap.quarter}: HHI {last['hhi_revenue']:,.0f}; top 3 earn {100 * last['top3_revenue_share']:.0f} % of model-lab revenue"
    latest = [(values[-1], name) for name, values in snap.shares.named if values]
    if latest:
        share, name = max(latest)
        text += f"; leader {name} ({100 * share:.0f} %)"
    return text + "."


@solara.component
def MarketView(snapshot: Snapshot) -> solara.Element:
    """Card: lab market shares and the HHI."""
    option = solara.use_memo(lambda: market_option(snapshot), [id(snapshot)])
    return ViewCard(
        "Lab market shares and concentration",
        "market",
        market_reading(snapshot),
        children=[Chart(option, "market", height=380)],
    )
