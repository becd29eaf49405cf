"""The compiled metric kernels give bit for bit what the numpy code they replaced gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.kernels import metrics
from abm.markets.product import hhi
from abm.metrics import top_sum, top_values


def _lab_summary_numpy(alive, is_app, revenue, train, inf, best, threshold, cap, region, mark, nr):
    """The numpy code ``lab_summary`` replaced (``MetricsRecorder.record``)."""
    is_model = alive & ~is_app
    rev = np.where(is_model, revenue, 0.0)
    used = np.where(alive, train + inf, 0.0)
    counts = np.array(
        [
            (is_model & (best >= threshold)).sum(),
            alive.sum(),
            is_model.sum(),
            (best >= 1e25).sum(),
            (best >= 1e26).sum(),
        ]
    )
    frontier = np.full(nr, -np.inf)
    has = np.flatnonzero(alive & np.isfinite(cap))
    np.maximum.at(frontier, region[has], cap[has])
    mark_max = np.where(alive, mark, 0.0).max(initial=0.0)
    return rev, used, counts, frontier, used.max(initial=0.0), mark_max


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000))
def test_lab_summary_matches_numpy(seed, n):
    rng = np.random.default_rng(seed)
    alive = rng.random(n) < 0.7
    is_app = rng.random(n) < 0.5
    revenue = np.where(rng.random(n) < 0.3, rng.lognormal(0.0, 2.0, n), 0.0)
    train = np.where(rng.random(n) < 0.4, rng.lognormal(8.0, 2.0, n), 0.0)
    inf = np.where(rng.random(n) < 0.4, rng.lognormal(8.0, 2.0, n), 0.0)
    best = 10.0 ** rng.uniform(20.0, 27.0, n)
    cap = np.where(rng.random(n) < 0.2, -np.inf, rng.normal(25.0, 1.0, n))
    cap[rng.random(n) < 0.05] = np.nan
    region = rng.integers(0, 5, n).astype(np.int8)
    mark = rng.lognormal(0.0, 2.0, n)
    args = (revenue, train, inf, best, 1e25, cap, region, mark, 5)
    archetype = np.where(is_app, 5, rng.integers(0, 5, n)).astype(np.int8)  # 5: applications
    got = metrics.lab_summary(alive, archetype, 5, *args)
    want = _lab_summary_numpy(alive, is_app, *args)
    for g, w in zip(got, want, strict=True):
        assert np.asarray(g).tobytes() == np.asarray(w, dtype=np.asarray(g).dtype).tobytes()


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), k=st.integers(1, 8))
def test_top_values_equal_the_tail_of_a_full_sort(seed, n, k):
    rng = np.random.default_rng(seed)
    x = rng.choice([0.5, 1.0, 2.0], n) * (rng.random(n) < 0.5) + rng.lognormal(0, 2, n)
    x[rng.random(n) < 0.2] = 1.0  # ties
    assert top_values(x, k).tobytes() == np.sort(x)[-k:].tobytes()
    assert top_sum(x, k) == float(np.sort(x)[-k:].sum())


def _concentration_numpy(rev, used):
    """The numpy code ``concentration`` replaced (``MetricRecorder.record``)."""
    top5 = top_values(used[used > 0], 5)
    return (
        hhi(rev),
        top_sum(rev[rev > 0], 3),
        rev.sum(),
        hhi(used),
        used.sum(),
        hhi(top5),
        top5.max(initial=0.0) / top5.sum() if top5.sum() > 0 else 0.0,
    )


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), zeros=st.floats(0.0, 1.0))
def test_concentration_matches_numpy(seed, n, zeros):
    rng = np.random.default_rng(seed)
    rev = np.where(rng.random(n) < zeros, 0.0, rng.lognormal(0.0, 3.0, n))
    used = np.where(rng.random(n) < zeros, 0.0, rng.lognormal(8.0, 2.0, n))
    used[rng.random(n) < 0.01] = used.max(initial=1.0)  # ties among the largest
    got = metrics.concentration(rev, used)
    want = _concentration_numpy(rev, used)
    assert [float(g) for g in got] == [float(w) for w in want]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), top=st.integers(1, 3000))
def test_funding_window_matches_numpy(seed, n, top):
    """Totals, top-five share, labs funded and funding by region as ``record`` computed them
    with ``funding_by_lab`` (each lab's rounds summed in order, labs by uid), ``top_sum``
    and ``np.bincount`` (commit 018d74a)."""
    rng = np.random.default_rng(seed)
    uid = rng.integers(0, top, n)
    amount = np.round(rng.lognormal(0.0, 2.0, n), int(rng.integers(0, 4)))  # ties
    region = rng.integers(0, 5, n)
    scratch, seen = np.zeros(top), np.zeros(top, dtype=bool)
    got = metrics.funding_window(uid, amount, region, 5, scratch, seen)
    want = np.zeros(8)
    want[0] = float(amount.sum())
    if uid.size:
        per_lab = np.bincount(np.unique(uid, return_inverse=True)[1], weights=amount)
        want[1] = float(top_sum(per_lab, 5) / per_lab.sum()) if per_lab.sum() > 0 else 0.0
        want[2] = float(per_lab.size)
    want[3:] = np.bincount(region, weights=amount, minlength=5)
    assert got.tobytes() == want.tobytes()
    assert not scratch.any() and not seen.any()  # the work arrays are left clean


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quarters=st.integers(1, 4), zeros=st.booleans())
def test_network_metrics_match_numpy(seed, quarters, zeros):
    """The window's sum, cross-bloc share and bloc modularity as ``abm.network`` computes them."""
    from abm.network import bloc_modularity, cross_bloc_share, to_bloc_matrix
    from abm.regions import BLOC_OF_REGION, BLOCS, CN_BLOC, WEST_BLOC

    rng = np.random.default_rng(seed)
    window = [rng.lognormal(0.0, 2.0, (5, 5)) * (rng.random((5, 5)) < 0.6) for _ in range(quarters)]
    if zeros:
        window = [w * 0.0 for w in window]
    flows = np.sum(window, axis=0)
    cross, modularity = metrics.network_metrics(
        np.array(window), np.array(BLOC_OF_REGION), len(BLOCS), CN_BLOC, WEST_BLOC
    )
    assert cross == cross_bloc_share(flows)
    assert modularity == bloc_modularity(to_bloc_matrix(flows))


def test_cloud_metrics_match_numpy():
    """Installed H100e by region, capex and the open clouds' lease price as ``record``
    computed them in numpy (commit fec7e92)."""
    from abm.markets.compute import average_price

    rng = np.random.default_rng(9)
    n_h, n_v = 40, 11
    stock, leaked = rng.lognormal(8.0, 2.0, (n_h, n_v)), rng.lognormal(5.0, 2.0, (n_h, n_v))
    region = rng.integers(0, 5, n_h).astype(np.int8)
    capex, price = rng.lognormal(0.0, 1.0, n_h), rng.lognormal(-13.0, 0.3, n_h)
    alive, captive, public = rng.random(n_h) < 0.9, rng.random(n_h) < 0.2, rng.random(n_h) < 0.1
    capacity = rng.lognormal(8.0, 2.0, n_h) * (rng.random(n_h) < 0.8)
    by_loc = np.bincount(region, weights=(stock + leaked).sum(axis=1), minlength=5)
    open_c = alive & ~captive & ~public & (capacity > 0)
    lease = average_price(price[open_c], capacity[open_c]) if open_c.any() else 0.0
    got = metrics.cloud_metrics(
        stock, leaked, region, 5, capex, alive, captive, public, capacity, price
    )
    assert got[0].tobytes() == by_loc.tobytes()
    assert (got[1], got[2], got[3]) == (by_loc.sum(), capex.sum(), lease)
