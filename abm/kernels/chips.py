"""Compiled loops of the chip market (``abm/phases/chips.py``).

The matrices here are small (clouds x products, ~15 x 43), so the numpy version's cost was
~150 calls a quarter, not arithmetic. Two kernels replace them: :func:`chip_menu` (what each
cloud may buy, its best price per useful H100e and its sites' power per H100e) and
:func:`clear_orders` (logit demand, licences, leakage, tier-2 caps, rationing by packaging
capacity and the bills). They reproduce the numpy code bit for bit
(``tests/abm/test_kernels_chips.py`` keeps it as the reference): the logarithms, exponentials
and matrix products stay in numpy between the kernels, sums over a row or a whole matrix use
numpy's pairwise order (:func:`abm.kernels.total`), sums down columns run row by row.
Money in USD B, prices in USD per unit, compute in H100e.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, matvec, maximum, minimum, sum_columns_by_group, total


@kernel
def chip_menu(
    on_sale: np.ndarray,
    alive: np.ndarray,
    region: np.ndarray,
    is_cn: np.ndarray,
    market: np.ndarray,
    owner_of: np.ndarray,
    allowed: np.ndarray,
    price: np.ndarray,
    useful: np.ndarray,
    kw_unit: np.ndarray,
    n_regions: int,
    china_only: int,
    domestic_market: int,
    owner_only: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What each cloud may buy and the best it can buy.

    ``sellable`` (H, P): on sale, the cloud alive, and the product's market open to it
    (China-only and domestic products to Chinese clouds, in-house silicon to its owner);
    legal where ``allowed`` > 0 too. Returns ``sellable``, each cloud's lowest legal price per
    useful H100e (USD B; ``fallback`` — the cheapest on sale, else 3e-5 — where it may buy
    nothing) and the kW per useful H100e of that chip (1.4 where nothing), and each region's
    lowest kW per useful H100e among its clouds' legal chips (else the lowest on sale, at
    most 1.4).
    """
    n_h, n_p = allowed.shape
    ppu = np.empty(n_p)
    kwu = np.empty(n_p)
    fallback = np.inf
    kw_fallback = 1.4
    any_on_sale = False
    for p in range(n_p):
        u = maximum(useful[p], 1e-12)
        ppu[p] = price[p] / u / 1e9
        kwu[p] = kw_unit[p] / u
        if on_sale[p]:
            any_on_sale = True
            fallback = minimum(fallback, ppu[p])
            kw_fallback = minimum(kw_fallback, kwu[p])
    if not any_on_sale:
        fallback = 3e-5
    sellable = np.zeros((n_h, n_p), np.bool_)
    best_price = np.empty(n_h)
    new_kw = np.empty(n_h)
    best_kw = np.full(n_regions, np.inf)
    for h in range(n_h):
        low = np.inf
        at = 0
        kw_low = np.inf
        for p in range(n_p):
            ok = on_sale[p] and alive[h]
            if market[p] == china_only or market[p] == domestic_market:
                ok = ok and is_cn[h]
            if market[p] == owner_only:
                ok = ok and owner_of[p] == h
            sellable[h, p] = ok
            if ok and allowed[h, p] > 0:
                if ppu[p] < low:
                    low = ppu[p]
                    at = p
                kw_low = minimum(kw_low, kwu[p])
        if low < np.inf:
            best_price[h] = low
            new_kw[h] = kwu[at]
        else:
            best_price[h] = fallback
            new_kw[h] = 1.4
        best_kw[region[h]] = minimum(best_kw[region[h]], kw_low)
    for r in range(n_regions):
        if best_kw[r] == np.inf:
            best_kw[r] = kw_fallback
    return sellable, best_price, new_kw, best_kw


