"""Chips into China are also counted in cards, IDC's unit for T7 (a card counts once whatever
its H100e), next to the H100e-weighted flows the model clears."""

import numpy as np
import pytest

from abm.data_tables import load_table
from abm.model import AIMarketModel
from abm.scenario_files import load_scenario
from abm.units import H100_DENSE_BF16_TFLOPS

FLOWS = ("domestic", "imported", "leaked")


@pytest.fixture(scope="module")
def metrics():
    scenario = load_scenario("baseline")
    model = AIMarketModel(scenario, rng=1)
    model.run_for(24)  # 2020Q1-2025Q4
    return model.metrics()


def test_a_flow_has_cards_exactly_when_it_has_compute(metrics):
    for flow in FLOWS:
        cards = metrics[f"cn_chips_{flow}_cards"].to_numpy()
        h100e = metrics[f"cn_chips_{flow}_h100e"].to_numpy()
        assert ((cards > 0) == (h100e > 0)).all(), flow


def test_cards_per_h100e_lie_within_the_catalogue_range(metrics):
    tflops = [r["bf16_tflops"] for r in load_table("chips") if r["role"] != "reference"]
    fewest, most = H100_DENSE_BF16_TFLOPS / max(tflops), H100_DENSE_BF16_TFLOPS / min(tflops)
    for flow in FLOWS:
        cards = metrics[f"cn_chips_{flow}_cards"].to_numpy()
        h100e = metrics[f"cn_chips_{flow}_h100e"].to_numpy()
        some = h100e > 0
        per = cards[some] / h100e[some]
        assert (per >= fewest * (1 - 1e-12)).all() and (per <= most * (1 + 1e-12)).all(), flow


def test_the_h20_era_imports_many_cards_per_h100e(metrics):
    # From 2024 the licensed imports are mostly H20s: 148 dense BF16 TFLOP/s, 0.15 H100e a card.
    year = np.array([int(q[:4]) for q in metrics["quarter"].to_list()])
    in_2025 = year == 2025
    cards = metrics["cn_chips_imported_cards"].to_numpy()[in_2025].sum()
    h100e = metrics["cn_chips_imported_h100e"].to_numpy()[in_2025].sum()
    assert cards > 3.0 * h100e
