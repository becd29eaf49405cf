"""Compiled loops of the capital market (``abm/markets/capital.py``, ``abm/phases/capital.py``).

- :func:`venture_eligibility` — which asks each venture deal-flow group may consider;
- :func:`cumulative_weights` — each group's running sum of deal-flow weight over its asks;
- :func:`draw_offers` — turn uniform draws into (investor, ask, amount) offers;
- :func:`venture_prefixes`, :func:`draw_venture_offers` — venture deal flow without the
  (groups x asks) matrix: per-region running sums over asks sorted by size;
- :func:`clear_offers` — close rounds, merge each investor's offers per round, find the leads;
- :func:`settle_rounds` — book the closed rounds on the labs: ties, credits, shares, post-money.

Amounts in USD B. Each replaces numpy code whose results it reproduces bit for bit (see
``tests/abm/test_kernels_capital.py``, which keeps that code as the reference), except the
venture prefixes: they draw every ask with the same probability as the matrix did, from the
same uniforms, but map a uniform to a different ask (asks are laid out by region and size).
"""

from __future__ import annotations

import math

import numpy as np

from abm.kernels import kernel, maximum, minimum, total
from agents.venture_fund import BLOC, HOME


@kernel
def mandate_covers(mandate: int, home: int, region: int, bloc_of_region: np.ndarray) -> bool:
    """A venture mandate's reach: HOME its home region, BLOC its home's bloc, GLOBAL anywhere."""
    if mandate == HOME:
        return region == home
    if mandate == BLOC:
        return bloc_of_region[region] == bloc_of_region[home]
    return True


@kernel
def venture_eligibility(
    group_region: np.ndarray,
    group_mandate: np.ndarray,
    group_max_ask: np.ndarray,
    ask_region: np.ndarray,
    bloc_of_region: np.ndarray,
    ask_busd: np.ndarray,
    min_check_share: float,
    may: np.ndarray,
) -> np.ndarray:
    """(G, A) bool: ask ``a`` is in the deal flow of venture group ``g``.

    A group looks at asks in its home region (mandate HOME), its bloc (BLOC) or anywhere
    (GLOBAL), that screening lets its region back (``may[region, ask region]``), and — when
    ``min_check_share`` > 0 — whose size its usual check is a real share of:
    ``min_check_share * ask <= group_max_ask`` (``group_max_ask`` = twice the group's check-size
    floor, USD B).
    """
    n_groups, n_asks = group_region.size, ask_region.size
    out = np.zeros((n_groups, n_asks), dtype=np.bool_)
    for g in range(n_groups):
        r = group_region[g]
        mandate = group_mandate[g]
        for a in range(n_asks):
            ar = ask_region[a]
            ok = mandate_covers(mandate, r, ar, bloc_of_region)
            if ok and min_check_share > 0:
                ok = min_check_share * ask_busd[a] <= group_max_ask[g]
            out[g, a] = ok and may[r, ar]
    return out


