"""Compiled loops of the clouds' quarter (``agents/hyperscaler.py``).

Clouds are a few dozen rows, so the numpy version's cost was ~110 calls a quarter, not
arithmetic. These kernels do its bookkeeping in one pass per step: each reproduces the numpy
code bit for bit (``tests/abm/test_kernels_chips.py`` keeps that code as the reference). The
powers stay in numpy between the kernels: the caller raises what :func:`capex_bases` returns.
Money in USD B, compute in useful H100e, power in MW and kW.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, matvec, maximum, minimum, total


@kernel
def useful_capacity(
    stock: np.ndarray,
    leaked: np.ndarray,
    maturity: np.ndarray,
    power_mw: np.ndarray,
    kw: np.ndarray,
) -> np.ndarray:
    """Useful H100e each cloud can run: its installed chips (licensed and grey, raw H100e by
    vendor) times each vendor's maturity, scaled down where the built power (MW) is short of
    what the chips draw (kW)."""
    useful = matvec(stock + leaked, maturity)
    for h in range(useful.size):
        powered = power_mw[h] * 1000.0 / kw[h] if kw[h] > 0 else 1.0
        useful[h] = useful[h] * minimum(powered, 1.0)
    return useful


@kernel
def accrue(
    alive: np.ndarray,
    opcf: np.ndarray,
    opcf_growth: np.ndarray,
    strategic: np.ndarray,
    strategic_share: float,
    inflow: np.ndarray,
    parents: int,
) -> None:
    """Parents' cash flows grow; ``strategic_share`` of it is set aside for stakes in labs
    (booked as money in from the parents' account ``inflow[parents]``)."""
    n = alive.size
    add = np.empty(n)
    for h in range(n):
        opcf[h] = opcf[h] * opcf_growth[h]
        add[h] = strategic_share * opcf[h] if alive[h] else 0.0
        strategic[h] = strategic[h] + add[h]
    inflow[parents] += total(add)


@kernel
def capex_bases(
    useful: np.ndarray,
    internal: np.ndarray,
    demand: np.ndarray,
    demand_year_ago: np.ndarray,
    demand_growth_cap: float,
    kw: np.ndarray,
    kw_year_ago: np.ndarray,
    public: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`agents.hyperscaler.plan_capex` raises to powers: each cloud's leasable
    capacity (useful H100e beyond its own workloads), the growth of the lab demand it saw over
    a year (clipped to [1, ``demand_growth_cap``]; 1 without last year's figure) and of its
    fleet's power draw (clipped to [1, 3]; 1 for public systems)."""
    n = useful.size
    leasable = np.empty(n)
    growth = np.empty(n)
    fleet_growth = np.empty(n)
    for h in range(n):
        leasable[h] = maximum(useful[h] - internal[h], 0.0)
        g = demand[h] / demand_year_ago[h] if demand_year_ago[h] > 0 else 1.0
        growth[h] = minimum(maximum(g, 1.0), demand_growth_cap)
        f = kw[h] / kw_year_ago[h] if kw_year_ago[h] > 0 else 1.0
        fleet_growth[h] = 1.0 if public[h] else minimum(maximum(f, 1.0), 3.0)
    return leasable, growth, fleet_growth


@kernel
def plan_capex(
    alive: np.ndarray,
    captive: np.ndarray,
    public: np.ndarray,
    parent_lab: np.ndarray,
    leasable: np.ndarray,
    demand_term: np.ndarray,
    fleet_term: np.ndarray,
    headroom_factor: float,
    survival: float,
    own_share: float,
    unit_price: float,
    due: np.ndarray,
    lead: int,
    dc_capex_busd_per_mw: float,
    ai_capex_share_max: float,
    debt_years_x4: float,
    c: tuple,
    lab_cash: np.ndarray,
    lab_prepaid: np.ndarray,
    inflow: np.ndarray,
    outflow: np.ndarray,
    accounts: np.ndarray,
) -> None:
    """This quarter's chip budget and power orders of every cloud, and their financing; see
    :func:`agents.hyperscaler.plan_capex` for the rule.

    ``demand_term`` = growth ** (horizon / 4) and ``fleet_term`` = fleet growth ** (lead / 4)
    (numpy's powers of :func:`capex_bases`); ``headroom_factor`` = 1 + capacity headroom;
    ``survival`` = (1 - 1 / chip life) ** horizon; ``own_share`` of parents' cash flow goes to
    own AI workloads; ``unit_price`` (USD B per raw H100e, 0 if none yet) prices public
    systems' orders; ``due`` (H,) raw H100e of public systems due this quarter (empty if none);
    ``debt_years_x4`` = debt capacity in years x 4. ``c``: the cloud columns (contracted,
    demand, price, cost, best_price, backlog, opcf, public_owed, kw, new_kw, power_mw, pipeline,
    cash, debt, lease_rev, chip_budget, capex, internal_budget), updated in place, as are the
    captive labs' cash and prepayments. ``accounts``: the ledger rows of parents, states,
    lenders and data-centre builders.
    """
    (
        contracted,
        demand,
        price,
        cost,
        best_price,
        backlog,
        opcf,
        public_owed,
        kw,
        new_kw,
        power_mw,
        pipeline,
        cash,
        debt,
        lease_rev,
        chip_budget,
        capex,
        internal_budget_out,
    ) = c
    parents, states, lenders, dc_builders = accounts[0], accounts[1], accounts[2], accounts[3]
    n = alive.size
    if due.size:
        for h in range(n):
            public_owed[h] = public_owed[h] + due[h]
    gap = np.empty(n)
    internal_budget = np.empty(n)
    chips = np.empty(n)
    new_mw = np.empty(n)
    power_cost = np.empty(n)
    need = np.empty(n)
    for h in range(n):
        target = maximum(demand[h] * demand_term[h], contracted[h]) * headroom_factor
        if not (price[h] >= cost[h] or captive[h]):
            target = minimum(target, leasable[h])
        surviving = leasable[h] * survival
        backlog_useful = backlog[h] / maximum(best_price[h], 1e-12)
        gap[h] = maximum(target - surviving - backlog_useful, 0.0)
        ib = own_share * opcf[h]
        if public[h]:
            ib = public_owed[h] * (unit_price if unit_price else best_price[h])
        internal_budget[h] = ib
        bl = 0.0 if public[h] else backlog[h]
        chips[h] = gap[h] * best_price[h] + ib + bl if alive[h] else 0.0
        internal_new = ib / maximum(best_price[h], 1e-12)
        mw_needed = (kw[h] + (gap[h] + internal_new) * new_kw[h]) / 1000.0 * fleet_term[h]
        mw_coming = power_mw[h] + total(pipeline[h])
        new_mw[h] = maximum(mw_needed - mw_coming, 0.0) if alive[h] else 0.0
        power_cost[h] = new_mw[h] * dc_capex_busd_per_mw
        need[h] = chips[h] + power_cost[h]
    # Financing: parents' cash flow, the state (public systems), captive prepayments, debt.
    short = np.empty(n)
    parent = np.empty(n)
    state = np.empty(n)
    for h in range(n):
        short[h] = maximum(need[h] - cash[h], 0.0)
        parent[h] = minimum(short[h], ai_capex_share_max * opcf[h])
        cash[h] = cash[h] + parent[h]
        short[h] = short[h] - parent[h]
    inflow[parents] += total(parent)
    for h in range(n):
        state[h] = short[h] if public[h] else 0.0
        cash[h] = cash[h] + state[h]
        short[h] = short[h] - state[h]
    inflow[states] += total(state)
    # numpy's fancy assignment: every captive's new lab balance from the old ones, last wins.
    k = 0
    cap_rows = np.empty(n, np.int64)
    for h in range(n):
        if captive[h] and parent_lab[h] >= 0 and short[h] > 0:
            cap_rows[k] = h
            k += 1
    new_cash = np.empty(k)
    new_prepaid = np.empty(k)
    for j in range(k):
        h = cap_rows[j]
        i = parent_lab[h]
        prepay = minimum(short[h], 0.5 * maximum(lab_cash[i], 0.0))
        new_cash[j] = lab_cash[i] - prepay
        new_prepaid[j] = lab_prepaid[i] + prepay
        cash[h] = cash[h] + prepay
        short[h] = short[h] - prepay
    for j in range(k):
        lab_cash[parent_lab[cap_rows[j]]] = new_cash[j]
        lab_prepaid[parent_lab[cap_rows[j]]] = new_prepaid[j]
    borrow = np.empty(n)
    for h in range(n):
        room = maximum(debt_years_x4 * (lease_rev[h] + opcf[h]) - debt[h], 0.0)
        borrow[h] = minimum(short[h], room)
        cash[h] = cash[h] + borrow[h]
        debt[h] = debt[h] + borrow[h]
    inflow[lenders] += total(borrow)
    # Spend what could be financed: power first (it has the lead time), then chips.
    power_paid = np.empty(n)
    for h in range(n):
        power_paid[h] = minimum(power_cost[h], maximum(cash[h], 0.0))
        scale = power_paid[h] / power_cost[h] if power_cost[h] > 0 else 1.0
        built = new_mw[h] * scale
        pipeline[h, lead] = pipeline[h, lead] + (0.0 if public[h] else built)
        power_mw[h] = power_mw[h] + (built if public[h] else 0.0)
        cash[h] = cash[h] - power_paid[h]
    outflow[dc_builders] += total(power_paid)
    for h in range(n):
        chip_budget[h] = minimum(chips[h], maximum(cash[h], 0.0))
        capex[h] = power_paid[h]
        internal_budget_out[h] = minimum(internal_budget[h], chip_budget[h])


@kernel
def fleet_totals(useful: np.ndarray, legacy_gap: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Useful H100e of the alive clouds and their legacy shortfall, each summed as numpy sums
    the alive rows it gathers."""
    pick = np.empty(useful.size)
    gap = np.empty(useful.size)
    k = 0
    for h in range(useful.size):
        if alive[h]:
            pick[k] = useful[h]
            gap[k] = legacy_gap[h]
            k += 1
    out = np.empty(2)
    out[0] = total(pick[:k])
    out[1] = total(gap[:k])
    return out


@kernel
def lease_costs(
    best_price: np.ndarray,
    new_kw: np.ndarray,
    debt: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    useful: np.ndarray,
    server_overhead: float,
    payback_quarters: float,
    chip_life_quarters: float,
    hours_per_quarter: float,
    energy_usd_per_mwh: float,
    dc_capex_busd_per_mw: float,
    interest_rate: float,
    cost: np.ndarray,
    amortised: np.ndarray,
) -> np.ndarray:
    """Each cloud's cost per useful H100e-quarter (USD B), written to ``cost``, and the same
    compute at Cottier et al.'s cost basis to ``amortised``; see
    :func:`agents.hyperscaler.set_prices`. ``useful``: what it can run now (useful H100e).
    Returns last quarter's lab demand over leasable capacity (1 without capacity), clipped to
    [0.05, 20], for the caller to raise to the price elasticity."""
    n = cost.size
    ratio = np.empty(n)
    for h in range(n):
        energy = new_kw[h] * hours_per_quarter * energy_usd_per_mwh / 1e3 / 1e9
        building = new_kw[h] / 1000.0 * dc_capex_busd_per_mw / 40.0
        hardware = best_price[h] * server_overhead / payback_quarters
        interest = debt[h] * interest_rate / 4.0 / useful[h] if useful[h] > 1.0 else 0.0
        cost[h] = hardware + energy + building + interest
        amortised[h] = best_price[h] * server_overhead / chip_life_quarters + energy + building
        r = demand[h] / capacity[h] if capacity[h] > 0 else 1.0
        ratio[h] = minimum(maximum(r, 0.05), 20.0)
    return ratio


@kernel
def lease_prices(
    cost: np.ndarray,
    ratio_term: np.ndarray,
    margin: float,
    captive: np.ndarray,
    public: np.ndarray,
    useful: np.ndarray,
    internal: np.ndarray,
    price: np.ndarray,
    capacity: np.ndarray,
) -> None:
    """Lease price: ``cost x (1 + margin) x ratio_term`` (the clipped demand ratio raised to the
    elasticity), held within [0.8, 4] x cost; captive and public clouds charge cost. Leasable
    capacity: what the cloud can run beyond its own workloads (0 for public systems)."""
    for h in range(cost.size):
        p = cost[h] * (1.0 + margin) * ratio_term[h]
        p = minimum(maximum(p, 0.8 * cost[h]), 4.0 * cost[h])
        price[h] = cost[h] if captive[h] or public[h] else p
        capacity[h] = 0.0 if public[h] else maximum(useful[h] - internal[h], 0.0)


@kernel
def operate(
    public: np.ndarray,
    keep: float,
    slot: int,
    hours_per_quarter: float,
    energy_usd_per_mwh: float,
    interest_rate: float,
    c: tuple,
    maturity: np.ndarray,
    inflow: np.ndarray,
    outflow: np.ndarray,
    accounts: np.ndarray,
) -> None:
    """Pay energy and interest, repay debt from spare cash, age the fleet and the pipeline;
    see :func:`agents.hyperscaler.operate`. ``keep`` = 1 - 1 / chip life; ``slot``: this
    quarter's column of the ``kw_hist`` ring. ``c``: the cloud columns (kw, debt, cash, capex,
    stock, leaked, legacy_gap, book, internal, kw_hist, power_mw, pipeline), in place.
    ``accounts``: the ledger rows of parents, states, energy and lenders."""
    kw, debt, cash, capex, stock, leaked, legacy_gap, book, internal, kw_hist, power_mw, pipe = c
    parents, states, energy_acc, lenders = accounts[0], accounts[1], accounts[2], accounts[3]
    n = kw.size
    energy = np.empty(n)
    interest = np.empty(n)
    top_up = np.empty(n)
    by_parents = np.empty(n)
    by_states = np.empty(n)
    n_p = 0
    n_s = 0
    for h in range(n):
        energy[h] = kw[h] * hours_per_quarter * energy_usd_per_mwh / 1e3 / 1e9
        interest[h] = debt[h] * interest_rate / 4.0
        bill = energy[h] + interest[h]
        # Parents (the state, for public systems) cover bills a cloud cannot pay from its cash.
        top_up[h] = maximum(bill - cash[h], 0.0)
        cash[h] = cash[h] + top_up[h]
        if public[h]:
            by_states[n_s] = top_up[h]
            n_s += 1
        else:
            by_parents[n_p] = top_up[h]
            n_p += 1
        cash[h] = cash[h] - bill
    inflow[parents] += total(by_parents[:n_p])
    inflow[states] += total(by_states[:n_s])
    outflow[energy_acc] += total(energy)
    outflow[lenders] += total(interest)
    repay = np.empty(n)
    for h in range(n):
        repay[h] = minimum(debt[h], maximum(cash[h] - 0.5 * capex[h], 0.0) * 0.5)
        debt[h] = debt[h] - repay[h]
        cash[h] = cash[h] - repay[h]
    outflow[lenders] += total(repay)
    n_v = stock.shape[1]
    for h in range(n):
        for j in range(n_v):
            stock[h, j] = stock[h, j] * keep
            leaked[h, j] = leaked[h, j] * keep
        legacy_gap[h] = legacy_gap[h] * keep
        kw[h] = kw[h] * keep
        book[h] = book[h] * keep
        internal[h] = internal[h] * keep
        kw_hist[h, slot] = kw[h]
    useful = useful_capacity(stock, leaked, maturity, power_mw, kw)
    lead = pipe.shape[1]
    for h in range(n):
        internal[h] = minimum(internal[h], useful[h])
        power_mw[h] = power_mw[h] + pipe[h, 0]
        for k in range(lead - 1):
            pipe[h, k] = pipe[h, k + 1]
        pipe[h, lead - 1] = 0.0
