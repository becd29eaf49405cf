"""The investment network: who put capital into whom over the last four quarters.

Drawn from :func:`viz.network_view.network_view`: the largest nodes by capital through them
(equity stakes and chip purchases), every other agent grouped into one node per region,
fixed positions by bloc (US-led bloc left, China right, Gulf and rest of world between).
Colour is the region, size the capital, line width the amount; orange dashed lines join
China and the US-led bloc. When export controls and screening bite, those lines thin out and
the two sides separate. Clicking a node opens it in the inspector.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import solara

from abm.regions import REGIONS
from viz.components.chart import REGION_COLOURS, REGION_LABELS, Chart, ViewCard, fmt
from viz.network_view import NetworkView
from viz.state import Snapshot

SYMBOLS: dict[str, str] = {
    "Lab": "circle",
    "VentureFund": "triangle",
    "SovereignFund": "diamond",
    "Hyperscaler": "rect",
    "ChipVendor": "roundRect",
    "grouped": "pin",
}
BLOC_LABELS: tuple[tuple[str, float, float], ...] = (
    ("US-led bloc", -1.0, 1.2),
    ("China", 1.05, 1.2),
    ("Gulf and rest of world", 0.05, 1.25),
)
NAMED_NODES = 14
"""Largest nodes whose names are always shown."""
SCALE_X, SCALE_Y = 420.0, 300.0


def network_option(view: NetworkView) -> dict[str, Any]:
    """ECharts option: a graph series with fixed positions, one category per region."""
    max_capital = max((n.capital_busd for n in view.nodes), default=1.0) or 1.0
    max_edge = max((e.amount_busd for e in view.edges), default=1.0) or 1.0
    ranked = sorted(view.nodes, key=lambda n: n.capital_busd, reverse=True)
    named = {n.id for n in ranked[:NAMED_NODES]}
    data: list[dict[str, Any]] = []
    for node in view.nodes:
        data.append(
            {
                "id": node.id,
                "name": node.name,
                "x": round(node.x * SCALE_X, 1),
                "y": round(-node.y * SCALE_Y, 1),
                "value": round(node.capital_busd, 2),
                "category": REGIONS.index(node.region) if node.region in REGIONS else 4,
                "symbol": SYMBOLS.get(node.type, "circle"),
                "symbolSize": round(5 + 34 * math.sqrt(node.capital_busd / max_capital), 1),
                "label": {"show": node.id in named},
            }
        )
    for text, x, y in BLOC_LABELS:
        data.append(
            {
                "id": f"bloc-{text}",
                "name": text,
                "x": x * SCALE_X,
                "y": -y * SCALE_Y,
                "symbolSize": 0,
                "label": {
                    "show": True,
                    "position": "inside",
                    "fontSize": 13,
                    "fontWeight": "bold",
                    "color": "#555",
                },
                "tooltip": {"show": False},
            }
        )
    links = [
        {
            "source": e.source,
            "target": e.target,
            "value": round(e.amount_busd, 3),
            "lineStyle": {
                "width": round(0.4 + 6 * math.sqrt(e.amount_busd / max_edge), 2),
                "type": "dashed" if e.cross_bloc else "solid",
                "color": "#e67e22" if e.cross_bloc else "#8a9bb0",
                "opacity": 0.75 if e.cross_bloc else 0.45,
            },
        }
        for e in view.edges
    ]
    return {
        "animation": False,
        "tooltip": {"trigger": "item", "confine": True},
        "legend": [
            {
                "data": [REGION_LABELS[r] for r in REGIONS],
                "top": 0,
                "textStyle": {"fontSize": 11},
            }
        ],
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "top": 40,
                "bottom": 10,
                "categories": [
                    {"name": REGION_LABELS[r], "itemStyle": {"color": REGION_COLOURS[r]}}
                    for r in REGIONS
                ],
                "data": data,
                "links": links,
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 5,
                "lineStyle": {"curveness": 0.12},
                "labelLayout": {"hideOverlap": True},
                "label": {"position": "right", "fontSize": 10, "color": "#222"},
                "emphasis": {"focus": "adjacency", "lineStyle": {"opacity": 1}},
            }
        ],
    }


def network_reading(snap: Snapshot) -> str:
    """One line: capital in the window, the share crossing blocs, and the bloc modularity."""
    view = snap.network
    if view.total_busd <= 0:
        return "Capital flows appear as rounds close and chips ship."
    share = 100 * view.cross_bloc_busd / view.total_busd
    text = (
        f"Last {view.window_quarters} quarters to {snap.quarter}: ${fmt(view.total_busd)} B of "
        f"equity and chip purchases, {share:.1f} % between China and the US-led bloc "
        "(orange, dashed)"
    )
    if snap.metrics.height:
        last = snap.metrics.row(-1, named=True)
        text += (
            f"; China's flows with the US-led bloc {100 * last['cross_bloc_capital_share']:.0f} %, "
            f"bloc modularity {last['network_modularity_bloc']:.2f}"
        )
    shown = sum(1 for n in view.nodes if n.uid >= 0)
    grouped = sum(n.members for n in view.nodes if n.uid < 0)
    return (
        text + f". {shown} largest nodes shown, {grouped:,} others grouped by region "
        "(circle lab, triangle venture fund, diamond sovereign, square cloud, rounded vendor)."
    )


def clicked_uid(event: dict[str, Any]) -> int | None:
    """Unique id of the agent behind a clicked node, if it is one (not a group or a label)."""
    if not isinstance(event, dict) or event.get("dataType") != "node":
        return None
    data = event.get("data") or {}
    node_id = str(data.get("id", ""))
    if node_id.startswith("a") and node_id[1:].isdigit():
        return int(node_id[1:])
    return None


@solara.component
def NetworkViewCard(
    snapshot: Snapshot, on_select: Callable[[int], None] | None = None
) -> solara.Element:
    """Card: the investment network; clicking an agent's node calls ``on_select(uid)``."""
    option = solara.use_memo(lambda: network_option(snapshot.network), [id(snapshot)])

    def on_click(event: dict[str, Any]) -> None:
        uid = clicked_uid(event)
        if uid is not None and on_select is not None:
            on_select(uid)

    return ViewCard(
        "Investment network (last 4 quarters)",
        "network",
        network_reading(snapshot),
        children=[Chart(option, "network", height=520, on_click=on_click)],
    )
