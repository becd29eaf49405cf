"""Quarter phase 4: the product market (DESIGN.md §4).

Use of AI services in each regional market grows with the best capability sold there (and
saturates); only the paid share of it (``world.paid_share``, rising by Bass diffusion) is
revenue, while the whole use needs inference compute.
Model labs split the foundation-model segment by a logit on capability with lock-in;
application startups split the application segment of their home market by niche appeal,
growth spending and lock-in, and pay API fees to the model labs. A model lab serves only as
much as its inference compute allows. Labs then pay their staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.kernels import product as kernels
from abm.markets.product import demand_level
from agents.lab import APP

if TYPE_CHECKING:
    from abm.model import AIMarketModel


def market_frontier(model: AIMarketModel) -> np.ndarray:
    """Best capability (log10 effective FLOP) sold in each market; -inf where none: the best
    model lab based in a region whose labs may sell there (application startups train no
    models: their capability is always -inf)."""
    labs = model.labs
    return kernels.market_frontier(
        model.model_lab_rows(), labs.region, labs.capability, model.policy.appeal
    )


def run(model: AIMarketModel) -> None:
    """Clear the product market and pay staff."""
    labs, w, s = model.labs, model.world, model.scenario
    d, sl = s.demand, s.labs
    n = labs.n
    alive = labs.alive[:n]
    frontier = market_frontier(model)
    gain = np.where(np.isfinite(frontier), frontier - w.capability0, 0.0)
    share = np.array([d.region_share[r] for r in model.region_names])
    spend = (
        demand_level(
            d.base_busd_per_year * share,
            d.ceiling_busd_per_year * share,
            d.capability_elasticity,
            gain,
        )
        / 4.0
    )
    w.demand_model = spend * (1.0 - d.app_share)
    w.demand_app = spend * d.app_share
    w.demand_history.append(float(spend.sum()))

    # Foundation-model segment.
    m = model.model_lab_rows()
    # Compiled logit (abm.markets.product.model_shares is the numpy version); the exponential
    # and the lock-in power stay in numpy.
    sellable, exponent, lock = kernels.model_logit_inputs(
        m, labs.capability, labs.share, labs.region, model.policy.appeal, sl.beta_capability
    )
    sh = kernels.model_logit_shares(sellable, np.exp(exponent), lock**sl.lock_in)
    # Application segment, home market only: appeal = e^niche x growth spend^elasticity x
    # (1 + last share)^lock_in, split per market (compiled; the powers stay in numpy).
    a, home, niche_appeal, growth, lock = kernels.app_inputs(
        alive,
        labs.archetype[:n],
        APP,
        labs.region[:n],
        labs.niche_appeal[:n],
        labs.spend_cum[:n],
        labs.share[:n],
    )
    appeal = niche_appeal * growth**sl.app_growth_elasticity
    appeal *= lock**sl.lock_in
    rev_app, fees, rev_app_by_market, sa_by_market = kernels.app_market(
        appeal, a, home, w.demand_app, d.api_fee_share, labs.share
    )

    # A model lab serves what its inference compute allows: the compute this quarter's demand
    # for its models needs, against what it leased for inference. Only the paid share of what
    # is used is revenue; free use still needs inference compute (compiled, one pass; the
    # apps' shares are written by kernels.app_market).
    paid = w.paid_share
    model_revenue, fee_rate, model_share_sums, own_total, model_total = kernels.model_sales(
        sh,
        m,
        w.demand_model,
        fees,
        labs.inf_got,
        float(model.inference_per_busd),
        float(paid),
        rev_app_by_market,
        labs.share,
        labs.potential_revenue,
    )
    model.stats.share_sums = np.concatenate([model_share_sums, sa_by_market])
    model.stats.model_revenue = model_total

    # Revenue in (an app's is the paid share of what its users' use is worth, its potential
    # revenue), API fees out; staff: model labs scale with compute spend, application
    # startups keep the team they raised for (compiled, one pass).
    pay, app_revenue = kernels.book_sales_and_payroll(
        alive,
        labs.archetype[:n],
        APP,
        m,
        model_revenue,
        a,
        rev_app,
        float(paid),
        fee_rate,
        home,
        labs.pedigree[:n],
        labs.compute_spend[:n],
        float(sl.base_staff_busd),
        float(sl.staff_cost_ratio),
        labs.cash[:n],
        labs.team_cost[:n],
        labs.spend_cum[:n],
        labs.revenue[:n],
        labs.revenue_hist[:n],
        model.ring_slot(),
        labs.potential_revenue,
    )
    model.ledger.money_in("customers", own_total + app_revenue)
    model.stats.total_revenue = own_total + app_revenue
    model.stats.paid_share = paid
    model.ledger.money_out("wages", pay)
    # Paid adoption diffuses (Bass): new payers come from outside influence (p) and from
    # imitating those already paying (q), per year, among those not yet paying.
    if paid < 1.0:
        w.paid_share = min(
            paid + (d.adoption_innovation + d.adoption_imitation * paid) * (1.0 - paid) / 4.0, 1.0
        )
