"""Chip vendors: NVIDIA, AMD, Huawei, Cambricon, T-Head and in-house silicon (Google TPU,
AWS Trainium), DESIGN.md §3.

Each quarter a vendor

- prices its products cost-plus: launch markup times a scarcity factor that rises when orders
  exceed packaging capacity and falls when they do not (:func:`product_prices`,
  :func:`after_market`);
- grows capacity by investing a share of revenue, no faster than its foundry allows — the
  leading-edge ceiling for US vendors, a lower one for Chinese vendors that equipment
  controls cut further;
- if it is a domestic Chinese vendor, improves its product from R&D spend and learning by
  doing (cumulative shipments), up to a ceiling set by equipment controls.

Software-ecosystem maturity (CUDA = 1) rises with the installed base and discounts the useful
compute of the vendor's chips. :func:`after_market` does all of this once the market has cleared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.kernels import vendors as kernels
from abm.ledger import ACCOUNT_INDEX
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
    return kernels.product_prices(
        cat.unit_cost(model.quarter_index, s.unit_cost_decline),
        cat.base_markup,
        v.scarcity,
        cat.vendor,
        float(s.markup_floor),
        float(s.markup_ceiling),
    )


def after_market(model: AIMarketModel, home_grown: np.ndarray) -> None:
    """Each vendor's moves after the chip market has cleared, in this order:

    - **reprice** (scarcity pricing): the markup factor moves with orders over capacity,
      ``clip(ratio, 0.5, 2) ** scarcity_elasticity``, and stays within [0.6, 1.25] — vendors
      ration a shortage mostly by allocation, not price;
    - **invest in capacity**: a started vendor facing a shortage adds packaging capacity from
      ``capacity_invest_share`` of revenue plus half its state grants (at most its cash), no
      faster than its foundry allows — ``foundry_growth_ceiling`` a quarter, or for Chinese
      vendors ``domestic_growth_ceiling`` cut by equipment controls;
    - **improve** (domestic vendors, ``home_grown``): R&D (``domestic_rd_share`` of revenue,
      a base budget and half the grants, at most the cash left) and learning by doing
      (cumulative shipments, ``domestic_learning`` per doubling) raise performance, up to a
      ceiling that equipment controls cut (``domestic_ceiling_share`` of the best merchant chip
      on sale);
    - **maturity**: software maturity rises with the installed base,
      ``floor + (1 - floor)(1 - e^(-base / ecosystem_scale_h100e))``.

    Compiled (``abm.kernels.vendors``); the powers, logarithms and exponentials stay in numpy.
    """
    v, s, pol, cat = model.vendors, model.scenario.chips, model.policy, model.catalogue
    n = v.n
    q = model.quarter_index
    ratio, rows, _, learn_base, rd_arg = kernels.invest_and_research(
        q,
        home_grown,
        v.started[:n],
        v.region[:n],
        v.revenue[:n],
        v.subsidy[:n],
        v.cash[:n],
        v.demand_ratio[:n],
        v.capacity[:n],
        float(s.capacity_invest_share),
        float(s.capacity_cost_usd_per_unit),
        REGIONS.index("CN"),
        float(s.domestic_growth_ceiling * (1.0 - pol.equipment_capacity_cut)),
        float(s.foundry_growth_ceiling),
        float(s.domestic_rd_share),
        v.rd_base[:n],
        v.cum_shipped[:n],
        v.shipped[:n],
        model.ledger.outflow,
        ACCOUNT_INDEX["foundry"],
        ACCOUNT_INDEX["wages"],
    )
    if rows.size:
        learn = learn_base ** np.log2(1.0 + s.domestic_learning)
        log10_rd = np.log10(rd_arg)
    else:
        learn = log10_rd = rd_arg
    kernels.finish_quarter(
        v.scarcity[:n],
        ratio**s.scarcity_elasticity,
        rows,
        v.perf[:n],
        learn,
        log10_rd,
        float(s.domestic_rd_gain),
        float(s.domestic_ceiling_share * (1.0 - pol.equipment_ceiling_cut)),
        q,
        cat.first,
        cat.last,
        cat.domestic_row,
        cat.tflops,
        cat.vendor,
        v.maturity[:n],
        v.floor[:n],
        np.exp(-v.cum_shipped[:n] / s.ecosystem_scale_h100e),
    )
