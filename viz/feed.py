"""The event feed: the quarter's notable events in plain words.

A quarter of the baseline has hundreds of events, most of them seed rounds and failures of
application startups. The feed keeps what a reader follows — every rule change, acquisition
and blocked acquisition, failures of model labs, the largest rounds — and one summary line
with the counts of everything else. Events come from ``model.events()`` (one polars frame;
the session hands over only the rows added by the last step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from abm import AIMarketModel

TOP_ROUNDS = 4
"""Largest rounds of each quarter listed by name (plus every round of USD 1 B or more)."""
BIG_ROUND_BUSD = 1.0


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed."""

    quarter: str
    kind: str  # rule_change, acquisition, acquisition_blocked, bankruptcy, round, summary
    text: str
    agent_id: int = -1


def _money(busd: float) -> str:
    if busd >= 1.0:
        return f"${busd:,.1f} B"
    return f"${busd * 1000:,.0f} M"


def _is_model_lab(model: AIMarketModel, uid: int) -> bool:
    try:
        return model.agent(uid).archetype != "app"
    except (KeyError, AttributeError, IndexError):
        return False


def notable_events(new: pl.DataFrame, model: AIMarketModel, quarter: str) -> list[FeedItem]:
    """Feed lines for one quarter's events (``new``: the rows the step added).

    Order: the quarter's summary line, rule changes, acquisitions, blocked acquisitions,
    failures of model labs, then the largest rounds, largest first.
    """
    items: list[FeedItem] = []
    by_kind = {k: new.filter(pl.col("kind") == k) for k in new["kind"].unique().to_list()}
    for row in by_kind.get("rule_change", pl.DataFrame()).iter_rows(named=True):
        items.append(FeedItem(quarter, "rule_change", f"Rule change — {row['detail']}"))
    for row in by_kind.get("acquisition", pl.DataFrame()).iter_rows(named=True):
        items.append(
            FeedItem(
                quarter,
                "acquisition",
                f"{row['counterparty']} acquires {row['agent']} for {_money(row['amount_busd'])}",
                row["agent_id"],
            )
        )
    for row in by_kind.get("acquisition_blocked", pl.DataFrame()).iter_rows(named=True):
        items.append(
            FeedItem(
                quarter,
                "acquisition_blocked",
                f"Antitrust blocks {row['counterparty']} from buying {row['agent']}",
                row["agent_id"],
            )
        )
    failed = by_kind.get("bankruptcy", pl.DataFrame(schema={"agent_id": pl.Int64}))
    model_failures = [
        row for row in failed.iter_rows(named=True) if _is_model_lab(model, row["agent_id"])
    ]
    for row in model_failures:
        items.append(
            FeedItem(quarter, "bankruptcy", f"{row['agent']} fails (out of cash)", row["agent_id"])
        )
    rounds = by_kind.get("round")
    n_rounds, raised = 0, 0.0
    if rounds is not None and rounds.height:
        n_rounds, raised = rounds.height, float(rounds["amount_busd"].sum())
        ranked = rounds.sort("amount_busd", descending=True)
        big = ranked.filter(pl.col("amount_busd") >= BIG_ROUND_BUSD)
        shown = big if big.height > TOP_ROUNDS else ranked.head(TOP_ROUNDS)
        for row in shown.iter_rows(named=True):
            lead = f", led by {row['counterparty']}" if row["counterparty"] else ""
            items.append(
                FeedItem(
                    quarter,
                    "round",
                    f"{row['agent']} raises {_money(row['amount_busd'])} at "
                    f"{_money(row['value'])} pre-money{lead}",
                    row["agent_id"],
                )
            )
    counts = {k: df.height for k, df in by_kind.items()}
    summary = (
        f"{n_rounds:,} rounds raising {_money(raised)}, "
        f"{counts.get('round_failed', 0):,} asks unfilled, {counts.get('entry', 0):,} new labs, "
        f"{failed.height:,} failures ({len(model_failures)} model labs)"
    )
    return [FeedItem(quarter, "summary", summary), *items]
