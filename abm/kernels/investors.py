"""Compiled bookkeeping of the investors' side of the capital market (``abm/phases/capital.py``,
``agents/venture_fund.py``, ``agents/sovereign_fund.py``).

Investors are numbered in one global index — venture funds, then sovereign funds, clouds and
chip vendors (``AIMarketModel.investor_index``); ``base`` holds where each kind starts. Each
kernel reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_investors.py``
keeps that code as the reference). Money in USD B.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, minimum, total
from abm.kernels.holdings import marked_value


@kernel
def set_budgets(
    quarter: int,
    f_alive: np.ndarray,
    vintage: np.ndarray,
    f_dry_powder: np.ndarray,
    f_budget: np.ndarray,
    investment_quarters: int,
    sf_alive: np.ndarray,
    aum: np.ndarray,
    ai_tilt: np.ndarray,
    sf_dry_powder: np.ndarray,
    sf_budget: np.ndarray,
    sovereign_share: float,
    inflow: np.ndarray,
    states: int,
) -> None:
    """This quarter's budgets: a venture fund deploys its dry powder evenly over what is left
    of its investment period (at least two quarters); a sovereign fund adds a quarter of
    ``sovereign_share`` x AUM x its AI tilt (capped so dry powder stays within two years of
    it, booked as money in from the states) and may deploy a quarter of its dry powder."""
    for i in range(f_alive.size):
        left = investment_quarters - (quarter - vintage[i])
        if left < 2:
            left = 2
        f_budget[i] = f_dry_powder[i] / left if f_alive[i] else 0.0
    n = sf_alive.size
    add = np.empty(n)
    for i in range(n):
        a = aum[i] * sovereign_share * ai_tilt[i] / 4.0 if sf_alive[i] else 0.0
        add[i] = minimum(a, maximum(8.0 * a - sf_dry_powder[i], 0.0))
        sf_dry_powder[i] = sf_dry_powder[i] + add[i]
        sf_budget[i] = sf_dry_powder[i] / 4.0 if sf_alive[i] else 0.0
    inflow[states] += total(add)


@kernel
def budgets(
    base: np.ndarray,
    f_budget: np.ndarray,
    f_region: np.ndarray,
    sf_backs: np.ndarray,
    backs_labs: int,
    sf_budget: np.ndarray,
    sf_region: np.ndarray,
    c_strategic: np.ndarray,
    c_alive: np.ndarray,
    c_region: np.ndarray,
    v_alive: np.ndarray,
    v_revenue: np.ndarray,
    v_cash: np.ndarray,
    v_region: np.ndarray,
    vendor_venture_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Budget (USD B), region and kind (0 venture, 1 sovereign, 2 cloud, 3 vendor) of every
    investor in the global index: a venture fund's budget; a sovereign fund's if it backs
    labs (``sf_backs == backs_labs``); what a live cloud set aside for stakes (at least 0); a
    live vendor's ``vendor_venture_share`` of revenue, at most its cash (at least 0)."""
    n = base[3] + v_alive.size
    budget = np.empty(n)
    region = np.empty(n, np.int64)
    kind = np.empty(n, np.int64)
    for i in range(f_budget.size):
        budget[base[0] + i] = f_budget[i]
        region[base[0] + i] = f_region[i]
        kind[base[0] + i] = 0
    for i in range(sf_budget.size):
        budget[base[1] + i] = sf_budget[i] if sf_backs[i] == backs_labs else 0.0
        region[base[1] + i] = sf_region[i]
        kind[base[1] + i] = 1
    for i in range(c_strategic.size):
        budget[base[2] + i] = maximum(c_strategic[i], 0.0) * (1.0 if c_alive[i] else 0.0)
        region[base[2] + i] = c_region[i]
        kind[base[2] + i] = 2
    for i in range(v_alive.size):
        b = vendor_venture_share * v_revenue[i] if v_alive[i] else 0.0
        budget[base[3] + i] = minimum(b, maximum(v_cash[i], 0.0))
        region[base[3] + i] = v_region[i]
        kind[base[3] + i] = 3
    return budget, region, kind


@kernel
def debit(
    investor: np.ndarray,
    amount: np.ndarray,
    base: np.ndarray,
    n_investors: int,
    f_dry_powder: np.ndarray,
    f_paid_in: np.ndarray,
    sf_dry_powder: np.ndarray,
    sf_invested: np.ndarray,
    c_strategic: np.ndarray,
    v_cash: np.ndarray,
) -> None:
    """Investors pay for the stakes they took: each investor's checks (``amount`` USD B, per
    (investor, stake) pair) summed in order, then taken from a venture fund's dry powder (and
    added to its paid-in capital), a sovereign fund's dry powder (and added to what it has
    invested), a cloud's strategic reserve or a vendor's cash."""
    paid = np.zeros(n_investors)
    for j in range(investor.size):
        paid[investor[j]] += amount[j]
    for i in range(f_dry_powder.size):
        f_dry_powder[i] = f_dry_powder[i] - paid[base[0] + i]
    for i in range(sf_dry_powder.size):
        sf_dry_powder[i] = sf_dry_powder[i] - paid[base[1] + i]
    for i in range(c_strategic.size):
        c_strategic[i] = c_strategic[i] - paid[base[2] + i]
    for i in range(v_cash.size):
        v_cash[i] = v_cash[i] - paid[base[3] + i]
    for i in range(f_paid_in.size):
        f_paid_in[i] = f_paid_in[i] + paid[base[0] + i]
    for i in range(sf_invested.size):
        sf_invested[i] = sf_invested[i] + paid[base[1] + i]


