"""Designs: the parameter points of a sweep (grid, Latin hypercube, Sobol, Morris).

A design turns the spec's ``[[parameters]]`` into a table of points, one dict of scenario
values per point. Grids are full factorials (the first parameter varies slowest); the other
designs come from SALib's samplers, so that :mod:`experiments.sensitivity` can hand the same
matrix back to SALib's analysers. Parameters on a ``log`` scale are sampled uniformly in
log10 of the value; the matrix kept for the analysis is in that sampling space.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.spec import Design, Parameter


@dataclass(frozen=True)
class DesignTable:
    """The points of a sweep.

    Attributes:
        kind: design kind (none, grid, lhs, sobol, morris).
        keys: swept scenario paths, in spec order.
        points: one dict per point, scenario path -> value (in the field's own unit).
        matrix: (points, parameters) array in sampling space (log10 for log-scale
            parameters), as given to SALib; None for designs without numeric samples.
        problem: SALib problem definition (names, bounds in sampling space) or None.
        settings: sampler settings (samples, levels, second_order, seed) for the manifest.
    """

    kind: str
    keys: tuple[str, ...]
    points: list[dict[str, Any]]
    matrix: np.ndarray | None = None
    problem: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)


def salib_problem(parameters: list[Parameter]) -> dict[str, Any]:
    """SALib problem definition: names and bounds in sampling space (log10 for log scale)."""
    bounds = []
    for p in parameters:
        lo, hi = float(p.low), float(p.high)  # type: ignore[arg-type]
        bounds.append([math.log10(lo), math.log10(hi)] if p.scale == "log" else [lo, hi])
    return {"num_vars": len(parameters), "names": [p.key for p in parameters], "bounds": bounds}


def grid_values(param: Parameter) -> list[Any]:
    """The values of one grid parameter: explicit, or ``levels`` evenly spaced (log or linear)."""
    if param.values is not None:
        return list(param.values)
    lo, hi, n = float(param.low), float(param.high), int(param.levels)  # type: ignore[arg-type]
    if param.scale == "log":
        return [float(v) for v in np.logspace(math.log10(lo), math.log10(hi), n)]
    return [float(v) for v in np.linspace(lo, hi, n)]


def point_count(design: Design, parameters: list[Parameter]) -> int:
    """Number of points a design will produce (without sampling it)."""
    d = len(parameters)
    match design.kind:
        case "none":
            return 1
        case "grid":
            return math.prod(len(grid_values(p)) for p in parameters)
        case "lhs":
            return int(design.samples or 0)
        case "sobol":
            return int(design.samples or 0) * (2 * d + 2 if design.second_order else d + 2)
        case "morris":
            return int(design.samples or 0) * (d + 1)
    raise ValueError(f"unknown design kind {design.kind!r}")


def build_design(
    design: Design, parameters: list[Parameter], integer_keys: frozenset[str] = frozenset()
) -> DesignTable:
    """Sample the design's points.

    Args:
        design: the spec's ``[design]`` section.
        parameters: the spec's ``[[parameters]]``.
        integer_keys: scenario paths whose fields hold integers; sampled values are rounded.

    Returns:
        The points, and for sampling designs the matrix and SALib problem for the analysis.
    """
    keys = tuple(p.key for p in parameters)
    settings: dict[str, Any] = {"kind": design.kind}
    if design.kind == "none":
        return DesignTable("none", (), [{}], settings=settings)
    if design.kind == "grid":
        columns = [
            [_cast(v, p.key in integer_keys, exact=p.values is not None) for v in grid_values(p)]
            for p in parameters
        ]
        points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*columns)]
        matrix = None
        if all(isinstance(v, int | float) and not isinstance(v, bool) for c in columns for v in c):
            matrix = np.array([[float(p[k]) for k in keys] for p in points])
        return DesignTable("grid", keys, points, matrix, settings=settings)

    problem = salib_problem(parameters)
    n = int(design.samples)  # type: ignore[arg-type]
    settings |= {"samples": n, "seed": design.seed}
    if design.kind == "lhs":
        from SALib.sample import latin

        matrix = latin.sample(problem, n, seed=design.seed)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        settings["second_order"] = design.second_order
        matrix = sobol.sample(
            problem, n, calc_second_order=design.second_order, scramble=True, seed=design.seed
        )
    else:
        from SALib.sample import morris

        settings["levels"] = design.levels
        matrix = morris.sample(problem, n, num_levels=design.levels, seed=design.seed)
    matrix = np.asarray(matrix, dtype=float)
    points = []
    for row in matrix:
        point = {}
        for p, x in zip(parameters, row, strict=True):
            value = 10.0**x if p.scale == "log" else float(x)
            point[p.key] = _cast(value, p.key in integer_keys)
        points.append(point)
    return DesignTable(design.kind, keys, points, matrix, problem, settings)


def _cast(value: Any, integer: bool, exact: bool = False) -> Any:
    """A sampled value as the scenario field takes it.

    Integer fields get rounded samples; with ``exact`` (values the user wrote) only integral
    numbers are converted, so that 2.5 for an integer field is reported, not rounded away.
    """
    if isinstance(value, bool | str):
        return value
    if integer and (not exact or float(value).is_integer()):
        return round(value)
    return value if exact else float(value)
