"""The world at the start: named actors from ``abm/data`` plus a synthetic population.

Named vendors, clouds, sovereign funds and venture firms always exist; named labs exist when
``population.named_labs`` is on (the baseline). Actors founded after the start quarter get
their rows now but become active (clouds, funds) or enter (labs) at their founding quarter.
The synthetic population — application startups, small model labs, venture firms — is drawn
from the model's rng at the sizes the scenario gives (times ``population.scale``).

Initial fleets and some starting values are estimates; each data row names its source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from abm.calendar import parse_quarter
from abm.data_tables import load_table
from abm.kernels import matvec
from abm.regions import CN, N_REGIONS, REGION_INDEX, REGIONS
from abm.units import FLOP_PER_H100E_QUARTER, HOURS_PER_QUARTER, TRAINING_UTILISATION
from agents.chip_vendor import DOMESTIC, INHOUSE, MERCHANT, ChipVendor
from agents.hyperscaler import Hyperscaler, set_training_utilisation
from agents.lab import APP, ARCHETYPES, BIGTECH, CHALLENGER, FRONTIER, Lab
from agents.sovereign_fund import BACKS, SovereignFund
from agents.venture_fund import MANDATES, VentureFund

if TYPE_CHECKING:
    from abm.model import AIMarketModel

__all__ = ["AGENT_TYPE", "APP", "Lab", "build"]

AGENT_TYPE = {
    "labs": "Lab",
    "clouds": "Hyperscaler",
    "vendors": "ChipVendor",
    "funds": "VentureFund",
    "sovereigns": "SovereignFund",
}
# Synthetic populations: where venture firms sit and which mandates they hold (estimates from
# the regional split of AI venture funding, Crunchbase 2020-23).
FUND_REGION_SHARE = np.array([0.55, 0.17, 0.20, 0.02, 0.06])
FUND_MANDATE_SHARE = np.array([0.5, 0.35, 0.15])
OLD_FLEET_USD_PER_H100E = 10_000 / (125 / 989)  # a V100 ($10k, 125 TFLOP/s) per H100e
OLD_FLEET_KW_PER_H100E = 0.3 * 2.0 / (125 / 989)  # V100 300 W x facility overhead


def legacy_mfu() -> dict[str, float]:
    """Training utilisation (MFU) of each vendor's chips in the 2020 fleet, by vendor name."""
    return {
        r["vendor"]: r["mfu"] for r in load_table("training_utilisation") if r["role"] == "legacy"
    }


def vendor_rows() -> list[dict[str, Any]]:
    """Rows of abm/data/vendors.csv."""
    return list(load_table("vendors"))


def region_countries() -> np.ndarray:
    """Number of countries in each region (for per-country caps)."""
    by_name = {r["region"]: r["countries"] for r in load_table("regions")}
    return np.array([by_name[r] for r in REGIONS], dtype=float)


