"""A browser session's simulation and the data its views draw (no browser, no Solara)."""

from __future__ import annotations

import json

import pytest

from viz.components.capability import capability_option
from viz.components.capital import capital_option
from viz.components.compute import compute_option
from viz.components.events import feed_html
from viz.components.inspector import agent_events, agent_option, candidates
from viz.components.market import market_option
from viz.components.network import clicked_uid, network_option
from viz.network_view import node_position, partners
from viz.state import LiveSession, RunConfig

QUARTERS = 24


@pytest.fixture(scope="module")
def session():
    s = LiveSession(RunConfig("baseline", seed=3))
    for _ in range(QUARTERS):
        assert s.step()
    return s


def strict_json(option: dict) -> str:
    """What the page sends: must be plain JSON (no NaN or infinity)."""
    return json.dumps(option, allow_nan=False)


def test_a_step_advances_one_quarter_and_publishes_a_snapshot():
    s = LiveSession()
    assert s.snapshot.version == 0 and s.snapshot.quarter == ""
    assert s.step()
    assert s.snapshot.version == 1 and s.snapshot.quarter == "2020Q1"
    assert s.snapshot.next_quarter == "2020Q2"
    assert s.snapshot.metrics.height == 1


def test_the_run_stops_at_the_scenarios_last_quarter():
    s = LiveSession(RunConfig("baseline").with_edit("leakage_rate", 0.1))
    s.reset(RunConfig("baseline"))
    steps = s.scenario.steps
    for _ in range(steps):
        assert s.step()
    assert not s.step()
    assert s.snapshot.finished and s.snapshot.quarter == "2035Q4"


def test_sessions_are_independent_and_a_reset_invalidates_old_play_loops():
    a, b = LiveSession(), LiveSession()
    a.step()
    a.step()
    assert a.model is not b.model
    assert (a.snapshot.version, b.snapshot.version) == (2, 0)
    generation = b.generation
    b.reset(RunConfig("no_export_controls", seed=9))
    assert not b.step(generation)  # a Play loop started before the reset stops
    assert b.step(b.generation)
    assert b.scenario.name == "no_export_controls" and b.config.seed == 9


def test_reset_applies_lever_edits_to_the_models_scenario():
    s = LiveSession()
    s.reset(RunConfig("baseline", seed=2).with_edit("leakage_rate", 0.0))
    assert s.model.scenario.timeline[-1].set == {"export_control.leakage_rate": 0.0}
    assert s.snapshot.edited == ("leakage_rate",)


def test_revenue_shares_of_named_labs_and_the_rest_sum_to_one(session):
    shares = session.snapshot.shares
    assert len(shares.quarters) == QUARTERS
    assert 1 <= len(shares.named) <= 8
    for q in range(1, QUARTERS):
        total = sum(values[q] for _, values in shares.named) + shares.others[q]
        assert total == pytest.approx(1.0)


def test_network_view_is_small_stable_and_shows_both_blocs(session):
    view = session.snapshot.network
    agents = [n for n in view.nodes if n.uid >= 0]
    assert 10 <= len(agents) <= 60
    assert len(view.edges) <= 250
    assert {n.region for n in agents} >= {"US", "CN"}
    grouped = [n for n in view.nodes if n.uid < 0]
    assert sum(n.members for n in grouped) > 100  # thousands of labs fold into a few nodes
    for node in agents:
        assert (node.x, node.y) == node_position(node.region, node.type, node.uid)
    assert 0 < view.cross_bloc_busd < view.total_busd
    assert partners(session.flows, agents[0].uid)


def test_feed_lists_each_quarters_summary_newest_first(session):
    feed = session.snapshot.feed
    summaries = [item for item in feed if item.kind == "summary"]
    assert summaries[0].quarter == session.snapshot.quarter
    assert any(item.kind == "rule_change" for item in feed)  # the Oct 2022 chip rule
    page = feed_html(feed)
    assert "<script" not in page and "rounds raising" in page


@pytest.mark.parametrize(
    "build", [market_option, capability_option, compute_option, capital_option]
)
def test_time_series_options_are_plain_json_with_one_point_per_quarter(session, build):
    option = build(session.snapshot)
    strict_json(option)
    for series in option["series"]:
        assert len(series["data"]) == QUARTERS


def test_network_option_draws_every_node_and_maps_clicks_to_agents(session):
    view = session.snapshot.network
    option = network_option(view)
    strict_json(option)
    graph = option["series"][0]
    ids = {d["id"] for d in graph["data"]}
    assert {n.id for n in view.nodes} <= ids
    assert all(link["source"] in ids and link["target"] in ids for link in graph["links"])
    uid = next(n.uid for n in view.nodes if n.uid >= 0)
    assert clicked_uid({"dataType": "node", "data": {"id": f"a{uid}"}}) == uid
    assert clicked_uid({"dataType": "node", "data": {"id": "other-CN"}}) is None
    assert clicked_uid({"dataType": "edge", "data": {}}) is None


def test_inspector_finds_agents_and_their_history(session):
    labs = candidates(session.agents, "Lab", "")
    assert labs and labs[0].type == "Lab"
    quarters, values = session.agents.history(labs[0].uid)
    # one row per quarter the lab was in the world: a contiguous stretch of the run's quarters
    run = tuple(session.snapshot.metrics["quarter"])
    assert len(run) == QUARTERS and 0 < len(quarters) <= QUARTERS
    start = run.index(quarters[0])
    assert quarters == run[start : start + len(quarters)]
    assert set(values) >= {"revenue", "valuation", "capability"}
    assert all(len(v) == len(quarters) for v in values.values())
    strict_json(agent_option(quarters, values))
    funds = candidates(session.agents, "VentureFund", "sequoia")
    assert funds and all("sequoia" in f.name.lower() for f in funds)
    assert agent_events(session.snapshot.events, labs[0].uid)
