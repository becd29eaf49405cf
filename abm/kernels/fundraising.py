"""Compiled loops of the labs' fundraising rules (:func:`agents.lab.pre_money`,
:func:`agents.lab.funding_asks`).

Both rules run over every lab row each quarter. The powers, logarithms and exponentials stay in
numpy (computed by the callers on the rows that need them); the kernels do the rest of the
arithmetic in one pass, in the order the numpy expressions did, so the results are the same to
the bit (``tests/abm/test_kernels_fundraising.py`` keeps the numpy code as the reference).
Money in USD B.
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, minimum, total


@kernel
def growth_and_value(
    alive: np.ndarray,
    archetype: np.ndarray,
    app: int,
    capability: np.ndarray,
    failed: np.ndarray,
    revenue: np.ndarray,
    revenue_year_ago: np.ndarray,
    potential_revenue: np.ndarray,
    market_growth: float,
    growth_cap: float,
    credibility: float,
    revenue_multiple: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Growth investors extrapolate (the market's for model labs — alive labs whose archetype
    is not ``app`` — the lab's own revenue growth for the rest, clipped to [1, ``growth_cap``])
    and each row's market value at growth factor 1 (USD B, shape (n,)): ``4 x base x
    revenue_multiple``, the base (a quarter) being its revenue plus ``credibility`` (in
    [0, 1]) of what its users' use is worth beyond it, not yet paid for; at ``credibility`` 1
    the larger of use and revenue.

    The growth comes back as the market's (clipped, a 1-element array) and, for the other rows
    whose growth is not exactly 1, their rows (ascending) and growth — the values the caller
    raises to the horizon's power in numpy.

    Also the rows, ascending, of the model labs and of the model labs with a finite
    capability, and the most failed rounds in a row of any lab (``failed`` >= 0)."""
    n = revenue.size
    value = np.empty(n)
    # The growth of rows whose factor is neither the market's nor 1 (then exactly 1, as numpy's
    # power of 1 is): only these are raised to the horizon's power.
    own_rows = np.empty(n, dtype=np.int64)
    own_growth = np.empty(n)
    model_rows = np.empty(n, dtype=np.int64)
    capable_rows = np.empty(n, dtype=np.int64)
    most_failed = 0
    n_own = n_model = n_capable = 0
    for i in range(n):
        model_lab = alive[i] and archetype[i] != app
        if model_lab:
            model_rows[n_model] = i
            n_model += 1
            if np.isfinite(capability[i]):
                capable_rows[n_capable] = i
                n_capable += 1
        g = revenue[i] / revenue_year_ago[i] if revenue_year_ago[i] > 1e-6 else 1.0
        g = minimum(maximum(g, 1.0), growth_cap)
        # A branch-free append (each row is written, and kept by counting it): about half the
        # rows grow, at random, so a branch would be mispredicted on every other row.
        own_rows[n_own] = i
        own_growth[n_own] = g
        n_own += (g != 1.0) & (not model_lab)
        most_failed = max(most_failed, failed[i])
        if credibility >= 1.0:
            b = maximum(potential_revenue[i], revenue[i])
        else:
            b = revenue[i] + credibility * maximum(potential_revenue[i] - revenue[i], 0.0)
        value[i] = 4.0 * b * revenue_multiple
    market = np.empty(1)
    market[0] = minimum(maximum(market_growth, 1.0), growth_cap)
    return (
        market,
        own_rows[:n_own],
        own_growth[:n_own],
        value,
        model_rows[:n_model],
        capable_rows[:n_capable],
        most_failed,
    )