@kernel
def logit_arguments(
    log_value: np.ndarray,
    sellable: np.ndarray,
    domestic: np.ndarray,
    allowed: np.ndarray,
    sharpness: float,
) -> np.ndarray:
    """Exponents of the three logit splits of a cloud's chip budget (3, H, P): over every
    product it may buy, over the domestic ones, and over the fully licensed ones;
    ``sharpness x (log value - the row's best log value)`` where the split includes the
    product, -inf where not. ``log_value`` (P,) is log(useful H100e per USD)."""
    n_h, n_p = sellable.shape
    args = np.full((3, n_h, n_p), -np.inf)
    for h in range(n_h):
        for k in range(3):
            best = -np.inf
            for p in range(n_p):
                if _in_split(k, sellable[h, p], domestic[p], allowed[h, p]):
                    best = maximum(best, log_value[p])
            if best == -np.inf:
                best = 0.0
            for p in range(n_p):
                if _in_split(k, sellable[h, p], domestic[p], allowed[h, p]):
                    args[k, h, p] = sharpness * (log_value[p] - best)
    return args


@kernel
def _in_split(k: int, sellable: bool, domestic: bool, allowed: float) -> bool:
    """Whether logit split ``k`` (0 all, 1 domestic, 2 fully licensed) includes a product."""
    if k == 0:
        return sellable
    if k == 1:
        return sellable and domestic
    return sellable and allowed >= 1.0


