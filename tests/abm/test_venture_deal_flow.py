"""Venture deal flow drawn from per-region prefixes (``venture_offers``) is the matrix rule of
``stacked_offers`` with the asks laid out by region and size: the same eligible asks, each
drawn with probability weight / group total, from the same number of uniforms."""

from __future__ import annotations

import numpy as np
import pytest

from abm.kernels import capital as kernels
from abm.markets.capital import VentureGroups, region_layout, stacked_offers, venture_offers

BLOC_OF_REGION = np.array([0, 0, 1, 0, 2])
N_REGIONS = 5


def _instance(seed: int, n_asks: int = 60, n_groups: int = 12, n_inv: int = 40):
    rng = np.random.default_rng(seed)
    may = rng.random((N_REGIONS, N_REGIONS)) < 0.8
    np.fill_diagonal(may, True)
    groups = VentureGroups(
        region=rng.integers(0, N_REGIONS, n_groups),
        mandate=rng.integers(0, 3, n_groups),
        max_ask=np.exp(rng.normal(-3.0, 1.5, n_groups)),
        min_check_share=float(rng.choice([0.0, 0.02, 0.05])),
        may=may,
        bloc_of_region=BLOC_OF_REGION,
        group=np.where(rng.random(n_inv) < 0.9, rng.integers(0, n_groups, n_inv), -1),
        draws=np.full(n_inv, 4),
        max_check_share=np.full(n_inv, 0.25),
    )
    ask_region = rng.integers(0, N_REGIONS, n_asks)
    ask = np.exp(rng.normal(-1.0, 2.0, n_asks))
    weight = rng.random(n_asks) * (rng.random(n_asks) < 0.9)
    budget = rng.random(n_inv) * (rng.random(n_inv) < 0.9)
    return groups, ask_region, ask, weight, budget


def _prefixes(groups, ask_region, ask, weight):
    order, start = region_layout(ask_region, ask, N_REGIONS)
    out = kernels.venture_prefixes(
        start,
        weight[order],
        groups.min_check_share * ask[order],
        groups.region,
        groups.mandate,
        groups.max_ask,
        groups.bloc_of_region,
        groups.may,
        groups.min_check_share > 0,
    )
    return order, start, *out


@pytest.mark.parametrize("seed", range(8))
def test_each_eligible_ask_is_drawn_in_proportion_to_its_weight(seed):
    groups, ask_region, ask, weight, _ = _instance(seed)
    eligible = groups.eligible(ask_region, ask)
    order, start, cum, guide, prefix, region_total, total = _prefixes(
        groups, ask_region, ask, weight
    )
    expected_total = (eligible * weight).sum(axis=1)
    assert np.allclose(total, expected_total, rtol=1e-12, atol=1e-15)
    n = 20_000
    uniform = (np.arange(n) + 0.5) / n  # an even grid: each ask gets its mass up to 1/n
    for g in np.flatnonzero(total > 0):
        _, picked, _ = kernels.draw_venture_offers(
            cum,
            guide,
            prefix,
            region_total,
            total,
            start,
            order,
            np.zeros(n, dtype=np.int64),
            np.full(n, g),
            np.ones(n, dtype=np.int64),
            uniform,
            np.ones(1),
            np.ones(1),
            ask,
        )
        assert eligible[g, picked].all(), "a draw landed on an ask the group may not consider"
        share = np.bincount(picked, minlength=ask.size) / n
        assert np.abs(share - eligible[g] * weight / total[g]).max() <= 2.0 / n


@pytest.mark.parametrize("seed", range(8))
def test_same_offers_per_investor_and_same_uniforms_as_the_matrix_rule(seed):
    groups, ask_region, ask, weight, budget = _instance(seed)
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    new = venture_offers(rng_a, groups, ask_region, ask, weight, budget)
    old = stacked_offers(
        rng_b,
        groups.eligible(ask_region, ask),
        weight,
        groups.group,
        budget,
        groups.draws,
        groups.max_check_share,
        ask,
    )
    # the model's random stream stays aligned: both used one uniform per draw
    assert rng_a.random() == rng_b.random()
    eligible = groups.eligible(ask_region, ask)
    assert eligible[groups.group[new.investor], new.ask].all()
    assert (new.amount <= groups.max_check_share[new.investor] * ask[new.ask] + 1e-15).all()
    # only funds with a group, budget and a non-empty deal flow draw, at most `draws` each
    total = (eligible * weight).sum(axis=1)
    g = groups.group
    may_draw = (g >= 0) & (budget > 1e-9) & (total[np.maximum(g, 0)] > 0)
    counts = np.bincount(new.investor, minlength=g.size)
    assert (counts[~may_draw] == 0).all() and (counts <= groups.draws).all()
    assert set(np.flatnonzero(counts)) <= set(np.flatnonzero(may_draw))
    assert set(old.investor.tolist()) <= set(np.flatnonzero(may_draw).tolist())


@pytest.mark.parametrize("seed", range(8))
def test_the_guide_table_finds_what_a_binary_search_finds(seed):
    groups, ask_region, ask, weight, _ = _instance(seed, n_asks=300)
    weight = weight**6  # skewed, like deal-flow weights concentrated on hot labs
    order, start, cum, guide, prefix, region_total, total = _prefixes(
        groups, ask_region, ask, weight
    )
    rng = np.random.default_rng(seed)
    for g in np.flatnonzero(total > 0):
        n = 2_000
        uniform = np.concatenate([rng.random(n - 2), [0.0, np.nextafter(1.0, 0.0)]])
        _, picked, _ = kernels.draw_venture_offers(
            cum,
            guide,
            prefix,
            region_total,
            total,
            start,
            order,
            np.zeros(n, dtype=np.int64),
            np.full(n, g),
            np.ones(n, dtype=np.int64),
            uniform,
            np.ones(1),
            np.ones(1),
            np.ones(ask.size),
        )
        want = []
        for u in uniform * total[g]:
            for r in range(N_REGIONS):
                if region_total[g, r] > 0:
                    last = r
                    if u < region_total[g, r]:
                        break
                    u -= region_total[g, r]
            lo, hi = start[last], start[last] + prefix[g, last]
            pos = lo + np.searchsorted(cum[lo:hi], u, side="right")
            want.append(order[min(pos, hi - 1)])
        assert picked.tolist() == want


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 2, 300, 5000])
def test_region_layout_is_lexsort(seed, n):
    """The radix-sorted layout is the permutation ``np.lexsort`` gives: ties in size (many,
    from rounding), zeros, huge and tiny amounts included; a negative, -0.0 or non-finite
    amount falls back to ``np.lexsort`` itself."""
    rng = np.random.default_rng(seed)
    region = rng.integers(0, N_REGIONS, n)
    ask = np.round(np.exp(rng.normal(-1.0, 3.0, n)), int(rng.integers(0, 4)))
    if n > 2:
        ask[rng.integers(0, n, 3)] = [0.0, 1e300, 5e-324]
    order, start = region_layout(region, ask, N_REGIONS)
    assert np.array_equal(order, np.lexsort((ask, region)))
    assert np.array_equal(start, np.r_[0, np.cumsum(np.bincount(region, minlength=N_REGIONS))])
    if n > 2:
        for bad in (-1.0, -0.0, np.inf, np.nan):
            odd = ask.copy()
            odd[n // 2] = bad
            assert np.array_equal(
                region_layout(region, odd, N_REGIONS)[0], np.lexsort((odd, region))
            )
