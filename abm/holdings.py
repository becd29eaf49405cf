"""Equity stakes: who owns how many shares of which lab (a sparse cap table).

Stakes are kept as parallel arrays (investor, lab row, shares, quarter bought): one entry per
investment. A stake's value is ``shares x lab valuation / shares outstanding``; summing
values by investor is a single ``bincount``. Founders and employees own the shares not held
by any investor. Investors are numbered in one global index space (see
``AIMarketModel.investor_index``) so venture funds, sovereign funds, clouds and chip vendors
can all hold stakes.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from abm.kernels import holdings as kernels
from abm.memory import reserve

# Investor and lab indices are int32 (20 bytes a stake instead of 28): every pass over the
# store (marking funds to market, compaction) is bound by memory traffic.
INDEX = np.int32


class Holdings:
    """Append-only stakes, compacted when labs are dropped.

    ``capacity`` is reserved up front (:func:`abm.memory.reserve`), whose pages the operating
    system maps only when first written, so a generous reservation costs no memory until used and
    spares the doubling copies of a growing store.
    """

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self.investor = reserve(capacity, INDEX)
        self.lab = reserve(capacity, INDEX)
        self.shares = reserve(capacity, np.float64)
        self.quarter = reserve(capacity, np.int32)
        # Where each new highest quarter first appears: ``_rise_at[k]`` is the first entry with
        # quarter >= ``_rise_quarter[k]`` (ascending). Every entry before it has a lower quarter,
        # even though break-ups append stakes bought in earlier quarters late, so a scan for
        # stakes bought since some quarter may start there.
        self._rise_quarter: list[int] = []
        self._rise_at: list[int] = []

    def add(self, investor: np.ndarray, lab: np.ndarray, shares: np.ndarray, quarter: int) -> None:
        """Record new stakes."""
        k = len(investor)
        if k == 0:
            return
        if self.n + k > len(self.investor):
            cap = max(2 * len(self.investor), self.n + k)
            for name in ("investor", "lab", "shares", "quarter"):
                old = getattr(self, name)
                new = reserve(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        if not self._rise_quarter or quarter > self._rise_quarter[-1]:
            self._rise_quarter.append(int(quarter))
            self._rise_at.append(self.n)
        sl = slice(self.n, self.n + k)
        self.investor[sl] = investor
        self.lab[sl] = lab
        self.shares[sl] = shares
        self.quarter[sl] = quarter
        self.n += k

    def value_by_investor(
        self,
        price_per_share: np.ndarray,
        investors: np.ndarray,
        n_investors: int,
        since: np.ndarray,
    ) -> np.ndarray:
        """Marked value of the stakes of ``investors`` bought at or after their ``since``
        quarter (their current fund), by investor; zero for everyone else. The scan starts at
        the first stake bought since the oldest of those quarters (:meth:`first_bought_since`)."""
        out = np.zeros(n_investors)
        if self.n == 0 or investors.size == 0:
            return out
        wanted = np.zeros(n_investors, dtype=bool)
        wanted[investors] = True
        start = self.first_bought_since(int(since[investors].min()))
        return kernels.marked_value(
            self.investor[start : self.n],
            self.lab[start : self.n],
            self.shares[start : self.n],
            self.quarter[start : self.n],
            price_per_share,
            wanted,
            since.astype(np.int64, copy=False),
            n_investors,
        )

    def first_bought_since(self, quarter: int) -> int:
        """Index of the first entry bought in ``quarter`` or later (``n`` if none); every entry
        before it was bought earlier."""
        k = bisect_left(self._rise_quarter, quarter)
        return self._rise_at[k] if k < len(self._rise_at) else self.n

    def stakes_in(self, lab_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stakes in any of ``lab_rows``: (entry indices, position of their lab in ``lab_rows``)."""
        if self.n == 0 or len(lab_rows) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return kernels.stakes_in(self.lab[: self.n], np.asarray(lab_rows, dtype=np.int64))

    def remap_labs(self, mapping: np.ndarray) -> None:
        """Apply ``old lab row -> new row`` (-1 drops the stake) after the lab table is compacted."""
        k, rise_at = kernels.remap_stakes(
            mapping,
            self.investor,
            self.lab,
            self.shares,
            self.quarter,
            self.n,
            np.array(self._rise_at, dtype=np.int64),
        )
        self._rise_at = rise_at.tolist()
        self.n = int(k)
