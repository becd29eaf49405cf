"""Global state of the world that is not any one agent's: the algorithmic frontier, the
largest run so far, demand in each market, and histories the agents extrapolate from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.regions import N_REGIONS
from abm.units import FLOP_PER_H100E_QUARTER, TRAINING_UTILISATION


@dataclass
class World:
    """Scalars and small arrays shared by the decision rules. Units in the field comments."""

    algo_frontier: float = 0.0  # log10 algorithmic efficiency of the frontier vs 2020Q1
    open_algo: float = -np.inf  # log10 efficiency of the best open-weight release
    frontier_flop: float = 1.0  # largest training run completed so far, FLOP
    frontier_cost: float = 0.0  # its compute cost, USD B
    entry_run_flop: float = 1e20  # smallest run worth planning, FLOP (tracks the frontier)
    capability0: float = 0.0  # global frontier capability at the start (log10 effective FLOP)
    demand_model: np.ndarray = field(default_factory=lambda: np.zeros(N_REGIONS))  # USD B/quarter
    demand_app: np.ndarray = field(default_factory=lambda: np.zeros(N_REGIONS))  # USD B/quarter
    paid_share: float = 1.0  # share of the AI services used this quarter that is paid for
    training_utilisation: float = TRAINING_UTILISATION  # fleet-wide MFU of training runs
    flop_per_h100e_quarter: float = FLOP_PER_H100E_QUARTER
    """Training FLOP one useful H100e delivers in a quarter at ``training_utilisation``."""
    # Average price of a raw H100e delivered last quarter, USD B (0 before any delivery).
    h100e_unit_price: float = 0.0
    site_h100e: np.ndarray = field(default_factory=lambda: np.full(N_REGIONS, 1e3))
    """Useful H100e the largest site of each region can host now, with the chips it may buy."""
    frontier_history: list[float] = field(
        default_factory=list
    )  # global frontier capability by quarter
    valuation_history: list[float] = field(default_factory=list)  # total lab valuation by quarter
    demand_history: list[float] = field(default_factory=list)  # total AI spending by quarter, USD B
    vc_flow_history: list[float] = field(
        default_factory=list
    )  # venture capital invested by quarter, USD B
    # max_run_flop's last result, for the sites array it was computed from (held, so it is
    # not mistaken for a new array at the same address).
    _max_run_site: np.ndarray | None = field(default=None, repr=False, compare=False)
    _max_run_key: tuple[float, int] | None = field(default=None, repr=False, compare=False)
    _max_run: np.ndarray | None = field(default=None, repr=False, compare=False)

    def max_run_flop(self, run_quarters: int) -> np.ndarray:
        """Largest final run that fits on the largest site of each region in ``run_quarters``,
        FLOP (read-only). Kept while the sites (replaced, not changed, each quarter), the FLOP
        an H100e-quarter gives and ``run_quarters`` stay the same."""
        site, key = self.site_h100e, (self.flop_per_h100e_quarter, run_quarters)
        if self._max_run_site is not site or self._max_run_key != key:
            out = site * run_quarters * self.flop_per_h100e_quarter
            out.flags.writeable = False
            self._max_run_site, self._max_run_key, self._max_run = site, key, out
        return self._max_run