@kernel
def clear_orders(
    weight: np.ndarray,
    sellable: np.ndarray,
    domestic: np.ndarray,
    allowed: np.ndarray,
    rev_share: np.ndarray,
    budget: np.ndarray,
    procurement: np.ndarray,
    leakage_rate: float,
    region: np.ndarray,
    tier2_cap_tpp: np.ndarray,
    controlled: np.ndarray,
    tpp: np.ndarray,
    price: np.ndarray,
    grey_premium: float,
    packages: np.ndarray,
    vendor_of: np.ndarray,
    capacity: np.ndarray,
    h100e: np.ndarray,
    unit_cost: np.ndarray,
    is_cn: np.ndarray,
) -> tuple:
    """Clouds' orders, licences, leakage, tier-2 caps, rationing and bills.

    ``weight`` (3, H, P): ``exp`` of :func:`logit_arguments`. ``budget`` (H,) USD B;
    ``procurement`` (H,) the domestic-procurement share of each cloud's region;
    ``tier2_cap_tpp`` (regions,) TPP a quarter (inf: no cap); ``capacity`` (V,) packaging
    slots of started vendors (0 otherwise).

    Returns the (H, P) matrices ``units`` (units shipped, licensed plus leaked), ``h_legal``
    and ``h_leak`` (H100e installed and leaked), ``paid`` (USD B vendors receive); per cloud
    ``spent`` (USD B, grey premium included) and ``backlog`` (half the unfilled licensed
    orders); per product, for the vendor sums: vendor receipts, revenue shares owed,
    production cost, licensed receipts from China, H100e shipped, H100e licensed into China;
    per vendor the ordered slots over capacity; and the totals grey premium, H100e installed,
    H100e leaked, barred units licensed, and H100e installed in China from domestic and from
    foreign vendors.
    """
    n_h, n_p = sellable.shape
    n_v = capacity.size
    share = np.zeros((3, n_h, n_p))
    for k in range(3):
        for h in range(n_h):
            t = total(weight[k, h])
            if t > 0:
                for p in range(n_p):
                    inside = _in_split(k, sellable[h, p], domestic[p], allowed[h, p])
                    share[k, h, p] = (weight[k, h, p] if inside else 0.0) / t
    legal = np.empty((n_h, n_p))
    leak = np.empty((n_h, n_p))
    rest = np.empty(n_p)
    for h in range(n_h):
        mandate = 0.0
        for p in range(n_p):
            if share[1, h, p] > 0:
                mandate = procurement[h]
                break
        for p in range(n_p):
            spend = budget[h] * ((1.0 - mandate) * share[0, h, p] + mandate * share[1, h, p])
            legal[h, p] = spend * allowed[h, p]
            denied = spend - legal[h, p]
            leak[h, p] = denied * leakage_rate
            rest[p] = denied - leak[h, p]
        redirect = total(rest)
        for p in range(n_p):
            legal[h, p] = legal[h, p] + redirect * share[2, h, p]
    capped = False
    for r in range(tier2_cap_tpp.size):
        if tier2_cap_tpp[r] < np.inf:
            capped = True
    if capped:
        by_region = np.zeros(tier2_cap_tpp.size)
        for h in range(n_h):
            for p in range(n_p):
                rest[p] = legal[h, p] * 1e9 / price[p] * tpp[p] * (1.0 if controlled[p] else 0.0)
            by_region[region[h]] += total(rest)
        for h in range(n_h):
            r = region[h]
            factor = tier2_cap_tpp[r] / by_region[r] if by_region[r] > 0 else 1.0
            factor = minimum(1.0, factor)
            for p in range(n_p):
                if controlled[p]:
                    legal[h, p] = legal[h, p] * factor
    units_legal = np.empty((n_h, n_p))
    units_leak = np.empty((n_h, n_p))
    wanted = np.empty((n_h, n_p))
    for h in range(n_h):
        for p in range(n_p):
            units_legal[h, p] = legal[h, p] * 1e9 / price[p]
            units_leak[h, p] = leak[h, p] * 1e9 / (price[p] * grey_premium)
            wanted[h, p] = units_legal[h, p] + units_leak[h, p]
    # Rationing: each vendor fills the same share of every order when its slots are short.
    slots = np.zeros(n_p)
    for h in range(n_h):
        for p in range(n_p):
            slots[p] += wanted[h, p]
    demand = np.zeros(n_v)
    for p in range(n_p):
        demand[vendor_of[p]] += slots[p] * packages[p]
    fill_v = np.empty(n_v)
    ratio = np.zeros(n_v)
    for v in range(n_v):
        if demand[v] > capacity[v]:
            fill_v[v] = capacity[v] / maximum(demand[v], 1e-12)
        else:
            fill_v[v] = 1.0
        if capacity[v] > 0:
            ratio[v] = demand[v] / capacity[v]
    units = np.empty((n_h, n_p))
    h_legal = np.empty((n_h, n_p))
    h_leak = np.empty((n_h, n_p))
    paid = np.empty((n_h, n_p))
    pay_legal = np.empty((n_h, n_p))
    pay_leak = np.empty((n_h, n_p))
    premium = np.empty((n_h, n_p))
    owed = np.empty((n_h, n_p))
    for h in range(n_h):
        for p in range(n_p):
            w = wanted[h, p]
            fill = (w * fill_v[vendor_of[p]]) / w if w > 0 else 0.0
            ul = units_legal[h, p] * fill
            uk = units_leak[h, p] * fill
            units[h, p] = ul + uk
            h_legal[h, p] = ul * h100e[p]
            h_leak[h, p] = uk * h100e[p]
            pay_legal[h, p] = ul * price[p] / 1e9
            pay_leak[h, p] = uk * price[p] / 1e9
            premium[h, p] = pay_leak[h, p] * (grey_premium - 1.0)
            paid[h, p] = pay_legal[h, p] + pay_leak[h, p]
            owed[h, p] = pay_legal[h, p] * rev_share[h, p]
            units_legal[h, p] = ul
    spent = np.empty(n_h)
    backlog = np.empty(n_h)
    for h in range(n_h):
        bought = total(pay_legal[h])
        spent[h] = bought + total(pay_leak[h]) + total(premium[h])
        backlog[h] = maximum(total(legal[h]) - bought, 0.0) * 0.5
    owed_p = np.zeros(n_p)
    receipts_cn = np.zeros(n_p)
    shipped_cn = np.zeros(n_p)
    legal_sum = np.zeros(n_p)
    leak_sum = np.zeros(n_p)
    units_sum = np.zeros(n_p)
    h_legal_sum = np.zeros(n_p)
    h_leak_sum = np.zeros(n_p)
    for h in range(n_h):
        for p in range(n_p):
            legal_sum[p] += pay_legal[h, p]
            leak_sum[p] += pay_leak[h, p]
            owed_p[p] += owed[h, p]
            units_sum[p] += units[h, p]
            h_legal_sum[p] += h_legal[h, p]
            h_leak_sum[p] += h_leak[h, p]
            if is_cn[h]:
                receipts_cn[p] += pay_legal[h, p]
                shipped_cn[p] += h_legal[h, p]
    # Separate (P,) arrays: the caller multiplies each by the product -> vendor matrix.
    receipts = np.empty(n_p)
    production = np.empty(n_p)
    shipped = np.empty(n_p)
    for p in range(n_p):
        receipts[p] = legal_sum[p] + leak_sum[p]
        production[p] = units_sum[p] * unit_cost[p] / 1e9
        shipped[p] = h_legal_sum[p] + h_leak_sum[p]
    # Totals, each over the elements numpy's boolean selections gather, in their order.
    barred = np.empty(n_h * n_p)
    cn_domestic = np.empty(n_h * n_p)
    cn_foreign = np.empty(n_h * n_p)
    nb = nd = nf = 0
    for h in range(n_h):
        for p in range(n_p):
            if allowed[h, p] <= 0:
                barred[nb] = units_legal[h, p]
                nb += 1
    # ``h_legal[is_cn][:, domestic]`` comes out of numpy column-major, and sums in that order.
    for p in range(n_p):
        for h in range(n_h):
            if is_cn[h]:
                if domestic[p]:
                    cn_domestic[nd] = h_legal[h, p]
                    nd += 1
                else:
                    cn_foreign[nf] = h_legal[h, p]
                    nf += 1
    totals = np.empty(6)
    totals[0] = total(premium.reshape(n_h * n_p))
    totals[1] = total(h_legal.reshape(n_h * n_p))
    totals[2] = total(h_leak.reshape(n_h * n_p))
    totals[3] = total(barred[:nb])
    totals[4] = total(cn_domestic[:nd])
    totals[5] = total(cn_foreign[:nf])
    return (
        units,
        h_legal,
        h_leak,
        paid,
        spent,
        backlog,
        receipts,
        owed_p,
        production,
        receipts_cn,
        shipped,
        shipped_cn,
        ratio,
        totals,
    )


