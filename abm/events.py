"""The event log: funding rounds, failures, acquisitions, rule changes, completed runs.

Events are appended as whole arrays per quarter (one call per kind per quarter, never one per
agent in Python) and turned into a polars DataFrame only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

EVENT_KINDS: tuple[str, ...] = (
    "round",  # agent = lab, counterparty = lead investor, amount = raised, value = pre-money
    "round_failed",  # agent = lab, amount = asked, value = pre-money asked
    "bankruptcy",  # agent = lab
    "acquisition",  # agent = target lab, counterparty = acquirer, amount = price
    "acquisition_blocked",  # agent = target lab, counterparty = would-be acquirer
    "rule_change",  # detail = timeline id and note
    "run_completed",  # agent = lab, amount = run cost, value = FLOP
    "entry",  # agent = new lab, amount = its first ask
    "breakup",  # agent = broken-up lab, counterparty = the spin-off, amount = cash moved
)
KIND_INDEX = {k: i for i, k in enumerate(EVENT_KINDS)}


_FILL = (  # (dtype, value) of each column when a call leaves it out
    (np.int32, 0),  # quarter (always given)
    (np.int8, 0),  # kind (always given)
    (np.int64, 0),  # agent (always given)
    (np.int64, -1),  # counterparty
    (np.float64, np.nan),  # amount
    (np.float64, np.nan),  # value
    (np.int32, 0),  # count
)


class EventLog:
    """Columnar, append-only store of events.

    Each call keeps its arrays as given (converted to the column's dtype) and the quarter and
    kind as numbers; the constant columns are filled in only when the frame is built, so a
    quarter's logging costs no allocations beyond the caller's arrays.
    """

    def __init__(self) -> None:
        # (quarter, kind index, n, agent, counterparty | None, amount | None, value | None,
        # count | None)
        self._chunks: list[tuple] = []
        self._details: dict[int, str] = {}
        self._count = 0

    def add(
        self,
        quarter: int,
        kind: str,
        agent_uid: np.ndarray,
        counterparty_uid: np.ndarray | None = None,
        amount: np.ndarray | None = None,
        value: np.ndarray | None = None,
        count: np.ndarray | None = None,
        detail: str | None = None,
    ) -> None:
        """Append events of one kind in one quarter (arrays of equal length)."""
        n = len(agent_uid)
        if n == 0:
            return
        chunk = (
            int(quarter),
            KIND_INDEX[kind],
            n,
            np.asarray(agent_uid, dtype=np.int64),
            None if counterparty_uid is None else np.asarray(counterparty_uid, np.int64),
            None if amount is None else np.asarray(amount, dtype=np.float64),
            None if value is None else np.asarray(value, dtype=np.float64),
            None if count is None else np.asarray(count, dtype=np.int32),
        )
        if detail is not None:
            self._details[self._count] = detail
        self._chunks.append(chunk)
        self._count += n

    def __len__(self) -> int:
        return self._count

    def count(self, kind: str) -> int:
        """Number of events of one kind so far."""
        k = KIND_INDEX[kind]
        return sum(chunk[2] for chunk in self._chunks if chunk[1] == k)

    def _columns(self) -> list[np.ndarray]:
        """The seven columns (quarter, kind, agent, counterparty, amount, value, count)."""
        parts: list[list[np.ndarray]] = [[] for _ in _FILL]
        for quarter, kind, n, *given in self._chunks:
            parts[0].append(np.full(n, quarter, dtype=np.int32))
            parts[1].append(np.full(n, kind, dtype=np.int8))
            for j, arr in enumerate(given, start=2):
                dtype, fill = _FILL[j]
                parts[j].append(np.full(n, fill, dtype=dtype) if arr is None else arr)
        return [
            np.concatenate(p) if p else np.empty(0, dtype=dtype)
            for p, (dtype, _) in zip(parts, _FILL, strict=True)
        ]

    def frame(
        self,
        quarter_label: Callable[[int], str],
        names_of: Callable[[np.ndarray], list[str]],
    ) -> pl.DataFrame:
        """All events as a DataFrame with quarter labels and agent names (``names_of`` gives
        the names of an array of unique ids). Labels and names are looked up once per distinct
        quarter or agent and gathered inside polars."""
        quarter, kind, agent, other, amount, value, count = self._columns()
        detail = [""] * len(quarter)
        for i, text in self._details.items():
            detail[i] = text
        quarters, at_quarter = np.unique(quarter, return_inverse=True)
        labels = pl.Series([quarter_label(int(q)) for q in quarters], dtype=pl.Utf8)
        kinds = pl.Series(list(EVENT_KINDS), dtype=pl.Utf8)
        uids = np.unique(np.concatenate([agent, other[other >= 0]]))
        names = pl.Series([*names_of(uids), ""], dtype=pl.Utf8)  # the last: no counterparty
        other_at = np.where(other >= 0, np.searchsorted(uids, other), uids.size)
        return pl.DataFrame(
            {
                "quarter": labels.gather(at_quarter.reshape(-1)),
                "kind": kinds.gather(kind.astype(np.int64)),
                "agent_id": agent,
                "agent": names.gather(np.searchsorted(uids, agent)),
                "counterparty_id": other,
                "counterparty": names.gather(other_at),
                "amount_busd": amount,
                "value": value,
                "n_investors": count,
                "detail": detail,
            },
            schema_overrides={"agent_id": pl.Int64, "counterparty_id": pl.Int64},
        )