def build(model: AIMarketModel, vendors: list[dict[str, Any]]) -> None:
    """Fill the model's tables for the start quarter."""
    _vendors(model, vendors)
    _clouds(model)
    _public_compute(model)
    _funds(model)
    _sovereigns(model)
    # The quarters in which some cloud or sovereign fund starts (fixed from here on).
    model._founding_quarters = frozenset(model._cloud_founded.tolist()) | frozenset(
        model._sovereign_founded.tolist()
    )
    f, sf, c = model.funds, model.sovereigns, model.clouds
    model._investor_base = np.array([0, f.n, f.n + sf.n, f.n + sf.n + c.n])
    model.investor_uid = np.concatenate(
        [f.uid[: f.n], sf.uid[: sf.n], c.uid[: c.n], model.vendors.uid[: model.vendors.n]]
    )
    _labs(model)
    w, labs = model.world, model.labs
    n = labs.n
    d = model.scenario.demand
    model.demand0 = d.base_busd_per_year / 4.0
    share = np.array([d.region_share[r] for r in REGIONS])
    w.demand_model = model.demand0 * share * (1.0 - d.app_share)
    w.demand_app = model.demand0 * share * d.app_share
    model.demand0_by_region = model.demand0 * share
    best = labs.best_flop[:n]
    lead = int(np.argmax(best))
    w.frontier_flop = float(best[lead])
    # The largest run so far, costed like every later run: its compute at the 2020 fleet's
    # hardware (V100s) amortised over its life, plus energy (Cottier et al.'s method), at the
    # V100's training utilisation.
    set_training_utilisation(model)
    flop_per_v100_h100e_quarter = (
        FLOP_PER_H100E_QUARTER * legacy_mfu()["NVIDIA"] / TRAINING_UTILISATION
    )
    cl = model.scenario.clouds
    per_h100e_quarter = (
        OLD_FLEET_USD_PER_H100E * cl.server_overhead / cl.chip_life_quarters
        + OLD_FLEET_KW_PER_H100E * HOURS_PER_QUARTER * cl.energy_usd_per_mwh / 1e3
    )
    labs.best_cost[:n] = labs.best_flop[:n] / flop_per_v100_h100e_quarter * per_h100e_quarter / 1e9
    w.frontier_cost = float(labs.best_cost[lead])
    w.entry_run_flop = max(w.frontier_flop * 1e-3, 1e20)
    w.capability0 = float(np.log10(max(w.frontier_flop, 1.0)))
    opened = labs.open_weight[:n] & (best > 0)
    w.open_algo = float(labs.algo[:n][opened].max()) if opened.any() else -np.inf
    model.vc_flow0 = None  # venture capital invested in the first quarter (entry reference)


def _vendors(model: AIMarketModel, rows: list[dict[str, Any]]) -> None:
    v = model.vendors
    idx = v.add(len(rows), [r["name"] for r in rows])
    v.uid[idx] = model.register_rows("vendors", ChipVendor, idx)
    chips = [r for r in load_table("chips") if r["role"] != "reference"]
    q0 = model.quarter_index
    for i, r in zip(idx.tolist(), rows, strict=True):
        own = [c for c in chips if c["vendor"] == r["name"]]
        first = min(parse_quarter(c["first_quarter"]) for c in own)
        v.region[i] = REGION_INDEX[r["region"]]
        v.kind[i] = {"merchant": MERCHANT, "inhouse": INHOUSE, "domestic": DOMESTIC}[r["kind"]]
        v.domestic[i] = any(c["role"] == "domestic_start" for c in own)
        v.started[i] = max(first, q0)
        v.capacity[i] = r["capacity_units_per_quarter"]
        v.cash[i] = r["cash_busd"]
        v.floor[i] = r["ecosystem_floor"]
        v.rd_base[i] = r["rd_busd_per_year"] / 4.0
        start = min(own, key=lambda c: parse_quarter(c["first_quarter"]))
        v.perf[i] = start["bf16_tflops"]
        # Installed base so far: about two years of output of the first product.
        v.cum_shipped[i] = max(
            r["capacity_units_per_quarter"] * start["bf16_tflops"] / 989.0 * 8.0, 1.0
        )
    model._vendor_owner_names = {
        int(i): r["owner"] for i, r in zip(idx.tolist(), rows, strict=True)
    }


