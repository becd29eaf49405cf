"""Quarter phase 2: the chip market (DESIGN.md §4).

Clouds plan capex and split their chip budget over the products they may buy (logit on
useful compute per dollar; domestic-procurement mandates reserve a share for domestic chips).
Export rules license part of that demand; denied demand partly leaks through grey channels
at a premium (recorded separately) and the rest is redirected to licensed products; tier-2
diffusion caps scale controlled orders down. Vendors' packaging capacity rations what ships.
Then vendors reprice, invest in capacity and (domestic vendors) improve their product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.catalogue import CHINA_ONLY, DOMESTIC, OWNER_ONLY
from abm.kernels import chips as kernels
from abm.kernels import matvec, sum_columns_by_group
from abm.markets.chips import CONTROLLED
from abm.network import CHIPS, EQUITY
from abm.regions import CN, REGIONS
from agents import chip_vendor, hyperscaler
from agents.sovereign_fund import VENDORS

if TYPE_CHECKING:
    from abm.model import AIMarketModel


def support_vendors(model: AIMarketModel) -> None:
    """State grants and state funds (China's Big Fund) go to domestic vendors, by capacity."""
    v, sf, pol = model.vendors, model.sovereigns, model.policy
    nv = v.n
    v.subsidy[:nv] = 0.0
    home_grown = (v.started[:nv] <= model.quarter_index) & v.domestic[:nv]
    region_of = v.region[:nv]
    for region in np.flatnonzero(pol.vendor_subsidy > 0):
        rows = np.flatnonzero(home_grown & (region_of == region))
        if rows.size:
            grant = pol.vendor_subsidy[region] * v.capacity[rows] / v.capacity[rows].sum()
            v.cash[rows] += grant
            v.subsidy[rows] += grant
            model.ledger.money_in("states", float(grant.sum()))
    ns = sf.n
    backers = np.flatnonzero(sf.alive[:ns] & (sf.backs[:ns] == VENDORS) & (sf.budget[:ns] > 0))
    for row in backers:
        targets = np.flatnonzero(home_grown & (region_of == sf.region[row]))
        if targets.size == 0:
            continue
        amount = sf.budget[row] * v.capacity[targets] / v.capacity[targets].sum()
        sf.dry_powder[row] -= amount.sum()
        sf.invested[row] += amount.sum()
        v.cash[targets] += amount
        v.subsidy[targets] += amount
        model.stats.sovereign_funding += float(amount.sum())
        model.flows.log(
            model.quarter_index,
            EQUITY,
            np.full(targets.size, sf.uid[row]),
            v.uid[targets],
            amount,
            np.full(targets.size, sf.region[row]),
            v.region[targets],
        )


def run(model: AIMarketModel) -> None:
    """Clear the chip market for this quarter."""
    q = model.quarter_index
    cat, v, c, pol = model.catalogue, model.vendors, model.clouds, model.policy
    cs = model.scenario.chips
    nh, nv = c.n, v.n
    hyperscaler.accrue_cash_flows(model)
    support_vendors(model)

    started = v.started[:nv] <= q
    on_sale = cat.available(q) & started[cat.vendor]
    price = chip_vendor.product_prices(model)  # USD per unit
    h100e = cat.h100e
    useful = h100e * v.maturity[cat.vendor]
    kw_unit = cat.kw_per_unit(model.scenario.clouds.power_overhead)
    region = c.region[:nh].astype(np.int64)
    is_cn = region == CN
    us_origin = v.region[cat.vendor] == 0
    export_class, allowed, rev_share = pol.licences(region, us_origin)
    # Compiled (abm/kernels/chips.py; the numpy version is its test's reference): what each
    # cloud may buy, its best price per useful H100e (USD B) and the power per H100e of that
    # chip. Each region's largest site is built with the most power-efficient chips its
    # clouds may legally buy (export controls make China's sites hold less compute per MW).
    sellable, best_price, new_kw, best_kw = kernels.chip_menu(
        on_sale,
        c.alive[:nh],
        region,
        is_cn,
        cat.market,
        v.owner[cat.vendor],
        allowed,
        price,
        useful,
        kw_unit,
        len(REGIONS),
        CHINA_ONLY,
        DOMESTIC,
        OWNER_ONLY,
    )
    c.best_price[:nh] = best_price
    c.new_kw[:nh] = new_kw
    # The largest site's power, and the useful H100e it can host with the best chips on sale.
    cl = model.scenario.clouds
    site_mw = cl.largest_site_mw * cl.site_growth_per_year ** (model.t / 4.0)
    model.world.site_h100e = site_mw * 1000.0 / best_kw

    hyperscaler.plan_capex(model)
    budget = c.chip_budget[:nh]

    # What each cloud would like to buy: logit on useful compute per dollar, with a domestic
    # share; export licences: denied demand partly leaks, the rest is redirected to licensed
    # products; tier-2 caps (diffusion rule) scale controlled orders of capped regions down;
    # vendors' packaging capacity rations what ships. The logarithms and exponentials stay in
    # numpy.
    domestic_p = v.domestic[cat.vendor]
    log_value = np.log(np.maximum(useful / price, 1e-300))
    weight = np.exp(
        kernels.logit_arguments(log_value, sellable, domestic_p, allowed, cl.chip_choice_sharpness)
    )
    (
        units,
        h_legal,
        h_leak,
        paid,
        spent,
        backlog,
        receipts,
        owed,
        production,
        receipts_cn,
        shipped_p,
        shipped_cn_p,
        ratio,
        totals,
    ) = kernels.clear_orders(
        weight,
        sellable,
        domestic_p,
        allowed,
        rev_share,
        budget,
        pol.procurement[region],
        pol.leakage_rate,
        region,
        pol.tier2_cap_tpp,
        (export_class == CONTROLLED) & us_origin,
        cat.tpp,
        price,
        cs.grey_premium,
        cat.packages,
        cat.vendor,
        np.where(started, v.capacity[:nv], 0.0),
        h100e,
        cat.unit_cost(q, cs.unit_cost_decline),
        is_cn,
    )
    premium, installed, leaked, barred, cn_domestic, cn_foreign = totals

    # Payments, installation and bookkeeping for the units that ship.
    st = model.stats
    c.cash[:nh] -= spent
    c.chip_spend[:nh] = spent
    c.capex[:nh] += spent
    c.backlog[:nh] = backlog  # unfilled licensed orders stay on the books
    model.ledger.money_out("grey_market", float(premium))
    # Sums over each vendor's products (compiled, in a fixed order: see kernels.matvec).
    by_vendor = sum_columns_by_group
    revenue = by_vendor(receipts, cat.vendor, nv)
    share_owed = by_vendor(owed, cat.vendor, nv)
    production = by_vendor(production, cat.vendor, nv)
    v.cash[:nv] += revenue - share_owed - production
    model.ledger.money_out("governments", float(share_owed.sum()))
    model.ledger.money_out("foundry", float(production.sum()))
    v.revenue[:nv] = revenue
    v.revenue_cn[:nv] = by_vendor(receipts_cn, cat.vendor, nv)
    shipped = by_vendor(shipped_p, cat.vendor, nv)
    v.shipped[:nv] = shipped
    v.shipped_cn[:nv] = by_vendor(shipped_cn_p, cat.vendor, nv)
    v.cum_shipped[:nv] += shipped
    legal_by_vendor = by_vendor(h_legal, cat.vendor, nv)
    leaked_by_vendor = by_vendor(h_leak, cat.vendor, nv)
    c.stock[:nh] += legal_by_vendor
    c.leaked[:nh] += leaked_by_vendor
    c.delivered[:nh] += legal_by_vendor + leaked_by_vendor
    c.kw[:nh] += matvec(units, kw_unit)
    c.book[:nh] += spent
    delivered_useful = matvec(units, useful)
    internal_share = np.divide(c.internal_budget[:nh], budget, out=np.zeros(nh), where=budget > 0)
    c.internal[:nh] += delivered_useful * internal_share

    # Chip accounting (DESIGN.md §10): shipped = installed + leaked, and nothing barred is licensed.
    st.chips_shipped_h100e += float(shipped.sum())
    st.chips_installed_h100e += float(installed)
    st.chips_leaked_h100e += float(leaked)
    st.barred_licensed_units += float(barred)
    st.cn_domestic_h100e = float(cn_domestic)
    st.cn_imported_h100e = float(cn_foreign)
    st.cn_leaked_h100e = float(leaked)
    # The same flows in cards, IDC's unit (T7): a card counts once whatever its H100e.
    cards_cn = h_legal[is_cn] / h100e
    st.cn_domestic_cards = float(cards_cn[:, domestic_p].sum())
    st.cn_imported_cards = float(cards_cn[:, ~domestic_p].sum())
    st.cn_leaked_cards = float((h_leak / h100e).sum())
    st.chip_spend = float(spent.sum())
    st.h100e_delivered = float(installed + leaked)
    hyperscaler.note_deliveries(model, h_legal, h_leak)
    # Network: vendor -> cloud chip sales (value), one edge per pair.
    pair = by_vendor(paid, cat.vendor, nv)  # (H, V)
    hi, vi = np.nonzero(pair > 0)
    model.flows.log(q, CHIPS, v.uid[vi], c.uid[hi], pair[hi, vi], v.region[vi], c.region[hi])
    v.demand_ratio[:nv] = np.where(started, ratio, 1.0)

    chip_vendor.reprice(model)
    chip_vendor.invest_in_capacity(model)
    chip_vendor.improve_domestic(model)
    chip_vendor.update_maturity(model)
