"""The plan of a sweep: every run it consists of, checked against the scenarios before any run.

``build_plan`` loads the base scenario and each intervention's scenario, checks every swept
parameter against the scenario schema (the field exists; the range's ends, or every grid value,
lie within the field's bounds), samples the design, spawns the seeds and gives every run its
id. The runs are the product interventions x points x seeds, in that order (seed fastest), and
the same seed index carries the same seed in every intervention and point, so comparisons are
paired and sensitivity analyses use common random numbers.

Run id = hash of the intervention's scenario (its digest), the point's parameter values, the
seed and the model version (plus the labels and the output selection, which change what the
run's file holds). Anything that changes a result changes its id, so a resumed sweep never
reuses a stale result.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from abm import AIMarketModel, Scenario, ScenarioError, load_scenario
from experiments.design import DesignTable, build_design, grid_values, point_count
from experiments.provenance import model_version
from experiments.spec import MAX_RUNS, Outputs, SpecError, SweepSpec

# Above this many (intervention, point) pairs only each parameter's extreme values are checked
# against each scenario; interior points of a box of valid values are valid field by field.
FULL_CHECK_LIMIT = 2000
LABELS: tuple[str, ...] = ("run_id", "intervention", "point", "seed_index", "seed")


@dataclass(frozen=True)
class RunSpec:
    """One run of the plan: its id and labels. The seed is a non-negative 63-bit integer."""

    run_id: str
    intervention: str
    point: int
    seed_index: int
    seed: int

    def labels(self) -> dict[str, Any]:
        """The label columns every stored row carries."""
        return {
            "run_id": self.run_id,
            "intervention": self.intervention,
            "point": self.point,
            "seed_index": self.seed_index,
            "seed": self.seed,
        }


@dataclass
class Plan:
    """A validated sweep: scenarios, design, seeds and the list of runs.

    Attributes:
        spec: the sweep spec.
        scenarios: intervention name -> its scenario before the point's parameters are applied.
        design: the parameter points.
        seeds: seed of each seed index.
        runs: every run, interventions x points x seeds.
        metric_names: metrics the model records (probed from a one-quarter model).
        model_version: engine hash the run ids were computed with.
    """

    spec: SweepSpec
    scenarios: dict[str, Scenario]
    design: DesignTable
    seeds: list[int]
    runs: list[RunSpec]
    metric_names: list[str]
    model_version: str
    kept_metrics: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> Outputs:
        """What each run keeps."""
        return self.spec.outputs

    @property
    def interventions(self) -> list[str]:
        """Intervention names in spec order."""
        return list(self.scenarios)

    def frame(self) -> pl.DataFrame:
        """The plan as a table: one row per run with its labels."""
        return pl.DataFrame(
            {
                "run_id": [r.run_id for r in self.runs],
                "intervention": [r.intervention for r in self.runs],
                "point": [r.point for r in self.runs],
                "seed_index": [r.seed_index for r in self.runs],
                "seed": [r.seed for r in self.runs],
            },
            schema=LABEL_SCHEMA,
        )

    def design_frame(self) -> pl.DataFrame:
        """One row per point: its values, and for sampled designs ``sample.<key>`` columns
        holding the point in sampling space (log10 for log-scale parameters) for SALib."""
        columns: dict[str, pl.Series] = {
            "point": pl.Series("point", range(len(self.design)), dtype=pl.Int64)
        }
        for key in self.design.keys:
            columns[key] = _column(key, [p[key] for p in self.design.points])
        if self.design.matrix is not None and self.design.problem is not None:
            for j, key in enumerate(self.design.keys):
                columns[f"sample.{key}"] = pl.Series(
                    f"sample.{key}", self.design.matrix[:, j], dtype=pl.Float64
                )
        return pl.DataFrame(columns)


LABEL_SCHEMA: dict[str, Any] = {
    "run_id": pl.Utf8,
    "intervention": pl.Utf8,
    "point": pl.Int64,
    "seed_index": pl.Int64,
    "seed": pl.Int64,
}


def spawn_seeds(root: int, count: int) -> list[int]:
    """Seeds of the replications: ``SeedSequence(root).spawn(count)``, each as a 63-bit int."""
    children = np.random.SeedSequence(root).spawn(count)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def run_id(
    *,
    version: str,
    scenario_digest: str,
    intervention: str,
    point: int,
    parameters: dict[str, Any],
    seed_index: int,
    seed: int,
    outputs: Outputs,
) -> str:
    """Content hash (20 hex digits) of everything that determines a run's stored file."""
    payload = json.dumps(
        {
            "model_version": version,
            "scenario": scenario_digest,
            "intervention": intervention,
            "point": point,
            "parameters": parameters,
            "seed_index": seed_index,
            "seed": seed,
            "outputs": outputs.model_dump(mode="json"),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def build_plan(spec: SweepSpec) -> Plan:
    """Check the spec against the scenarios and list every run. Nothing is run or written.

    Raises:
        SpecError: naming each bad field (unknown scenario key, value outside the field's
            bounds, timeline entry that does not validate, unknown metric, too many runs).
    """
    scenarios = _intervention_scenarios(spec)
    first = next(iter(scenarios.values()))
    integer_keys = _check_parameters(spec, scenarios)

    n_points = point_count(spec.design, spec.parameters)
    total = n_points * len(scenarios) * spec.replications.seeds
    if total > MAX_RUNS:
        raise SpecError(
            [
                f"the sweep has {total:,} runs ({len(scenarios)} interventions x {n_points:,} "
                f"points x {spec.replications.seeds} seeds); at most {MAX_RUNS:,} are allowed"
            ],
            spec.source_path,
        )
    design = build_design(spec.design, spec.parameters, integer_keys)
    _check_points(spec, scenarios, design)

    metric_names = probe_metrics(first)
    kept = _check_outputs(spec, metric_names)
    seeds = spawn_seeds(spec.replications.root, spec.replications.seeds)
    version = model_version()
    runs: list[RunSpec] = []
    for name, scenario in scenarios.items():
        digest = scenario.digest()
        for p, params in enumerate(design.points):
            for k, seed in enumerate(seeds):
                rid = run_id(
                    version=version,
                    scenario_digest=digest,
                    intervention=name,
                    point=p,
                    parameters=params,
                    seed_index=k,
                    seed=seed,
                    outputs=spec.outputs,
                )
                runs.append(RunSpec(rid, name, p, k, seed))
    return Plan(spec, scenarios, design, seeds, runs, metric_names, version, kept)


def probe_metrics(scenario: Scenario) -> list[str]:
    """Metric columns the model records, from a one-quarter model (nothing is written)."""
    model = AIMarketModel(scenario.with_overrides({"steps": 1}), rng=0)
    model.step()
    return [c for c in model.metrics().columns if c != "quarter"]


def select_metrics(patterns: list[str], names: list[str]) -> list[str]:
    """Metric names matched by any of the glob patterns, in the model's order."""
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


# --------------------------------------------------------------------------------------------


def _load(ref: str, where: str, spec: SweepSpec) -> Scenario:
    try:
        return load_scenario(spec.resolve_scenario(ref))
    except ScenarioError as exc:
        raise SpecError(
            [f"{where} = {ref!r}: {p}" for p in exc.problems], spec.source_path
        ) from None


def _prefixed(exc: ScenarioError, where: str) -> list[str]:
    return [f"{where}: {p}" for p in exc.problems]


def _intervention_scenarios(spec: SweepSpec) -> dict[str, Scenario]:
    base = _load(spec.base.scenario, "base.scenario", spec)
    problems: list[str] = []
    out: dict[str, Scenario] = {}
    for i, iv in enumerate(spec.interventions):
        where = f"interventions[{i}] ({iv.name})"
        scenario = base if iv.scenario is None else _load(iv.scenario, f"{where}.scenario", spec)
        try:
            if spec.base.set:
                scenario = scenario.with_overrides(spec.base.set)
        except ScenarioError as exc:
            problems.extend(_prefixed(exc, "base.set"))
            continue
        try:
            if iv.set:
                scenario = scenario.with_overrides(iv.set)
        except ScenarioError as exc:
            problems.extend(_prefixed(exc, f"{where}.set"))
            continue
        if iv.timeline or iv.drop_timeline:
            timeline = [t.model_dump() for t in scenario.timeline]
            ids = [t["id"] for t in timeline]
            for j, pattern in enumerate(iv.drop_timeline):
                if not any(fnmatch.fnmatchcase(t, pattern) for t in ids):
                    problems.append(
                        f"{where}.drop_timeline[{j}] = {pattern!r}: matches no timeline entry "
                        f"of the scenario (ids: {', '.join(ids) or 'none'})"
                    )
            timeline = [
                t
                for t in timeline
                if not any(fnmatch.fnmatchcase(t["id"], d) for d in iv.drop_timeline)
            ]
            try:
                scenario = scenario.with_overrides({"timeline": timeline + list(iv.timeline)})
            except ScenarioError as exc:
                problems.extend(_prefixed(exc, f"{where}.timeline"))
                continue
        out[iv.name] = scenario
    if problems:
        raise SpecError(problems, spec.source_path)
    return out


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_parameters(spec: SweepSpec, scenarios: dict[str, Scenario]) -> frozenset[str]:
    """Every parameter names a scenario field and its values lie within the field's bounds.

    Returns the keys of integer fields (their sampled values are rounded).
    """
    problems: list[str] = []
    integer: set[str] = set()
    dumps = {name: s.model_dump() for name, s in scenarios.items()}
    for i, param in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        first_name, first = next(iter(scenarios.items()))
        try:
            first.with_overrides({param.key: _lookup(dumps[first_name], param.key)})
        except ScenarioError as exc:
            problems.append(f"{where}.key = {param.key!r}: not a scenario field: {exc.problems[0]}")
            continue
        current = _lookup(dumps[first_name], param.key)
        if isinstance(current, dict | list):
            problems.append(
                f"{where}.key = {param.key!r}: names a section, not a value "
                f"(its fields: {', '.join(map(str, current)) if isinstance(current, dict) else '...'})"
            )
            continue
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        if not numeric and param.values is None:
            problems.append(
                f"{where}.key = {param.key!r}: the field holds {current!r}, not a number; "
                "sweep it with a grid of values"
            )
            continue
        if isinstance(current, int) and not isinstance(current, bool):
            integer.add(param.key)
        if param.values is not None:
            checks = [(f"{where}.values[{j}]", v) for j, v in enumerate(param.values)]
        elif spec.design.kind == "grid":
            vals = grid_values(param)
            checks = [(f"{where}.low", vals[0]), (f"{where}.high", vals[-1])]
        else:
            checks = [(f"{where}.low", param.low), (f"{where}.high", param.high)]
        for label, value in checks:
            if param.key in integer and isinstance(value, float):
                # Sampled values of integer fields are rounded; written values must be whole.
                value = round(value) if param.values is None or value.is_integer() else value
            for name, scenario in scenarios.items():
                try:
                    scenario.with_overrides({param.key: value})
                except ScenarioError as exc:
                    reason = "; ".join(exc.problems)
                    problems.append(
                        f"{label} = {value!r} is outside the scenario's bounds "
                        f"(intervention {name}): {reason}"
                    )
                    break
    if problems:
        raise SpecError(problems, spec.source_path)
    return frozenset(integer)


def _check_points(spec: SweepSpec, scenarios: dict[str, Scenario], design: DesignTable) -> None:
    """Every point validates on every scenario (fields checked jointly); small designs only."""
    if not design.keys or len(design) * len(scenarios) > FULL_CHECK_LIMIT:
        return
    seen: dict[str, int] = {}
    problems: list[str] = []
    for p, params in enumerate(design.points):
        key = json.dumps(params, sort_keys=True)
        if key in seen and design.kind == "grid":
            problems.append(f"design: points {seen[key]} and {p} are identical ({key})")
        seen.setdefault(key, p)
        for name, scenario in scenarios.items():
            try:
                scenario.with_overrides(params)
            except ScenarioError as exc:
                problems.append(f"design point {p} {key} (intervention {name}): {exc.problems}")
                break
        if len(problems) > 10:
            break
    if problems:
        raise SpecError(problems, spec.source_path)


def _check_outputs(spec: SweepSpec, names: list[str]) -> list[str]:
    problems: list[str] = []
    for i, pattern in enumerate(spec.outputs.metrics):
        if not select_metrics([pattern], names):
            hint = difflib.get_close_matches(pattern, names, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append(f"outputs.metrics[{i}] = {pattern!r}: matches no metric{suggestion}")
    kept = select_metrics(spec.outputs.metrics, names)
    for i, outcome in enumerate(spec.analysis.outcomes or []):
        if outcome not in kept:
            hint = difflib.get_close_matches(outcome, kept, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append(
                f"analysis.outcomes[{i}] = {outcome!r}: not among the kept metrics{suggestion}"
            )
    if problems:
        raise SpecError(problems, spec.source_path)
    return kept


def _column(name: str, values: list[Any]) -> pl.Series:
    if all(isinstance(v, bool) for v in values):
        return pl.Series(name, values, dtype=pl.Boolean)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pl.Series(name, values, dtype=pl.Int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pl.Series(name, [float(v) for v in values], dtype=pl.Float64)
    return pl.Series(name, [str(v) for v in values], dtype=pl.Utf8)
