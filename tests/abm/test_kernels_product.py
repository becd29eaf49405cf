"""The product phase with compiled bookkeeping gives bit for bit what its numpy version gave.

``reference_run`` is ``abm/phases/product.py`` as it was at commit 7020eed, its matrix product
summed in a fixed order (``_matvec``). Two models with the same seed run in lockstep, one with
the reference phase; their lab tables and books must stay identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.markets.product import demand_level, model_shares, segment_shares
from abm.phases import product
from abm.regions import N_REGIONS
from agents.lab import APP

if TYPE_CHECKING:
    pass


def _matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a @ x``, each row summed in column order from 0.0 (BLAS's order depends on the CPU)."""
    out = np.zeros(a.shape[0])
    for j in range(x.size):
        out = out + a[:, j] * x[j]
    return out


def reference_market_frontier(model: AIMarketModel) -> np.ndarray:
    """Best capability (log10 effective FLOP) sold in each market; -inf where none."""
    labs, pol = model.labs, model.policy
    n = labs.n
    alive = np.flatnonzero(labs.alive[:n])
    best = np.full(N_REGIONS, -np.inf)  # best capability of labs based in each region
    np.maximum.at(best, labs.region[alive].astype(np.int64), labs.capability[alive])
    access = pol.appeal > 0  # (home region, market)
    return np.where(access, best[:, None], -np.inf).max(axis=0)


def reference_run(model: AIMarketModel) -> None:
    """Clear the product market and pay staff."""
    labs, w, s = model.labs, model.world, model.scenario
    d, sl = s.demand, s.labs
    n = labs.n
    alive = labs.alive[:n]
    frontier = reference_market_frontier(model)
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
    m = np.flatnonzero(alive & (labs.archetype[:n] != APP))
    access = model.policy.appeal[labs.region[m]]
    sh = model_shares(labs.capability[m], labs.share[m], access, sl.beta_capability, sl.lock_in)
    # Application segment, home market only.
    a = np.flatnonzero(alive & (labs.archetype[:n] == APP))
    home = labs.region[a].astype(np.int64)
    appeal = np.exp(labs.niche[a]) * (labs.spend_cum[a] + 1e-3) ** sl.app_growth_elasticity
    appeal *= (1.0 + labs.share[a, 0]) ** sl.lock_in
    sa = segment_shares(appeal, home, N_REGIONS)
    rev_app = sa * w.demand_app[home]
    fees = d.api_fee_share * np.bincount(home, weights=rev_app, minlength=N_REGIONS)

    # A model lab serves what its inference compute allows (new labs get one quarter's grace).
    # A model lab serves what its inference compute allows: the compute this quarter's demand
    # for its models needs, against what it leased for inference.
    potential = _matvec(sh, w.demand_model) + (sh * fees[None, :]).sum(axis=1)
    needed = potential * model.inference_per_busd
    served = np.where(needed > 0, np.minimum(labs.inf_got[m] / np.maximum(needed, 1e-12), 1.0), 1.0)
    labs.potential_revenue[m] = potential
    # Only the paid share of the use is revenue (Bass diffusion of paid adoption).
    paid = w.paid_share
    own = (_matvec(sh, w.demand_model)) * served * paid
    fee_income = (sh * fees[None, :]).sum(axis=1) * served * paid
    fee_paid_by_market = (sh * served[:, None]).sum(axis=0) * fees
    fee_rate = np.divide(
        fee_paid_by_market,
        np.bincount(home, weights=rev_app, minlength=N_REGIONS),
        out=np.zeros(N_REGIONS),
        where=fees > 0,
    )
    labs.potential_revenue[a] = rev_app
    rev_app = rev_app * paid
    fee_out = rev_app * fee_rate[home]

    revenue = np.zeros(n)
    revenue[m] = own + fee_income
    revenue[a] = rev_app
    labs.cash[:n] += revenue
    labs.cash[a] -= fee_out
    model.ledger.money_in("customers", float(own.sum() + rev_app.sum()))
    labs.share[m] = sh
    labs.share[a, 0] = sa
    model.stats.share_sums = np.concatenate(
        [sh.sum(axis=0), np.bincount(home, weights=sa, minlength=N_REGIONS)]
    )
    labs.revenue_hist[:n, model.ring_slot()] = revenue
    labs.revenue[:n] = revenue
    model.stats.model_revenue = float(revenue[m].sum())
    model.stats.total_revenue = float(own.sum() + rev_app.sum())

    # Staff: model labs scale with compute spend; application startups keep the team they raised for.
    team = np.where(
        labs.archetype[:n] == APP,
        np.maximum(labs.team_cost[:n], 0.6 * revenue),
        sl.base_staff_busd * labs.pedigree[:n] + sl.staff_cost_ratio * labs.compute_spend[:n],
    )
    labs.team_cost[:n] = np.where(alive, team, 0.0)
    pay = np.minimum(labs.team_cost[:n], np.maximum(labs.cash[:n], 0.0))
    labs.cash[:n] -= pay
    labs.spend_cum[:n] += np.where(labs.archetype[:n] == APP, pay, 0.0)
    model.ledger.money_out("wages", float(pay.sum()))
    if paid < 1.0:
        d = s.demand
        w.paid_share = min(
            paid + (d.adoption_innovation + d.adoption_imitation * paid) * (1.0 - paid) / 4.0, 1.0
        )