@kernel
def cumulative_weights(eligible: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running sum of ``weight`` over each group's eligible asks, and each group's total.

    ``np.cumsum(eligible * weight, axis=1)`` and its last column: the same sequential sums.
    Shapes: eligible (G, A) bool, weight (A,) → (G, A), (G,).
    """
    n_groups, n_asks = eligible.shape
    cum = np.empty((n_groups, n_asks))
    total = np.zeros(n_groups)
    # Eight groups at a time, ask by ask: eight independent running sums keep the adder busy
    # (one sum alone waits on each addition); each group's sum is still taken in ask order.
    for g0 in range(0, n_groups, 8):
        g1 = min(g0 + 8, n_groups)
        acc = np.zeros(8)
        for a in range(n_asks):
            w = weight[a]
            for g in range(g0, g1):
                acc[g - g0] = acc[g - g0] + (w if eligible[g, a] else 0.0)
                cum[g, a] = acc[g - g0]
        for g in range(g0, g1):
            total[g] = acc[g - g0]
    return cum, total


@kernel
def draw_plan(
    group: np.ndarray, budget: np.ndarray, total: np.ndarray, draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who draws deal flow this pass, one entry per draw: investors in a group (``group`` >=
    0) with budget left (> 1e-9 USD B) whose group has weight on offer (``total[group]`` >
    0), each repeated ``draws`` times, in investor order. Returns (investor, group, draws) per
    draw — ``np.repeat`` of the investors that pass, their groups and their draw counts."""
    n_draws = 0
    for i in range(group.size):
        g = group[i]
        if g >= 0 and budget[i] > 1e-9 and total[g] > 0:
            n_draws += draws[i]
    investor = np.empty(n_draws, dtype=np.int64)
    grp = np.empty(n_draws, dtype=np.int64)
    count = np.empty(n_draws, dtype=np.int64)
    j = 0
    for i in range(group.size):
        g = group[i]
        if g >= 0 and budget[i] > 1e-9 and total[g] > 0:
            for _ in range(draws[i]):
                investor[j] = i
                grp[j] = g
                count[j] = draws[i]
                j += 1
    return investor, grp, count


@kernel
def draw_offers(
    cum: np.ndarray,
    total: np.ndarray,
    eligible: np.ndarray,
    investor: np.ndarray,
    group: np.ndarray,
    draws: np.ndarray,
    uniform: np.ndarray,
    budget: np.ndarray,
    max_check_share: np.ndarray,
    ask_busd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One offer per draw: the ask at the draw's point of its group's cumulative weight.

    The groups' cumulative weights are laid end to end (group ``g`` starts at the sum of the
    totals before it); draw ``i`` of investor ``investor[i]`` (group ``group[i]``, ``draws[i]``
    draws in all) lands at ``start[g] + uniform[i] * total[g]`` and picks the first ask whose
    end point is above it — ``np.searchsorted(side="right")`` on the laid-out sums, kept
    inside the group. The investor offers ``min(budget / draws, max_check_share * ask)``;
    offers under 1e-9 USD B, and draws that land on an ineligible ask by rounding, are dropped.

    Returns (investor (K,), ask (K,), amount USD B (K,)) of the offers kept, in draw order.
    """
    n_groups, n_asks = cum.shape
    start = np.zeros(n_groups)
    acc = 0.0
    for g in range(1, n_groups):
        acc = acc + total[g - 1]
        start[g] = acc
    n = investor.size
    out_inv = np.empty(n, dtype=np.int64)
    out_ask = np.empty(n, dtype=np.int64)
    out_amt = np.empty(n)
    k = 0
    for i in range(n):
        g = group[i]
        s = start[g]
        u = s + uniform[i] * total[g]
        # Number of this group's laid-out sums <= u.
        lo, hi = 0, n_asks
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[g, mid] + s <= u:
                lo = mid + 1
            else:
                hi = mid
        a = min(lo, n_asks - 1)
        inv = investor[i]
        check = budget[inv] / draws[i]
        cap = max_check_share[inv] * ask_busd[a]
        amount = minimum(check, cap)
        if amount > 1e-9 and eligible[g, a]:
            out_inv[k] = inv
            out_ask[k] = a
            out_amt[k] = amount
            k += 1
    return out_inv[:k], out_ask[:k], out_amt[:k]


@kernel
def clear_offers(
    investor: np.ndarray, ask: np.ndarray, amount: np.ndarray, ask_busd: np.ndarray, fill_min: float
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Close the asks whose offers reach ``fill_min`` of the amount; settle their offers.

    Offers (USD B) are summed per ask in the order given. The offers of closed rounds are
    merged per (investor, ask) — in ascending (investor, ask) order, each pair's offers summed
    in the order given — and scaled down pro rata where a round is oversubscribed. The lead of
    a round is its largest merged check, the lowest investor index on ties.

    Returns raised (A,), closed (A,), offered (A,), lead (A,), investors per round (A,), and
    per invested pair investor (K,), ask (K,), amount invested USD B (K,).
    """
    n_ask = ask_busd.size
    offered = np.zeros(n_ask)
    for i in range(ask.size):
        offered[ask[i]] += amount[i]
    closed = np.zeros(n_ask, dtype=np.bool_)
    raised = np.zeros(n_ask)
    scale = np.zeros(n_ask)
    for a in range(n_ask):
        closed[a] = offered[a] >= fill_min * ask_busd[a] and offered[a] > 0
        if closed[a]:
            raised[a] = minimum(offered[a], ask_busd[a])
        if offered[a] > 0:
            scale[a] = raised[a] / offered[a]
    # Offers of closed rounds, sorted by (investor, ask), stable: two counting-sort passes.
    n_sel = 0
    n_inv = 0
    for i in range(ask.size):
        if closed[ask[i]]:
            n_sel += 1
            if investor[i] + 1 > n_inv:
                n_inv = investor[i] + 1
    sel = np.empty(n_sel, dtype=np.int64)
    j = 0
    for i in range(ask.size):
        if closed[ask[i]]:
            sel[j] = i
            j += 1
    by_ask = _counting_sort(sel, ask, n_ask)
    order = _counting_sort(by_ask, investor, n_inv)
    # Merge equal pairs.
    pair_inv = np.empty(n_sel, dtype=np.int64)
    pair_ask = np.empty(n_sel, dtype=np.int64)
    pair_amt = np.empty(n_sel)
    k = -1
    for j in range(n_sel):
        i = order[j]
        if k < 0 or investor[i] != pair_inv[k] or ask[i] != pair_ask[k]:
            k += 1
            pair_inv[k] = investor[i]
            pair_ask[k] = ask[i]
            pair_amt[k] = 0.0
        pair_amt[k] += amount[i]
    k += 1
    pair_inv, pair_ask, pair_amt = pair_inv[:k], pair_ask[:k], pair_amt[:k]
    invested = np.empty(k)
    n_investors = np.zeros(n_ask, dtype=np.int64)
    biggest = np.zeros(n_ask)
    for j in range(k):
        a = pair_ask[j]
        invested[j] = pair_amt[j] * scale[a]
        n_investors[a] += 1
        if pair_amt[j] > biggest[a]:
            biggest[a] = pair_amt[j]
    lead = np.full(n_ask, -1, dtype=np.int64)
    for j in range(k):
        a = pair_ask[j]
        if lead[a] < 0 and pair_amt[j] >= biggest[a]:
            lead[a] = pair_inv[j]
    return raised, closed, offered, lead, n_investors, pair_inv, pair_ask, invested


@kernel
def _counting_sort(idx: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """``idx`` reordered by ``key[idx]`` (values in [0, n_keys)), stable."""
    count = np.zeros(n_keys + 1, dtype=np.int64)
    for i in idx:
        count[key[i] + 1] += 1
    for v in range(n_keys):
        count[v + 1] += count[v]
    out = np.empty(idx.size, dtype=np.int64)
    for i in idx:
        v = key[i]
        out[count[v]] = i
        count[v] += 1
    return out


@kernel
def screened(
    investor: np.ndarray,
    ask: np.ndarray,
    amount: np.ndarray,
    p: np.ndarray,
    uniform: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The offers inbound screening lets through: approval probability ``p`` >= 1, or a
    ``uniform`` draw under it. Shapes (K,) → (kept,) each, in order."""
    n = investor.size
    out_inv = np.empty(n, dtype=np.int64)
    out_ask = np.empty(n, dtype=np.int64)
    out_amt = np.empty(n)
    k = 0
    for i in range(n):
        if p[i] >= 1.0 or uniform[i] < p[i]:
            out_inv[k] = investor[i]
            out_ask[k] = ask[i]
            out_amt[k] = amount[i]
            k += 1
    return out_inv[:k], out_ask[:k], out_amt[:k]


@kernel
def screen_offers(
    investor: np.ndarray,
    ask: np.ndarray,
    amount: np.ndarray,
    screen: np.ndarray,
    inv_region: np.ndarray,
    ask_region: np.ndarray,
    uniform: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`screened` with the approval probability of each offer read from the screening
    matrix: ``p = screen[inv_region[investor], ask_region[ask]]``."""
    n = investor.size
    p = np.empty(n)
    for i in range(n):
        p[i] = screen[inv_region[investor[i]], ask_region[ask[i]]]
    return screened(investor, ask, amount, p, uniform)


@kernel
def commit_offers(
    investor: np.ndarray,
    ask: np.ndarray,
    amount: np.ndarray,
    n_new: int,
    offered: np.ndarray,
    ask_busd: np.ndarray,
    fill_min: float,
    n_investors: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """After a negotiation pass: offers per ask, which asks are still open, and what each
    investor is committed to.

    ``investor``, ``ask``, ``amount`` (USD B) hold every offer so far, this pass's ``n_new``
    last; ``offered`` is each ask's total before this pass. An ask closes once its offers reach
    ``fill_min`` of it; the offers to a closed ask commit their investors pro rata to at most the
    amount asked, those to open asks in full. Returns (offered (A,), open (A,), committed (I,)).
    """
    n_ask = ask_busd.size
    added = np.zeros(n_ask)
    for i in range(ask.size - n_new, ask.size):
        added[ask[i]] += amount[i]
    total = np.empty(n_ask)
    is_open = np.empty(n_ask, dtype=np.bool_)
    scale = np.empty(n_ask)
    for a in range(n_ask):
        total[a] = offered[a] + added[a]
        is_open[a] = not total[a] >= fill_min * ask_busd[a]
        if is_open[a]:
            scale[a] = 1.0
        else:
            scale[a] = minimum(1.0, ask_busd[a] / total[a] if total[a] > 0 else 1.0)
    committed = np.zeros(n_investors)
    for i in range(ask.size):
        committed[investor[i]] += amount[i] * scale[ask[i]]
    return total, is_open, committed


@kernel
def venture_prefixes(
    block_start: np.ndarray,
    weight: np.ndarray,
    size_key: np.ndarray,
    group_region: np.ndarray,
    group_mandate: np.ndarray,
    group_max_ask: np.ndarray,
    bloc_of_region: np.ndarray,
    may: np.ndarray,
    use_size: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Venture deal flow as per-region prefixes instead of a (groups x asks) matrix.

    Asks are laid out by region and, within a region, by size: region ``R`` holds positions
    ``block_start[R]:block_start[R+1]``; ``weight`` and ``size_key`` (``min_check_share`` x
    ask, USD B) are in that order, ``size_key`` ascending within each region. A group may
    consider a region's asks when its mandate and screening allow the region (the rule of
    :func:`venture_eligibility`), and among them the asks with ``size_key <= group_max_ask``
    (when ``use_size``) — a prefix of the region's block. So one running sum of ``weight``
    per region serves every group: a group's weight in a region is the running sum at the end
    of its prefix.

    Also a guide table per region (positions,): entry ``k`` of a region of ``m`` asks is the
    first position whose running sum is above ``k / m`` of the region's total, so a draw
    starts its search next to its answer (about two comparisons instead of a binary search).

    Returns the running sums (positions,), the guide table (positions,), each group's prefix
    length per region (G, R), its weight per region (G, R) and its total weight (G,).
    """
    n_regions = block_start.size - 1
    n_groups = group_region.size
    cum = np.empty(weight.size)
    for r in range(n_regions):
        acc = 0.0
        for j in range(block_start[r], block_start[r + 1]):
            acc += weight[j]
            cum[j] = acc
    guide = np.empty(weight.size, dtype=np.int64)
    for r in range(n_regions):
        lo, hi = block_start[r], block_start[r + 1]
        m = hi - lo
        j = lo
        for k in range(m):
            low = k * cum[hi - 1] / m
            while j < hi - 1 and cum[j] <= low:
                j += 1
            guide[lo + k] = j
    prefix = np.zeros((n_groups, n_regions), dtype=np.int64)
    region_total = np.zeros((n_groups, n_regions))
    total = np.zeros(n_groups)
    for g in range(n_groups):
        home = group_region[g]
        mandate = group_mandate[g]
        for r in range(n_regions):
            lo, hi = block_start[r], block_start[r + 1]
            if not (mandate_covers(mandate, home, r, bloc_of_region) and may[home, r]) or lo == hi:
                continue
            if use_size:  # the asks up to the group's size: first position above it
                a, b = lo, hi
                while a < b:
                    mid = (a + b) >> 1
                    if size_key[mid] <= group_max_ask[g]:
                        a = mid + 1
                    else:
                        b = mid
                hi = a
            if hi > lo:
                prefix[g, r] = hi - lo
                region_total[g, r] = cum[hi - 1]
                total[g] += cum[hi - 1]
    return cum, guide, prefix, region_total, total


@kernel
def draw_venture_offers(
    cum: np.ndarray,
    guide: np.ndarray,
    prefix: np.ndarray,
    region_total: np.ndarray,
    total: np.ndarray,
    block_start: np.ndarray,
    order: np.ndarray,
    investor: np.ndarray,
    group: np.ndarray,
    draws: np.ndarray,
    uniform: np.ndarray,
    budget: np.ndarray,
    max_check_share: np.ndarray,
    ask_busd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One offer per draw from the prefixes of :func:`venture_prefixes`.

    Draw ``i`` (investor ``investor[i]``, group ``group[i]``, ``draws[i]`` draws in all) puts
    ``uniform[i] * total[g]`` on the group's regions laid end to end, picks the region it
    falls in, then the first position of the region's prefix whose running sum is above the
    remainder (found from the guide table by a short scan either way; the last position of
    the prefix if rounding puts the remainder past its end): each eligible ask is drawn with
    probability ``weight / total``.
    ``order[position]`` is the ask. The investor offers ``min(budget / draws, max_check_share
    * ask)``; offers under 1e-9 USD B are dropped.

    Returns (investor (K,), ask (K,), amount USD B (K,)) of the offers kept, in draw order.
    """
    n_regions = region_total.shape[1]
    n = investor.size
    out_inv = np.empty(n, dtype=np.int64)
    out_ask = np.empty(n, dtype=np.int64)
    out_amt = np.empty(n)
    k = 0
    for i in range(n):
        g = group[i]
        u = uniform[i] * total[g]
        r = -1
        for q in range(n_regions):
            if region_total[g, q] > 0.0:
                r = q
                if u < region_total[g, q]:
                    break
                u -= region_total[g, q]
        if r < 0:
            continue
        lo = block_start[r]
        m = block_start[r + 1] - lo
        hi = lo + prefix[g, r]
        b = int(u / cum[lo + m - 1] * m)
        j = guide[lo + min(max(b, 0), m - 1)]
        while j < hi - 1 and cum[j] <= u:
            j += 1
        while j > lo and cum[j - 1] > u:
            j -= 1
        ask = order[min(j, hi - 1)]
        inv = investor[i]
        amount = minimum(budget[inv] / draws[i], max_check_share[inv] * ask_busd[ask])
        if amount > 1e-9:
            out_inv[k] = inv
            out_ask[k] = ask
            out_amt[k] = amount
            k += 1
    return out_inv[:k], out_ask[:k], out_amt[:k]


@kernel
def region_size_order(
    ask_region: np.ndarray, ask_amount: np.ndarray, n_regions: int
) -> tuple[np.ndarray, bool]:
    """``np.lexsort((ask_amount, ask_region))``: asks by region, then by size, ties in ask
    order — as a stable radix sort on the amounts' bits (for non-negative finite doubles the
    bit pattern orders like the value) and a counting sort on the region.

    Returns the order and True, or an empty order and False if some amount is negative,
    -0.0 or not finite (the caller then uses ``np.lexsort``).
    """
    n = ask_amount.size
    keys = ask_amount.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    for i in range(n):
        if (keys[i] & sign) != np.uint64(0) or not np.isfinite(ask_amount[i]):
            return np.empty(0, np.int64), False
    order = np.arange(n)
    spare = np.empty(n, np.int64)
    count = np.empty(257, np.int64)
    mask = np.uint64(255)
    for byte in range(8):
        shift = np.uint64(8 * byte)
        count[:] = 0
        for i in range(n):
            count[np.int64((keys[order[i]] >> shift) & mask) + 1] += 1
        trivial = False
        for d in range(256):
            if count[d + 1] == n:
                trivial = True  # every key has this byte: the pass would change nothing
        if trivial:
            continue
        for d in range(256):
            count[d + 1] += count[d]
        for i in range(n):
            d = np.int64((keys[order[i]] >> shift) & mask)
            spare[count[d]] = order[i]
            count[d] += 1
        order, spare = spare, order
    return _counting_sort(order, ask_region, n_regions), True


@kernel
def settle_rounds(
    investor: np.ndarray,
    ask: np.ndarray,
    amount: np.ndarray,
    rows: np.ndarray,
    closed: np.ndarray,
    raised: np.ndarray,
    kind: np.ndarray,
    inv_region: np.ndarray,
    lab_region: np.ndarray,
    archetype: np.ndarray,
    tie_share: float,
    tie_home: bool,
    gulf: int,
    sovereign: int,
    cloud: int,
    app: int,
    app_burn_share: float,
    quarter: int,
    ask_pre: np.ndarray,
    shares_out: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    valuation: np.ndarray,
    last_round: np.ndarray,
    failed: np.ndarray,
    raised_total: np.ndarray,
    team_cost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Book the closed rounds on the labs (in place) and return what the caller logs.

    Stake ``j`` is investor ``investor[j]`` putting ``amount[j]`` USD B into ask ``ask[j]``
    (lab row ``rows[ask[j]]``). A Gulf sovereign's stake in a lab outside the Gulf ties
    ``tie_share`` of it to data centres at home when ``tie_home`` (a Gulf cloud exists); the
    rest reaches the lab: as compute credit from a cloud (``kind == cloud``), as cash from
    anyone else, and buys shares at the round's price (pre-money over shares outstanding
    before the round). Per lab, cash, credit and shares are summed in stake order from 0.0 and
    then added. Closed asks (``closed``, raising ``raised``) set the post-money valuation,
    the last round, clear failures, add to the total raised, and an application startup hires
    for ``app_burn_share`` of the round.

    Returns per stake: lab row, tied amount, amount reaching the lab, new shares; and the
    tied total followed by the amounts by investor kind 0-3 (each summed like numpy's
    ``.sum()`` of the selection).
    """
    n_stakes = amount.size
    n_asks = rows.size
    lab_rows = np.empty(n_stakes, dtype=np.int64)
    tied = np.empty(n_stakes)
    to_lab = np.empty(n_stakes)
    new_shares = np.empty(n_stakes)
    price = np.empty(n_asks)
    for a in range(n_asks):
        r = rows[a]
        price[a] = ask_pre[r] / shares_out[r]
    add_cash = np.zeros(n_asks)
    add_credit = np.zeros(n_asks)
    add_shares = np.zeros(n_asks)
    by_kind = np.empty((4, n_stakes))
    n_kind = np.zeros(4, dtype=np.int64)
    for j in range(n_stakes):
        a = ask[j]
        r = rows[a]
        lab_rows[j] = r
        kd = kind[investor[j]]
        t = 0.0
        if (
            tie_home
            and kd == sovereign
            and inv_region[investor[j]] == gulf
            and lab_region[r] != gulf
        ):
            t = tie_share * amount[j]
        tied[j] = t
        to_lab[j] = amount[j] - t
        new_shares[j] = to_lab[j] / price[a]
        add_cash[a] += 0.0 if kd == cloud else to_lab[j]
        add_credit[a] += to_lab[j] if kd == cloud else 0.0
        add_shares[a] += new_shares[j]
        by_kind[kd, n_kind[kd]] = amount[j]
        n_kind[kd] += 1
    for a in range(n_asks):
        r = rows[a]
        cash[r] = cash[r] + add_cash[a]
        credit[r] = credit[r] + add_credit[a]
        shares_out[r] = shares_out[r] + add_shares[a]
        if closed[a]:
            valuation[r] = ask_pre[r] + raised[a]
            last_round[r] = quarter
            failed[r] = 0
            raised_total[r] = raised_total[r] + raised[a]
            if archetype[r] == app:
                team_cost[r] = maximum(team_cost[r], app_burn_share * raised[a])
    totals = np.empty(5)
    totals[0] = total(tied)
    for kd in range(4):
        totals[1 + kd] = total(by_kind[kd, : n_kind[kd]])
    return lab_rows, tied, to_lab, new_shares, totals


@kernel
def venture_groups(
    region: np.ndarray,
    mandate: np.ndarray,
    alive: np.ndarray,
    size: np.ndarray,
    n_size: int,
    first: int,
    n_investors: int,
    deal_flow_draws: int,
    max_check_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Number the alive venture funds' deal-flow groups: one per (home region, mandate, check
    size class) present, in ascending order of the key ``(region * 3 + mandate) * n_size +
    size`` (as ``np.unique``). Funds are investors ``first + i`` of the global index.

    Returns each group's region, mandate and size class, and for every investor its group
    (-1 outside), draws (0 outside) and largest share of a round (0 outside)."""
    n = region.size
    n_keys = 0
    for i in range(n):
        if alive[i]:
            key = (region[i] * 3 + mandate[i]) * n_size + size[i]
            if key + 1 > n_keys:
                n_keys = key + 1
    present = np.zeros(n_keys, dtype=np.bool_)
    for i in range(n):
        if alive[i]:
            present[(region[i] * 3 + mandate[i]) * n_size + size[i]] = True
    rank = np.empty(n_keys, dtype=np.int64)
    n_groups = 0
    for key in range(n_keys):
        rank[key] = n_groups
        if present[key]:
            n_groups += 1
    group_region = np.empty(n_groups, dtype=np.int64)
    group_mandate = np.empty(n_groups, dtype=np.int64)
    group_size = np.empty(n_groups, dtype=np.int64)
    for key in range(n_keys):
        if present[key]:
            g = rank[key]
            rm = key // n_size
            group_size[g] = key % n_size
            group_region[g] = rm // 3
            group_mandate[g] = rm % 3
    group = np.full(n_investors, -1, dtype=np.int64)
    draws = np.zeros(n_investors, dtype=np.int64)
    max_share = np.zeros(n_investors)
    for i in range(n):
        if alive[i]:
            group[first + i] = rank[(region[i] * 3 + mandate[i]) * n_size + size[i]]
            draws[first + i] = deal_flow_draws
            max_share[first + i] = max_check_share
    return group_region, group_mandate, group_size, group, draws, max_share


@kernel
def strategic_groups(
    rows: np.ndarray,
    ask_region: np.ndarray,
    ask_busd: np.ndarray,
    archetype: np.ndarray,
    partner: np.ndarray,
    app: int,
    bigtech: int,
    bloc_of_region: np.ndarray,
    may: np.ndarray,
    sovereigns: np.ndarray,
    sovereign_region: np.ndarray,
    sovereign_mandate: np.ndarray,
    sovereign_min_round: float,
    clouds: np.ndarray,
    cloud_region: np.ndarray,
    vendors: np.ndarray,
    vendor_region: np.ndarray,
    first: np.ndarray,
    n_investors: int,
    draws_by_kind: np.ndarray,
    max_share_by_kind: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deal flow of sovereign funds, clouds and chip vendors, each its own group, over the asks
    of model labs only (``cols``: asks whose lab, ``rows[ask]``, is not an application
    startup).

    Eligibility (groups in the order sovereigns, clouds, vendors; ``may[investor region, lab
    region]`` screening): a sovereign backs rounds of at least ``sovereign_min_round`` USD B in
    its mandate (``sovereign_mandate[fund, region]``); a cloud backs independent labs (not big
    tech) of its bloc that it serves or that have no cloud partner; a vendor backs independent
    labs. ``sovereigns`` etc. are table rows; ``sovereign_region`` etc. the tables' regions;
    investor ``first[kind] + row`` in the global index.

    Returns ``cols`` (C,), the eligibility matrix (groups, C), and per investor its group (-1
    outside), draws and largest share of a round (from ``draws_by_kind`` and
    ``max_share_by_kind``, indexed 0 sovereign, 1 cloud, 2 vendor; 0 outside).
    """
    n_asks = ask_region.size
    n_cols = 0
    for a in range(n_asks):
        if archetype[rows[a]] != app:
            n_cols += 1
    cols = np.empty(n_cols, dtype=np.int64)
    j = 0
    for a in range(n_asks):
        if archetype[rows[a]] != app:
            cols[j] = a
            j += 1
    n_sov, n_cld, n_ven = sovereigns.size, clouds.size, vendors.size
    eligible = np.zeros((n_sov + n_cld + n_ven, n_cols), dtype=np.bool_)
    group = np.full(n_investors, -1, dtype=np.int64)
    draws = np.zeros(n_investors, dtype=np.int64)
    max_share = np.zeros(n_investors)
    g = 0
    for i in range(n_sov):
        f = sovereigns[i]
        home = sovereign_region[f]
        for j in range(n_cols):
            a = cols[j]
            ar = ask_region[a]
            eligible[g, j] = (
                sovereign_mandate[f, ar] and ask_busd[a] >= sovereign_min_round and may[home, ar]
            )
        inv = first[0] + f
        group[inv], draws[inv], max_share[inv] = g, draws_by_kind[0], max_share_by_kind[0]
        g += 1
    for i in range(n_cld):
        cl = clouds[i]
        home = cloud_region[cl]
        for j in range(n_cols):
            a = cols[j]
            lab = rows[a]
            ar = ask_region[a]
            eligible[g, j] = (
                archetype[lab] != bigtech
                and (partner[lab] == cl or partner[lab] < 0)
                and bloc_of_region[ar] == bloc_of_region[home]
                and may[home, ar]
            )
        inv = first[1] + cl
        group[inv], draws[inv], max_share[inv] = g, draws_by_kind[1], max_share_by_kind[1]
        g += 1
    for i in range(n_ven):
        vr = vendors[i]
        home = vendor_region[vr]
        for j in range(n_cols):
            a = cols[j]
            eligible[g, j] = archetype[rows[a]] != bigtech and may[home, ask_region[a]]
        inv = first[2] + vr
        group[inv], draws[inv], max_share[inv] = g, draws_by_kind[2], max_share_by_kind[2]
        g += 1
    return cols, eligible, group, draws, max_share


@kernel
def first_cloud_partners(
    investor: np.ndarray,
    lab_rows: np.ndarray,
    amount: np.ndarray,
    kind: np.ndarray,
    cloud_kind: int,
    cloud_base: int,
    partner: np.ndarray,
    stock: np.ndarray,
) -> None:
    """A lab without a compute partner takes the cloud that invested in it this quarter as
    one (``partner``, in place, cloud rows). Among several, the one whose stake (``amount``,
    USD B) was largest, then the one with the largest fleet (raw H100e of ``stock`` summed in
    numpy's order), then the last stake in order: what assigning the stakes in
    ``np.lexsort((fleet, amount))`` order, the last write winning, gave."""
    n = investor.size
    pos = np.empty(n, np.int64)
    fleet = np.empty(n)
    k = 0
    for j in range(n):
        if kind[investor[j]] == cloud_kind and partner[lab_rows[j]] < 0:
            pos[k] = j
            fleet[k] = total(stock[investor[j] - cloud_base])
            k += 1
    for a in range(k):
        j = pos[a]
        wins = True
        for b in range(k):
            i = pos[b]
            if b == a or lab_rows[i] != lab_rows[j]:
                continue
            if amount[i] > amount[j] or (
                amount[i] == amount[j] and (fleet[b] > fleet[a] or (fleet[b] == fleet[a] and b > a))
            ):
                wins = False
                break
        if wins:
            partner[lab_rows[j]] = investor[j] - cloud_base


@kernel
def sized_venture_groups(
    region: np.ndarray,
    mandate: np.ndarray,
    alive: np.ndarray,
    check: np.ndarray,
    log2_check: np.ndarray,
    first: int,
    n_investors: int,
    deal_flow_draws: int,
    max_check_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`venture_groups` with the funds' check-size classes worked out here: a fund's
    class is ``floor(log2(check))`` (``log2_check``: numpy's log2 of the check, USD B, at
    least 1e-9) less the smallest; a group may consider asks up to twice its class's floor
    (``max_ask``, USD B: 2^(class + the smallest floor), exact). Returns each group's region,
    mandate and ``max_ask``, and each investor's group, draws and largest share of a round."""
    n = check.size
    size = np.empty(n, np.int64)
    at_min = 0
    for i in range(n):
        size[i] = np.int64(np.floor(log2_check[i]))
        if check[i] < check[at_min]:
            at_min = i
    low = size.min()
    for i in range(n):
        size[i] -= low
    n_size = size.max() + 1
    floor_min = np.int64(np.floor(log2_check[at_min]))  # the floor of log2 of the smallest check
    g_region, g_mandate, g_size, group, draws, max_share = venture_groups(
        region, mandate, alive, size, n_size, first, n_investors, deal_flow_draws, max_check_share
    )
    max_ask = np.empty(g_size.size)
    for g in range(g_size.size):
        max_ask[g] = 2.0 * math.ldexp(1.0, g_size[g] + floor_min)
    return g_region, g_mandate, max_ask, group, draws, max_share


@kernel
def record_failed_rounds(
    rows: np.ndarray,
    closed: np.ndarray,
    offered: np.ndarray,
    ask: np.ndarray,
    failed: np.ndarray,
    last_offered: np.ndarray,
    uid: np.ndarray,
    ask_pre: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The asks that did not close: each lab's count of failed rounds in a row goes up by one
    and its ``last_offered`` becomes what was offered (USD B), in place. Returns their uids,
    asks and pre-money (USD B), in ask order, for the ``round_failed`` events.

    ``rows``, ``closed``, ``offered``, ``ask``: per ask (lab row, closed, USD B offered,
    USD B asked); ``failed``, ``last_offered``, ``uid``, ``ask_pre``: lab columns."""
    k = 0
    for a in range(rows.size):
        k += not closed[a]
    uids = np.empty(k, uid.dtype)
    asks = np.empty(k)
    pres = np.empty(k)
    j = 0
    for a in range(rows.size):
        if not closed[a]:
            r = rows[a]
            failed[r] += 1
            last_offered[r] = offered[a]
            uids[j] = uid[r]
            asks[j] = ask[a]
            pres[j] = ask_pre[r]
            j += 1
    return uids, asks, pres
