"""The compiled compute-market kernels give bit for bit what the numpy code they replaced gave."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep import assert_lockstep

from abm import AIMarketModel, load_scenario
from abm.kernels import compute as kernels
from abm.markets.compute import clear_spot
from abm.phases import compute
from agents import lab
from agents.lab import BIGTECH, CHALLENGER, CHAMPION


def _clear_spot_numpy(request, wtp, supply, price):
    """``clear_spot`` as it was before ``kernels.compute.spot_allocation``."""
    filled = np.zeros(len(request))
    empty = (filled, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if len(request) == 0 or len(supply) == 0:
        return empty
    od = np.argsort(-wtp, kind="stable")
    os_ = np.argsort(price, kind="stable")
    r = request[od]
    cum_d = np.cumsum(r)
    cum_s = np.cumsum(supply[os_])
    total = min(cum_d[-1], cum_s[-1])
    if total <= 0:
        return empty
    filled[od] = np.clip(total - (cum_d - r), 0.0, r)
    bps = np.unique(np.concatenate(([0.0, total], cum_d[cum_d < total], cum_s[cum_s < total])))
    lengths = np.diff(bps)
    keep = lengths > 0
    mids = (bps[:-1] + bps[1:])[keep] / 2.0
    buyer = od[np.minimum(np.searchsorted(cum_d, mids, side="right"), len(od) - 1)]
    supplier = os_[np.minimum(np.searchsorted(cum_s, mids, side="right"), len(os_) - 1)]
    return filled, buyer, supplier, lengths[keep]


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nb=st.integers(0, 300),
    ns=st.integers(0, 12),
    coarse=st.booleans(),
    zeros=st.booleans(),
)
def test_clear_spot_matches_numpy(seed, nb, ns, coarse, zeros):
    rng = np.random.default_rng(seed)
    if coarse:  # small integers: equal running sums, ties in price and willingness to pay
        request = rng.integers(1, 4, nb).astype(float)
        supply = rng.integers(1, 40, ns).astype(float)
        wtp = rng.integers(0, 3, nb).astype(float)
        price = rng.integers(0, 3, ns).astype(float)
    else:
        request = rng.lognormal(5.0, 3.0, nb)
        supply = rng.lognormal(8.0, 3.0, ns)
        wtp = rng.normal(0.0, 1.0, nb)
        price = rng.lognormal(0.0, 1.0, ns)
    if zeros:
        request[rng.random(nb) < 0.3] = 0.0
        supply[rng.random(ns) < 0.3] = 0.0
    got = clear_spot(request, wtp, supply, price)
    want = _clear_spot_numpy(request, wtp, supply, price)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def _compute_requests_numpy(a, rows, c):
    """``agents.lab.compute_requests`` (with ``next_run_flop``) as it was before the kernel."""
    target = a["run_target"][rows]
    age = a["run_age"][rows]
    active = (target > 0) & (age >= 0)
    remaining = np.maximum(target - a["run_done"][rows], 0.0)
    quarters_left = np.maximum(c["run_quarters"] - age, 1)
    final = np.where(active, remaining / c["fpq"] / quarters_left, 0.0)
    final = np.minimum(final, c["site_h100e"][a["region"][rows]])
    ceiling = a["ambition"][rows] * c["max_run_flop"][a["region"][rows]]
    step = np.maximum(c["run_multiple"] * a["last_flop"][rows], c["frontier_fraction"] * ceiling)
    nxt = np.maximum(np.minimum(step, ceiling), c["entry_run_flop"])
    working_towards = np.where(target > 0, target, nxt)
    cycle = c["cycle"]
    research = c["experiment_overhead"] * working_towards / c["fpq"] / cycle
    inference = a["potential_revenue"][rows] * c["momentum"] * c["inference_per_busd"]
    price = np.maximum(a["lease_price"][rows], 1e-12)
    funds = a["cash"][rows] + a["credit"][rows] + a["prepaid"][rows] - a["team_cost"][rows]
    spendable = np.maximum(funds, 0.0) / price
    inference = np.minimum(inference, spendable)
    final = np.minimum(final, np.maximum(spendable - inference, 0.0))
    research = np.minimum(research, np.maximum(spendable - inference - final, 0.0) / cycle)
    return final, final + research, inference


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400))
def test_compute_requests_matches_numpy(seed, n):
    rng = np.random.default_rng(seed)

    def money():
        return rng.lognormal(-2.0, 3.0, n) * np.where(rng.random(n) < 0.2, -1.0, 1.0)

    a = {
        "run_target": np.where(rng.random(n) < 0.5, 10.0 ** rng.uniform(22, 27, n), 0.0),
        "run_age": rng.integers(-3, 12, n).astype(np.int16),
        "run_done": np.where(rng.random(n) < 0.5, 10.0 ** rng.uniform(22, 27, n), 0.0),
        "last_flop": np.where(rng.random(n) < 0.7, 10.0 ** rng.uniform(20, 26, n), 0.0),
        "ambition": rng.uniform(0.01, 1.0, n),
        "region": rng.integers(0, 5, n).astype(np.int8),
        "potential_revenue": np.where(rng.random(n) < 0.5, rng.lognormal(-3.0, 3.0, n), 0.0),
        "lease_price": np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(-13.0, 0.5, n)),
        "cash": money(),
        "credit": np.where(rng.random(n) < 0.3, rng.lognormal(-2.0, 2.0, n), 0.0),
        "prepaid": np.where(rng.random(n) < 0.3, rng.lognormal(-2.0, 2.0, n), 0.0),
        "team_cost": rng.lognormal(-4.0, 2.0, n),
    }
    c = {
        "site_h100e": 10.0 ** rng.uniform(3, 6, 5),
        "max_run_flop": 10.0 ** rng.uniform(24, 28, 5),
        "fpq": 7.8e21 * rng.uniform(0.5, 1.0),
        "run_quarters": int(rng.integers(1, 5)),
        "cycle": int(rng.integers(2, 8)),
        "run_multiple": float(rng.uniform(1.0, 10.0)),
        "frontier_fraction": float(rng.uniform(0.0, 0.5)),
        "entry_run_flop": float(10.0 ** rng.uniform(20, 24)),
        "experiment_overhead": float(rng.uniform(0.0, 3.0)),
        "momentum": float(rng.uniform(1.0, 1.5)),
        "inference_per_busd": float(rng.lognormal(10.0, 1.0)),
    }
    rows = np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)).astype(np.int64)
    out = [np.full(n, -7.0) for _ in range(3)]
    kernels.compute_requests(
        rows,
        *(a[k] for k in a),
        c["site_h100e"],
        c["max_run_flop"],
        c["fpq"],
        c["run_quarters"],
        c["cycle"],
        c["run_multiple"],
        c["frontier_fraction"],
        c["entry_run_flop"],
        c["experiment_overhead"],
        c["momentum"],
        c["inference_per_busd"],
        *out,
    )
    want = _compute_requests_numpy(a, rows, c)
    for g, w in zip(out, want, strict=True):
        assert g[rows].tobytes() == w.tobytes()
    untouched = np.ones(n, dtype=bool)
    untouched[rows] = False
    assert all((g[untouched] == -7.0).all() for g in out)


def _settle_numpy(rows, buyer, seller, amount, price, amortised, nh, labs):
    """The arithmetic of ``abm.phases.compute._settle`` as it was before ``kernels.settle``."""
    k = rows.size
    cost = amount * price[seller]
    at_partner = seller == labs["partner"][rows[buyer]]
    owed_p = np.bincount(buyer, weights=np.where(at_partner, cost, 0.0), minlength=k)
    owed_o = np.bincount(buyer, weights=np.where(at_partner, 0.0, cost), minlength=k)
    cash, credit, prepaid = labs["cash"][rows], labs["credit"][rows], labs["prepaid"][rows]
    partner_funds = credit + prepaid
    x_cash = np.minimum(1.0, np.divide(cash, owed_o, out=np.ones(k), where=owed_o > 0))
    owed = owed_p + owed_o
    x_all = np.minimum(1.0, np.divide(cash + partner_funds, owed, out=np.ones(k), where=owed > 0))
    scale = np.where(x_cash * owed_p <= partner_funds, x_cash, x_all)
    amount = amount * scale[buyer]
    cost = cost * scale[buyer]
    got = np.bincount(buyer, weights=amount, minlength=k)
    total = owed * scale
    from_prepaid = np.minimum(owed_p * scale, prepaid)
    from_credit = np.minimum(owed_p * scale - from_prepaid, credit)
    out = {k_: v.copy() for k_, v in labs.items()}
    out["prepaid"][rows] = prepaid - from_prepaid
    out["credit"][rows] = credit - from_credit
    out["cash"][rows] = cash - (total - from_prepaid - from_credit)
    received = np.bincount(seller, weights=cost, minlength=nh)
    prepaid_used = np.bincount(
        np.maximum(labs["partner"][rows], 0), weights=from_prepaid, minlength=nh
    )
    out["compute_spend"][rows] = total
    out["compute_cost_basis"][rows] = np.bincount(
        buyer, weights=amount * amortised[seller], minlength=k
    )
    inf_got = np.minimum(labs["inf_req"][rows], got)
    out["inf_got"][rows] = inf_got
    out["train_got"][rows] = got - inf_got
    return cost, received, prepaid_used, out


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), nh=st.integers(1, 12))
def test_settle_matches_numpy(seed, n, nh):
    rng = np.random.default_rng(seed)
    labs = {
        "partner": np.where(rng.random(n) < 0.4, rng.integers(0, nh, n), -1).astype(np.int32),
        "cash": rng.lognormal(-2.0, 3.0, n) * np.where(rng.random(n) < 0.2, -1.0, 1.0),
        "credit": np.where(rng.random(n) < 0.3, rng.lognormal(-2.0, 2.0, n), 0.0),
        "prepaid": np.where(rng.random(n) < 0.3, rng.lognormal(-2.0, 2.0, n), 0.0),
        "inf_req": np.where(rng.random(n) < 0.5, rng.lognormal(8.0, 2.0, n), 0.0),
        "compute_spend": rng.random(n),
        "compute_cost_basis": rng.random(n),
        "inf_got": rng.random(n),
        "train_got": rng.random(n),
    }
    rows = np.flatnonzero(rng.random(n) < 0.6)
    k = rows.size
    npairs = int(rng.integers(0, 3 * k + 1)) if k else 0
    buyer = rng.integers(0, max(k, 1), npairs)
    # Some pairs at the buyer's partner, the rest anywhere.
    seller = rng.integers(0, nh, npairs)
    at_p = (rng.random(npairs) < 0.5) & (labs["partner"][rows[buyer]] >= 0) if k else []
    seller = np.where(at_p, labs["partner"][rows[buyer]] if k else 0, seller).astype(np.int64)
    amount = rng.lognormal(6.0, 3.0, npairs)
    price = rng.lognormal(-13.0, 0.5, nh)
    amortised = rng.lognormal(-13.5, 0.5, nh)
    want = _settle_numpy(rows, buyer, seller, amount, price, amortised, nh, labs)
    got_labs = {k_: v.copy() for k_, v in labs.items()}
    g = got_labs
    got = kernels.settle(
        rows,
        buyer,
        seller,
        amount,
        price,
        amortised,
        nh,
        g["partner"],
        g["cash"],
        g["credit"],
        g["prepaid"],
        g["inf_req"],
        g["compute_spend"],
        g["compute_cost_basis"],
        g["inf_got"],
        g["train_got"],
    )
    for a, b in zip(got, want[:3], strict=True):
        assert a.tobytes() == b.tobytes()
    for key, arr in want[3].items():
        assert got_labs[key].tobytes() == arr.tobytes(), key


def _advance_runs_numpy(labs, rows, fpq, rq):
    """The bookkeeping of ``agents.lab.progress_runs`` as it was before ``advance_runs``."""
    active = rows[(labs["run_target"][rows] > 0) & (labs["run_age"][rows] >= 0)]
    final_got = np.minimum(labs["train_got"][active], labs["final_req"][active])
    remaining = np.maximum(labs["run_target"][active] - labs["run_done"][active], 0.0)
    labs["run_done"][active] += np.minimum(final_got * fpq, remaining)
    used = labs["train_got"][active] + labs["inf_got"][active]
    labs["run_cost"][active] += np.divide(
        labs["compute_cost_basis"][active] * final_got,
        used,
        out=np.zeros(active.size),
        where=used > 0,
    )
    labs["run_age"][active] += 1
    age, done_flop = labs["run_age"][active], labs["run_done"][active]
    target = labs["run_target"][active]
    finished = (done_flop >= 0.999 * target) | ((age >= 2 * rq) & (done_flop > 0)) | (age >= 4 * rq)
    labs["idle"][rows] = np.where(labs["run_target"][rows] > 0, 0, labs["idle"][rows] + 1)
    ended = active[finished]
    return ended, ended[labs["run_done"][ended] > 0]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), rq=st.integers(1, 4))
def test_advance_runs_matches_numpy(seed, n, rq):
    rng = np.random.default_rng(seed)
    target = 10.0 ** rng.uniform(22, 27, n)
    labs = {
        "run_target": np.where(rng.random(n) < 0.6, target, 0.0),
        "run_age": rng.integers(-2, 4 * rq + 2, n).astype(np.int16),
        "run_done": np.where(rng.random(n) < 0.6, target * rng.uniform(0.0, 1.2, n), 0.0),
        "run_cost": np.where(rng.random(n) < 0.5, rng.lognormal(-2.0, 2.0, n), 0.0),
        "idle": rng.integers(0, 20, n).astype(np.int16),
        "train_got": np.where(rng.random(n) < 0.6, rng.lognormal(8.0, 3.0, n), 0.0),
        "inf_got": np.where(rng.random(n) < 0.6, rng.lognormal(8.0, 3.0, n), 0.0),
        "final_req": np.where(rng.random(n) < 0.6, rng.lognormal(8.0, 3.0, n), 0.0),
        "compute_cost_basis": rng.lognormal(-3.0, 2.0, n),
    }
    rows = np.flatnonzero(rng.random(n) < 0.7)
    fpq = 7.8e21 * float(rng.uniform(0.5, 1.0))
    want_labs = {k: v.copy() for k, v in labs.items()}
    want = _advance_runs_numpy(want_labs, rows, fpq, rq)
    got = kernels.advance_runs(rows, *labs.values(), fpq, rq)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    for key, arr in want_labs.items():
        assert labs[key].tobytes() == arr.tobytes(), key


def _plan_runs_numpy(model, rows):
    """``agents.lab.plan_runs`` as it was at commit df3f2ff (before ``choose_runs``)."""
    labs, s = model.labs, model.scenario.labs
    waiting = rows[(labs.run_target[rows] > 0) & (labs.run_age[rows] < 0)]
    labs.run_age[waiting] += 1
    free = (labs.run_target[rows] <= 0) & (labs.idle[rows] >= s.run_gap_quarters)
    idx = rows[free]
    if idx.size == 0:
        return
    target = lab.next_run_flop(model, idx)
    flop_cost = labs.lease_price[idx] / model.world.flop_per_h100e_quarter
    budget = s.training_cash_share * (labs.cash[idx] + labs.credit[idx] + labs.prepaid[idx])
    size = np.minimum(target, budget / np.maximum(flop_cost, 1e-300))
    idle = labs.idle[idx]
    start = (size >= 0.5 * target) | (
        (idle >= 4) & (size > 1.5 * labs.last_flop[idx]) & (size > model.world.entry_run_flop)
    )
    idx, size = idx[start], size[start]
    if idx.size == 0:
        return
    run_cost = size * labs.lease_price[idx] / model.world.flop_per_h100e_quarter
    size, comply_cost, delay = _compliance_numpy(
        model.policy, size, run_cost, labs.region[idx], s.compliance_bunching_share
    )
    pay = np.minimum(comply_cost, labs.cash[idx])
    labs.cash[idx] -= pay
    model.ledger.money_out("governments", float(pay.sum()))
    labs.run_target[idx] = size
    labs.run_done[idx] = 0.0
    labs.run_cost[idx] = 0.0
    labs.run_age[idx] = -delay


def _compliance_numpy(policy, size, run_cost, lab_region, bunching_share):
    """``Policy.compliance`` as it was before ``kernels.compute.threshold_compliance``."""
    if size.size == 0 or size.max() < policy._lowest_threshold:
        return size.copy(), np.zeros(size.size), np.zeros(size.size, dtype=np.int16)
    sells = policy.appeal[lab_region] > 0  # (k, M)
    covered = sells & (size[:, None] >= policy.threshold_flop[None, :])
    if not covered.any():
        return size.copy(), np.zeros(size.size), np.zeros(size.size, dtype=np.int16)
    cost = (
        covered
        * (
            policy.threshold_cost_share[None, :] * run_cost[:, None]
            + policy.threshold_fixed[None, :]
        )
    ).sum(1)
    lowest = np.where(covered, policy.threshold_flop[None, :], np.inf).min(axis=1)
    bunch = covered.any(axis=1) & (cost > bunching_share * run_cost) & (size < 2.0 * lowest)
    size = np.where(bunch, 0.99 * lowest, size)
    covered &= ~bunch[:, None]
    cost = np.where(bunch, 0.0, cost)
    delay = np.where(covered, policy.threshold_delay[None, :], 0).max(axis=1, initial=0)
    return size, cost, delay.astype(np.int16)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 60), bunching=st.floats(0.0, 0.5))
def test_threshold_compliance_matches_numpy(seed, k, bunching):
    """Random thresholds, costs, delays, market access and runs around the thresholds: the
    kernel's sizes, costs and delays equal the numpy version's, bit for bit."""
    from abm.policy import Policy

    rng = np.random.default_rng(seed)
    m = 5
    policy = Policy.__new__(Policy)
    policy.threshold_flop = 10.0 ** rng.uniform(24.0, 27.0, m)
    policy._lowest_threshold = float(policy.threshold_flop.min())
    policy.threshold_cost_share = np.where(rng.random(m) < 0.3, 0.0, rng.uniform(0, 0.2, m))
    policy.threshold_fixed = np.where(rng.random(m) < 0.3, 0.0, rng.lognormal(-4.0, 1.0, m))
    policy.threshold_delay = rng.integers(0, 4, m)
    policy.appeal = np.where(rng.random((m, m)) < 0.3, 0.0, rng.random((m, m)))
    size = 10.0 ** rng.uniform(23.5, 27.5, k)
    run_cost = size * rng.lognormal(-27.0, 1.0, k)
    region = rng.integers(0, m, k)
    got = policy.compliance(size, run_cost, region, bunching)
    want = _compliance_numpy(policy, size, run_cost, region, bunching)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        assert g.tobytes() == w.tobytes()


@pytest.mark.parametrize(("preset", "seed"), [("baseline", 1), ("global_compute_threshold", 2)])
def test_plan_runs_matches_numpy(monkeypatch, preset, seed):
    """Two models in lockstep, one planning runs with the numpy version: the labs' runs, cash
    and the books stay identical."""
    new = AIMarketModel(load_scenario(preset), rng=seed)
    ref = AIMarketModel(load_scenario(preset), rng=seed)
    for _ in range(32):
        new.step()
        with monkeypatch.context() as patch:
            patch.setattr(lab, "plan_runs", _plan_runs_numpy)
            ref.step()
        for field in ("run_target", "run_age", "run_done", "run_cost", "cash", "last_flop"):
            a, b = getattr(new.labs, field), getattr(ref.labs, field)
            assert a.tobytes() == b.tobytes(), (field, new.quarter)
        assert new.ledger.outflow.tobytes() == ref.ledger.outflow.tobytes()


def test_funded_rows_are_the_numpy_selections():
    """The three lists of labs funded from outside equal their numpy masks and flatnonzero."""
    from abm.kernels.compute import funded_rows

    rng = np.random.default_rng(5)
    n = 2000
    alive = rng.random(n) < 0.8
    arch = rng.integers(0, 6, n).astype(np.int8)
    parent = np.where(rng.random(n) < 0.5, -1, rng.integers(0, 9, n))
    patron = np.where(rng.random(n) < 0.9, 0.0, rng.random(n))
    model = alive & (arch != 0)  # archetype 0 plays the application startups
    kids, patrons, state = funded_rows(np.flatnonzero(model), arch, parent, patron, 1, 3, 4)
    assert kids.tolist() == np.flatnonzero(alive & (arch == 1) & (parent >= 0)).tolist()
    assert patrons.tolist() == np.flatnonzero(model & (patron > 0)).tolist()
    assert state.tolist() == np.flatnonzero(alive & ((arch == 3) | (arch == 4))).tolist()


def test_an_application_startup_with_a_patron_is_refused_as_the_labs_table_loads():
    """The compute phase funds patrons' labs among the model labs only, so the labs table
    may not give an application startup a patron; no row of the shipped table does."""
    from abm.data_tables import load_table
    from abm.population import _add_named

    rows = load_table("labs")
    assert not [r["name"] for r in rows if r["archetype"] == "app" and r["patron_busd_per_year"]]
    model = AIMarketModel(load_scenario("baseline"), rng=1)
    bad = {**rows[0], "name": "Patronised app", "archetype": "app", "patron_busd_per_year": 1.0}
    with pytest.raises(ValueError, match="patron_busd_per_year"):
        _add_named(model, [bad])


def _lease_market_numpy(request, partner, is_cn_lab, funds, alive, capacity, price, pools, access):
    """Stages 1 and 2 of ``abm.phases.compute.run`` as they were at commit 700c282 (with
    ``serve_partners`` and ``_spot`` inlined); returns the pairs and the clouds' demand."""
    nh = capacity.size
    cap = np.where(alive, capacity, 0.0)
    has = partner >= 0
    p = np.where(has, partner, 0)
    wanted = np.bincount(p, weights=np.where(has, request, 0.0), minlength=nh)
    fill = np.minimum(1.0, np.divide(cap, wanted, out=np.ones_like(wanted), where=wanted > 0))
    got = np.where(has, request * fill[p], 0.0)
    used = np.bincount(np.maximum(partner, 0), weights=got, minlength=nh)
    left = np.maximum(cap - used, 0.0)
    served = got > 0
    buyers, sellers, amounts = [np.flatnonzero(served)], [partner[served]], [got[served]]
    demand = np.bincount(
        np.maximum(partner, 0), weights=np.where(partner >= 0, request, 0.0), minlength=nh
    )

    def spot(want, members):
        b = np.flatnonzero(want > 0)
        s_rows = np.flatnonzero(members & (left > 0))
        if b.size == 0:
            return
        total_cap = capacity[members].sum()
        if total_cap > 0:
            demand[:] += np.where(members, capacity / total_cap, 0.0) * want[b].sum()
        if s_rows.size == 0:
            return
        filled, bi, si, amt = clear_spot(want[b], wtp[b], left[s_rows], price[s_rows])
        got[b] += filled
        np.subtract.at(left, s_rows[si], amt)
        buyers.append(b[bi])
        sellers.append(s_rows[si])
        amounts.append(amt)

    rest = request - got
    wtp = funds / np.maximum(request, 1e-9)
    for pool_id, members in enumerate(pools):
        spot(rest * ((is_cn_lab if pool_id == 1 else ~is_cn_lab) & (rest > 0)), members)
    if access > 0:
        spot((request - got) * is_cn_lab * access, pools[0])
    buyer = np.concatenate(buyers)
    seller = np.concatenate(sellers).astype(np.int64)
    return buyer, seller, np.concatenate(amounts), demand


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),  # np.bincount of no labs is int64: the numpy code needed one
    nh=st.integers(1, 12),
    access=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_lease_market_matches_numpy(seed, n, nh, access):
    rng = np.random.default_rng(seed)
    request = rng.lognormal(0.0, 2.0, n) * (rng.random(n) < 0.9)
    partner = np.where(rng.random(n) < 0.4, rng.integers(0, nh, n), -1).astype(np.int32)
    is_cn_lab = rng.random(n) < 0.3
    funds = rng.lognormal(0.0, 1.5, n) * (rng.random(n) < 0.95)
    alive = rng.random(nh) < 0.9
    capacity = rng.lognormal(2.0, 2.0, nh) * (rng.random(nh) < 0.9)
    price = np.round(rng.lognormal(0.0, 0.3, nh), 1)  # ties among clouds
    is_open = rng.random(nh) < 0.8
    cn = rng.random(nh) < 0.3
    pools = np.stack([is_open & ~cn, is_open & cn])
    demand = np.full(nh, np.nan)  # overwritten
    buyer, seller, amount = kernels.lease_market(
        request, partner, is_cn_lab, funds, alive, capacity, price, pools, access, demand
    )
    b, s, a, d = _lease_market_numpy(
        request, partner, is_cn_lab, funds, alive, capacity, price, pools, access
    )
    for x, y in ((buyer, b), (seller, s), (amount, a), (demand, d)):
        assert x.dtype == y.dtype
        assert x.tobytes() == y.tobytes()


