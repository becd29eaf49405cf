"""Compiled loops of the product phase (``abm/phases/product.py``).

The whole-table bookkeeping of a quarter's sales and payroll in one pass; the shares
themselves (logits, powers) stay in numpy. Reproduces the numpy code it replaced bit for bit
(``tests/abm/test_kernels_product.py`` keeps that code as the reference). Money in USD B.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, matvec, maximum, minimum, total


@kernel
def market_frontier(
    rows: np.ndarray, region: np.ndarray, capability: np.ndarray, appeal: np.ndarray
) -> np.ndarray:
    """Best capability (log10 effective FLOP) sold in each market (M,): the best of the labs
    ``rows`` based in a region whose labs may sell there (``appeal`` (R, M) > 0); -inf where
    none. ``np.where(appeal > 0, best_by_region[:, None], -np.inf).max(axis=0)``."""
    n_regions, n_markets = appeal.shape
    best = np.full(n_regions, -np.inf)
    for i in rows:
        best[region[i]] = maximum(best[region[i]], capability[i])
    out = np.full(n_markets, -np.inf)
    for r in range(n_regions):
        for m in range(n_markets):
            out[m] = maximum(out[m], best[r] if appeal[r, m] > 0 else -np.inf)
    return out


@kernel
def book_sales_and_payroll(
    alive: np.ndarray,
    archetype: np.ndarray,
    app: int,
    model_rows: np.ndarray,
    model_revenue: np.ndarray,
    app_rows: np.ndarray,
    app_use: np.ndarray,
    paid_share: float,
    fee_rate: np.ndarray,
    home: np.ndarray,
    pedigree: np.ndarray,
    compute_spend: np.ndarray,
    base_staff: float,
    staff_cost_ratio: float,
    cash: np.ndarray,
    team_cost: np.ndarray,
    spend_cum: np.ndarray,
    revenue_now: np.ndarray,
    revenue_hist: np.ndarray,
    slot: int,
    potential_revenue: np.ndarray,
) -> tuple[float, float]:
    """Credit this quarter's revenue, debit the API fees apps pay, set and pay the staff.

    Revenue: ``model_revenue`` (USD B, aligned with ``model_rows``) for the model labs; for
    application startups (``app_rows``, ascending) the ``paid_share`` of what their users' use is worth
    (``app_use``, USD B, recorded as their potential revenue), of which they pay the API fee
    rate of their home market (``fee_rate[home]``) to the model labs; 0 for every other row.

    Updates in place: ``cash``, ``team_cost``, ``spend_cum`` (apps' cumulative growth spend),
    ``revenue_now``, column ``slot`` of ``revenue_hist`` and the apps' ``potential_revenue``.
    Staff: an app keeps at least the team it raised for, and at least 0.6 of its revenue; a
    model lab pays ``base_staff x pedigree + staff_cost_ratio x compute spend``; dead labs pay
    nothing. Returns what the labs paid their staff (each at most its cash) and the apps'
    revenue, each summed in numpy's pairwise order. ``app``: the application archetype's code.
    """
    n = alive.size
    revenue = revenue_now  # this quarter's revenue is built in place
    app_revenue = np.empty(app_rows.size)
    # One pass (the model labs' and the apps' rows are ascending and distinct): revenue in, API
    # fees out, staff paid.
    pay = np.empty(n)
    next_model = next_app = 0
    for i in range(n):
        r = 0.0
        if next_model < model_rows.size and model_rows[next_model] == i:
            r = model_revenue[next_model]
            next_model += 1
        is_app_row = next_app < app_rows.size and app_rows[next_app] == i
        if is_app_row:
            potential_revenue[i] = app_use[next_app]
            r = app_use[next_app] * paid_share
            app_revenue[next_app] = r
        revenue[i] = r
        c = cash[i] + r
        if is_app_row:
            c = c - r * fee_rate[home[next_app]]
            next_app += 1
        revenue_hist[i, slot] = r
        is_app = archetype[i] == app
        if is_app:
            team = maximum(team_cost[i], 0.6 * r)
        else:
            team = base_staff * pedigree[i] + staff_cost_ratio * compute_spend[i]
        team_cost[i] = team if alive[i] else 0.0
        pay[i] = minimum(team_cost[i], maximum(c, 0.0))
        cash[i] = c - pay[i]
        spend_cum[i] = spend_cum[i] + (pay[i] if is_app else 0.0)
    return total(pay), total(app_revenue)


@kernel
def app_inputs(
    alive: np.ndarray,
    archetype: np.ndarray,
    app: int,
    region: np.ndarray,
    niche: np.ndarray,
    spend_cum: np.ndarray,
    share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The alive application startups' rows, home markets, niche appeal (e^niche), growth base
    ``spend_cum + 1e-3`` (USD B) and lock-in base ``1 + last share`` (column 0 of ``share``),
    for the caller to raise to their powers in numpy."""
    n = alive.size
    count = 0
    for i in range(n):
        if alive[i] and archetype[i] == app:
            count += 1
    rows = np.empty(count, np.int64)
    home = np.empty(count, np.int64)
    niche_a = np.empty(count)
    growth = np.empty(count)
    lock = np.empty(count)
    j = 0
    for i in range(n):
        if alive[i] and archetype[i] == app:
            rows[j] = i
            home[j] = region[i]
            niche_a[j] = niche[i]
            growth[j] = spend_cum[i] + 1e-3
            lock[j] = 1.0 + share[i, 0]
            j += 1
    return rows, home, niche_a, growth, lock


@kernel
def app_market(
    appeal: np.ndarray,
    rows: np.ndarray,
    home: np.ndarray,
    demand_app: np.ndarray,
    api_fee_share: float,
    share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split each market's application spend (USD B a quarter) by appeal among the startups
    based there, and write their shares to column 0 of ``share``.

    Returns each startup's revenue, and per market the API fees the startups owe the model
    labs (``api_fee_share`` of their revenue), their revenue and the sum of their shares.
    """
    n_m = demand_app.size
    appeal_by_market = np.zeros(n_m)
    for j in range(rows.size):
        appeal_by_market[home[j]] += appeal[j]
    revenue = np.empty(rows.size)
    revenue_by_market = np.zeros(n_m)
    share_by_market = np.zeros(n_m)
    for j in range(rows.size):
        t = appeal_by_market[home[j]]
        s = appeal[j] / t if t > 0 else 0.0
        share[rows[j], 0] = s
        share_by_market[home[j]] += s
        revenue[j] = s * demand_app[home[j]]
        revenue_by_market[home[j]] += revenue[j]
    fees = np.empty(n_m)
    for k in range(n_m):
        fees[k] = api_fee_share * revenue_by_market[k]
    return revenue, fees, revenue_by_market, share_by_market


@kernel
def model_logit_inputs(
    rows: np.ndarray,
    capability: np.ndarray,
    share: np.ndarray,
    region: np.ndarray,
    appeal: np.ndarray,
    beta: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the model labs ``rows``: where each may sell (``appeal`` of its home region in each
    market, 0 without a model), the logit exponent ``beta x (capability - the market's best
    sold there)`` (0 where it may not sell) and the lock-in base ``1 + last share``, each
    (len(rows), markets), for the caller to exponentiate in numpy
    (``abm.markets.product.model_shares`` is the numpy version)."""
    k, n_m = rows.size, appeal.shape[1]
    sellable = np.empty((k, n_m))
    arg = np.empty((k, n_m))
    lock = np.empty((k, n_m))
    frontier = np.full(n_m, -np.inf)
    for j in range(k):
        i = rows[j]
        has = np.isfinite(capability[i])
        for c in range(n_m):
            sellable[j, c] = appeal[region[i], c] * (1.0 if has else 0.0)
            lock[j, c] = 1.0 + share[i, c]
            if sellable[j, c] > 0:
                frontier[c] = maximum(frontier[c], capability[i] if has else -np.inf)
    for c in range(n_m):
        if not np.isfinite(frontier[c]):
            frontier[c] = 0.0
    for j in range(k):
        i = rows[j]
        for c in range(n_m):
            gap = capability[i] - frontier[c] if sellable[j, c] > 0 else 0.0
            arg[j, c] = beta * gap
    return sellable, arg, lock


@kernel
def model_logit_shares(sellable: np.ndarray, weight: np.ndarray, lock: np.ndarray) -> np.ndarray:
    """Shares of each model lab in each market: appeal = sellable x e^(exponent) x lock-in
    (``weight`` and ``lock`` already raised), over the market's total appeal (0 where none)."""
    k, n_m = sellable.shape
    appeal = np.empty((k, n_m))
    total = np.zeros(n_m)
    for j in range(k):
        for c in range(n_m):
            appeal[j, c] = sellable[j, c] * weight[j, c] * lock[j, c]
            total[c] += appeal[j, c]
    out = np.zeros((k, n_m))
    for j in range(k):
        for c in range(n_m):
            if total[c] > 0:
                out[j, c] = appeal[j, c] / total[c]
    return out


@kernel
def model_sales(
    shares: np.ndarray,
    rows: np.ndarray,
    demand_model: np.ndarray,
    fees: np.ndarray,
    inf_got: np.ndarray,
    inference_per_busd: float,
    paid_share: float,
    app_revenue_by_market: np.ndarray,
    share: np.ndarray,
    potential_revenue: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """The model labs' sales (``abm.phases.product.run``), from their ``shares`` (K, M) of
    each market's model spend ``demand_model`` and of the API fees ``fees`` (USD B).

    A lab's potential revenue is its use (own sales and fees); it serves as much of it as its
    inference compute allows (``inf_got`` against ``inference_per_busd`` x use) and only the
    ``paid_share`` of what it serves is revenue. Writes ``potential_revenue`` and the labs'
    rows of ``share``. Returns each lab's revenue, each market's API fee rate (fees the apps
    pay over their revenue; 0 without fees), the labs' shares summed per market, and the sums
    of own-sales revenue and of all revenue — every sum in numpy's order.
    """
    k, n_m = shares.shape
    use_own = matvec(shares, demand_model)
    revenue = np.empty(k)
    own = np.empty(k)
    served = np.empty(k)
    row = np.empty(n_m)
    for j in range(k):
        for c in range(n_m):
            row[c] = shares[j, c] * fees[c]
        use_fees = total(row)
        potential = use_own[j] + use_fees
        needed = potential * inference_per_busd
        i = rows[j]
        served[j] = minimum(inf_got[i] / maximum(needed, 1e-12), 1.0) if needed > 0 else 1.0
        potential_revenue[i] = potential
        own[j] = use_own[j] * served[j] * paid_share
        revenue[j] = own[j] + use_fees * served[j] * paid_share
    fee_paid = np.zeros(n_m)
    sums = np.zeros(n_m)
    for j in range(k):
        for c in range(n_m):
            fee_paid[c] += shares[j, c] * served[j]
            sums[c] += shares[j, c]
            share[rows[j], c] = shares[j, c]
    fee_rate = np.zeros(n_m)
    for c in range(n_m):
        if fees[c] > 0:
            fee_rate[c] = fee_paid[c] * fees[c] / app_revenue_by_market[c]
    return revenue, fee_rate, sums, total(own), total(revenue)
