"""Hyperscalers (clouds): capex, chips, power, leasing and strategic stakes (DESIGN.md §3).

A cloud plans capacity ``expansion_horizon_quarters`` ahead from the lease demand it saw
(extrapolating its growth) and from its partner labs' planned runs (their compute contracts),
plus a baseline of accelerators for its own, non-lab AI workloads. It orders chips (the chip
market decides which and how many arrive), builds data-centre power with a lead time, and
finances all of it from lease revenue, its parent's operating cash flow, debt, and — for a
captive data centre — prepayments by the lab it serves. It leases useful H100e to labs at a
cost-plus price that rises with demand over capacity (captives lease at cost) and takes
stakes in labs paid in cloud credits, which come back to it as lease revenue. A region's
public AI supercomputers are one more row (``public``): the state orders each listed system
when it comes online and pays for it; it serves its own users and never leases or invests.

Units: USD B, useful H100e (raw H100e times vendor software maturity), MW.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.kernels import clouds as kernels
from abm.kernels import matvec
from abm.ledger import ACCOUNT_INDEX
from abm.regions import REGIONS
from abm.table import Table
from abm.units import FLOP_PER_H100E_QUARTER, HOURS_PER_QUARTER, TRAINING_UTILISATION

if TYPE_CHECKING:
    from abm.model import AIMarketModel

MAX_LEAD = 41  # quarters of data-centre pipeline tracked (power_lead_quarters <= 40)


def cloud_table_class(n_vendors: int) -> type[Table]:
    """The cloud table, with one stock column per chip vendor."""

    class CloudTable(Table):
        """All clouds, one row each. USD B, raw or useful H100e, MW, kW."""

        FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
            "region": (np.int8, 0, 0),
            "captive": (np.bool_, 0, False),
            "public": (np.bool_, 0, False),  # a state's AI supercomputers: never leases to labs
            "parent_lab": (np.int32, 0, -1),  # lab a captive data centre serves (prepayments)
            "opcf": (np.float64, 0, 0.0),  # parent's operating cash flow, USD B per quarter
            "opcf_growth": (np.float64, 0, 1.0),  # quarterly growth factor of opcf
            "cash": (np.float64, 0, 0.0),
            "strategic": (np.float64, 0, 0.0),  # set aside for lab stakes
            "debt": (np.float64, 0, 0.0),
            "stock": (np.float64, n_vendors, 0.0),  # raw H100e installed, by vendor (licensed)
            "leaked": (np.float64, n_vendors, 0.0),  # raw H100e bought through grey channels
            # Raw H100e received since the run began, by vendor (licensed and grey, never
            # retired): what chip counts such as Epoch's ai-chip-counts measure.
            "delivered": (np.float64, n_vendors, 0.0),
            # Useful H100e of the 2020 fleet still installed, each weighted by how far its
            # training utilisation falls short of current chips' (1 - its MFU / current MFU).
            "legacy_gap": (np.float64, 0, 0.0),
            "kw": (np.float64, 0, 0.0),  # facility kW the installed chips draw
            "kw_hist": (np.float64, 5, 0.0),  # ring buffer (5 quarters) of kw
            "book": (np.float64, 0, 0.0),  # book value of chips, USD B
            "power_mw": (np.float64, 0, 0.0),  # built data-centre power
            "pipeline": (np.float64, MAX_LEAD, 0.0),  # MW completing in k quarters
            "internal": (np.float64, 0, 0.0),  # useful H100e for the cloud's own AI workloads
            "demand": (np.float64, 0, 0.0),  # useful H100e labs asked of it last quarter
            "demand_hist": (np.float64, 5, 0.0),  # ring buffer (5 quarters) of lab demand
            "contracted": (np.float64, 0, 0.0),  # partner labs' planned training, H100e/quarter
            "capacity": (np.float64, 0, 0.0),  # useful H100e leasable this quarter
            "leased": (np.float64, 0, 0.0),
            "price": (np.float64, 0, 0.0),  # USD B per useful H100e-quarter
            "cost": (np.float64, 0, 0.0),
            "amortised": (np.float64, 0, 0.0),  # hardware over its life + energy + building
            "lease_rev": (np.float64, 0, 0.0),
            "best_price": (np.float64, 0, 1e-5),  # USD B per useful H100e of its best buy now
            "new_kw": (np.float64, 0, 1.4),  # facility kW per useful H100e of that buy
            "chip_budget": (np.float64, 0, 0.0),  # USD B it wants to spend on chips this quarter
            "internal_budget": (np.float64, 0, 0.0),  # part of it for its own AI workloads
            "chip_spend": (np.float64, 0, 0.0),
            "capex": (np.float64, 0, 0.0),
            "backlog": (np.float64, 0, 0.0),  # USD B of chip orders not yet filled
            "public_owed": (np.float64, 0, 0.0),  # raw H100e of public systems still to arrive
        }

    return CloudTable


class Hyperscaler(mesa.Agent):
    """A cloud (or captive data-centre operator). Attributes read ``model.clouds``."""

    @property
    def row(self) -> int:
        """Row of this cloud in ``model.clouds``."""
        return self.model.row_of(self.unique_id)

    name = property(lambda self: self.model.clouds.names[self.row])
    region = property(lambda self: REGIONS[int(self.model.clouds.region[self.row])])
    cash = property(lambda self: float(self.model.clouds.cash[self.row]))
    capacity = property(lambda self: float(self.model.clouds.capacity[self.row]))
    price = property(lambda self: float(self.model.clouds.price[self.row]))
    installed_h100e = property(
        lambda self: float(
            self.model.clouds.stock[self.row].sum() + self.model.clouds.leaked[self.row].sum()
        )
    )

    def __repr__(self) -> str:
        return f"Hyperscaler({self.name!r}, {self.region})"


def open_clouds(model: AIMarketModel) -> np.ndarray:
    """Alive clouds that lease to any lab and may take stakes: not captive, not public."""
    c = model.clouds
    return c.alive[: c.n] & ~c.captive[: c.n] & ~c.public[: c.n]


def useful_capacity(model: AIMarketModel) -> np.ndarray:
    """Useful H100e each cloud can run: installed chips x maturity, limited by built power."""
    c, v = model.clouds, model.vendors
    n = c.n
    return kernels.useful_capacity(
        c.stock[:n], c.leaked[:n], v.maturity[: v.n], c.power_mw[:n], c.kw[:n]
    )


def set_training_utilisation(model: AIMarketModel) -> None:
    """Fleet-wide utilisation (MFU) of training runs and the FLOP a useful H100e-quarter gives.

    Runs on the 2020 fleet (V100s, TPU v3, Ascend 910) reached a lower share of peak than runs
    on A100-generation chips and later (abm/data/training_utilisation.csv). The fleet's figure is
    the current MFU less each cloud's remaining ``legacy_gap``, per useful H100e installed; it
    rises towards the current MFU as new chips arrive and the old fleet retires.
    """
    c, v, w = model.clouds, model.vendors, model.world
    n = c.n
    useful, gap = kernels.fleet_totals(
        matvec(c.stock[:n] + c.leaked[:n], v.maturity[: v.n]), c.legacy_gap[:n], c.alive[:n]
    ).tolist()
    share = min(gap / useful, 1.0) if useful > 0 else 0.0
    w.training_utilisation = TRAINING_UTILISATION * (1.0 - share)
    w.flop_per_h100e_quarter = FLOP_PER_H100E_QUARTER * (1.0 - share)


def accrue_cash_flows(model: AIMarketModel) -> None:
    """Parents' cash flows grow; a share is set aside for strategic stakes in labs."""
    c, s = model.clouds, model.scenario.investors
    n = c.n
    kernels.accrue(
        c.alive[:n],
        c.opcf[:n],
        c.opcf_growth[:n],
        c.strategic[:n],
        float(s.hyperscaler_strategic_share),
        model.ledger.inflow,
        ACCOUNT_INDEX["parents"],
    )