@kernel
def price_and_ask(
    pricing: tuple,
    alive: np.ndarray,
    archetype: np.ndarray,
    patron: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    team_cost: np.ndarray,
    compute_spend: np.ndarray,
    revenue: np.ndarray,
    next_run: tuple,
    valuation: np.ndarray,
    raised_total: np.ndarray,
    last_round: np.ndarray,
    failed: np.ndarray,
    offered: np.ndarray,
    first_ask: np.ndarray,
    quarter: int,
    training_cash_share: float,
    runway_quarters: float,
    war_chest_share: float,
    growth_round_multiple: float,
    max_round_multiple: float,
    app: int,
    bigtech: int,
    ask_out: np.ndarray,
    ask_pre_out: np.ndarray,
    mark: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Every lab row's pre-money (USD B), investors' mark of it, and who asks for a round this
    quarter and for how much — in one pass over the rows (see :func:`agents.lab.price_rounds`
    for the rules).

    ``pricing``: (``value`` (n,) USD B, the market value at growth factor 1 of
    :func:`growth_and_value`, overwritten with the pre-money and returned, ``market_factor``,
    ``own_rows``, ``own_factor``, ``model_rows``, ``catch_up``, ``pedigree`` (n,),
    ``contender_value_share``, ``hype_rows``, ``hype_factor``, ``haircut``). The pre-money is
    the market value ``value x growth factor`` (growth to the horizon's
    power: ``market_factor`` for model labs, ``own_factor`` on ``own_rows``, else 1); for
    ``model_rows`` at least the capability value ``contender_value_share x leader's market
    value x catch_up x pedigree / 3`` (``catch_up`` = 10^-gap, aligned with ``model_rows``),
    for the others at least 0; times ``hype_factor`` on ``hype_rows``; at least 0.6x the last
    post-money; times ``haircut[failed]`` (the haircut of each count of failed rounds in a
    row, ``haircut[0]`` = 1). The row lists are ascending; ``model_rows`` are the alive rows
    whose archetype is not ``app``, and ``hype_rows`` some of them.

    ``next_run``: (ambition, region, last_flop, lease_price, largest run by region, run
    multiple, frontier fraction, entry run, 1 + experiment overhead, FLOP per H100e-quarter),
    from which a model lab's next run plus a cycle of research is costed as
    :func:`agents.lab.next_run_flop` x its expected price x the overhead / FLOP per
    H100e-quarter (nothing for the rest);
    ``growth_round_multiple`` = d / (1 - d) for the growth-round dilution d;
    ``max_round_multiple`` likewise for the largest dilution; ``app``, ``bigtech``: those
    archetypes' codes (``agents.lab`` imports this module, so they are passed in).

    Writes every row's mark (``mark``: the larger of its pre-money and its last post-money
    while alive, 0 once dead), the asking rows' ask into ``ask_out`` (0 on every other row of
    ``[0, n)``) and their pre-money into ``ask_pre_out`` (other rows untouched). Returns the
    pre-money (n,), the rows asking, ascending, and the marks' sum (numpy's pairwise order).
    """
    (
        pre,
        market_factor,
        own_rows,
        own_factor,
        model_rows,
        catch_up,
        pedigree,
        contender_value_share,
        hype_rows,
        hype_factor,
        haircut,
    ) = pricing
    (
        ambition,
        run_region,
        last_flop,
        lease_price,
        max_run_flop,
        run_multiple,
        frontier_fraction,
        entry_run_flop,
        overhead_factor,
        flop_per_h100e_quarter,
    ) = next_run
    n = pre.size
    # The pre-money's steps that apply to some rows run over those rows' lists, so that no row
    # branches on a list it is on at random (about half the rows grow, half have failed
    # rounds); each row still takes its steps in the rule's order. From the market value at
    # growth factor 1 ...
    for j in range(own_rows.size):  # ... times the own growth factor
        pre[own_rows[j]] *= own_factor[j]
    leader = 0.0  # ... or the market's, for model labs; the leader's market value
    for i in model_rows:
        pre[i] *= market_factor
        leader = maximum(leader, pre[i])
    share = contender_value_share * leader
    for j in range(model_rows.size):  # at least the capability value
        i = model_rows[j]
        pre[i] = maximum(pre[i], share * catch_up[j] * pedigree[i] / 3.0)
    for j in range(hype_rows.size):  # the leaders' premium
        pre[hype_rows[j]] *= hype_factor[j]
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        # The rest of the pre-money: other labs' value at least 0; at least 0.6x the last
        # post-money; the failed rounds' haircut (exactly 1 without failed rounds).
        is_model = alive[i] & (archetype[i] != app)
        v = pre[i] if is_model else maximum(pre[i], 0.0)
        v = maximum(v, 0.6 * valuation[i])
        v *= haircut[failed[i]]
        pre[i] = v
        # Investors' mark, and the ask.
        mark[i] = maximum(v, valuation[i]) if alive[i] else 0.0
        if not alive[i]:  # dead rows never ask
            ask_out[i] = 0.0
            continue
        next_cost = 0.0
        if archetype[i] != app:
            flop = next_run_flop_of(
                ambition[i],
                max_run_flop[run_region[i]],
                last_flop[i],
                run_multiple,
                frontier_fraction,
                entry_run_flop,
            )
            next_cost = flop * lease_price[i] * overhead_factor / flop_per_h100e_quarter
        funds = cash[i] + credit[i] + prepaid[i]
        yearly = quarter - last_round[i] >= 4
        if archetype[i] != app:  # model labs (a few per cent of rows)
            need_model = next_cost / training_cash_share + runway_quarters * team_cost[i] - funds
            need = maximum(need_model, war_chest_share * v if yearly else 0.0)
            wants = (need_model > 0.25 * (next_cost + 1e-9)) | yearly
        else:
            burn = maximum(team_cost[i] + compute_spend[i] - revenue[i], 1e-6)
            up_round = yearly & (v >= valuation[i]) & (raised_total[i] > 0)
            need = maximum(
                (runway_quarters + 4.0) * burn, growth_round_multiple * v if up_round else 0.0
            )
            wants = (funds / burn < runway_quarters) | up_round
        cap = max_round_multiple * v
        if failed[i] > 0:
            cap = minimum(cap, 1.2 * offered[i])
        a = minimum(need, cap)
        new = last_round[i] < 0
        if new & (first_ask[i] > 0):
            a = first_ask[i]
        eligible = (
            (archetype[i] != bigtech)
            & (patron[i] <= 0)
            & wants
            & (a > 1e-4)
            & (quarter - last_round[i] >= 2)
        )
        if eligible | (new & (first_ask[i] > 0) & (raised_total[i] <= 0)):
            rows[k] = i
            k += 1
            ask_out[i] = a
            ask_pre_out[i] = v
        else:
            ask_out[i] = 0.0
    return pre, rows[:k], total(mark[:n])


@kernel
def deal_score_inputs(
    rows: np.ndarray,
    revenue: np.ndarray,
    revenue_year_ago: np.ndarray,
    best_flop: np.ndarray,
    pedigree: np.ndarray,
    ask_pre: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arguments of :func:`agents.lab.deal_score`'s logarithms for ``rows``: pedigree,
    revenue growth over a year clipped to [0.5, 10] (1 without a year-ago revenue above 1e-6
    USD B), best run (FLOP, at least 1) and ``1 + pre-money / 0.01`` (USD B)."""
    n = rows.size
    ped = np.empty(n)
    growth = np.empty(n)
    best = np.empty(n)
    size = np.empty(n)
    for j in range(n):
        i = rows[j]
        ped[j] = pedigree[i]
        g = revenue[i] / revenue_year_ago[i] if revenue_year_ago[i] > 1e-6 else 1.0
        growth[j] = minimum(maximum(g, 0.5), 10.0)
        best[j] = maximum(best_flop[i], 1.0)
        size[j] = 1.0 + ask_pre[i] / 0.01
    return ped, growth, best, size


