"""Public AI supercomputers (abm/data/public_compute.csv): each region's state operator buys the
listed systems through the chip market when they come online, pays with public money, and runs
them for its own users — it never leases to labs, never takes stakes, and counts in the
region's installed compute."""

import numpy as np
import polars as pl
import pytest

from abm import AIMarketModel, load_scenario
from abm.calendar import parse_quarter
from abm.data_tables import load_table
from abm.regions import REGION_INDEX, REGIONS

SYSTEMS = load_table("public_compute")
STEPS = 28  # 2020Q1-2026Q4: every listed system has come online and arrived


def _run(scale: float = 1.0, steps: int = STEPS, seed: int = 3) -> AIMarketModel:
    scenario = load_scenario("baseline").with_overrides(
        {"steps": steps, "population.public_supercomputers": scale, "check_invariants": True}
    )
    model = AIMarketModel(scenario, rng=seed)
    model.run_for(steps)
    return model


@pytest.fixture(scope="module")
def run() -> AIMarketModel:
    return _run()


def _public_rows(model: AIMarketModel) -> np.ndarray:
    c = model.clouds
    return np.flatnonzero(c.public[: c.n])


def _aged_h100e(model: AIMarketModel, region: str, scale: float = 1.0) -> float:
    """H100e of the region's systems had each arrived in its quarter and aged since."""
    keep = 1.0 - 1.0 / model.scenario.clouds.chip_life_quarters
    last = model.scenario.start_index + STEPS - 1
    return sum(
        scale
        * s["accelerators"]
        * s["h100e_per_accelerator"]
        * keep ** (last - parse_quarter(s["operational"]) + 1)
        for s in SYSTEMS
        if s["region"] == region
    )


def test_the_table_lists_real_regions_quarters_and_h100e_ratios():
    assert len(SYSTEMS) >= 10
    for s in SYSTEMS:
        assert s["region"] in REGIONS, s
        assert 2015 * 4 <= parse_quarter(s["operational"]) <= 2030 * 4, s
        assert s["accelerators"] > 0, s
        assert 0.05 <= s["h100e_per_accelerator"] <= 2.0, s
        assert "Epoch AI chip dataset" in s["source"], s
    # Systems before the 2020 start form the opening fleet, booked as NVIDIA chips: they are.
    start = load_scenario("baseline").start_index
    early = [s for s in SYSTEMS if parse_quarter(s["operational"]) <= start]
    assert early and all(s["accelerator"].startswith("NVIDIA") for s in early)


def test_one_state_operator_per_region_with_systems(run):
    c = run.clouds
    rows = _public_rows(run)
    regions = sorted({REGION_INDEX[s["region"]] for s in SYSTEMS})
    assert sorted(c.region[rows].tolist()) == regions
    assert all(c.names[i].startswith("Public AI supercomputers") for i in rows)


def test_the_listed_systems_arrive_and_age_like_every_fleet(run):
    c = run.clouds
    for i in _public_rows(run):
        region = REGIONS[int(c.region[i])]
        installed = float(c.stock[i].sum() + c.leaked[i].sum())
        expected = _aged_h100e(run, region)
        # Orders the market rationed arrive a quarter or two late (and age less), never lost.
        assert c.public_owed[i] < 0.01 * expected, region
        assert 0.95 * expected <= installed <= 1.2 * expected, (region, installed, expected)


def test_public_compute_counts_in_the_region_but_is_never_leased_or_invested(run):
    c, labs = run.clouds, run.labs
    rows = _public_rows(run)
    assert np.all(c.capacity[rows] == 0.0)
    assert np.all(c.leased[rows] == 0.0)
    assert np.all(c.strategic[rows] == 0.0)
    assert not np.isin(labs.partner[: labs.n], rows).any()
    uids = set(c.uid[rows].tolist())
    _, edges = run.network_frames()
    mine = edges.filter(pl.col("source").is_in(list(uids)))
    assert mine["equity_busd"].sum() == 0.0 and mine["compute_busd"].sum() == 0.0
    # They do buy chips from the vendors.
    bought = edges.filter(pl.col("target").is_in(list(uids)))["chips_busd"].sum()
    assert bought > 1.0


def test_the_state_pays_for_them(run):
    # Public purchases come in through the "states" account; conservation is checked every
    # quarter by check_invariants.
    without = _run(scale=0.0)
    assert run.ledger.as_dict()["states"]["in"] > without.ledger.as_dict()["states"]["in"] + 1.0


def test_scale_multiplies_the_systems_and_zero_leaves_them_out():
    none = _run(scale=0.0, steps=2)
    assert _public_rows(none).size == 0
    double = _run(scale=2.0)
    for i in _public_rows(double):
        region = REGIONS[int(double.clouds.region[i])]
        installed = float(double.clouds.stock[i].sum() + double.clouds.leaked[i].sum())
        assert installed >= 0.95 * _aged_h100e(double, region, scale=2.0)
