"""The chip catalogue: products, when they sell, what they do and cost (DESIGN.md §3).

Rows come from ``abm/data/chips.csv`` (each with its source). Incumbent vendors' roadmaps
follow the catalogue; after a vendor's last listed product the roadmap is extended with a
projected generation every two years on the trend of FACTS.md (FLOP/s per dollar doubling
about every 2.1 years): performance x2.2 and price x1.15 per generation. A domestic Chinese
vendor has one product row whose performance is not listed but grows endogenously
(``agents/chip_vendor.py``). ``reference`` rows (real Ascend 910B/910C) are kept for
validation only and are not sold in the model.
"""

from __future__ import annotations

import numpy as np

from abm.calendar import parse_quarter
from abm.data_tables import load_table
from abm.markets.chips import tpp_of
from abm.units import H100_DENSE_BF16_TFLOPS

MARKETS: tuple[str, ...] = ("global", "china", "owner", "domestic")
GLOBAL, CHINA_ONLY, OWNER_ONLY, DOMESTIC = range(len(MARKETS))
GENERATION_QUARTERS = 8
GENERATION_PERF = 2.2
GENERATION_PRICE = 1.15


class Catalogue:
    """Products as arrays (length P). Prices in USD per unit; performance in dense BF16 TFLOP/s."""

    def __init__(self, vendor_names: list[str], end_quarter: int):
        rows = [r for r in load_table("chips") if r["role"] != "reference"]
        vendor_index = {name: i for i, name in enumerate(vendor_names)}
        extended = list(rows)
        for vendor in vendor_names:
            own = [r for r in rows if r["vendor"] == vendor and r["role"] == "catalogue"]
            if not own:
                continue
            last = max(own, key=lambda r: parse_quarter(r["first_quarter"]))
            first = parse_quarter(last["first_quarter"])
            k = 1
            while first + k * GENERATION_QUARTERS <= end_quarter:
                q0 = first + k * GENERATION_QUARTERS
                extended.append(
                    {
                        **last,
                        "name": f"{vendor} gen+{k}",
                        "role": "projected",
                        "first_quarter": f"{q0 // 4}Q{q0 % 4 + 1}",
                        "last_quarter": f"{(q0 + 14) // 4}Q{(q0 + 14) % 4 + 1}",
                        "bf16_tflops": last["bf16_tflops"] * GENERATION_PERF**k,
                        "interconnect_gbps": last["interconnect_gbps"] * 1.5**k,
                        "tdp_w": last["tdp_w"] * 1.2**k,
                        "launch_price_usd": last["launch_price_usd"] * GENERATION_PRICE**k,
                        "unit_cost_usd": last["unit_cost_usd"] * GENERATION_PRICE**k,
                        "source": f"projected from {last['name']} on the Epoch price-performance trend",
                    }
                )
                k += 1
        self.names = [r["name"] for r in extended]
        self.role = [r["role"] for r in extended]
        self.vendor = np.array([vendor_index[r["vendor"]] for r in extended], dtype=np.int64)
        self.first = np.array([parse_quarter(r["first_quarter"]) for r in extended])
        self.last = np.array([parse_quarter(r["last_quarter"]) for r in extended])
        self.tflops = np.array([r["bf16_tflops"] for r in extended], dtype=float)
        self.die_mm2 = np.array([r["die_mm2"] for r in extended], dtype=float)
        self.interconnect = np.array([r["interconnect_gbps"] for r in extended], dtype=float)
        self.tdp_w = np.array([r["tdp_w"] for r in extended], dtype=float)
        self.price0 = np.array([r["launch_price_usd"] for r in extended], dtype=float)
        self.cost0 = np.array([r["unit_cost_usd"] for r in extended], dtype=float)
        self.packages = np.array([r["packages"] for r in extended], dtype=float)
        self.market = np.array([MARKETS.index(r["market"]) for r in extended], dtype=np.int8)
        self.domestic_row = self.market == DOMESTIC
        self.domestic_row |= np.array([r["role"] == "domestic_start" for r in extended])
        self.base_markup = self.price0 / self.cost0
        self._unit_cost_key: tuple[int, float] | None = None
        self._unit_cost = self.cost0

    def __len__(self) -> int:
        return len(self.names)

    @property
    def tpp(self) -> np.ndarray:
        """TPP of each product (domestic rows: current performance)."""
        return tpp_of(self.tflops)

    @property
    def h100e(self) -> np.ndarray:
        """H100-equivalents per unit."""
        return self.tflops / H100_DENSE_BF16_TFLOPS

    def available(self, quarter: int) -> np.ndarray:
        """Products on sale in an absolute quarter."""
        return (self.first <= quarter) & (quarter <= self.last)

    def unit_cost(self, quarter: int, decline_per_year: float) -> np.ndarray:
        """USD per unit: falls ``decline_per_year`` a year after launch (domestic rows: flat).
        Read-only; the last quarter's array is kept (the chip phase reads it twice)."""
        key = (quarter, decline_per_year)
        if self._unit_cost_key != key:
            age_years = np.maximum(quarter - self.first, 0) / 4.0
            falling = self.cost0 * (1.0 - decline_per_year) ** age_years
            cost = np.where(self.domestic_row, self.cost0, falling)
            cost.flags.writeable = False
            self._unit_cost_key, self._unit_cost = key, cost
        return self._unit_cost

    def kw_per_unit(self, power_overhead: float) -> np.ndarray:
        """Facility kW one unit draws (chip TDP x overhead for servers, network, cooling)."""
        return self.tdp_w * power_overhead / 1000.0