def plan_capex(model: AIMarketModel) -> None:
    """Decide this quarter's chip budget and power orders, and raise the money for them.

    Uses ``best_price`` and ``new_kw`` (set by the chip phase from the products each cloud may
    buy now) to turn a capacity gap into dollars and megawatts.

    - Capacity for labs: a cloud extrapolates the lab demand it saw (its growth over a year,
      capped, over ``expansion_horizon_quarters``), or its partners' plans if larger, plus
      ``capacity_headroom``. It builds for labs only while leasing pays: a cloud whose price no
      longer covers the cost of new capacity waits (captives build for their lab regardless).
      What it has now survives the horizon at ``1 - 1 / chip_life_quarters`` a quarter, and
      orders not yet filled count; the rest is the gap, bought at its best price.
    - Own AI workloads (search, ads, feeds, assistants) grow with AI spending worldwide: these
      firms match their global peers whatever their home market's models can do.
    - Public AI supercomputers are ordered in the quarter they come online, for their own
      users, at what a raw H100e cost on average last quarter; what has not arrived is ordered
      again.
    - Power for the target fleet at the kW per useful H100e of today's best buy, with a lead
      time: ordered for the fleet expected when it comes online (today's fleet plus this order,
      grown at the fleet's own pace over the lead time).
    - Financing: parents' cash flow (up to ``ai_capex_share_max`` of it), the state for public
      systems, prepayments from the lab a captive data centre serves (credited as compute, up
      to half its cash), then debt (up to ``debt_capacity_years`` of lease revenue and parent
      cash flow). Power is paid first (it has the lead time), then chips.

    Compiled (``abm.kernels.clouds``); the powers stay in numpy between the two kernels.
    """
    c, s = model.clouds, model.scenario.clouds
    n = c.n
    horizon = s.expansion_horizon_quarters
    leasable, growth, fleet_growth = kernels.capex_bases(
        useful_capacity(model),
        c.internal[:n],
        c.demand[:n],
        c.demand_hist[:n, model.ring_slot_year_ago()],
        float(s.demand_growth_cap),
        c.kw[:n],
        c.kw_hist[:n, model.ring_slot_year_ago()],
        c.public[:n],
    )
    lead = min(s.power_lead_quarters, MAX_LEAD - 1)
    own_share = min(
        s.baseline_ai_capex_share * model.demand_growth_global() ** s.internal_ai_elasticity,
        s.internal_ai_share_max,
    )
    due = model.public_due.get(model.quarter_index)
    kernels.plan_capex(
        c.alive[:n],
        c.captive[:n],
        c.public[:n],
        c.parent_lab[:n],
        leasable,
        growth ** (horizon / 4.0),
        fleet_growth ** (lead / 4.0),
        float(1.0 + s.capacity_headroom),
        float((1.0 - 1.0 / s.chip_life_quarters) ** horizon),
        float(own_share),
        float(model.world.h100e_unit_price or 0.0),
        _EMPTY if due is None else np.ascontiguousarray(due[:n], np.float64),
        int(lead),
        float(s.dc_capex_busd_per_mw),
        float(s.ai_capex_share_max),
        float(s.debt_capacity_years * 4.0),
        c.columns(_CAPEX_COLUMNS),
        model.labs.cash,
        model.labs.prepaid,
        model.ledger.inflow,
        model.ledger.outflow,
        _CAPEX_ACCOUNTS,
    )


