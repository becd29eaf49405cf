"""The compiled metric kernels give bit for bit what the numpy code they replaced gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.kernels import metrics


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), top=st.integers(1, 5000))
def test_funding_by_lab_matches_numpy(seed, n, top):
    rng = np.random.default_rng(seed)
    uid = rng.integers(0, top, n)
    amount = rng.lognormal(0.0, 2.0, n)
    uniq, inv = np.unique(uid, return_inverse=True)
    want = np.bincount(inv, weights=amount)
    got = metrics.funding_by_lab(uid, amount)
    assert got.tobytes() == want.tobytes() and got.size == uniq.size
