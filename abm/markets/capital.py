"""Capital market: funding asks meet investors' deal flow; rounds close or fail.

Each investor examines a handful of asks per quarter (its deal flow), drawn with probability
rising in the ask's score (hot labs are seen by everyone), among the asks its mandate and
screening allow (:func:`stacked_offers`). It offers a check on each; an ask whose offers reach a minimum share of the
amount closes (oversubscribed offers are scaled down pro rata), otherwise it fails and the
offers are withdrawn. Syndication, oversubscription of hot rounds and failed rounds for the
rest emerge from this. Everything is vectorised over (investor, draw) pairs.

Amounts in USD B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Offers:
    """Candidate (investor, ask) pairs with offered amounts."""

    investor: np.ndarray
    ask: np.ndarray
    amount: np.ndarray


@dataclass(frozen=True)
class RoundResult:
    """Outcome of clearing: per ask, and per (investor, ask) pair that invested."""

    raised: np.ndarray  # (A,) USD B raised (0 if the round failed or had no offers)
    closed: np.ndarray  # (A,) bool
    offered: np.ndarray  # (A,) USD B offered before scaling
    lead: np.ndarray  # (A,) investor index of the largest check, -1 if none
    n_investors: np.ndarray  # (A,) investors in the closed round
    investor: np.ndarray  # (K,) investor index per invested pair
    ask: np.ndarray  # (K,) ask index per invested pair
    amount: np.ndarray  # (K,) USD B invested per pair


def stacked_offers(
    rng: np.random.Generator,
    eligible: np.ndarray,
    weight: np.ndarray,
    group: np.ndarray,
    budget: np.ndarray,
    draws: np.ndarray,
    max_check_share: np.ndarray,
    ask_amount: np.ndarray,
) -> Offers:
    """One pass of deal flow for every investor at once.

    Investors share a deal-flow group when they share a mandate (a row of ``eligible``). Each
    investor draws ``draws`` asks with replacement among its group's eligible asks, with
    probability ∝ ``weight``, and offers ``min(budget / draws, max_check_share * ask)`` on each.
    All groups are drawn with one ``searchsorted`` over their cumulative weights laid end to end.

    Args:
        eligible: (G, A) bool, the asks each group may consider.
        weight: (A,) non-negative deal-flow weights (0 = not on offer).
        group: (I,) group of each investor, -1 for none.
        budget: (I,) USD B each may still deploy.
        draws: (I,) asks each examines.
        max_check_share: (I,) largest share of a round each takes.
        ask_amount: (A,) USD B asked.
    """
    n_groups, n_asks = eligible.shape
    empty = Offers(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if n_groups == 0 or n_asks == 0:
        return empty
    cum = np.cumsum(eligible * weight[None, :], axis=1)
    total = cum[:, -1]
    has_group = group >= 0
    ok = has_group & (budget > 1e-9) & (total[np.where(has_group, group, 0)] > 0)
    inv = np.flatnonzero(ok)
    if inv.size == 0:
        return empty
    k = draws[inv]
    inv_rep = np.repeat(inv, k)
    g = group[inv_rep]
    start = np.concatenate(([0.0], np.cumsum(total)[:-1]))
    flat = (cum + start[:, None]).ravel()
    u = start[g] + rng.random(inv_rep.size) * total[g]
    pos = np.searchsorted(flat, u, side="right")
    pos = np.clip(pos, g * n_asks, g * n_asks + n_asks - 1)  # rounding at a group's end
    ask = pos - g * n_asks
    amount = np.minimum(
        budget[inv_rep] / np.repeat(k, k), max_check_share[inv_rep] * ask_amount[ask]
    )
    keep = (amount > 1e-9) & eligible[g, ask]
    return Offers(inv_rep[keep], ask[keep], amount[keep])


def merge(offers: list[Offers]) -> Offers:
    """Concatenate offers of several groups."""
    if not offers:
        e = np.empty(0, np.int64)
        return Offers(e, e, np.empty(0))
    return Offers(
        np.concatenate([o.investor for o in offers]),
        np.concatenate([o.ask for o in offers]),
        np.concatenate([o.amount for o in offers]),
    )


def clear_rounds(offers: Offers, ask_amount: np.ndarray, fill_min: float) -> RoundResult:
    """Close asks whose offers reach ``fill_min`` of the amount; scale offers to the amount.

    Offers are summed per ask; only the offers of closed rounds are then merged by
    (investor, ask), so each investor appears once per round it joined.
    """
    n_ask = len(ask_amount)
    offered = np.bincount(offers.ask, weights=offers.amount, minlength=n_ask)
    closed = (offered >= fill_min * ask_amount) & (offered > 0)
    raised = np.where(closed, np.minimum(offered, ask_amount), 0.0)
    scale = np.divide(raised, offered, out=np.zeros(n_ask), where=offered > 0)
    sel = np.flatnonzero(closed[offers.ask])
    key = offers.investor[sel] * n_ask + offers.ask[sel]
    uniq, inv = np.unique(key, return_inverse=True)
    amount = np.bincount(inv, weights=offers.amount[sel])
    investor, ask = uniq // n_ask, uniq % n_ask
    invested = amount * scale[ask]
    n_inv = np.bincount(ask, minlength=n_ask)
    # Lead investor: the largest check of each round (first one on ties), in linear time.
    biggest = np.zeros(n_ask)
    np.maximum.at(biggest, ask, amount)
    lead = np.full(n_ask, -1, dtype=np.int64)
    is_lead = amount >= biggest[ask]
    lead[ask[is_lead][::-1]] = investor[is_lead][::-1]
    return RoundResult(raised, closed, offered, lead, n_inv, investor, ask, invested)
