"""Zeroed arrays reserved up front whose pages cost nothing until written.

The model reserves capacity for tables that grow by appending (the lab table, the stakes) and
relies on the operating system to map a page only when it is first written. numpy asks Linux
for transparent huge pages on every allocation of 4 MiB or more (``madvise(MADV_HUGEPAGE)``).
Where the kernel's defrag setting is ``madvise`` and memory is fragmented, each first write
into such an array then stalls on direct compaction for a huge page that never comes: on the
development machine, writing a quarter's 4,000 stakes into an 8 MB reserve took 0.1-0.45 ms
instead of 10-20 µs, and filling an 84 MB reserve 0.9 s instead of 40 ms (bench/FINDINGS.md).

:func:`reserve` therefore takes large reserves from an anonymous ``mmap`` of its own — zeroed,
mapped page by page on first write, without the huge-page request — and small ones from
``np.zeros``. The arrays behave as any other (views, fancy indexing, pickling copy the data).
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np

HUGE_PAGE_REQUEST_BYTES = 1 << 22
"""numpy's threshold for asking for huge pages (4 MiB); reserves this size or larger are mapped here."""


def reserve(shape: int | tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """A zero-filled array of ``shape`` whose pages are mapped on first write, in 4 KiB pages."""
    dt = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if nbytes < HUGE_PAGE_REQUEST_BYTES:
        return np.zeros(shape, dtype=dt)
    buffer = mmap.mmap(-1, nbytes)
    return np.frombuffer(buffer, dtype=dt).reshape(shape)
