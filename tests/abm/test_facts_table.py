"""The facts table parses, every row has a source, and each target statistic is computed
correctly on synthetic series with known answers."""

import numpy as np
import polars as pl
import pytest

from abm.calendar import quarter_label
from abm.data_tables import DATA_DIR, load_table
from abm.facts import (
    LOCATED_US,
    TARGET_STATISTICS,
    cn_domestic_share,
    growth_per_year,
    load_facts,
    period_sum,
    ratio_of_sums,
    targets,
    value_at,
    with_location,
    year_last,
    year_median,
)


def frame(**columns):
    n = len(next(iter(columns.values())))
    quarters = [quarter_label(2020 * 4 + i) for i in range(n)]
    return pl.DataFrame(
        {"quarter": quarters, **{k: np.asarray(v, dtype=float) for k, v in columns.items()}}
    )


def test_every_row_of_every_data_table_names_its_source():
    tables = sorted(p.stem for p in DATA_DIR.glob("*.csv"))
    assert {"facts", "chips", "training_utilisation", "observations"} <= set(tables)
    for table in tables:
        rows = load_table(table)
        assert rows, table
        for row in rows:
            assert row["source"].strip(), f"{table}: {row}"


def test_observations_name_series_the_model_records():
    from abm.metrics import metric_names
    from abm.population import vendor_rows

    names = set(metric_names([r["name"] for r in vendor_rows()]))
    for row in load_table("observations"):
        assert row["metric"] in names, row
        assert 2019 <= row["year"] <= 2026 and row["value"] > 0, row


def test_the_facts_table_holds_every_target_of_facts_md_with_a_band_around_its_value():
    ids = {f.id for f in targets()}
    for n in range(1, 13):
        assert any(
            i == f"T{n}" or (i.startswith(f"T{n}") and not i[len(f"T{n}") :].isdigit()) for i in ids
        ), n
    for f in load_facts():
        assert f.low <= f.value <= f.high, f.id
    assert set(TARGET_STATISTICS) == ids


def test_growth_per_year_recovers_a_known_exponential():
    t = np.arange(24) / 4.0
    m = frame(x=3e23 * 4.5**t)
    assert growth_per_year(m, "x", 2020, 2025) == pytest.approx(4.5)


def test_growth_per_year_of_a_running_maximum_with_steps():
    t = np.arange(24)
    steps = 1e24 * 10.0 ** (np.floor(t / 4))  # x10 each year, stepwise
    assert growth_per_year(frame(x=steps), "x", 2020, 2025) == pytest.approx(10.0, rel=0.25)


def test_period_and_year_statistics():
    m = frame(x=np.arange(24.0))
    assert year_last(m, "x", 2021) == 7.0
    assert year_median(m, "x", 2021) == pytest.approx(5.5)
    assert period_sum(m, "x", 2023, 2023) == 12 + 13 + 14 + 15
    assert value_at(m, "x", "2025Q2") == 21.0


def test_us_share_by_location_moves_us_operated_capacity_abroad():
    """Owners outside the US and China hold 0.05; if US firms operate 48 % of the capacity
    there, they run 0.05 x 48/52 abroad, which leaves the US share by location."""
    n = 24
    m = frame(
        **{
            "compute_share.US": np.full(n, 0.85),
            "compute_share.CN": np.full(n, 0.10),
            "compute_share.ALLY": np.full(n, 0.03),
            "compute_share.GULF": np.full(n, 0.01),
            "compute_share.ROW": np.full(n, 0.01),
        }
    )
    located = with_location(m, us_operated_abroad=0.48)[LOCATED_US].to_numpy()
    assert located == pytest.approx(np.full(n, 0.85 - 0.05 * 0.48 / 0.52))
    # No US operators abroad: location and owner agree. Half of it: as much again as the others.
    assert with_location(m, 0.0)[LOCATED_US].to_numpy() == pytest.approx(np.full(n, 0.85))
    assert with_location(m, 0.5)[LOCATED_US].to_numpy() == pytest.approx(np.full(n, 0.80))
    # T5a reads the estimate in 2025Q2 with the facts table's I17.
    assert TARGET_STATISTICS["T5a"](m) == pytest.approx(0.85 - 0.05 * 0.48 / 0.52)


def test_ratio_of_sums_and_domestic_share():
    m = frame(
        a=np.ones(24),
        b=np.full(24, 4.0),
        cn_chips_domestic_h100e=np.full(24, 1.0),
        cn_chips_imported_h100e=np.full(24, 2.0),
        cn_chips_leaked_h100e=np.full(24, 1.0),
    )
    assert ratio_of_sums(m, "a", "b", 2022, 2025) == pytest.approx(0.25)
    assert cn_domestic_share(m, 2024) == pytest.approx(0.25)
