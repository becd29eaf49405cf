"""The investors' compiled bookkeeping gives bit for bit what its numpy version gave.

The references are ``agents/venture_fund.set_budgets``, ``agents/sovereign_fund.allocate`` and
``abm/phases/capital.py``'s ``_set_budgets`` and ``_investor_budget`` as they were at commit
628bde9, and the bincount that debited investors. Two models with the same seed run in
lockstep, one with the references; after every quarter their investors, labs, stakes and
books must be identical.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep import assert_lockstep

from abm import AIMarketModel
from abm.kernels import investors as kernels
from abm.phases import capital
from abm.phases.capital import CLOUD, SOVEREIGN, VC, VENDOR
from agents import venture_fund
from agents.sovereign_fund import LABS


def reference_venture_budgets(model: AIMarketModel) -> None:
    """Deploy dry powder evenly over what is left of the investment period."""
    f, s = model.funds, model.scenario.investors
    n = f.n
    age = model.quarter_index - f.vintage[:n]
    left = np.maximum(s.vc_investment_quarters - age, 2)
    f.budget[:n] = np.where(f.alive[:n], f.dry_powder[:n] / left, 0.0)


def reference_allocate(model: AIMarketModel, valuation_growth: float) -> None:
    """Add this quarter's AI allocation from the state to dry powder and set the budget.

    Args:
        valuation_growth: growth of the total valuation of labs over the last year (ratio).
    """
    sf, s = model.sovereigns, model.scenario.investors
    n = sf.n
    share = s.sovereign_ai_share * max(valuation_growth, 1.0) ** s.sovereign_hype_elasticity
    share = min(share, s.sovereign_ai_share_max)
    add = np.where(sf.alive[:n], sf.aum[:n] * share * sf.ai_tilt[:n] / 4.0, 0.0)
    # The allocation is a commitment, not a pile: dry powder is capped at two years of it.
    add = np.minimum(add, np.maximum(8.0 * add - sf.dry_powder[:n], 0.0))
    sf.dry_powder[:n] += add
    model.ledger.money_in("states", float(add.sum()))
    sf.budget[:n] = np.where(sf.alive[:n], sf.dry_powder[:n] / 4.0, 0.0)


def reference_set_budgets(model: AIMarketModel) -> None:
    reference_venture_budgets(model)
    hist = model.world.valuation_history
    growth = hist[-1] / hist[-5] if len(hist) >= 5 and hist[-5] > 0 else 1.0
    reference_allocate(model, growth)


def reference_investor_budget(model: AIMarketModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Budget, region and kind of every investor in the global index."""
    f, sf, c, v = model.funds, model.sovereigns, model.clouds, model.vendors
    s = model.scenario.investors
    vendor_budget = np.where(v.alive[: v.n], s.vendor_venture_share * v.revenue[: v.n], 0.0)
    vendor_budget = np.minimum(vendor_budget, np.maximum(v.cash[: v.n], 0.0))
    budget = np.concatenate(
        [
            f.budget[: f.n],
            np.where(sf.backs[: sf.n] == LABS, sf.budget[: sf.n], 0.0),
            np.maximum(c.strategic[: c.n], 0.0) * c.alive[: c.n],
            vendor_budget,
        ]
    )
    region = np.concatenate(
        [f.region[: f.n], sf.region[: sf.n], c.region[: c.n], v.region[: v.n]]
    ).astype(np.int64)
    kind = np.concatenate(
        [np.full(f.n, VC), np.full(sf.n, SOVEREIGN), np.full(c.n, CLOUD), np.full(v.n, VENDOR)]
    )
    return budget, region, kind


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"),
    [("baseline", 1, 32), ("no_export_controls", 2, 16), ("strict_export_controls", 3, 16)],
)
def test_budgets_match_numpy(monkeypatch, preset, seed, quarters):
    assert_lockstep(
        monkeypatch,
        preset,
        seed,
        quarters,
        [
            (capital, "_set_budgets", reference_set_budgets),
            (capital, "_investor_budget", reference_investor_budget),
        ],
    )


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 400))
def test_debit_is_the_bincount_by_kind(seed, k):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 30, 4)
    base = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = int(counts.sum())
    inv = rng.integers(0, n, k)
    amt = rng.lognormal(0.0, 2.0, k)
    cols = [rng.lognormal(0.0, 1.0, c) for c in (counts[0], counts[0], counts[1], counts[1])]
    cols += [rng.lognormal(0.0, 1.0, counts[2]), rng.lognormal(0.0, 1.0, counts[3])]
    want = [c.copy() for c in cols]
    paid = np.bincount(inv, weights=amt, minlength=n)
    for target, kd in ((0, VC), (2, SOVEREIGN), (4, CLOUD), (5, VENDOR)):
        want[target] -= paid[base[kd] : base[kd] + want[target].size]
    want[1] += paid[base[VC] : base[VC] + counts[0]]
    want[3] += paid[base[SOVEREIGN] : base[SOVEREIGN] + counts[1]]
    kernels.debit(inv, amt, base, n, *cols)
    for got, expected in zip(cols, want, strict=True):
        assert got.tobytes() == expected.tobytes()


