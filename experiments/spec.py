"""Sweep files: what to run, written as TOML and validated before anything runs.

A sweep is data (in the manner of EMA Workbench): a base scenario, parameters with ranges and
a design that samples them, named interventions (scenario variants or dated rule changes),
replications, the outputs to keep and the analysis defaults. ``docs/experiments.md`` documents
every field; ``experiments/specs/`` holds worked examples. A minimal file::

    name = "lock-in"
    [base]
    scenario = "baseline"
    set = { steps = 40 }
    [design]
    kind = "grid"
    [[parameters]]
    key = "labs.lock_in"
    values = [0.5, 2.0, 8.0]
    [[interventions]]
    name = "baseline"
    [[interventions]]
    name = "strict_antitrust"
    scenario = "strict_antitrust"
    [replications]
    seeds = 10

This module checks the file's own structure (types, bounds, unknown keys, consistency between
fields). Checks that need the scenarios themselves (a parameter that names no scenario field,
a range outside the scenario's bounds) happen when the plan is built
(:func:`experiments.plan.build_plan`), still before any run. Every problem is reported as a
:class:`SpecError` naming the field by its path (``parameters[1].high``) and the allowed range.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from abm import ScenarioError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=80)]
DESIGN_KINDS = ("none", "grid", "lhs", "sobol", "morris")
MAX_RUNS = 5_000_000


class SpecError(ScenarioError):
    """A sweep file is invalid. The message names every bad field and its allowed values.

    A subclass of :class:`abm.ScenarioError`, so the command line exits with status 2.
    """

    def __init__(self, problems: list[str], source: str | Path | None = None):
        self.problems = problems
        where = f" {source}" if source else ""
        ValueError.__init__(self, f"invalid sweep spec{where}:\n  " + "\n  ".join(problems))


class SpecSection(BaseModel):
    """Base of every section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseScenario(SpecSection):
    """The scenario every run starts from, and overrides applied to every run."""

    scenario: str = Field(
        "baseline", description="Shipped preset name, or a TOML path (relative to the spec file)."
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="Dotted scenario keys applied to every run."
    )


class Parameter(SpecSection):
    """One swept scenario field: a range (sampled by the design) or a list of grid values."""

    key: str = Field(..., min_length=1, description="Dotted scenario path, e.g. labs.lock_in.")
    low: float | None = Field(None, description="Lower end of the range, in the field's unit.")
    high: float | None = Field(None, description="Upper end of the range, in the field's unit.")
    values: list[bool | int | float | str] | None = Field(
        None, min_length=1, description="Grid designs only: explicit values."
    )
    levels: int | None = Field(
        None, ge=2, le=1000, description="Grid designs only: evenly spaced values from low to high."
    )
    scale: Literal["linear", "log"] = Field(
        "linear", description="Sample uniformly in the value (linear) or in its log10 (log)."
    )


class Design(SpecSection):
    """How parameter points are chosen."""

    kind: Literal["none", "grid", "lhs", "sobol", "morris"] = Field(
        "none",
        description="none (one point), grid (full factorial), lhs (Latin hypercube), "
        "sobol (Saltelli's scheme, for Sobol indices) or morris (elementary effects).",
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="lhs: points; sobol: base sample N (a power of 2; N(D+2) points, "
        "N(2D+2) with second_order); morris: trajectories r (r(D+1) points).",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the design's sampler.")
    second_order: bool = Field(False, description="sobol: also sample for second-order indices.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels (even).")


class Intervention(SpecSection):
    """A named variant compared against the others: another scenario, overrides, dated rules."""

    name: Name
    description: str = ""
    scenario: str | None = Field(
        None, description="Another preset or TOML path instead of the base scenario."
    )
    set: dict[str, Any] = Field(default_factory=dict, description="Dotted scenario overrides.")
    timeline: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Dated rule changes appended to the scenario's timeline "
        "(id, quarter, set, note), e.g. tighten the TPP threshold in 2026Q1.",
    )
    drop_timeline: list[str] = Field(
        default_factory=list, description="Glob patterns of inherited timeline ids to remove."
    )


class Replications(SpecSection):
    """Seeds: ``numpy.random.SeedSequence(root).spawn(seeds)``, shared by every variant."""

    seeds: int = Field(10, ge=1, le=100_000, description="Replications per variant and point.")
    root: int = Field(20240601, ge=0, le=2**63 - 1, description="Root entropy of the seeds.")


class Outputs(SpecSection):
    """What each run keeps."""

    metrics: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="Metric names or glob patterns (e.g. 'compute_share.*'); '*' keeps all.",
    )
    quarters: Literal["all", "year_end"] = Field(
        "all", description="Keep every quarter, or only the last quarter of each year."
    )
    summary: bool = Field(True, description="Keep the run summary (model.summary()).")


