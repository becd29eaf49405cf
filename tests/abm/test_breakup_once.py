"""The one-time break-up preset (Malerba, Nelson, Orsenigo & Winter's antitrust experiment):
dominant labs are split once, at the end of 2026, and never again."""

import polars as pl
import pytest

from abm import load_scenario
from experiments.runner import simulate


@pytest.fixture(scope="module")
def runs():
    """Seed 1 at lock-in 5 (a lab dominates its market through 2026) to the end of 2029."""
    out = {}
    for name in ("baseline", "breakup_once"):
        scenario = load_scenario(name).with_overrides({"labs.lock_in": 5.0, "steps": 40})
        out[name] = simulate(scenario, 1, keep_events=True, keep_network=False)
    return out


def test_dominant_labs_are_split_once_at_the_end_of_2026(runs):
    splits = runs["breakup_once"].events.filter(pl.col("kind") == "breakup")
    assert splits.height >= 1
    # The rule is on for 2026 only and needs four quarters above 40 %: 2026Q4 is the only date.
    assert set(splits["quarter"]) == {"2026Q4"}
    assert all(name.endswith("spin-off") for name in splits["counterparty"])


def test_the_baseline_splits_nobody_and_agrees_until_the_break_up(runs):
    base, once = runs["baseline"], runs["breakup_once"]
    assert base.events.filter(pl.col("kind") == "breakup").height == 0
    before = pl.col("quarter") < "2026Q4"
    assert base.metrics.filter(before).equals(once.metrics.filter(before))
    after = pl.col("quarter") >= "2027Q1"
    assert not base.metrics.filter(after)["hhi_revenue"].equals(
        once.metrics.filter(after)["hhi_revenue"]
    )