@kernel
def deliver(
    units: np.ndarray,
    h_legal: np.ndarray,
    h_leak: np.ndarray,
    paid: np.ndarray,
    spent: np.ndarray,
    backlog: np.ndarray,
    receipts: np.ndarray,
    owed: np.ndarray,
    production: np.ndarray,
    receipts_cn: np.ndarray,
    shipped_p: np.ndarray,
    shipped_cn_p: np.ndarray,
    ratio: np.ndarray,
    vendor_of: np.ndarray,
    kw_unit: np.ndarray,
    useful: np.ndarray,
    h100e: np.ndarray,
    domestic: np.ndarray,
    is_cn: np.ndarray,
    budget: np.ndarray,
    started: np.ndarray,
    c: tuple,
    v: tuple,
    outflow: np.ndarray,
    accounts: np.ndarray,
    premium: float,
) -> tuple:
    """Payments, installation and bookkeeping for the units that ship (the outputs of
    :func:`clear_orders`), and what public systems still await.

    ``c``: the cloud columns (cash, chip_spend, capex, backlog, stock, leaked, delivered, kw,
    book, internal, internal_budget, public, public_owed, uid, region) and ``v`` the vendor
    columns (cash, revenue, revenue_cn, shipped, shipped_cn, cum_shipped, demand_ratio, uid,
    region), updated in place. Sums over a vendor's products run in product order
    (:func:`abm.kernels.sum_columns_by_group`), the ledger's grey-market, governments and
    foundry accounts (``accounts``) are booked in that order.

    Returns the totals (H100e shipped, cards installed in China from domestic and from foreign
    vendors, cards leaked, USD B spent) and the chip-sale flows, one per (cloud, vendor) pair
    with a positive value in row-major order: vendor uid, cloud uid, USD B, vendor region,
    cloud region.
    """
    (
        c_cash,
        chip_spend,
        capex,
        c_backlog,
        stock,
        leaked,
        delivered,
        kw,
        book,
        internal,
        internal_budget,
        public,
        public_owed,
        c_uid,
        c_region,
    ) = c
    (
        v_cash,
        revenue_v,
        revenue_cn_v,
        shipped_v,
        shipped_cn_v,
        cum_shipped,
        demand_ratio,
        v_uid,
        v_region,
    ) = v
    grey, governments, foundry = accounts[0], accounts[1], accounts[2]
    n_h, n_p = units.shape
    n_v = v_cash.size
    for h in range(n_h):
        c_cash[h] = c_cash[h] - spent[h]
        chip_spend[h] = spent[h]
        capex[h] = capex[h] + spent[h]
        c_backlog[h] = backlog[h]
    outflow[grey] += premium
    revenue = sum_columns_by_group(receipts, vendor_of, n_v)
    share_owed = sum_columns_by_group(owed, vendor_of, n_v)
    cost = sum_columns_by_group(production, vendor_of, n_v)
    revenue_cn = sum_columns_by_group(receipts_cn, vendor_of, n_v)
    shipped = sum_columns_by_group(shipped_p, vendor_of, n_v)
    shipped_cn = sum_columns_by_group(shipped_cn_p, vendor_of, n_v)
    for j in range(n_v):
        v_cash[j] = v_cash[j] + (revenue[j] - share_owed[j] - cost[j])
    outflow[governments] += total(share_owed)
    outflow[foundry] += total(cost)
    for j in range(n_v):
        revenue_v[j] = revenue[j]
        revenue_cn_v[j] = revenue_cn[j]
        shipped_v[j] = shipped[j]
        shipped_cn_v[j] = shipped_cn[j]
        cum_shipped[j] = cum_shipped[j] + shipped[j]
    legal_by_vendor = sum_columns_by_group(h_legal, vendor_of, n_v)
    leaked_by_vendor = sum_columns_by_group(h_leak, vendor_of, n_v)
    kw_added = matvec(units, kw_unit)
    useful_added = matvec(units, useful)
    for h in range(n_h):
        for j in range(n_v):
            stock[h, j] = stock[h, j] + legal_by_vendor[h, j]
            leaked[h, j] = leaked[h, j] + leaked_by_vendor[h, j]
            delivered[h, j] = delivered[h, j] + (legal_by_vendor[h, j] + leaked_by_vendor[h, j])
        kw[h] = kw[h] + kw_added[h]
        book[h] = book[h] + spent[h]
        share = internal_budget[h] / budget[h] if budget[h] > 0 else 0.0
        internal[h] = internal[h] + useful_added[h] * share
    # Cards in China, domestic and foreign: ``(h_legal[is_cn] / h100e)[:, mask]`` sums in
    # numpy's column-major order; cards leaked sum over every (cloud, product) in row order.
    cards = np.empty(n_h * n_p)
    totals = np.empty(5)
    for d in range(2):
        k = 0
        for p in range(n_p):
            if domestic[p] == (d == 0):
                for h in range(n_h):
                    if is_cn[h]:
                        cards[k] = h_legal[h, p] / h100e[p]
                        k += 1
        totals[1 + d] = total(cards[:k])
    k = 0
    for h in range(n_h):
        for p in range(n_p):
            cards[k] = h_leak[h, p] / h100e[p]
            k += 1
    totals[3] = total(cards[:k])
    totals[0] = total(shipped)
    totals[4] = total(spent)
    # Public systems: what arrived (licensed and grey) comes off what they still await.
    for h in range(n_h):
        if public[h]:
            arrived = total(h_legal[h]) + total(h_leak[h])
            public_owed[h] = maximum(public_owed[h] - arrived, 0.0)
    pair = sum_columns_by_group(paid, vendor_of, n_v)
    n_flows = 0
    for h in range(n_h):
        for j in range(n_v):
            if pair[h, j] > 0:
                n_flows += 1
    src = np.empty(n_flows, np.int64)
    dst = np.empty(n_flows, np.int64)
    amount = np.empty(n_flows)
    src_region = np.empty(n_flows, np.int64)
    dst_region = np.empty(n_flows, np.int64)
    k = 0
    for h in range(n_h):
        for j in range(n_v):
            if pair[h, j] > 0:
                src[k] = v_uid[j]
                dst[k] = c_uid[h]
                amount[k] = pair[h, j]
                src_region[k] = v_region[j]
                dst_region[k] = c_region[h]
                k += 1
    for j in range(n_v):
        demand_ratio[j] = ratio[j] if started[j] else 1.0
    return totals, src, dst, amount, src_region, dst_region