def _fund_labs_numpy(model: AIMarketModel) -> None:
    """Parents fund big-tech labs; outside patrons and states fund theirs.

    A parent gives its lab a share of its cash flow that grows with AI spending in its home
    market (up to a ceiling), while the lab holds less than a year of it. Lab grants and public compute of a
    region go to its champions and challengers in proportion to their staff.
    """
    labs, c, _w, pol = model.labs, model.clouds, model.world, model.policy
    si = model.scenario.investors
    n = labs.n
    alive, arch = labs.alive[:n], labs.archetype[:n]
    kids = np.flatnonzero(alive & (arch == BIGTECH) & (labs.parent[:n] >= 0))
    patron = np.flatnonzero(alive & (labs.patron[:n] > 0))
    state_backed = np.flatnonzero(alive & ((arch == CHAMPION) | (arch == CHALLENGER)))
    if kids.size:
        parent = labs.parent[kids]
        # A parent's commitment grows with AI spending in its home market.
        growth = model.demand_growth_by_region()[c.region[parent]]
        share = np.minimum(
            si.parent_ai_share * growth**si.parent_ai_elasticity, si.parent_ai_share_max
        )
        budget = share * c.opcf[parent]
        # Several labs of one parent split its budget.
        siblings = np.bincount(parent, minlength=c.n)[parent]
        budget = budget / siblings
        give = np.where(labs.cash[kids] < 4.0 * budget, budget, 0.0)
        labs.cash[kids] += give
        model.ledger.money_in("parents", float(give.sum()))
    if patron.size:
        labs.cash[patron] += labs.patron[patron]
        model.ledger.money_in("parents", float(labs.patron[patron].sum()))
    grants = pol.lab_subsidy + pol.public_compute * np.array(model.public_compute_price)
    for region in np.flatnonzero(grants > 0):
        who = state_backed[labs.region[state_backed] == region]
        if who.size:
            weight = np.maximum(labs.team_cost[who], 1e-6)
            grant = grants[region] * weight / weight.sum()
            labs.cash[who] += grant
            model.ledger.money_in("states", float(grant.sum()))


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"), [("baseline", 1, 28), ("china_subsidy_push", 2, 16)]
)
def test_fund_labs_matches_numpy(monkeypatch, preset, seed, quarters):
    """Parents', patrons' and states' funding (numpy version at commit ce95222), in lockstep."""
    assert_lockstep(monkeypatch, preset, seed, quarters, [(compute, "fund_labs", _fund_labs_numpy)])


