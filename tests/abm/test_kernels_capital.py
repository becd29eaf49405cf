"""The compiled capital-market kernels give bit for bit what the numpy code they replaced gave.

The references below are that numpy code, kept as it was before the kernels (commit 7020eed).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.kernels import capital as kernels
from abm.markets.capital import Offers, clear_rounds, stacked_offers
from agents.venture_fund import BLOC, HOME

BLOC_OF_REGION = np.array([0, 0, 1, 0, 2])


def reference_stacked_offers(rng, eligible, weight, group, budget, draws, max_share, ask_amount):
    n_groups, n_asks = eligible.shape
    empty = Offers(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if n_groups == 0 or n_asks == 0:
        return empty
    cum = np.cumsum(eligible * weight[None, :], axis=1)
    total = cum[:, -1]
    has_group = group >= 0
    ok = has_group & (budget > 1e-9) & (total[np.where(has_group, group, 0)] > 0)
    inv = np.flatnonzero(ok)
    if inv.size == 0:
        return empty
    k = draws[inv]
    inv_rep = np.repeat(inv, k)
    g = group[inv_rep]
    start = np.concatenate(([0.0], np.cumsum(total)[:-1]))
    flat = (cum + start[:, None]).ravel()
    u = start[g] + rng.random(inv_rep.size) * total[g]
    pos = np.searchsorted(flat, u, side="right")
    pos = np.clip(pos, g * n_asks, g * n_asks + n_asks - 1)
    ask = pos - g * n_asks
    amount = np.minimum(budget[inv_rep] / np.repeat(k, k), max_share[inv_rep] * ask_amount[ask])
    keep = (amount > 1e-9) & eligible[g, ask]
    return Offers(inv_rep[keep], ask[keep], amount[keep])


def reference_clear_rounds(offers, ask_amount, fill_min):
    n_ask = len(ask_amount)
    offered = np.bincount(offers.ask, weights=offers.amount, minlength=n_ask)
    closed = (offered >= fill_min * ask_amount) & (offered > 0)
    raised = np.where(closed, np.minimum(offered, ask_amount), 0.0)
    scale = np.divide(raised, offered, out=np.zeros(n_ask), where=offered > 0)
    sel = np.flatnonzero(closed[offers.ask])
    key = offers.investor[sel] * n_ask + offers.ask[sel]
    uniq, inv = np.unique(key, return_inverse=True)
    amount = np.bincount(inv, weights=offers.amount[sel])
    investor, ask = uniq // n_ask, uniq % n_ask
    invested = amount * scale[ask]
    n_inv = np.bincount(ask, minlength=n_ask)
    biggest = np.zeros(n_ask)
    np.maximum.at(biggest, ask, amount)
    lead = np.full(n_ask, -1, dtype=np.int64)
    is_lead = amount >= biggest[ask]
    lead[ask[is_lead][::-1]] = investor[is_lead][::-1]
    return raised, closed, offered, lead, n_inv, investor, ask, invested


def reference_venture_eligibility(region, mandate, max_ask, ask_region, ask, min_share, may):
    masks = []
    for r, m, top in zip(region.tolist(), mandate.tolist(), max_ask.tolist(), strict=True):
        if m == HOME:
            mask = ask_region == r
        elif m == BLOC:
            mask = BLOC_OF_REGION[ask_region] == BLOC_OF_REGION[r]
        else:
            mask = np.ones(ask_region.size, dtype=bool)
        if min_share > 0:
            mask = mask & (min_share * ask <= top)
        masks.append(mask & may[r, ask_region])
    return np.array(masks, dtype=bool).reshape(region.size, ask_region.size)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert a.tobytes() == b.tobytes(), (a, b)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_groups=st.integers(1, 6),
    n_asks=st.integers(1, 40),
    n_inv=st.integers(1, 30),
    zero_share=st.floats(0.0, 0.9),
)
def test_stacked_offers_matches_numpy(seed, n_groups, n_asks, n_inv, zero_share):
    rng = np.random.default_rng(seed)
    eligible = rng.random((n_groups, n_asks)) < 0.6
    weight = np.exp(rng.normal(0.0, 2.0, n_asks)) * (rng.random(n_asks) > zero_share)
    group = rng.integers(-1, n_groups, n_inv)
    budget = np.where(rng.random(n_inv) < 0.2, 0.0, rng.lognormal(0.0, 1.0, n_inv))
    draws = rng.integers(1, 5, n_inv)
    max_share = rng.uniform(0.1, 0.8, n_inv)
    ask = rng.lognormal(0.0, 1.5, n_asks)
    args = (eligible, weight, group, budget, draws, max_share, ask)
    got = stacked_offers(np.random.default_rng(seed + 1), *args)
    want = reference_stacked_offers(np.random.default_rng(seed + 1), *args)
    for name in ("investor", "ask", "amount"):
        _same(getattr(got, name), getattr(want, name))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_asks=st.integers(1, 30),
    n_offers=st.integers(0, 120),
    fill_min=st.floats(0.1, 1.0),
)
def test_clear_rounds_matches_numpy(seed, n_asks, n_offers, fill_min):
    rng = np.random.default_rng(seed)
    ask_amount = rng.lognormal(0.0, 1.0, n_asks)
    # Few investors, so pairs repeat and checks tie for the lead.
    offers = Offers(
        rng.integers(0, 8, n_offers),
        rng.integers(0, n_asks, n_offers),
        rng.choice([0.25, 0.5, 1.0], n_offers) * rng.integers(1, 3, n_offers),
    )
    got = clear_rounds(offers, ask_amount, fill_min)
    want = reference_clear_rounds(offers, ask_amount, fill_min)
    fields = ("raised", "closed", "offered", "lead", "n_investors", "investor", "ask", "amount")
    for name, b in zip(fields, want, strict=True):
        _same(getattr(got, name), b.astype(getattr(got, name).dtype))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_groups=st.integers(1, 8), n_asks=st.integers(1, 40))
def test_venture_eligibility_matches_numpy(seed, n_groups, n_asks):
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 5, n_groups)
    mandate = rng.integers(0, 3, n_groups)
    max_ask = 2.0 ** rng.integers(-4, 4, n_groups).astype(float)
    ask_region = rng.integers(0, 5, n_asks)
    ask = rng.lognormal(0.0, 1.5, n_asks)
    may = rng.random((5, 5)) < 0.8
    for min_share in (0.0, 0.02):
        got = kernels.venture_eligibility(
            region, mandate, max_ask, ask_region, BLOC_OF_REGION, ask, min_share, may
        )
        want = reference_venture_eligibility(
            region, mandate, max_ask, ask_region, ask, min_share, may
        )
        _same(got, want)


def reference_screen_and_commit(offers_so_far, new, p, u, offered, ask, fill_min, n_budget):
    keep = (p >= 1.0) | (u < p)
    new = Offers(new.investor[keep], new.ask[keep], new.amount[keep])
    parts = zip(offers_so_far, (new.investor, new.ask, new.amount), strict=True)
    every = Offers(*(np.concatenate([a, b]) for a, b in parts))
    offered = offered + np.bincount(new.ask, weights=new.amount, minlength=ask.size)
    closed = offered >= fill_min * ask
    scale = np.where(
        closed,
        np.minimum(1.0, np.divide(ask, offered, out=np.ones_like(ask), where=offered > 0)),
        1.0,
    )
    committed = np.bincount(
        every.investor, weights=every.amount * scale[every.ask], minlength=n_budget
    )
    return new, every, offered, ~closed, committed


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_asks=st.integers(1, 20),
    n_old=st.integers(0, 50),
    n_new=st.integers(0, 50),
)
def test_screening_and_commitments_match_numpy(seed, n_asks, n_old, n_new):
    rng = np.random.default_rng(seed)
    n_inv = 7

    def offers(k: int) -> Offers:
        return Offers(
            rng.integers(0, n_inv, k), rng.integers(0, n_asks, k), rng.lognormal(0.0, 1.0, k)
        )

    old, new = offers(n_old), offers(n_new)
    p = rng.choice([0.0, 0.3, 1.0], n_new)
    u = rng.random(n_new)
    ask = rng.lognormal(0.0, 1.0, n_asks)
    offered = np.bincount(old.ask, weights=old.amount, minlength=n_asks)
    want_new, every, want_offered, want_open, want_committed = reference_screen_and_commit(
        (old.investor, old.ask, old.amount), new, p, u, offered, ask, 0.6, n_inv
    )
    got_new = kernels.screened(new.investor, new.ask, new.amount, p, u)
    for g, w in zip(got_new, (want_new.investor, want_new.ask, want_new.amount), strict=True):
        _same(g, w)
    got = kernels.commit_offers(
        every.investor, every.ask, every.amount, want_new.amount.size, offered, ask, 0.6, n_inv
    )
    for g, w in zip(got, (want_offered, want_open, want_committed), strict=True):
        _same(g, w)


def _settle_numpy(inv, k, amt, rows, closed, raised, kind, inv_region, lab_region, arch, home, t):
    """The numpy code ``settle_rounds`` replaced (``abm.phases.capital._apply``); ``t`` holds
    the lab columns, updated in place."""
    lab_rows = rows[k]
    inv_kind = kind[inv]
    tied = np.where(
        (inv_kind == 1) & (inv_region[inv] == 3) & (lab_region[lab_rows] != 3), 0.4 * amt, 0.0
    )
    if not home:
        tied[:] = 0.0
    to_lab = amt - tied
    is_cloud = inv_kind == 2
    n = lab_region.size
    price = t["ask_pre"][rows] / t["shares_out"][rows]
    new_shares = to_lab / price[k]
    # Only labs that asked are booked (the old code added an empty sum to every lab, which
    # differs only in turning a -0.0 balance into 0.0).
    touched = np.zeros(n, dtype=bool)
    touched[rows] = True
    for name, w in (
        ("cash", np.where(is_cloud, 0.0, to_lab)),
        ("credit", np.where(is_cloud, to_lab, 0.0)),
        ("shares_out", new_shares),
    ):
        add = np.bincount(lab_rows, weights=w, minlength=n)
        t[name][touched] += add[touched]
    c = rows[closed]
    r = raised[closed]
    t["valuation"][c] = t["ask_pre"][c] + r
    t["last_round"][c] = 7
    t["failed"][c] = 0
    t["raised_total"][c] += r
    apps = c[arch[c] == 0]
    t["team_cost"][apps] = np.maximum(t["team_cost"][apps], 0.25 * r[arch[c] == 0])
    totals = [tied.sum()] + [amt[inv_kind == kd].sum() for kd in range(4)]
    return lab_rows, tied, to_lab, new_shares, np.array(totals)


@pytest.mark.parametrize("seed", range(6))
def test_settle_rounds_matches_numpy(seed):
    """Booking closed rounds in one pass gives what the numpy code gave, byte for byte: ties
    of Gulf sovereigns' foreign stakes (with and without a home cloud), cloud credits,
    shares at the round's price, post-money values and the amounts by investor kind."""
    rng = np.random.default_rng(seed)
    n, n_asks, n_inv, n_stakes = 500, 120, 60, 700
    rows = rng.choice(n, n_asks, replace=False)
    inv = rng.integers(0, n_inv, n_stakes)
    k = rng.integers(0, n_asks, n_stakes)
    amt = rng.lognormal(-2.0, 2.0, n_stakes)
    closed = rng.random(n_asks) < 0.7
    raised = np.where(closed, rng.lognormal(0.0, 1.0, n_asks), 0.0)
    kind = rng.integers(0, 4, n_inv)
    inv_region = rng.integers(0, 5, n_inv)
    lab_region = rng.integers(0, 5, n).astype(np.int8)
    arch = rng.integers(0, 3, n).astype(np.int8)
    for home in (True, False):
        cols = {
            "ask_pre": rng.lognormal(0.0, 1.0, n),
            "shares_out": rng.lognormal(0.0, 1.0, n),
            "cash": rng.normal(0.0, 2.0, n),
            "credit": rng.lognormal(0.0, 1.0, n),
            "valuation": rng.lognormal(0.0, 1.0, n),
            "last_round": rng.integers(-1, 5, n),
            "failed": rng.integers(0, 3, n),
            "raised_total": rng.lognormal(0.0, 1.0, n),
            "team_cost": rng.lognormal(-3.0, 1.0, n),
        }
        want_cols = {name: a.copy() for name, a in cols.items()}
        args = (inv, k, amt, rows, closed, raised, kind, inv_region, lab_region, arch)
        want = _settle_numpy(*args, home, want_cols)
        got = kernels.settle_rounds(
            *args, 0.4, home, 3, 1, 2, 0, 0.25, 7, *(cols[name] for name in want_cols)
        )
        for g, w in zip(got, want, strict=True):
            _same(g, w)
        for name in cols:
            assert cols[name].tobytes() == want_cols[name].tobytes(), name