def reference_raise_next_funds(model: AIMarketModel) -> np.ndarray:
    """Firms whose cycle is over raise a new fund from LPs, sized by marked returns.

    New size = last size x clip(TVPI^elasticity, 0.3, 4) x LP trend growth over the cycle,
    where TVPI = (distributions + marked value of the current fund's stakes) / paid in. Only
    the funds that raise are marked to market. Returns the rows that raised.
    """
    f, s = model.funds, model.scenario.investors
    n = f.n
    rows = np.flatnonzero(
        f.alive[:n] & (model.quarter_index - f.vintage[:n] >= s.vc_fund_cycle_quarters)
    )
    if rows.size == 0:
        return rows
    base = model.investor_base[0]
    since = np.zeros(model.n_investors, dtype=np.int64)
    since[base + rows] = f.vintage[rows]
    nav = model.holdings.value_by_investor(
        model.price_per_share(), base + rows, model.n_investors, since
    )
    nav_current = nav[base : base + n]
    paid = f.paid_in[rows]
    tvpi = np.divide(
        f.distributed[rows] + nav_current[rows], paid, out=np.ones(rows.size), where=paid > 1e-9
    )
    years = s.vc_fund_cycle_quarters / 4.0
    size = (
        f.fund_size[rows]
        * np.clip(tvpi**s.returns_elasticity, 0.3, 4.0)
        * (1.0 + s.lp_growth_per_year) ** years
    )
    f.dry_powder[rows] += size
    model.ledger.money_in("limited_partners", float(size.sum()))
    f.fund_size[rows] = size
    f.tvpi[rows] = tvpi
    f.vintage[rows] = model.quarter_index
    f.paid_in[rows] = 0.0
    f.distributed[rows] = 0.0
    return rows


@pytest.mark.parametrize(("preset", "seed", "quarters"), [("baseline", 6, 48), ("scale", 7, 24)])
def test_next_funds_match_numpy(monkeypatch, preset, seed, quarters):
    """``raise_next_funds`` against its numpy version (commit 8e9a86b), in lockstep."""
    assert_lockstep(
        monkeypatch,
        preset,
        seed,
        quarters,
        [(venture_fund, "raise_next_funds", reference_raise_next_funds)],
    )


@pytest.mark.parametrize("seed", range(4))
def test_strategic_members_are_the_numpy_selections(seed):
    rng = np.random.default_rng(seed)
    sf_alive, backs = rng.random(20) < 0.8, rng.integers(0, 2, 20)
    c_alive, captive, public = rng.random(30) < 0.9, rng.random(30) < 0.3, rng.random(30) < 0.1
    v_alive = rng.random(9) < 0.7
    got = kernels.strategic_members(sf_alive, backs, LABS, c_alive, captive, public, v_alive)
    want = (
        np.flatnonzero(sf_alive & (backs == LABS)),
        np.flatnonzero(c_alive & ~captive & ~public),
        np.flatnonzero(v_alive),
    )
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
