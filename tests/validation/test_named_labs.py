"""Named labs against reported figures: the table parses and is checked, the model's values
are read at the figure's date (NaN when the lab is not alive or the run stops earlier), and
the summary is taken over the seeds where the lab was alive."""

import math

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from experiments import named_labs
from experiments.named_labs import QUANTITIES, Figure, load_figures, model_values, summarise


def test_every_figure_names_a_source_a_known_quantity_and_a_period_of_the_right_kind():
    figures = load_figures()
    assert figures
    for f in figures:
        assert f.source.strip() and f.value > 0
        assert f.quantity in QUANTITIES
        assert ("Q" in f.period) == (f.quantity == "valuation")


def test_a_quantity_the_module_does_not_know_is_refused_with_the_lab_named(monkeypatch):
    row = {"lab": "X", "period": "2024", "quantity": "profit", "value": 1.0, "source": "s"}
    monkeypatch.setattr(named_labs, "load_table", lambda name: (row,))
    with pytest.raises(ValueError, match=r"profit.*of X"):
        load_figures()


def test_values_are_read_at_the_figures_date_from_the_labs_own_state():
    scenario = load_scenario("baseline").with_overrides({"steps": 20})  # 2020Q1-2024Q4
    figures = (
        Figure("OpenAI", "2024Q4", "valuation", 157.0, "s"),
        Figure("OpenAI", "2024", "revenue", 3.7, "s"),
        Figure("xAI", "2024", "raised", 12.0, "s"),
        Figure("OpenAI", "2025Q2", "valuation", 300.0, "s"),  # after the run ends
    )
    got = model_values((scenario, 1, figures))
    model = AIMarketModel(scenario, rng=1)
    labs = model.labs
    raised_2023 = None
    revenue = 0.0
    for q in range(20):
        model.step()
        openai = labs.names.index("OpenAI")
        if q >= 16:
            revenue += float(labs.revenue[openai])
        if q == 15:
            raised_2023 = float(labs.raised_total[labs.names.index("xAI")])
    assert got[0] == float(labs.valuation[labs.names.index("OpenAI")])
    assert got[1] == pytest.approx(revenue)
    assert got[2] == pytest.approx(float(labs.raised_total[labs.names.index("xAI")]) - raised_2023)
    assert math.isnan(got[3])


def test_summary_takes_quantiles_over_the_seeds_where_the_lab_was_alive():
    f = Figure("A", "2024Q4", "valuation", 10.0, "s")
    rows = summarise([f], [[5.0], [np.nan], [15.0], [10.0]])
    assert rows[0].median == pytest.approx(10.0)
    assert rows[0].alive_share == pytest.approx(0.75)
    assert rows[0].ratio == pytest.approx(1.0)
    assert rows[0].p10 < rows[0].median < rows[0].p90
    empty = summarise([f], [[np.nan], [np.nan]])[0]
    assert math.isnan(empty.median) and empty.alive_share == 0.0
