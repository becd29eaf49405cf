"""The compiled fundraising kernels give bit for bit what the numpy code they replaced gave.

``reference_pre_money`` and ``reference_funding_asks`` are ``agents.lab.pre_money`` and
``agents.lab.funding_asks`` as they were at commit 7020eed, before the kernels (now one rule,
:func:`agents.lab.price_rounds`). They are run
on models part-way through a run, with some of the lab table scrambled so that rare branches
(failed rounds, new labs, zero revenue) are common.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm import AIMarketModel, load_scenario
from agents.lab import (
    APP,
    BIGTECH,
    deal_score,
    model_lab_mask,
    next_run_flop,
    price_rounds,
)

if TYPE_CHECKING:
    from abm.model import AIMarketModel as Model


def reference_pre_money(model: AIMarketModel) -> np.ndarray:
    labs, w, s = model.labs, model.world, model.scenario.labs
    n = labs.n
    model_lab = model_lab_mask(labs)
    rev = labs.revenue[:n]
    prev = labs.revenue_hist[:n, model.ring_slot_year_ago()]
    own_growth = np.divide(rev, prev, out=np.ones(n), where=prev > 1e-6)
    hist = w.demand_history
    market_growth = hist[-1] / hist[-5] if len(hist) >= 5 and hist[-5] > 0 else 1.0
    growth = np.clip(np.where(model_lab, market_growth, own_growth), 1.0, s.growth_cap)
    credibility = w.paid_share**s.conversion_learning
    pot = labs.potential_revenue[:n]
    if credibility >= 1.0:
        base = np.maximum(pot, rev)
    else:
        base = rev + credibility * np.maximum(pot - rev, 0.0)
    value_rev = 4.0 * base * s.revenue_multiple * growth**s.growth_horizon_years
    best = np.maximum(np.maximum(labs.best_flop[:n], labs.run_done[:n]), 1.0)
    gap = np.clip(np.log10(max(w.frontier_flop, 1.0)) - np.log10(best), 0.0, 4.0)
    leader_value = float(np.max(np.where(model_lab, value_rev, 0.0), initial=0.0))
    value_cap = np.where(
        model_lab,
        s.contender_value_share * leader_value * 10.0 ** (-gap) * labs.pedigree[:n] / 3.0,
        0.0,
    )
    value = np.maximum(value_rev, value_cap)
    idx = np.flatnonzero(model_lab & np.isfinite(labs.capability[:n]))
    if idx.size:
        rank = np.empty(idx.size)
        rank[np.argsort(-labs.capability[idx], kind="stable")] = np.arange(idx.size)
        value[idx] *= 1.0 + s.hype_premium * np.exp(-rank / 1.5)
    value = np.maximum(value, 0.6 * labs.valuation[:n])
    return value * (1.0 - s.failed_round_haircut) ** labs.failed[:n]


def reference_funding_asks(model: AIMarketModel, pre: np.ndarray) -> np.ndarray:
    labs, _w, s = model.labs, model.world, model.scenario.labs
    n = labs.n
    alive = labs.alive[:n]
    arch = labs.archetype[:n]
    q = model.quarter_index
    cash = labs.cash[:n] + labs.credit[:n] + labs.prepaid[:n]
    burn = np.maximum(labs.team_cost[:n] + labs.compute_spend[:n] - labs.revenue[:n], 1e-6)
    runway = cash / burn
    # The next run plus a cycle of research towards it (model labs only).
    model_rows = np.flatnonzero(alive & (arch != APP))
    next_cost = np.zeros(n)
    next_cost[model_rows] = (
        next_run_flop(model, model_rows)
        * labs.lease_price[model_rows]
        * (1.0 + s.experiment_overhead)
        / model.world.flop_per_h100e_quarter
    )
    model_lab = arch != APP
    need_model = next_cost / s.training_cash_share + s.runway_quarters * labs.team_cost[:n] - cash
    need_app = (s.runway_quarters + 4.0) * burn
    war_chest = s.war_chest_share * pre
    yearly = q - labs.last_round[:n] >= 4
    # An application startup that can raise at an up-round (pre-money above its last post-money)
    # raises a growth round once a year, like a model lab's war chest; otherwise it raises
    # only when its runway runs short.
    up_round = yearly & (pre >= labs.valuation[:n]) & (labs.raised_total[:n] > 0)
    need = np.where(
        model_lab,
        np.maximum(need_model, np.where(yearly, war_chest, 0.0)),
        np.maximum(
            need_app,
            np.where(
                up_round, s.growth_round_dilution / (1.0 - s.growth_round_dilution) * pre, 0.0
            ),
        ),
    )
    wants = np.where(
        model_lab,
        (need_model > 0.25 * (next_cost + 1e-9)) | yearly,
        (runway < s.runway_quarters) | up_round,
    )
    cap = s.max_dilution / (1.0 - s.max_dilution) * pre
    # After a failed round a lab asks for about what investors offered.
    cap = np.where(labs.failed[:n] > 0, np.minimum(cap, 1.2 * labs.offered[:n]), cap)
    ask = np.minimum(need, cap)
    new = labs.last_round[:n] < 0
    ask = np.where(new & (labs.first_ask[:n] > 0), labs.first_ask[:n], ask)
    eligible = (
        alive
        & (arch != BIGTECH)
        & (labs.patron[:n] <= 0)
        & wants
        & (ask > 1e-4)
        & (q - labs.last_round[:n] >= 2)
    )
    eligible |= alive & new & (labs.first_ask[:n] > 0) & (labs.raised_total[:n] <= 0)
    rows = np.flatnonzero(eligible)
    labs.ask[:n] = 0.0
    labs.ask[rows] = ask[rows]
    labs.ask_pre[rows] = pre[rows]
    return rows


@pytest.fixture(scope="module")
def models() -> list[Model]:
    """Seed 1 counts all use at list prices, seed 2 only the conversion seen so far."""
    out = []
    for seed, quarters, learning in ((1, 3, 0.0), (2, 9, 1.0)):
        scenario = load_scenario("baseline").with_overrides({"labs.conversion_learning": learning})
        model = AIMarketModel(scenario, rng=seed)
        model.run_for(quarters)
        out.append(model)
    return out


def _scramble(model: Model, seed: int) -> None:
    labs = model.labs
    n = labs.n
    rng = np.random.default_rng(seed)
    pick = rng.random(n) < 0.3
    labs.failed[:n] = np.where(pick, rng.integers(0, 4, n), labs.failed[:n])
    labs.revenue[:n] = np.where(rng.random(n) < 0.2, 0.0, labs.revenue[:n])
    labs.last_round[:n] = np.where(rng.random(n) < 0.1, -99, labs.last_round[:n])
    labs.offered[:n] = np.where(pick, rng.lognormal(0.0, 1.0, n), labs.offered[:n])
    labs.valuation[:n] = np.where(
        rng.random(n) < 0.2, rng.lognormal(0.0, 2.0, n), labs.valuation[:n]
    )


def reference_deal_score(model: AIMarketModel, rows: np.ndarray) -> np.ndarray:
    """:func:`agents.lab.deal_score` as numpy code, before its kernels."""
    labs, w = model.labs, model.world
    rev = labs.revenue[rows]
    prev = labs.revenue_hist[rows, model.ring_slot_year_ago()]
    growth = np.clip(np.divide(rev, prev, out=np.ones(rows.size), where=prev > 1e-6), 0.5, 10.0)
    best = np.maximum(labs.best_flop[rows], 1.0)
    gap = np.clip(np.log10(max(w.frontier_flop, 1.0)) - np.log10(best), 0.0, 4.0)
    model_lab = labs.archetype[rows] != APP
    return (
        np.log(labs.pedigree[rows])
        + np.log(growth)
        + 0.25 * np.log10(1.0 + labs.ask_pre[rows] / 0.01)
        + np.where(model_lab, 1.0 - 0.5 * gap, labs.niche[rows] * 0.5)
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, 1))
def test_pre_money_and_asks_match_numpy(models, seed, which):
    model = models[which]
    labs = model.labs
    saved = {
        f: getattr(labs, f).copy()
        for f in (
            "failed",
            "revenue",
            "last_round",
            "offered",
            "valuation",
            "ask",
            "ask_pre",
            "mark",
        )
    }
    try:
        _scramble(model, seed)
        pre, rows, marked = price_rounds(model)
        want_pre = reference_pre_money(model)
        assert pre.tobytes() == want_pre.tobytes()
        n = labs.n
        want_mark = np.where(labs.alive[:n], np.maximum(pre, labs.valuation[:n]), 0.0)
        assert labs.mark[:n].tobytes() == want_mark.tobytes()
        assert marked == want_mark.sum()
        ask, ask_pre = labs.ask.copy(), labs.ask_pre.copy()
        want_rows = reference_funding_asks(model, pre)
        assert rows.tobytes() == want_rows.astype(np.int64).tobytes()
        assert ask.tobytes() == labs.ask.tobytes() and ask_pre.tobytes() == labs.ask_pre.tobytes()
        score = deal_score(model, rows)
        assert score.tobytes() == reference_deal_score(model, rows).tobytes()
    finally:
        for f, v in saved.items():
            getattr(labs, f)[:] = v


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_numpy_transcendentals_are_elementwise(seed, n):
    """pre_money takes logs and powers of the model-lab rows only; numpy's (SIMD) functions
    must give each element the value they give it inside the whole table."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 10.0, n)
    sub = np.flatnonzero(rng.random(n) < 0.3)
    assert np.log10(x[sub]).tobytes() == np.log10(x)[sub].tobytes()
    assert (10.0 ** -x[sub]).tobytes() == (10.0**-x)[sub].tobytes()
    assert (x[sub] ** 1.7).tobytes() == (x**1.7)[sub].tobytes()
    k = rng.integers(0, 5, n).astype(np.int16)
    assert (0.7 ** k[sub]).tobytes() == (0.7**k)[sub].tobytes()
    assert ((0.7**k)[k == 0] == 1.0).all()


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 600),
    premium=st.sampled_from([0.0, 0.3, 1.0, 7.5]),
)
def test_hype_factors_equal_the_full_ranking(seed, n, premium):
    """The leaders' premium over only the top ranks equals ``1 + premium x e^(-rank / 1.5)``
    over the full stable ranking (``pre_money`` at commit ca10dfa), ties included."""
    from abm.kernels.fundraising import hype_factors
    from agents.lab import _hype_table

    rng = np.random.default_rng(seed)
    capability = np.round(rng.normal(25.0, 1.0, 1000), int(rng.integers(0, 3)))  # ties
    idx = np.sort(rng.choice(1000, n, replace=False))
    rank = np.empty(idx.size)
    rank[np.argsort(-capability[idx], kind="stable")] = np.arange(idx.size)
    want = 1.0 + premium * np.exp(-rank / 1.5)
    got = hype_factors(idx, capability, _hype_table(premium))
    assert got.tobytes() == want.tobytes()