@pytest.mark.parametrize("seed", range(4))
def test_venture_groups_number_the_keys_as_numpy_unique(seed):
    """Venture groups are the distinct (region, mandate, size) keys of alive funds in
    ``np.unique`` order; every alive fund gets its key's position, draws and check cap."""
    rng = np.random.default_rng(seed)
    n, n_size, first, n_inv = 300, 1 + seed, 7, 400
    region, mandate = rng.integers(0, 5, n), rng.integers(0, 3, n)
    alive = rng.random(n) < 0.8
    size = rng.integers(0, n_size, n)
    keys = (region * 3 + mandate) * n_size + size
    uniq, inverse = np.unique(keys[alive], return_inverse=True)
    got = kernels.venture_groups(region, mandate, alive, size, n_size, first, n_inv, 10, 0.2)
    r, mnd, k, group, draws, max_share = got
    rm, want_k = np.divmod(uniq, n_size)
    want_r, want_m = np.divmod(rm, 3)
    for g, w in ((r, want_r), (mnd, want_m), (k, want_k)):
        assert g.tolist() == w.tolist()
    members = first + np.flatnonzero(alive)
    assert group[members].tolist() == inverse.tolist()
    assert (np.delete(group, members) == -1).all()
    assert (draws[members] == 10).all() and (max_share[members] == 0.2).all()
    assert not np.delete(draws, members).any() and not np.delete(max_share, members).any()


