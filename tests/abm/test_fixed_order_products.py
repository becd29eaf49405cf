"""Matrix products are summed in a fixed order, not BLAS's (which depends on the CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.kernels import matvec, sum_columns_by_group


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (3, 7), (15, 43), (200, 6)])
def test_matvec_is_a_row_by_row_sum_in_column_order(rows, cols):
    rng = np.random.default_rng(rows * cols)
    a = rng.random((rows, cols)) * 10.0 ** rng.uniform(-3, 3, (rows, cols))
    x = rng.random(cols)
    expected = np.zeros(rows)
    for j in range(cols):  # from 0.0, column by column
        expected = expected + a[:, j] * x[j]
    assert matvec(a, x).tobytes() == expected.tobytes()
    np.testing.assert_allclose(matvec(a, x), a @ x, rtol=1e-13)
    assert matvec(a[0], x).tobytes() == expected[:1].tobytes()


@pytest.mark.parametrize(("rows", "cols", "groups"), [(1, 1, 1), (15, 43, 9), (4, 30, 3)])
def test_sum_columns_by_group_is_bincount_order(rows, cols, groups):
    rng = np.random.default_rng(cols)
    a = rng.random((rows, cols)) * 10.0 ** rng.uniform(-3, 3, (rows, cols))
    group = rng.integers(0, groups, cols)
    expected = np.zeros((rows, groups))
    np.add.at(expected, (slice(None), group), a)  # in column order, per element
    assert sum_columns_by_group(a, group, groups).tobytes() == expected.tobytes()
    flat = sum_columns_by_group(a[1 % rows], group, groups)
    assert flat.shape == (groups,)
    assert flat.tobytes() == np.bincount(group, a[1 % rows], minlength=groups).tobytes()
    onehot = np.zeros((cols, groups))
    onehot[np.arange(cols), group] = 1.0
    np.testing.assert_allclose(sum_columns_by_group(a, group, groups), a @ onehot, rtol=1e-13)
