"""The clouds' compiled quarter gives bit for bit what its numpy version gave.

The references below are ``agents/hyperscaler.py``'s ``set_training_utilisation``,
``set_prices`` and ``operate`` as they were at commit 9fc23eb (``useful_capacity`` as at
06f4460). Two models with the same seed run in lockstep, one with the references; after
every quarter their clouds, labs, books and flows must be identical.
"""

from __future__ import annotations

import numpy as np
import pytest
from lockstep import assert_lockstep

from abm import AIMarketModel
from abm.kernels import matvec
from abm.markets.compute import lease_price
from abm.units import FLOP_PER_H100E_QUARTER, TRAINING_UTILISATION
from agents import hyperscaler
from agents.hyperscaler import HOURS_PER_QUARTER


def reference_useful_capacity(model: AIMarketModel) -> np.ndarray:
    """Useful H100e each cloud can run: installed chips x maturity, limited by built power."""
    c, v = model.clouds, model.vendors
    n = c.n
    useful = matvec(c.stock[:n] + c.leaked[:n], v.maturity[: v.n])
    powered = np.divide(c.power_mw[:n] * 1000.0, c.kw[:n], out=np.ones(n), where=c.kw[:n] > 0)
    return useful * np.minimum(powered, 1.0)


def reference_set_training_utilisation(model: AIMarketModel) -> None:
    """Fleet-wide utilisation (MFU) of training runs and the FLOP a useful H100e-quarter gives.

    Runs on the 2020 fleet (V100s, TPU v3, Ascend 910) reached a lower share of peak than runs
    on A100-generation chips and later (abm/data/training_utilisation.csv). The fleet's figure is
    the current MFU less each cloud's remaining ``legacy_gap``, per useful H100e installed; it
    rises towards the current MFU as new chips arrive and the old fleet retires.
    """
    c, v, w = model.clouds, model.vendors, model.world
    n = c.n
    alive = c.alive[:n]
    useful = float(matvec(c.stock[:n] + c.leaked[:n], v.maturity[: v.n])[alive].sum())
    gap = float(c.legacy_gap[:n][alive].sum())
    share = min(gap / useful, 1.0) if useful > 0 else 0.0
    w.training_utilisation = TRAINING_UTILISATION * (1.0 - share)
    w.flop_per_h100e_quarter = FLOP_PER_H100E_QUARTER * (1.0 - share)


def reference_set_prices(model: AIMarketModel) -> None:
    """Cost and lease price per useful H100e-quarter; captives lease at cost.

    Cost is what new capacity costs now (replacement cost, so prices fall as better chips
    arrive): the best chip a cloud may buy, with its server, paid back over
    ``payback_quarters``, plus the energy and data-centre shell it needs, plus interest.
    The price adds a margin that rises with last quarter's demand over capacity.
    """
    c, s = model.clouds, model.scenario.clouds
    n = c.n
    hardware = c.best_price[:n] * s.server_overhead / s.payback_quarters
    energy = c.new_kw[:n] * HOURS_PER_QUARTER * s.energy_usd_per_mwh / 1e3 / 1e9
    building = c.new_kw[:n] / 1000.0 * s.dc_capex_busd_per_mw / 40.0
    capacity = reference_useful_capacity(model)
    interest = np.divide(
        c.debt[:n] * s.interest_rate / 4.0, capacity, out=np.zeros(n), where=capacity > 1.0
    )
    cost = hardware + energy + building + interest
    # The same compute at Cottier et al.'s cost basis: hardware amortised over its service life.
    c.amortised[:n] = (
        c.best_price[:n] * s.server_overhead / s.chip_life_quarters + energy + building
    )
    ratio = np.divide(c.demand[:n], c.capacity[:n], out=np.ones(n), where=c.capacity[:n] > 0)
    price = lease_price(cost, ratio, s.lease_margin, s.lease_scarcity_elasticity)
    c.cost[:n] = cost
    c.price[:n] = np.where(c.captive[:n] | c.public[:n], cost, price)
    c.capacity[:n] = np.where(c.public[:n], 0.0, np.maximum(capacity - c.internal[:n], 0.0))


def reference_operate(model: AIMarketModel) -> None:
    """Pay energy and interest, repay debt from spare cash, age the fleet and the pipeline."""
    c, s = model.clouds, model.scenario.clouds
    n = c.n
    energy = c.kw[:n] * HOURS_PER_QUARTER * s.energy_usd_per_mwh / 1e3 / 1e9
    interest = c.debt[:n] * s.interest_rate / 4.0
    bill = energy + interest
    # Parents (the state, for public systems) cover bills a cloud cannot pay from its cash.
    top_up = np.maximum(bill - c.cash[:n], 0.0)
    c.cash[:n] += top_up
    public = c.public[:n]
    model.ledger.money_in("parents", float(top_up[~public].sum()))
    model.ledger.money_in("states", float(top_up[public].sum()))
    c.cash[:n] -= bill
    model.ledger.money_out("energy", float(energy.sum()))
    model.ledger.money_out("lenders", float(interest.sum()))
    repay = np.minimum(c.debt[:n], np.maximum(c.cash[:n] - 0.5 * c.capex[:n], 0.0) * 0.5)
    c.debt[:n] -= repay
    c.cash[:n] -= repay
    model.ledger.money_out("lenders", float(repay.sum()))
    keep = 1.0 - 1.0 / s.chip_life_quarters
    c.stock[:n] *= keep
    c.leaked[:n] *= keep
    c.legacy_gap[:n] *= keep
    c.kw[:n] *= keep
    c.book[:n] *= keep
    c.internal[:n] *= keep
    c.kw_hist[:n, model.ring_slot()] = c.kw[:n]
    c.internal[:n] = np.minimum(c.internal[:n], reference_useful_capacity(model))
    c.power_mw[:n] += c.pipeline[:n, 0]
    c.pipeline[:n, :-1] = c.pipeline[:n, 1:]
    c.pipeline[:n, -1] = 0.0


@pytest.mark.parametrize(
    ("preset", "seed", "quarters"),
    [("baseline", 1, 32), ("no_export_controls", 2, 16), ("strict_export_controls", 3, 16)],
)
def test_clouds_match_numpy(monkeypatch, preset, seed, quarters):
    assert_lockstep(
        monkeypatch,
        preset,
        seed,
        quarters,
        [
            (hyperscaler, "set_training_utilisation", reference_set_training_utilisation),
            (hyperscaler, "set_prices", reference_set_prices),
            (hyperscaler, "operate", reference_operate),
        ],
    )
