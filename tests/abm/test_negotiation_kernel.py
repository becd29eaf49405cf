"""The compiled negotiation gives bit for bit what the Python loop over the market's functions
gave, and draws the same numbers from the model's generator.

``reference_negotiate`` is ``abm.phases.capital._negotiate`` as it was at commit ab75526: the
passes written in Python around :func:`abm.markets.capital.venture_offers`,
:func:`~abm.markets.capital.stacked_offers`, the screening and commitment kernels and
:func:`~abm.markets.capital.clear_rounds`. Two models with the same seed run in lockstep, one
with the reference; after every quarter their labs, stakes, investors and generators must be
identical.
"""

from __future__ import annotations

import numpy as np
import pytest
from lockstep import assert_lockstep

from abm.kernels import capital as kernels
from abm.kernels.negotiation import lexsort_by_region, region_layout
from abm.markets import capital as market
from abm.markets.capital import Offers, RoundResult, clear_rounds, merge, stacked_offers
from abm.phases import capital


def reference_negotiate(model, rows, ask, weight, budget, inv_region) -> RoundResult:
    si = model.scenario.investors
    venture, strategic, _ = capital._deal_groups(model, rows, ask, budget, inv_region)
    screen = model.policy.screening_allowed()
    ask_region = model.labs.region[rows].astype(np.int64)
    offers: list[Offers] = []
    offered = np.zeros(ask.size)
    is_open = np.ones(ask.size, dtype=bool)
    committed = np.zeros(budget.size)
    for n_pass in range(capital.NEGOTIATION_PASSES):
        left = np.maximum(budget - committed, 0.0)
        open_weight = weight * is_open
        drawn = []
        if n_pass == 0 and venture is not None:
            drawn.append(
                market.venture_offers(model.rng, venture, ask_region, ask, open_weight, left)
            )
        if strategic is not None:
            eligible, cols, group, draws, max_share = strategic
            o = stacked_offers(
                model.rng, eligible, open_weight[cols], group, left, draws, max_share, ask[cols]
            )
            drawn.append(Offers(o.investor, cols[o.ask], o.amount))
        new = merge(drawn)
        new = Offers(
            *kernels.screen_offers(
                new.investor,
                new.ask,
                new.amount,
                screen,
                inv_region,
                ask_region,
                model.rng.random(new.amount.size),
            )
        )
        if new.amount.size == 0:
            break
        offers.append(new)
        every = merge(offers)
        offered, is_open, committed = kernels.commit_offers(
            every.investor,
            every.ask,
            every.amount,
            new.amount.size,
            offered,
            ask,
            float(si.round_fill_min),
            budget.size,
        )
        if not is_open.any():
            break
    return clear_rounds(merge(offers), ask, si.round_fill_min)


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"),
    [("baseline", 1, 24), ("strict_export_controls", 2, 16), ("no_export_controls", 3, 12)],
)
def test_negotiation_matches_the_python_loop(monkeypatch, preset, seed, quarters):
    assert_lockstep(
        monkeypatch, preset, seed, quarters, [(capital, "_negotiate", reference_negotiate)]
    )


@pytest.mark.parametrize("seed", range(6))
def test_region_layout_is_lexsort_for_any_amounts(seed):
    """The radix sort, or for negative, -0.0, infinite or NaN amounts the merge sorts, put asks
    in ``np.lexsort((amount, region))`` order."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    region = rng.integers(0, 5, n)
    amount = np.round(rng.lognormal(0.0, 2.0, n), int(rng.integers(0, 3)))  # ties
    if seed % 2:
        specials = np.array([-1.5, -0.0, 0.0, np.inf, -np.inf, np.nan, 2.0])
        amount[rng.integers(0, n, 8)] = rng.choice(specials, 8)
    expected = np.lexsort((amount, region))
    assert np.array_equal(lexsort_by_region(region, amount), expected)
    order, block_start = region_layout(region, amount, 5)
    assert np.array_equal(order, expected)
    assert np.array_equal(block_start[1:], np.cumsum(np.bincount(region, minlength=5)))
