"""Quarter phase 3: the cloud compute market (DESIGN.md §4).

Parents fund their big-tech labs, patrons and states fund theirs; clouds set lease prices;
labs plan runs and request compute for training and inference; each lab's partner cloud
serves it first, the rest clears on spot markets — one for China's clouds, one for everyone
else's — where buyers ranked by willingness to pay take the cheapest capacity first. Chinese
labs may rent leftover overseas capacity up to the remote-access share. Labs pay (credits at
their partner first), runs progress, clouds pay their bills.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.kernels import compute as kernels
from abm.ledger import ACCOUNT_INDEX
from abm.markets.compute import clear_spot
from abm.network import COMPUTE
from abm.regions import CN
from agents import hyperscaler, lab
from agents.lab import BIGTECH, CHALLENGER, CHAMPION

if TYPE_CHECKING:
    from abm.model import AIMarketModel


def fund_labs(model: AIMarketModel) -> None:
    """Parents fund big-tech labs; outside patrons and states fund theirs.

    A parent gives its lab a share of its cash flow that grows with AI spending in its home
    market (up to a ceiling), while the lab holds less than a year of it. Lab grants and public compute of a
    region go to its champions and challengers in proportion to their staff.
    """
    labs, c, _w, pol = model.labs, model.clouds, model.world, model.policy
    si = model.scenario.investors
    kids, patron, state_backed = kernels.funded_rows(
        model.model_lab_rows(),
        labs.archetype,
        labs.parent,
        labs.patron,
        BIGTECH,
        CHAMPION,
        CHALLENGER,
    )
    # Compiled; AI spending growth is raised to the parents' elasticity in numpy, per region.
    kernels.fund_labs(
        kids,
        labs.parent,
        c.region,
        model.demand_growth_by_region() ** si.parent_ai_elasticity,
        float(si.parent_ai_share),
        float(si.parent_ai_share_max),
        c.opcf,
        patron,
        labs.patron,
        state_backed,
        labs.region,
        labs.team_cost,
        pol.lab_subsidy + pol.public_compute * np.array(model.public_compute_price),
        labs.cash,
        model.ledger.inflow,
        ACCOUNT_INDEX["parents"],
        ACCOUNT_INDEX["states"],
    )


def run(model: AIMarketModel) -> None:
    """Clear the compute market for this quarter."""
    labs, c, w, s = model.labs, model.clouds, model.world, model.scenario
    nh = c.n
    fund_labs(model)
    hyperscaler.set_training_utilisation(model)
    hyperscaler.set_prices(model)
    rows = model.model_lab_rows()  # only model labs lease compute
    lab.absorb_algorithms(model, rows)

    # Expected price: the partner's, else the capacity-weighted price of the lab's pool
    # (compiled: kernels.expected_prices).
    pools, pool_price, is_cn_lab = kernels.expected_prices(
        rows,
        labs.region,
        labs.partner,
        labs.lease_price,
        c.alive[:nh],
        c.captive[:nh],
        c.public[:nh],
        c.region[:nh],
        c.capacity[:nh],
        c.price[:nh],
        CN,
    )
    pp_world, pp_cn = pool_price.tolist()
    model.public_compute_price = (pp_world,) * 2 + (pp_cn,) + (pp_world,) * 2
    partner = labs.partner[rows]

    lab.plan_runs(model, rows)
    d = s.demand
    model.inference_per_busd = d.inference_h100e_per_busd * (1.0 - d.inference_efficiency_gain) ** (
        model.t / 4.0
    )
    lab.compute_requests(model, rows, model.inference_per_busd)
    request = labs.train_req[rows] + labs.inf_req[rows]
    _contracts(model, rows)

    # Stage 1: each partner cloud shares its capacity among its labs, pro rata. Stage 2: spot
    # pools, where willingness to pay is cash per H100e wanted; Chinese labs rent leftover
    # overseas capacity, up to the remote-access share. Compiled (kernels.lease_market: the
    # numpy version, serve_partners, clear_spot and _spot, is its test's reference).
    buyer, seller, amount = kernels.lease_market(
        request,
        partner,
        is_cn_lab,
        labs.cash[rows] + labs.credit[rows],
        c.alive[:nh],
        c.capacity[:nh],
        c.price[:nh],
        pools,
        float(model.policy.cn_remote_access),
        c.demand[:nh],
    )
    _settle(model, rows, buyer, seller, amount)
    c.leased[:nh] = np.bincount(seller, weights=amount, minlength=nh)
    c.demand_hist[:nh, model.ring_slot()] = c.demand[:nh]

    done, flop, run_cost = lab.progress_runs(model, rows)
    model.event_log.add(
        model.quarter_index, "run_completed", labs.uid[done], amount=run_cost, value=flop
    )
    w.entry_run_flop = max(w.frontier_flop * 1e-3, 1e20)
    hyperscaler.operate(model)


def _contracts(model: AIMarketModel, rows: np.ndarray) -> None:
    """Partner labs' planned training per quarter, which their clouds build for."""
    labs, c, w, s = model.labs, model.clouds, model.world, model.scenario.labs
    # Compiled: each partner lab's running run, or its next run spread over a cycle within what
    # it can afford, plus inference, summed per cloud in lab order.
    kernels.contracts(
        rows,
        labs.partner,
        labs.lease_price,
        labs.cash,
        labs.credit,
        labs.prepaid,
        labs.run_target,
        labs.train_req,
        labs.inf_req,
        labs.ambition,
        labs.region,
        labs.last_flop,
        w.max_run_flop(s.run_quarters),
        float(s.run_multiple),
        float(s.frontier_fraction),
        float(w.entry_run_flop),
        float(1.0 + s.experiment_overhead),
        float(w.flop_per_h100e_quarter),
        int(s.run_quarters + s.run_gap_quarters),
        c.contracted[: c.n],
    )


