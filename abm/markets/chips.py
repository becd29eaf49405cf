"""Chip market: which chips are controlled, what a buyer may legally buy, and rationing.

Pure functions over arrays (products ``P``, buyers ``H``, vendors ``V``); no model object.
Units: TPP (total processing performance, BIS definition: 2 x MacTOPS x bit length, here
16 x dense BF16 TFLOP/s), performance density (TPP per mm² of die), interconnect in GB/s,
prices in USD per unit, spend in USD B.
"""

from __future__ import annotations

import numpy as np

UNCONTROLLED, LOW_BAND, CONTROLLED = 0, 1, 2


def tpp_of(bf16_tflops: np.ndarray) -> np.ndarray:
    """Total processing performance of chips rated at ``bf16_tflops`` dense BF16 TFLOP/s."""
    return 16.0 * np.asarray(bf16_tflops, dtype=float)


def classify_chips(
    tpp: np.ndarray,
    die_mm2: np.ndarray,
    interconnect_gbps: np.ndarray,
    *,
    rule: str,
    tpp_threshold: float,
    interconnect_gbps_threshold: float,
    density_tpp_floor: float,
    density_threshold: float,
    low_band_tpp: float,
) -> np.ndarray:
    """Export class of each product under a rule form.

    - ``"none"``: nothing is controlled.
    - ``"oct2022"``: controlled if TPP >= threshold **and** interconnect >= its threshold.
    - ``"oct2023"``: controlled if TPP >= threshold, **or** TPP >= the density floor and
      performance density >= its threshold (the interconnect test is dropped).

    Chips not controlled but with TPP >= ``low_band_tpp`` form the China-specific band
    (H20 class) that a separate licence policy governs. Returns int8: 0 uncontrolled,
    1 low band, 2 controlled.
    """
    tpp = np.asarray(tpp, dtype=float)
    out = np.zeros(tpp.shape, dtype=np.int8)
    if rule == "none":
        return out
    if rule == "oct2022":
        controlled = (tpp >= tpp_threshold) & (
            np.asarray(interconnect_gbps) >= interconnect_gbps_threshold
        )
    elif rule == "oct2023":
        density = tpp / np.maximum(np.asarray(die_mm2, dtype=float), 1e-9)
        controlled = (tpp >= tpp_threshold) | (
            (tpp >= density_tpp_floor) & (density >= density_threshold)
        )
    else:
        raise ValueError(f"unknown export rule {rule!r}")
    out[controlled] = CONTROLLED
    out[~controlled & (tpp >= low_band_tpp)] = LOW_BAND
    return out


def licence_terms(
    export_class: np.ndarray,
    buyer_tier: np.ndarray,
    us_origin: np.ndarray,
    tier_licence: dict[str, dict],
    low_band_licence: dict,
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each buyer's demand for each product that is licensed, and the revenue share owed.

    Args:
        export_class: (P,) output of :func:`classify_chips`.
        buyer_tier: (H,) export tier (1, 2, 3) of each buyer's region.
        us_origin: (P,) whether US rules apply to the product (US vendors' chips).
        tier_licence: licence policy for controlled chips by tier ("1", "2", "3").
        low_band_licence: licence policy for low-band chips going to tier 3.

    Returns:
        ``allowed`` (H, P) in [0, 1] and ``revenue_share`` (H, P) in [0, 1].
    """
    n_h, n_p = len(buyer_tier), len(export_class)
    allowed = np.ones((n_h, n_p))
    share = np.zeros((n_h, n_p))

    def apply(mask: np.ndarray, policy: dict) -> None:
        mode = policy["mode"]
        if mode == "deny":
            allowed[mask] = 0.0
        elif mode == "approve":
            allowed[mask] = policy["approve_probability"]
        elif mode == "revenue_share":
            share[mask] = policy["revenue_share"]

    controlled = (export_class == CONTROLLED) & us_origin
    low = (export_class == LOW_BAND) & us_origin
    for tier in (1, 2, 3):
        rows = buyer_tier == tier
        if not rows.any():
            continue
        apply(np.outer(rows, controlled), tier_licence[str(tier)])
        if tier == 3:
            apply(np.outer(rows, low), low_band_licence)
    return allowed, share


def logit_split(value: np.ndarray, mask: np.ndarray, sharpness: float) -> np.ndarray:
    """Row-wise logit shares over columns where ``mask`` holds, on log(value / row best).

    Rows with no allowed column get zeros. ``value`` (H, P) > 0 where allowed.
    """
    logv = np.where(mask, np.log(np.maximum(value, 1e-300)), -np.inf)
    best = logv.max(axis=1, keepdims=True)
    best = np.where(np.isfinite(best), best, 0.0)
    w = np.where(mask, np.exp(sharpness * (logv - best)), 0.0)
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0)


def ration_by_capacity(
    units_wanted: np.ndarray,
    packages_per_unit: np.ndarray,
    vendor_of: np.ndarray,
    capacity_packages: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Proportional rationing of orders when a vendor's packaging capacity is short.

    Args:
        units_wanted: (H, P) units each buyer orders of each product.
        packages_per_unit: (P,) packaging slots one unit uses (two-die packages use two).
        vendor_of: (P,) vendor index of each product.
        capacity_packages: (V,) packaging slots each vendor has this quarter.

    Returns:
        ``units_filled`` (H, P) and ``demand_ratio`` (V,): ordered slots over capacity.
    """
    n_v = len(capacity_packages)
    slots = units_wanted.sum(axis=0) * packages_per_unit
    demand = np.bincount(vendor_of, weights=slots, minlength=n_v)
    fill = np.where(demand > capacity_packages, capacity_packages / np.maximum(demand, 1e-12), 1.0)
    ratio = np.divide(demand, capacity_packages, out=np.zeros(n_v), where=capacity_packages > 0)
    return units_wanted * fill[vendor_of][None, :], ratio