@pytest.mark.parametrize("seed", range(4))
def test_screen_offers_reads_the_screening_matrix(seed):
    """Screening with the probabilities gathered inside the kernel keeps the same offers as
    gathering them in numpy first."""
    rng = np.random.default_rng(seed)
    n, n_inv, n_ask = 800, 50, 200
    inv, ask = rng.integers(0, n_inv, n), rng.integers(0, n_ask, n)
    amount = rng.lognormal(-2.0, 1.0, n)
    screen = np.where(rng.random((5, 5)) < 0.5, 1.0, rng.random((5, 5)))
    inv_region, ask_region = rng.integers(0, 5, n_inv), rng.integers(0, 5, n_ask)
    u = rng.random(n)
    want = kernels.screened(inv, ask, amount, screen[inv_region[inv], ask_region[ask]], u)
    got = kernels.screen_offers(inv, ask, amount, screen, inv_region, ask_region, u)
    for g, w in zip(got, want, strict=True):
        _same(g, w)


@pytest.mark.parametrize("seed", range(4))
def test_draw_plan_is_the_numpy_repeat(seed):
    """The per-draw plan equals the numpy selection and ``np.repeat`` it replaced."""
    rng = np.random.default_rng(seed)
    n, n_groups = 300, 12
    group = np.where(rng.random(n) < 0.2, -1, rng.integers(0, n_groups, n))
    budget = np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(-2.0, 1.0, n))
    total = np.where(rng.random(n_groups) < 0.3, 0.0, rng.random(n_groups))
    draws = rng.integers(0, 5, n)
    has_group = group >= 0
    ok = has_group & (budget > 1e-9) & (total[np.where(has_group, group, 0)] > 0)
    inv = np.flatnonzero(ok)
    k = draws[inv]
    want = (np.repeat(inv, k), group[np.repeat(inv, k)], np.repeat(k, k))
    for g, w in zip(kernels.draw_plan(group, budget, total, draws), want, strict=True):
        _same(g, w.astype(np.int64))