def _clouds(model: AIMarketModel) -> None:
    c, v = model.clouds, model.vendors
    rows = list(load_table("hyperscalers"))
    idx = c.add(len(rows), [r["name"] for r in rows])
    c.uid[idx] = model.register_rows("clouds", Hyperscaler, idx)
    q0 = model.quarter_index
    founded = np.array([parse_quarter(r["founded"]) for r in rows])
    row_of = {r["name"]: int(i) for i, r in zip(idx.tolist(), rows, strict=True)}
    for vi, owner in model._vendor_owner_names.items():
        v.owner[vi] = row_of[owner] if owner else -1
    nvidia = v.names.index("NVIDIA")
    huawei = v.names.index("Huawei")
    # How far the 2020 fleet's training utilisation falls short of current chips', by vendor.
    legacy_shortfall = np.zeros(v.n)
    for vi, mfu in legacy_mfu().items():
        legacy_shortfall[v.names.index(vi)] = 1.0 - mfu / TRAINING_UTILISATION
    for i, r in zip(idx.tolist(), rows, strict=True):
        c.region[i] = REGION_INDEX[r["region"]]
        c.captive[i] = r["captive"]
        c.opcf[i] = r["opcf_busd_per_year"] / 4.0
        c.opcf_growth[i] = (1.0 + r["opcf_growth"]) ** 0.25
        c.cash[i] = r["cash_busd"]
        installed = r["installed_h100e"]
        # Fleet split (estimate): own silicon half of it where a cloud has some; 10 % Ascend in China.
        inhouse = np.flatnonzero(v.owner[: v.n] == i)
        if inhouse.size and v.started[inhouse[0]] <= q0:
            c.stock[i, inhouse[0]] = 0.5 * installed
            c.stock[i, nvidia] = 0.5 * installed
        elif c.region[i] == CN:
            c.stock[i, huawei] = 0.1 * installed
            c.stock[i, nvidia] = 0.9 * installed
        else:
            c.stock[i, nvidia] = installed
        c.kw[i] = installed * OLD_FLEET_KW_PER_H100E
        c.power_mw[i] = c.kw[i] / 1000.0 * 1.1
        c.kw_hist[i] = c.kw[i]
        c.book[i] = installed * OLD_FLEET_USD_PER_H100E * 0.5 / 1e9
        useful = float(matvec(c.stock[i, : v.n], v.maturity[: v.n])[0])
        c.legacy_gap[i] = matvec(c.stock[i, : v.n], v.maturity[: v.n] * legacy_shortfall)[0]
        c.internal[i] = useful * (0.8 if r["captive"] else 0.5)
        c.demand[i] = useful - c.internal[i]
        c.demand_hist[i] = c.demand[i]
        c.alive[i] = founded[idx.tolist().index(i)] <= q0
    model._cloud_founded = founded
    model._cloud_row = row_of


def public_systems() -> list[dict[str, Any]]:
    """Rows of abm/data/public_compute.csv: public AI supercomputers and when they came online."""
    return list(load_table("public_compute"))


def _public_compute(model: AIMarketModel) -> None:
    """One public operator per region with AI supercomputers in abm/data/public_compute.csv.

    Governments and universities buy these systems for research, outside the lease market: each
    operator orders a system's H100e through the chip market in the quarter it came online,
    paid for by the state, and runs it for its own users (never leases to labs). Systems online
    before the start quarter are its opening fleet, aged as every fleet ages.
    """
    c, v = model.clouds, model.vendors
    scale = model.scenario.population.public_supercomputers
    systems = public_systems()
    regions = [r for r in REGIONS if any(s["region"] == r for s in systems)]
    if scale <= 0 or not regions:
        model.public_due = {}
        return
    idx = c.add(len(regions), [f"Public AI supercomputers ({r})" for r in regions])
    c.uid[idx] = model.register_rows("clouds", Hyperscaler, idx)
    row_of = dict(zip(regions, idx.tolist(), strict=True))
    q0 = model.quarter_index
    keep = 1.0 - 1.0 / model.scenario.clouds.chip_life_quarters
    nvidia = v.names.index("NVIDIA")
    due: dict[int, np.ndarray] = {}
    for s in systems:
        i = row_of[s["region"]]
        h100e = scale * s["accelerators"] * s["h100e_per_accelerator"]
        q = parse_quarter(s["operational"])
        if q <= q0:
            # Opening fleet (all NVIDIA V100-era systems before 2020), aged to the start.
            c.stock[i, nvidia] += h100e * keep ** (q0 - q)
        else:
            due.setdefault(q, np.zeros(c.n))[i] += h100e
    shortfall = 1.0 - legacy_mfu()["NVIDIA"] / TRAINING_UTILISATION
    for region, i in row_of.items():
        installed = float(c.stock[i, : v.n].sum())
        c.region[i] = REGION_INDEX[region]
        c.public[i] = True
        c.kw[i] = installed * OLD_FLEET_KW_PER_H100E
        c.power_mw[i] = c.kw[i] / 1000.0
        c.kw_hist[i] = c.kw[i]
        c.book[i] = installed * OLD_FLEET_USD_PER_H100E * 0.5 / 1e9
        c.internal[i] = installed * v.maturity[nvidia]
        c.legacy_gap[i] = c.internal[i] * shortfall
        c.alive[i] = True
    model.public_due = due
    model._cloud_founded = np.concatenate([model._cloud_founded, np.full(idx.size, q0)])


