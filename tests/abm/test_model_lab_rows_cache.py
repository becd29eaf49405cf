"""The model labs' rows are kept as labs close and enter, not recomputed; whenever a phase
reads them they equal the rows computed afresh from the lab table."""

from __future__ import annotations

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from agents.lab import model_lab_rows


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [
        ("strict_antitrust", {}),  # break-ups, acquisitions
        ("scale", {"population.scale": 1.0}),  # thousands of entries and exits; compaction
    ],
)
def test_cached_model_lab_rows_are_always_current(scenario, overrides):
    model = AIMarketModel(load_scenario(scenario).with_overrides(overrides), rng=3)
    cached = type(model).model_lab_rows
    reads = []

    def checked(self):
        rows = cached(self)
        assert np.array_equal(rows, model_lab_rows(self.labs)), self.quarter
        assert not rows.flags.writeable
        reads.append(rows.size)
        return rows

    type(model).model_lab_rows = checked
    try:
        model.run_for(40)
    finally:
        type(model).model_lab_rows = cached
    assert len(reads) >= 3 * 40  # compute, product and capital each read them every quarter


def test_a_lab_that_closes_leaves_the_rows_at_once():
    from abm.phases import demography

    model = AIMarketModel(load_scenario("baseline"), rng=1)
    model.step()
    rows = model.model_lab_rows()
    demography._retire(model, rows[:1].copy())
    assert rows[0] not in model.model_lab_rows()
