"""Compiled loops of the cloud compute market (``abm/markets/compute.py``).

Quantities are useful H100e for one quarter. The kernels reproduce the numpy code they replaced
bit for bit (``tests/abm/test_kernels_compute.py`` keeps that code as the reference): running
sums are accumulated in ``np.cumsum`` order, and the sorts stay in numpy (stable argsorts,
passed in).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, minimum


@kernel
def spot_allocation(
    request: np.ndarray, supply: np.ndarray, od: np.ndarray, os_: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Priority rationing of ``request`` (B,) H100e against ``supply`` (S,) H100e, buyers in
    the order ``od`` (highest willingness to pay first), suppliers in the order ``os_``
    (cheapest first); both non-empty, requests and supplies positive.

    Returns ``filled`` (B,) H100e and the pairs ``(buyer, supplier, amount)``: the overlap of
    the buyers' cumulative demand with the suppliers' cumulative supply. Each pair is found
    as ``clear_spot`` found it: the segments between the sorted distinct breakpoints (0, the
    cumulative sums below the total, the total), each assigned by its midpoint to the first
    buyer and supplier whose cumulative sum exceeds it (``np.searchsorted(side="right")``,
    clipped to the last).
    """
    nb, ns = od.size, os_.size
    filled = np.zeros(request.size)
    cum_d = np.empty(nb)
    acc = 0.0
    for i in range(nb):
        acc += request[od[i]]
        cum_d[i] = acc
    cum_s = np.empty(ns)
    acc = 0.0
    for j in range(ns):
        acc += supply[os_[j]]
        cum_s[j] = acc
    total = cum_s[ns - 1] if cum_s[ns - 1] < cum_d[nb - 1] else cum_d[nb - 1]
    if total <= 0:
        return filled, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    for i in range(nb):
        r = request[od[i]]
        filled[od[i]] = minimum(maximum(total - (cum_d[i] - r), 0.0), r)
    # Sorted distinct breakpoints: 0, the running sums below the total (a merge), the total.
    bps = np.empty(nb + ns + 2)
    bps[0] = 0.0
    k = 1
    i = 0
    j = 0
    while True:
        di = cum_d[i] if i < nb and cum_d[i] < total else np.inf
        sj = cum_s[j] if j < ns and cum_s[j] < total else np.inf
        if di == np.inf and sj == np.inf:
            break
        if di <= sj:
            v = di
            i += 1
        else:
            v = sj
            j += 1
        if v != bps[k - 1]:
            bps[k] = v
            k += 1
    if total != bps[k - 1]:
        bps[k] = total
        k += 1
    buyer = np.empty(k - 1, np.int64)
    supplier = np.empty(k - 1, np.int64)
    amount = np.empty(k - 1)
    m = 0
    pb = 0
    ps = 0
    for t in range(k - 1):
        length = bps[t + 1] - bps[t]
        if not length > 0:
            continue
        mid = (bps[t] + bps[t + 1]) / 2.0
        while pb < nb and cum_d[pb] <= mid:
            pb += 1
        while ps < ns and cum_s[ps] <= mid:
            ps += 1
        buyer[m] = od[pb if pb < nb else nb - 1]
        supplier[m] = os_[ps if ps < ns else ns - 1]
        amount[m] = length
        m += 1
    return filled, buyer[:m], supplier[:m], amount[:m]


@kernel
def compute_requests(
    rows: np.ndarray,
    run_target: np.ndarray,
    run_age: np.ndarray,
    run_done: np.ndarray,
    last_flop: np.ndarray,
    ambition: np.ndarray,
    region: np.ndarray,
    potential_revenue: np.ndarray,
    lease_price: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    team_cost: np.ndarray,
    site_h100e: np.ndarray,
    max_run_flop: np.ndarray,
    flop_per_h100e_quarter: float,
    run_quarters: int,
    cycle: int,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
    experiment_overhead: float,
    demand_momentum: float,
    inference_per_busd: float,
    final_req: np.ndarray,
    train_req: np.ndarray,
    inf_req: np.ndarray,
) -> None:
    """``agents.lab.compute_requests`` for the lab-table ``rows``, written into ``final_req``,
    ``train_req`` and ``inf_req`` (useful H100e this quarter).

    Per row, the same operations in the same order as the numpy code: the final run's share
    (FLOP left / FLOP per H100e-quarter / quarters left, at most one site of the region's
    ``site_h100e``), research for the run worked towards (``next_run_flop`` where no run is
    planned; ``max_run_flop`` FLOP by region), inference for last quarter's potential revenue
    (USD B) grown by ``demand_momentum`` at ``inference_per_busd`` H100e per USD B, all capped
    by what cash + credit + prepaid - team cost (USD B) buys at the lease price (USD B per
    H100e-quarter): inference first, then the final run, then a cycle's share for research.
    """
    for j in range(rows.size):
        i = rows[j]
        target = run_target[i]
        age = run_age[i]
        remaining = maximum(target - run_done[i], 0.0)
        quarters_left = run_quarters - age
        if quarters_left < 1:
            quarters_left = 1
        final = 0.0
        if target > 0 and age >= 0:
            final = remaining / flop_per_h100e_quarter / quarters_left
        final = minimum(final, site_h100e[region[i]])
        if target > 0:
            working_towards = target
        else:
            ceiling = ambition[i] * max_run_flop[region[i]]
            step = maximum(run_multiple * last_flop[i], frontier_fraction * ceiling)
            working_towards = maximum(minimum(step, ceiling), entry_run_flop)
        research = experiment_overhead * working_towards / flop_per_h100e_quarter / cycle
        inference = potential_revenue[i] * demand_momentum * inference_per_busd
        price = maximum(lease_price[i], 1e-12)
        funds = cash[i] + credit[i] + prepaid[i] - team_cost[i]
        spendable = maximum(funds, 0.0) / price
        inference = minimum(inference, spendable)
        final = minimum(final, maximum(spendable - inference, 0.0))
        research = minimum(research, maximum(spendable - inference - final, 0.0) / cycle)
        final_req[i] = final
        train_req[i] = final + research
        inf_req[i] = inference
