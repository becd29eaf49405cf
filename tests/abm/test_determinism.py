"""Same scenario and seed give identical metrics, events and network; other seeds differ."""

import networkx as nx
import pytest

from abm import AIMarketModel, load_scenario


def run(seed, steps=24):
    scenario = load_scenario("baseline").with_overrides({"steps": steps})
    model = AIMarketModel(scenario, rng=seed)
    model.run_for(scenario.steps)
    return model


@pytest.fixture(scope="module")
def twins():
    return run(5), run(5)


def test_same_seed_gives_identical_metrics(twins):
    a, b = twins
    assert a.metrics().equals(b.metrics())


def test_same_seed_gives_identical_events(twins):
    a, b = twins
    assert a.events().equals(b.events())


def test_same_seed_gives_an_identical_network(twins):
    a, b = twins
    assert nx.utils.graphs_equal(a.network, b.network)
    assert a.network.number_of_edges() > 100


def test_another_seed_gives_another_history(twins):
    other = run(6)
    assert not other.metrics().equals(twins[0].metrics())
