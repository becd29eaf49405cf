"""The inspector: pick a lab or an investor and see its history.

Model labs, venture funds, sovereign funds, clouds and chip vendors are recorded every quarter
by :class:`viz.history.AgentHistory`; the inspector charts those values, lists the agent's
events (rounds raised or led, completed training runs, acquisitions, failure) and its largest
capital counterparties. Application startups are not listed (thousands of them; their rounds
and failures are in the event feed). The search box only filters names; its text is never
evaluated.
"""

from __future__ import annotations

import html
import math
from typing import Any

import polars as pl
import solara

from viz.components.chart import REGION_COLOURS, SERIES_COLOURS, Chart, base_option, clean, fmt
from viz.history import FIELD_LABELS, AgentHistory, AgentRef
from viz.network_view import partners
from viz.state import LiveSession, Snapshot

KINDS: dict[str, str] = {
    "Labs": "Lab",
    "Venture funds": "VentureFund",
    "Sovereign funds": "SovereignFund",
    "Clouds": "Hyperscaler",
    "Chip vendors": "ChipVendor",
}
RANK_FIELD: dict[str, str] = {
    "Lab": "valuation",
    "VentureFund": "fund_size",
    "SovereignFund": "invested",
    "Hyperscaler": "installed_h100e",
    "ChipVendor": "revenue",
}
MONEY_FIELDS = frozenset(
    {"revenue", "valuation", "cash", "dry_powder", "fund_size", "paid_in", "invested"}
)
MAX_CHOICES = 40
MAX_SEARCH = 80


def candidates(history: AgentHistory, kind: str, search: str) -> list[AgentRef]:
    """Agents of one type whose name contains ``search``, largest first (at most 40)."""
    needle = search.strip().lower()[:MAX_SEARCH]
    field = RANK_FIELD[kind]
    refs = [
        r
        for r in history.refs.values()
        if r.type == kind and (not needle or needle in r.name.lower())
    ]

    def size(ref: AgentRef) -> float:
        values = history.values.get(ref.uid, {}).get(field)
        last = values[-1] if values else 0.0
        return last if math.isfinite(last) else 0.0

    return sorted(refs, key=size, reverse=True)[:MAX_CHOICES]


def label_of(ref: AgentRef) -> str:
    """Text of an agent in the picker."""
    return f"{ref.name} ({ref.region})"


def agent_option(quarters: tuple[str, ...], values: dict[str, tuple[float, ...]]) -> dict[str, Any]:
    """ECharts option: money fields (USD B) in one panel, every other field in its own."""
    money = [f for f in values if f in MONEY_FIELDS]
    panels = ([("USD B", money)] if money else []) + [
        (FIELD_LABELS.get(f, f), [f]) for f in values if f not in MONEY_FIELDS
    ]
    option = base_option()
    q = list(quarters)
    share = 88 / max(len(panels), 1)
    option["grid"] = [
        {"left": 70, "right": 18, "top": f"{10 + i * share:.0f}%", "height": f"{share - 9:.0f}%"}
        for i in range(len(panels))
    ]
    option["xAxis"] = [
        {"type": "category", "data": q, "gridIndex": i, "axisLabel": {"show": i == len(panels) - 1}}
        for i in range(len(panels))
    ]
    option["yAxis"] = [
        {"type": "value", "gridIndex": i, "scale": True, "splitNumber": 3}
        for i in range(len(panels))
    ]
    series = []
    colour = 0
    for i, (_, fields) in enumerate(panels):
        for field in fields:
            series.append(
                {
                    "name": FIELD_LABELS.get(field, field),
                    "type": "line",
                    "symbol": "none",
                    "xAxisIndex": i,
                    "yAxisIndex": i,
                    "color": SERIES_COLOURS[colour % len(SERIES_COLOURS)],
                    "data": clean(values[field]),
                }
            )
            colour += 1
    option["series"] = series
    option["axisPointer"] = {"link": [{"xAxisIndex": "all"}]}
    return option


def agent_events(events: pl.DataFrame, uid: int, limit: int = 14) -> list[str]:
    """The agent's latest events in words, newest first."""
    if not events.height:
        return []
    mine = events.filter((pl.col("agent_id") == uid) | (pl.col("counterparty_id") == uid))
    lines: list[str] = []
    for row in mine.tail(limit).reverse().iter_rows(named=True):
        kind, q = row["kind"], row["quarter"]
        amount = row["amount_busd"] or 0.0
        own = row["agent_id"] == uid
        if kind == "round" and own:
            lead = f" led by {row['counterparty']}" if row["counterparty"] else ""
            text = f"raised ${fmt(amount, 2)} B at ${fmt(row['value'], 2)} B pre-money{lead}"
        elif kind == "round":
            text = f"led a ${fmt(amount, 2)} B round in {row['agent']}"
        elif kind == "round_failed":
            text = f"failed to raise ${fmt(amount, 2)} B"
        elif kind == "run_completed":
            text = f"completed a {row['value']:.2g} FLOP training run (${fmt(amount, 2)} B)"
        elif kind == "acquisition" and own:
            text = f"acquired by {row['counterparty']} for ${fmt(amount, 2)} B"
        elif kind == "acquisition":
            text = f"acquired {row['agent']} for ${fmt(amount, 2)} B"
        elif kind == "acquisition_blocked":
            other = row["counterparty"] if own else row["agent"]
            text = f"acquisition blocked by antitrust ({other})"
        elif kind == "bankruptcy":
            text = "failed (out of cash)"
        elif kind == "entry":
            text = f"founded, first ask ${fmt(amount, 3)} B"
        else:
            text = kind
        lines.append(f"{q}: {text}")
    return lines


