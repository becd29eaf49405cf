"""The capital market's negotiation passes as one compiled loop (``abm/phases/capital.py``).

:func:`negotiate` runs what ``_negotiate`` ran in Python — venture deal flow in the first
pass, strategic investors' deal flow in every pass, inbound screening, commitment between
passes and the clearing at the end — by calling the kernels of :mod:`abm.kernels.capital`
in the same order with the same arguments. It draws its uniforms from the model's own
``numpy.random.Generator`` (numba shares the generator's state, and ``rng.random(n)`` gives
the same doubles as in numpy), so the stream, and every result, stays bit for bit what the
Python loop gave. Amounts in USD B.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum
from abm.kernels.capital import (
    clear_offers,
    commit_offers,
    cumulative_weights,
    draw_offers,
    draw_plan,
    draw_venture_offers,
    region_size_order,
    screen_offers,
    venture_prefixes,
)


@kernel
def lexsort_by_region(ask_region: np.ndarray, ask_amount: np.ndarray) -> np.ndarray:
    """``np.lexsort((ask_amount, ask_region))`` for any amounts (negative, -0.0, inf, NaN
    last): a stable merge sort on the amount, then a stable one on the region."""
    by_amount = np.argsort(ask_amount, kind="mergesort")
    by_region = np.argsort(ask_region[by_amount], kind="mergesort")
    return by_amount[by_region]


@kernel
def region_layout(
    ask_region: np.ndarray, ask_amount: np.ndarray, n_regions: int
) -> tuple[np.ndarray, np.ndarray]:
    """Asks by region and, within a region, by size (ties in ask order), and where each
    region's block starts (R + 1,): :func:`abm.markets.capital.region_layout`."""
    order, done = region_size_order(ask_region, ask_amount, n_regions)
    if not done:
        order = lexsort_by_region(ask_region, ask_amount)
    block_start = np.zeros(n_regions + 1, np.int64)
    for a in range(ask_region.size):
        block_start[ask_region[a] + 1] += 1
    for r in range(n_regions):
        block_start[r + 1] += block_start[r]
    return order, block_start


