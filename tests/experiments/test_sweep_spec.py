"""A bad sweep file fails before any run, with a message naming the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_files import tiny_spec_dict, tiny_spec_text

from abm import ScenarioError
from experiments import SpecError, load_spec, run_sweep
from experiments.cli import main as cli_main
from experiments.plan import build_plan
from experiments.spec import SweepSpec

SPECS = sorted((Path(__file__).parents[2] / "experiments" / "specs").glob("*.toml"))


def _fails(tmp_path: Path, data: dict, *fragments: str) -> str:
    """Run the sweep; it must raise SpecError naming every fragment and write nothing."""
    out = tmp_path / "out"
    with pytest.raises(SpecError) as info:
        run_sweep(data, executor="serial", out=out, progress=False)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists(), "a rejected sweep must not write anything"
    return message


def test_unknown_parameter_is_named_with_a_suggestion(tmp_path: Path) -> None:
    data = tiny_spec_dict()
    data["parameters"][0]["key"] = "labs.lockin"
    _fails(tmp_path, data, "parameters[0].key", "labs.lockin", "did you mean 'labs.lock_in'")


def test_range_outside_the_scenario_bounds_names_the_end_and_the_allowed_range(
    tmp_path: Path,
) -> None:
    data = tiny_spec_dict(**{"design.kind": "lhs", "design.samples": 4})
    data["parameters"] = [{"key": "labs.lock_in", "low": 0.5, "high": 50.0}]
    _fails(tmp_path, data, "parameters[0].high = 50.0", "outside the scenario's bounds", "20")


def test_grid_value_outside_bounds_is_named(tmp_path: Path) -> None:
    data = tiny_spec_dict()
    data["parameters"][0]["values"] = [1.0, -3.0]
    _fails(tmp_path, data, "parameters[0].values[1] = -3.0", "allowed: from 0.0 to 20.0")


def test_unknown_design_lists_the_allowed_kinds(tmp_path: Path) -> None:
    data = tiny_spec_dict(**{"design.kind": "latin"})
    _fails(tmp_path, data, "design.kind", "'grid'", "'lhs'", "'sobol'", "'morris'")


def test_unknown_section_key_gets_a_suggestion(tmp_path: Path) -> None:
    data = tiny_spec_dict()
    data["replications"] = {"seed": 3}
    _fails(tmp_path, data, "replications.seed: unknown field", "did you mean 'seeds'")


@pytest.mark.parametrize(
    ("patch", "fragments"),
    [
        ({"design.kind": "sobol", "design.samples": 10}, ["design.samples = 10", "power of 2"]),
        ({"design.kind": "morris", "design.samples": 3, "design.levels": 5}, ["levels", "even"]),
        ({"replications.seeds": 0}, ["replications.seeds", "from 1 to 100000"]),
        ({"outputs.metrics": ["hhi_revnue"]}, ["outputs.metrics[0]", "did you mean 'hhi_revenue'"]),
        (
            {"analysis.baseline": "nope"},
            ["analysis.baseline = 'nope'", "baseline, strict_antitrust"],
        ),
        ({"analysis.years": ["2030Q1"]}, ["analysis.years[0]"]),
        ({"base.scenario": "baselin"}, ["base.scenario = 'baselin'", "shipped presets"]),
    ],
)
def test_inconsistent_fields_are_named(tmp_path: Path, patch: dict, fragments: list[str]) -> None:
    data = tiny_spec_dict(**patch)
    if patch.get("design.kind") in ("sobol", "morris"):
        data["parameters"] = [{"key": "labs.lock_in", "low": 0.5, "high": 4.0}]
    _fails(tmp_path, data, *fragments)


def test_intervention_problems_name_the_intervention(tmp_path: Path) -> None:
    data = tiny_spec_dict()
    data["interventions"][2]["timeline"][0]["set"] = {"labs.lock_in": 3.0}
    _fails(tmp_path, data, "interventions[2] (tighten).timeline", "not a policy lever")
    data = tiny_spec_dict()
    data["interventions"][1]["drop_timeline"] = ["chipz-*"]
    _fails(
        tmp_path,
        data,
        "interventions[1] (strict_antitrust).drop_timeline[0] = 'chipz-*'",
        "matches no timeline",
    )
    data = tiny_spec_dict()
    data["interventions"][1]["set"] = {"labs.lock_in": 3.0}
    _fails(tmp_path, data, "interventions[1].set", "labs.lock_in", "also a swept parameter")


def test_cli_exits_2_with_the_message_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(tiny_spec_text().replace('key = "labs.lock_in"', 'key = "labs.nope"'))
    out = tmp_path / "out"
    assert cli_main(["sweep", str(spec), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "parameters[0].key = 'labs.nope'" in err
    assert not out.exists()
    assert cli_main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert cli_main(["sweep", str(spec), "--out", str(out), "--dask-local", "0"]) == 2
    assert not out.exists()


def test_spec_error_is_a_scenario_error() -> None:
    assert issubclass(SpecError, ScenarioError)


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_shipped_specs_plan_cleanly(path: Path) -> None:
    spec = load_spec(path)
    plan = build_plan(spec)
    assert len(plan.runs) == len(plan.design) * len(plan.scenarios) * spec.replications.seeds
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)


def test_shipped_specs_cover_the_issue() -> None:
    kinds = {load_spec(p).name: load_spec(p).design.kind for p in SPECS}
    assert kinds["export_control_threshold_leakage"] == "grid"
    assert kinds["lockin_antitrust_grid"] == "grid"
    assert kinds["behaviour_sobol"] == "sobol"
    presets = load_spec(SPECS[[p.stem for p in SPECS].index("counterfactual_presets")])
    assert presets.replications.seeds == 30
    assert len(presets.interventions) == 8


def test_spec_from_dict_round_trips() -> None:
    spec = SweepSpec.from_dict(tiny_spec_dict())
    assert SweepSpec.from_dict(spec.model_dump(mode="json")) == spec
