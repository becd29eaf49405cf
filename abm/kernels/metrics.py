"""Compiled loops of the metric recorder (``abm/metrics.py``).

Reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_metrics.py`` keeps
that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum


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
