"""Product market: spending on AI services split among labs, per regional market.

In the spirit of the history-friendly models (Malerba, Nelson, Orsenigo & Winter 2001), a
lab's appeal in a market is a logit on its capability gap to the best model sold there, with a
lock-in term on last quarter's share:

    appeal_i = access_i * exp(beta * (capability_i - frontier)) * (1 + last_share_i) ** lock_in

Two segments share each market: foundation-model services (labs with their own models) and
applications (startups building on others' models, who pay API fees to the model labs).
Capability is log10 of effective training FLOP; spend in USD B per quarter.
"""

from __future__ import annotations

import numpy as np


def model_shares(
    capability: np.ndarray,
    last_share: np.ndarray,
    access: np.ndarray,
    beta: float,
    lock_in: float,
) -> np.ndarray:
    """Shares of each model lab in each market.

    Args:
        capability: (N,) log10 effective FLOP of each lab's best model (-inf: no model).
        last_share: (N, M) last quarter's shares.
        access: (N, M) appeal multiplier in [0, 1] (0 = may not sell there).
        beta: logit sensitivity per order of magnitude.
        lock_in: exponent on (1 + last share).

    Returns:
        (N, M) shares; each market's column sums to 1, or to 0 if nobody may sell there.
    """
    has_model = np.isfinite(capability)
    sellable = access * has_model[:, None]
    cap = np.where(has_model, capability, -np.inf)[:, None]
    frontier = np.max(np.where(sellable > 0, cap, -np.inf), axis=0, keepdims=True)
    frontier = np.where(np.isfinite(frontier), frontier, 0.0)
    gap = np.where(sellable > 0, cap - frontier, 0.0)
    appeal = sellable * np.exp(beta * gap) * (1.0 + last_share) ** lock_in
    total = appeal.sum(axis=0, keepdims=True)
    return np.divide(appeal, total, out=np.zeros_like(appeal), where=total > 0)


def segment_shares(appeal: np.ndarray, market: np.ndarray, n_markets: int) -> np.ndarray:
    """Shares of single-market sellers: ``appeal_i / sum of appeal in market_i``.

    Args:
        appeal: (N,) non-negative appeal.
        market: (N,) market index of each seller.
        n_markets: number of markets.
    """
    total = np.bincount(market, weights=appeal, minlength=n_markets)
    return np.divide(appeal, total[market], out=np.zeros_like(appeal), where=total[market] > 0)


def hhi(shares: np.ndarray) -> float:
    """Herfindahl-Hirschman index (0-10,000) of a vector of shares (normalised first)."""
    total = shares.sum()
    if total <= 0:
        return 0.0
    s = shares / total
    # (s * s).sum(), not np.dot: a BLAS dot over many labs starts spinning threads.
    return float(10_000.0 * (s * s).sum())


def demand_level(
    base: float, ceiling: float, elasticity: float, capability_gain: np.ndarray
) -> np.ndarray:
    """Spend on AI services (same units as ``base``) given capability gains since the start.

    Logistic in log space: without a ceiling, demand = base * 10^(elasticity * gain); the
    ceiling bends it into saturation. ``capability_gain`` in orders of magnitude (any shape).
    """
    x = (base / ceiling) * 10.0 ** (elasticity * np.asarray(capability_gain, dtype=float))
    return ceiling * x / (1.0 + x) * (1.0 + base / ceiling)
