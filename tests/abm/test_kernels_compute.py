"""The compiled compute-market kernels give bit for bit what the numpy code they replaced gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.markets.compute import clear_spot


def _clear_spot_numpy(request, wtp, supply, price):
    """``clear_spot`` as it was before ``kernels.compute.spot_allocation``."""
    filled = np.zeros(len(request))
    empty = (filled, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(request) == 0 or len(supply) == 0:
        return empty
    od = np.argsort(-wtp, kind="stable")
    os_ = np.argsort(price, kind="stable")
    r = request[od]
    cum_d = np.cumsum(r)
    cum_s = np.cumsum(supply[os_])
    total = min(cum_d[-1], cum_s[-1])
    if total <= 0:
        return empty
    filled[od] = np.clip(total - (cum_d - r), 0.0, r)
    bps = np.unique(np.concatenate(([0.0, total], cum_d[cum_d < total], cum_s[cum_s < total])))
    lengths = np.diff(bps)
    keep = lengths > 0
    mids = (bps[:-1] + bps[1:])[keep] / 2.0
    buyer = od[np.minimum(np.searchsorted(cum_d, mids, side="right"), len(od) - 1)]
    supplier = os_[np.minimum(np.searchsorted(cum_s, mids, side="right"), len(os_) - 1)]
    return filled, buyer, supplier, lengths[keep]


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nb=st.integers(0, 300),
    ns=st.integers(0, 12),
    coarse=st.booleans(),
    zeros=st.booleans(),
)
def test_clear_spot_matches_numpy(seed, nb, ns, coarse, zeros):
    rng = np.random.default_rng(seed)
    if coarse:  # small integers: equal running sums, ties in price and willingness to pay
        request = rng.integers(1, 4, nb).astype(float)
        supply = rng.integers(1, 40, ns).astype(float)
        wtp = rng.integers(0, 3, nb).astype(float)
        price = rng.integers(0, 3, ns).astype(float)
    else:
        request = rng.lognormal(5.0, 3.0, nb)
        supply = rng.lognormal(8.0, 3.0, ns)
        wtp = rng.normal(0.0, 1.0, nb)
        price = rng.lognormal(0.0, 1.0, ns)
    if zeros:
        request[rng.random(nb) < 0.3] = 0.0
        supply[rng.random(ns) < 0.3] = 0.0
    got = clear_spot(request, wtp, supply, price)
    want = _clear_spot_numpy(request, wtp, supply, price)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
