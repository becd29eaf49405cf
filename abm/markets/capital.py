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

from abm.kernels import capital as kernels


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
    cum, total = kernels.cumulative_weights(eligible, np.ascontiguousarray(weight, np.float64))
    has_group = group >= 0
    ok = has_group & (budget > 1e-9) & (total[np.where(has_group, group, 0)] > 0)
    inv = np.flatnonzero(ok)
    if inv.size == 0:
        return empty
    k = draws[inv]
    inv_rep = np.repeat(inv, k)
    uniform = rng.random(inv_rep.size)
    investor, ask, amount = kernels.draw_offers(
        cum,
        total,
        eligible,
        inv_rep,
        group[inv_rep],
        np.repeat(k, k),
        uniform,
        budget,
        max_check_share,
        np.ascontiguousarray(ask_amount, np.float64),
    )
    return Offers(investor, ask, amount)


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
    raised, closed, offered, lead, n_inv, investor, ask, invested = kernels.clear_offers(
        offers.investor.astype(np.int64, copy=False),
        offers.ask.astype(np.int64, copy=False),
        offers.amount,
        np.ascontiguousarray(ask_amount, np.float64),
        float(fill_min),
    )
    return RoundResult(raised, closed, offered, lead, n_inv, investor, ask, invested)