def details_html(
    ref: AgentRef,
    latest: dict[str, float],
    event_lines: list[str],
    counterparties: list[tuple[str, str, float]],
) -> str:
    """Escaped HTML: the agent's identity, current values, events and counterparties."""
    colour = REGION_COLOURS.get(ref.region, "#555")
    head = (
        f"<div style='font-size:15px;font-weight:600'>{html.escape(ref.name)} "
        f"<span style='color:{colour}'>({html.escape(ref.region)})</span> "
        f"<span style='color:#777;font-weight:400'>{html.escape(ref.type)}"
        f"{' · ' + html.escape(ref.detail) if ref.detail else ''}</span></div>"
    )
    values = " · ".join(
        f"{html.escape(FIELD_LABELS.get(k, k))}: {fmt(v, 2)}"
        for k, v in latest.items()
        if math.isfinite(v)
    )
    parts = [head, f"<div style='font-size:12px;color:#333;margin:4px 0'>{values}</div>"]
    if counterparties:
        rows = "".join(
            f"<li>{html.escape(d)} {html.escape(name)}: ${fmt(a, 2)} B</li>"
            for name, d, a in counterparties
        )
        parts.append(
            f"<div style='font-size:12px'><b>Largest capital flows</b><ul style='margin:0'>{rows}</ul></div>"
        )
    if event_lines:
        rows = "".join(f"<li>{html.escape(line)}</li>" for line in event_lines)
        parts.append(
            f"<div style='font-size:12px'><b>Events</b><ul style='margin:0'>{rows}</ul></div>"
        )
    return "".join(parts)


@solara.component
def Inspector(
    session: LiveSession, snapshot: Snapshot, selected: solara.Reactive[int | None]
) -> solara.Element:
    """Card: pick an agent (or click one in the network) and see its history."""
    kind_label = solara.use_reactive("Labs")
    search = solara.use_reactive("")
    kind = KINDS[kind_label.value]
    with session.lock:  # the Play thread may be folding in a quarter
        refs = candidates(session.agents, kind, search.value)
        ref = session.agents.refs.get(selected.value) if selected.value is not None else None
        quarters, values = session.agents.history(ref.uid) if ref else ((), {})
        counterparties = partners(session.flows, ref.uid) if ref else []
    option = solara.use_memo(
        lambda: agent_option(quarters, values) if ref else {},
        [ref.uid if ref else -1, id(snapshot)],
    )

    def follow_selection() -> None:
        # A node clicked in the network may be of another type than the picker shows.
        if ref is not None and KINDS[kind_label.value] != ref.type:
            kind_label.value = next(k for k, t in KINDS.items() if t == ref.type)

    solara.use_effect(follow_selection, [selected.value])
    by_label = {label_of(r): r.uid for r in refs}

    def on_pick(label: str | None) -> None:
        selected.value = by_label.get(label) if label else None

    def on_kind(label: str) -> None:
        kind_label.value = label

    with solara.Card(
        "Inspector", classes=["aimarket-view", "aimarket-view-inspector"], margin=0
    ) as card:
        with solara.Row(gap="8px", style="flex-wrap: wrap; align-items: center;"):
            solara.Select(
                "Type",
                values=list(KINDS),
                value=kind_label.value,
                on_value=on_kind,
                style="max-width: 170px;",
            )
            solara.InputText(
                "Search by name",
                value=search.value,
                on_value=lambda v: search.set(str(v)[:MAX_SEARCH]),
                continuous_update=False,
                style="max-width: 200px;",
            )
            solara.Select(
                "Agent",
                values=list(by_label),
                value=label_of(ref) if ref and label_of(ref) in by_label else None,
                on_value=on_pick,
                style="min-width: 260px;",
            )
        if ref is None:
            solara.HTML(
                tag="div",
                unsafe_innerHTML="Pick an agent above, or click a node in the investment network.",
                classes=["aimarket-reading", "aimarket-reading-inspector"],
                style="font-size: 13px; color: #444;",
            )
        else:
            latest = {k: v[-1] for k, v in values.items() if v}
            body = details_html(ref, latest, agent_events(snapshot.events, ref.uid), counterparties)
            if quarters and quarters[-1] != snapshot.quarter:
                body += f"<div style='color:#b22'>Last active in {html.escape(quarters[-1])}.</div>"
            solara.HTML(
                tag="div",
                unsafe_innerHTML=body,
                classes=["aimarket-reading", "aimarket-reading-inspector"],
            )
            Chart(option, "inspector", height=360)
    return card
