"""The calibration's distance and parameter box behave as documented, and a tiny search
returns the best point it evaluated, inside the box."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from abm import load_scenario
from abm.facts import fact
from abm.scenario import parameter_table
from experiments.calibrate import FIT_TARGETS, FITTED, calibrate, distance, to_params, to_unit


def on_target() -> dict[str, float]:
    return {t: fact(t).value for t in FIT_TARGETS}


def test_distance_is_zero_on_target_and_one_at_a_band_edge():
    assert distance(on_target()) == pytest.approx(0.0)
    two_sided = next(t for t in FIT_TARGETS if fact(t).high / fact(t).value < 100)
    for edge in (fact(two_sided).low, fact(two_sided).high):
        stats = on_target() | {two_sided: edge}
        assert distance(stats) == pytest.approx(1.0)


def test_one_sided_target_counts_only_a_miss():
    one_sided = next(t for t in FIT_TARGETS if fact(t).high / fact(t).value > 100)
    f = fact(one_sided)
    assert distance(on_target() | {one_sided: f.low * 3}) == pytest.approx(0.0)
    assert distance(on_target() | {one_sided: f.low / 1.5}) == pytest.approx(1.0)


def test_a_missing_statistic_is_penalised_not_ignored():
    assert distance(on_target() | {FIT_TARGETS[0]: math.nan}) == pytest.approx(25.0)


def test_unit_cube_maps_onto_the_box_log_uniform_where_it_spans_a_wide_range():
    lo = to_params(np.zeros(len(FITTED)))
    hi = to_params(np.ones(len(FITTED)))
    mid = to_params(np.full(len(FITTED), 0.5))
    for name, (a, b) in FITTED.items():
        assert lo[name] == pytest.approx(a) and hi[name] == pytest.approx(b)
        wide = a > 0 and b / a > 4
        assert mid[name] == pytest.approx(math.sqrt(a * b) if wide else (a + b) / 2)


def test_every_fitted_parameter_is_a_real_invented_field_whose_box_the_schema_accepts():
    base = load_scenario("baseline")
    rows = {r["path"]: r for r in parameter_table()}
    for name, (a, b) in FITTED.items():
        base.with_overrides({name: a})  # raises ScenarioError if outside the schema's bounds
        base.with_overrides({name: b})
        assert rows[name]["invented"] and rows[name]["fitted"], name


def test_a_tiny_search_returns_its_best_evaluated_point_inside_the_box():
    base = load_scenario("baseline").with_overrides({"steps": 24})
    bests = []
    result = calibrate(
        base, points=3, seeds=(1,), workers=2, refine_iterations=2, on_best=bests.append
    )
    assert result.evaluations == len(result.history) >= 3
    assert result.objective == pytest.approx(min(score for _, score in result.history))
    # every improvement was reported (the CLI checkpoints it), ending at the optimum
    scores = [b.objective for b in bests]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert bests[-1].params == result.params
    for name, value in result.params.items():
        a, b = FITTED[name]
        assert a - 1e-9 <= value <= b + 1e-9
    assert set(FIT_TARGETS) <= set(result.medians)


def test_to_unit_inverts_to_params():
    u = np.linspace(0.05, 0.95, len(FITTED))
    assert to_unit(to_params(u)) == pytest.approx(u)


def test_a_block_search_moves_only_its_block_and_holds_the_rest_at_the_start():
    base = load_scenario("baseline").with_overrides({"steps": 24})
    start = to_params(np.full(len(FITTED), 0.5))
    block = ["labs.hype_premium", "clouds.capacity_headroom"]
    result = calibrate(
        base, points=3, seeds=(1,), workers=2, refine_iterations=2, start=start, only=block
    )
    assert result.searched == block
    moved = {n for params, _ in result.history for n in FITTED if params[n] != start[n]}
    assert moved and moved <= set(block)
    assert result.to_json()["searched"] == block


def test_a_block_search_refuses_an_unknown_parameter_or_a_missing_start():
    base = load_scenario("baseline")
    with pytest.raises(ValueError, match="not a fitted parameter"):
        calibrate(base, points=1, start=to_params(np.full(len(FITTED), 0.5)), only=["x.y"])
    with pytest.raises(ValueError, match="needs a start point"):
        calibrate(base, points=1, only=["labs.hype_premium"])


def test_the_shipped_defaults_are_the_fitted_values_of_docs_calibration_json():
    """The published fit and the scenario's defaults cannot drift apart."""
    fitted = json.loads((Path(__file__).parents[2] / "docs/calibration.json").read_text())["fitted"]
    assert set(fitted) == set(FITTED)
    scenario = load_scenario("baseline")
    for name, value in fitted.items():
        section, field = name.split(".")
        assert getattr(getattr(scenario, section), field) == value, name
