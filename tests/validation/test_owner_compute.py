"""Compute by owner against Epoch's chip counts: the table parses and is checked, the clouds'
delivery counters agree with the vendors' own shipment counters, owners partition the clouds,
and the summary says whether the model's median lies in Epoch's range."""

import math

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.data_tables import load_table
from experiments import owner_compute
from experiments.owner_compute import (
    ALL,
    CHINA,
    OTHER,
    OWNER_CLOUDS,
    OwnerFigure,
    load_figures,
    model_values,
    owner_rows,
    summarise,
)


def test_every_figure_names_a_source_a_known_vendor_and_lies_in_its_own_range():
    vendors = {r["name"] for r in load_table("vendors")}
    figures = load_figures()
    assert len(figures) >= 40
    for f in figures:
        assert f.source.strip() and f.value > 0
        assert f.vendor in vendors
        assert not f.has_range or f.p5 <= f.value <= f.p95


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"owner": "Nebius"}, r"owner 'Nebius' not one of"),
        ({"since": "2026Q1"}, r"since 2026Q1 is after period 2024Q4"),
        ({"value": 9.0}, r"value 9 outside its range 10-20"),
    ],
)
def test_a_bad_row_is_refused_with_the_row_and_the_field_named(monkeypatch, change, message):
    row = {
        "owner": "Meta", "vendor": "NVIDIA", "since": "2022Q1", "period": "2024Q4",
        "value": 15.0, "p5": 10.0, "p95": 20.0, "source": "s",
    }  # fmt: skip
    monkeypatch.setattr(owner_compute, "load_table", lambda name: ({**row, **change},))
    with pytest.raises(ValueError, match=message):
        load_figures()


def test_owners_partition_the_clouds_between_epochs_named_owners_china_and_other():
    model = AIMarketModel(load_scenario("baseline").with_overrides({"steps": 20}), rng=1)
    model.run_for(20)  # xAI's Colossus opens in 2023Q3
    parts = [owner_rows(model, o) for o in ("Microsoft", "Meta", "Amazon", "Google", "Oracle")]
    parts += [owner_rows(model, o) for o in ("xAI and CoreWeave", CHINA, OTHER)]
    together = np.concatenate(parts)
    assert np.array_equal(np.sort(together), owner_rows(model, ALL))  # disjoint and complete
    for owner, clouds in OWNER_CLOUDS.items():
        assert sorted(model.clouds.names[i] for i in owner_rows(model, owner)) == sorted(clouds)


def test_clouds_deliveries_add_up_to_what_each_vendor_shipped():
    model = AIMarketModel(load_scenario("baseline"), rng=2)
    c, v = model.clouds, model.vendors
    opening = v.cum_shipped[: v.n].copy()  # each vendor's installed base before 2020
    model.run_for(24)
    received = c.delivered[: c.n].sum(axis=0)[: v.n]
    assert received.sum() > 1e6
    assert received == pytest.approx(v.cum_shipped[: v.n] - opening, rel=1e-9)


def test_values_are_deliveries_over_the_figures_span_and_nan_after_the_run():
    scenario = load_scenario("baseline").with_overrides({"steps": 20})  # 2020Q1-2024Q4
    figures = (
        OwnerFigure(ALL, "NVIDIA", "2022Q1", "2024Q4", 1.0, 0.0, 0.0, "s"),
        OwnerFigure("xAI", "NVIDIA", "2023Q1", "2024Q4", 1.0, 0.0, 0.0, "s"),
        OwnerFigure(ALL, "NVIDIA", "2022Q1", "2025Q2", 1.0, 0.0, 0.0, "s"),  # after the run
    )
    figures += (OwnerFigure("xAI", "NVIDIA", "2022Q1", "2022Q4", 1.0, 0.0, 0.0, "s"),)
    got = model_values((scenario, 3, figures))  # xAI's Colossus opens in 2023Q3
    model = AIMarketModel(scenario, rng=3)
    nvidia = model.vendors.names.index("NVIDIA")
    model.run_for(8)  # to the end of 2021Q4
    before = float(model.vendors.cum_shipped[nvidia])
    model.run_for(12)
    assert got[0] == pytest.approx(float(model.vendors.cum_shipped[nvidia]) - before)
    colossus = model.clouds.names.index("xAI Colossus")
    assert got[1] == pytest.approx(float(model.clouds.delivered[colossus, nvidia]))
    assert math.isnan(got[2])
    assert got[3] == 0.0  # before its cluster opened


def test_summary_reports_the_ratio_and_whether_the_median_is_in_epochs_range():
    ranged = OwnerFigure("Meta", "NVIDIA", "2022Q1", "2024Q4", 100.0, 80.0, 130.0, "s")
    bare = OwnerFigure("xAI", "NVIDIA", "2023Q1", "2024Q4", 100.0, 0.0, 0.0, "s")
    rows = summarise([ranged, bare], [[90.0, 3.0], [150.0, 4.0], [np.nan, 5.0]])
    assert rows[0].median == pytest.approx(120.0) and rows[0].in_range is True
    assert rows[0].ratio == pytest.approx(1.2)
    assert rows[1].in_range is None and rows[1].median == pytest.approx(4.0)
    assert summarise([ranged], [[200.0]])[0].in_range is False


def test_owner_shares_split_epochs_counts_into_us_china_and_unattributed_as_the_t5a_caveat_says():
    from experiments.validate import CAVEATS

    sh = owner_compute.owner_shares(load_figures(), "2025Q2")
    assert sh["us"] + sh["china"] + sh["unattributed"] == pytest.approx(1.0)
    note = CAVEATS["T5a"]
    assert f"{sh['total'] / 1e6:.1f}M H100e" in note
    assert f"named US owners {sh['us']:.2f}" in note and f"China {sh['china']:.2f}" in note
    assert f"unattributed {sh['unattributed']:.2f}" in note or (
        f"leave {sh['unattributed']:.2f} unattributed" in note
    )
    assert f"{sh['us']:.2f}-{sh['us'] + sh['unattributed']:.2f}" in note
    with pytest.raises(ValueError, match="no owner figures for 2019Q4"):
        owner_compute.owner_shares(load_figures(), "2019Q4")
