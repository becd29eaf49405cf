"""The live page's policy levers: bounded inputs that become validated scenario data."""

from __future__ import annotations

import math

import pytest

from abm import ScenarioError, load_scenario
from abm.calendar import parse_quarter
from viz.levers import (
    LEVER_BY_KEY,
    LEVER_ENTRY_ID,
    LEVERS,
    SEED_MAX,
    apply_levers,
    clamp,
    clamp_quarter,
    clamp_seed,
    value_in_force,
    values_in_force,
)
from viz.state import RunConfig


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


def extreme_values(lever):
    if lever.kind == "number":
        return [lever.lo, lever.hi]
    if lever.kind == "choice":
        return list(lever.choices)
    return [True, False]


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.key)
def test_every_page_bound_is_inside_the_scenario_schema(baseline, lever):
    for value in extreme_values(lever):
        scenario = apply_levers(baseline, {lever.key: value}, "2020Q1")
        assert value_in_force(scenario, lever, "2035Q4") == pytest.approx(value)


def test_out_of_range_numbers_are_clamped_and_junk_is_refused():
    leakage = LEVER_BY_KEY["leakage_rate"]
    assert clamp(leakage, 7) == 1.0
    assert clamp(leakage, "-3") == 0.0
    for junk in ("abc", None, "nan", float("inf"), "__import__('os')"):
        with pytest.raises(ScenarioError):
            clamp(leakage, junk)
    with pytest.raises(ScenarioError):
        clamp(LEVER_BY_KEY["low_band_licence"], "maybe")
    with pytest.raises(ScenarioError):
        clamp(LEVER_BY_KEY["outbound_cn"], "yes please")
    assert clamp_seed(-5) == 0
    assert clamp_seed(10**12) == SEED_MAX
    with pytest.raises(ScenarioError):
        clamp_seed("1; drop")


def test_from_quarter_is_kept_inside_the_run(baseline):
    assert clamp_quarter(baseline, "1990Q1") == "2020Q1"
    assert clamp_quarter(baseline, "2099Q4") == "2035Q4"
    with pytest.raises(ScenarioError):
        clamp_quarter(baseline, "next year")


def test_levers_left_alone_follow_the_scenario_timeline(baseline):
    assert apply_levers(baseline, {}, "2020Q1") is baseline
    start = values_in_force(baseline, "2020Q1")
    later = values_in_force(baseline, "2030Q1")
    # The baseline's 2025 rules change these levers; the page shows the value in force.
    assert start["outbound_cn"] is False and later["outbound_cn"] is True
    assert start["low_band_licence"] == "allow" and later["low_band_licence"] == "revenue_share"


def test_an_edit_holds_from_its_quarter_over_the_scenarios_later_rules(baseline):
    scenario = apply_levers(baseline, {"low_band_licence": "deny", "leakage_rate": 0.0}, "2021Q1")
    lever = LEVER_BY_KEY["low_band_licence"]
    assert value_in_force(scenario, lever, "2020Q4") == "allow"  # before the edit
    assert value_in_force(scenario, lever, "2030Q1") == "deny"  # the Aug 2025 deal is overridden
    assert value_in_force(scenario, LEVER_BY_KEY["leakage_rate"], "2035Q4") == 0.0
    # Untouched levers keep their dated changes.
    assert value_in_force(scenario, LEVER_BY_KEY["outbound_cn"], "2030Q1") is True
    entry = scenario.timeline[-1]
    assert entry.id == LEVER_ENTRY_ID and entry.quarter == "2021Q1"
    ids = {t.id for t in scenario.timeline}
    assert "chips-2025-04-h20" not in ids  # it set only the edited lever


def test_a_whole_table_set_later_keeps_the_edited_value():
    scenario = load_scenario("global_compute_threshold")
    edited = apply_levers(scenario, {"compute_threshold": 27.0}, "2020Q1")
    policy = edited.policy_at(parse_quarter("2030Q1"))
    for market in policy["compute_threshold"]["markets"].values():
        assert math.isclose(market["flop"], 1e27)
        assert market["cost_share"] == 0.3  # the preset's other obligations still apply


def test_choice_levers_bring_their_terms(baseline):
    scenario = apply_levers(baseline, {"low_band_licence": "revenue_share"}, "2022Q1")
    licence = scenario.policy_at(parse_quarter("2023Q1"))["export_control"]["low_band_licence"]
    assert licence == {"mode": "revenue_share", "approve_probability": 1.0, "revenue_share": 0.15}


def test_unknown_levers_and_scenarios_are_refused(baseline):
    with pytest.raises(ScenarioError):
        apply_levers(baseline, {"labs.lock_in": 3.0}, "2020Q1")
    with pytest.raises(ScenarioError):
        RunConfig(scenario="../../etc/passwd").build()
    with pytest.raises(ScenarioError):
        RunConfig(scenario="abm/presets/baseline.toml").build()