@kernel
def fund_multiples(
    rows: np.ndarray,
    base: int,
    vintage: np.ndarray,
    paid_in: np.ndarray,
    distributed: np.ndarray,
    investor: np.ndarray,
    lab: np.ndarray,
    shares: np.ndarray,
    quarter: np.ndarray,
    price_per_share: np.ndarray,
    n_investors: int,
) -> np.ndarray:
    """TVPI of the current fund of each venture fund in ``rows``: (distributions + marked
    value of the stakes it bought since its vintage) / paid-in capital (1 with nothing paid
    in). ``investor`` ... ``quarter``: the stakes from the first one bought in the oldest
    vintage on (:meth:`abm.holdings.Holdings.first_bought_since`); their values summed per
    fund in store order (:func:`abm.kernels.holdings.marked_value`)."""
    wanted = np.zeros(n_investors, np.bool_)
    since = np.zeros(n_investors, np.int64)
    for j in range(rows.size):
        wanted[base + rows[j]] = True
        since[base + rows[j]] = vintage[rows[j]]
    nav = marked_value(investor, lab, shares, quarter, price_per_share, wanted, since, n_investors)
    tvpi = np.empty(rows.size)
    for j in range(rows.size):
        i = rows[j]
        p = paid_in[i]
        tvpi[j] = (distributed[i] + nav[base + i]) / p if p > 1e-9 else 1.0
    return tvpi


@kernel
def new_funds(
    rows: np.ndarray,
    tvpi: np.ndarray,
    tvpi_term: np.ndarray,
    lp_growth: float,
    quarter: int,
    fund_size: np.ndarray,
    dry_powder: np.ndarray,
    tvpi_out: np.ndarray,
    vintage: np.ndarray,
    paid_in: np.ndarray,
    distributed: np.ndarray,
    inflow: np.ndarray,
    limited_partners: int,
) -> None:
    """Funds ``rows`` raise their next fund: last size x ``tvpi_term`` (TVPI raised to the
    returns elasticity) kept within [0.3, 4] x ``lp_growth`` (LP trend growth over the cycle),
    added to dry powder from the LPs' account; the new fund starts this ``quarter``."""
    size = np.empty(rows.size)
    for j in range(rows.size):
        i = rows[j]
        size[j] = fund_size[i] * minimum(maximum(tvpi_term[j], 0.3), 4.0) * lp_growth
        dry_powder[i] = dry_powder[i] + size[j]
    inflow[limited_partners] += total(size)
    for j in range(rows.size):
        i = rows[j]
        fund_size[i] = size[j]
        tvpi_out[i] = tvpi[j]
        vintage[i] = quarter
        paid_in[i] = 0.0
        distributed[i] = 0.0


@kernel
def strategic_members(
    sf_alive: np.ndarray,
    sf_backs: np.ndarray,
    backs_labs: int,
    c_alive: np.ndarray,
    c_captive: np.ndarray,
    c_public: np.ndarray,
    v_alive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, ascending, of the strategic investors that may back labs this quarter: alive
    sovereign funds backing labs, open clouds (alive, not captive, not public) and alive
    chip vendors."""
    sov = np.empty(sf_alive.size, np.int64)
    k = 0
    for i in range(sf_alive.size):
        if sf_alive[i] and sf_backs[i] == backs_labs:
            sov[k] = i
            k += 1
    clouds = np.empty(c_alive.size, np.int64)
    m = 0
    for i in range(c_alive.size):
        if c_alive[i] and not c_captive[i] and not c_public[i]:
            clouds[m] = i
            m += 1
    vendors = np.empty(v_alive.size, np.int64)
    j = 0
    for i in range(v_alive.size):
        if v_alive[i]:
            vendors[j] = i
            j += 1
    return sov[:k], clouds[:m], vendors[:j]


@kernel
def first_open_cloud(
    region: np.ndarray, alive: np.ndarray, captive: np.ndarray, public: np.ndarray, home: int
) -> int:
    """Row of the first open cloud (alive, not captive, not public) in region ``home``; -1 if
    there is none."""
    for h in range(region.size):
        if alive[h] and not captive[h] and not public[h] and region[h] == home:
            return h
    return -1
