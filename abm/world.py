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

    def max_run_flop(self, run_quarters: int) -> np.ndarray:
        """Largest final run that fits on the largest site of each region in ``run_quarters``, FLOP."""
        return self.site_h100e * run_quarters * self.flop_per_h100e_quarter
