"""Quarter phase 6: exit, acquisition, entry and fund cycles (DESIGN.md §4).

- A lab that cannot pay next quarter's staff and has failed its last rounds goes under. If
  it still has something to sell (a model near the frontier, or a real share of its market),
  a frontier or big-tech lab of its bloc may buy it at a share of its last valuation, unless
  antitrust blocks the deal (merged share or HHI change over the limits). Proceeds go to its
  shareholders by stake; founders' shares pay out to the outside.
- Entrants that never raised their first round within two quarters do not start.
- New startups arrive at a rate that follows the venture capital available, where that
  capital is; a few set out to train models and ask for a first round sized to the frontier's
  cost — the entry barrier rises with it. Named labs arrive at their real founding quarter.
- Venture firms whose cycle has ended raise their next fund, sized by marked returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.regions import BLOC_OF_REGION, N_REGIONS
from agents import venture_fund
from agents.lab import APP, BIGTECH, CHALLENGER, FRONTIER

if TYPE_CHECKING:
    from abm.model import AIMarketModel

_BLOC = np.array(BLOC_OF_REGION)
COMPACT_MIN_ROWS = 2048


def run(model: AIMarketModel) -> None:
    """Exits, acquisitions, entry and fund cycles for this quarter."""
    _exits(model)
    _entry(model)
    nav = model.holdings.value_by_investor(
        model.price_per_share(), model.n_investors, since=model.fund_vintage_by_investor()
    )
    venture_fund.raise_next_funds(
        model, nav[model.investor_base[0] : model.investor_base[0] + model.funds.n]
    )
    if (
        model.labs.n > COMPACT_MIN_ROWS
        and (~model.labs.alive[: model.labs.n]).sum() > model.labs.n // 2
    ):
        model.compact_labs()


def _exits(model: AIMarketModel) -> None:
    labs, s, st = model.labs, model.scenario.labs, model.stats
    n = labs.n
    q = model.quarter_index
    alive = labs.alive[:n]
    arch = labs.archetype[:n]
    # Entrants whose first round never closed do not start (not a bankruptcy).
    stillborn = (
        alive
        & (labs.raised_total[:n] <= 0)
        & (labs.first_ask[:n] > 0)
        & (q - labs.entered[:n] >= 2)
    )
    protected = (arch == BIGTECH) | (labs.patron[:n] > 0)
    broke = labs.cash[:n] + labs.credit[:n] + labs.prepaid[:n] < 0.5 * labs.team_cost[:n] + 1e-6
    failing = alive & ~protected & ~stillborn & broke & (labs.failed[:n] > s.max_failed_rounds)
    failing |= (
        alive
        & ~protected
        & ~stillborn
        & (labs.cash[:n] + labs.credit[:n] <= 1e-9)
        & (labs.raised_total[:n] > 0)
    )
    targets = np.flatnonzero(failing)
    bought = _acquisitions(model, targets) if targets.size else np.empty(0, np.int64)
    bankrupt = np.setdiff1d(targets, bought)
    _retire(model, bankrupt)
    _retire(model, np.flatnonzero(stillborn))
    model.event_log.add(q, "bankruptcy", labs.uid[bankrupt], amount=labs.raised_total[bankrupt])
    st.bankruptcies += int(bankrupt.size)


def _retire(model: AIMarketModel, rows: np.ndarray) -> None:
    """Close labs: leftover cash pays staff off, unused credits return to the cloud."""
    if rows.size == 0:
        return
    labs, c = model.labs, model.clouds
    model.ledger.money_out("wages", float(labs.cash[rows].sum()))
    has_credit = rows[(labs.credit[rows] > 0) & (labs.partner[rows] >= 0)]
    np.add.at(c.cash, labs.partner[has_credit], labs.credit[has_credit])
    orphan = rows[(labs.credit[rows] > 0) & (labs.partner[rows] < 0)]
    model.ledger.money_out("wages", float(labs.credit[orphan].sum()))
    labs.cash[rows] = 0.0
    labs.credit[rows] = 0.0
    labs.prepaid[rows] = 0.0  # unused prepayments are forfeited to the cloud
    labs.alive[rows] = False
    labs.exited[rows] = model.quarter_index
    labs.revenue[rows] = 0.0
    labs.share[rows] = 0.0
    labs.team_cost[rows] = 0.0
    labs.run_target[rows] = 0.0


def _acquisitions(model: AIMarketModel, targets: np.ndarray) -> np.ndarray:
    """Distressed labs worth buying go to the richest eligible acquirer of their bloc."""
    labs, c, pol, w = model.labs, model.clouds, model.policy, model.world
    s = model.scenario.labs
    n = labs.n
    q = model.quarter_index
    near_frontier = labs.best_flop[targets] >= w.frontier_flop * 1e-3
    real_share = labs.share[targets].max(axis=1) >= 0.002
    targets = targets[((labs.archetype[targets] != APP) & near_frontier) | real_share]
    if targets.size == 0:
        return targets
    buyers = np.flatnonzero(labs.alive[:n] & np.isin(labs.archetype[:n], (FRONTIER, BIGTECH)))
    buyers = np.setdiff1d(buyers, targets)
    if buyers.size == 0:
        return np.empty(0, np.int64)
    # A big-tech buyer can call on its parent for a quarter of the parent's cash flow.
    parent_room = np.where(
        labs.parent[buyers] >= 0, 0.25 * c.opcf[np.maximum(labs.parent[buyers], 0)], 0.0
    )
    purse = labs.cash[buyers] + parent_room
    price = s.acquisition_price_share * labs.valuation[targets]
    same_bloc = _BLOC[labs.region[targets]][:, None] == _BLOC[labs.region[buyers]][None, :]
    market = labs.share[targets].argmax(axis=1)
    s_t = labs.share[targets, market]
    s_a = labs.share[buyers][:, market].T  # (targets, buyers)
    blocked = (s_a + s_t[:, None] > pol.max_combined_share) | (
        2e4 * s_a * s_t[:, None] > pol.max_hhi_delta
    )
    can_pay = purse[None, :] >= price[:, None]
    ok = same_bloc & can_pay & ~blocked
    richest = np.where(ok, purse[None, :], -1.0)
    pick = richest.argmax(axis=1)
    chosen = ok[np.arange(targets.size), pick]
    # One deal per buyer per quarter: keep the first target each buyer picks.
    _, first = np.unique(np.where(chosen, pick, -1 - np.arange(targets.size)), return_index=True)
    keep = np.zeros(targets.size, dtype=bool)
    keep[first] = True
    keep &= chosen
    would = same_bloc & can_pay & blocked
    blocked_only = ~chosen & would.any(axis=1)
    if blocked_only.any():
        bb = np.where(would, purse[None, :], -1.0).argmax(axis=1)[blocked_only]
        model.event_log.add(
            q,
            "acquisition_blocked",
            labs.uid[targets[blocked_only]],
            labs.uid[buyers[bb]],
            amount=price[blocked_only],
        )
    t_rows = targets[keep]
    a_rows = buyers[pick[keep]]
    paid = price[keep]
    if t_rows.size == 0:
        return t_rows
    # The buyer pays (its parent tops up if needed); proceeds go to the target's shareholders.
    short = np.maximum(paid - labs.cash[a_rows], 0.0)
    labs.cash[a_rows] += short
    model.ledger.money_in("parents", float(short.sum()))
    labs.cash[a_rows] -= paid
    _pay_shareholders(model, t_rows, paid)
    # The buyer takes the team, customers and assets.
    labs.cash[a_rows] += labs.cash[t_rows]
    labs.cash[t_rows] = 0.0
    same_partner = labs.partner[t_rows] == labs.partner[a_rows]
    labs.credit[a_rows] += np.where(same_partner, labs.credit[t_rows], 0.0)
    labs.credit[t_rows] = np.where(same_partner, 0.0, labs.credit[t_rows])
    labs.share[a_rows] += labs.share[t_rows]
    labs.algo[a_rows] = np.maximum(labs.algo[a_rows], labs.algo[t_rows])
    labs.capability[a_rows] = np.maximum(labs.capability[a_rows], labs.capability[t_rows])
    _retire(model, t_rows)
    model.event_log.add(q, "acquisition", labs.uid[t_rows], labs.uid[a_rows], amount=paid)
    model.stats.acquisitions += int(t_rows.size)
    return t_rows


def _pay_shareholders(model: AIMarketModel, t_rows: np.ndarray, paid: np.ndarray) -> None:
    """Split each sale price over the target's stakes; founders' part leaves the model."""
    labs, h = model.labs, model.holdings
    idx, pos = h.stakes_in(t_rows)
    per_share = paid / labs.shares_out[t_rows]
    payout = h.shares[idx] * per_share[pos]
    investors = h.investor[idx]
    model.credit_investors(investors, payout)
    founders = paid - np.bincount(pos, weights=payout, minlength=t_rows.size)
    model.ledger.money_out("founders", float(np.maximum(founders, 0.0).sum()))


def _entry(model: AIMarketModel) -> None:
    """New startups, in number and place following the venture capital available."""
    f, w, s = model.funds, model.world, model.scenario
    pop, sl = s.population, s.labs
    rng = model.rng
    dry = f.dry_powder[: f.n]
    rate = (
        pop.entry_per_quarter
        * pop.scale
        * (max(dry.sum(), 1e-9) / model.vc_dry_powder0) ** pop.entry_capital_elasticity
    )
    count = int(rng.poisson(rate))
    if count:
        by_region = (
            np.bincount(f.region[: f.n], weights=dry, minlength=N_REGIONS)
            + 0.02 * dry.sum() / N_REGIONS
        )
        region = rng.choice(N_REGIONS, size=count, p=by_region / by_region.sum())
        is_model = rng.random(count) < sl.entry_model_share
        pedigree = rng.lognormal(0.0, 0.6, count)
        ask = np.where(
            is_model,
            np.maximum(sl.entry_ticket_share * w.frontier_cost * pedigree, 0.01),
            sl.app_seed_busd * pedigree * rng.lognormal(0.0, 0.7, count),
        )
        archetype = np.where(is_model, CHALLENGER, APP)
        niche = rng.normal(0.0, sl.niche_sigma, count)
        model.add_labs(
            None,
            log_entry=True,
            region=region,
            archetype=archetype,
            pedigree=pedigree,
            niche=niche,
            first_ask=ask,
            valuation=ask * (1.0 / sl.max_dilution - 1.0),
        )
    model.enter_named_labs()