def _strategic_numpy(
    rows,
    ask_region,
    ask,
    arch,
    partner,
    bloc,
    may,
    sov,
    sf_region,
    mandate,
    min_round,
    cld,
    c_region,
    ven,
    v_region,
    first,
    n_inv,
):
    """The numpy code ``strategic_groups`` replaced (``abm.phases.capital._deal_groups``)."""
    cols = np.flatnonzero(arch[rows] != 0)
    m_region, m_ask = ask_region[cols], ask[cols]
    m_bloc = bloc[m_region]
    independent = arch[rows[cols]] != 2
    part = partner[rows[cols]]
    sov_region, cld_region, ven_region = sf_region[sov], c_region[cld], v_region[ven]
    masks = np.concatenate(
        [
            mandate[sov][:, m_region]
            & (m_ask >= min_round)[None, :]
            & may[sov_region][:, m_region],
            independent[None, :]
            & ((part[None, :] == cld[:, None]) | (part < 0)[None, :])
            & (m_bloc[None, :] == bloc[cld_region][:, None])
            & may[cld_region][:, m_region],
            independent[None, :] & may[ven_region][:, m_region],
        ]
    )
    members = np.concatenate([first[0] + sov, first[1] + cld, first[2] + ven])
    group = np.full(n_inv, -1, dtype=np.int64)
    group[members] = np.arange(members.size)
    draws = np.zeros(n_inv, dtype=np.int64)
    draws[members] = np.repeat([2, 2, 3], [sov.size, cld.size, ven.size])
    share = np.zeros(n_inv)
    share[members] = np.repeat([0.5, 0.8, 0.3], [sov.size, cld.size, ven.size])
    return cols, masks, group, draws, share


