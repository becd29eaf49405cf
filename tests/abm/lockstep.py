"""Two models with the same seed run side by side, one with reference functions patched in.

The compiled kernels must give bit for bit what the numpy code they replaced gave. The
strongest check is to run the model twice in lockstep — once as it is, once with the old
numpy function monkeypatched in — and compare everything after every quarter: every table,
the stakes, the books, the logs and the random generator's state.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from abm import AIMarketModel, load_scenario

TABLES = ("labs", "funds", "sovereigns", "clouds", "vendors")


def full_state(model: AIMarketModel) -> dict[str, bytes]:
    """Everything a quarter can change, as bytes: every field of every table, the stakes,
    the ledger, the event and flow logs, the world's scalars and the generator's state."""
    out = {}
    for name in TABLES:
        table = getattr(model, name)
        for field in table._all_fields():
            out[f"{name}.{field}"] = np.asarray(getattr(table, field)).tobytes()
    h = model.holdings
    for field in ("investor", "lab", "shares", "quarter"):
        out[f"holdings.{field}"] = np.asarray(getattr(h, field)[: h.n]).tobytes()
    out["ledger"] = model.ledger.inflow.tobytes() + model.ledger.outflow.tobytes()
    out["events"] = pickle.dumps(model.event_log._chunks)
    out["flows"] = pickle.dumps(model.flows._chunks) + model.flows.region_flows.tobytes()
    world = model.world
    out["world"] = repr(
        (world.frontier_flop, world.frontier_cost, world.open_algo, world.training_utilisation)
    ).encode()
    out["rng"] = repr(model.rng.bit_generator.state).encode()
    return out


def assert_lockstep(
    monkeypatch: Any,
    preset: str,
    seed: int,
    quarters: int,
    patches: list[tuple[Any, str, Any]],
) -> None:
    """Run ``preset`` with ``seed`` for ``quarters`` twice, the second time with each
    ``(owner, name, reference)`` of ``patches`` patched in; the states must stay identical."""
    new = AIMarketModel(load_scenario(preset), rng=seed)
    ref = AIMarketModel(load_scenario(preset), rng=seed)
    for _ in range(quarters):
        new.step()
        with monkeypatch.context() as patch:
            for owner, name, value in patches:
                patch.setattr(owner, name, value)
            ref.step()
        a, b = full_state(new), full_state(ref)
        for key in b:
            assert a[key] == b[key], (key, new.quarter)
