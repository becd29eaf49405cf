"""The per-step bloc metrics agree with networkx on the built graph."""

import networkx as nx
import numpy as np
import pytest
from networkx.algorithms.community import modularity

from abm import AIMarketModel, load_scenario
from abm.network import bloc_modularity, cross_bloc_share, to_bloc_matrix
from abm.regions import BLOC_OF_REGION, REGIONS


def test_bloc_modularity_matches_networkx_on_a_small_graph():
    g = nx.Graph()
    edges = [("a", "b", 5.0), ("b", "c", 1.0), ("c", "d", 4.0), ("a", "d", 0.5), ("d", "e", 2.0)]
    g.add_weighted_edges_from(edges)
    groups = [{"a", "b"}, {"c", "d"}, {"e"}]
    index = {n: i for i, grp in enumerate(groups) for n in grp}
    m = np.zeros((3, 3))
    for u, v, w in edges:
        m[index[u], index[v]] += w
    assert bloc_modularity(m) == pytest.approx(modularity(g, groups, weight="weight"))


def test_model_network_modularity_equals_networkx_on_the_same_flows():
    scenario = load_scenario("baseline").with_overrides({"steps": 8})
    model = AIMarketModel(scenario, rng=3)
    flows = []
    for _ in range(scenario.steps):
        model.step()
        flows.append(model.flows.region_flows.copy())
    g = model.network
    und = nx.Graph()
    for u, v, d in g.edges(data=True):
        w = und[u][v]["weight"] + d["amount_busd"] if und.has_edge(u, v) else d["amount_busd"]
        und.add_edge(u, v, weight=w)
    bloc = {n: BLOC_OF_REGION[REGIONS.index(d["region"])] for n, d in g.nodes(data=True)}
    groups = [{n for n in und if bloc[n] == b} for b in range(3)]
    expected = modularity(und, [grp for grp in groups if grp], weight="weight")
    assert bloc_modularity(to_bloc_matrix(np.sum(flows, axis=0))) == pytest.approx(
        expected, rel=1e-6
    )


def test_cross_bloc_share_is_the_us_bloc_part_of_all_flows_touching_china():
    flows = np.zeros((5, 5))
    flows[0, 2] = 3.0  # US -> CN
    flows[2, 2] = 5.0  # within CN: decoupling shows up as flows staying inside
    flows[3, 2] = 2.0  # GULF -> CN
    assert cross_bloc_share(flows) == pytest.approx(3.0 / 10.0)
