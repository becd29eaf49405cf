"""Capital market: funding asks meet investors' deal flow; rounds close or fail.

Each investor examines a handful of asks per quarter (its deal flow), drawn with probability
rising in the ask's score (hot labs are seen by everyone), among the asks its mandate and
screening allow. It offers a check on each; an ask whose offers reach a minimum share of the
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


def group_offers(
    rng: np.random.Generator,
    investors: np.ndarray,
    budget: np.ndarray,
    draws: int,
    eligible: np.ndarray,
    weight: np.ndarray,
    ask_amount: np.ndarray,
    max_check_share: float,
) -> Offers:
    """Offers of one group of investors that share a mandate.

    Each investor draws ``draws`` asks (with replacement) among the ``eligible`` ones with
    probability ∝ ``weight``, and offers ``min(budget / draws, max_check_share * ask)`` on each.

    Args:
        investors: (G,) investor indices of the group.
        budget: (G,) USD B each may deploy this quarter.
        eligible: (A,) asks the group may consider.
        weight: (A,) deal-flow weights.
        ask_amount: (A,) USD B asked.
    """
    cand = np.flatnonzero(eligible & (weight > 0))
    if cand.size == 0 or investors.size == 0:
        e = np.empty(0, np.int64)
        return Offers(e, e, np.empty(0))
    cum = np.cumsum(weight[cand])
    u = rng.random((investors.size, draws)) * cum[-1]
    picks = cand[np.minimum(np.searchsorted(cum, u, side="right"), cand.size - 1)]
    inv = np.repeat(investors, draws)
    per_draw = np.repeat(budget / draws, draws)
    ask = picks.ravel()
    amount = np.minimum(per_draw, max_check_share * ask_amount[ask])
    keep = amount > 1e-9
    return Offers(inv[keep], ask[keep], amount[keep])


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

    Duplicate (investor, ask) pairs are merged first, so each investor appears once per round.
    """
    n_ask = len(ask_amount)
    if offers.amount.size:
        key = offers.investor * n_ask + offers.ask
        uniq, inv = np.unique(key, return_inverse=True)
        amount = np.bincount(inv, weights=offers.amount)
        investor, ask = uniq // n_ask, uniq % n_ask
    else:
        investor = ask = np.empty(0, np.int64)
        amount = np.empty(0)
    offered = np.bincount(ask, weights=amount, minlength=n_ask)
    closed = (offered >= fill_min * ask_amount) & (offered > 0)
    raised = np.where(closed, np.minimum(offered, ask_amount), 0.0)
    scale = np.divide(raised, offered, out=np.zeros(n_ask), where=offered > 0)
    invested = amount * scale[ask]
    keep = invested > 1e-12
    investor, ask, invested, amount = investor[keep], ask[keep], invested[keep], amount[keep]
    n_inv = np.bincount(ask, minlength=n_ask)
    lead = np.full(n_ask, -1, dtype=np.int64)
    if ask.size:
        order = np.lexsort((-amount, ask))
        first = np.r_[True, ask[order][1:] != ask[order][:-1]]
        lead[ask[order][first]] = investor[order][first]
    return RoundResult(raised, closed, offered, lead, n_inv, investor, ask, invested)
