"""The event feed: rule changes, acquisitions, failures and the largest rounds, newest first.

Rendered as one block of escaped HTML (a single widget update per quarter rather than one
widget per line). Lines come from :mod:`viz.feed`.
"""

from __future__ import annotations

import html

import solara

from viz.components.chart import ViewCard
from viz.feed import FeedItem
from viz.state import Snapshot

KIND_STYLE: dict[str, tuple[str, str]] = {
    "rule_change": ("rule", "#6a3d9a"),
    "acquisition": ("acquisition", "#1f77b4"),
    "acquisition_blocked": ("blocked", "#17becf"),
    "bankruptcy": ("failure", "#d62728"),
    "round": ("round", "#2ca02c"),
    "summary": ("quarter", "#555555"),
}
SHOWN = 60


def feed_html(items: tuple[FeedItem, ...]) -> str:
    """The feed as HTML; every model-provided string is escaped."""
    if not items:
        return "<div style='color:#777'>Events appear here as the run advances.</div>"
    rows = []
    for item in items[:SHOWN]:
        label, colour = KIND_STYLE.get(item.kind, (item.kind, "#555"))
        weight = "600" if item.kind == "summary" else "400"
        rows.append(
            "<div class='aimarket-event' style='padding:2px 0;border-bottom:1px solid #eee;"
            f"font-weight:{weight}'>"
            f"<span style='display:inline-block;min-width:74px;font-size:11px;color:#fff;"
            f"background:{colour};border-radius:3px;padding:0 4px;margin-right:6px;"
            f"text-align:center'>{html.escape(label)}</span>"
            f"<span style='color:#777;margin-right:6px'>{html.escape(item.quarter)}</span>"
            f"{html.escape(item.text)}</div>"
        )
    return "".join(rows)


@solara.component
def EventFeed(snapshot: Snapshot) -> solara.Element:
    """Card: the latest notable events."""
    body = solara.use_memo(lambda: feed_html(snapshot.feed), [id(snapshot)])
    n_events = snapshot.events.height
    return ViewCard(
        "Event feed",
        "events",
        f"{n_events:,} events logged so far; the feed lists the notable ones.",
        children=[
            solara.HTML(
                tag="div",
                unsafe_innerHTML=body,
                classes=["aimarket-feed"],
                style="height: 330px; overflow-y: auto; font-size: 12.5px;",
            )
        ],
    )
