"""The capital market against reported figures: the table parses, names a source on every row
and only series the report prints; each figure is read in its own year, NaN past the runs."""

import math

import polars as pl
import pytest

from experiments import capital_figures
from experiments.capital_figures import CapitalFigure, compare, load_figures
from experiments.validate import CAPITAL_SERIES


def test_every_figure_names_a_source_and_a_series_the_report_prints():
    figures = load_figures(CAPITAL_SERIES)
    assert figures
    for f in figures:
        assert f.source.strip() and f.value > 0 and 2020 <= f.year <= 2030
        assert f.series in CAPITAL_SERIES


def test_a_series_the_report_does_not_print_is_refused_with_its_name(monkeypatch):
    row = {"series": "ipo_total", "year": 2024, "value": 1.0, "unit": "USD B", "source": "s"}
    monkeypatch.setattr(capital_figures, "load_table", lambda name: (row,))
    with pytest.raises(ValueError, match=r"series 'ipo_total' \(2024\) not one of"):
        load_figures(CAPITAL_SERIES)


def test_each_figure_is_compared_with_the_models_quantiles_in_its_year():
    quantiles = pl.DataFrame(
        {"year": [2023, 2024], "p10": [1.0, 4.0], "p50": [2.0, 5.0], "p90": [3.0, 6.0]}
    )
    figures = [
        CapitalFigure("vc_funding_total", 2024, 10.0, "USD B", "s"),
        CapitalFigure("vc_funding_total", 2023, 4.0, "USD B", "s"),
        CapitalFigure("vc_funding_total", 2026, 4.0, "USD B", "s"),  # past the runs
    ]
    rows = compare(figures, lambda series: quantiles)
    assert (rows[0].median, rows[0].p10, rows[0].p90) == (5.0, 4.0, 6.0)
    assert rows[0].ratio == pytest.approx(0.5) and rows[1].ratio == pytest.approx(0.5)
    assert math.isnan(rows[2].median)
