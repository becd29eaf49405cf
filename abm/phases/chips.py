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
from abm.kernels import vendors as vendor_kernels
from abm.ledger import ACCOUNT_INDEX
from abm.markets.chips import CONTROLLED
from abm.network import CHIPS, EQUITY
from abm.regions import CN, REGIONS
from abm.units import H100_DENSE_BF16_TFLOPS
from agents import chip_vendor, hyperscaler
from agents.sovereign_fund import VENDORS

if TYPE_CHECKING:
    from abm.model import AIMarketModel


def support_vendors(model: AIMarketModel, home_grown: np.ndarray) -> None:
    """State grants and state funds (China's Big Fund) go to domestic vendors that have
    started selling (``home_grown``), by capacity.

    Compiled (``abm.kernels.vendors.support``); each fund's investments are logged as equity
    flows here.
    """
    v, sf = model.vendors, model.sovereigns
    nv, ns = v.n, sf.n
    funds, counts, spent, targets, amounts = vendor_kernels.support(
        home_grown,
        v.region[:nv],
        v.capacity[:nv],
        v.cash[:nv],
        v.subsidy[:nv],
        model.policy.vendor_subsidy,
        sf.alive[:ns],
        sf.backs[:ns],
        VENDORS,
        sf.region[:ns],
        sf.budget[:ns],
        sf.dry_powder[:ns],
        sf.invested[:ns],
        model.ledger.inflow,
        ACCOUNT_INDEX["states"],
    )
    start = 0
    for row, k, paid in zip(funds.tolist(), counts.tolist(), spent.tolist(), strict=True):
        model.stats.sovereign_funding += paid
        model.flows.log_rows(
            model.quarter_index,
            EQUITY,
            sf.uid,
            np.full(k, row),
            v.uid,
            targets[start : start + k],
            amounts[start : start + k],
            sf.region,
            v.region,
        )
        start += k


def run(model: AIMarketModel) -> None:
    """Clear the chip market for this quarter."""
    q = model.quarter_index
    cat, v, c, pol = model.catalogue, model.vendors, model.clouds, model.policy
    cs = model.scenario.chips
    nh, nv = c.n, v.n
    hyperscaler.accrue_cash_flows(model)
    home_grown = vendor_kernels.home_grown(q, v.started[:nv], v.domestic[:nv])
    support_vendors(model, home_grown)

    (
        started,
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
        capacity,
    ) = kernels.market_inputs(
        q,
        cat.first,
        cat.last,
        cat.vendor,
        cat.tflops,
        H100_DENSE_BF16_TFLOPS,
        cat.tdp_w,
        float(model.scenario.clouds.power_overhead),
        v.started[:nv],
        v.maturity[:nv],
        v.region[:nv],
        v.owner[:nv],
        v.domestic[:nv],
        v.capacity[:nv],
        c.region[:nh],
        CN,
    )
    price = chip_vendor.product_prices(model)  # USD per unit
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
        owner_of,
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
    log_value = np.log(np.maximum(useful / price, 1e-300))
    weight = np.exp(
        kernels.logit_arguments(log_value, sellable, domestic_p, allowed, cl.chip_choice_sharpness)
    )
    # The orders' (H, P) matrices, per-cloud bills, per-product receipts and the totals.
    orders = kernels.clear_orders(
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
        tpp,
        price,
        cs.grey_premium,
        cat.packages,
        cat.vendor,
        capacity,
        h100e,
        cat.unit_cost(q, cs.unit_cost_decline),
        is_cn,
    )
    premium, installed, leaked, barred, cn_domestic, cn_foreign = orders[-1]

    # Payments, installation and bookkeeping for the units that ship (compiled): clouds pay
    # and install, vendors book revenue, revenue shares and production cost, public systems
    # count what arrived, and each (cloud, vendor) pair with a sale becomes a network flow.
    st = model.stats
    shipped_total, cn_domestic_cards, cn_imported_cards, cn_leaked_cards, spend = (
        out := kernels.deliver(
            *orders[:-1],  # units ... ratio, in clear_orders' order
            cat.vendor,
            kw_unit,
            useful,
            h100e,
            domestic_p,
            is_cn,
            budget,
            started,
            c.columns(_DELIVERY_CLOUD),
            v.columns(_DELIVERY_VENDOR),
            model.ledger.outflow,
            _DELIVERY_ACCOUNTS,
            float(premium),
        )
    )[0].tolist()

    # Chip accounting (DESIGN.md §10): shipped = installed + leaked, and nothing barred is licensed.
    st.chips_shipped_h100e += shipped_total
    st.chips_installed_h100e += float(installed)
    st.chips_leaked_h100e += float(leaked)
    st.barred_licensed_units += float(barred)
    st.cn_domestic_h100e = float(cn_domestic)
    st.cn_imported_h100e = float(cn_foreign)
    st.cn_leaked_h100e = float(leaked)
    # The same flows in cards, IDC's unit (T7): a card counts once whatever its H100e.
    st.cn_domestic_cards = cn_domestic_cards
    st.cn_imported_cards = cn_imported_cards
    st.cn_leaked_cards = cn_leaked_cards
    st.chip_spend = spend
    st.h100e_delivered = float(installed + leaked)
    if st.h100e_delivered > 0:  # the going price of a raw H100e, for public systems' orders
        model.world.h100e_unit_price = st.chip_spend / st.h100e_delivered
    # Network: vendor -> cloud chip sales (value), one edge per pair.
    model.flows.log(q, CHIPS, *out[1:])

    chip_vendor.after_market(model, home_grown)


_DELIVERY_CLOUD = (
    "cash",
    "chip_spend",
    "capex",
    "backlog",
    "stock",
    "leaked",
    "delivered",
    "kw",
    "book",
    "internal",
    "internal_budget",
    "public",
    "public_owed",
    "uid",
    "region",
)
_DELIVERY_VENDOR = (
    "cash",
    "revenue",
    "revenue_cn",
    "shipped",
    "shipped_cn",
    "cum_shipped",
    "demand_ratio",
    "uid",
    "region",
)
_DELIVERY_ACCOUNTS = np.array(
    [ACCOUNT_INDEX[a] for a in ("grey_market", "governments", "foundry")], dtype=np.int64
)
