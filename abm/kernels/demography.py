"""Compiled loops of the demography phase (``abm/phases/demography.py``).

One pass over every lab row instead of a dozen whole-table numpy expressions. Each kernel
reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_demography.py``
keeps that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, total
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


@kernel
def retire_labs(
    rows: np.ndarray,
    quarter: int,
    partner: np.ndarray,
    cloud_cash: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    alive: np.ndarray,
    exited: np.ndarray,
    share: np.ndarray,
    zeroed: tuple,
) -> tuple[float, float]:
    """Close the labs in ``rows`` (distinct), in place: unused credits with a partner cloud go
    back to it (in row order, as ``np.add.at``); cash, credit, share and every column of
    ``zeroed`` become 0; the lab is marked dead and exited this quarter.

    Returns the leftover cash (USD B, paid off to staff) and the credits without a cloud to
    return to, each summed like numpy's ``.sum()`` of the gathered values."""
    n = rows.size
    left_cash = np.empty(n)
    orphan = np.empty(n)
    n_orphan = 0
    for j in range(n):
        r = rows[j]
        left_cash[j] = cash[r]
        if credit[r] > 0:
            if partner[r] >= 0:
                cloud_cash[partner[r]] += credit[r]
            else:
                orphan[n_orphan] = credit[r]
                n_orphan += 1
    for j in range(n):
        r = rows[j]
        cash[r] = 0.0
        credit[r] = 0.0
        alive[r] = False
        exited[r] = quarter
        for k in range(share.shape[1]):
            share[r, k] = 0.0
        for col in zeroed:
            col[r] = 0.0
    return total(left_cash), total(orphan[:n_orphan])


@kernel
def first_pick(chosen: np.ndarray, pick: np.ndarray, n_buyers: int) -> np.ndarray:
    """One deal per buyer: target ``i`` is kept when it was ``chosen`` and no earlier chosen
    target picked the same buyer (``pick[i]`` in [0, n_buyers))."""
    taken = np.zeros(n_buyers, dtype=np.bool_)
    keep = np.zeros(chosen.size, dtype=np.bool_)
    for i in range(chosen.size):
        if chosen[i] and not taken[pick[i]]:
            taken[pick[i]] = True
            keep[i] = True
    return keep
