"""The compiled holdings and demography kernels give bit for bit what the numpy code they
replaced gave. The references below are that numpy code as it was at commit 7020eed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep import assert_lockstep

from abm import AIMarketModel
from abm.holdings import Holdings
from abm.kernels import demography
from abm.phases import demography as demography_phase
from agents.lab import APP, ARCHETYPES, BIGTECH, BLOC, CHALLENGER, CHAMPION, FRONTIER, OPEN_WEIGHT


def reference_value_by_investor(h, price_per_share, investors, n_investors, since):
    out = np.zeros(n_investors)
    if h.n == 0 or investors.size == 0:
        return out
    wanted = np.zeros(n_investors, dtype=bool)
    wanted[investors] = True
    inv = h.investor[: h.n]
    idx = np.flatnonzero(wanted[inv])
    idx = idx[h.quarter[idx] >= since[inv[idx]]]
    value = h.shares[idx] * price_per_share[h.lab[idx]]
    return np.bincount(inv[idx], weights=value, minlength=n_investors)


def reference_exit_candidates(a, quarter, max_failed):
    stillborn = (
        a["alive"] & (a["raised_total"] <= 0) & (a["first_ask"] > 0) & (quarter - a["entered"] >= 2)
    )
    protected = (a["archetype"] == BIGTECH) | (a["patron"] > 0)
    broke = a["cash"] + a["credit"] + a["prepaid"] < 0.5 * a["team_cost"] + 1e-6
    ok = a["alive"] & ~protected & ~stillborn
    failing = ok & broke & (a["failed"] > max_failed)
    failing |= ok & (a["cash"] + a["credit"] <= 1e-9) & (a["raised_total"] > 0)
    return np.flatnonzero(failing), np.flatnonzero(stillborn)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_stakes=st.integers(0, 300), n_inv=st.integers(1, 20))
def test_marked_value_matches_numpy(seed, n_stakes, n_inv):
    rng = np.random.default_rng(seed)
    h = Holdings(capacity=4)
    for q in range(4):
        k = n_stakes // 4
        h.add(rng.integers(0, n_inv, k), rng.integers(0, 12, k), rng.lognormal(0, 1, k), q)
    price = np.where(rng.random(12) < 0.2, 0.0, rng.lognormal(0, 1, 12))
    investors = np.unique(rng.integers(0, n_inv, rng.integers(0, n_inv + 1)))
    since = rng.integers(0, 4, n_inv)
    got = h.value_by_investor(price, investors, n_inv, since)
    want = reference_value_by_investor(h, price, investors, n_inv, since)
    assert got.tobytes() == want.tobytes()


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_inv=st.integers(1, 20))
def test_marked_value_with_late_old_stakes_and_compaction(seed, n_inv):
    """Break-ups append stakes bought in earlier quarters, and compaction drops stakes; the scan
    that starts at the first stake bought since the oldest vintage still sees every one."""
    rng = np.random.default_rng(seed)
    h = Holdings(capacity=4)
    for q in range(12):
        k = int(rng.integers(0, 30))
        h.add(rng.integers(0, n_inv, k), rng.integers(0, 12, k), rng.lognormal(0, 1, k), q)
        if rng.random() < 0.3:  # a break-up re-books old stakes under today's entries
            old = int(rng.integers(0, q + 1))
            h.add(rng.integers(0, n_inv, 5), rng.integers(0, 12, 5), rng.lognormal(0, 1, 5), old)
        if rng.random() < 0.2:  # the lab table is compacted: some labs' stakes go
            h.remap_labs(np.where(rng.random(12) < 0.3, -1, np.arange(12)))
        price = rng.lognormal(0, 1, 12)
        investors = np.unique(rng.integers(0, n_inv, rng.integers(1, n_inv + 1)))
        since = rng.integers(0, q + 2, n_inv)
        got = h.value_by_investor(price, investors, n_inv, since)
        want = reference_value_by_investor(h, price, investors, n_inv, since)
        assert got.tobytes() == want.tobytes()


def reference_remap_labs(h, mapping):
    """``Holdings.remap_labs`` as numpy code (commit 2dce04a): arrays and ``_rise_at``."""
    lab = mapping[h.lab[: h.n]]
    keep = lab >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    return (
        h.investor[: h.n][keep].copy(),
        lab[keep],
        h.shares[: h.n][keep].copy(),
        h.quarter[: h.n][keep].copy(),
        kept_before[h._rise_at].tolist(),
    )


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), drop=st.floats(0.0, 1.0))
def test_remap_labs_matches_numpy(seed, drop):
    rng = np.random.default_rng(seed)
    h = Holdings(capacity=4)
    for q in range(8):
        k = int(rng.integers(0, 20))
        h.add(rng.integers(0, 9, k), rng.integers(0, 15, k), rng.lognormal(0, 1, k), q)
    mapping = np.where(rng.random(15) < drop, -1, np.arange(15))
    investor, lab, shares, quarter, rise_at = reference_remap_labs(h, mapping)
    h.remap_labs(mapping)
    assert h.n == lab.size
    assert (h.investor[: h.n] == investor).all() and (h.lab[: h.n] == lab).all()
    assert h.shares[: h.n].tobytes() == shares.tobytes()
    assert (h.quarter[: h.n] == quarter).all()
    assert h._rise_at == rise_at


def reference_stakes_in(h, lab_rows):
    """``Holdings.stakes_in`` as numpy code (commit 2dce04a)."""
    lab = h.lab[: h.n]
    position = np.full(int(max(lab.max(), lab_rows.max())) + 1, -1, dtype=np.int64)
    position[lab_rows] = np.arange(len(lab_rows))
    which = position[lab]
    idx = np.flatnonzero(which >= 0)
    return idx, which[idx]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_stakes=st.integers(1, 200), n_rows=st.integers(1, 10))
def test_stakes_in_matches_numpy(seed, n_stakes, n_rows):
    rng = np.random.default_rng(seed)
    h = Holdings(capacity=4)
    h.add(rng.integers(0, 9, n_stakes), rng.integers(0, 30, n_stakes), np.ones(n_stakes), 0)
    lab_rows = rng.permutation(40)[:n_rows]  # distinct rows, some beyond any stake's lab
    idx, pos = h.stakes_in(lab_rows)
    want_idx, want_pos = reference_stakes_in(h, lab_rows)
    assert idx.tolist() == want_idx.tolist() and pos.tolist() == want_pos.tolist()


def test_first_bought_since_skips_only_older_stakes():
    h = Holdings(capacity=4)
    h.add(np.array([0, 1]), np.array([0, 1]), np.ones(2), 3)
    h.add(np.array([2]), np.array([2]), np.ones(1), 5)
    h.add(np.array([3]), np.array([3]), np.ones(1), 2)  # a break-up books a quarter-2 stake late
    assert h.first_bought_since(0) == 0
    assert h.first_bought_since(4) == 2
    assert h.first_bought_since(5) == 2
    assert h.first_bought_since(6) == 4
    assert all(h.quarter[i] < 4 for i in range(h.first_bought_since(4)))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200))
def test_exit_candidates_matches_numpy(seed, n):
    rng = np.random.default_rng(seed)

    def money():  # many exact zeros and values at the thresholds
        return rng.choice([0.0, 1e-9, 1e-6, 0.5, 1.0], n) * (rng.random(n) < 0.7)

    a = {
        "alive": rng.random(n) < 0.8,
        "archetype": rng.integers(0, len(ARCHETYPES), n).astype(np.int8),
        "patron": rng.choice([0.0, 1.0], n, p=[0.9, 0.1]),
        "raised_total": money(),
        "first_ask": money(),
        "entered": rng.integers(0, 10, n).astype(np.int32),
        "cash": money(),
        "credit": money(),
        "prepaid": money(),
        "team_cost": money(),
        "failed": rng.integers(0, 5, n).astype(np.int16),
    }
    got = demography.exit_candidates(*a.values(), 8, 2)
    want = reference_exit_candidates(a, 8, 2)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.astype(np.int64).tobytes()


def test_entry_region_draw_is_rng_choice():
    """Entrants' regions are drawn as ``Generator.choice`` with probabilities draws them: the
    same regions from the same stream, which stays aligned afterwards."""
    for seed in range(200):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        weights = np.random.default_rng(10_000 + seed).random(5) + 1e-3
        count = 1 + seed % 37
        p = weights / weights.sum()
        want = theirs.choice(5, size=count, p=p)
        cdf = p.cumsum()
        cdf /= cdf[-1]
        got = cdf.searchsorted(ours.random(count), side="right")
        assert np.array_equal(got, want)
        assert ours.random() == theirs.random()


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 400), n_funds=st.integers(1, 300))
def test_entrants_match_the_numpy_expressions(seed, count, n_funds):
    """Entrants' regions, archetypes and first asks from their draws equal the numpy
    expressions ``_entry`` used before ``kernels.demography.entrants`` (commit 5dc6eed)."""
    from abm.kernels.demography import entrants

    rng = np.random.default_rng(seed)
    region_of_fund = rng.integers(0, 5, n_funds).astype(np.int8)
    dry = np.where(rng.random(n_funds) < 0.2, 0.0, rng.lognormal(0.0, 2.0, n_funds))
    u_region, u_model = rng.random(count), rng.random(count)
    pedigree, app_draw = rng.lognormal(0.0, 0.6, count), rng.lognormal(0.0, 0.7, count)
    share, ticket_share, frontier_cost, seed_busd = rng.random(), 0.02, rng.lognormal(), 0.003
    by_region = np.bincount(region_of_fund, weights=dry, minlength=5) + 0.02 * dry.sum() / 5
    with np.errstate(invalid="ignore"):  # no dry powder at all: 0/0, every entrant in region 0
        cdf = (by_region / by_region.sum()).cumsum()
        cdf /= cdf[-1]
    want_region = cdf.searchsorted(u_region, side="right")
    is_model = u_model < share
    want_ask = np.where(
        is_model,
        np.maximum(ticket_share * frontier_cost * pedigree, 0.01),
        seed_busd * pedigree * app_draw,
    )
    region, archetype, ask = entrants(
        region_of_fund, dry, 5, u_region, u_model, pedigree, app_draw,
        share, ticket_share * frontier_cost, seed_busd, 4, 5,
    )  # fmt: skip
    assert region.tobytes() == want_region.tobytes()
    assert archetype.tolist() == np.where(is_model, 4, 5).tolist()
    assert ask.tobytes() == want_ask.tobytes()


def test_price_per_share_is_the_numpy_expression():
    """Price per share in one pass equals ``np.where(alive, mark / shares_out, 0.0)`` byte for
    byte, dead rows with zero shares included."""
    from abm.kernels.holdings import price_per_share

    rng = np.random.default_rng(3)
    n = 5000
    alive = rng.random(n) < 0.8
    mark = rng.lognormal(0.0, 3.0, n)
    shares = np.where(alive, rng.lognormal(0.0, 1.0, n), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.where(alive, mark / shares, 0.0)
    assert price_per_share(alive, mark, shares).tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_retire_labs_matches_numpy(seed, n):
    """Closing labs in one pass books what the numpy code did: credits back to partner clouds
    in row order, leftover cash and orphan credits summed, every closed row zeroed."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(n)[: int(rng.integers(0, n + 1))]
    partner = np.where(rng.random(n) < 0.4, -1, rng.integers(0, 6, n))
    cash, credit = rng.lognormal(0, 1, n), np.where(rng.random(n) < 0.5, 0.0, rng.random(n))
    cloud_cash = rng.lognormal(0, 1, 6)
    cols = [rng.random(n) for _ in range(3)]
    share = rng.random((n, 5))
    alive, exited = np.ones(n, dtype=bool), np.full(n, -1, dtype=np.int32)
    want_cloud = cloud_cash.copy()
    want_cash_left = cash[rows].sum()
    has_credit = rows[(credit[rows] > 0) & (partner[rows] >= 0)]
    np.add.at(want_cloud, partner[has_credit], credit[has_credit])
    want_orphan = credit[rows[(credit[rows] > 0) & (partner[rows] < 0)]].sum()
    keep = np.ones(n, dtype=bool)
    keep[rows] = False
    before = [a.copy() for a in (cash, credit, share, *cols)]
    got = demography.retire_labs(
        rows, 7, partner, cloud_cash, cash, credit, alive, exited, share, tuple(cols)
    )
    assert got == (want_cash_left, want_orphan)
    assert cloud_cash.tobytes() == want_cloud.tobytes()
    for after, old in zip((cash, credit, share, *cols), before, strict=True):
        assert not after[rows].any() and after[keep].tobytes() == old[keep].tobytes()
    assert not alive[rows].any() and alive[keep].all() and (exited[rows] == 7).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 100), n_buyers=st.integers(1, 10))
