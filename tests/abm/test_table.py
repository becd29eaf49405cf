"""The struct-of-arrays table: rows come with their fields' fill values whether they were
reserved up front or added by growing, and compaction keeps the survivors in order."""

from typing import Any, ClassVar

import numpy as np

from abm.table import Table


class Things(Table):
    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "cash": (np.float64, 0, 0.0),
        "partner": (np.int64, 0, -1),
        "capability": (np.float64, 0, -np.inf),
        "hist": (np.float64, 3, 0.0),
    }


def test_new_rows_carry_each_fields_fill_in_reserved_and_grown_capacity():
    t = Things(capacity=8)
    first = t.add(5, [f"a{i}" for i in range(5)])
    t.cash[first] = 1.0
    more = t.add(20, [f"b{i}" for i in range(20)])  # beyond the reservation: the table grows
    assert t.n == 25 and t.cash.shape[0] >= 25
    assert np.all(t.cash[:5] == 1.0) and np.all(t.cash[more] == 0.0)
    assert np.all(t.partner[:25] == -1) and np.all(np.isneginf(t.capability[:25]))
    assert t.hist.shape[1] == 3 and np.all(t.hist[:25] == 0.0)
    assert t.alive[:25].all() and not t.alive[25:].any()


def test_compaction_keeps_survivors_in_order_and_refills_the_freed_rows():
    t = Things(capacity=16)
    rows = t.add(6, list("abcdef"))
    t.cash[rows] = np.arange(6.0)
    t.partner[rows] = np.arange(6)
    t.alive[[1, 4]] = False
    mapping = t.compact()
    assert mapping.tolist() == [0, -1, 1, 2, -1, 3]
    assert t.n == 4 and t.names == list("acdf")
    assert t.cash[:4].tolist() == [0.0, 2.0, 3.0, 5.0]
    assert np.all(t.partner[4:6] == -1) and np.all(t.cash[4:6] == 0.0)


class RingThings(Things):
    BY_COLUMN: ClassVar[frozenset[str]] = frozenset({"hist"})


def test_a_field_stored_by_column_reads_like_a_row_field_through_growth_and_compaction():
    rows, cols = Things(capacity=8), RingThings(capacity=8)
    for t in (rows, cols):
        new = t.add(12, [""] * 12)  # grows past the reservation
        t.hist[new] = np.arange(36.0).reshape(12, 3)
        t.hist[: t.n, 1] += 100.0  # one quarter's column over every row
        t.alive[[2, 5, 11]] = False
        t.compact()
    assert cols.hist.shape == rows.hist.shape and cols.n == rows.n == 9
    assert np.array_equal(cols.hist[: cols.n], rows.hist[: rows.n])
    assert cols.hist[:, 1].flags.c_contiguous  # a column is one contiguous run
    assert np.all(cols.hist[cols.n :] == 0.0)


def test_keep_rows_is_take_then_fill():
    """The compiled in-place compaction equals ``take`` into the front and the fill after."""
    from abm.kernels import keep_rows

    rng = np.random.default_rng(5)
    for shape, fill in (((40,), -1.5), ((40, 3), 0.0), ((40,), np.int16(-1))):
        col = rng.normal(size=shape).astype(np.float64 if fill != np.int16(-1) else np.int16)
        kept = np.sort(rng.choice(30, 17, replace=False))
        want = col.copy()
        want[:17] = col[:30].take(kept, axis=0)
        want[17:30] = fill
        keep_rows(col, kept, 30, fill)
        assert col.tobytes() == want.tobytes()
    by_column = np.zeros((3, 40)).T  # a field stored column by column
    by_column[:] = np.arange(120.0).reshape(40, 3)
    want = by_column.copy()
    kept = np.array([0, 4, 5, 9])
    want[:4] = by_column[:10].take(kept, axis=0)
    want[4:10] = 0.0
    keep_rows(by_column, kept, 10, 0.0)
    assert np.array_equal(by_column, want)