@kernel
def deal_score_sum(
    rows: np.ndarray,
    log_pedigree: np.ndarray,
    log_growth: np.ndarray,
    log10_size: np.ndarray,
    log10_frontier: float,
    log10_best: np.ndarray,
    archetype: np.ndarray,
    app: int,
    niche: np.ndarray,
) -> np.ndarray:
    """Sum the deal score's terms in :func:`agents.lab.deal_score`'s order: team, momentum,
    scale (a quarter of log10 size), then capability for model labs (1 - gap / 2, the gap in
    orders of magnitude behind the largest run, ``log10_frontier - log10_best`` clipped to
    [0, 4]) or niche appeal for application startups (niche / 2)."""
    n = rows.size
    out = np.empty(n)
    for j in range(n):
        i = rows[j]
        gap = minimum(maximum(log10_frontier - log10_best[j], 0.0), 4.0)
        last = 1.0 - 0.5 * gap if archetype[i] != app else niche[i] * 0.5
        out[j] = log_pedigree[j] + log_growth[j] + 0.25 * log10_size[j] + last
    return out


@kernel
def rows_not_of(alive: np.ndarray, archetype: np.ndarray, excluded: int) -> np.ndarray:
    """Alive rows whose archetype is not ``excluded``, ascending:
    ``np.flatnonzero(alive & (archetype != excluded))`` in one pass."""
    out = np.empty(alive.size, dtype=np.int64)
    k = 0
    for i in range(alive.size):
        if alive[i] and archetype[i] != excluded:
            out[k] = i
            k += 1
    return out[:k]