_EMPTY = np.empty(0)
_CAPEX_COLUMNS = (
    "contracted",
    "demand",
    "price",
    "cost",
    "best_price",
    "backlog",
    "opcf",
    "public_owed",
    "kw",
    "new_kw",
    "power_mw",
    "pipeline",
    "cash",
    "debt",
    "lease_rev",
    "chip_budget",
    "capex",
    "internal_budget",
)
_CAPEX_ACCOUNTS = np.array(
    [ACCOUNT_INDEX[a] for a in ("parents", "states", "lenders", "dc_builders")], dtype=np.int64
)


def set_prices(model: AIMarketModel) -> None:
    """Cost and lease price per useful H100e-quarter; captives lease at cost.

    Cost is what new capacity costs now (replacement cost, so prices fall as better chips
    arrive): the best chip a cloud may buy, with its server, paid back over
    ``payback_quarters``, plus the energy and data-centre shell it needs, plus interest.
    The price adds a margin that rises with last quarter's demand over capacity.
    """
    c, s = model.clouds, model.scenario.clouds
    n = c.n
    useful = useful_capacity(model)
    # Compiled: cost, amortised cost and the demand ratio; the price's power stays in numpy.
    ratio = kernels.lease_costs(
        c.best_price[:n],
        c.new_kw[:n],
        c.debt[:n],
        c.demand[:n],
        c.capacity[:n],
        useful,
        float(s.server_overhead),
        float(s.payback_quarters),
        float(s.chip_life_quarters),
        float(HOURS_PER_QUARTER),
        float(s.energy_usd_per_mwh),
        float(s.dc_capex_busd_per_mw),
        float(s.interest_rate),
        c.cost[:n],
        c.amortised[:n],
    )
    kernels.lease_prices(
        c.cost[:n],
        ratio**s.lease_scarcity_elasticity,
        float(s.lease_margin),
        c.captive[:n],
        c.public[:n],
        useful,
        c.internal[:n],
        c.price[:n],
        c.capacity[:n],
    )


def operate(model: AIMarketModel) -> None:
    """Pay energy and interest, repay debt from spare cash, age the fleet and the pipeline."""
    c, v, s = model.clouds, model.vendors, model.scenario.clouds
    n = c.n
    kernels.operate(
        c.public[:n],
        1.0 - 1.0 / s.chip_life_quarters,
        model.ring_slot(),
        float(HOURS_PER_QUARTER),
        float(s.energy_usd_per_mwh),
        float(s.interest_rate),
        c.columns(_OPERATE_COLUMNS),
        v.maturity[: v.n],
        model.ledger.inflow,
        model.ledger.outflow,
        _OPERATE_ACCOUNTS,
    )


_OPERATE_COLUMNS = (
    "kw",
    "debt",
    "cash",
    "capex",
    "stock",
    "leaked",
    "legacy_gap",
    "book",
    "internal",
    "kw_hist",
    "power_mw",
    "pipeline",
)
_OPERATE_ACCOUNTS = np.array(
    [ACCOUNT_INDEX[a] for a in ("parents", "states", "energy", "lenders")], dtype=np.int64
)
