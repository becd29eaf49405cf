"""Quarter phase 5: the capital market (DESIGN.md §4).

Labs that need money ask for a round priced off revenue and capability rank. Venture funds
(by mandate), sovereign funds (large rounds of model labs in allowed blocs), clouds (stakes
paid in cloud credits, equity for compute) and chip vendors (corporate venture) draw deal flow
and offer checks; screening filters who may back whom (outbound ban; inbound approval drawn
per stake). Rounds that close issue shares, become network edges and events; failed rounds
are retried later at a lower price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.kernels import capital as kernels
from abm.kernels import investors as investor_kernels
from abm.kernels import negotiation
from abm.ledger import ACCOUNT_INDEX
from abm.markets.capital import (
    RoundResult,
    VentureGroups,
)
from abm.network import EQUITY
from abm.regions import BLOC_OF_REGION, GULF
from agents import lab
from agents.lab import APP, BIGTECH
from agents.sovereign_fund import LABS

if TYPE_CHECKING:
    from abm.model import AIMarketModel

_BLOC = np.array(BLOC_OF_REGION)
# Investor kinds in the global investor index: [venture funds | sovereigns | clouds | vendors].
VC, SOVEREIGN, CLOUD, VENDOR = range(4)
STRATEGIC_DRAWS, SOVEREIGN_DRAWS, VENDOR_DRAWS = 2, 2, 3
STRATEGIC_MAX_SHARE, SOVEREIGN_MAX_SHARE, VENDOR_MAX_SHARE = 0.8, 0.5, 0.3
NEGOTIATION_PASSES = 3
_STRATEGIC_DRAWS = np.array([SOVEREIGN_DRAWS, STRATEGIC_DRAWS, VENDOR_DRAWS], dtype=np.int64)
_STRATEGIC_MAX_SHARE = np.array([SOVEREIGN_MAX_SHARE, STRATEGIC_MAX_SHARE, VENDOR_MAX_SHARE])


def run(model: AIMarketModel) -> None:
    """Clear the capital market for this quarter."""
    labs, st = model.labs, model.stats
    si = model.scenario.investors
    _, rows, marked = lab.price_rounds(model)
    model.world.valuation_history.append(float(marked))
    _set_budgets(model)
    if rows.size == 0:
        return
    ask = labs.ask[rows]
    score = lab.deal_score(model, rows)
    weight = np.exp(si.deal_sharpness * (score - score.max()))
    budget, inv_region, kind = _investor_budget(model)
    result = _negotiate(model, rows, ask, weight, budget, inv_region)
    _apply(model, rows, result, inv_region, kind)
    # Rounds that did not close (compiled): one more failure in a row, what was offered.
    uids, asks, pres = kernels.record_failed_rounds(
        rows, result.closed, result.offered, ask, labs.failed, labs.offered, labs.uid, labs.ask_pre
    )
    model.event_log.add(model.quarter_index, "round_failed", uids, amount=asks, value=pres)
    st.rounds_failed += int(uids.size)


def _negotiate(
    model: AIMarketModel,
    rows: np.ndarray,
    ask: np.ndarray,
    weight: np.ndarray,
    budget: np.ndarray,
    inv_region: np.ndarray,
) -> RoundResult:
    """Rounds of deal flow: venture funds look once; sovereigns, clouds and vendors with money
    left look again at the asks still open (large rounds need them to syndicate).

    Offers accumulate over ``NEGOTIATION_PASSES`` passes. Between passes an ask whose offers
    reach the fill threshold closes (offers only grow, so it stays closed) and its investors
    are committed for at most the amount asked; the rest stay committed to open asks. One
    clearing at the end settles every round.
    """
    si = model.scenario.investors
    venture, strategic, _ = _deal_groups(model, rows, ask, budget, inv_region)
    # Compiled (abm/kernels/negotiation.py): the passes below, drawing from the model's rng.
    v = venture if venture is not None else _NO_VENTURE
    s = strategic if strategic is not None else _NO_STRATEGIC
    return RoundResult(
        *negotiation.negotiate(
            model.rng,
            np.ascontiguousarray(ask, np.float64),
            np.ascontiguousarray(weight, np.float64),
            budget,
            inv_region,
            model.labs.region[rows].astype(np.int64),
            model.policy.screening_allowed(),
            float(si.round_fill_min),
            NEGOTIATION_PASSES,
            venture is not None,
            v.region,
            v.mandate,
            v.max_ask,
            float(v.min_check_share),
            v.may,
            v.bloc_of_region,
            v.group,
            v.draws,
            v.max_check_share,
            strategic is not None,
            *s,
        )
    )


_I0, _F0 = np.empty(0, np.int64), np.empty(0)
_NO_VENTURE = VentureGroups(_I0, _I0, _F0, 0.0, np.zeros((1, 1), np.bool_), _BLOC, _I0, _I0, _F0)
_NO_STRATEGIC = (np.zeros((0, 0), np.bool_), _I0, _I0, _I0, _F0)


def _set_budgets(model: AIMarketModel) -> None:
    """This quarter's budgets.

    A venture fund deploys its dry powder evenly over what is left of its investment period
    (``vc_investment_quarters``, at least two quarters). A sovereign fund adds a quarter of
    its yearly AI allocation — ``sovereign_ai_share`` of AUM (times its AI tilt), rising with
    the labs' valuation growth over the last year (``sovereign_hype_elasticity``, at most
    ``sovereign_ai_share_max``) — to its dry powder. The allocation is a commitment, not a
    pile: dry powder is capped at two years of it. It may deploy a quarter of its dry powder.
    Compiled: ``abm.kernels.investors.set_budgets``.
    """
    f, sf, s = model.funds, model.sovereigns, model.scenario.investors
    hist = model.world.valuation_history
    growth = hist[-1] / hist[-5] if len(hist) >= 5 and hist[-5] > 0 else 1.0
    share = s.sovereign_ai_share * max(growth, 1.0) ** s.sovereign_hype_elasticity
    investor_kernels.set_budgets(
        model.quarter_index,
        f.alive[: f.n],
        f.vintage[: f.n],
        f.dry_powder[: f.n],
        f.budget[: f.n],
        int(s.vc_investment_quarters),
        sf.alive[: sf.n],
        sf.aum[: sf.n],
        sf.ai_tilt[: sf.n],
        sf.dry_powder[: sf.n],
        sf.budget[: sf.n],
        float(min(share, s.sovereign_ai_share_max)),
        model.ledger.inflow,
        ACCOUNT_INDEX["states"],
    )


def _investor_budget(model: AIMarketModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Budget, region and kind of every investor in the global index (compiled:
    ``abm.kernels.investors.budgets``)."""
    f, sf, c, v = model.funds, model.sovereigns, model.clouds, model.vendors
    return investor_kernels.budgets(
        model.investor_base,
        f.budget[: f.n],
        f.region[: f.n],
        sf.backs[: sf.n],
        LABS,
        sf.budget[: sf.n],
        sf.region[: sf.n],
        c.strategic[: c.n],
        c.alive[: c.n],
        c.region[: c.n],
        v.alive[: v.n],
        v.revenue[: v.n],
        v.cash[: v.n],
        v.region[: v.n],
        float(model.scenario.investors.vendor_venture_share),
    )


