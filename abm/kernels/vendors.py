"""Compiled loops of the chip vendors' quarter (``agents/chip_vendor.py`` and the state support
of ``abm/phases/chips.py``).

Vendors are about ten rows, so the numpy version's cost was ~180 calls a quarter, not
arithmetic. Each kernel reproduces the numpy code bit for bit
(``tests/abm/test_kernels_chips.py`` keeps that code as the reference); powers, logarithms
and exponentials stay in numpy between them. Money in USD B, capacity in packaging slots per
quarter, compute in H100e.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, minimum, total


@kernel
def home_grown(quarter: int, started: np.ndarray, domestic: np.ndarray) -> np.ndarray:
    """Domestic vendors selling by ``quarter``, as a mask."""
    out = np.empty(started.size, np.bool_)
    for i in range(started.size):
        out[i] = started[i] <= quarter and domestic[i]
    return out


@kernel
def support(
    eligible: np.ndarray,
    region: np.ndarray,
    capacity: np.ndarray,
    cash: np.ndarray,
    subsidy: np.ndarray,
    vendor_subsidy: np.ndarray,
    fund_alive: np.ndarray,
    fund_backs: np.ndarray,
    backs_vendors: int,
    backer_region: np.ndarray,
    backer_budget: np.ndarray,
    dry_powder: np.ndarray,
    invested: np.ndarray,
    inflow: np.ndarray,
    states: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """State grants, then state funds, to the ``eligible`` (domestic, started) vendors.

    Each region with a ``vendor_subsidy`` (USD B a quarter) grants it to its eligible vendors
    in proportion to capacity (money in from the states' account, ``inflow[states]``, summed
    per region); each sovereign fund alive, backing vendors (``fund_backs`` ==
    ``backs_vendors``) and with a budget invests its budget in its region's eligible vendors the same way, from its dry
    powder. ``subsidy`` is reset and then holds what each vendor received.

    Returns the sovereign investments as flows: each backing fund's row, the number of its
    targets (in order) and what it spent (summed in numpy's order), and the targets' vendor
    rows and amounts laid end to end.
    """
    nv = eligible.size
    for i in range(nv):
        subsidy[i] = 0.0
    rows = np.empty(nv, np.int64)
    part = np.empty(nv)
    for r in range(vendor_subsidy.size):
        if not vendor_subsidy[r] > 0:
            continue
        k = 0
        for i in range(nv):
            if eligible[i] and region[i] == r:
                rows[k] = i
                part[k] = capacity[i]
                k += 1
        if k == 0:
            continue
        whole = total(part[:k])
        for j in range(k):
            grant = vendor_subsidy[r] * capacity[rows[j]] / whole
            cash[rows[j]] = cash[rows[j]] + grant
            subsidy[rows[j]] = subsidy[rows[j]] + grant
            part[j] = grant
        inflow[states] += total(part[:k])
    n_funds = fund_alive.size
    backer_ok = np.empty(n_funds, np.bool_)
    n_backers = 0
    for b in range(n_funds):
        backer_ok[b] = fund_alive[b] and fund_backs[b] == backs_vendors and backer_budget[b] > 0
        if backer_ok[b]:
            n_backers += 1
    funds = np.empty(n_backers, np.int64)
    counts = np.zeros(n_backers, np.int64)
    spent_by = np.empty(n_backers)
    targets = np.empty(n_backers * nv, np.int64)
    amounts = np.empty(n_backers * nv)
    m = 0
    f = 0
    for b in range(n_funds):
        if not backer_ok[b]:
            continue
        k = 0
        for i in range(nv):
            if eligible[i] and region[i] == backer_region[b]:
                rows[k] = i
                part[k] = capacity[i]
                k += 1
        if k == 0:
            continue
        whole = total(part[:k])
        for j in range(k):
            part[j] = backer_budget[b] * capacity[rows[j]] / whole
        spent = total(part[:k])
        dry_powder[b] = dry_powder[b] - spent
        invested[b] = invested[b] + spent
        for j in range(k):
            i = rows[j]
            cash[i] = cash[i] + part[j]
            subsidy[i] = subsidy[i] + part[j]
            targets[m] = i
            amounts[m] = part[j]
            m += 1
        funds[f] = b
        counts[f] = k
        spent_by[f] = spent
        f += 1
    return funds[:f], counts[:f], spent_by[:f], targets[:m], amounts[:m]


@kernel
def product_prices(
    cost: np.ndarray,
    base_markup: np.ndarray,
    scarcity: np.ndarray,
    vendor_of: np.ndarray,
    markup_floor: float,
    markup_ceiling: float,
) -> np.ndarray:
    """USD per unit of every product: unit cost x launch markup x its vendor's scarcity
    factor, the markup kept within [``markup_floor``, ``markup_ceiling``]."""
    price = np.empty(cost.size)
    for p in range(cost.size):
        markup = base_markup[p] * scarcity[vendor_of[p]]
        price[p] = cost[p] * minimum(maximum(markup, markup_floor), markup_ceiling)
    return price


@kernel
def invest_and_research(
    quarter: int,
    eligible: np.ndarray,
    started: np.ndarray,
    region: np.ndarray,
    revenue: np.ndarray,
    subsidy: np.ndarray,
    cash: np.ndarray,
    demand_ratio: np.ndarray,
    capacity: np.ndarray,
    invest_share: float,
    cost_per_slot: float,
    cn: int,
    cn_growth_ceiling: float,
    growth_ceiling: float,
    rd_share: float,
    rd_base: np.ndarray,
    cum_shipped: np.ndarray,
    shipped: np.ndarray,
    outflow: np.ndarray,
    foundry: int,
    wages: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vendors' spending after the chip market, up to the powers that numpy takes.

    - Capacity: a started vendor whose orders exceeded its slots (``demand_ratio`` > 1)
      invests ``invest_share`` of revenue plus half its state support (at most its cash) at
      ``cost_per_slot`` USD, adding no more than its region's growth ceiling (China's, cut by
      equipment controls, or the foundries') times its capacity; the spend goes to the
      foundry account.
    - R&D: each ``eligible`` (domestic, started) vendor spends ``rd_share`` of revenue, its
      base R&D and half its support (at most its cash, after capacity), to the wages account.

    Returns the scarcity ratio (orders over slots, clipped to [0.5, 2]), the eligible rows
    (ascending), their R&D spend (USD B), their learning base (cumulative H100e shipped over
    what it was a quarter ago, at least 1) and their research argument ``1 + R&D / 0.025``.
    """
    n = started.size
    ratio = np.empty(n)
    spent = np.empty(n)
    for i in range(n):
        ratio[i] = minimum(maximum(demand_ratio[i], 0.5), 2.0)
        invest = invest_share * revenue[i] + subsidy[i] * 0.5
        invest = minimum(invest, maximum(cash[i], 0.0))
        if not (started[i] <= quarter and demand_ratio[i] > 1.0):
            invest = 0.0
        units = invest * 1e9 / cost_per_slot
        ceiling = cn_growth_ceiling if region[i] == cn else growth_ceiling
        added = minimum(units, ceiling * capacity[i])
        spent[i] = (added / units if units > 0 else 0.0) * invest
        capacity[i] = capacity[i] + added
        cash[i] = cash[i] - spent[i]
    outflow[foundry] += total(spent)
    k = 0
    for i in range(n):
        if eligible[i]:
            k += 1
    rows = np.empty(k, np.int64)
    rd = np.empty(k)
    learn_base = np.empty(k)
    rd_arg = np.empty(k)
    j = 0
    for i in range(n):
        if eligible[i]:
            rows[j] = i
            r = rd_share * revenue[i] + rd_base[i] + 0.5 * subsidy[i]
            rd[j] = minimum(r, maximum(cash[i], 0.0))
            cash[i] = cash[i] - rd[j]
            learn_base[j] = cum_shipped[i] / maximum(cum_shipped[i] - shipped[i], 1.0)
            rd_arg[j] = 1.0 + rd[j] / 0.025
            j += 1
    if k:
        outflow[wages] += total(rd)
    return ratio, rows, rd, learn_base, rd_arg


@kernel
def finish_quarter(
    scarcity: np.ndarray,
    scarcity_term: np.ndarray,
    rows: np.ndarray,
    perf: np.ndarray,
    learn: np.ndarray,
    log10_rd: np.ndarray,
    rd_gain: float,
    ceiling_share: float,
    quarter: int,
    first: np.ndarray,
    last: np.ndarray,
    domestic_row: np.ndarray,
    tflops: np.ndarray,
    vendor_of: np.ndarray,
    maturity: np.ndarray,
    floor: np.ndarray,
    decay: np.ndarray,
) -> None:
    """Vendors' prices, products and software after the quarter, from numpy's powers.

    - Scarcity: the markup factor times ``scarcity_term`` (ratio ** elasticity), kept within
      [0.6, 1.25].
    - Domestic products (``rows``): performance (TFLOP/s) x research (``1 + rd_gain x log10
      of the research argument``) x ``learn``, up to ``ceiling_share`` (the domestic ceiling
      share, cut by equipment controls) of the best merchant chip on sale (or the best domestic
      product if none), never below what it was; the catalogue's domestic rows follow.
    - Maturity: floor + (1 - floor)(1 - ``decay``), ``decay`` = e^(-installed base / scale).
    """
    for i in range(scarcity.size):
        scarcity[i] = minimum(maximum(scarcity[i] * scarcity_term[i], 0.6), 1.25)
    if rows.size:
        best = -np.inf
        found = False
        for p in range(first.size):
            if first[p] <= quarter and quarter <= last[p] and not domestic_row[p]:
                best = tflops[p] if not found else maximum(best, tflops[p])
                found = True
        if not found:
            best = perf[rows[0]]
            for j in range(1, rows.size):
                best = maximum(best, perf[rows[j]])
        ceiling = ceiling_share * best
        for j in range(rows.size):
            i = rows[j]
            research = 1.0 + rd_gain * log10_rd[j]
            perf[i] = minimum(perf[i] * research * learn[j], maximum(ceiling, perf[i]))
        for p in range(first.size):
            if domestic_row[p]:
                tflops[p] = perf[vendor_of[p]]
    for i in range(maturity.size):
        maturity[i] = floor[i] + (1.0 - floor[i]) * (1.0 - decay[i])