@kernel
def hype_factors(rows: np.ndarray, capability: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The capability leaders' premium factor of each of ``rows`` (labs with a model):
    ``table[rank]``, rank being the position in ``np.argsort(-capability, kind="stable")``
    (the most capable first, ties in row order), and 1 from rank ``table.size`` on — where
    ``1 + premium x e^(-rank / 1.5)`` rounds to exactly 1. Only the top ranks are sorted."""
    k = table.size
    buf = np.empty(k, np.int64)  # positions in rows, most capable first
    m = 0
    for j in range(rows.size):
        c = capability[rows[j]]
        if m == k and not c > capability[rows[buf[k - 1]]]:
            continue
        t = m if m < k else k - 1
        if m < k:
            m += 1
        while t > 0 and capability[rows[buf[t - 1]]] < c:
            buf[t] = buf[t - 1]
            t -= 1
        buf[t] = j
    out = np.ones(rows.size)
    for r in range(m):
        out[buf[r]] = table[r]
    return out


@kernel
def next_run_flop_of(
    ambition: float,
    max_run_flop: float,
    last_flop: float,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
) -> float:
    """FLOP of a lab's next run (:func:`agents.lab.next_run_flop`): its last run times
    ``run_multiple``, or ``frontier_fraction`` of its ceiling (``ambition`` x the largest run
    its region's sites allow) if larger, within the ceiling and at least the entry run."""
    ceiling = ambition * max_run_flop
    step = maximum(run_multiple * last_flop, frontier_fraction * ceiling)
    return maximum(minimum(step, ceiling), entry_run_flop)


@kernel
def best_runs(rows: np.ndarray, best_flop: np.ndarray, run_done: np.ndarray) -> np.ndarray:
    """For ``rows``: the larger of the best run and the run in progress, at least 1 FLOP."""
    out = np.empty(rows.size)
    for j in range(rows.size):
        i = rows[j]
        out[j] = maximum(maximum(best_flop[i], run_done[i]), 1.0)
    return out


@kernel
def minus_gaps(log10_frontier: float, log10_best: np.ndarray) -> np.ndarray:
    """Minus the gap behind the largest run, in orders of magnitude clipped to [0, 4]:
    ``-np.clip(log10_frontier - log10_best, 0.0, 4.0)``."""
    out = np.empty(log10_best.size)
    for j in range(log10_best.size):
        out[j] = -minimum(maximum(log10_frontier - log10_best[j], 0.0), 4.0)
    return out