def _deal_groups(
    model: AIMarketModel,
    rows: np.ndarray,
    ask: np.ndarray,
    budget: np.ndarray,
    inv_region: np.ndarray | None = None,
) -> tuple[
    VentureGroups | None,
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
    np.ndarray,
]:
    """Who may back which ask, built once a quarter.

    Venture funds share a deal-flow group per (region, mandate, check size): mandate is home
    region, their bloc, or global; a fund looks only at rounds its usual check (this quarter's
    budget over its draws, binned by factors of two) would be at least ``vc_min_check_share``
    of — an ownership target, so small funds do not spend their deal flow on megarounds.
    Every sovereign fund, cloud and chip vendor is its own group and considers only model labs
    (a few per cent of asks, so their groups get only those columns): sovereigns join large
    rounds in their mandate; clouds back labs they serve or that have no cloud partner yet, in
    their bloc; vendors back independent labs. Outbound bans apply to all;
    inbound approval is drawn per stake in :func:`_negotiate`.

    Returns the venture groups (:class:`VentureGroups`, drawn by
    :func:`abm.markets.capital.venture_offers`; None if no fund is alive), the strategic
    investors' part ``(eligible (G, columns), columns, group (I,), draws (I,), max_check_share
    (I,))`` with ``group`` -1 outside it (None if no model lab asks), and every investor's
    region (``inv_region``, computed here if not given).
    """
    labs, f, sf, c, v = model.labs, model.funds, model.sovereigns, model.clouds, model.vendors
    s = model.scenario.investors
    base = model.investor_base
    if inv_region is None:
        _, inv_region, _ = _investor_budget(model)
    n_inv = inv_region.size
    ask_region = labs.region[rows].astype(np.int64)
    may = model.policy.screening_allowed() > 0

    # Venture funds over every ask: one group per (region, mandate, check size) present
    # (compiled; the logarithm stays in numpy).
    check = budget[base[VC] : base[VC] + f.n] / s.deal_flow_draws
    r, mandate, max_ask, group, draws, max_share = kernels.sized_venture_groups(
        f.region[: f.n].astype(np.int64),
        f.mandate[: f.n].astype(np.int64),
        f.alive[: f.n],
        check,
        np.log2(np.maximum(check, 1e-9)),
        int(base[VC]),
        n_inv,
        int(s.deal_flow_draws),
        float(s.vc_max_check_share),
    )
    venture = (
        VentureGroups(
            region=r,
            mandate=mandate,
            max_ask=max_ask,
            min_check_share=float(s.vc_min_check_share),
            may=may,
            bloc_of_region=_BLOC,
            group=group,
            draws=draws,
            max_check_share=max_share,
        )
        if r.size
        else None
    )

    # Strategic investors over model labs only: sovereigns, then clouds, then vendors
    # (compiled: which asks each may back, and their places in the investor index).
    sov_rows, cloud_rows, vendor_rows = investor_kernels.strategic_members(
        sf.alive[: sf.n],
        sf.backs[: sf.n],
        LABS,
        c.alive[: c.n],
        c.captive[: c.n],
        c.public[: c.n],
        v.alive[: v.n],
    )
    cols, masks, group, draws, max_share = kernels.strategic_groups(
        rows,
        ask_region,
        ask,
        labs.archetype,
        labs.partner,
        APP,
        BIGTECH,
        _BLOC,
        may,
        sov_rows,
        sf.region,
        sf.mandate,
        float(s.sovereign_min_round_busd),
        cloud_rows,
        c.region,
        vendor_rows,
        v.region,
        base[SOVEREIGN : VENDOR + 1],
        n_inv,
        _STRATEGIC_DRAWS,
        _STRATEGIC_MAX_SHARE,
    )
    if cols.size == 0 or masks.shape[0] == 0:
        return venture, None, inv_region
    return venture, (masks, cols, group, draws, max_share), inv_region