class Analysis(SpecSection):
    """Defaults of ``aimarket compare`` and ``aimarket sensitivity`` for this sweep."""

    baseline: str | None = Field(
        None, description="Reference intervention (default: the first one)."
    )
    outcomes: list[str] | None = Field(
        None, min_length=1, description="Metrics to compare (default: the key outcomes)."
    )
    years: list[str] = Field(
        default_factory=lambda: ["2030", "end"],
        min_length=1,
        description="Years ('2030') or 'end' (last simulated quarter) at which outcomes are read.",
    )


class Execution(SpecSection):
    """How runs are grouped into tasks."""

    runs_per_task: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Runs per executor task (default: about 16 tasks per worker, at most 64 runs).",
    )


class SweepSpec(SpecSection):
    """A whole sweep file. Build one with :func:`load_spec` or :meth:`SweepSpec.from_dict`."""

    name: Name
    description: str = ""
    base: BaseScenario = Field(default_factory=BaseScenario)
    parameters: list[Parameter] = Field(default_factory=list)
    design: Design = Field(default_factory=Design)
    interventions: list[Intervention] = Field(
        default_factory=lambda: [Intervention(name="baseline")], min_length=1
    )
    replications: Replications = Field(default_factory=Replications)
    outputs: Outputs = Field(default_factory=Outputs)
    analysis: Analysis = Field(default_factory=Analysis)
    execution: Execution = Field(default_factory=Execution)

    _source_path: Path | None = PrivateAttr(None)
    _source_text: str | None = PrivateAttr(None)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: Path | None = None, text: str | None = None
    ) -> SweepSpec:
        """Validate plain data (a parsed TOML file) into a spec, or raise :class:`SpecError`."""
        try:
            spec = cls.model_validate(data)
        except ValidationError as exc:
            raise SpecError(_messages(exc), source) from None
        problems = structure_problems(spec)
        if problems:
            raise SpecError(problems, source)
        spec._source_path = source
        spec._source_text = text
        return spec

    @property
    def source_path(self) -> Path | None:
        """The file the spec was read from (None for a spec built from a dict)."""
        return self._source_path

    @property
    def source_text(self) -> str:
        """The spec as written (the TOML file's text, or JSON for a spec built from a dict)."""
        if self._source_text is not None:
            return self._source_text
        return json.dumps(self.model_dump(mode="json"), indent=2)

    @property
    def baseline(self) -> str:
        """Name of the reference intervention for comparisons."""
        return self.analysis.baseline or self.interventions[0].name

    def resolve_scenario(self, ref: str) -> str:
        """A scenario reference as ``load_scenario`` takes it: presets by name, files by path.

        Relative paths are taken relative to the spec file, then to the working directory.
        """
        if self._source_path is not None and (ref.endswith(".toml") or "/" in ref):
            candidate = self._source_path.parent / ref
            if candidate.is_file():
                return str(candidate)
        return ref


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep TOML file, raising :class:`SpecError` naming any bad field."""
    path = Path(path)
    if not path.is_file():
        raise SpecError([f"spec file {str(path)!r} does not exist"])
    text = path.read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([f"malformed TOML: {exc}"], path) from None
    return SweepSpec.from_dict(data, source=path.resolve(), text=text)


def as_spec(spec: SweepSpec | str | Path | dict[str, Any]) -> SweepSpec:
    """Accept a spec object, a path to a TOML file or plain data."""
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return SweepSpec.from_dict(spec)
    return load_spec(spec)


# --------------------------------------------------------------------------------------------
# Consistency between fields (types and bounds are pydantic's job)
# --------------------------------------------------------------------------------------------

_YEAR = re.compile(r"^(end|\d{4})$")


def structure_problems(spec: SweepSpec) -> list[str]:
    """Problems that involve several fields: design vs parameters, names, years."""
    problems: list[str] = []
    kind = spec.design.kind
    if kind == "none" and spec.parameters:
        problems.append(
            "design.kind = 'none' but parameters are given "
            f"(allowed kinds: {', '.join(DESIGN_KINDS[1:])})"
        )
    if kind != "none" and not spec.parameters:
        problems.append(f"design.kind = {kind!r} needs at least one [[parameters]] entry")
    if kind in ("lhs", "sobol", "morris") and spec.design.samples is None:
        problems.append(f"design.samples is required for design.kind = {kind!r}")
    if kind == "sobol" and spec.design.samples is not None:
        n = spec.design.samples
        if n & (n - 1):
            problems.append(f"design.samples = {n}: Sobol designs need a power of 2 (e.g. 64)")
    if kind == "morris" and spec.design.levels % 2:
        problems.append(f"design.levels = {spec.design.levels}: Morris levels must be even")
    if kind == "grid" and spec.design.samples is not None:
        problems.append("design.samples: not used by grid designs (give values or levels)")

    keys = [p.key for p in spec.parameters]
    for i, param in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        if keys.count(param.key) > 1:
            problems.append(f"{where}.key = {param.key!r}: swept twice")
        problems.extend(_parameter_problems(where, param, kind))

    names = [iv.name for iv in spec.interventions]
    for i, name in enumerate(names):
        if names.index(name) != i:
            problems.append(f"interventions[{i}].name = {name!r}: names must be unique")
    for i, iv in enumerate(spec.interventions):
        for key in iv.set:
            if key in keys:
                problems.append(
                    f"interventions[{i}].set: {key!r} is also a swept parameter; "
                    "sweep it or set it, not both"
                )
    if spec.analysis.baseline is not None and spec.analysis.baseline not in names:
        problems.append(
            f"analysis.baseline = {spec.analysis.baseline!r}: not an intervention "
            f"(allowed: {', '.join(names)})"
        )
    for i, year in enumerate(spec.analysis.years):
        if not _YEAR.match(year):
            problems.append(
                f"analysis.years[{i}] = {year!r}: a four-digit year such as '2030', or 'end'"
            )
    for key in spec.base.set:
        if key in keys:
            problems.append(
                f"base.set: {key!r} is also a swept parameter; sweep it or set it, not both"
            )
    return problems


def _parameter_problems(where: str, param: Parameter, kind: str) -> list[str]:
    problems: list[str] = []
    has_range = param.low is not None or param.high is not None
    if has_range and (param.low is None or param.high is None):
        missing = "high" if param.high is None else "low"
        problems.append(f"{where}.{missing}: a range needs both low and high")
        return problems
    if param.low is not None and param.high is not None and not param.low < param.high:
        problems.append(f"{where}: low = {param.low} must be below high = {param.high}")
    if param.scale == "log" and param.low is not None and param.low <= 0:
        problems.append(f"{where}.low = {param.low}: scale = 'log' needs low > 0")
    if kind == "grid":
        if param.values is not None and (has_range or param.levels is not None):
            problems.append(f"{where}: give either values or low/high/levels, not both")
        elif param.values is None and (not has_range or param.levels is None):
            problems.append(f"{where}: a grid parameter needs values, or low, high and levels")
        if param.values is not None:
            shown = [json.dumps(v) for v in param.values]
            dup = sorted({s for s in shown if shown.count(s) > 1})
            if dup:
                problems.append(f"{where}.values: repeated values {', '.join(dup)}")
    elif kind in ("lhs", "sobol", "morris"):
        if param.values is not None or param.levels is not None:
            problems.append(
                f"{where}: design.kind = {kind!r} samples a range; give low and high "
                "(values and levels are for grid designs)"
            )
        elif not has_range:
            problems.append(f"{where}: design.kind = {kind!r} needs low and high")
    return problems


# --------------------------------------------------------------------------------------------
# Readable messages from pydantic errors
# --------------------------------------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "spec"


def _unwrap(annotation: Any) -> Any:
    """Strip Optional, Annotated and list[...] down to the element type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _field_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """The model holding the last element of ``loc`` and that field's FieldInfo (or None)."""
    model: Any = SweepSpec
    field = None
    for i, part in enumerate(loc):
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        field = model.model_fields.get(str(part))
        if field is None:
            return model, None
        if i < len(loc) - 1:
            model = _unwrap(field.annotation)
    return model, field


def _allowed(loc: tuple[Any, ...]) -> str | None:
    _, field = _field_at(loc)
    if field is None:
        return None
    lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    if lo is None and hi is None:
        return None
    return f"from {lo} to {hi}"


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _path(loc)
        if err["type"] == "extra_forbidden":
            parent: Any = SweepSpec
            if len(loc) > 1:
                _, pfield = _field_at(loc[:-1])
                parent = _unwrap(pfield.annotation) if pfield is not None else None
            known = (
                list(parent.model_fields)
                if isinstance(parent, type) and issubclass(parent, BaseModel)
                else []
            )
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            allowed = f"; allowed: {', '.join(known)}" if known and not hint else ""
            out.append(f"{path}: unknown field{suggestion}{allowed}")
            continue
        if err["type"] == "missing":
            out.append(f"{path}: required field missing")
            continue
        value = err.get("input")
        shown = (
            json.dumps(value)
            if isinstance(value, str | int | float | bool) or value is None
            else type(value).__name__
        )
        msg = f"{path} = {shown}: {err['msg']}"
        allowed = _allowed(loc)
        if allowed and err["type"] in ("greater_than_equal", "less_than_equal"):
            msg += f" (allowed: {allowed})"
        out.append(msg)
    return out
