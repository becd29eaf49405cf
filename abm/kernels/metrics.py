"""Compiled loops of the metric recorder (``abm/metrics.py``).

Reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_metrics.py`` keeps
that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel


@kernel
def funding_by_lab(uid: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """USD B raised per lab over the rounds given, in ascending uid order.

    The same array as ``np.bincount(np.unique(uid, return_inverse=True)[1], weights=amount)``:
    each lab's rounds summed in the order given. ``uid`` non-empty, non-negative.
    """
    lo = uid.min()
    span = uid.max() - lo + 1
    total = np.zeros(span)
    seen = np.zeros(span, dtype=np.bool_)
    for i in range(uid.size):
        total[uid[i] - lo] += amount[i]
        seen[uid[i] - lo] = True
    out = np.empty(span)
    k = 0
    for j in range(span):
        if seen[j]:
            out[k] = total[j]
            k += 1
    return out[:k]
