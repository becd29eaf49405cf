"""Struct-of-arrays storage for one agent type (DESIGN.md §3, §9).

Each field is one numpy array owned by the model; row ``i`` of every array is one agent.
Decision rules read and write whole arrays (``table.cash[:table.n]``), so a quarter costs a
few dozen vectorised operations rather than a Python call per agent. Rows are appended in
blocks (entry) into capacity reserved up front, and the arrays grow by doubling if it runs
out; exits clear the ``alive`` flag, and
:meth:`Table.compact` drops dead rows when they pile up.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from abm.kernels import keep_rows
from abm.memory import reserve


def _filled(shape: tuple[int, ...], fill: Any, dtype: Any) -> np.ndarray:
    """``np.full`` from :func:`abm.memory.reserve`: a zero-filled column's pages are mapped on
    first write, so capacity reserved and never used costs neither time nor memory."""
    out = reserve(shape, dtype)
    if fill != 0:
        out.fill(fill)
    return out


class Table:
    """Rows of one agent type. Subclasses declare ``FIELDS = {name: (dtype, width, fill)}``.

    ``width`` is 0 for a column vector, or the size of a trailing axis (e.g. one column per
    region). ``uid`` (the Mesa ``unique_id`` of the row's handle) and ``alive`` are always
    present.

    A wide field named in ``BY_COLUMN`` is stored column by column — a (width, capacity)
    array, exposed as its transpose, so it still reads ``table.field[row, k]`` — for ring
    buffers whose quarter's column is written and read over every row at once: one
    contiguous pass instead of one cache line per row.
    """

    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {}
    BY_COLUMN: ClassVar[frozenset[str]] = frozenset()
    BASE_FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "uid": (np.int64, 0, -1),
        "alive": (np.bool_, 0, False),
    }

    def __init__(self, capacity: int = 64):
        self.n = 0
        self._capacity = max(int(capacity), 8)
        self.names: list[str] = []
        self._views: dict[tuple[str, ...], tuple[int, int, tuple[np.ndarray, ...]]] = {}
        for name in self._all_fields():
            setattr(self, name, self._new_field(name, self._capacity))

    @classmethod
    def _all_fields(cls) -> dict[str, tuple[Any, int, Any]]:
        return {**cls.BASE_FIELDS, **cls.FIELDS}

    def _new_field(self, name: str, capacity: int) -> np.ndarray:
        dtype, width, fill = self._all_fields()[name]
        if not width:
            return _filled((capacity,), fill, dtype)
        if name in self.BY_COLUMN:
            return _filled((width, capacity), fill, dtype).T
        return _filled((capacity, width), fill, dtype)

    def add(self, count: int, names: list[str]) -> np.ndarray:
        """Append ``count`` rows with default values; return their indices."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        need = self.n + count
        if need > self._capacity:
            self._grow(max(need, 2 * self._capacity))
        rows = np.arange(self.n, need)
        self.alive[self.n : need] = True
        self.n = need
        self.names.extend(names)
        return rows

    def _grow(self, capacity: int) -> None:
        for name in self._all_fields():
            old = getattr(self, name)
            new = self._new_field(name, capacity)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._capacity = capacity

    def compact(self) -> np.ndarray:
        """Drop dead rows. Returns ``old_row -> new_row`` (-1 for dropped rows)."""
        # Gathers by index: with dead rows scattered through the table, a boolean mask is
        # several times slower than ``take`` with the kept rows' indices.
        kept = np.flatnonzero(self.alive[: self.n])
        k = kept.size
        mapping = np.full(self.n, -1, dtype=np.int64)
        mapping[kept] = np.arange(k)
        for name, (dtype, _width, fill) in self._all_fields().items():
            # Compiled, in place: one pass and no temporary of the kept rows.
            keep_rows(getattr(self, name), kept, self.n, np.dtype(dtype).type(fill))
        names = self.names
        self.names = [names[i] for i in kept.tolist()]
        self.n = k
        return mapping

    def columns(self, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """Views of several fields over the used rows (``field[:n]`` each), for a kernel that
        takes them as one tuple. Kept while the row count and the arrays stay the same: the
        clouds' and vendors' tables pass the same views quarter after quarter."""
        key = (self.n, self._capacity)
        hit = self._views.get(names)
        if hit is not None and hit[:2] == key:
            return hit[2]
        views = tuple(getattr(self, name)[: self.n] for name in names)
        self._views[names] = (*key, views)
        return views

    def arrays(self, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """Several fields' whole arrays as one tuple (for a kernel that indexes rows), kept
        until the table grows into new arrays."""
        key = ("*", *names)
        hit = self._views.get(key)
        if hit is not None and hit[1] == self._capacity:
            return hit[2]
        arrays = tuple(getattr(self, name) for name in names)
        self._views[key] = (-1, self._capacity, arrays)
        return arrays

    def column(self, name: str) -> np.ndarray:
        """View of a field over the used rows."""
        return getattr(self, name)[: self.n]
