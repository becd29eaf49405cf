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
