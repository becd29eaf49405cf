"""The chip market with compiled clearing gives bit for bit what its numpy version gave.

``reference_run`` and ``reference_deliver`` are ``abm/phases/chips.py`` as it was at commit
df3f2ff, calling the clouds' and vendors' numpy functions as they were at 06f4460. Two models
with the same seed run in lockstep, one with the reference phase; after every quarter their
clouds, vendors, books, chip accounts and flows must be identical. The
presets cover export controls on and off, China's subsidy push (procurement mandates) and the
diffusion rule's tier-2 caps.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.catalogue import CHINA_ONLY, DOMESTIC, OWNER_ONLY
from abm.kernels import matvec, total
from abm.markets.chips import CONTROLLED, logit_split, ration_by_capacity
from abm.model import AIMarketModel as _Model
from abm.network import CHIPS, EQUITY
from abm.phases import chips
from abm.regions import CN, REGIONS
from agents.hyperscaler import MAX_LEAD
from agents.sovereign_fund import VENDORS


def reference_run(model: AIMarketModel) -> None:
    """Clear the chip market for this quarter (the numpy version)."""
    q = model.quarter_index
    cat, v, c, pol = model.catalogue, model.vendors, model.clouds, model.policy
    cs = model.scenario.chips
    nh, nv = c.n, v.n
    reference_accrue_cash_flows(model)
    reference_support_vendors(model)

    started = v.started[:nv] <= q
    on_sale = cat.available(q) & started[cat.vendor]
    price = reference_product_prices(model)  # USD per unit
    h100e = cat.h100e
    useful = h100e * v.maturity[cat.vendor]
    kw_unit = cat.kw_per_unit(model.scenario.clouds.power_overhead)
    region = c.region[:nh].astype(np.int64)
    is_cn = region == CN
    rows = np.arange(nh)
    sellable = on_sale[None, :] & c.alive[:nh, None]
    sellable &= (cat.market != CHINA_ONLY)[None, :] | is_cn[:, None]
    sellable &= (cat.market != DOMESTIC)[None, :] | is_cn[:, None]
    sellable &= (cat.market != OWNER_ONLY)[None, :] | (
        rows[:, None] == v.owner[cat.vendor][None, :]
    )
    us_origin = v.region[cat.vendor] == 0
    export_class, allowed, rev_share = pol.licences(region, us_origin)
    legal_ok = sellable & (allowed > 0)

    price_per_useful = price / np.maximum(useful, 1e-12) / 1e9  # USD B per useful H100e
    masked = np.where(legal_ok, price_per_useful[None, :], np.inf)
    best = masked.argmin(axis=1)
    best_price = masked[rows, best]
    fallback = float(price_per_useful[on_sale].min()) if on_sale.any() else 3e-5
    c.best_price[:nh] = np.where(np.isfinite(best_price), best_price, fallback)
    c.new_kw[:nh] = np.where(
        np.isfinite(best_price), (kw_unit / np.maximum(useful, 1e-12))[best], 1.4
    )

    # The largest site's power, and the useful H100e it can host with the best chips on sale.
    cl = model.scenario.clouds
    site_mw = cl.largest_site_mw * cl.site_growth_per_year ** (model.t / 4.0)
    # Each region's largest site is built with the most power-efficient chips its clouds may
    # legally buy (export controls make China's sites hold less compute per MW).
    kw_per_useful = kw_unit / np.maximum(useful, 1e-12)
    kw_by_buyer = np.where(legal_ok, kw_per_useful[None, :], np.inf).min(axis=1)
    best_kw = np.full(len(REGIONS), np.inf)
    np.minimum.at(best_kw, region, kw_by_buyer)
    best_kw = np.where(
        np.isfinite(best_kw), best_kw, float(kw_per_useful[on_sale].min(initial=1.4))
    )
    model.world.site_h100e = site_mw * 1000.0 / best_kw

    reference_plan_capex(model)
    budget = c.chip_budget[:nh]

    # What each cloud would like to buy: logit on useful compute per dollar, with a domestic share.
    value = useful[None, :] / price[None, :]
    sharp = model.scenario.clouds.chip_choice_sharpness
    w_all = logit_split(np.broadcast_to(value, sellable.shape), sellable, sharp)
    domestic_ok = sellable & v.domestic[cat.vendor][None, :]
    w_dom = logit_split(np.broadcast_to(value, sellable.shape), domestic_ok, sharp)
    mandate = np.where(w_dom.sum(axis=1) > 0, pol.procurement[region], 0.0)
    spend = budget[:, None] * ((1.0 - mandate)[:, None] * w_all + mandate[:, None] * w_dom)

    # Export licences: denied demand partly leaks, the rest is redirected to licensed products.
    legal = spend * allowed
    denied = spend - legal
    leak = denied * pol.leakage_rate
    redirect = (denied - leak).sum(axis=1)
    w_legal = logit_split(
        np.broadcast_to(value, sellable.shape), sellable & (allowed >= 1.0), sharp
    )
    legal += redirect[:, None] * w_legal
    # Tier-2 caps (diffusion rule): scale controlled orders of capped regions to the cap.
    controlled = (export_class == CONTROLLED) & us_origin
    if np.isfinite(pol.tier2_cap_tpp).any():
        tpp_wanted = (legal * 1e9 / price * cat.tpp * controlled).sum(axis=1)
        by_region = np.bincount(region, weights=tpp_wanted, minlength=len(pol.tier2_cap_tpp))
        factor = np.minimum(
            1.0,
            np.divide(
                pol.tier2_cap_tpp, by_region, out=np.ones_like(by_region), where=by_region > 0
            ),
        )
        legal = np.where(controlled[None, :], legal * factor[region][:, None], legal)

    units_legal = legal * 1e9 / price
    units_leak = leak * 1e9 / (price * cs.grey_premium)
    wanted = units_legal + units_leak
    capacity = np.where(started, v.capacity[:nv], 0.0)
    filled, ratio = ration_by_capacity(wanted, cat.packages, cat.vendor, capacity)
    fill = np.divide(filled, wanted, out=np.zeros_like(wanted), where=wanted > 0)
    units_legal *= fill
    units_leak *= fill
    reference_deliver(
        model,
        units_legal,
        units_leak,
        legal,
        price,
        h100e,
        useful,
        kw_unit,
        rev_share,
        allowed,
        is_cn,
        budget,
    )
    v.demand_ratio[:nv] = np.where(started, ratio, 1.0)

    reference_reprice(model)
    reference_invest_in_capacity(model)
    reference_improve_domestic(model)
    reference_update_maturity(model)


def reference_deliver(
    model: AIMarketModel,
    units_legal: np.ndarray,
    units_leak: np.ndarray,
    legal_spend: np.ndarray,
    price: np.ndarray,
    h100e: np.ndarray,
    useful: np.ndarray,
    kw_unit: np.ndarray,
    rev_share: np.ndarray,
    allowed: np.ndarray,
    is_cn: np.ndarray,
    budget: np.ndarray,
) -> None:
    """Payments, installation and bookkeeping for the units that ship."""
    cat, v, c, st = model.catalogue, model.vendors, model.clouds, model.stats
    cs = model.scenario.chips
    nh, nv = c.n, v.n
    pay_legal = units_legal * price / 1e9  # USD B
    pay_leak = units_leak * price / 1e9  # what the vendor receives for leaked units
    premium = pay_leak * (cs.grey_premium - 1.0)
    spent = pay_legal.sum(axis=1) + pay_leak.sum(axis=1) + premium.sum(axis=1)
    c.cash[:nh] -= spent
    c.chip_spend[:nh] = spent
    c.capex[:nh] += spent
    # Unfilled licensed orders stay on the books as backlog.
    c.backlog[:nh] = np.maximum(legal_spend.sum(axis=1) - pay_legal.sum(axis=1), 0.0) * 0.5
    model.ledger.money_out("grey_market", float(premium.sum()))

    def by_vendor(x: np.ndarray) -> np.ndarray:
        """``x @ onehot(vendor)`` summed in product order (BLAS's order depends on the CPU)."""
        if x.ndim == 1:
            return np.bincount(cat.vendor, weights=x, minlength=nv)
        out = np.zeros((x.shape[0], nv))
        np.add.at(out, (slice(None), cat.vendor), x)
        return out

    def matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``a @ x``, each row summed in column order from 0.0."""
        out = np.zeros(a.shape[0])
        for j in range(x.size):
            out = out + a[:, j] * x[j]
        return out

    revenue = by_vendor(pay_legal.sum(axis=0) + pay_leak.sum(axis=0))
    share_owed = by_vendor((pay_legal * rev_share).sum(axis=0))
    cost = cat.unit_cost(model.quarter_index, cs.unit_cost_decline)
    production = by_vendor((units_legal + units_leak).sum(axis=0) * cost / 1e9)
    v.cash[:nv] += revenue - share_owed - production
    model.ledger.money_out("governments", float(share_owed.sum()))
    model.ledger.money_out("foundry", float(production.sum()))
    v.revenue[:nv] = revenue
    v.revenue_cn[:nv] = by_vendor(pay_legal[is_cn].sum(axis=0))
    h_legal = units_legal * h100e
    h_leak = units_leak * h100e
    shipped = by_vendor(h_legal.sum(axis=0) + h_leak.sum(axis=0))
    v.shipped[:nv] = shipped
    v.shipped_cn[:nv] = by_vendor(h_legal[is_cn].sum(axis=0))
    v.cum_shipped[:nv] += shipped

    c.stock[:nh] += by_vendor(h_legal)
    c.leaked[:nh] += by_vendor(h_leak)
    c.delivered[:nh] += by_vendor(h_legal) + by_vendor(h_leak)
    c.kw[:nh] += matvec(units_legal + units_leak, kw_unit)
    c.book[:nh] += spent
    delivered_useful = matvec(units_legal + units_leak, useful)
    internal_share = np.divide(c.internal_budget[:nh], budget, out=np.zeros(nh), where=budget > 0)
    c.internal[:nh] += delivered_useful * internal_share

    # Chip accounting (DESIGN.md §10): shipped = installed + leaked, and nothing barred is licensed.
    st.chips_shipped_h100e += float(shipped.sum())
    st.chips_installed_h100e += float(h_legal.sum())
    st.chips_leaked_h100e += float(h_leak.sum())
    st.barred_licensed_units += float(units_legal[allowed <= 0].sum())
    domestic_p = v.domestic[cat.vendor]
    st.cn_domestic_h100e = float(h_legal[is_cn][:, domestic_p].sum())
    st.cn_imported_h100e = float(h_legal[is_cn][:, ~domestic_p].sum())
    st.cn_leaked_h100e = float(h_leak.sum())
    cards_cn = h_legal[is_cn] / h100e
    st.cn_domestic_cards = float(cards_cn[:, domestic_p].sum())
    st.cn_imported_cards = float(cards_cn[:, ~domestic_p].sum())
    st.cn_leaked_cards = float((h_leak / h100e).sum())
    st.chip_spend = float(spent.sum())
    st.h100e_delivered = float(h_legal.sum() + h_leak.sum())
    reference_note_deliveries(model, h_legal, h_leak)
    # Network: vendor -> cloud chip sales (value), one edge per pair.
    pair = by_vendor(pay_legal + pay_leak)  # (H, V)
    hi, vi = np.nonzero(pair > 0)
    model.flows.log(
        model.quarter_index, CHIPS, v.uid[vi], c.uid[hi], pair[hi, vi], v.region[vi], c.region[hi]
    )


# The clouds' and vendors' numpy code as it was at 06f4460 (compiled since).


def reference_useful_capacity(model: AIMarketModel) -> np.ndarray:
    """Useful H100e each cloud can run: installed chips x maturity, limited by built power."""
    c, v = model.clouds, model.vendors
    n = c.n
    useful = matvec(c.stock[:n] + c.leaked[:n], v.maturity[: v.n])
    powered = np.divide(c.power_mw[:n] * 1000.0, c.kw[:n], out=np.ones(n), where=c.kw[:n] > 0)
    return useful * np.minimum(powered, 1.0)


def reference_accrue_cash_flows(model: AIMarketModel) -> None:
    """Parents' cash flows grow; a share is set aside for strategic stakes in labs."""
    c, s = model.clouds, model.scenario.investors
    n = c.n
    c.opcf[:n] *= c.opcf_growth[:n]
    add = np.where(c.alive[:n], s.hyperscaler_strategic_share * c.opcf[:n], 0.0)
    c.strategic[:n] += add
    model.ledger.money_in("parents", float(add.sum()))


def reference_plan_capex(model: AIMarketModel) -> None:
    """Decide this quarter's chip budget and power orders, and raise the money for them.

    Uses ``best_price`` and ``new_kw`` (set by the chip phase from the products each cloud may
    buy now) to turn a capacity gap into dollars and megawatts.
    """
    c, s = model.clouds, model.scenario.clouds
    n = c.n
    alive = c.alive[:n]
    life = s.chip_life_quarters
    horizon = s.expansion_horizon_quarters
    # Capacity for labs: extrapolate the lab demand it saw, or its partners' plans if larger.
    leasable = np.maximum(reference_useful_capacity(model) - c.internal[:n], 0.0)
    now = c.demand[:n]
    year_ago = c.demand_hist[:n, model.ring_slot_year_ago()]
    growth = np.clip(
        np.divide(now, year_ago, out=np.ones(n), where=year_ago > 0), 1.0, s.demand_growth_cap
    )
    target = np.maximum(now * growth ** (horizon / 4.0), c.contracted[:n]) * (
        1.0 + s.capacity_headroom
    )
    # Build for labs only while leasing pays: a cloud whose price no longer covers the cost of
    # new capacity waits (captives build for their lab regardless).
    pays = (c.price[:n] >= c.cost[:n]) | c.captive[:n]
    target = np.where(pays, target, np.minimum(target, leasable))
    surviving = leasable * (1.0 - 1.0 / life) ** horizon
    best_price = c.best_price[:n]
    backlog_useful = c.backlog[:n] / np.maximum(best_price, 1e-12)
    gap = np.maximum(target - surviving - backlog_useful, 0.0)
    # Own AI workloads (search, ads, feeds, assistants) grow with AI spending worldwide: these
    # firms match their global peers whatever their home market's models can do.
    own_share = np.minimum(
        s.baseline_ai_capex_share * model.demand_growth_global() ** s.internal_ai_elasticity,
        s.internal_ai_share_max,
    )
    internal_budget = own_share * c.opcf[:n]
    # Public AI supercomputers are ordered in the quarter they come online, for their own users,
    # at what a raw H100e cost on average last quarter; what has not arrived is ordered again.
    public = c.public[:n]
    due = model.public_due.get(model.quarter_index)
    if due is not None:
        c.public_owed[:n] += due[:n]
    unit_price = model.world.h100e_unit_price or best_price
    internal_budget = np.where(public, c.public_owed[:n] * unit_price, internal_budget)
    backlog = np.where(public, 0.0, c.backlog[:n])
    chips = np.where(alive, gap * best_price + internal_budget + backlog, 0.0)
    internal_new = internal_budget / np.maximum(best_price, 1e-12)
    # Power for the target fleet at the kW per useful H100e of today's best buy, with a lead time.
    # Power is ordered for the fleet expected when it comes online: today's fleet plus this
    # order, grown at the fleet's own pace over the lead time.
    kw_year_ago = c.kw_hist[:n, model.ring_slot_year_ago()]
    fleet_growth = np.clip(
        np.divide(c.kw[:n], kw_year_ago, out=np.ones(n), where=kw_year_ago > 0), 1.0, 3.0
    )
    fleet_growth[public] = 1.0  # a public system's hall is built with it
    lead = min(s.power_lead_quarters, MAX_LEAD - 1)
    mw_needed = (
        (c.kw[:n] + (gap + internal_new) * c.new_kw[:n]) / 1000.0 * fleet_growth ** (lead / 4.0)
    )
    mw_coming = c.power_mw[:n] + c.pipeline[:n].sum(axis=1)
    new_mw = np.where(alive, np.maximum(mw_needed - mw_coming, 0.0), 0.0)
    power_cost = new_mw * s.dc_capex_busd_per_mw
    need = chips + power_cost
    reference_finance(model, need)
    # Spend what could be financed: power first (it has the lead time), then chips.
    afford = np.maximum(c.cash[:n], 0.0)
    power_paid = np.minimum(power_cost, afford)
    scale = np.divide(power_paid, power_cost, out=np.ones(n), where=power_cost > 0)
    c.pipeline[:n, lead] += np.where(public, 0.0, new_mw * scale)
    c.power_mw[:n] += np.where(public, new_mw * scale, 0.0)
    c.cash[:n] -= power_paid
    model.ledger.money_out("dc_builders", float(power_paid.sum()))
    c.chip_budget[:n] = np.minimum(chips, np.maximum(c.cash[:n], 0.0))
    c.capex[:n] = power_paid
    c.internal_budget[:n] = np.minimum(internal_budget, c.chip_budget[:n])


def reference_finance(model: AIMarketModel, need: np.ndarray) -> None:
    """Raise cash for ``need``: parent cash flow, then captive prepayments, then debt.

    The state pays for its public supercomputers outright.
    """
    c, s, labs = model.clouds, model.scenario.clouds, model.labs
    n = c.n
    short = np.maximum(need - c.cash[:n], 0.0)
    parent = np.minimum(short, s.ai_capex_share_max * c.opcf[:n])
    c.cash[:n] += parent
    model.ledger.money_in("parents", float(parent.sum()))
    short -= parent
    state = np.where(c.public[:n], short, 0.0)
    c.cash[:n] += state
    model.ledger.money_in("states", float(state.sum()))
    short -= state
    # A captive data centre draws prepayments from the lab it serves (credited as compute).
    cap_rows = np.flatnonzero(c.captive[:n] & (c.parent_lab[:n] >= 0) & (short > 0))
    if cap_rows.size:
        lab_rows = c.parent_lab[cap_rows]
        prepay = np.minimum(short[cap_rows], 0.5 * np.maximum(labs.cash[lab_rows], 0.0))
        labs.cash[lab_rows] -= prepay
        labs.prepaid[lab_rows] += prepay
        c.cash[cap_rows] += prepay
        short[cap_rows] -= prepay
    room = np.maximum(
        s.debt_capacity_years * 4.0 * (c.lease_rev[:n] + c.opcf[:n]) - c.debt[:n], 0.0
    )
    borrow = np.minimum(short, room)
    c.cash[:n] += borrow
    c.debt[:n] += borrow
    model.ledger.money_in("lenders", float(borrow.sum()))


def reference_note_deliveries(
    model: AIMarketModel, h_legal: np.ndarray, h_leak: np.ndarray
) -> None:
    """After the chip market: what public systems still await, and the going price of an H100e.

    ``h_legal`` and ``h_leak`` are the raw H100e each cloud received, by product (clouds x
    products). Reads ``model.stats.chip_spend`` and ``h100e_delivered`` of this quarter.
    """
    c, st = model.clouds, model.stats
    public = np.flatnonzero(c.public[: c.n])
    if public.size:
        arrived = h_legal[public].sum(axis=1) + h_leak[public].sum(axis=1)
        c.public_owed[public] = np.maximum(c.public_owed[public] - arrived, 0.0)
    if st.h100e_delivered > 0:
        model.world.h100e_unit_price = st.chip_spend / st.h100e_delivered


def reference_product_prices(model: AIMarketModel) -> np.ndarray:
    """USD per unit of every product this quarter: unit cost x launch markup x scarcity,
    within the markup floor and ceiling."""
    cat, v, s = model.catalogue, model.vendors, model.scenario.chips
    cost = cat.unit_cost(model.quarter_index, s.unit_cost_decline)
    markup = np.clip(cat.base_markup * v.scarcity[cat.vendor], s.markup_floor, s.markup_ceiling)
    return cost * markup


def reference_reprice(model: AIMarketModel) -> None:
    """Scarcity pricing: the markup factor moves with orders over capacity."""
    v, s = model.vendors, model.scenario.chips
    n = v.n
    ratio = np.clip(v.demand_ratio[:n], 0.5, 2.0)
    # Vendors ration a shortage mostly by allocation, not price: the factor stays near 1.
    v.scarcity[:n] = np.clip(v.scarcity[:n] * ratio**s.scarcity_elasticity, 0.6, 1.25)


def reference_invest_in_capacity(model: AIMarketModel) -> None:
    """Add packaging capacity from a share of revenue (plus state grants), within foundry ceilings."""
    v, s, pol = model.vendors, model.scenario.chips, model.policy
    n = v.n
    started = v.started[:n] <= model.quarter_index
    invest = s.capacity_invest_share * v.revenue[:n] + v.subsidy[:n] * 0.5
    invest = np.minimum(invest, np.maximum(v.cash[:n], 0.0))
    invest = np.where(started & (v.demand_ratio[:n] > 1.0), invest, 0.0)  # expand into a shortage
    units = invest * 1e9 / s.capacity_cost_usd_per_unit
    ceiling = np.where(
        v.region[:n] == REGIONS.index("CN"),
        s.domestic_growth_ceiling * (1.0 - pol.equipment_capacity_cut),
        s.foundry_growth_ceiling,
    )
    added = np.minimum(units, ceiling * v.capacity[:n])
    spent = np.divide(added, units, out=np.zeros(n), where=units > 0) * invest
    v.capacity[:n] += added
    v.cash[:n] -= spent
    model.ledger.money_out("foundry", float(spent.sum()))


def reference_improve_domestic(model: AIMarketModel) -> None:
    """Domestic vendors: R&D and learning by doing raise performance, up to a ceiling that
    equipment controls cut (a share of the best merchant chip on sale)."""
    v, s, pol, cat = model.vendors, model.scenario.chips, model.policy, model.catalogue
    n = v.n
    rows = np.flatnonzero(v.domestic[:n] & (v.started[:n] <= model.quarter_index))
    if rows.size == 0:
        return
    rd = s.domestic_rd_share * v.revenue[rows] + v.rd_base[rows] + 0.5 * v.subsidy[rows]
    rd = np.minimum(rd, np.maximum(v.cash[rows], 0.0))
    v.cash[rows] -= rd
    model.ledger.money_out("wages", float(rd.sum()))
    learning_exp = np.log2(1.0 + s.domestic_learning)
    before = np.maximum(v.cum_shipped[rows] - v.shipped[rows], 1.0)
    learn = (v.cum_shipped[rows] / before) ** learning_exp
    research = 1.0 + s.domestic_rd_gain * np.log10(1.0 + rd / 0.025)
    on_sale = cat.available(model.quarter_index) & ~cat.domestic_row
    best_merchant = float(cat.tflops[on_sale].max()) if on_sale.any() else float(v.perf[rows].max())
    ceiling = s.domestic_ceiling_share * (1.0 - pol.equipment_ceiling_cut) * best_merchant
    v.perf[rows] = np.minimum(v.perf[rows] * research * learn, np.maximum(ceiling, v.perf[rows]))
    cat.tflops[cat.domestic_row] = v.perf[cat.vendor[cat.domestic_row]]


def reference_update_maturity(model: AIMarketModel) -> None:
    """Software maturity rises with the installed base: floor + (1 - floor)(1 - e^(-base/scale))."""
    v, s = model.vendors, model.scenario.chips
    n = v.n
    closing = 1.0 - np.exp(-v.cum_shipped[:n] / s.ecosystem_scale_h100e)
    v.maturity[:n] = v.floor[:n] + (1.0 - v.floor[:n]) * closing


def reference_support_vendors(model: AIMarketModel) -> None:
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


def _state(model: _Model) -> dict[str, bytes]:
    out = {}
    for name in ("clouds", "vendors"):
        table = getattr(model, name)
        for field in table._all_fields():
            out[f"{name}.{field}"] = np.asarray(getattr(table, field)).tobytes()
    for key, value in dataclasses.asdict(model.stats).items():
        out[f"stats.{key}"] = np.asarray(value).tobytes()
    out["ledger"] = model.ledger.outflow.tobytes() + model.ledger.inflow.tobytes()
    out["site_h100e"] = np.asarray(model.world.site_h100e).tobytes()
    out["region_flows"] = model.flows.region_flows.tobytes()
    out["flows"] = b"".join(
        np.asarray(part).tobytes() for chunk in model.flows._chunks for part in chunk
    )
    return out


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"),
    [
        ("baseline", 1, 28),
        ("no_export_controls", 2, 16),
        ("china_subsidy_push", 3, 24),
        ("diffusion_rule_kept", 4, 28),
        ("strict_export_controls", 5, 24),
    ],
)
def test_chip_market_matches_numpy(monkeypatch, preset, seed, quarters):
    new = AIMarketModel(load_scenario(preset), rng=seed)
    ref = AIMarketModel(load_scenario(preset), rng=seed)
    for _ in range(quarters):
        new.step()
        with monkeypatch.context() as patch:
            patch.setattr(chips, "run", reference_run)
            ref.step()
        a, b = _state(new), _state(ref)
        for key in b:
            assert a[key] == b[key], (key, new.quarter)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 43, 127, 128, 129, 645, 5000, 20000])
def test_total_is_numpy_sum(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        a = rng.lognormal(0.0, 4.0, n) * rng.choice([-1.0, 1.0], n)
        assert total(a) == a.sum()
    m = rng.lognormal(0.0, 4.0, (15, 43))
    assert [total(row) for row in m] == list(m.sum(axis=1))
