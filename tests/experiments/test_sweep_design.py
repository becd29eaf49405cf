"""Designs, seeds and run ids: the plan a sweep runs."""

from __future__ import annotations

import numpy as np
import pytest
from sweep_files import tiny_spec_dict

from experiments.design import build_design, point_count
from experiments.plan import build_plan, spawn_seeds
from experiments.spec import Design, Parameter, SweepSpec

LOCK_IN = Parameter(key="labs.lock_in", low=0.5, high=8.0)
BETA = Parameter(key="labs.beta_capability", low=1.0, high=4.0)
RUN_Q = Parameter(key="labs.run_quarters", low=1, high=8)


def test_grid_is_a_full_factorial_with_the_first_parameter_slowest() -> None:
    params = [
        Parameter(key="labs.lock_in", values=[1.0, 2.0]),
        Parameter(key="export_control.rule", values=["none", "oct2022", "oct2023"]),
    ]
    table = build_design(Design(kind="grid"), params)
    assert len(table) == 6 == point_count(Design(kind="grid"), params)
    assert [p["labs.lock_in"] for p in table.points] == [1.0] * 3 + [2.0] * 3
    assert [p["export_control.rule"] for p in table.points[:3]] == ["none", "oct2022", "oct2023"]


def test_grid_levels_are_evenly_spaced_linear_or_log() -> None:
    lin = build_design(Design(kind="grid"), [Parameter(key="a", low=1, high=3, levels=3)])
    assert [p["a"] for p in lin.points] == [1.0, 2.0, 3.0]
    log = build_design(
        Design(kind="grid"), [Parameter(key="a", low=1, high=100, levels=3, scale="log")]
    )
    assert [p["a"] for p in log.points] == pytest.approx([1.0, 10.0, 100.0])


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        (Design(kind="lhs", samples=10), 10),
        (Design(kind="sobol", samples=8), 8 * (3 + 2)),
        (Design(kind="sobol", samples=8, second_order=True), 8 * (2 * 3 + 2)),
        (Design(kind="morris", samples=5, levels=4), 5 * (3 + 1)),
    ],
)
def test_sampled_designs_have_the_documented_size_and_stay_in_range(
    design: Design, expected: int
) -> None:
    params = [LOCK_IN.model_copy(update={"scale": "log"}), BETA, RUN_Q]
    table = build_design(design, params, integer_keys=frozenset({"labs.run_quarters"}))
    assert len(table) == expected == point_count(design, params)
    assert table.matrix is not None and table.matrix.shape == (expected, 3)
    for point in table.points:
        assert 0.5 - 1e-9 <= point["labs.lock_in"] <= 8.0 + 1e-9
        assert 1.0 <= point["labs.beta_capability"] <= 4.0
        assert isinstance(point["labs.run_quarters"], int)
        assert 1 <= point["labs.run_quarters"] <= 8
    # the matrix kept for SALib is in sampling space (log10 for the log-scale parameter)
    assert np.allclose(10 ** table.matrix[:, 0], [p["labs.lock_in"] for p in table.points])


def test_designs_are_reproducible_from_their_seed() -> None:
    a = build_design(Design(kind="lhs", samples=6, seed=3), [LOCK_IN, BETA])
    b = build_design(Design(kind="lhs", samples=6, seed=3), [LOCK_IN, BETA])
    c = build_design(Design(kind="lhs", samples=6, seed=4), [LOCK_IN, BETA])
    assert a.points == b.points != c.points


def test_seeds_come_from_seed_sequence_spawn() -> None:
    seeds = spawn_seeds(7, 4)
    children = np.random.SeedSequence(7).spawn(4)
    assert seeds == [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert len(set(seeds)) == 4 and all(0 <= s < 2**63 for s in seeds)
    assert spawn_seeds(7, 6)[:4] == seeds  # adding replications keeps the first seeds


def test_every_variant_and_point_shares_the_seed_of_a_seed_index() -> None:
    plan = build_plan(SweepSpec.from_dict(tiny_spec_dict()))
    assert len(plan.runs) == 3 * 2 * 3
    by_index: dict[int, set[int]] = {}
    for run in plan.runs:
        by_index.setdefault(run.seed_index, set()).add(run.seed)
    assert all(len(s) == 1 for s in by_index.values())
    assert [by_index[k].pop() for k in range(3)] == plan.seeds
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)


def test_run_ids_change_with_what_changes_the_result() -> None:
    base = build_plan(SweepSpec.from_dict(tiny_spec_dict()))
    again = build_plan(SweepSpec.from_dict(tiny_spec_dict()))
    assert [r.run_id for r in base.runs] == [r.run_id for r in again.runs]
    ids = {r.run_id for r in base.runs}
    for patch in (
        {"replications.root": 100},  # other seeds
        {"base.set": {"steps": 7, "population.scale": 0.05}},  # other scenario
        {"outputs.quarters": "year_end"},  # other stored content
    ):
        other = build_plan(SweepSpec.from_dict(tiny_spec_dict(**patch)))
        assert not ids & {r.run_id for r in other.runs}, patch
    data = tiny_spec_dict()
    data["parameters"][0]["values"] = [1.0, 5.0]  # point 0 unchanged, point 1 changed
    other = build_plan(SweepSpec.from_dict(data))
    same = {r.run_id for r in other.runs} & ids
    assert same == {r.run_id for r in base.runs if r.point == 0}


def test_run_ids_include_the_model_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import experiments.plan as plan_module

    ids = {r.run_id for r in build_plan(SweepSpec.from_dict(tiny_spec_dict())).runs}
    monkeypatch.setattr(plan_module, "model_version", lambda: "another-engine")
    other = {r.run_id for r in build_plan(SweepSpec.from_dict(tiny_spec_dict())).runs}
    assert not ids & other


def test_model_version_hashes_engine_sources_and_package_version() -> None:
    from experiments.provenance import engine_files, model_version

    names = [name for name, _ in engine_files()]
    assert "abm/model.py" in names and "agents/lab.py" in names
    assert any(n.startswith("abm/data/") and n.endswith(".csv") for n in names)
    assert any(n.startswith("abm/presets/behaviour/") for n in names)
    assert len(model_version()) == 16
