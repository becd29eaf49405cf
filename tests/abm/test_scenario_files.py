"""Scenarios are validated data: presets load, overrides are checked, bad input names the field."""

import pytest

from abm import Scenario, ScenarioError, available_scenarios, load_scenario

PRESETS = (
    "baseline",
    "no_export_controls",
    "strict_export_controls",
    "diffusion_rule_kept",
    "outbound_investment_ban",
    "strict_antitrust",
    "merger_control",
    "breakup_once",
    "global_compute_threshold",
    "china_subsidy_push",
    "scale",
)


def test_every_designed_preset_ships_and_loads():
    assert set(PRESETS) <= set(available_scenarios())
    for name in PRESETS:
        scenario = load_scenario(name)
        assert isinstance(scenario, Scenario)
        assert scenario.name == name


def test_baseline_replays_the_real_rule_sequence():
    s = load_scenario("baseline")
    q = lambda label: s.start_index + (int(label[:4]) - 2020) * 4 + int(label[-1]) - 1  # noqa: E731
    assert s.policy_at(q("2022Q3"))["export_control"]["rule"] == "none"
    assert s.policy_at(q("2022Q4"))["export_control"]["rule"] == "oct2022"
    assert s.policy_at(q("2023Q4"))["export_control"]["rule"] == "oct2023"
    assert s.policy_at(q("2025Q2"))["export_control"]["low_band_licence"]["mode"] == "deny"
    h20 = s.policy_at(q("2025Q3"))["export_control"]["low_band_licence"]
    assert h20["mode"] == "revenue_share" and h20["revenue_share"] == pytest.approx(0.15)
    # The diffusion rule lived one quarter.
    assert s.policy_at(q("2025Q1"))["export_control"]["tier2_cap_tpp_per_country"] == pytest.approx(
        790e6
    )
    assert s.policy_at(q("2025Q2"))["export_control"]["tier2_cap_tpp_per_country"] == 0.0


def test_counterfactuals_differ_from_the_baseline_only_where_they_say():
    base = load_scenario("baseline")
    no_ec = load_scenario("no_export_controls")
    assert {t.id for t in no_ec.timeline} < {t.id for t in base.timeline}
    assert not any(t.id.startswith("chips-") for t in no_ec.timeline)
    kept = load_scenario("diffusion_rule_kept")
    assert "chips-2025-05-diffusion-rescinded" not in {t.id for t in kept.timeline}


def test_override_with_dotted_key_returns_a_new_validated_scenario():
    s = load_scenario("baseline")
    t = s.with_overrides({"export_control.tpp_threshold": 2400, "labs.lock_in": 1.5})
    assert t.export_control.tpp_threshold == 2400
    assert t.labs.lock_in == 1.5
    assert s.export_control.tpp_threshold == 4800  # the original is untouched
    assert t.digest() != s.digest()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"export_control.tpp_threshold": -5}, "export_control.tpp_threshold = -5"),
        ({"export_control.tpp_threshold": -5}, "allowed: from 0.0 to 1000000.0"),
        ({"labs.lock_in": 100}, "labs.lock_in = 100"),
        ({"export_control.tpp_treshold": 1}, "did you mean 'export_control.tpp_threshold'"),
        ({"export_control.rule": "oct2024"}, "one of 'none', 'oct2022', 'oct2023'"),
        ({"export_control.tiers.CN": 7}, "allowed: from 1 to 3"),
        ({"demand.region_share.US": 0.9}, "region shares must sum to 1"),
    ],
)
def test_bad_override_names_the_field_value_and_range(override, expected):
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline").with_overrides(override)
    assert expected in str(err.value)


def test_unknown_scenario_lists_the_presets():
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*baseline"):
        load_scenario("nope")


def test_malformed_toml_is_reported_with_its_path(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = [unclosed\n")
    with pytest.raises(ScenarioError, match="malformed TOML"):
        load_scenario(str(bad))


def test_a_file_can_inherit_from_a_preset_and_add_a_dated_rule(tmp_path):
    path = tmp_path / "tighten.toml"
    path.write_text(
        'base = "baseline"\n'
        "[[timeline]]\n"
        'id = "tighten-2026"\nquarter = "2026Q1"\n'
        'set = { "export_control.tpp_threshold" = 2400 }\n'
    )
    s = load_scenario(str(path))
    assert s.name == "tighten"
    q2026 = s.start_index + 24
    assert s.policy_at(q2026)["export_control"]["tpp_threshold"] == 2400
    assert s.policy_at(q2026 - 1)["export_control"]["tpp_threshold"] == 4800


def test_timeline_entries_may_only_set_policy_levers(tmp_path):
    path = tmp_path / "sneaky.toml"
    path.write_text(
        'base = "baseline"\n[[timeline]]\nid = "x"\nquarter = "2026Q1"\nset = { "labs.lock_in" = 9 }\n'
    )
    with pytest.raises(ScenarioError, match="not a policy lever"):
        load_scenario(str(path))


def test_timeline_values_are_validated_like_everything_else(tmp_path):
    path = tmp_path / "bad_value.toml"
    path.write_text(
        'base = "baseline"\n[[timeline]]\nid = "x"\nquarter = "2026Q1"\n'
        'set = { "export_control.leakage_rate" = 3.0 }\n'
    )
    with pytest.raises(ScenarioError, match="leakage_rate"):
        load_scenario(str(path))
