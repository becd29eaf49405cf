"""Export controls move China's compute and chip sourcing in the directions FACTS.md expects,
paired by seed against the baseline."""

import numpy as np
import polars as pl
import pytest

from abm import AIMarketModel, load_scenario

SEEDS = (1, 2, 3)
WINDOW = ("2024", "2030")  # years over which outcomes are averaged


def outcome(name: str, column: str) -> float:
    values = []
    for seed in SEEDS:
        scenario = load_scenario(name).with_overrides({"steps": 44})  # to 2030Q4
        model = AIMarketModel(scenario, rng=seed)
        model.run_for(scenario.steps)
        df = model.metrics().filter(
            pl.col("quarter").str.slice(0, 4).is_between(pl.lit(WINDOW[0]), pl.lit(WINDOW[1]))
        )
        values.append(float(df[column].mean()))
    return float(np.mean(values))


@pytest.fixture(scope="module")
def outcomes():
    cols = ("compute_share.CN", "cn_domestic_chip_share")
    return {
        name: {c: outcome(name, c) for c in cols}
        for name in ("baseline", "no_export_controls", "strict_export_controls")
    }


def test_without_export_controls_china_has_more_compute(outcomes):
    assert (
        outcomes["no_export_controls"]["compute_share.CN"]
        > outcomes["baseline"]["compute_share.CN"]
    )


def test_without_export_controls_china_buys_fewer_domestic_chips(outcomes):
    assert (
        outcomes["no_export_controls"]["cn_domestic_chip_share"]
        < outcomes["baseline"]["cn_domestic_chip_share"]
    )


def test_stricter_controls_leave_china_less_compute(outcomes):
    assert (
        outcomes["strict_export_controls"]["compute_share.CN"]
        < outcomes["baseline"]["compute_share.CN"]
    )


def test_stricter_controls_push_china_to_domestic_chips(outcomes):
    assert (
        outcomes["strict_export_controls"]["cn_domestic_chip_share"]
        > outcomes["baseline"]["cn_domestic_chip_share"]
    )
