"""Reserved arrays behave as ordinary zeroed numpy arrays, large or small."""

from __future__ import annotations

import pickle

import numpy as np

from abm.memory import HUGE_PAGE_REQUEST_BYTES, reserve


def test_large_and_small_reserves_are_zeroed_writable_arrays_of_the_asked_shape():
    big = HUGE_PAGE_REQUEST_BYTES // 8 + 1
    for shape, dtype in [(10, np.float64), (big, np.float64), ((big, 4), np.int32), (big, bool)]:
        a = reserve(shape, dtype)
        assert a.shape == (shape if isinstance(shape, tuple) else (shape,))
        assert a.dtype == np.dtype(dtype)
        assert not a.any()
        a[-1] = 1
        assert a.sum() == 1 if a.ndim == 1 else a[-1].sum() == a.shape[1]


def test_two_reserves_do_not_share_memory_and_survive_pickling():
    n = HUGE_PAGE_REQUEST_BYTES // 8
    a, b = reserve(n), reserve(n)
    a[:3] = [1.0, 2.0, 3.0]
    assert not np.shares_memory(a, b) and not b.any()
    back = pickle.loads(pickle.dumps(a))
    assert back.tobytes() == a.tobytes()
    back[0] = 9.0
    assert a[0] == 1.0