@pytest.mark.parametrize(("preset", "seed"), [("baseline", 1), ("no_export_controls", 4)])
def test_algorithms_and_next_runs_match_numpy(preset, seed):
    """``absorb_algorithms`` and ``next_run_flop`` against their numpy versions (commit
    aa9d8cc), on the model labs of a run in progress."""
    from abm.regions import WEST_BLOC
    from agents.lab import BLOC, FRONTIER

    model = AIMarketModel(load_scenario(preset), rng=seed)
    model.run_for(20)
    labs, w, s = model.labs, model.world, model.scenario.labs
    rows = model.model_lab_rows()
    w.open_algo = float(np.median(labs.algo[rows]))  # an open-weight release to catch up to
    ceiling = labs.ambition[rows] * w.max_run_flop(s.run_quarters)[labs.region[rows]]
    step = np.maximum(s.run_multiple * labs.last_flop[rows], s.frontier_fraction * ceiling)
    want_next = np.maximum(np.minimum(step, ceiling), w.entry_run_flop)
    assert lab.next_run_flop(model, rows).tobytes() == want_next.tobytes()

    algo, arch = labs.algo[rows], labs.archetype[rows]
    leader = ((arch == FRONTIER) | (arch == BIGTECH)) & (BLOC[labs.region[rows]] == WEST_BLOC)
    new = algo + s.algo_absorb_rate * np.maximum(w.algo_frontier - algo, 0.0)
    open_level = w.open_algo - (1.0 - s.open_weight_absorb) * np.maximum(w.open_algo - algo, 0.0)
    new = np.maximum(new, open_level)
    want_algo = np.where(leader, w.algo_frontier, np.minimum(new, w.algo_frontier))
    lab.absorb_algorithms(model, rows)
    assert labs.algo[rows].tobytes() == want_algo.tobytes()


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), nh=st.integers(1, 12))
def test_expected_prices_match_numpy(seed, n, nh):
    """The pools, pool prices and expected lease prices as ``compute.run`` computed them with
    numpy and ``average_price`` (commit aa9d8cc)."""
    from abm.markets.compute import average_price

    rng = np.random.default_rng(seed)
    alive, captive, public = rng.random(nh) < 0.9, rng.random(nh) < 0.2, rng.random(nh) < 0.1
    region_h = rng.integers(0, 5, nh).astype(np.int8)
    capacity = rng.lognormal(2.0, 2.0, nh) * (rng.random(nh) < 0.8)
    price = rng.lognormal(0.0, 0.5, nh)
    rows = np.sort(rng.choice(400, n, replace=False))
    lab_region = rng.integers(0, 5, 400).astype(np.int8)
    partner = np.where(rng.random(400) < 0.4, rng.integers(0, nh, 400), -1).astype(np.int32)
    lease, want_lease = np.zeros(400), np.zeros(400)
    cn = 2
    open_h = alive & ~captive & ~public
    pools = (open_h & (region_h != cn), open_h & (region_h == cn))
    pool_price = []
    for members in pools:
        cap = capacity[members]
        pool_price.append(
            average_price(price[members], cap) if cap.sum() > 0 else float(price.max())
        )
    is_cn_lab = lab_region[rows] == cn
    p = partner[rows]
    want_lease[rows] = np.where(
        p >= 0, price[np.maximum(p, 0)], np.where(is_cn_lab, pool_price[1], pool_price[0])
    )
    got_pools, got_price, got_cn = kernels.expected_prices(
        rows, lab_region, partner, lease, alive, captive, public, region_h, capacity, price, cn
    )
    assert np.array_equal(got_pools, np.stack(pools)) and np.array_equal(got_cn, is_cn_lab)
    assert got_price.tolist() == pool_price
    assert lease.tobytes() == want_lease.tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_finish_runs_matches_numpy(seed):
    """Completed and ended runs as ``progress_runs`` booked them in numpy (commit 2c8e2ca)."""
    rng = np.random.default_rng(seed)
    n = 300
    cols = {
        "run_target": rng.lognormal(55.0, 2.0, n),
        "run_done": np.round(rng.lognormal(55.0, 2.0, n), -20),  # ties for the largest run
        "run_cost": rng.lognormal(0.0, 1.0, n),
        "run_age": rng.integers(0, 5, n).astype(np.int16),
        "algo": rng.normal(0.0, 0.5, n),
        "best_flop": rng.lognormal(55.0, 2.0, n) * (rng.random(n) < 0.7),
        "best_cost": rng.lognormal(0.0, 1.0, n),
        "capability": np.where(rng.random(n) < 0.3, -np.inf, rng.normal(25.0, 1.0, n)),
        "last_flop": rng.lognormal(55.0, 2.0, n),
    }
    open_weight = rng.random(n) < 0.3
    done = np.sort(rng.choice(n, 40, replace=False))
    ended = np.sort(np.concatenate([done[:25], rng.choice(n, 10, replace=False)]))
    ended = np.unique(ended)
    want = {k: v.copy() for k, v in cols.items()}
    flop = want["run_done"][done].copy()
    cost = want["run_cost"][done].copy()
    cap = np.log10(flop) + want["algo"][done]
    better = flop > want["best_flop"][done]
    want["best_cost"][done] = np.where(better, cost, want["best_cost"][done])
    want["best_flop"][done] = np.maximum(want["best_flop"][done], flop)
    want["capability"][done] = np.maximum(want["capability"][done], cap)
    want["last_flop"][done] = flop
    opened = done[open_weight[done]]
    want_open = float(want["algo"][opened].max()) if opened.size else -np.inf
    want_top = int(np.argmax(flop))
    want["run_target"][ended] = 0.0
    want["run_done"][ended] = 0.0
    want["run_age"][ended] = 0
    got_flop, got_cost, got_open, got_top = kernels.finish_runs(
        done,
        ended,
        np.log10(cols["run_done"][done]),
        cols["run_target"],
        cols["run_done"],
        cols["run_cost"],
        cols["run_age"],
        cols["algo"],
        cols["best_flop"],
        cols["best_cost"],
        cols["capability"],
        cols["last_flop"],
        open_weight,
    )
    assert got_flop.tobytes() == flop.tobytes() and got_cost.tobytes() == cost.tobytes()
    assert got_open == want_open and got_top == want_top
    for key, value in want.items():
        assert cols[key].tobytes() == value.tobytes(), key
