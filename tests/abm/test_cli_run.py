"""`aimarket run` and `aimarket scenarios` from a user's point of view."""

import json
import subprocess
import sys

import polars as pl

CLI = [sys.executable, "-m", "experiments.cli"]


def aimarket(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_prints_a_yearly_table_and_writes_parquet(tmp_path):
    out = tmp_path / "run"
    res = aimarket(
        "run", "--scenario", "baseline", "--seed", "2", "--out", str(out), "--set", "steps=16"
    )
    assert res.returncode == 0, res.stderr
    for year in ("2020", "2023"):
        assert year in res.stdout
    assert "largest run FLOP" in res.stdout
    metrics = pl.read_parquet(out / "metrics.parquet")
    assert metrics.height == 16 and metrics["quarter"][0] == "2020Q1"
    assert pl.read_parquet(out / "events.parquet").filter(pl.col("kind") == "round").height > 0
    assert pl.read_parquet(out / "network_edges.parquet").height > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 2 and summary["scenario"] == "baseline"


def test_scenarios_lists_every_preset_with_a_line():
    res = aimarket("scenarios")
    assert res.returncode == 0
    for name in ("baseline", "no_export_controls", "strict_export_controls", "scale"):
        assert name in res.stdout


def test_bad_input_exits_nonzero_names_the_field_and_writes_nothing(tmp_path):
    cases = [
        (["--set", "export_control.tpp_threshold=-1"], "export_control.tpp_threshold = -1"),
        (["--set", "labs.nonsense=1"], "unknown field"),
        (["--scenario", "no_such_preset"], "unknown scenario"),
        (["--seed", "-3"], "--seed"),
    ]
    for extra, message in cases:
        out = tmp_path / "never"
        res = aimarket("run", "--out", str(out), *extra)
        assert res.returncode == 2, extra
        assert message in res.stderr, (extra, res.stderr)
        assert not out.exists()
        assert not list(tmp_path.glob(".never*"))


def test_malformed_scenario_file_exits_nonzero(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = = 3\n")
    res = aimarket("run", "--scenario", str(bad), "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "malformed TOML" in res.stderr
    assert not (tmp_path / "x").exists()
