"""Compiled loops of the demography phase (``abm/phases/demography.py``).

One pass over every lab row instead of a dozen whole-table numpy expressions. Each kernel
reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_demography.py``
keeps that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, total
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


@kernel
def distressed_sales(
    targets: np.ndarray,
    model_rows: np.ndarray,
    archetype: np.ndarray,
    buyer_kinds: np.ndarray,
    app: int,
    best_flop: np.ndarray,
    frontier_flop: float,
    share: np.ndarray,
    parent: np.ndarray,
    opcf: np.ndarray,
    cash: np.ndarray,
    valuation: np.ndarray,
    region: np.ndarray,
    bloc_of_region: np.ndarray,
    price_share: float,
    max_combined_share: float,
    max_hhi_delta: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distressed labs worth buying and who buys them (``abm.phases.demography._acquisitions``).

    A target (rows ascending) is worth buying with a model within three orders of magnitude
    of the frontier run (model labs) or 0.2 % of some market. Buyers: model labs
    (``model_rows``: alive, ascending) of the ``buyer_kinds`` archetypes (model-lab
    archetypes) that are not targets themselves, with a purse of their cash
    plus a quarter of their parent cloud's cash flow. Each target goes to the richest buyer
    of its bloc that can pay ``price_share`` of its last valuation and that antitrust does
    not block (combined share of the target's main market, or the HHI change, over the
    limits); one deal per buyer, the first target in order. Returns the deals (target rows,
    buyer rows, price USD B) and the targets only antitrust kept from a buyer (target rows,
    the richest such buyer's row, price).
    """
    n_m = share.shape[1]
    k = 0
    keep = np.empty(targets.size, np.int64)
    for j in range(targets.size):
        t = targets[j]
        top = share[t, 0]
        for c in range(1, n_m):
            top = maximum(top, share[t, c])
        near = best_flop[t] >= frontier_flop * 1e-3
        if (archetype[t] != app and near) or top >= 0.002:
            keep[k] = t
            k += 1
    none_i = np.empty(0, np.int64)
    none_f = np.empty(0)
    if k == 0:
        return none_i, none_i, none_f, none_i, none_i, none_f
    tg = keep[:k]
    is_target = np.zeros(archetype.size, np.bool_)
    for j in range(k):
        is_target[tg[j]] = True
    n_b = 0
    buyers = np.empty(model_rows.size, np.int64)
    for i in model_rows:
        if not is_target[i]:
            for a in range(buyer_kinds.size):
                if archetype[i] == buyer_kinds[a]:
                    buyers[n_b] = i
                    n_b += 1
                    break
    if n_b == 0:
        return none_i, none_i, none_f, none_i, none_i, none_f
    buyers = buyers[:n_b]
    purse = np.empty(n_b)
    for b in range(n_b):
        i = buyers[b]
        room = 0.25 * opcf[max(parent[i], 0)] if parent[i] >= 0 else 0.0
        purse[b] = cash[i] + room
    taken = np.zeros(n_b, np.bool_)
    deal_t = np.empty(k, np.int64)
    deal_b = np.empty(k, np.int64)
    deal_p = np.empty(k)
    blk_t = np.empty(k, np.int64)
    blk_b = np.empty(k, np.int64)
    blk_p = np.empty(k)
    n_deal = 0
    n_blk = 0
    for j in range(k):
        t = tg[j]
        price = price_share * valuation[t]
        market = 0
        for c in range(1, n_m):
            if share[t, c] > share[t, market]:
                market = c
        s_t = share[t, market]
        best_ok, pick = -1.0, 0  # argmax over buyers of (purse where ok, else -1)
        best_would, would_pick = -1.0, 0
        any_ok = False
        any_would = False
        for b in range(n_b):
            i = buyers[b]
            s_a = share[i, market]
            blocked = s_a + s_t > max_combined_share or 2e4 * s_a * s_t > max_hhi_delta
            if bloc_of_region[region[t]] != bloc_of_region[region[i]] or not purse[b] >= price:
                continue
            if blocked:
                if not any_would or purse[b] > best_would:
                    best_would, would_pick = purse[b], b
                any_would = True
            else:
                if not any_ok or purse[b] > best_ok:
                    best_ok, pick = purse[b], b
                any_ok = True
        if any_ok:
            if not taken[pick]:
                taken[pick] = True
                deal_t[n_deal] = t
                deal_b[n_deal] = buyers[pick]
                deal_p[n_deal] = price
                n_deal += 1
        elif any_would:
            blk_t[n_blk] = t
            blk_b[n_blk] = buyers[would_pick]
            blk_p[n_blk] = price
            n_blk += 1
    return (
        deal_t[:n_deal],
        deal_b[:n_deal],
        deal_p[:n_deal],
        blk_t[:n_blk],
        blk_b[:n_blk],
        blk_p[:n_blk],
    )