def _spot(model, want, wtp, members, left, got, buyers_l, sellers_l, amounts_l) -> None:
    """Clear one spot pool; updates ``left``, ``got`` and the pair lists in place (buyers are
    positions among the model labs)."""
    c = model.clouds
    nh = c.n
    b = np.flatnonzero(want > 0)
    s_rows = np.flatnonzero(members & (left > 0))
    if b.size == 0:
        return
    # Demand signal for expansion: the pool's unmet demand, by each cloud's share of its capacity.
    total_cap = c.capacity[:nh][members].sum()
    if total_cap > 0:
        c.demand[:nh] += np.where(members, c.capacity[:nh] / total_cap, 0.0) * want[b].sum()
    if s_rows.size == 0:
        return
    filled, bi, si, amt = clear_spot(want[b], wtp[b], left[s_rows], c.price[s_rows])
    got[b] += filled
    np.subtract.at(left, s_rows[si], amt)
    buyers_l.append(b[bi])
    sellers_l.append(s_rows[si])
    amounts_l.append(amt)


def _settle(
    model: AIMarketModel,
    rows: np.ndarray,
    buyer: np.ndarray,
    seller: np.ndarray,
    amount: np.ndarray,
) -> None:
    """Model labs pay for the compute they got (prepaid compute and credits at the partner
    first); split it between inference and training; log compute flows. ``buyer`` holds
    positions in ``rows``."""
    labs, c = model.labs, model.clouds
    nh = c.n
    # Compiled (abm/kernels/compute.py; the numpy version is its test's reference). A lab that
    # cannot pay for all it got at these prices takes less, pro rata; credits pay only the
    # partner, cash the rest; at the partner, prepaid compute first, then credits, then cash.
    cost, received, prepaid_used = kernels.settle(
        rows,
        buyer,
        seller,
        amount,
        c.price,
        c.amortised,
        nh,
        labs.partner,
        labs.cash,
        labs.credit,
        labs.prepaid,
        labs.inf_req,
        labs.compute_spend,
        labs.compute_cost_basis,
        labs.inf_got,
        labs.train_got,
    )
    c.cash[:nh] += received - prepaid_used
    c.lease_rev[:nh] = received
    model.flows.log(
        model.quarter_index,
        COMPUTE,
        c.uid[seller],
        labs.uid[rows[buyer]],
        cost,
        c.region[seller],
        labs.region[rows[buyer]],
    )
