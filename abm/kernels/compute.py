"""Compiled loops of the cloud compute market (``abm/markets/compute.py``).

Quantities are useful H100e for one quarter. The kernels reproduce the numpy code they replaced
bit for bit (``tests/abm/test_kernels_compute.py`` keeps that code as the reference): running
sums are accumulated in ``np.cumsum`` order, and the sorts stay in numpy (stable argsorts,
passed in).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel, maximum, minimum, total
from abm.kernels.fundraising import next_run_flop_of


@kernel
def spot_allocation(
    request: np.ndarray, supply: np.ndarray, od: np.ndarray, os_: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Priority rationing of ``request`` (B,) H100e against ``supply`` (S,) H100e, buyers in
    the order ``od`` (highest willingness to pay first), suppliers in the order ``os_``
    (cheapest first); both non-empty, requests and supplies positive.

    Returns ``filled`` (B,) H100e and the pairs ``(buyer, supplier, amount)``: the overlap of
    the buyers' cumulative demand with the suppliers' cumulative supply. Each pair is found
    as ``clear_spot`` found it: the segments between the sorted distinct breakpoints (0, the
    cumulative sums below the total, the total), each assigned by its midpoint to the first
    buyer and supplier whose cumulative sum exceeds it (``np.searchsorted(side="right")``,
    clipped to the last).
    """
    nb, ns = od.size, os_.size
    filled = np.zeros(request.size)
    cum_d = np.empty(nb)
    acc = 0.0
    for i in range(nb):
        acc += request[od[i]]
        cum_d[i] = acc
    cum_s = np.empty(ns)
    acc = 0.0
    for j in range(ns):
        acc += supply[os_[j]]
        cum_s[j] = acc
    total = cum_s[ns - 1] if cum_s[ns - 1] < cum_d[nb - 1] else cum_d[nb - 1]
    if total <= 0:
        return filled, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    for i in range(nb):
        r = request[od[i]]
        filled[od[i]] = minimum(maximum(total - (cum_d[i] - r), 0.0), r)
    # Sorted distinct breakpoints: 0, the running sums below the total (a merge), the total.
    bps = np.empty(nb + ns + 2)
    bps[0] = 0.0
    k = 1
    i = 0
    j = 0
    while True:
        di = cum_d[i] if i < nb and cum_d[i] < total else np.inf
        sj = cum_s[j] if j < ns and cum_s[j] < total else np.inf
        if di == np.inf and sj == np.inf:
            break
        if di <= sj:
            v = di
            i += 1
        else:
            v = sj
            j += 1
        if v != bps[k - 1]:
            bps[k] = v
            k += 1
    if total != bps[k - 1]:
        bps[k] = total
        k += 1
    buyer = np.empty(k - 1, np.int64)
    supplier = np.empty(k - 1, np.int64)
    amount = np.empty(k - 1)
    m = 0
    pb = 0
    ps = 0
    for t in range(k - 1):
        length = bps[t + 1] - bps[t]
        if not length > 0:
            continue
        mid = (bps[t] + bps[t + 1]) / 2.0
        while pb < nb and cum_d[pb] <= mid:
            pb += 1
        while ps < ns and cum_s[ps] <= mid:
            ps += 1
        buyer[m] = od[pb if pb < nb else nb - 1]
        supplier[m] = os_[ps if ps < ns else ns - 1]
        amount[m] = length
        m += 1
    return filled, buyer[:m], supplier[:m], amount[:m]