def test_first_pick_is_the_first_chosen_target_per_buyer(seed, n, n_buyers):
    """One deal per buyer, as the ``np.unique(..., return_index=True)`` it replaced."""
    rng = np.random.default_rng(seed)
    chosen = rng.random(n) < 0.6
    pick = rng.integers(0, n_buyers, n)
    _, first = np.unique(np.where(chosen, pick, -1 - np.arange(n)), return_index=True)
    want = np.zeros(n, dtype=bool)
    want[first] = True
    want &= chosen
    assert demography.first_pick(chosen, pick, n_buyers).tolist() == want.tolist()


def reference_acquisitions(model: AIMarketModel, targets: np.ndarray) -> np.ndarray:
    """Distressed labs worth buying go to the richest eligible acquirer of their bloc."""
    labs, c, pol, w = model.labs, model.clouds, model.policy, model.world
    s = model.scenario.labs
    n = labs.n
    q = model.quarter_index
    near_frontier = labs.best_flop[targets] >= w.frontier_flop * 1e-3
    real_share = labs.share[targets].max(axis=1) >= 0.002
    targets = targets[((labs.archetype[targets] != APP) & near_frontier) | real_share]
    if targets.size == 0:
        return targets
    arch = labs.archetype[:n]
    # Frontier and big-tech labs that are not themselves targets, ascending (as np.setdiff1d).
    buyer_ok = labs.alive[:n] & ((arch == FRONTIER) | (arch == BIGTECH))
    buyer_ok[targets] = False
    buyers = np.flatnonzero(buyer_ok)
    if buyers.size == 0:
        return np.empty(0, np.int64)
    # A big-tech buyer can call on its parent for a quarter of the parent's cash flow.
    parent_room = np.where(
        labs.parent[buyers] >= 0, 0.25 * c.opcf[np.maximum(labs.parent[buyers], 0)], 0.0
    )
    purse = labs.cash[buyers] + parent_room
    price = s.acquisition_price_share * labs.valuation[targets]
    same_bloc = BLOC[labs.region[targets]][:, None] == BLOC[labs.region[buyers]][None, :]
    market = labs.share[targets].argmax(axis=1)
    s_t = labs.share[targets, market]
    s_a = labs.share[buyers][:, market].T  # (targets, buyers)
    blocked = (s_a + s_t[:, None] > pol.max_combined_share) | (
        2e4 * s_a * s_t[:, None] > pol.max_hhi_delta
    )
    can_pay = purse[None, :] >= price[:, None]
    ok = same_bloc & can_pay & ~blocked
    richest = np.where(ok, purse[None, :], -1.0)
    pick = richest.argmax(axis=1)
    chosen = ok[np.arange(targets.size), pick]
    # One deal per buyer per quarter: keep the first target each buyer picks.
    keep = demography.first_pick(chosen, pick, buyers.size)
    would = same_bloc & can_pay & blocked
    blocked_only = ~chosen & would.any(axis=1)
    if blocked_only.any():
        bb = np.where(would, purse[None, :], -1.0).argmax(axis=1)[blocked_only]
        model.event_log.add(
            q,
            "acquisition_blocked",
            labs.uid[targets[blocked_only]],
            labs.uid[buyers[bb]],
            amount=price[blocked_only],
        )
    t_rows = targets[keep]
    demography_phase._execute(model, t_rows, buyers[pick[keep]], price[keep])
    return t_rows


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"),
    [("baseline", 1, 40), ("strict_antitrust", 2, 40), ("merger_control", 3, 32)],
)
def test_distressed_sales_match_numpy(monkeypatch, preset, seed, quarters):
    """``_acquisitions`` against its numpy version (commit 4c43fd9), in lockstep."""
    assert_lockstep(
        monkeypatch,
        preset,
        seed,
        quarters,
        [(demography_phase, "_acquisitions", reference_acquisitions)],
    )


