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
from abm.kernels import negotiation


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


def _no_offers() -> Offers:
    return Offers(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))


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
    if n_groups == 0 or n_asks == 0:
        return _no_offers()
    cum, total = kernels.cumulative_weights(eligible, np.ascontiguousarray(weight, np.float64))
    inv_rep, group_rep, k_rep = kernels.draw_plan(group, budget, total, draws)
    if inv_rep.size == 0:
        return _no_offers()
    uniform = rng.random(inv_rep.size)
    investor, ask, amount = kernels.draw_offers(
        cum,
        total,
        eligible,
        inv_rep,
        group_rep,
        k_rep,
        uniform,
        budget,
        max_check_share,
        np.ascontiguousarray(ask_amount, np.float64),
    )
    return Offers(investor, ask, amount)


@dataclass(frozen=True)
class VentureGroups:
    """Venture funds' deal-flow groups: one per (home region, mandate, check size) present.

    A group considers the asks in the regions its mandate covers (home region, its bloc, or
    anywhere) that screening lets its region back (``may[home, ask region]``), and — when
    ``min_check_share`` > 0 — only those its usual check is a real share of:
    ``min_check_share * ask <= max_ask``.
    """

    region: np.ndarray  # (G,) home region
    mandate: np.ndarray  # (G,) HOME, BLOC or GLOBAL
    max_ask: np.ndarray  # (G,) USD B, twice the group's check-size floor
    min_check_share: float
    may: np.ndarray  # (R, R) bool, screening: investor region x ask region
    bloc_of_region: np.ndarray  # (R,)
    group: np.ndarray  # (I,) group of each investor in the global index, -1 for none
    draws: np.ndarray  # (I,) asks each examines
    max_check_share: np.ndarray  # (I,) largest share of a round each takes

    def eligible(self, ask_region: np.ndarray, ask_amount: np.ndarray) -> np.ndarray:
        """(G, A) bool: which asks each group may consider (for inspection and tests)."""
        return kernels.venture_eligibility(
            self.region,
            self.mandate,
            self.max_ask,
            np.ascontiguousarray(ask_region, np.int64),
            self.bloc_of_region,
            np.ascontiguousarray(ask_amount, np.float64),
            float(self.min_check_share),
            self.may,
        )


def region_layout(
    ask_region: np.ndarray, ask_amount: np.ndarray, n_regions: int
) -> tuple[np.ndarray, np.ndarray]:
    """Asks laid out by region and, within a region, by size (ties in ask order): the order
    (A,) — ``np.lexsort((ask_amount, ask_region))`` — and where each region's block starts
    (R + 1,). Compiled: :func:`abm.kernels.negotiation.region_layout`."""
    return negotiation.region_layout(
        np.ascontiguousarray(ask_region, np.int64),
        np.ascontiguousarray(ask_amount, np.float64),
        n_regions,
    )


def venture_offers(
    rng: np.random.Generator,
    groups: VentureGroups,
    ask_region: np.ndarray,
    ask_amount: np.ndarray,
    weight: np.ndarray,
    budget: np.ndarray,
) -> Offers:
    """One pass of venture deal flow: every fund draws ``draws`` asks with replacement among
    its group's eligible asks, with probability ∝ ``weight``, and offers ``min(budget /
    draws, max_check_share * ask)`` on each — the rule of :func:`stacked_offers`, drawn from
    per-region running sums over asks sorted by size (:func:`kernels.venture_prefixes`) rather
    than one running sum per group over every ask. Same distribution, same number of
    uniforms; a given uniform may land on a different ask than the matrix layout gave.
    """
    n_regions = groups.may.shape[0]
    if groups.region.size == 0 or ask_region.size == 0:
        return _no_offers()
    ask_region = np.ascontiguousarray(ask_region, np.int64)
    ask_amount = np.ascontiguousarray(ask_amount, np.float64)
    order, block_start = region_layout(ask_region, ask_amount, n_regions)
    cum, guide, prefix, region_total, total = kernels.venture_prefixes(
        block_start,
        np.ascontiguousarray(weight[order], np.float64),
        groups.min_check_share * ask_amount[order],
        groups.region,
        groups.mandate,
        groups.max_ask,
        groups.bloc_of_region,
        groups.may,
        groups.min_check_share > 0,
    )
    inv_rep, group_rep, k_rep = kernels.draw_plan(groups.group, budget, total, groups.draws)
    if inv_rep.size == 0:
        return _no_offers()
    uniform = rng.random(inv_rep.size)
    investor, ask, amount = kernels.draw_venture_offers(
        cum,
        guide,
        prefix,
        region_total,
        total,
        block_start,
        order,
        inv_rep,
        group_rep,
        k_rep,
        uniform,
        budget,
        groups.max_check_share,
        ask_amount,
    )
    return Offers(investor, ask, amount)


def merge(offers: list[Offers]) -> Offers:
    """Concatenate offers of several groups (a single group's are returned as they are)."""
    if not offers:
        e = np.empty(0, np.int64)
        return Offers(e, e, np.empty(0))
    if len(offers) == 1:
        return offers[0]
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
