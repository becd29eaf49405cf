"""Quarter phase 6: exit, acquisition, entry and fund cycles (DESIGN.md §4).

- A market leader may buy a rising challenger (acqui-hire) unless antitrust blocks it.
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

from abm.kernels import demography as kernels
from abm.regions import BLOC_OF_REGION, N_REGIONS
from agents import venture_fund
from agents.lab import APP, BIGTECH, CHALLENGER, CHAMPION, FRONTIER, OPEN_WEIGHT

if TYPE_CHECKING:
    from abm.model import AIMarketModel

_BLOC = np.array(BLOC_OF_REGION)
COMPACT_MIN_ROWS = 2048


def run(model: AIMarketModel) -> None:
    """Exits, acquisitions, entry and fund cycles for this quarter."""
    _exits(model)
    _breakups(model)
    _strategic_acquisitions(model)
    _entry(model)
    venture_fund.raise_next_funds(model)
    # Compact when a quarter of the rows are dead: every full-table pass pays for them.
    if (
        model.labs.n > COMPACT_MIN_ROWS
        and model.labs.n - np.count_nonzero(model.labs.alive[: model.labs.n]) > model.labs.n // 4
    ):
        model.compact_labs()


def _exits(model: AIMarketModel) -> None:
    labs, s, st = model.labs, model.scenario.labs, model.stats
    n = labs.n
    q = model.quarter_index
    # Entrants whose first round never closed do not start (not a bankruptcy).
    targets, stillborn = kernels.exit_candidates(
        labs.alive[:n],
        labs.archetype[:n],
        labs.patron[:n],
        labs.raised_total[:n],
        labs.first_ask[:n],
        labs.entered[:n],
        labs.cash[:n],
        labs.credit[:n],
        labs.prepaid[:n],
        labs.team_cost[:n],
        labs.failed[:n],
        q,
        s.max_failed_rounds,
    )
    bought = _acquisitions(model, targets) if targets.size else np.empty(0, np.int64)
    # targets ascending and distinct, bought among them: np.setdiff1d without its sorts.
    gone = np.zeros(labs.n, dtype=bool)
    gone[bought] = True
    bankrupt = targets[~gone[targets]]
    _retire(model, bankrupt)
    _retire(model, stillborn)
    model.event_log.add(q, "bankruptcy", labs.uid[bankrupt], amount=labs.raised_total[bankrupt])
    st.bankruptcies += int(bankrupt.size)


def _retire(model: AIMarketModel, rows: np.ndarray) -> None:
    """Close labs: leftover cash pays staff off, unused credits return to the cloud."""
    if rows.size == 0:
        return
    labs, c = model.labs, model.clouds
    # Compiled: credits back to partner clouds, every closed lab's books zeroed, one pass.
    cash_left, orphan_credit = kernels.retire_labs(
        np.asarray(rows, dtype=np.int64),
        model.quarter_index,
        labs.partner,
        c.cash,
        labs.cash,
        labs.credit,
        labs.alive,
        labs.exited,
        labs.share,
        labs.arrays(_ZEROED_AT_EXIT),
    )
    model.lab_rows_closed()
    model.ledger.money_out("wages", cash_left)
    model.ledger.money_out("wages", orphan_credit)


_ZEROED_AT_EXIT = (
    "prepaid",  # unused prepayments are forfeited to the cloud
    "revenue",
    "team_cost",
    "run_target",
    "final_req",
    "train_req",
    "inf_req",
    "train_got",
    "inf_got",
    "compute_spend",
)


def _acquisitions(model: AIMarketModel, targets: np.ndarray) -> np.ndarray:
    """Distressed labs worth buying go to the richest eligible acquirer of their bloc."""
    labs, c, pol = model.labs, model.clouds, model.policy
    n = labs.n
    # Compiled: which targets are worth buying, the buyers, and the richest allowed buyer of
    # each target's bloc (one deal per buyer), or the richest one antitrust kept out.
    t_rows, a_rows, paid, blocked, blocked_by, blocked_price = kernels.distressed_sales(
        targets,
        model.model_lab_rows(),
        labs.archetype[:n],
        _ACQUIRERS,
        APP,
        labs.best_flop,
        float(model.world.frontier_flop),
        labs.share,
        labs.parent,
        c.opcf,
        labs.cash,
        labs.valuation,
        labs.region,
        _BLOC,
        float(model.scenario.labs.acquisition_price_share),
        float(pol.max_combined_share),
        float(pol.max_hhi_delta),
    )
    if blocked.size:
        model.event_log.add(
            model.quarter_index,
            "acquisition_blocked",
            labs.uid[blocked],
            labs.uid[blocked_by],
            amount=blocked_price,
        )
    _execute(model, t_rows, a_rows, paid)
    return t_rows


_ACQUIRERS = np.array([FRONTIER, BIGTECH])  # frontier and big-tech labs buy distressed ones


def _strategic_acquisitions(model: AIMarketModel) -> None:
    """Market leaders buy rising challengers (acqui-hires), unless antitrust blocks the deal.

    A challenger is a model lab (not big tech, not state- or patron-funded) with 3-30 % of its
    main market and a model within half an order of magnitude of the leader's there. The
    leader of that market (a frontier or big-tech lab of the same bloc, with the money) makes
    at most one such offer a quarter, with probability ``strategic_acquisition_rate``, at
    ``strategic_premium`` over the challenger's mark.
    """
    labs, c, pol = model.labs, model.clouds, model.policy
    s = model.scenario.labs
    if s.strategic_acquisition_rate <= 0:
        return
    m = model.model_lab_rows()
    if m.size == 0:
        return
    # Compiled: challengers and their leaders; the leaders' wish to buy is drawn here.
    targets, buyers, main_t, s_tt, price = kernels.challengers(
        m,
        labs.archetype,
        labs.patron,
        labs.share,
        labs.capability,
        labs.region,
        _BLOC,
        _CHALLENGER_KINDS,
        _ACQUIRERS,
        labs.mark,
        float(s.strategic_premium),
    )
    if targets.size == 0:
        return
    wants = model.rng.random(targets.size) < s.strategic_acquisition_rate
    refused, deal = kernels.challenger_deals(
        targets,
        buyers,
        main_t,
        s_tt,
        price,
        wants,
        labs.cash,
        labs.parent,
        c.opcf,
        labs.share,
        float(pol.max_combined_share),
        float(pol.max_hhi_delta),
    )
    model.event_log.add(
        model.quarter_index,
        "acquisition_blocked",
        labs.uid[targets[refused]],
        labs.uid[buyers[refused]],
        amount=price[refused],
    )
    if deal.size == 0:
        return
    _execute(model, targets[deal], buyers[deal], price[deal])


_CHALLENGER_KINDS = np.array([FRONTIER, OPEN_WEIGHT, CHAMPION, CHALLENGER])


def _execute(
    model: AIMarketModel, t_rows: np.ndarray, a_rows: np.ndarray, paid: np.ndarray
) -> None:
    """Close acquisitions: pay shareholders, hand over team, customers and assets, retire the target."""
    labs = model.labs
    q = model.quarter_index
    if t_rows.size == 0:
        return
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


BREAKUP_AFTER_QUARTERS = 4


def _breakups(model: AIMarketModel) -> None:
    """Structural remedy: a lab dominant in a market for a year is split in two.

    The spin-off gets half of the lab's cash, credits, customers (market shares), revenue
    history and staff, the same models and know-how, and the same shareholders (every stake is
    mirrored); a big-tech lab's spin-off is an independent frontier lab. Both halves are then
    valued at half the lab's mark.
    """
    labs, pol = model.labs, model.policy
    n = labs.n
    if pol.breakup_share <= 0:
        labs.dominant[:n] = 0
        return
    top = labs.share[:n].max(axis=1)
    above = labs.alive[:n] & (labs.archetype[:n] != APP) & (top > pol.breakup_share)
    labs.dominant[:n] = np.where(above, labs.dominant[:n] + 1, 0)
    rows = np.flatnonzero(labs.dominant[:n] >= BREAKUP_AFTER_QUARTERS)
    if rows.size == 0:
        return
    spin = model.add_labs(
        [f"{model.lab_name(r)} spin-off" for r in rows.tolist()],
        region=labs.region[rows],
        archetype=np.where(labs.archetype[rows] == BIGTECH, FRONTIER, labs.archetype[rows]),
        open_weight=labs.open_weight[rows],
        pedigree=labs.pedigree[rows],
        partner=labs.partner[rows],
        ambition=labs.ambition[rows],
    )
    for field in ("algo", "capability", "best_flop", "best_cost", "last_flop"):
        getattr(labs, field)[spin] = getattr(labs, field)[rows]
    for field in (
        "cash",
        "credit",
        "prepaid",
        "revenue",
        "potential_revenue",
        "team_cost",
        "mark",
        "valuation",
    ):
        half = getattr(labs, field)[rows] / 2.0
        getattr(labs, field)[rows] -= half
        getattr(labs, field)[spin] = half
    for field in ("share", "revenue_hist"):
        half = getattr(labs, field)[rows] / 2.0
        getattr(labs, field)[rows] -= half
        getattr(labs, field)[spin] = half
    labs.shares_out[spin] = labs.shares_out[rows]
    labs.last_round[spin] = labs.last_round[rows]
    labs.raised_total[spin] = labs.raised_total[rows]
    labs.dominant[rows] = 0
    idx, pos = model.holdings.stakes_in(rows)
    h = model.holdings
    for q in np.unique(h.quarter[idx]).tolist():  # keep each stake's vintage
        sel = idx[h.quarter[idx] == q]
        model.holdings.add(h.investor[sel], spin[pos[h.quarter[idx] == q]], h.shares[sel], int(q))
    model.event_log.add(
        model.quarter_index, "breakup", labs.uid[rows], labs.uid[spin], amount=labs.cash[spin]
    )


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
    """New startups, in number following the venture capital invested over the last year,
    and in place following where venture capital sits."""
    f, w, s = model.funds, model.world, model.scenario
    pop, sl = s.population, s.labs
    rng = model.rng
    dry = f.dry_powder[: f.n]
    flow = w.vc_flow_history
    flow.append(model.stats.vc_funding)
    invested = sum(flow[-4:]) / min(len(flow), 4)
    if model.vc_flow0 is None:
        model.vc_flow0 = max(invested, 1e-9)
    rate = (
        pop.entry_per_quarter
        * pop.scale
        * (max(invested, 1e-9) / model.vc_flow0) ** pop.entry_capital_elasticity
    )
    count = int(rng.poisson(rate))
    if count:
        # The draws, in the order the rules below use them; then, compiled: each entrant's
        # region (rng.choice's draw in proportion to venture dry powder by region, without its
        # argument checks: test_entry_region_draw_is_rng_choice), archetype and first ask.
        u_region = rng.random(count)
        u_model = rng.random(count)
        pedigree = rng.lognormal(0.0, 0.6, count)
        app_draw = rng.lognormal(0.0, 0.7, count)
        niche = rng.normal(0.0, sl.niche_sigma, count)
        region, archetype, ask = kernels.entrants(
            f.region[: f.n],
            dry,
            N_REGIONS,
            u_region,
            u_model,
            pedigree,
            app_draw,
            float(sl.entry_model_share),
            float(sl.entry_ticket_share * w.frontier_cost),
            float(sl.app_seed_busd),
            CHALLENGER,
            APP,
        )
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