@kernel
def _append(
    investor: np.ndarray,
    ask: np.ndarray,
    amount: np.ndarray,
    more_investor: np.ndarray,
    more_ask: np.ndarray,
    more_amount: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offers followed by more offers (``np.concatenate`` of each field)."""
    n, m = investor.size, more_investor.size
    out_i = np.empty(n + m, np.int64)
    out_a = np.empty(n + m, np.int64)
    out_x = np.empty(n + m)
    out_i[:n] = investor
    out_a[:n] = ask
    out_x[:n] = amount
    out_i[n:] = more_investor
    out_a[n:] = more_ask
    out_x[n:] = more_amount
    return out_i, out_a, out_x


@kernel
def negotiate(
    rng: np.random.Generator,
    ask: np.ndarray,
    weight: np.ndarray,
    budget: np.ndarray,
    inv_region: np.ndarray,
    ask_region: np.ndarray,
    screen: np.ndarray,
    fill_min: float,
    passes: int,
    venture: bool,
    v_region: np.ndarray,
    v_mandate: np.ndarray,
    v_max_ask: np.ndarray,
    v_min_check_share: float,
    v_may: np.ndarray,
    bloc_of_region: np.ndarray,
    v_group: np.ndarray,
    v_draws: np.ndarray,
    v_max_check_share: np.ndarray,
    strategic: bool,
    s_eligible: np.ndarray,
    s_cols: np.ndarray,
    s_group: np.ndarray,
    s_draws: np.ndarray,
    s_max_check_share: np.ndarray,
) -> tuple:
    """Rounds of deal flow and the clearing of every round (see
    :func:`abm.phases.capital._negotiate` for the rule).

    ``ask`` (A,) USD B asked, ``weight`` (A,) deal-flow weights, ``budget`` (I,) what each
    investor may deploy this quarter, ``inv_region`` (I,) and ``ask_region`` (A,) int64,
    ``screen`` (R, R) inbound approval probabilities. The venture groups (``v_*``, the fields
    of :class:`abm.markets.capital.VentureGroups`; ignored unless ``venture``) look in the
    first pass only; the strategic investors (``s_*``: eligibility (G, columns), the columns'
    asks, group, draws and largest check share per investor; ignored unless ``strategic``)
    in every pass. Returns :func:`abm.kernels.capital.clear_offers`'s eight arrays.
    """
    n_ask, n_inv = ask.size, budget.size
    offered = np.zeros(n_ask)
    is_open = np.ones(n_ask, np.bool_)
    committed = np.zeros(n_inv)
    every_i = np.empty(0, np.int64)
    every_a = np.empty(0, np.int64)
    every_x = np.empty(0)
    none_i = np.empty(0, np.int64)
    none_x = np.empty(0)
    left = np.empty(n_inv)
    open_weight = np.empty(n_ask)
    for n_pass in range(passes):
        for i in range(n_inv):
            left[i] = maximum(budget[i] - committed[i], 0.0)
        for a in range(n_ask):
            open_weight[a] = weight[a] * (1.0 if is_open[a] else 0.0)
        new_i, new_a, new_x = none_i, none_i, none_x
        if n_pass == 0 and venture and v_region.size > 0 and n_ask > 0:
            order, block_start = region_layout(ask_region, ask, v_may.shape[0])
            size_key = np.empty(n_ask)
            ordered_weight = np.empty(n_ask)
            for j in range(n_ask):
                ordered_weight[j] = open_weight[order[j]]
                size_key[j] = v_min_check_share * ask[order[j]]
            cum, guide, prefix, region_total, total = venture_prefixes(
                block_start,
                ordered_weight,
                size_key,
                v_region,
                v_mandate,
                v_max_ask,
                bloc_of_region,
                v_may,
                v_min_check_share > 0,
            )
            inv_rep, group_rep, k_rep = draw_plan(v_group, left, total, v_draws)
            if inv_rep.size:
                uniform = rng.random(inv_rep.size)
                new_i, new_a, new_x = draw_venture_offers(
                    cum,
                    guide,
                    prefix,
                    region_total,
                    total,
                    block_start,
                    order,
                    inv_rep,
                    group_rep,
                    k_rep,
                    uniform,
                    left,
                    v_max_check_share,
                    ask,
                )
        if strategic and s_eligible.shape[0] > 0 and s_eligible.shape[1] > 0:
            col_weight = np.empty(s_cols.size)
            col_ask = np.empty(s_cols.size)
            for j in range(s_cols.size):
                col_weight[j] = open_weight[s_cols[j]]
                col_ask[j] = ask[s_cols[j]]
            cum_s, total_s = cumulative_weights(s_eligible, col_weight)
            inv_rep, group_rep, k_rep = draw_plan(s_group, left, total_s, s_draws)
            if inv_rep.size:
                uniform = rng.random(inv_rep.size)
                o_i, o_col, o_x = draw_offers(
                    cum_s,
                    total_s,
                    s_eligible,
                    inv_rep,
                    group_rep,
                    k_rep,
                    uniform,
                    left,
                    s_max_check_share,
                    col_ask,
                )
                o_a = np.empty(o_col.size, np.int64)
                for j in range(o_col.size):
                    o_a[j] = s_cols[o_col[j]]
                new_i, new_a, new_x = _append(new_i, new_a, new_x, o_i, o_a, o_x)
        # Inbound screening: each foreign stake in a US or allied lab is approved with a
        # probability.
        new_i, new_a, new_x = screen_offers(
            new_i, new_a, new_x, screen, inv_region, ask_region, rng.random(new_x.size)
        )
        if new_x.size == 0:
            break
        every_i, every_a, every_x = _append(every_i, every_a, every_x, new_i, new_a, new_x)
        offered, is_open, committed = commit_offers(
            every_i, every_a, every_x, new_x.size, offered, ask, fill_min, n_inv
        )
        if not is_open.any():
            break
    return clear_offers(every_i, every_a, every_x, ask, fill_min)
