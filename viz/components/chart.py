"""The frame every view shares: a titled card with a one-line reading and an ECharts figure.

Charts are drawn in the browser by ECharts (served locally from ``solara-assets``): the server
only builds a small option dictionary per step, so redrawing is cheap and the charts keep
their tooltips and zoom. Option builders in the view modules are plain functions of a
:class:`viz.state.Snapshot`, tested without a browser. Animation is off: the live page
replaces the option every quarter.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import solara

REGION_COLOURS: dict[str, str] = {
    "US": "#1f5fae",
    "ALLY": "#5aa9e6",
    "CN": "#d1342f",
    "GULF": "#c9a227",
    "ROW": "#7f8c8d",
}
REGION_LABELS: dict[str, str] = {
    "US": "United States",
    "ALLY": "Allies",
    "CN": "China",
    "GULF": "Gulf",
    "ROW": "Rest of world",
}
SERIES_COLOURS: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
)
OTHERS_COLOUR = "#c7c7c7"


def clean(values: Sequence[float], *, zero_is_missing: bool = False) -> list[float | None]:
    """Values ready for JSON: NaN and infinities (and zeros, if asked) become gaps."""
    out: list[float | None] = []
    for v in values:
        if v is None or not math.isfinite(v) or (zero_is_missing and v == 0.0):
            out.append(None)
        else:
            out.append(round(float(v), 6))
    return out


def base_option(title: str | None = None) -> dict[str, Any]:
    """Options shared by every chart (no animation, axis tooltip, compact legend)."""
    option: dict[str, Any] = {
        "animation": False,
        "tooltip": {"trigger": "axis", "confine": True},
        "legend": {"type": "scroll", "top": 0, "left": "center", "textStyle": {"fontSize": 11}},
        "textStyle": {"fontFamily": "Roboto, sans-serif"},
    }
    if title:
        option["title"] = {"text": title, "textStyle": {"fontSize": 13}}
    return option


def two_panels(
    quarters: Sequence[str], top_name: str, bottom_name: str, split: float = 0.58
) -> dict[str, Any]:
    """Two stacked plot areas sharing the quarter axis: grids, x axes and y axes."""
    q = list(quarters)
    top_height = f"{int(split * 100) - 16}%"
    return {
        "grid": [
            {"left": 58, "right": 18, "top": 48, "height": top_height},
            {"left": 58, "right": 18, "top": f"{int(split * 100) + 6}%", "bottom": 28},
        ],
        "xAxis": [
            {"type": "category", "data": q, "gridIndex": 0, "axisLabel": {"show": False}},
            {"type": "category", "data": q, "gridIndex": 1},
        ],
        "yAxis": [
            {
                "type": "value",
                "gridIndex": 0,
                "name": top_name,
                "nameTextStyle": {"align": "left"},
            },
            {
                "type": "value",
                "gridIndex": 1,
                "name": bottom_name,
                "nameTextStyle": {"align": "left"},
            },
        ],
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
    }


def fmt(value: float, digits: int = 1) -> str:
    """Readable number: thousands separators, M/B suffixes for large values."""
    if not math.isfinite(value):
        return "n/a"
    for size, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M")):
        if abs(value) >= size:
            return f"{value / size:,.{digits}f}{suffix}"
    return f"{value:,.{digits}f}"


@solara.component
def Chart(
    option: dict[str, Any],
    view: str,
    height: int = 340,
    on_click: Callable[[Any], None] | None = None,
) -> solara.Element:
    """An ECharts figure; ``view`` names it in the page (CSS class ``aimarket-chart-<view>``)."""
    return solara.FigureEcharts(
        option=option,
        on_click=on_click,
        attributes={
            "style": f"height: {height}px; width: 100%;",
            "class": f"aimarket-chart aimarket-chart-{view}",
        },
        responsive=True,
    )


@solara.component
def ViewCard(
    title: str, view: str, reading: str, children: list[solara.Element] | None = None
) -> solara.Element:
    """A titled card holding one view; ``reading`` is the one-line summary under the title."""
    with solara.Card(title, classes=["aimarket-view", f"aimarket-view-{view}"], margin=0) as card:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(reading),
            classes=["aimarket-reading", f"aimarket-reading-{view}"],
            style="font-size: 13px; color: #444; min-height: 20px;",
        )
        solara.Column(children=children or [], margin=0, gap="0px")
    return card