def reference_strategic_acquisitions(model: AIMarketModel) -> None:
    """Market leaders buy rising challengers (acqui-hires), unless antitrust blocks the deal.

    A challenger is a model lab (not big tech, not state- or patron-funded) with 3-30 % of its
    main market and a model within half an order of magnitude of the leader's there. The
    leader of that market (a frontier or big-tech lab of the same bloc, with the money) makes
    at most one such offer a quarter, with probability ``strategic_acquisition_rate``, at
    ``strategic_premium`` over the challenger's mark.
    """
    labs, c, pol = model.labs, model.clouds, model.policy
    s = model.scenario.labs
    n = labs.n
    if s.strategic_acquisition_rate <= 0:
        return
    m = np.flatnonzero(labs.alive[:n] & (labs.archetype[:n] != APP))  # model labs, ascending
    if m.size == 0:
        return
    arch = labs.archetype[m]
    share = labs.share[m]  # (k, M)
    leader = m[share.argmax(axis=0)]  # (M,) row of each market's leader
    main = share.argmax(axis=1)
    s_t = share[np.arange(m.size), main]
    lead = leader[main]
    gap = labs.capability[lead] - labs.capability[m]
    candidate = (
        ((arch == FRONTIER) | (arch == OPEN_WEIGHT) | (arch == CHAMPION) | (arch == CHALLENGER))
        & (labs.patron[m] <= 0)
        & (s_t >= 0.03)
        & (s_t <= 0.3)
        & (lead != m)
        & (gap < 0.5)
        & ((labs.archetype[lead] == FRONTIER) | (labs.archetype[lead] == BIGTECH))
        & (BLOC[labs.region[lead]] == BLOC[labs.region[m]])
    )
    pick = np.flatnonzero(candidate)
    if pick.size == 0:
        return
    targets, buyers, main_t, s_tt = m[pick], lead[pick], main[pick], s_t[pick]
    parent_room = np.where(
        labs.parent[buyers] >= 0, 0.25 * c.opcf[np.maximum(labs.parent[buyers], 0)], 0.0
    )
    price = s.strategic_premium * labs.mark[targets]
    wants = model.rng.random(targets.size) < s.strategic_acquisition_rate
    ok = wants & (labs.cash[buyers] + parent_room >= price)
    s_a = labs.share[buyers, main_t]
    blocked = (s_a + s_tt > pol.max_combined_share) | (2e4 * s_a * s_tt > pol.max_hhi_delta)
    q = model.quarter_index
    refused = ok & blocked
    model.event_log.add(
        q,
        "acquisition_blocked",
        labs.uid[targets[refused]],
        labs.uid[buyers[refused]],
        amount=price[refused],
    )
    go = np.flatnonzero(ok & ~blocked)
    if go.size == 0:
        return
    # One deal per leader per quarter: its largest challenger.
    order = go[np.lexsort((-s_tt[go], buyers[go]))]
    first = np.r_[True, buyers[order][1:] != buyers[order][:-1]]
    deal = order[first]
    demography_phase._execute(model, targets[deal], buyers[deal], price[deal])


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"), [("baseline", 4, 40), ("strict_antitrust", 5, 40)]
)
def test_challenger_acquisitions_match_numpy(monkeypatch, preset, seed, quarters):
    """``_strategic_acquisitions`` against its numpy version (commit 67198a4), in lockstep."""
    assert_lockstep(
        monkeypatch,
        preset,
        seed,
        quarters,
        [(demography_phase, "_strategic_acquisitions", reference_strategic_acquisitions)],
    )