@pytest.mark.parametrize("seed", range(5))
def test_strategic_groups_match_numpy(seed):
    """Sovereigns', clouds' and vendors' eligibility over model labs' asks, and their places in
    the investor index, equal the numpy broadcasting they replaced."""
    rng = np.random.default_rng(seed)
    n_labs, n_asks, n_inv = 300, 80, 200
    rows = rng.choice(n_labs, n_asks, replace=False)
    arch = rng.integers(0, 4, n_labs)
    partner = np.where(rng.random(n_labs) < 0.5, -1, rng.integers(0, 8, n_labs))
    ask_region, ask = rng.integers(0, 5, n_asks), rng.lognormal(0.0, 2.0, n_asks)
    bloc = np.array([0, 0, 1, 2, 2])
    may = rng.random((5, 5)) < 0.8
    sov, cld, ven = (
        np.sort(rng.choice(12, 5, False)),
        np.sort(rng.choice(8, 4, False)),
        np.arange(3),
    )
    sf_region, c_region, v_region = (
        rng.integers(0, 5, 12),
        rng.integers(0, 5, 8),
        rng.integers(0, 5, 3),
    )
    mandate = rng.random((12, 5)) < 0.5
    first = np.array([40, 60, 80])
    args = (rows, ask_region, ask, arch, partner)
    got = kernels.strategic_groups(
        *args,
        0,
        2,
        bloc,
        may,
        sov,
        sf_region,
        mandate,
        1.0,
        cld,
        c_region,
        ven,
        v_region,
        first,
        n_inv,
        np.array([2, 2, 3]),
        np.array([0.5, 0.8, 0.3]),
    )
    want = _strategic_numpy(
        *args, bloc, may, sov, sf_region, mandate, 1.0, cld, c_region, ven, v_region, first, n_inv
    )
    for g, w in zip(got, want, strict=True):
        _same(g, w)