@kernel
def market_inputs(
    quarter: int,
    first: np.ndarray,
    last: np.ndarray,
    vendor_of: np.ndarray,
    tflops: np.ndarray,
    h100_tflops: float,
    tdp_w: np.ndarray,
    power_overhead: float,
    started: np.ndarray,
    maturity: np.ndarray,
    vendor_region: np.ndarray,
    owner: np.ndarray,
    domestic: np.ndarray,
    capacity: np.ndarray,
    cloud_region: np.ndarray,
    cn: int,
) -> tuple:
    """This quarter's per-product, per-cloud and per-vendor inputs of the chip market, each
    as the numpy expression it replaces computed it: products on sale (listed now, vendor
    started), H100e per unit (``tflops / h100_tflops``), useful H100e per unit (x the vendor's
    software maturity), facility kW per unit (TDP x ``power_overhead`` / 1000), US origin, the
    cloud allowed to buy in-house silicon, domestic rows, TPP (16 x TFLOP/s); the clouds'
    regions (int64) and whether each is Chinese; the started vendors' packaging capacity."""
    n_p, n_h, n_v = first.size, cloud_region.size, started.size
    is_started = np.empty(n_v, np.bool_)
    cap = np.empty(n_v)
    for v in range(n_v):
        is_started[v] = started[v] <= quarter
        cap[v] = capacity[v] if is_started[v] else 0.0
    on_sale = np.empty(n_p, np.bool_)
    h100e = np.empty(n_p)
    useful = np.empty(n_p)
    kw_unit = np.empty(n_p)
    us_origin = np.empty(n_p, np.bool_)
    owner_of = np.empty(n_p, owner.dtype)
    domestic_p = np.empty(n_p, np.bool_)
    tpp = np.empty(n_p)
    for p in range(n_p):
        v = vendor_of[p]
        on_sale[p] = first[p] <= quarter and quarter <= last[p] and is_started[v]
        h100e[p] = tflops[p] / h100_tflops
        useful[p] = h100e[p] * maturity[v]
        kw_unit[p] = tdp_w[p] * power_overhead / 1000.0
        us_origin[p] = vendor_region[v] == 0
        owner_of[p] = owner[v]
        domestic_p[p] = domestic[v]
        tpp[p] = 16.0 * tflops[p]
    region = np.empty(n_h, np.int64)
    is_cn = np.empty(n_h, np.bool_)
    for h in range(n_h):
        region[h] = cloud_region[h]
        is_cn[h] = region[h] == cn
    return (
        is_started,
        on_sale,
        h100e,
        useful,
        kw_unit,
        us_origin,
        owner_of,
        domestic_p,
        tpp,
        region,
        is_cn,
        cap,
    )
