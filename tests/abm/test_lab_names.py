"""Labs keep their name and region in the network after they die and their rows are dropped."""

import numpy as np

from abm import AIMarketModel, load_scenario


def test_dead_labs_keep_names_and_regions_after_compaction():
    scenario = load_scenario("baseline").with_overrides({"steps": 8})
    model = AIMarketModel(scenario, rng=5)
    for _ in range(4):
        model.step()
    labs = model.labs
    uids = labs.uid[: labs.n][labs.alive[: labs.n]].tolist()
    before = {u: (model.name_of(u), model.node_info(u)["region"]) for u in uids}
    assert any(not labs.names[model.row_of(u)] for u in uids), "expected synthetic entrants"
    assert any(labs.names[model.row_of(u)] for u in uids), "expected named labs"
    dying = np.asarray(uids[::3])
    labs.alive[[model.row_of(u) for u in dying]] = False
    model.compact_labs()
    assert all(model.row_of(int(u)) == -1 for u in dying)
    after = {u: (model.name_of(u), model.node_info(u)["region"]) for u in uids}
    assert after == before
