"""Compiled loops of the metric recorder (``abm/metrics.py``).

Reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_metrics.py`` keeps
that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, total


@kernel
def funding_by_lab(uid: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """USD B raised per lab over the rounds given, in ascending uid order.

    The same array as ``np.bincount(np.unique(uid, return_inverse=True)[1], weights=amount)``:
    each lab's rounds summed in the order given. ``uid`` non-empty, non-negative.
    """
    lo = uid.min()
    span = uid.max() - lo + 1
    total = np.zeros(span)
    seen = np.zeros(span, dtype=np.bool_)
    for i in range(uid.size):
        total[uid[i] - lo] += amount[i]
        seen[uid[i] - lo] = True
    out = np.empty(span)
    k = 0
    for j in range(span):
        if seen[j]:
            out[k] = total[j]
            k += 1
    return out[:k]


@kernel
def lab_summary(
    alive: np.ndarray,
    is_app: np.ndarray,
    revenue: np.ndarray,
    train_got: np.ndarray,
    inf_got: np.ndarray,
    best_flop: np.ndarray,
    frontier_threshold: float,
    capability: np.ndarray,
    region: np.ndarray,
    mark: np.ndarray,
    n_regions: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]:
    """One pass over the lab table for the quarter's lab metrics.

    Returns ``rev`` (USD B revenue of alive model labs, 0 elsewhere), ``used`` (H100e compute
    got by alive labs, 0 elsewhere), ``counts`` (labs: alive model labs with a best run of at
    least ``frontier_threshold`` FLOP, alive, alive model labs, best run >= 1e25 FLOP and >= 1e26
    FLOP, dead rows included), ``frontier`` (best capability of alive labs with a finite one,
    by region; -inf where none), the largest ``used`` and the largest mark (USD B) of alive
    labs, both at least 0.0. The same values as the numpy expressions of
    ``MetricsRecorder.record`` (maxima with ``np.maximum`` semantics, in row order, as
    ``np.maximum.at``).
    """
    n = alive.size
    rev = np.zeros(n)
    used = np.zeros(n)
    counts = np.zeros(5, dtype=np.int64)
    frontier = np.full(n_regions, -np.inf)
    used_max = 0.0
    mark_max = 0.0
    for i in range(n):
        if best_flop[i] >= 1e25:
            counts[3] += 1
        if best_flop[i] >= 1e26:
            counts[4] += 1
        if not alive[i]:
            continue
        counts[1] += 1
        if not is_app[i]:
            counts[2] += 1
            rev[i] = revenue[i]
            if best_flop[i] >= frontier_threshold:
                counts[0] += 1
        u = train_got[i] + inf_got[i]
        used[i] = u
        used_max = maximum(used_max, u)
        mark_max = maximum(mark_max, mark[i])
        cap = capability[i]
        if np.isfinite(cap):
            r = region[i]
            frontier[r] = maximum(frontier[r], cap)
    return rev, used, counts, frontier, used_max, mark_max


@kernel
def _top_ascending(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest positive values of ``x`` in ascending order (all of them if fewer):
    ``np.sort(x[x > 0])[-k:]``, in one pass keeping a sorted buffer."""
    buf = np.empty(k)
    m = 0
    low = 0.0  # a value must beat this to enter: 0 until the buffer is full, then its smallest
    for i in range(x.size):
        v = x[i]
        if not v > low:
            continue
        if m < k:
            j = m
            m += 1
        else:
            j = k - 1
            for t in range(k - 1):  # drop the smallest
                buf[t] = buf[t + 1]
        while j > 0 and buf[j - 1] > v:
            buf[j] = buf[j - 1]
            j -= 1
        buf[j] = v
        if m == k:
            low = buf[0]
    return buf[:m]


@kernel
def hhi_of(x: np.ndarray, t: float) -> float:
    """``abm.markets.product.hhi`` bit for bit, given ``t = x.sum()``: 10,000 x the sum of
    squared shares of ``x`` (0.0 if ``t`` is not positive), with numpy's pairwise sums."""
    if t <= 0:
        return 0.0
    sq = np.empty(x.size)
    for i in range(x.size):
        s = x[i] / t
        sq[i] = s * s
    return 10_000.0 * total(sq)


@kernel
def concentration(
    rev: np.ndarray, used: np.ndarray
) -> tuple[float, float, float, float, float, float, float]:
    """The quarter's concentration metrics from :func:`lab_summary`'s ``rev`` and ``used``.

    Returns HHI of revenue, sum of the three largest revenues (added in ascending order),
    total revenue, HHI of compute used, total compute used, HHI of the five largest users'
    compute, and the largest user's share among those five (0.0 where a total is 0) — what
    ``MetricRecorder.record`` computed with ``hhi``, ``top_sum``, ``top_values`` and
    ``.sum()``, bit for bit.
    """
    top3 = total(_top_ascending(rev, 3))
    top5 = _top_ascending(used, 5)
    top5_sum = total(top5)
    top1_of_5 = top5[top5.size - 1] / top5_sum if top5.size and top5_sum > 0 else 0.0
    rev_sum, used_sum = total(rev), total(used)
    return (
        hhi_of(rev, rev_sum),
        top3,
        rev_sum,
        hhi_of(used, used_sum),
        used_sum,
        hhi_of(top5, top5_sum),
        top1_of_5,
    )