@kernel
def compute_requests(
    rows: np.ndarray,
    run_target: np.ndarray,
    run_age: np.ndarray,
    run_done: np.ndarray,
    last_flop: np.ndarray,
    ambition: np.ndarray,
    region: np.ndarray,
    potential_revenue: np.ndarray,
    lease_price: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    team_cost: np.ndarray,
    site_h100e: np.ndarray,
    max_run_flop: np.ndarray,
    flop_per_h100e_quarter: float,
    run_quarters: int,
    cycle: int,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
    experiment_overhead: float,
    demand_momentum: float,
    inference_per_busd: float,
    final_req: np.ndarray,
    train_req: np.ndarray,
    inf_req: np.ndarray,
) -> None:
    """``agents.lab.compute_requests`` for the lab-table ``rows``, written into ``final_req``,
    ``train_req`` and ``inf_req`` (useful H100e this quarter).

    Per row, the same operations in the same order as the numpy code: the final run's share
    (FLOP left / FLOP per H100e-quarter / quarters left, at most one site of the region's
    ``site_h100e``), research for the run worked towards (``next_run_flop`` where no run is
    planned; ``max_run_flop`` FLOP by region), inference for last quarter's potential revenue
    (USD B) grown by ``demand_momentum`` at ``inference_per_busd`` H100e per USD B, all capped
    by what cash + credit + prepaid - team cost (USD B) buys at the lease price (USD B per
    H100e-quarter): inference first, then the final run, then a cycle's share for research.
    """
    for j in range(rows.size):
        i = rows[j]
        target = run_target[i]
        age = run_age[i]
        remaining = maximum(target - run_done[i], 0.0)
        quarters_left = run_quarters - age
        if quarters_left < 1:
            quarters_left = 1
        final = 0.0
        if target > 0 and age >= 0:
            final = remaining / flop_per_h100e_quarter / quarters_left
        final = minimum(final, site_h100e[region[i]])
        if target > 0:
            working_towards = target
        else:
            ceiling = ambition[i] * max_run_flop[region[i]]
            step = maximum(run_multiple * last_flop[i], frontier_fraction * ceiling)
            working_towards = maximum(minimum(step, ceiling), entry_run_flop)
        research = experiment_overhead * working_towards / flop_per_h100e_quarter / cycle
        inference = potential_revenue[i] * demand_momentum * inference_per_busd
        price = maximum(lease_price[i], 1e-12)
        funds = cash[i] + credit[i] + prepaid[i] - team_cost[i]
        spendable = maximum(funds, 0.0) / price
        inference = minimum(inference, spendable)
        final = minimum(final, maximum(spendable - inference, 0.0))
        research = minimum(research, maximum(spendable - inference - final, 0.0) / cycle)
        final_req[i] = final
        train_req[i] = final + research
        inf_req[i] = inference


