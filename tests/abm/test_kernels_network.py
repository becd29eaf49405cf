"""The compiled flow-log kernel gives bit for bit what the numpy code it replaced gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.kernels import network

R = 5


def _log_numpy(src, dst, amount, src_region, dst_region, region_flows):
    """The numpy code ``keep_positive_flows`` replaced (``FlowNetwork.log``)."""
    keep = np.flatnonzero(amount > 0)
    flat = src_region[keep].astype(np.int64) * R + dst_region[keep]
    region_flows += np.bincount(flat, weights=amount[keep], minlength=R * R).reshape(R, R)
    return src[keep].astype(np.int32), dst[keep].astype(np.int32), amount[keep].astype(float)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400))
def test_keep_positive_flows_matches_numpy(seed, n):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, 10_000, n), rng.integers(0, 10_000, n)
    amount = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(-2.0, 2.0, n))
    amount[rng.random(n) < 0.05] = -1.0
    src_region = rng.integers(0, R, n).astype(np.int8)
    dst_region = rng.integers(0, R, n)
    start = rng.lognormal(0.0, 1.0, (R, R))
    want_flows, got_flows = start.copy(), start.copy()
    want = _log_numpy(src, dst, amount, src_region, dst_region, want_flows)
    got = network.keep_positive_flows(src, dst, amount, src_region, dst_region, R, got_flows)
    assert got_flows.tobytes() == want_flows.tobytes()
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
        assert not np.shares_memory(g, src) and not np.shares_memory(g, amount)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400))
def test_flows_logged_by_rows_equal_the_gathered_flows(seed, n):
    rng = np.random.default_rng(seed)
    src_uid, dst_uid = rng.integers(0, 10_000, 50), rng.integers(0, 10_000, 70)
    src_region, dst_region = rng.integers(0, R, 50), rng.integers(0, R, 70).astype(np.int8)
    src, dst = rng.integers(0, 50, n), rng.integers(0, 70, n)
    amount = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(-2.0, 2.0, n))
    by_rows, gathered = np.ones((R, R)), np.ones((R, R))
    got = network.keep_positive_flows_at(
        src_uid, src, dst_uid, dst, amount, src_region, dst_region, R, by_rows
    )
    want = network.keep_positive_flows(
        src_uid[src], dst_uid[dst], amount, src_region[src], dst_region[dst], R, gathered
    )
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == b.tobytes()
    assert by_rows.tobytes() == gathered.tobytes()