def _apply(
    model: AIMarketModel,
    rows: np.ndarray,
    result: RoundResult,
    inv_region: np.ndarray,
    kind: np.ndarray,
) -> None:
    """Money moves, shares are issued, stakes and edges recorded, events logged.

    ``inv_region`` and ``kind``: region and kind of every investor in the global index.
    """
    labs, f, sf, c, v, st = (
        model.labs,
        model.funds,
        model.sovereigns,
        model.clouds,
        model.vendors,
        model.stats,
    )
    s = model.scenario
    base = model.investor_base
    q = model.quarter_index
    inv, k, amt = result.investor, result.ask, result.amount

    # Debit investors (each investor's checks summed in order, as one bincount did).
    investor_kernels.debit(
        inv,
        amt,
        base,
        kind.size,
        f.dry_powder[: f.n],
        f.paid_in[: f.n],
        sf.dry_powder[: sf.n],
        sf.invested[: sf.n],
        c.strategic[: c.n],
        v.cash[: v.n],
    )

    # Compiled (kernels.settle_rounds): Gulf sovereigns tie part of a foreign stake to data
    # centres at home (their region's cloud); labs are credited — clouds pay in credits,
    # everyone else in cash — and issue new shares at the round's price; closed rounds set
    # the post-money valuation, and application startups hire for the round they raised.
    home = investor_kernels.first_open_cloud(
        c.region[: c.n], c.alive[: c.n], c.captive[: c.n], c.public[: c.n], GULF
    )
    lab_rows, tied, to_lab, new_shares, totals = kernels.settle_rounds(
        inv,
        k,
        amt,
        rows,
        result.closed,
        result.raised,
        kind,
        inv_region,
        labs.region,
        labs.archetype,
        float(s.investors.dc_tie_share),
        home >= 0,
        GULF,
        SOVEREIGN,
        CLOUD,
        APP,
        float(s.labs.app_burn_share),
        q,
        labs.ask_pre,
        labs.shares_out,
        labs.cash,
        labs.credit,
        labs.valuation,
        labs.last_round,
        labs.failed,
        labs.raised_total,
        labs.team_cost,
    )
    tied_total, vc_amt, sovereign_amt, cloud_amt, vendor_amt = totals.tolist()
    if tied_total > 0:
        c.cash[home] += tied_total
        model.flows.log_rows(
            q,
            EQUITY,
            model.investor_uid,
            inv,
            c.uid,
            np.full(inv.size, home),
            tied,
            inv_region,
            c.region,
        )

    # A lab's first cloud investor becomes its compute partner. Where several clouds join the
    # same round, the one that put in most, and among equal checks the one with the largest
    # fleet (compiled: kernels.first_cloud_partners).
    kernels.first_cloud_partners(
        inv, lab_rows, to_lab, kind, CLOUD, int(base[CLOUD]), labs.partner, c.stock
    )

    model.holdings.add(inv, lab_rows, new_shares, q)
    closed = rows[result.closed]
    raised = result.raised[result.closed]
    lead = result.lead[result.closed]
    model.event_log.add(
        q,
        "round",
        labs.uid[closed],
        model.investor_uid[lead],
        raised,
        labs.ask_pre[closed],
        result.n_investors[result.closed],
    )
    model.flows.log_rows(
        q, EQUITY, model.investor_uid, inv, labs.uid, lab_rows, to_lab, inv_region, labs.region
    )
    st.round_labs.append(labs.uid[closed])
    st.round_amounts.append(raised)
    st.round_regions.append(labs.region[closed].astype(np.int64))
    st.sovereign_funding += sovereign_amt
    st.hyperscaler_funding += cloud_amt
    st.vendor_funding += vendor_amt
    st.vc_funding += vc_amt
