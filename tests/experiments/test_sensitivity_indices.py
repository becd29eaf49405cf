"""sensitivity: SALib indices rank the parameters that drive an outcome."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sweep_files import tiny_spec_dict

from experiments import run_sweep
from experiments.cli import main as cli_main
from experiments.design import build_design
from experiments.outcomes import AnalysisError
from experiments.results import Results
from experiments.sensitivity import indices
from experiments.spec import Design, Parameter

PARAMS = [
    Parameter(key="a", low=0.0, high=1.0),
    Parameter(key="b", low=0.0, high=1.0),
    Parameter(key="c", low=1.0, high=100.0, scale="log"),
]


def synthetic(kind: str, seeds: int = 2) -> Results:
    """y = 10 a + 2 b (+ seed noise); c does nothing."""
    design = Design(kind=kind, samples=64 if kind == "sobol" else 20, seed=2)
    table = build_design(design, PARAMS)
    rows = []
    for p, point in enumerate(table.points):
        for k in range(seeds):
            y = 10 * point["a"] + 2 * point["b"] + 0.01 * k
            rows.append(
                {
                    "run_id": f"{p}-{k}",
                    "intervention": "baseline",
                    "point": p,
                    "seed_index": k,
                    "seed": k,
                    "quarter": "2035Q4",
                    "hhi_revenue": y,
                }
            )
    design_frame = pl.DataFrame(
        {
            "point": range(len(table)),
            **{f"sample.{key}": table.matrix[:, j] for j, key in enumerate(table.keys)},
        }
    )
    manifest = {
        "interventions": ["baseline"],
        "design": {**table.settings, "problem": table.problem},
        "complete": True,
    }
    metrics = pl.DataFrame(rows)
    return Results(
        Path("."),
        metrics,
        pl.DataFrame(),
        pl.DataFrame(),
        manifest,
        design_frame,
        metrics,
        pl.DataFrame(),
    )


def _ranking(frame: pl.DataFrame, measure: str) -> list[str]:
    sub = frame.filter(pl.col("measure") == measure).sort("value", descending=True)
    return sub["parameter"].to_list()


def test_sobol_total_indices_rank_the_drivers() -> None:
    frame = indices(synthetic("sobol"), ["hhi_revenue"], ["end"])
    assert set(frame["method"]) == {"sobol"} and set(frame["measure"]) == {"S1", "ST"}
    assert _ranking(frame, "ST") == ["a", "b", "c"]
    st = dict(zip(*frame.filter(pl.col("measure") == "ST")[["parameter", "value"]], strict=True))
    assert st["a"] == pytest.approx(100 / 104, abs=0.1) and st["c"] == pytest.approx(0, abs=0.02)


def test_morris_mu_star_ranks_the_drivers() -> None:
    frame = indices(synthetic("morris"), ["hhi_revenue"], ["end"])
    assert _ranking(frame, "mu_star") == ["a", "b", "c"]
    mu = dict(
        zip(*frame.filter(pl.col("measure") == "mu_star")[["parameter", "value"]], strict=True)
    )
    assert mu["a"] == pytest.approx(10.0) and mu["c"] == pytest.approx(0.0)


def test_missing_points_and_wrong_designs_are_explained(tmp_path: Path) -> None:
    res = synthetic("morris")
    res.metrics = res.metrics.filter(pl.col("point") != 3)
    with pytest.raises(AnalysisError, match="1 of 80 design points"):
        indices(res, ["hhi_revenue"], ["end"])
    run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    assert cli_main(["sensitivity", str(tmp_path)]) == 2  # a grid design


def test_sensitivity_command_on_a_real_morris_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tiny_spec_dict(**{"design.kind": "morris", "design.samples": 2})
    spec["parameters"] = [
        {"key": "labs.lock_in", "low": 0.5, "high": 8.0, "scale": "log"},
        {"key": "labs.run_quarters", "low": 1, "high": 4},
    ]
    spec["interventions"] = [{"name": "baseline"}]
    spec["replications"] = {"seeds": 1}
    run_sweep(spec, executor="serial", out=tmp_path, progress=False)
    assert cli_main(["sensitivity", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mu_star" in out and "labs.lock_in" in out
    frame = pl.read_csv(tmp_path / "sensitivity.csv", infer_schema=False)
    assert set(frame["parameter"]) == {"labs.lock_in", "labs.run_quarters"}
    mu_star = frame.filter(pl.col("measure") == "mu_star")["value"].cast(pl.Float64)
    assert np.isfinite(mu_star.to_numpy()).all()
    assert (tmp_path / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