def _funds(model: AIMarketModel) -> None:
    f, s, rng = model.funds, model.scenario, model.rng
    pop, inv = s.population, s.investors
    named = list(load_table("vc_funds"))
    n_total = max(round(pop.vc_funds * pop.scale), len(named))
    n_synth = n_total - len(named)
    names = [r["name"] for r in named] + [f"fund-{i}" for i in range(n_synth)]
    idx = f.add(n_total, names)
    f.uid[idx] = model.register_rows("funds", VentureFund, idx)
    named_total = sum(r["ai_dry_powder_busd"] for r in named)
    synth_total = max(pop.vc_dry_powder_busd * pop.scale - named_total, 0.0)
    sizes = 1.0 + rng.pareto(1.3, n_synth)
    sizes = sizes / sizes.sum() * synth_total if n_synth else sizes
    dry = np.concatenate([[r["ai_dry_powder_busd"] for r in named], sizes])
    region = np.concatenate(
        [
            [REGION_INDEX[r["region"]] for r in named],
            rng.choice(N_REGIONS, n_synth, p=FUND_REGION_SHARE),
        ]
    )
    mandate = np.concatenate(
        [
            [MANDATES.index(r["mandate"]) for r in named],
            rng.choice(3, n_synth, p=FUND_MANDATE_SHARE),
        ]
    )
    age = rng.integers(0, inv.vc_investment_quarters, n_total)
    f.region[idx] = region
    f.mandate[idx] = mandate
    f.dry_powder[idx] = dry
    f.vintage[idx] = model.quarter_index - age
    left = np.maximum(inv.vc_investment_quarters - age, 1)
    f.fund_size[idx] = dry * inv.vc_investment_quarters / left
    f.paid_in[idx] = f.fund_size[idx] - dry


def _sovereigns(model: AIMarketModel) -> None:
    sf, s = model.sovereigns, model.scenario.investors
    rows = list(load_table("sovereign_funds"))
    idx = sf.add(len(rows), [r["name"] for r in rows])
    sf.uid[idx] = model.register_rows("sovereigns", SovereignFund, idx)
    founded = np.array([parse_quarter(r["founded"]) for r in rows])
    for i, r in zip(idx.tolist(), rows, strict=True):
        sf.region[i] = REGION_INDEX[r["region"]]
        sf.aum[i] = r["aum_busd"]
        sf.ai_tilt[i] = r["ai_tilt"]
        for reg in r["mandate"].split(","):
            sf.mandate[i, REGION_INDEX[reg.strip()]] = True
        sf.backs[i] = BACKS.index(r["backs"])
        sf.dry_powder[i] = r["aum_busd"] * s.sovereign_ai_share * r["ai_tilt"]
        sf.alive[i] = founded[i] <= model.quarter_index
    sf.dry_powder[idx] = np.where(sf.alive[idx], sf.dry_powder[idx], 0.0)
    model._sovereign_founded = founded


def activate_founded(model: AIMarketModel) -> None:
    """Clouds and sovereign funds founded this quarter start operating."""
    q = model.quarter_index
    if q not in model._founding_quarters:
        return
    c, sf = model.clouds, model.sovereigns
    c.alive[: c.n] |= model._cloud_founded == q
    new = np.flatnonzero((model._sovereign_founded == q) & ~sf.alive[: sf.n])
    if new.size:
        sf.alive[new] = True
        sf.dry_powder[new] = (
            sf.aum[new] * model.scenario.investors.sovereign_ai_share * sf.ai_tilt[new]
        )
        model.ledger.money_in("states", float(sf.dry_powder[new].sum()))


