"""The pure clearing functions: arrays in, arrays out, quantities conserved."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.markets.capital import Offers, clear_rounds, stacked_offers
from abm.markets.chips import logit_split, ration_by_capacity
from abm.markets.compute import average_price, clear_spot, lease_price, serve_partners
from abm.markets.product import demand_level, hhi, model_shares, segment_shares

amounts = st.lists(st.floats(0.0, 100.0), min_size=1, max_size=30)


def test_a_short_partner_cloud_rations_its_labs_pro_rata():
    got = serve_partners(np.array([30.0, 10.0, 5.0]), np.array([0, 0, -1]), np.array([20.0]))
    np.testing.assert_allclose(got, [15.0, 5.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(amounts, amounts)
def test_spot_market_conserves_quantity_and_never_oversells(request, supply):
    request, supply = np.array(request), np.array(supply)
    wtp = np.arange(len(request), dtype=float)[::-1]
    price = np.linspace(1.0, 2.0, len(supply))
    filled, buyer, seller, amount = clear_spot(request, wtp, supply, price)
    assert filled.sum() == pytest.approx(min(request.sum(), supply.sum()), rel=1e-9, abs=1e-9)
    assert (filled <= request + 1e-9).all()
    np.testing.assert_allclose(
        np.bincount(buyer, weights=amount, minlength=len(request)), filled, atol=1e-9
    )
    assert (np.bincount(seller, weights=amount, minlength=len(supply)) <= supply + 1e-9).all()


def test_spot_buyers_with_higher_willingness_to_pay_are_served_first_and_cheapest_supply_sells_first():
    filled, _buyer, seller, amount = clear_spot(
        np.array([5.0, 5.0]), np.array([1.0, 2.0]), np.array([4.0, 4.0]), np.array([3.0, 1.0])
    )
    np.testing.assert_allclose(filled, [3.0, 5.0])
    assert seller[np.argmax(amount)] == 1


def test_lease_prices_rise_with_scarcity_but_stay_within_bounds():
    cost = np.full(3, 2.0)
    p = lease_price(cost, np.array([0.5, 1.0, 100.0]), margin=0.25, elasticity=0.7)
    assert p[0] < p[1] < p[2] <= 4 * 2.0
    assert p[0] >= 0.8 * 2.0


def test_vendor_capacity_rations_all_buyers_in_proportion():
    wanted = np.array([[10.0, 0.0], [30.0, 5.0]])
    filled, ratio = ration_by_capacity(
        wanted, np.array([1.0, 2.0]), np.array([0, 1]), np.array([20.0, 100.0])
    )
    np.testing.assert_allclose(filled[:, 0], [5.0, 15.0])
    np.testing.assert_allclose(filled[:, 1], [0.0, 5.0])
    np.testing.assert_allclose(ratio, [2.0, 0.1])


def test_chip_choice_shares_sum_to_one_over_allowed_products():
    value = np.array([[1.0, 2.0, 4.0], [1.0, 2.0, 4.0]])
    mask = np.array([[True, True, False], [False, False, False]])
    w = logit_split(value, mask, sharpness=3.0)
    assert w[0].sum() == pytest.approx(1.0) and w[0, 2] == 0.0 and w[0, 1] > w[0, 0]
    assert w[1].sum() == 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(20.0, 30.0), min_size=2, max_size=12),
    st.floats(0.0, 6.0),
    st.floats(0.0, 4.0),
)
def test_model_shares_sum_to_one_in_every_open_market(caps, beta, lock_in):
    n = len(caps)
    cap = np.array(caps)
    access = np.ones((n, 3))
    access[:, 2] = 0.0  # a closed market
    last = np.full((n, 3), 1.0 / n)
    sh = model_shares(cap, last, access, beta, lock_in)
    np.testing.assert_allclose(sh[:, :2].sum(axis=0), 1.0)
    assert sh[:, 2].sum() == 0.0


def test_a_lab_without_a_model_sells_nothing_and_the_best_model_sells_most():
    sh = model_shares(np.array([-np.inf, 26.0, 25.0]), np.zeros((3, 1)), np.ones((3, 1)), 2.0, 0.0)
    assert sh[0, 0] == 0.0 and sh[1, 0] > sh[2, 0]


def test_lock_in_keeps_an_incumbent_ahead_of_an_equal_newcomer():
    sh = model_shares(np.array([26.0, 26.0]), np.array([[0.9], [0.0]]), np.ones((2, 1)), 2.0, 3.0)
    assert sh[0, 0] > 0.8


def test_segment_shares_split_each_market_separately():
    s = segment_shares(np.array([1.0, 3.0, 2.0]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(s, [0.25, 0.75, 1.0])


def test_hhi_of_a_monopoly_and_of_equal_firms():
    assert hhi(np.array([5.0])) == pytest.approx(10_000)
    assert hhi(np.ones(4)) == pytest.approx(2_500)


def test_demand_equals_its_base_with_no_capability_gain_and_saturates_at_the_ceiling():
    assert demand_level(2.0, 1000.0, 0.5, np.array(0.0)) == pytest.approx(2.0)
    assert demand_level(2.0, 1000.0, 0.5, np.array(30.0)) == pytest.approx(1002.0, rel=1e-3)


def test_rounds_close_only_when_offers_reach_the_threshold_and_are_scaled_to_the_ask():
    offers = Offers(np.array([0, 1, 2, 1]), np.array([0, 0, 1, 1]), np.array([6.0, 6.0, 1.0, 1.0]))
    r = clear_rounds(offers, np.array([10.0, 5.0]), fill_min=0.6)
    assert r.closed.tolist() == [True, False]
    assert r.raised[0] == pytest.approx(10.0) and r.raised[1] == 0.0
    assert r.amount.sum() == pytest.approx(10.0)
    assert r.n_investors[0] == 2 and r.lead[0] in (0, 1)


def test_deal_flow_only_draws_eligible_asks_and_respects_check_limits():
    rng = np.random.default_rng(0)
    eligible = np.array([[True, False, True], [False, True, False]])
    ask = np.array([1.0, 1.0, 10.0])
    o = stacked_offers(
        rng,
        eligible,
        np.array([1.0, 100.0, 1.0]),
        group=np.array([0, 0, 1, -1]),
        budget=np.array([8.0, 8.0, 8.0, 8.0]),
        draws=np.array([4, 4, 2, 4]),
        max_check_share=np.full(4, 0.5),
        ask_amount=ask,
    )
    assert 3 not in o.investor  # no group, no deal flow
    assert set(o.ask[o.investor < 2].tolist()) <= {0, 2}
    assert set(o.ask[o.investor == 2].tolist()) <= {1}
    assert (o.amount <= 0.5 * ask[o.ask] + 1e-12).all()
    per_investor = np.bincount(o.investor, weights=o.amount, minlength=4)
    assert (per_investor <= 8.0 + 1e-9).all()


def test_investors_with_no_budget_or_no_eligible_ask_make_no_offer():
    o = stacked_offers(
        np.random.default_rng(1),
        np.array([[False, False]]),
        np.ones(2),
        group=np.array([0, 0]),
        budget=np.array([1.0, 0.0]),
        draws=np.array([3, 3]),
        max_check_share=np.ones(2),
        ask_amount=np.ones(2),
    )
    assert o.amount.size == 0


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_average_price_is_numpys_weighted_average_bit_for_bit(seed, n):
    rng = np.random.default_rng(seed)
    price = rng.lognormal(0, 2, n)
    capacity = rng.lognormal(8, 3, n) * (rng.random(n) < 0.8)
    capacity[0] += 1.0  # weights sum to more than 0
    assert average_price(price, capacity) == float(np.average(price, weights=capacity))
