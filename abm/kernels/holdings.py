"""Compiled loops over the stake store (``abm/holdings.py``).

The store holds about a million stakes at ``population.scale`` 10, so a pass over it is worth
one compiled loop rather than a chain of gathers. Each kernel reproduces the numpy code it
replaced bit for bit (``tests/abm/test_kernels_holdings_demography.py`` keeps that code as
the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel


@kernel
def marked_value(
    investor: np.ndarray,
    lab: np.ndarray,
    shares: np.ndarray,
    quarter: np.ndarray,
    price_per_share: np.ndarray,
    wanted: np.ndarray,
    since: np.ndarray,
    n_investors: int,
) -> np.ndarray:
    """USD B of the stakes of ``wanted`` investors bought at or after their ``since`` quarter,
    by investor (``shares x price_per_share[lab]``, summed in store order, like
    ``np.bincount``). Shapes: stakes (K,), price_per_share (lab rows,), wanted and since
    (n_investors,) → (n_investors,)."""
    # Since is set to the latest possible quarter for investors not wanted, so one test per
    # stake decides; the stakes of wanted investors are a small, random share.
    cut = np.empty(n_investors, np.int64)
    big = np.iinfo(np.int64).max
    for k in range(n_investors):
        cut[k] = since[k] if wanted[k] else big
    out = np.zeros(n_investors)
    for i in range(investor.size):
        inv = investor[i]
        if quarter[i] >= cut[inv]:
            out[inv] += shares[i] * price_per_share[lab[i]]
    return out


@kernel
def remap_stakes(
    mapping: np.ndarray,
    investor: np.ndarray,
    lab: np.ndarray,
    shares: np.ndarray,
    quarter: np.ndarray,
    n: int,
    rise_at: np.ndarray,
) -> tuple[int, np.ndarray]:
    """Compact the first ``n`` stakes in place after the lab table is compacted: a stake's lab
    row becomes ``mapping[lab]``, and stakes whose lab maps to -1 are dropped (order kept).
    ``rise_at`` (ascending store positions) become the number of kept stakes before each.
    Returns (stakes kept, new ``rise_at``)."""
    new_rise = np.empty(rise_at.size, dtype=np.int64)
    j = 0
    k = 0
    for i in range(n):
        while j < rise_at.size and rise_at[j] <= i:
            new_rise[j] = k
            j += 1
        row = mapping[lab[i]]
        if row >= 0:
            investor[k] = investor[i]
            lab[k] = row
            shares[k] = shares[i]
            quarter[k] = quarter[i]
            k += 1
    while j < rise_at.size:
        new_rise[j] = k
        j += 1
    return k, new_rise


@kernel
def stakes_in(lab: np.ndarray, lab_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stakes whose lab is one of ``lab_rows`` (distinct rows): their store indices, ascending,
    and the position of their lab in ``lab_rows``. ``lab`` (K,) and ``lab_rows`` non-empty."""
    top = max(lab.max(), lab_rows.max()) + 1
    position = np.full(top, -1, dtype=np.int64)
    for j in range(lab_rows.size):
        position[lab_rows[j]] = j
    idx = np.empty(lab.size, dtype=np.int64)
    which = np.empty(lab.size, dtype=np.int64)
    k = 0
    for i in range(lab.size):
        p = position[lab[i]]
        if p >= 0:
            idx[k] = i
            which[k] = p
            k += 1
    return idx[:k], which[:k]


@kernel
def price_per_share(alive: np.ndarray, mark: np.ndarray, shares_out: np.ndarray) -> np.ndarray:
    """USD B per share of every lab row at its mark, 0 for dead rows: ``np.where(alive, mark /
    shares_out, 0.0)`` in one pass."""
    out = np.empty(alive.size)
    for i in range(alive.size):
        out[i] = mark[i] / shares_out[i] if alive[i] else 0.0
    return out