def _labs(model: AIMarketModel) -> None:
    s, rng, labs = model.scenario, model.rng, model.labs
    pop, sl = s.population, s.labs
    q0 = model.quarter_index
    named = [r for r in load_table("labs")] if pop.named_labs else []
    present = [r for r in named if parse_quarter(r["founded"]) <= q0]
    model._named_schedule = {}
    for r in named:
        fq = parse_quarter(r["founded"])
        if fq > q0:
            model._named_schedule.setdefault(fq, []).append(r)
    if present:
        _add_named(model, present)
    else:
        # A synthetic world still needs a frontier: one frontier lab at GPT-3 scale.
        rows = model.add_labs(
            ["frontier-0"],
            region=np.array([0]),
            archetype=np.array([FRONTIER]),
            pedigree=np.array([3.0]),
            cash=np.array([1.0]),
            valuation=np.array([10.0]),
        )
        labs.best_flop[rows] = labs.last_flop[rows] = 3.14e23
        labs.capability[rows] = np.log10(3.14e23)
        labs.algo[rows] = 0.0
    n_model = round(pop.model_startups * pop.scale)
    n_app = round(pop.app_startups * pop.scale)
    region_p = _lab_region_share(model)
    if n_model:
        region = rng.choice(N_REGIONS, n_model, p=region_p)
        cash = rng.lognormal(np.log(0.03), 0.8, n_model)
        best = 10.0 ** rng.uniform(20.0, 22.0, n_model)
        rows = model.add_labs(
            None,
            region=region,
            archetype=np.full(n_model, CHALLENGER),
            pedigree=rng.lognormal(0.0, 0.5, n_model),
            cash=cash,
            valuation=4.0 * cash,
        )
        labs.best_flop[rows] = labs.last_flop[rows] = best
        labs.algo[rows] = -rng.uniform(0.0, 0.6, n_model)
        labs.capability[rows] = np.log10(best) + labs.algo[rows]
        _seed_stakes(model, rows, cash)
    if n_app:
        region = rng.choice(N_REGIONS, n_app, p=region_p)
        cash = rng.lognormal(np.log(0.006), 0.9, n_app)
        rows = model.add_labs(
            None,
            region=region,
            archetype=np.full(n_app, APP),
            pedigree=rng.lognormal(0.0, 0.5, n_app),
            niche=rng.normal(0.0, sl.niche_sigma, n_app),
            cash=cash,
            valuation=4.0 * cash,
        )
        labs.team_cost[rows] = sl.app_burn_share * cash * 1.5
        labs.spend_cum[rows] = cash
        rev = cash * rng.uniform(0.0, 0.15, n_app)
        labs.revenue[rows] = rev
        labs.revenue_hist[rows] = rev[:, None]
        _seed_stakes(model, rows, cash)
    labs.last_round[: labs.n] = q0 - rng.integers(1, 8, labs.n)
    labs.team_cost[: labs.n] = np.where(
        labs.archetype[: labs.n] == APP,
        labs.team_cost[: labs.n],
        sl.base_staff_busd * labs.pedigree[: labs.n],
    )


def _lab_region_share(model: AIMarketModel) -> np.ndarray:
    f = model.funds
    by_region = (
        np.bincount(f.region[: f.n], weights=f.dry_powder[: f.n], minlength=N_REGIONS) + 1e-9
    )
    return by_region / by_region.sum()


