"""Compiled loops of the metric recorder (``abm/metrics.py``).

Reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_metrics.py`` keeps
that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, total


@kernel
def lab_summary(
    alive: np.ndarray,
    archetype: np.ndarray,
    app: int,
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

    Model labs are those whose ``archetype`` is not ``app``. Returns ``rev`` (USD B revenue of
    alive model labs, 0 elsewhere), ``used`` (H100e compute got by alive labs, 0 elsewhere),
    ``counts`` (labs: alive model labs with a best run of at least ``frontier_threshold``
    FLOP, alive, alive model labs, best run >= 1e25 FLOP and >= 1e26 FLOP, dead rows
    included), ``frontier`` (best capability of alive labs with a finite one,
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
        if archetype[i] != app:
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


@kernel
def _top_k_ascending(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of ``x`` in ascending order (all of them if fewer), as
    ``np.sort(x)[-k:]`` for values that are not NaN."""
    buf = np.empty(k)
    m = 0
    for i in range(x.size):
        v = x[i]
        if m < k:
            j = m
            m += 1
        elif v > buf[0]:
            j = k - 1
            for t in range(k - 1):  # drop the smallest
                buf[t] = buf[t + 1]
        else:
            continue
        while j > 0 and buf[j - 1] > v:
            buf[j] = buf[j - 1]
            j -= 1
        buf[j] = v
    return buf[:m]


@kernel
def funding_window(
    uid: np.ndarray,
    amount: np.ndarray,
    region: np.ndarray,
    n_regions: int,
    scratch: np.ndarray,
    seen: np.ndarray,
) -> np.ndarray:
    """Rounds of the rolling window (lab uid, USD B raised, lab region), in one pass.

    Returns [USD B raised in all, share of it raised by the five labs that raised most (0 if
    none), labs funded, then USD B raised by labs of each region], with the sums numpy's
    (``amount.sum()``, ``np.sort(per_lab)[-5:].sum() / per_lab.sum()`` over the labs in uid
    order, ``np.bincount``). ``scratch`` (float) and ``seen`` (bool) are zeroed work arrays
    longer than the largest uid; they are left zeroed.
    """
    out = np.zeros(3 + n_regions)
    out[0] = total(amount)
    for i in range(uid.size):
        out[3 + region[i]] += amount[i]
    if uid.size == 0:
        return out
    lo = uid.min()
    hi = uid.max()
    for i in range(uid.size):
        scratch[uid[i]] += amount[i]
        seen[uid[i]] = True
    per_lab = np.empty(uid.size)
    k = 0
    for j in range(lo, hi + 1):
        if seen[j]:
            per_lab[k] = scratch[j]
            k += 1
            scratch[j] = 0.0
            seen[j] = False
    whole = total(per_lab[:k])
    if whole > 0:
        out[1] = total(_top_k_ascending(per_lab[:k], 5)) / whole
    out[2] = k
    return out


@kernel
def network_metrics(
    flows: np.ndarray, bloc_of_region: np.ndarray, n_blocs: int, cn_bloc: int, west_bloc: int
) -> tuple[float, float]:
    """The rolling window's region x region flows (W, R, R), summed quarter by quarter, and
    from them :func:`abm.network.cross_bloc_share` and the :func:`abm.network.bloc_modularity`
    of :func:`abm.network.to_bloc_matrix` — each sum in numpy's order."""
    n_w, n_r = flows.shape[0], flows.shape[1]
    f = flows[0].copy()
    for w in range(1, n_w):
        for a in range(n_r):
            for b in range(n_r):
                f[a, b] = f[a, b] + flows[w, a, b]
    n_cn = 0
    n_west = 0
    for r in range(n_r):
        if bloc_of_region[r] == cn_bloc:
            n_cn += 1
        elif bloc_of_region[r] == west_bloc:
            n_west += 1
    cn = np.empty(n_cn, np.int64)
    west = np.empty(n_west, np.int64)
    i = 0
    j = 0
    for r in range(n_r):
        if bloc_of_region[r] == cn_bloc:
            cn[i] = r
            i += 1
        elif bloc_of_region[r] == west_bloc:
            west[j] = r
            j += 1
    buf = np.empty(n_r * n_r)
    k = 0  # f[cn, :], row by row
    for a in cn:
        for b in range(n_r):
            buf[k] = f[a, b]
            k += 1
    from_cn = total(buf[:k])
    k = 0  # f[:, cn], which numpy lays out column by column
    for b in cn:
        for a in range(n_r):
            buf[k] = f[a, b]
            k += 1
    to_cn = total(buf[:k])
    k = 0
    for a in cn:
        for b in cn:
            buf[k] = f[a, b]
            k += 1
    within = total(buf[:k])
    touching = from_cn + to_cn - within
    cross = 0.0
    if touching > 0:
        k = 0
        for a in cn:
            for b in west:
                buf[k] = f[a, b]
                k += 1
        out_of_cn = total(buf[:k])
        k = 0
        for a in west:
            for b in cn:
                buf[k] = f[a, b]
                k += 1
        cross = (out_of_cn + total(buf[:k])) / touching
    bloc = np.zeros((n_blocs, n_blocs))
    for a in range(n_r):
        for b in range(n_r):
            bloc[bloc_of_region[a], bloc_of_region[b]] += f[a, b]
    sym = np.empty((n_blocs, n_blocs))
    for a in range(n_blocs):
        for b in range(n_blocs):
            sym[a, b] = bloc[a, b] + bloc[b, a]
    m = total(sym.reshape(n_blocs * n_blocs)) / 2.0
    if m <= 0:
        return cross, 0.0
    terms = np.empty(n_blocs)
    for a in range(n_blocs):
        d = total(sym[a]) / (2.0 * m)
        terms[a] = bloc[a, a] / m - d * d
    return cross, total(terms)


@kernel
def cloud_metrics(
    stock: np.ndarray,
    leaked: np.ndarray,
    region: np.ndarray,
    n_regions: int,
    capex: np.ndarray,
    alive: np.ndarray,
    captive: np.ndarray,
    public: np.ndarray,
    capacity: np.ndarray,
    price: np.ndarray,
) -> tuple[np.ndarray, float, float, float]:
    """The clouds' metrics, each sum in numpy's order: raw H100e installed (licensed and
    grey) by region of location and in all, capex (USD B), and the capacity-weighted lease
    price of the open clouds with capacity (USD B per useful H100e-quarter; 0 if none)."""
    n_h, n_v = stock.shape
    row = np.empty(n_v)
    by_region = np.zeros(n_regions)
    for h in range(n_h):
        for v in range(n_v):
            row[v] = stock[h, v] + leaked[h, v]
        by_region[region[h]] += total(row)
    weighted = np.empty(n_h)
    cap = np.empty(n_h)
    k = 0
    for h in range(n_h):
        if alive[h] and not captive[h] and not public[h] and capacity[h] > 0:
            weighted[k] = price[h] * capacity[h]
            cap[k] = capacity[h]
            k += 1
    lease = total(weighted[:k]) / total(cap[:k]) if k else 0.0
    return by_region, total(by_region), total(capex), lease
