"""Cloud compute market: labs lease useful H100e-quarters from clouds.

Two stages, both pure and vectorised (sorting and cumulative sums, no pairwise scans):

1. :func:`serve_partners` — each lab with a cloud partner (equity-for-compute deals, parent
   clouds, captive data centres) is served by that partner first, pro rata if it is short.
2. :func:`clear_spot` — what is left is a spot market: buyers ranked by willingness to pay take
   capacity from the cheapest clouds first. The allocation is the overlap of the buyers'
   cumulative demand with the clouds' cumulative supply, so it yields at most
   ``n_buyers + n_clouds`` (buyer, cloud) pairs.

Quantities are useful H100e for one quarter; prices USD per useful H100e-quarter.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import compute as kernels


def average_price(price: np.ndarray, capacity: np.ndarray) -> float:
    """Capacity-weighted average price, ``np.average(price, weights=capacity)`` bit for bit
    (numpy computes ``(price * capacity).sum() / capacity.sum()``) without its ~60 µs of Python
    overhead. ``capacity`` (H100e) must sum to more than 0; the price keeps its unit."""
    return float((price * capacity).sum() / capacity.sum())


def serve_partners(request: np.ndarray, partner: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Fill each lab's request from its partner cloud; a short partner rations pro rata.

    Args:
        request: (L,) H100e wanted.
        partner: (L,) cloud index, or -1 for none.
        capacity: (H,) H100e each cloud can lease this quarter.

    Returns:
        (L,) H100e filled (0 where there is no partner).
    """
    has = partner >= 0
    p = np.where(has, partner, 0)
    wanted = np.bincount(p, weights=np.where(has, request, 0.0), minlength=len(capacity))
    fill = np.minimum(1.0, np.divide(capacity, wanted, out=np.ones_like(wanted), where=wanted > 0))
    return np.where(has, request * fill[p], 0.0)


def clear_spot(
    request: np.ndarray, wtp: np.ndarray, supply: np.ndarray, price: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Priority rationing by willingness to pay against supply ordered by price.

    Args:
        request: (B,) H100e each buyer wants.
        wtp: (B,) willingness to pay (only its order matters).
        supply: (S,) H100e each cloud offers.
        price: (S,) each cloud's price.

    Requests and supplies are non-negative.

    Returns:
        ``filled`` (B,), and pairs ``(buyer, supplier, amount)`` of the allocation.
    """
    if len(request) == 0 or len(supply) == 0:
        return np.zeros(len(request)), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    od = np.argsort(-wtp, kind="stable")
    os_ = np.argsort(price, kind="stable")
    # The overlap of cumulative demand and supply, segment by segment (compiled; the same
    # breakpoints, midpoints and searches as the numpy formulation in the kernel's test).
    return kernels.spot_allocation(
        np.ascontiguousarray(request, dtype=np.float64),
        np.ascontiguousarray(supply, dtype=np.float64),
        od,
        os_,
    )


def lease_price(
    cost: np.ndarray, demand_ratio: np.ndarray, margin: float, elasticity: float
) -> np.ndarray:
    """Lease price per useful H100e-quarter: cost-plus, rising with demand over capacity.

    ``price = cost * (1 + margin) * ratio^elasticity``, held between 0.8x and 4x cost.
    """
    ratio = np.clip(demand_ratio, 0.05, 20.0)
    return np.clip(cost * (1.0 + margin) * ratio**elasticity, 0.8 * cost, 4.0 * cost)
