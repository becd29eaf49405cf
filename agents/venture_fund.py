"""Venture funds: dry powder, deployment pace, check limits, mandates, fund cycles
(DESIGN.md §3).

Each row is a venture firm raising successive funds. A fund deploys its dry powder over its
investment period, examines a few deals a quarter (``abm/markets/capital.py``) within its
mandate (home region, its bloc, or global), and takes at most a set share of a round — larger
rounds need a syndicate. When a cycle ends the firm raises its next fund from limited partners,
sized by its marked returns: capital follows returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.kernels import investors as kernels
from abm.ledger import ACCOUNT_INDEX
from abm.regions import REGIONS
from abm.table import Table

if TYPE_CHECKING:
    from abm.model import AIMarketModel

MANDATES: tuple[str, ...] = ("home", "bloc", "global")
HOME, BLOC, GLOBAL = range(len(MANDATES))


class FundTable(Table):
    """Venture firms. USD B."""

    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "region": (np.int8, 0, 0),
        "mandate": (np.int8, 0, HOME),
        "dry_powder": (np.float64, 0, 0.0),
        "fund_size": (np.float64, 0, 0.0),  # size of the current fund
        "vintage": (np.int32, 0, 0),  # absolute quarter the current fund closed
        "paid_in": (np.float64, 0, 0.0),  # invested from the current fund
        "distributed": (np.float64, 0, 0.0),  # returned to LPs from the current fund's deals
        "budget": (np.float64, 0, 0.0),  # to deploy this quarter
        "tvpi": (np.float64, 0, 1.0),  # marked multiple at the last fund close
    }


class VentureFund(mesa.Agent):
    """A venture firm. Attributes read ``model.funds``."""

    @property
    def row(self) -> int:
        """Row of this firm in ``model.funds``."""
        return self.model.row_of(self.unique_id)

    name = property(lambda self: self.model.funds.names[self.row])
    region = property(lambda self: REGIONS[int(self.model.funds.region[self.row])])
    mandate = property(lambda self: MANDATES[int(self.model.funds.mandate[self.row])])
    dry_powder = property(lambda self: float(self.model.funds.dry_powder[self.row]))
    fund_size = property(lambda self: float(self.model.funds.fund_size[self.row]))

    def __repr__(self) -> str:
        return f"VentureFund({self.name!r}, {self.region}, {self.mandate})"


def raise_next_funds(model: AIMarketModel) -> np.ndarray:
    """Firms whose cycle is over raise a new fund from LPs, sized by marked returns.

    New size = last size x clip(TVPI^elasticity, 0.3, 4) x LP trend growth over the cycle,
    where TVPI = (distributions + marked value of the current fund's stakes) / paid in. Only
    the funds that raise are marked to market. Returns the rows that raised.
    """
    f, s = model.funds, model.scenario.investors
    n = f.n
    rows = np.flatnonzero(
        f.alive[:n] & (model.quarter_index - f.vintage[:n] >= s.vc_fund_cycle_quarters)
    )
    if rows.size == 0:
        return rows
    base = int(model.investor_base[0])
    h = model.holdings
    start = h.first_bought_since(int(f.vintage[rows].min())) if h.n else 0
    # Compiled: the funds' marked multiples, then (after numpy's power) their next funds.
    tvpi = kernels.fund_multiples(
        rows,
        base,
        f.vintage,
        f.paid_in,
        f.distributed,
        h.investor[start : h.n],
        h.lab[start : h.n],
        h.shares[start : h.n],
        h.quarter[start : h.n],
        model.price_per_share(),
        model.n_investors,
    )
    kernels.new_funds(
        rows,
        tvpi,
        tvpi**s.returns_elasticity,
        float((1.0 + s.lp_growth_per_year) ** (s.vc_fund_cycle_quarters / 4.0)),
        model.quarter_index,
        f.fund_size,
        f.dry_powder,
        f.tvpi,
        f.vintage,
        f.paid_in,
        f.distributed,
        model.ledger.inflow,
        ACCOUNT_INDEX["limited_partners"],
    )
    return rows
