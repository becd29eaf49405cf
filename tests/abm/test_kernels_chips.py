"""The chip market with compiled clearing gives bit for bit what its numpy version gave.

``reference_run`` and ``reference_deliver`` are ``abm/phases/chips.py`` as it was at commit
df3f2ff. Two models with the same seed run in lockstep, one with the reference phase; after
every quarter their clouds, vendors, books, chip accounts and flows must be identical. The
presets cover export controls on and off, China's subsidy push (procurement mandates) and the
diffusion rule's tier-2 caps.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.catalogue import CHINA_ONLY, DOMESTIC, OWNER_ONLY
from abm.kernels import total
from abm.markets.chips import CONTROLLED, logit_split, ration_by_capacity
from abm.model import AIMarketModel as _Model
from abm.network import CHIPS
from abm.phases import chips
from abm.regions import CN, REGIONS
from agents import chip_vendor, hyperscaler


def reference_run(model: AIMarketModel) -> None:
    """Clear the chip market for this quarter (the numpy version)."""
    q = model.quarter_index
    cat, v, c, pol = model.catalogue, model.vendors, model.clouds, model.policy
    cs = model.scenario.chips
    nh, nv = c.n, v.n
    hyperscaler.accrue_cash_flows(model)
    chips.support_vendors(model)

    started = v.started[:nv] <= q
    on_sale = cat.available(q) & started[cat.vendor]
    price = chip_vendor.product_prices(model)  # USD per unit
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

    hyperscaler.plan_capex(model)
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

    chip_vendor.reprice(model)
    chip_vendor.invest_in_capacity(model)
    chip_vendor.improve_domestic(model)
    chip_vendor.update_maturity(model)


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
    hyperscaler.note_deliveries(model, h_legal, h_leak)
    # Network: vendor -> cloud chip sales (value), one edge per pair.
    pair = by_vendor(pay_legal + pay_leak)  # (H, V)
    hi, vi = np.nonzero(pair > 0)
    model.flows.log(
        model.quarter_index, CHIPS, v.uid[vi], c.uid[hi], pair[hi, vi], v.region[vi], c.region[hi]
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
