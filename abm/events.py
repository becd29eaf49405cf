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


class EventLog:
    """Columnar, append-only store of events."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
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
        fill = np.full(n, np.nan)
        chunk = (
            np.full(n, quarter, dtype=np.int32),
            np.full(n, KIND_INDEX[kind], dtype=np.int8),
            np.asarray(agent_uid, dtype=np.int64),
            np.full(n, -1, dtype=np.int64)
            if counterparty_uid is None
            else np.asarray(counterparty_uid, np.int64),
            fill if amount is None else np.asarray(amount, dtype=np.float64),
            fill if value is None else np.asarray(value, dtype=np.float64),
            np.zeros(n, dtype=np.int32) if count is None else np.asarray(count, dtype=np.int32),
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
        return int(sum(int((chunk[1] == k).sum()) for chunk in self._chunks))

    def frame(
        self,
        quarter_label: Callable[[int], str],
        names_of: Callable[[np.ndarray], list[str]],
    ) -> pl.DataFrame:
        """All events as a DataFrame with quarter labels and agent names (``names_of`` gives
        the names of an array of unique ids). Labels and names are looked up once per distinct
        quarter or agent and gathered inside polars."""
        if not self._chunks:
            cols = [
                np.empty(0, dtype=t)
                for t in (np.int32, np.int8, np.int64, np.int64, float, float, np.int32)
            ]
        else:
            cols = [np.concatenate(parts) for parts in zip(*self._chunks, strict=True)]
        quarter, kind, agent, other, amount, value, count = cols
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