def _add_named(model: AIMarketModel, rows_data: list[dict[str, Any]]) -> np.ndarray:
    labs, c = model.labs, model.clouds
    cloud = model._cloud_row

    def col(key: str) -> np.ndarray:
        return np.array([r[key] for r in rows_data])

    for r in rows_data:  # the compute phase funds patrons' labs among the model labs only
        if r["patron_busd_per_year"] > 0 and ARCHETYPES.index(r["archetype"]) == APP:
            raise ValueError(
                f"labs table, {r['name']}: patron_busd_per_year must be 0 for an application "
                f"startup (got {r['patron_busd_per_year']}); patrons fund model labs"
            )
    rows = model.add_labs(
        [r["name"] for r in rows_data],
        region=np.array([REGION_INDEX[r["region"]] for r in rows_data]),
        archetype=np.array([ARCHETYPES.index(r["archetype"]) for r in rows_data]),
        open_weight=col("open_weight"),
        pedigree=col("pedigree"),
        cash=col("cash_busd"),
        credit=col("credit_busd"),
        valuation=col("valuation_busd"),
        first_ask=col("first_round_busd"),
        patron=col("patron_busd_per_year") / 4.0,
        ambition=np.array(
            [
                r["ambition"]
                if r["ambition"] > 0
                else model.ambition[ARCHETYPES.index(r["archetype"])]
                for r in rows_data
            ]
        ),
        partner=np.array([cloud.get(r["partner"], -1) for r in rows_data]),
        parent=np.array([cloud.get(r["parent"], -1) for r in rows_data]),
    )
    best = col("best_run_flop")
    labs.best_flop[rows] = best
    labs.last_flop[rows] = best
    leader = (labs.archetype[rows] == FRONTIER) | (labs.archetype[rows] == BIGTECH)
    labs.algo[rows] = np.where(leader, model.world.algo_frontier, model.world.algo_frontier - 0.5)
    labs.capability[rows] = np.where(
        best > 0, np.log10(np.maximum(best, 1.0)) + labs.algo[rows], -np.inf
    )
    rev = col("revenue_busd_per_year") / 4.0
    labs.revenue[rows] = rev
    labs.revenue_hist[rows] = rev[:, None]
    # A captive data centre serves the lab that owns it, and draws its prepayments.
    captive_partner = (labs.partner[rows] >= 0) & c.captive[np.maximum(labs.partner[rows], 0)]
    c.parent_lab[labs.partner[rows][captive_partner]] = rows[captive_partner]
    # Stakes that predate the start: the partner cloud holds credit-funded ones, a venture
    # firm of the region the rest.
    funded = rows[(labs.valuation[rows] > 0) & (labs.first_ask[rows] <= 0)]
    _seed_stakes(model, funded, labs.cash[funded] + labs.credit[funded])
    return rows


def _seed_stakes(model: AIMarketModel, rows: np.ndarray, raised: np.ndarray) -> None:
    """Stakes of earlier rounds: a venture firm of the lab's region (by size) or its partner cloud."""
    if rows.size == 0:
        return
    labs, f, rng = model.labs, model.funds, model.rng
    base = model.investor_base
    region = labs.region[rows].astype(np.int64)
    investor = np.empty(rows.size, dtype=np.int64)
    for r in np.unique(region):
        sel = np.flatnonzero(region == r)
        pool = np.flatnonzero(f.region[: f.n] == r)
        if pool.size == 0:
            pool = np.arange(f.n)
        p = f.fund_size[pool] / f.fund_size[pool].sum()
        investor[sel] = base[0] + rng.choice(pool, sel.size, p=p)
    via_cloud = (labs.credit[rows] > 0) & (labs.partner[rows] >= 0)
    investor[via_cloud] = base[2] + labs.partner[rows][via_cloud]
    post = np.maximum(labs.valuation[rows], raised * 1.5)
    stake = np.clip(raised / post, 0.0, 0.9)
    shares = stake / (1.0 - stake)  # founders keep one share
    labs.shares_out[rows] = 1.0 + shares
    labs.valuation[rows] = post
    model.holdings.add(investor, rows, shares, model.quarter_index - 1)


def enter_named_labs(model: AIMarketModel) -> None:
    """Named labs founded this quarter arrive with their first ask (abm/data/labs.csv)."""
    due = model._named_schedule.pop(model.quarter_index, [])
    if due:
        rows = _add_named(model, due)
        # Money a lab is founded with (parents' budgets, patrons') comes from outside.
        model.ledger.money_in(
            "parents", float(model.labs.cash[rows].sum() + model.labs.credit[rows].sum())
        )
        model.event_log.add(
            model.quarter_index, "entry", model.labs.uid[rows], amount=model.labs.first_ask[rows]
        )
        model.labs.last_round[rows] = -99
