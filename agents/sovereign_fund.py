"""Sovereign funds: Mubadala/MGX, PIF, QIA, KIA, GIC, Temasek, China's Big Fund and state AI
funds (DESIGN.md §3).

Very large and patient. Each year a fund allocates a share of its assets to AI; the share
rises with the growth of AI valuations (hype) up to a ceiling. It joins only large rounds of
model labs in the regions its mandate allows, subject to inbound screening; a Gulf fund ties
part of a foreign stake to data centres at home (money to its region's cloud). China's state
funds back domestic chip vendors (Big Fund) and national champions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.regions import N_REGIONS, REGIONS
from abm.table import Table

if TYPE_CHECKING:
    pass

BACKS: tuple[str, ...] = ("labs", "vendors")
LABS, VENDORS = range(len(BACKS))


class SovereignTable(Table):
    """Sovereign funds. USD B."""

    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "region": (np.int8, 0, 0),
        "aum": (np.float64, 0, 0.0),
        "ai_tilt": (np.float64, 0, 1.0),  # multiplier on the AI allocation
        "mandate": (np.bool_, N_REGIONS, False),  # regions whose labs it may back
        "backs": (np.int8, 0, LABS),
        "dry_powder": (np.float64, 0, 0.0),
        "budget": (np.float64, 0, 0.0),
        "invested": (np.float64, 0, 0.0),
    }


class SovereignFund(mesa.Agent):
    """A sovereign fund. Attributes read ``model.sovereigns``."""

    @property
    def row(self) -> int:
        """Row of this fund in ``model.sovereigns``."""
        return self.model.row_of(self.unique_id)

    name = property(lambda self: self.model.sovereigns.names[self.row])
    region = property(lambda self: REGIONS[int(self.model.sovereigns.region[self.row])])
    aum = property(lambda self: float(self.model.sovereigns.aum[self.row]))
    invested = property(lambda self: float(self.model.sovereigns.invested[self.row]))

    def __repr__(self) -> str:
        return f"SovereignFund({self.name!r}, {self.region})"