@pytest.mark.parametrize("seed", range(8))
def test_first_cloud_partners_match_the_lexsort(seed):
    """The numpy assignment (``_apply`` at commit adbfb2a): stakes by clouds in labs without a
    partner, assigned in ``np.lexsort((fleet, amount))`` order, the last write winning."""
    rng = np.random.default_rng(seed)
    n_inv, n_labs, n = 30, 12, 80
    kind = rng.integers(0, 4, n_inv)
    base = 7
    inv = rng.integers(0, n_inv, n)
    inv = np.where(kind[inv] == 2, np.maximum(inv, base), inv)  # clouds from row 7 on
    lab_rows = rng.integers(0, n_labs, n)
    amount = np.round(rng.lognormal(0.0, 1.0, n), 1)  # ties
    stock = np.round(rng.lognormal(0.0, 1.0, (n_inv, 4)), 1)
    partner = np.where(rng.random(n_labs) < 0.5, rng.integers(0, 5, n_labs), -1).astype(np.int32)
    want = partner.copy()
    is_cloud = kind[inv] == 2
    cloud_rows = lab_rows[is_cloud]
    first = np.flatnonzero(want[cloud_rows] < 0)
    cloud = inv[is_cloud][first] - base
    fleet = stock[inv[is_cloud][first] - base].sum(axis=1)
    order = np.lexsort((fleet, amount[is_cloud][first]))
    want[cloud_rows[first[order]]] = cloud[order]
    kernels.first_cloud_partners(inv, lab_rows, amount, kind, 2, base, partner, stock)
    assert np.array_equal(partner, want)


@pytest.mark.parametrize("seed", range(6))
def test_sized_venture_groups_match_the_numpy_sizing(seed):
    """Check-size classes and ask caps as ``_deal_groups`` computed them (commit 8db6491)."""
    rng = np.random.default_rng(seed)
    n, first, n_inv = 200, 3, 260
    region, mandate = rng.integers(0, 5, n), rng.integers(0, 3, n)
    alive = rng.random(n) < 0.9
    check = rng.lognormal(-3.0, 2.0, n) * (rng.random(n) < 0.95)  # some empty funds
    size = np.floor(np.log2(np.maximum(check, 1e-9))).astype(np.int64)
    size -= size.min()
    n_size = int(size.max()) + 1
    size_floor = 2.0 ** (np.arange(n_size) + np.floor(np.log2(np.maximum(check.min(), 1e-9))))
    r, m, k, group, draws, share = kernels.venture_groups(
        region, mandate, alive, size, n_size, first, n_inv, 6, 0.2
    )
    got = kernels.sized_venture_groups(
        region, mandate, alive, check, np.log2(np.maximum(check, 1e-9)), first, n_inv, 6, 0.2
    )
    for a, b in zip(got, (r, m, 2.0 * size_floor[k], group, draws, share), strict=True):
        assert a.tobytes() == b.tobytes()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_asks=st.integers(0, 80))
def test_failed_rounds_are_recorded_as_the_numpy_expressions(seed, n_asks):
    """``record_failed_rounds`` against the numpy of ``capital.run`` before it (5dc6eed)."""
    rng = np.random.default_rng(seed)
    n = 200
    rows = rng.permutation(n)[:n_asks]
    closed = rng.random(n_asks) < 0.5
    offered, ask = rng.lognormal(0.0, 1.0, n_asks), rng.lognormal(0.0, 1.0, n_asks)
    failed = rng.integers(0, 5, n).astype(np.int16)
    last, uid, ask_pre = rng.random(n), rng.integers(0, 10**6, n), rng.random(n)
    want_failed, want_last = failed.copy(), last.copy()
    gone = rows[~closed]
    want_failed[gone] += 1
    want_last[gone] = offered[~closed]
    uids, asks, pres = kernels.record_failed_rounds(
        rows, closed, offered, ask, failed, last, uid, ask_pre
    )
    assert failed.tobytes() == want_failed.tobytes() and last.tobytes() == want_last.tobytes()
    assert uids.tobytes() == uid[gone].tobytes()
    assert asks.tobytes() == ask[~closed].tobytes()
    assert pres.tobytes() == ask_pre[gone].tobytes()
