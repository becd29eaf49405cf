"""Training utilisation: the 2020 fleet trains at a lower share of peak than current chips, and
the fleet-wide figure rises as new chips replace it (abm/data/training_utilisation.csv)."""

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.data_tables import load_table
from abm.population import legacy_mfu, vendor_rows
from abm.units import FLOP_PER_H100E_QUARTER, TRAINING_UTILISATION
from agents.hyperscaler import set_training_utilisation
from agents.lab import model_lab_rows, progress_runs


def _model(steps: int = 4) -> AIMarketModel:
    scenario = load_scenario("baseline").with_overrides({"steps": 28})
    model = AIMarketModel(scenario, 1)
    for _ in range(steps):
        model.step()
    return model


def test_the_table_holds_the_current_mfu_and_one_row_per_legacy_vendor():
    rows = load_table("training_utilisation")
    current = [r for r in rows if r["role"] == "current"]
    assert len(current) == 1 and current[0]["mfu"] == TRAINING_UTILISATION
    vendors = {r["name"] for r in vendor_rows()}
    assert set(legacy_mfu()) <= vendors
    assert all(0.0 < mfu <= TRAINING_UTILISATION for mfu in legacy_mfu().values())


def test_the_fleet_starts_below_current_chips_and_catches_up_as_it_is_replaced():
    model = _model(0)
    start = model.world.training_utilisation
    assert min(legacy_mfu().values()) < start < TRAINING_UTILISATION
    path = [start]
    for _ in range(24):
        model.step()
        path.append(model.world.training_utilisation)
    assert np.all(np.diff(path) >= -1e-12)  # only rises: old chips retire, new ones arrive
    assert path[-1] == pytest.approx(TRAINING_UTILISATION, rel=0.01)  # 2026: nearly all new


def test_a_fleet_of_old_v100s_only_trains_at_the_v100_utilisation():
    model = _model(0)
    c, v = model.clouds, model.vendors
    n = c.n
    useful = (c.stock[:n] + c.leaked[:n]) @ v.maturity[: v.n]
    c.legacy_gap[:n] = useful * (1.0 - legacy_mfu()["NVIDIA"] / TRAINING_UTILISATION)
    set_training_utilisation(model)
    assert model.world.training_utilisation == pytest.approx(legacy_mfu()["NVIDIA"])
    c.legacy_gap[:n] = 0.0
    set_training_utilisation(model)
    assert model.world.training_utilisation == TRAINING_UTILISATION
    assert model.world.flop_per_h100e_quarter == FLOP_PER_H100E_QUARTER


def test_a_run_gains_the_flop_its_compute_delivers_at_the_fleet_utilisation():
    model = _model(2)
    labs = model.labs
    rows = model_lab_rows(labs)
    row = int(rows[0])
    labs.run_target[row] = 1e30  # far from done
    labs.run_done[row] = 0.0
    labs.run_age[row] = 0
    labs.train_got[row] = labs.final_req[row] = 1000.0  # useful H100e this quarter
    progress_runs(model, np.array([row]))
    assert labs.run_done[row] == pytest.approx(1000.0 * model.world.flop_per_h100e_quarter)
    assert model.world.flop_per_h100e_quarter < FLOP_PER_H100E_QUARTER  # 2020: old fleet left
