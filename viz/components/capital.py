"""Capital: who invests, and in which region's labs.

Top: investment over the last four quarters by investor type (USD B, stacked): venture funds,
sovereign funds (their stakes in labs and in domestic chip vendors), hyperscalers (stakes paid
in cloud credits) and chip vendors. Bottom: ``funding_by_region.<R>`` — equity raised by labs
in each region over the last four quarters. Sovereign funds and hyperscalers becoming the
marginal investors, and capital concentrating by region, show here.
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
from viz.history import INVESTOR_TYPES
from viz.state import Snapshot

INVESTOR_LABELS: dict[str, str] = {
    "VC": "venture funds",
    "sovereign": "sovereign funds",
    "hyperscaler": "hyperscalers",
    "vendor": "chip vendors",
}
INVESTOR_COLOURS: dict[str, str] = {
    "VC": "#2ca02c",
    "sovereign": "#8c564b",
    "hyperscaler": "#ff7f0e",
    "vendor": "#9467bd",
}


def capital_option(snap: Snapshot) -> dict[str, Any]:
    """ECharts option: investment by investor type above lab funding by region."""
    m = snap.metrics
    quarters = m["quarter"].to_list() if m.height else []
    option = base_option()
    option.update(
        two_panels(quarters, "by investor, USD B (last 4 quarters)", "into labs by region, USD B")
    )
    series: list[dict[str, Any]] = []
    for kind in INVESTOR_TYPES:
        series.append(
            {
                "name": INVESTOR_LABELS[kind],
                "type": "line",
                "stack": "investor",
                "areaStyle": {},
                "symbol": "none",
                "lineStyle": {"width": 0.5},
                "color": INVESTOR_COLOURS[kind],
                "data": clean(snap.capital_by_type.get(kind, ())),
            }
        )
    for region in REGIONS:
        values = m[f"funding_by_region.{region}"].to_list() if m.height else []
        series.append(
            {
                "name": REGION_LABELS[region],
                "type": "line",
                "stack": "region",
                "areaStyle": {"opacity": 0.6},
                "symbol": "none",
                "lineStyle": {"width": 0.5},
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "color": REGION_COLOURS[region],
                "data": clean(values),
            }
        )
    option["series"] = series
    return option


def capital_reading(snap: Snapshot) -> str:
    """One line: the last four quarters' investment and each investor type's part."""
    totals = {k: (v[-1] if v else 0.0) for k, v in snap.capital_by_type.items()}
    total = sum(totals.values())
    if not snap.metrics.height or total <= 0:
        return "Investment by investor type appears once rounds close."
    parts = ", ".join(
        f"{INVESTOR_LABELS[k]} {100 * totals[k] / total:.0f} %" for k in INVESTOR_TYPES
    )
    last = snap.metrics.row(-1, named=True)
    return (
        f"Last 4 quarters to {snap.quarter}: ${fmt(total)} B invested ({parts}); "
        f"labs raised ${fmt(last['vc_funding_total'])} B, "
        f"{last['startups_funded']:,.0f} labs funded, top 5 took {100 * last['top5_funding_share']:.0f} %."
    )


@solara.component
def CapitalView(snapshot: Snapshot) -> solara.Element:
    """Card: capital flows by investor type and by region."""
    option = solara.use_memo(lambda: capital_option(snapshot), [id(snapshot)])
    return ViewCard(
        "Capital flows by investor type and region",
        "capital",
        capital_reading(snapshot),
        children=[Chart(option, "capital", height=380)],
    )