@pytest.mark.parametrize(("preset", "seed"), [("baseline", 1), ("strict_antitrust", 2)])
def test_product_phase_matches_numpy(monkeypatch, preset, seed):
    new = AIMarketModel(load_scenario(preset), rng=seed)
    ref = AIMarketModel(load_scenario(preset), rng=seed)
    for _ in range(12):
        new.step()
        with monkeypatch.context() as patch:
            patch.setattr(product, "run", reference_run)
            ref.step()
        assert new.world.paid_share == ref.world.paid_share
        for field in (
            "cash",
            "team_cost",
            "spend_cum",
            "revenue",
            "potential_revenue",
            "revenue_hist",
            "share",
        ):
            a, b = getattr(new.labs, field), getattr(ref.labs, field)
            assert a.tobytes() == b.tobytes(), field
        assert new.ledger.outflow.tobytes() == ref.ledger.outflow.tobytes()
        assert np.array_equal(product.market_frontier(new), reference_market_frontier(ref))


@pytest.mark.parametrize("seed", range(6))
def test_model_logit_kernels_match_model_shares(seed):
    """The compiled logit equals ``model_shares`` bit for bit, labs without a model and
    markets nobody may sell in included."""
    from abm.kernels import product as kernels

    rng = np.random.default_rng(seed)
    n, markets = 300, N_REGIONS
    capability = rng.normal(24.0, 1.5, n)
    capability[rng.random(n) < 0.2] = -np.inf
    share = rng.dirichlet(np.ones(n), markets).T.copy()
    region = rng.integers(0, markets, n)
    appeal = rng.random((markets, markets)) * (rng.random((markets, markets)) < 0.7)
    rows = np.sort(rng.choice(n, 200, replace=False))
    beta, lock_in = 2.0 + seed, 0.5 * seed
    want = model_shares(capability[rows], share[rows], appeal[region[rows]], beta, lock_in)
    sellable, exponent, lock = kernels.model_logit_inputs(
        rows, capability, share, region, appeal, beta
    )
    got = kernels.model_logit_shares(sellable, np.exp(exponent), lock**lock_in)
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [("strict_antitrust", {}), ("scale", {"population.scale": 1.0})],
)
def test_application_startups_never_have_a_capability(scenario, overrides):
    """market_frontier reads the model labs only: no application startup ever has a model
    (entry, acquisitions, break-ups and compaction included)."""
    model = AIMarketModel(load_scenario(scenario).with_overrides(overrides), rng=2)
    for _ in range(40):
        model.step()
        labs = model.labs
        apps = labs.archetype[: labs.n] == APP
        assert (labs.capability[: labs.n][apps] == -np.inf).all(), model.quarter
        assert np.array_equal(product.market_frontier(model), reference_market_frontier(model))