@kernel
def settle(
    rows: np.ndarray,
    buyer: np.ndarray,
    seller: np.ndarray,
    amount: np.ndarray,
    price: np.ndarray,
    amortised: np.ndarray,
    n_clouds: int,
    partner: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    inf_req: np.ndarray,
    compute_spend: np.ndarray,
    compute_cost_basis: np.ndarray,
    inf_got: np.ndarray,
    train_got: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labs pay for the compute they got (``abm.phases.compute._settle``).

    ``(buyer, seller, amount)``: allocated H100e by position in the lab-table ``rows`` and
    cloud row; ``price`` USD B per H100e-quarter and ``amortised`` (the clouds' cost basis) by
    cloud. A lab that cannot pay for all it got takes less, pro rata (the largest x in [0, 1]
    with x*other + max(x*partner - credit, 0) <= cash); at its partner it pays from prepaid
    compute, then credits, then cash. Updates ``cash``, ``credit``, ``prepaid`` (USD B) and
    writes ``compute_spend`` (USD B), ``compute_cost_basis``, ``inf_got``, ``train_got``
    (H100e) for ``rows``. Returns each pair's cost after scaling (USD B), what each cloud
    received (USD B, per pair in order, as ``np.bincount``) and the prepaid compute used at
    each cloud (USD B). The same operations in the same order as the numpy code.
    """
    k = rows.size
    npairs = buyer.size
    cost = np.empty(npairs)
    owed_p = np.zeros(k)
    owed_o = np.zeros(k)
    for e in range(npairs):
        b = buyer[e]
        cost[e] = amount[e] * price[seller[e]]
        if seller[e] == partner[rows[b]]:
            owed_p[b] += cost[e]
            owed_o[b] += 0.0
        else:
            owed_p[b] += 0.0
            owed_o[b] += cost[e]
    scale = np.empty(k)
    for j in range(k):
        i = rows[j]
        x_cash = minimum(1.0, cash[i] / owed_o[j] if owed_o[j] > 0 else 1.0)
        owed = owed_p[j] + owed_o[j]
        partner_funds = credit[i] + prepaid[i]
        x_all = minimum(1.0, (cash[i] + partner_funds) / owed if owed > 0 else 1.0)
        scale[j] = x_cash if x_cash * owed_p[j] <= partner_funds else x_all
    got = np.zeros(k)
    basis = np.zeros(k)
    received = np.zeros(n_clouds)
    for e in range(npairs):
        b = buyer[e]
        a = amount[e] * scale[b]
        cost[e] = cost[e] * scale[b]
        got[b] += a
        basis[b] += a * amortised[seller[e]]
        received[seller[e]] += cost[e]
    prepaid_used = np.zeros(n_clouds)
    for j in range(k):
        i = rows[j]
        s = scale[j]
        total = (owed_p[j] + owed_o[j]) * s
        from_prepaid = minimum(owed_p[j] * s, prepaid[i])
        from_credit = minimum(owed_p[j] * s - from_prepaid, credit[i])
        prepaid[i] = prepaid[i] - from_prepaid
        credit[i] = credit[i] - from_credit
        cash[i] = cash[i] - (total - from_prepaid - from_credit)
        p = partner[i] if partner[i] > 0 else 0
        prepaid_used[p] += from_prepaid
        compute_spend[i] = total
        compute_cost_basis[i] = basis[j]
        ig = minimum(inf_req[i], got[j])
        inf_got[i] = ig
        train_got[i] = got[j] - ig
    return cost, received, prepaid_used


@kernel
def advance_runs(
    rows: np.ndarray,
    run_target: np.ndarray,
    run_age: np.ndarray,
    run_done: np.ndarray,
    run_cost: np.ndarray,
    idle: np.ndarray,
    train_got: np.ndarray,
    inf_got: np.ndarray,
    final_req: np.ndarray,
    compute_cost_basis: np.ndarray,
    flop_per_h100e_quarter: float,
    run_quarters: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The bookkeeping part of ``agents.lab.progress_runs`` for the lab-table ``rows``.

    Each running run (target > 0, age >= 0) adds the FLOP of its final-run compute this quarter
    (H100e got, at most the final request, x FLOP per H100e-quarter; at most what is left of
    the target), and that compute's share of the lab's cost basis (USD B) to its cost; its age
    grows by one quarter. ``idle`` counts quarters without a run. Returns the rows whose run
    ended (done: within 0.1 % of target; overdue: 2 x ``run_quarters`` with some FLOP done, or
    4 x) and those among them with FLOP done, both in row order. The same operations in the
    same order as the numpy code.
    """
    ended = np.empty(rows.size, np.int64)
    n_ended = 0
    for j in range(rows.size):
        i = rows[j]
        if run_target[i] > 0 and run_age[i] >= 0:
            final_got = minimum(train_got[i], final_req[i])
            remaining = maximum(run_target[i] - run_done[i], 0.0)
            run_done[i] = run_done[i] + minimum(final_got * flop_per_h100e_quarter, remaining)
            used = train_got[i] + inf_got[i]
            run_cost[i] = run_cost[i] + (
                compute_cost_basis[i] * final_got / used if used > 0 else 0.0
            )
            run_age[i] = run_age[i] + 1
            age = run_age[i]
            done_flop = run_done[i]
            if (
                (done_flop >= 0.999 * run_target[i])
                or ((age >= 2 * run_quarters) and (done_flop > 0))
                or (age >= 4 * run_quarters)
            ):
                ended[n_ended] = i
                n_ended += 1
        idle[i] = 0 if run_target[i] > 0 else idle[i] + 1
    ended = ended[:n_ended]
    done = np.empty(n_ended, np.int64)
    n_done = 0
    for e in range(n_ended):
        if run_done[ended[e]] > 0:
            done[n_done] = ended[e]
            n_done += 1
    return ended, done[:n_done]


@kernel
def choose_runs(
    rows: np.ndarray,
    run_target: np.ndarray,
    run_age: np.ndarray,
    idle: np.ndarray,
    ambition: np.ndarray,
    region: np.ndarray,
    last_flop: np.ndarray,
    lease_price: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    max_run_flop: np.ndarray,
    flop_per_h100e_quarter: float,
    run_gap_quarters: int,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
    training_cash_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model labs (``rows``) that start planning a run now, with its size (FLOP) and its
    cost (USD B at the lab's expected lease price), before compute-threshold rules.

    Runs waiting for clearance count down first (``run_age`` += 1 in place). A lab between
    runs, idle for at least ``run_gap_quarters``, aims at ``next_run_flop`` and sizes the run
    to ``training_cash_share`` of its cash, credits and prepaid compute; it starts if that is at
    least half its aim, or if it has been idle a year and the run is 1.5x its last and above
    the entry size.
    """
    for j in range(rows.size):
        i = rows[j]
        if run_target[i] > 0 and run_age[i] < 0:
            run_age[i] += 1
    chosen = np.empty(rows.size, np.int64)
    size = np.empty(rows.size)
    cost = np.empty(rows.size)
    k = 0
    for j in range(rows.size):
        i = rows[j]
        if not (run_target[i] <= 0 and idle[i] >= run_gap_quarters):
            continue
        ceiling = ambition[i] * max_run_flop[region[i]]
        step = maximum(run_multiple * last_flop[i], frontier_fraction * ceiling)
        target = maximum(minimum(step, ceiling), entry_run_flop)
        flop_cost = lease_price[i] / flop_per_h100e_quarter
        budget = training_cash_share * (cash[i] + credit[i] + prepaid[i])
        s = minimum(target, budget / maximum(flop_cost, 1e-300))
        if (s >= 0.5 * target) or (idle[i] >= 4 and s > 1.5 * last_flop[i] and s > entry_run_flop):
            chosen[k] = i
            size[k] = s
            cost[k] = s * lease_price[i] / flop_per_h100e_quarter
            k += 1
    return chosen[:k], size[:k], cost[:k]


@kernel
def funded_rows(
    rows: np.ndarray,
    archetype: np.ndarray,
    parent: np.ndarray,
    patron: np.ndarray,
    bigtech: int,
    champion: int,
    challenger: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model labs (``rows``, alive, ascending) funded from outside the capital market, in
    order: big-tech labs with a parent cloud, labs with an outside patron, and state-backed
    labs (champions and challengers). Application startups have neither parents nor patrons
    (the labs table is checked for patrons as it loads)."""
    kids = np.empty(rows.size, dtype=np.int64)
    patrons = np.empty(rows.size, dtype=np.int64)
    state = np.empty(rows.size, dtype=np.int64)
    n_kids = n_patrons = n_state = 0
    for i in rows:
        a = archetype[i]
        if a == bigtech and parent[i] >= 0:
            kids[n_kids] = i
            n_kids += 1
        if patron[i] > 0:
            patrons[n_patrons] = i
            n_patrons += 1
        if a in (champion, challenger):
            state[n_state] = i
            n_state += 1
    return kids[:n_kids], patrons[:n_patrons], state[:n_state]


@kernel
def _spot_pool(
    want: np.ndarray,
    wtp: np.ndarray,
    members: np.ndarray,
    left: np.ndarray,
    got: np.ndarray,
    capacity: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clear one spot pool (``abm.phases.compute._spot``): buyers with ``want`` > 0 (H100e)
    ranked by willingness to pay take the member clouds' capacity ``left``, cheapest first.

    The pool's unmet demand is spread over its members' ``demand`` by capacity share (the
    expansion signal). Updates ``left``, ``got`` and ``demand`` in place; returns the pairs
    (buyer position, cloud row, H100e) in allocation order.
    """
    n_b = 0
    for i in range(want.size):
        if want[i] > 0:
            n_b += 1
    b = np.empty(n_b, np.int64)
    k = 0
    for i in range(want.size):
        if want[i] > 0:
            b[k] = i
            k += 1
    n_s = 0
    n_members = 0
    for h in range(members.size):
        if members[h]:
            n_members += 1
            if left[h] > 0:
                n_s += 1
    none = np.empty(0, np.int64)
    if n_b == 0:
        return none, none, np.empty(0)
    member_cap = np.empty(n_members)
    s_rows = np.empty(n_s, np.int64)
    k = 0
    j = 0
    for h in range(members.size):
        if members[h]:
            member_cap[k] = capacity[h]
            k += 1
            if left[h] > 0:
                s_rows[j] = h
                j += 1
    total_cap = total(member_cap)
    if total_cap > 0:
        wanted = np.empty(n_b)
        for i in range(n_b):
            wanted[i] = want[b[i]]
        unmet = total(wanted)
        for h in range(members.size):
            demand[h] = demand[h] + (capacity[h] / total_cap if members[h] else 0.0) * unmet
    if n_s == 0:
        return none, none, np.empty(0)
    request = np.empty(n_b)
    neg_wtp = np.empty(n_b)
    for i in range(n_b):
        request[i] = want[b[i]]
        neg_wtp[i] = -wtp[b[i]]
    supply = np.empty(n_s)
    ask_price = np.empty(n_s)
    for j in range(n_s):
        supply[j] = left[s_rows[j]]
        ask_price[j] = price[s_rows[j]]
    od = np.argsort(neg_wtp, kind="mergesort")
    os_ = np.argsort(ask_price, kind="mergesort")
    filled, bi, si, amount = spot_allocation(request, supply, od, os_)
    for i in range(n_b):
        got[b[i]] = got[b[i]] + filled[i]
    buyer = np.empty(bi.size, np.int64)
    seller = np.empty(si.size, np.int64)
    for j in range(si.size):
        h = s_rows[si[j]]
        left[h] = left[h] - amount[j]
        buyer[j] = b[bi[j]]
        seller[j] = h
    return buyer, seller, amount


@kernel
def lease_market(
    request: np.ndarray,
    partner: np.ndarray,
    is_cn_lab: np.ndarray,
    funds: np.ndarray,
    alive: np.ndarray,
    capacity: np.ndarray,
    price: np.ndarray,
    pools: np.ndarray,
    cn_remote_access: float,
    demand: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both stages of the compute market for the model labs (``abm.phases.compute.run``).

    Stage 1: each partner cloud shares its capacity (0 if dead) among its labs, pro rata
    (``abm.markets.compute.serve_partners``); ``demand`` (H,) is set to what partner labs
    asked of each cloud. Stage 2: the rest clears on the spot pools (``pools`` (2, H): the
    open clouds outside and inside China) by :func:`_spot_pool`, willingness to pay being
    ``funds`` (cash and credits, USD B) per H100e wanted; Chinese labs rent leftover capacity
    of the first pool up to ``cn_remote_access`` of what they still lack.

    ``request`` (L,) H100e, ``partner`` (L,) cloud row or -1. Returns every allocation as
    (buyer position in the labs, cloud row, H100e): partner fills first, in lab order, then
    each pool's pairs.
    """
    n_l, n_h = request.size, capacity.size
    cap = np.empty(n_h)
    for h in range(n_h):
        cap[h] = capacity[h] if alive[h] else 0.0
    wanted = np.zeros(n_h)
    for i in range(n_l):
        wanted[partner[i] if partner[i] >= 0 else 0] += request[i] if partner[i] >= 0 else 0.0
    got = np.empty(n_l)
    used = np.zeros(n_h)
    n_served = 0
    for i in range(n_l):
        p = partner[i]
        if p >= 0:
            fill = cap[p] / wanted[p] if wanted[p] > 0 else 1.0
            got[i] = request[i] * minimum(1.0, fill)
        else:
            got[i] = 0.0
        used[p if p >= 0 else 0] += got[i]
        if got[i] > 0:
            n_served += 1
    left = np.empty(n_h)
    for h in range(n_h):
        left[h] = maximum(cap[h] - used[h], 0.0)
        demand[h] = wanted[h]
    buyer = np.empty(n_served, np.int64)
    seller = np.empty(n_served, np.int64)
    amount = np.empty(n_served)
    k = 0
    for i in range(n_l):
        if got[i] > 0:
            buyer[k] = i
            seller[k] = partner[i]
            amount[k] = got[i]
            k += 1
    want = np.empty(n_l)
    wtp = np.empty(n_l)
    rest = np.empty(n_l)
    for i in range(n_l):
        rest[i] = request[i] - got[i]
        wtp[i] = funds[i] / maximum(request[i], 1e-9)
    for pool in range(3):
        if pool == 2 and not cn_remote_access > 0:
            break
        for i in range(n_l):
            if pool < 2:
                inside = is_cn_lab[i] if pool == 1 else not is_cn_lab[i]
                want[i] = rest[i] * (1.0 if inside and rest[i] > 0 else 0.0)
            else:
                shortfall = (request[i] - got[i]) * (1.0 if is_cn_lab[i] else 0.0)
                want[i] = shortfall * cn_remote_access
        b, s, a = _spot_pool(want, wtp, pools[pool % 2], left, got, capacity, price, demand)
        buyer = np.concatenate((buyer, b))
        seller = np.concatenate((seller, s))
        amount = np.concatenate((amount, a))
    return buyer, seller, amount


@kernel
def fund_labs(
    kids: np.ndarray,
    parent: np.ndarray,
    cloud_region: np.ndarray,
    growth_term: np.ndarray,
    parent_ai_share: float,
    parent_ai_share_max: float,
    opcf: np.ndarray,
    patron_rows: np.ndarray,
    patron: np.ndarray,
    state_backed: np.ndarray,
    lab_region: np.ndarray,
    team_cost: np.ndarray,
    grants: np.ndarray,
    cash: np.ndarray,
    inflow: np.ndarray,
    parents: int,
    states: int,
) -> None:
    """Parents, patrons and states fund their labs (``abm.phases.compute.fund_labs``).

    Big-tech labs (``kids``): ``min(parent_ai_share x growth_term[parent's region],
    parent_ai_share_max)`` of the parent cloud's cash flow ``opcf``, split evenly among its
    labs, paid while the lab holds less than four quarters of it (``growth_term``: AI
    spending growth in each region raised to the elasticity). Patron-backed labs receive their
    ``patron`` payment. Each region's ``grants`` (USD B) go to its ``state_backed`` labs in
    proportion to their staff cost (at least 1e-6). Money in from the parents' and states'
    accounts; sums in numpy's order.
    """
    n_c = opcf.size
    siblings = np.zeros(n_c, np.int64)
    for j in range(kids.size):
        siblings[parent[kids[j]]] += 1
    give = np.empty(kids.size)
    for j in range(kids.size):
        i = kids[j]
        p = parent[i]
        share = minimum(parent_ai_share * growth_term[cloud_region[p]], parent_ai_share_max)
        budget = share * opcf[p] / siblings[p]
        give[j] = budget if cash[i] < 4.0 * budget else 0.0
        cash[i] = cash[i] + give[j]
    if kids.size:
        inflow[parents] += total(give)
    if patron_rows.size:
        paid = np.empty(patron_rows.size)
        for j in range(patron_rows.size):
            i = patron_rows[j]
            paid[j] = patron[i]
            cash[i] = cash[i] + patron[i]
        inflow[parents] += total(paid)
    weight = np.empty(state_backed.size)
    who = np.empty(state_backed.size, np.int64)
    for r in range(grants.size):
        if not grants[r] > 0:
            continue
        k = 0
        for j in range(state_backed.size):
            i = state_backed[j]
            if lab_region[i] == r:
                who[k] = i
                weight[k] = maximum(team_cost[i], 1e-6)
                k += 1
        if k == 0:
            continue
        whole = total(weight[:k])
        for j in range(k):
            weight[j] = grants[r] * weight[j] / whole
            cash[who[j]] = cash[who[j]] + weight[j]
        inflow[states] += total(weight[:k])


@kernel
def absorb_algorithms(
    rows: np.ndarray,
    algo: np.ndarray,
    archetype: np.ndarray,
    region: np.ndarray,
    bloc_of_region: np.ndarray,
    leaders: np.ndarray,
    leader_bloc: int,
    frontier: float,
    absorb_rate: float,
    open_algo: float,
    open_keep: float,
) -> None:
    """Model labs' algorithmic efficiency (log10, in place): labs of the ``leaders``
    archetypes in the leading bloc set the ``frontier``; the others close ``absorb_rate`` of
    their gap to it each quarter, reach at least the best open-weight release less
    ``open_keep`` (1 - ``open_weight_absorb``) of their gap to it (when there is one,
    ``open_algo`` finite), and never pass the frontier."""
    has_open = np.isfinite(open_algo)
    for j in range(rows.size):
        i = rows[j]
        a = algo[i]
        new = a + absorb_rate * maximum(frontier - a, 0.0)
        if has_open:
            new = maximum(new, open_algo - open_keep * maximum(open_algo - a, 0.0))
        leader = bloc_of_region[region[i]] == leader_bloc
        if leader:
            leader = False
            for t in range(leaders.size):
                if archetype[i] == leaders[t]:
                    leader = True
        algo[i] = frontier if leader else minimum(new, frontier)


@kernel
def next_run_flop(
    rows: np.ndarray,
    ambition: np.ndarray,
    region: np.ndarray,
    last_flop: np.ndarray,
    max_run_flop: np.ndarray,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
) -> np.ndarray:
    """FLOP of the next run each of ``rows`` would plan now (see
    :func:`agents.lab.next_run_flop`): its last run times ``run_multiple``, or
    ``frontier_fraction`` of its ceiling if larger, within the ceiling (``ambition`` x the
    largest run a site of its region allows, ``max_run_flop``) and at least the entry run."""
    out = np.empty(rows.size)
    for j in range(rows.size):
        i = rows[j]
        out[j] = next_run_flop_of(
            ambition[i],
            max_run_flop[region[i]],
            last_flop[i],
            run_multiple,
            frontier_fraction,
            entry_run_flop,
        )
    return out


@kernel
def expected_prices(
    rows: np.ndarray,
    lab_region: np.ndarray,
    partner: np.ndarray,
    lease_price: np.ndarray,
    alive: np.ndarray,
    captive: np.ndarray,
    public: np.ndarray,
    cloud_region: np.ndarray,
    capacity: np.ndarray,
    price: np.ndarray,
    cn: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The spot pools and the price a model lab expects to pay.

    Pools: the open clouds (alive, not captive, not public) outside China and in China,
    (2, H). Each pool's price is its capacity-weighted price (``np.average``: both sums in
    numpy's order), or the highest price of any cloud if it has no capacity. A lab expects
    its partner's price, else its pool's (``lease_price`` of ``rows``, in place). Returns the
    pools, the two pool prices and whether each lab of ``rows`` is Chinese.
    """
    n_h = alive.size
    pools = np.zeros((2, n_h), np.bool_)
    pool_price = np.empty(2)
    weighted = np.empty(n_h)
    cap = np.empty(n_h)
    highest = price[0] if n_h else -np.inf
    for h in range(1, n_h):
        highest = maximum(highest, price[h])
    for p in range(2):
        k = 0
        for h in range(n_h):
            if (
                alive[h]
                and not captive[h]
                and not public[h]
                and (cloud_region[h] == cn) == (p == 1)
            ):
                pools[p, h] = True
                weighted[k] = price[h] * capacity[h]
                cap[k] = capacity[h]
                k += 1
        whole = total(cap[:k])
        pool_price[p] = total(weighted[:k]) / whole if whole > 0 else highest
    is_cn = np.empty(rows.size, np.bool_)
    for j in range(rows.size):
        i = rows[j]
        is_cn[j] = lab_region[i] == cn
        if partner[i] >= 0:
            lease_price[i] = price[partner[i]]
        else:
            lease_price[i] = pool_price[1] if is_cn[j] else pool_price[0]
    return pools, pool_price, is_cn


@kernel
def start_runs(
    idx: np.ndarray,
    size: np.ndarray,
    comply_cost: np.ndarray,
    delay: np.ndarray,
    cash: np.ndarray,
    run_target: np.ndarray,
    run_done: np.ndarray,
    run_cost: np.ndarray,
    run_age: np.ndarray,
    outflow: np.ndarray,
    governments: int,
) -> None:
    """Labs ``idx`` start planned runs of ``size`` FLOP: they pay what compliance costs (at
    most their cash, to the governments' account) and wait ``delay`` quarters for clearance
    (a negative run age)."""
    pay = np.empty(idx.size)
    for j in range(idx.size):
        i = idx[j]
        pay[j] = minimum(comply_cost[j], cash[i])
        cash[i] = cash[i] - pay[j]
        run_target[i] = size[j]
        run_done[i] = 0.0
        run_cost[i] = 0.0
        run_age[i] = -delay[j]
    outflow[governments] += total(pay)


@kernel
def contracts(
    rows: np.ndarray,
    partner: np.ndarray,
    lease_price: np.ndarray,
    cash: np.ndarray,
    credit: np.ndarray,
    prepaid: np.ndarray,
    run_target: np.ndarray,
    train_req: np.ndarray,
    inf_req: np.ndarray,
    ambition: np.ndarray,
    region: np.ndarray,
    last_flop: np.ndarray,
    max_run_flop: np.ndarray,
    run_multiple: float,
    frontier_fraction: float,
    entry_run_flop: float,
    overhead_factor: float,
    flop_per_h100e_quarter: float,
    cycle: int,
    contracted: np.ndarray,
) -> None:
    """Partner labs' planned training and inference per quarter (H100e), summed per partner
    cloud into ``contracted`` (each cloud's in lab order): a running or planned run's request,
    else the next run (:func:`next_run_flop`, times ``overhead_factor`` for experiments)
    spread over a run cycle, at most what the lab can afford at its expected price."""
    k = 0
    for j in range(rows.size):
        if partner[rows[j]] >= 0:
            k += 1
    part = np.empty(k, np.int64)
    j2 = 0
    for j in range(rows.size):
        if partner[rows[j]] >= 0:
            part[j2] = rows[j]
            j2 += 1
    flop = next_run_flop(
        part,
        ambition,
        region,
        last_flop,
        max_run_flop,
        run_multiple,
        frontier_fraction,
        entry_run_flop,
    )
    for h in range(contracted.size):
        contracted[h] = 0.0
    for j in range(k):
        i = part[j]
        price = maximum(lease_price[i], 1e-12)
        affordable = (cash[i] + credit[i] + prepaid[i]) / price / cycle
        planned = minimum(flop[j] * overhead_factor / flop_per_h100e_quarter / cycle, affordable)
        per_quarter = (train_req[i] if run_target[i] > 0 else planned) + inf_req[i]
        contracted[partner[i]] += per_quarter


@kernel
def finish_runs(
    done: np.ndarray,
    ended: np.ndarray,
    log10_flop: np.ndarray,
    run_target: np.ndarray,
    run_done: np.ndarray,
    run_cost: np.ndarray,
    run_age: np.ndarray,
    algo: np.ndarray,
    best_flop: np.ndarray,
    best_cost: np.ndarray,
    capability: np.ndarray,
    last_flop: np.ndarray,
    open_weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Completed runs (``done``) become the labs' models; ended runs (``ended``) are cleared.

    A completed run of more FLOP than the lab's best sets its best run and its cost; its
    capability is at least log10 FLOP (``log10_flop``, numpy's, aligned with ``done``) plus the
    lab's algorithmic efficiency. Returns the completed runs' FLOP and cost (USD B), the best
    algorithmic efficiency among open-weight labs that released (-inf if none) and the
    position of the largest run (the first if tied; -1 if none)."""
    k = done.size
    flop = np.empty(k)
    cost = np.empty(k)
    open_best = -np.inf
    any_open = False
    top = -1
    for j in range(k):
        i = done[j]
        flop[j] = run_done[i]
        cost[j] = run_cost[i]
        cap = log10_flop[j] + algo[i]
        if flop[j] > best_flop[i]:
            best_cost[i] = cost[j]
        best_flop[i] = maximum(best_flop[i], flop[j])
        capability[i] = maximum(capability[i], cap)
        last_flop[i] = flop[j]
        if open_weight[i]:
            open_best = algo[i] if not any_open else maximum(open_best, algo[i])
            any_open = True
        if top < 0 or flop[j] > flop[top]:
            top = j
    for j in range(ended.size):
        i = ended[j]
        run_target[i] = 0.0
        run_done[i] = 0.0
        run_age[i] = 0
    return flop, cost, open_best, top


@kernel
def threshold_compliance(
    size: np.ndarray,
    run_cost: np.ndarray,
    lab_region: np.ndarray,
    appeal: np.ndarray,
    threshold_flop: np.ndarray,
    cost_share: np.ndarray,
    fixed_cost: np.ndarray,
    delay_quarters: np.ndarray,
    bunching_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute-threshold rules applied to planned runs (:meth:`abm.policy.Policy.compliance`
    has the rule): ``size`` (K,) FLOP, ``run_cost`` (K,) USD B, ``lab_region`` (K,); per market
    (M,) the threshold (FLOP), the cost share, the fixed cost (USD B) and the delay (quarters);
    ``appeal`` (R, M) where each region's labs sell.

    A run is covered in a market it sells in whose threshold it reaches. Its cost is the sum,
    over the markets in order, of (covered) x (cost share x run cost + fixed cost) — numpy's
    row sum, sequential for fewer than eight markets. Returns the (possibly reduced) sizes,
    the compliance costs and the delays (int16), as the numpy expressions gave them.
    """
    k, m = size.size, threshold_flop.size
    out_size = size.copy()
    cost = np.zeros(k)
    delay = np.zeros(k, np.int16)
    covered = np.zeros((k, m), np.bool_)
    anywhere = False
    for j in range(k):
        for r in range(m):
            covered[j, r] = appeal[lab_region[j], r] > 0 and size[j] >= threshold_flop[r]
            anywhere = anywhere or covered[j, r]
    if not anywhere:  # no run reaches a rule: nothing to pay, nothing delayed
        return out_size, cost, delay
    for j in range(k):
        c = 0.0
        lowest = np.inf
        covers = False
        for r in range(m):
            term = (1.0 if covered[j, r] else 0.0) * (cost_share[r] * run_cost[j] + fixed_cost[r])
            c = term if r == 0 else c + term
            if covered[j, r]:
                covers = True
                lowest = min(lowest, threshold_flop[r])
        # Train just under the lowest covering threshold when compliance is too dear.
        if covers and c > bunching_share * run_cost[j] and size[j] < 2.0 * lowest:
            out_size[j] = 0.99 * lowest
            continue  # cost 0, no delay
        cost[j] = c
        longest = 0
        for r in range(m):
            if covered[j, r]:
                longest = max(longest, delay_quarters[r])
        delay[j] = longest
    return out_size, cost, delay
