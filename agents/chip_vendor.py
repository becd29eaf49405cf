"""Chip vendors: NVIDIA, AMD, Huawei, Cambricon, T-Head and in-house silicon (Google TPU,
AWS Trainium), DESIGN.md §3.

Each quarter a vendor

- prices its products cost-plus: launch markup times a scarcity factor that rises when orders
  exceed packaging capacity and falls when they do not (:func:`reprice`);
- grows capacity by investing a share of revenue, no faster than its foundry allows — the
  leading-edge ceiling for US vendors, a lower one for Chinese vendors that equipment
  controls cut further (:func:`invest_in_capacity`);
- if it is a domestic Chinese vendor, improves its product from R&D spend and learning by
  doing (cumulative shipments), up to a ceiling set by equipment controls
  (:func:`improve_domestic`).

Software-ecosystem maturity (CUDA = 1) rises with the installed base and discounts the useful
compute of the vendor's chips (:func:`update_maturity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.regions import REGIONS
from abm.table import Table

if TYPE_CHECKING:
    from abm.model import AIMarketModel

VENDOR_KINDS: tuple[str, ...] = ("merchant", "inhouse", "domestic")
MERCHANT, INHOUSE, DOMESTIC = range(len(VENDOR_KINDS))


class VendorTable(Table):
    """All chip vendors. USD B; capacity in packaging slots per quarter; compute in H100e."""

    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "region": (np.int8, 0, 0),
        "kind": (np.int8, 0, MERCHANT),
        "domestic": (np.bool_, 0, False),  # performance grows endogenously
        "owner": (np.int32, 0, -1),  # cloud row that alone may buy (in-house silicon)
        "started": (np.int32, 0, 0),  # absolute quarter of first sales
        "capacity": (np.float64, 0, 0.0),
        "cash": (np.float64, 0, 0.0),
        "scarcity": (np.float64, 0, 1.0),  # price multiplier on launch markups
        "demand_ratio": (np.float64, 0, 1.0),  # ordered slots / capacity last quarter
        "revenue": (np.float64, 0, 0.0),  # USD B this quarter
        "revenue_cn": (np.float64, 0, 0.0),  # of which licensed sales into China
        "shipped": (np.float64, 0, 0.0),  # H100e shipped this quarter
        "shipped_cn": (np.float64, 0, 0.0),  # of which licensed into China
        "cum_shipped": (np.float64, 0, 1.0),  # H100e, for learning by doing and maturity
        "maturity": (np.float64, 0, 1.0),  # software ecosystem (CUDA = 1)
        "floor": (np.float64, 0, 1.0),  # maturity of a vendor with no installed base
        "rd_base": (np.float64, 0, 0.0),  # USD B per quarter of R&D independent of revenue
        "perf": (np.float64, 0, 0.0),  # domestic vendors: TFLOP/s of the current product
        "subsidy": (np.float64, 0, 0.0),  # USD B received from states this quarter
    }


class ChipVendor(mesa.Agent):
    """A chip vendor. Attributes read ``model.vendors``."""

    @property
    def row(self) -> int:
        """Row of this vendor in ``model.vendors``."""
        return self.model.row_of(self.unique_id)

    name = property(lambda self: self.model.vendors.names[self.row])
    region = property(lambda self: REGIONS[int(self.model.vendors.region[self.row])])
    kind = property(lambda self: VENDOR_KINDS[int(self.model.vendors.kind[self.row])])
    capacity = property(lambda self: float(self.model.vendors.capacity[self.row]))
    revenue = property(lambda self: float(self.model.vendors.revenue[self.row]))
    maturity = property(lambda self: float(self.model.vendors.maturity[self.row]))

    def __repr__(self) -> str:
        return f"ChipVendor({self.name!r}, {self.kind})"


def product_prices(model: AIMarketModel) -> np.ndarray:
    """USD per unit of every product this quarter: unit cost x launch markup x scarcity,
    within the markup floor and ceiling."""
    cat, v, s = model.catalogue, model.vendors, model.scenario.chips
    cost = cat.unit_cost(model.quarter_index, s.unit_cost_decline)
    markup = np.clip(cat.base_markup * v.scarcity[cat.vendor], s.markup_floor, s.markup_ceiling)
    return cost * markup


def reprice(model: AIMarketModel) -> None:
    """Scarcity pricing: the markup factor moves with orders over capacity."""
    v, s = model.vendors, model.scenario.chips
    n = v.n
    ratio = np.clip(v.demand_ratio[:n], 0.5, 2.0)
    # Vendors ration a shortage mostly by allocation, not price: the factor stays near 1.
    v.scarcity[:n] = np.clip(v.scarcity[:n] * ratio**s.scarcity_elasticity, 0.6, 1.25)


def invest_in_capacity(model: AIMarketModel) -> None:
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


def improve_domestic(model: AIMarketModel) -> None:
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


def update_maturity(model: AIMarketModel) -> None:
    """Software maturity rises with the installed base: floor + (1 - floor)(1 - e^(-base/scale))."""
    v, s = model.vendors, model.scenario.chips
    n = v.n
    closing = 1.0 - np.exp(-v.cum_shipped[:n] / s.ecosystem_scale_h100e)
    v.maturity[:n] = v.floor[:n] + (1.0 - v.floor[:n]) * closing
