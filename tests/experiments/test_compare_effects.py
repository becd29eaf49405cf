"""compare: paired effects with bootstrap intervals, fans, the command line and its plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sweep_files import tiny_spec_dict

from experiments import load_results, run_sweep
from experiments.cli import main as cli_main
from experiments.compare import EFFECT_COLUMNS, bootstrap_ci, effects, fans
from experiments.outcomes import AnalysisError
from experiments.results import Results

QUARTERS = ["2029Q3", "2029Q4", "2030Q1", "2030Q2"]


def synthetic(effect: float = 2.0, seeds: int = 40, noise: float = 5.0) -> Results:
    """Two interventions; 'push' adds ``effect`` to hhi_revenue on top of seed noise shared
    with the baseline (common random numbers), and nothing to n_frontier_labs."""
    rng = np.random.default_rng(1)
    shared = rng.normal(100.0, noise, size=(seeds, len(QUARTERS)))
    rows = []
    for name, shift in (("baseline", 0.0), ("push", effect)):
        for k in range(seeds):
            for q, quarter in enumerate(QUARTERS):
                rows.append(
                    {
                        "run_id": f"{name}-{k}",
                        "intervention": name,
                        "point": 0,
                        "seed_index": k,
                        "seed": 1000 + k,
                        "quarter": quarter,
                        "hhi_revenue": shared[k, q] + shift,
                        "n_frontier_labs": float(3 + k % 2),
                    }
                )
    metrics = pl.DataFrame(rows)
    plan = metrics.select("run_id", "intervention", "point", "seed_index", "seed").unique(
        maintain_order=True
    )
    manifest = {"interventions": ["baseline", "push"], "complete": True, "design": {}}
    return Results(
        Path("."),
        metrics,
        plan,
        pl.DataFrame(),
        manifest,
        pl.DataFrame({"point": [0]}),
        plan,
        pl.DataFrame(),
    )


def test_paired_effect_recovers_the_shift_with_a_tight_interval() -> None:
    res = synthetic(effect=2.0, noise=5.0)
    table = effects(res, "baseline", ["hhi_revenue", "n_frontier_labs"], ["2029", "end"])
    assert table.columns == list(EFFECT_COLUMNS)
    assert table["intervention"].unique().to_list() == ["push"]
    assert table["year"].to_list() == ["2029", "end", "2029", "end"]
    hhi = table.filter(pl.col("outcome") == "hhi_revenue").row(0, named=True)
    # Pairing cancels the seed noise (sd 5), so the interval is tight around the true shift.
    assert hhi["effect"] == pytest.approx(2.0)
    assert hhi["ci_low"] == pytest.approx(2.0) and hhi["ci_high"] == pytest.approx(2.0)
    assert hhi["n_pairs"] == 40
    assert hhi["baseline_mean"] == pytest.approx(hhi["intervention_mean"] - 2.0)
    labs = table.filter(pl.col("outcome") == "n_frontier_labs").row(0, named=True)
    assert labs["effect"] == 0.0


def test_year_reads_the_last_quarter_of_that_year() -> None:
    res = synthetic()
    values = res.metrics.filter(pl.col("intervention") == "baseline")
    table = effects(res, "baseline", ["hhi_revenue"], ["2029", "2030", "end"])
    means = table.select("year", "baseline_mean").to_dict(as_series=False)
    q4 = values.filter(pl.col("quarter") == "2029Q4")["hhi_revenue"].mean()
    q2 = values.filter(pl.col("quarter") == "2030Q2")["hhi_revenue"].mean()
    assert means["baseline_mean"] == pytest.approx([q4, q2, q2])
    assert effects(res, "baseline", ["hhi_revenue"], ["2031"]).height == 0  # not reached


def test_intervals_cover_the_truth_under_unpaired_noise() -> None:
    rng = np.random.default_rng(5)
    covered = 0
    for _ in range(200):
        d = rng.normal(1.0, 3.0, size=30)
        lo, hi = bootstrap_ci(d, 500, rng)
        covered += lo <= 1.0 <= hi
    assert 0.88 <= covered / 200 <= 0.99
    assert np.isnan(bootstrap_ci(np.array([1.0]), 100, rng)[0])


def test_nan_pairs_are_left_out_and_results_are_reproducible() -> None:
    res = synthetic()
    res.metrics = res.metrics.with_columns(
        pl.when((pl.col("seed_index") == 0) & (pl.col("intervention") == "push"))
        .then(float("nan"))
        .otherwise(pl.col("hhi_revenue"))
        .alias("hhi_revenue")
    )
    a = effects(res, "baseline", ["hhi_revenue"], ["end"], seed=3)
    b = effects(res, "baseline", ["hhi_revenue"], ["end"], seed=3)
    assert a["n_pairs"].to_list() == [39]
    assert a.equals(b)


def test_bad_questions_are_named() -> None:
    res = synthetic()
    with pytest.raises(AnalysisError, match="--baseline 'nope'"):
        effects(res, "nope", ["hhi_revenue"])
    with pytest.raises(AnalysisError, match="'gdp'"):
        effects(res, "baseline", ["gdp"])


def test_fans_are_percentiles_per_intervention_and_quarter() -> None:
    res = synthetic()
    table = fans(res, "hhi_revenue")
    assert table.columns == ["intervention", "quarter", "p10", "p50", "p90"]
    assert table.height == 2 * len(QUARTERS)
    assert table["intervention"].to_list()[:4] == ["baseline"] * 4
    assert table["quarter"].to_list()[:4] == QUARTERS
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()


def test_compare_command_prints_the_table_and_writes_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sweep(tiny_spec_dict(), executor="serial", out=tmp_path, progress=False)
    assert cli_main(["compare", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "effect vs baseline" in out and "strict_antitrust" in out and "hhi_revenue" in out
    for name in ("effects.png", "fans.png", "effects.csv", "effects_by_point.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "effects.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pl.read_csv(tmp_path / "effects.csv")
    assert set(table["intervention"]) == {"strict_antitrust", "tighten"}
    assert set(table["n_pairs"]) == {6}  # 2 points x 3 seeds
    by_point = effects(load_results(tmp_path), by_point=True)
    assert set(by_point["n_pairs"]) == {3} and set(by_point["point"]) == {0, 1}
    assert cli_main(["compare", str(tmp_path), "--baseline", "nope"]) == 2
