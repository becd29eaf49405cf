"""Compiled kernels for the hot per-row rules (issue #6).

Each module here holds the loops of one concept (``capital``: deal flow and clearing), written
with numba so that a pass over every ask or every offer is one compiled loop instead of dozens
of numpy calls. The kernels compute exactly what the numpy code they replace computed: the same
IEEE operations in the same order (sums are accumulated in the order ``np.cumsum`` and
``np.bincount`` use), no fast-math, no threads, and no random draws — the model draws from its
``numpy.random.Generator`` outside and passes the draws in, so runs stay bit-identical and
reproducible. Transcendental functions (exp, log, pow) stay in numpy, whose SIMD versions may
round differently from the C library numba calls.

:func:`kernel` compiles on first call and caches the machine code on disk next to the source
(``__pycache__``), so later processes, sweep workers included, load it in milliseconds. Where
that directory cannot be written and no other cache location works, the kernel is compiled in
memory for each process instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """``numba.njit(cache=True)``, falling back to an uncached ``njit`` if no cache location
    can be used (a read-only install with no writable user cache directory).

    ``error_model="numpy"``: a division by zero gives inf or nan as in numpy, not an exception.
    """
    try:
        return numba.njit(cache=True, error_model="numpy")(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return numba.njit(error_model="numpy")(fn)


@kernel
def maximum(a: float, b: float) -> float:
    """``np.maximum`` on two floats: NaN propagates, and on a tie (0.0 and -0.0) the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a > b else b


@kernel
def minimum(a: float, b: float) -> float:
    """``np.minimum`` on two floats: NaN propagates, and on a tie (0.0 and -0.0) the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


@kernel
def _pairwise_block(a: np.ndarray, start: int, n: int) -> float:
    """numpy's pairwise sum of at most 128 values: a plain loop below 8, else eight running
    sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@kernel
def total(a: np.ndarray) -> float:
    """``a.sum()`` bit for bit: numpy adds a contiguous float64 array from 0.0 by pairwise
    summation. For a row of a 2-D array (``sum(axis=1)``) pass the row; a 2-D array is summed
    in its memory order."""
    # numpy (``pairwise_sum`` in ``loops_utils.h.src``) sums blocks of at most 128 values and
    # above that adds the sums of two halves, the first cut to a multiple of 8. The halving is
    # done here with an explicit stack: numba's on-disk cache crashes on recursive functions.
    n = a.size
    if n <= 128:
        return 0.0 + _pairwise_block(a, 0, n)
    task_start = np.empty(192, np.int64)
    task_n = np.empty(192, np.int64)  # -1: add the last two sums
    sums = np.empty(96)
    tasks = 1
    done = 0
    task_start[0] = 0
    task_n[0] = n
    while tasks > 0:
        tasks -= 1
        start, m = task_start[tasks], task_n[tasks]
        if m < 0:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif m <= 128:
            sums[done] = _pairwise_block(a, start, m)
            done += 1
        else:
            half = m // 2
            half -= half % 8
            task_n[tasks] = -1  # after both halves: left + right
            task_start[tasks + 1], task_n[tasks + 1] = start + half, m - half
            task_start[tasks + 2], task_n[tasks + 2] = start, half
            tasks += 3
    return 0.0 + sums[0]


@kernel
def matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a @ x`` for a 2-D ``a`` (or ``a @ x`` of a 1-D ``a`` and ``x``, as ``a[None]``), each
    row's products added from 0.0 in column order.

    Replaces BLAS, whose kernel (picked per CPU by OpenBLAS) splits a dot product over SIMD
    lanes and unrolled partial sums, so the same run rounded differently on different
    machines. This order is fixed: the same bits on any x86-64 or ARM CPU.
    """
    a2 = a.reshape(-1, x.size)
    out = np.empty(a2.shape[0])
    for i in range(a2.shape[0]):
        s = 0.0
        for j in range(x.size):
            s += a2[i, j] * x[j]
        out[i] = s
    return out


@kernel
def sum_columns_by_group(a: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """``a @ onehot(group)``: each row's columns summed into their group (USD B, H100e, ...),
    added from 0.0 in column order (a fixed order, unlike BLAS; see :func:`matvec`).
    ``a`` (H, P) or (P,); ``group`` (P,) in [0, n_groups). Returns (H, n_groups) or (n_groups,).
    """
    a2 = a.reshape(-1, group.size)
    out = np.zeros((a2.shape[0], n_groups))
    for i in range(a2.shape[0]):
        for j in range(group.size):
            out[i, group[j]] += a2[i, j]
    return out.reshape(a.shape[:-1] + (n_groups,))  # noqa: RUF005 (numba: no tuple unpacking)


@kernel
def keep_rows(column: np.ndarray, kept: np.ndarray, n: int, fill: Any) -> None:
    """In place: rows ``kept`` (ascending) of ``column[:n]`` moved to its front, in order, and
    the rest of ``[:n]`` set to ``fill`` — ``column[:k] = column[:n].take(kept, axis=0);
    column[k:n] = fill`` without the temporary. ``column`` 1-D or 2-D (rows first)."""
    k = kept.size
    for j in range(k):
        column[j] = column[kept[j]]  # kept[j] >= j: a row is read before it is overwritten
    for j in range(k, n):
        column[j] = fill