@kernel
def challengers(
    m: np.ndarray,
    archetype: np.ndarray,
    patron: np.ndarray,
    share: np.ndarray,
    capability: np.ndarray,
    region: np.ndarray,
    bloc_of_region: np.ndarray,
    target_kinds: np.ndarray,
    leader_kinds: np.ndarray,
    mark: np.ndarray,
    premium: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rising challengers and the market leaders that could buy them
    (``abm.phases.demography._strategic_acquisitions``).

    Among the model labs ``m`` (ascending): a lab of the ``target_kinds`` archetypes without
    an outside patron, with 3-30 % of its main market (its largest share, the first on ties)
    and a model within half an order of magnitude of that market's leader (the model lab with
    the largest share there, the first on ties), when the leader is another lab, of the
    ``leader_kinds`` archetypes and of the same bloc. Returns the challengers' rows, their
    leaders' rows, main markets, shares there and prices (``premium`` x their mark, USD B).
    """
    k, n_m = m.size, share.shape[1]
    leader = np.empty(n_m, np.int64)
    for c in range(n_m):
        best = 0
        for j in range(1, k):
            if share[m[j], c] > share[m[best], c]:
                best = j
        leader[c] = m[best]
    targets = np.empty(k, np.int64)
    buyers = np.empty(k, np.int64)
    main_t = np.empty(k, np.int64)
    s_tt = np.empty(k)
    price = np.empty(k)
    n = 0
    for j in range(k):
        i = m[j]
        main = 0
        for c in range(1, n_m):
            if share[i, c] > share[i, main]:
                main = c
        s_t = share[i, main]
        lead = leader[main]
        kind_ok = False
        for a in range(target_kinds.size):
            if archetype[i] == target_kinds[a]:
                kind_ok = True
        lead_ok = False
        for a in range(leader_kinds.size):
            if archetype[lead] == leader_kinds[a]:
                lead_ok = True
        if (
            kind_ok
            and patron[i] <= 0
            and s_t >= 0.03
            and s_t <= 0.3
            and lead != i
            and capability[lead] - capability[i] < 0.5
            and lead_ok
            and bloc_of_region[region[lead]] == bloc_of_region[region[i]]
        ):
            targets[n] = i
            buyers[n] = lead
            main_t[n] = main
            s_tt[n] = s_t
            price[n] = premium * mark[i]
            n += 1
    return targets[:n], buyers[:n], main_t[:n], s_tt[:n], price[:n]


@kernel
def challenger_deals(
    targets: np.ndarray,
    buyers: np.ndarray,
    main_t: np.ndarray,
    s_tt: np.ndarray,
    price: np.ndarray,
    wants: np.ndarray,
    cash: np.ndarray,
    parent: np.ndarray,
    opcf: np.ndarray,
    share: np.ndarray,
    max_combined_share: float,
    max_hhi_delta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Which offers for challengers (:func:`challengers`) go ahead: the leader ``wants`` to
    buy and can pay from its cash and a quarter of its parent's cash flow. Antitrust refuses a
    deal whose combined share or HHI change is over the limits. A leader makes one deal a
    quarter, for its largest challenger (the first on ties). Returns the positions refused (in
    order) and those of the deals, by leader row ascending."""
    n = targets.size
    refused = np.empty(n, np.int64)
    go = np.empty(n, np.int64)
    n_r = 0
    n_go = 0
    for j in range(n):
        b = buyers[j]
        room = 0.25 * opcf[max(parent[b], 0)] if parent[b] >= 0 else 0.0
        ok = wants[j] and cash[b] + room >= price[j]
        s_a = share[b, main_t[j]]
        blocked = s_a + s_tt[j] > max_combined_share or 2e4 * s_a * s_tt[j] > max_hhi_delta
        if ok and blocked:
            refused[n_r] = j
            n_r += 1
        elif ok:
            go[n_go] = j
            n_go += 1
    # By leader ascending, each leader's largest challenger first (ties: the earlier).
    order = go[:n_go].copy()
    for a in range(1, n_go):
        j = order[a]
        t = a
        while t > 0 and (
            buyers[order[t - 1]] > buyers[j]
            or (buyers[order[t - 1]] == buyers[j] and -s_tt[order[t - 1]] > -s_tt[j])
        ):
            order[t] = order[t - 1]
            t -= 1
        order[t] = j
    deals = np.empty(n_go, np.int64)
    n_d = 0
    for a in range(n_go):
        if a == 0 or buyers[order[a]] != buyers[order[a - 1]]:
            deals[n_d] = order[a]
            n_d += 1
    return refused[:n_r], deals[:n_d]


@kernel
def entrants(
    fund_region: np.ndarray,
    dry_powder: np.ndarray,
    n_regions: int,
    u_region: np.ndarray,
    u_model: np.ndarray,
    pedigree: np.ndarray,
    app_draw: np.ndarray,
    model_share: float,
    model_ticket: float,
    app_seed: float,
    model_archetype: int,
    app_archetype: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This quarter's entrants from their draws (``abm.phases.demography._entry``): each
    one's region, archetype and first ask (USD B).

    The region is drawn (``u_region``, uniforms) in proportion to the venture funds' dry
    powder by region (USD B) plus 2 % of all of it spread evenly — ``np.bincount``, the
    cumulative shares normalised by their last, ``searchsorted(side="right")``, as
    ``rng.choice`` does. A share ``model_share`` of entrants (``u_model`` under it) train
    models and ask ``model_ticket x pedigree`` (at least 0.01); application startups ask
    ``app_seed x pedigree x app_draw``. Every sum in numpy's order.
    """
    by_region = np.zeros(n_regions)
    for i in range(fund_region.size):
        by_region[fund_region[i]] += dry_powder[i]
    spread = 0.02 * total(dry_powder) / n_regions
    for r in range(n_regions):
        by_region[r] = by_region[r] + spread
    whole = total(by_region)
    cdf = np.empty(n_regions)
    acc = 0.0
    for r in range(n_regions):
        acc += by_region[r] / whole
        cdf[r] = acc
    last = cdf[n_regions - 1]
    for r in range(n_regions):
        cdf[r] /= last
    count = u_region.size
    region = np.empty(count, np.int64)
    archetype = np.empty(count, np.int64)
    ask = np.empty(count)
    for j in range(count):
        k = 0
        while k < n_regions and cdf[k] <= u_region[j]:
            k += 1
        region[j] = k
        if u_model[j] < model_share:
            archetype[j] = model_archetype
            ask[j] = maximum(model_ticket * pedigree[j], 0.01)
        else:
            archetype[j] = app_archetype
            ask[j] = app_seed * pedigree[j] * app_draw[j]
    return region, archetype, ask
