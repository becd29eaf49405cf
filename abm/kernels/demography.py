"""Compiled loops of the demography phase (``abm/phases/demography.py``).

One pass over every lab row instead of a dozen whole-table numpy expressions. Each kernel
reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_demography.py``
keeps that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel
from agents.lab import BIGTECH


@kernel
def exit_candidates(
    alive: np.ndarray,
    archetype: np.ndarray,
    patron: np.ndarray,
    raised_total: np.ndarray,
    first_ask: np.ndarray,
    entered: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    team_cost: np.ndarray,
    failed: np.ndarray,
    quarter: int,
    max_failed_rounds: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of labs that fail this quarter, and of entrants that never start.

    Stillborn: alive, never raised, had a first ask, entered two or more quarters ago.
    Failing (not stillborn, not big tech, no patron): cash + credit + prepaid (USD B) under half
    a quarter's staff after more than ``max_failed_rounds`` failed rounds, or no cash and
    credit left after having raised. Returns (failing rows, stillborn rows), ascending.
    """
    n = alive.size
    failing = np.empty(n, dtype=np.int64)
    stillborn = np.empty(n, dtype=np.int64)
    n_fail = 0
    n_still = 0
    for i in range(n):
        if not alive[i]:
            continue
        if raised_total[i] <= 0 and first_ask[i] > 0 and quarter - entered[i] >= 2:
            stillborn[n_still] = i
            n_still += 1
            continue
        if archetype[i] == BIGTECH or patron[i] > 0:
            continue
        broke = cash[i] + credit[i] + prepaid[i] < 0.5 * team_cost[i] + 1e-6
        if (broke and failed[i] > max_failed_rounds) or (
            cash[i] + credit[i] <= 1e-9 and raised_total[i] > 0
        ):
            failing[n_fail] = i
            n_fail += 1
    return failing[:n_fail], stillborn[:n_still]
