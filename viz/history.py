"""What a live session records each quarter beyond the model's own metrics table.

The model's metrics are whole-market numbers; the page also needs who holds the market
(revenue shares of the largest labs), how much each investor type put in, and the history of
individual labs and investors for the inspector. These recorders read the model's tables
once per step, vectorised, and keep only what the views need: the top labs' shares (not
every lab's), and per-agent histories for model labs and investors (not for the thousands of
application startups, whose story the event log tells).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.lab import APP, ARCHETYPES

if TYPE_CHECKING:
    from abm import AIMarketModel

TOP_RECORDED = 12
"""Labs whose revenue share is recorded each quarter (the largest by revenue)."""

INVESTOR_TYPES: tuple[str, ...] = ("VC", "sovereign", "hyperscaler", "vendor")
ROLLING = 4


@dataclass(frozen=True)
class ShareSeries:
    """Revenue shares of the largest model labs over time, the rest grouped.

    Attributes:
        quarters: quarter labels.
        named: (lab name, share per quarter) for the labs shown by name, largest first.
        others: share per quarter of every other model lab; with ``named`` it sums to 1.
    """

    quarters: tuple[str, ...]
    named: tuple[tuple[str, tuple[float, ...]], ...]
    others: tuple[float, ...]


class ShareHistory:
    """Per quarter, the revenue shares (among model labs) of the largest labs."""

    def __init__(self) -> None:
        self.quarters: list[str] = []
        self.shares: list[dict[int, float]] = []
        self.names: dict[int, str] = {}

    def record(self, model: AIMarketModel, quarter: str) -> None:
        """Record the quarter just simulated."""
        labs = model.labs
        n = labs.n
        is_model = labs.alive[:n] & (labs.archetype[:n] != APP)
        revenue = np.where(is_model, labs.revenue[:n], 0.0)
        total = float(revenue.sum())
        top = np.argsort(revenue)[::-1][:TOP_RECORDED]
        shares: dict[int, float] = {}
        if total > 0:
            for row in top.tolist():
                if revenue[row] > 0:
                    uid = int(labs.uid[row])
                    shares[uid] = float(revenue[row] / total)
                    self.names[uid] = model.lab_name(row)
        self.quarters.append(quarter)
        self.shares.append(shares)

    def series(self, n_named: int = 8) -> ShareSeries:
        """Stacked-area data: the ``n_named`` labs with the highest peak share, and the rest."""
        peak: dict[int, float] = {}
        for shares in self.shares:
            for uid, s in shares.items():
                peak[uid] = max(peak.get(uid, 0.0), s)
        named_uids = sorted(peak, key=peak.__getitem__, reverse=True)[:n_named]
        named = tuple(
            (self.names[uid], tuple(shares.get(uid, 0.0) for shares in self.shares))
            for uid in named_uids
        )
        others = tuple(
            max(0.0, 1.0 - sum(shares.get(uid, 0.0) for uid in named_uids)) if shares else 0.0
            for shares in self.shares
        )
        return ShareSeries(tuple(self.quarters), named, others)


class CapitalByType:
    """Money invested per quarter by investor type, and its rolling four-quarter sum (USD B).

    Read from the quarter's statistics the capital market reports (``model.stats``), the same
    numbers behind the ``*_funding_total`` metrics; venture funds' own share has no metric.
    """

    def __init__(self) -> None:
        self.quarterly: dict[str, list[float]] = {t: [] for t in INVESTOR_TYPES}

    def record(self, model: AIMarketModel) -> None:
        """Record the quarter just simulated."""
        st = model.stats
        for name, value in zip(
            INVESTOR_TYPES,
            (st.vc_funding, st.sovereign_funding, st.hyperscaler_funding, st.vendor_funding),
            strict=True,
        ):
            self.quarterly[name].append(float(value))

    def rolling(self) -> dict[str, tuple[float, ...]]:
        """Rolling four-quarter sums per investor type."""
        out: dict[str, tuple[float, ...]] = {}
        for name, values in self.quarterly.items():
            cum = np.concatenate([[0.0], np.cumsum(values)])
            k = np.arange(1, len(values) + 1)
            out[name] = tuple((cum[k] - cum[np.maximum(k - ROLLING, 0)]).tolist())
        return out


AGENT_FIELDS: dict[str, tuple[str, ...]] = {
    "Lab": ("revenue", "valuation", "cash", "capability", "compute"),
    "VentureFund": ("dry_powder", "fund_size", "paid_in"),
    "SovereignFund": ("dry_powder", "invested"),
    "Hyperscaler": ("installed_h100e", "capacity", "cash"),
    "ChipVendor": ("revenue", "capacity", "cash"),
}
"""Per agent type, the fields recorded each quarter for the inspector (USD B, H100e, log10 FLOP)."""

FIELD_LABELS: dict[str, str] = {
    "revenue": "revenue, USD B/quarter",
    "valuation": "post-money valuation, USD B",
    "cash": "cash, USD B",
    "capability": "capability, log10 effective FLOP",
    "compute": "compute used, useful H100e",
    "dry_powder": "dry powder, USD B",
    "fund_size": "current fund size, USD B",
    "paid_in": "invested from current fund, USD B",
    "invested": "invested in AI so far, USD B",
    "installed_h100e": "installed compute, H100e",
    "capacity": "capacity (H100e or packaging slots)",
}


@dataclass(frozen=True)
class AgentRef:
    """An agent the inspector can show."""

    uid: int
    name: str
    type: str
    region: str
    detail: str


class AgentHistory:
    """Per-quarter values of model labs and every investor, clouds and vendors, by unique id."""

    def __init__(self, max_quarters: int = 400) -> None:
        self.values: dict[int, dict[str, deque[float]]] = {}
        self.quarters: dict[int, deque[str]] = {}
        self.refs: dict[int, AgentRef] = {}
        self._max = max_quarters

    def _add(self, uid: int, quarter: str, fields: dict[str, float]) -> None:
        if uid not in self.values:
            self.values[uid] = {k: deque(maxlen=self._max) for k in fields}
            self.quarters[uid] = deque(maxlen=self._max)
        self.quarters[uid].append(quarter)
        for k, v in fields.items():
            self.values[uid][k].append(v)

    def record(self, model: AIMarketModel, quarter: str) -> None:
        """Record the quarter just simulated."""
        regions = model.region_names
        labs = model.labs
        n = labs.n
        rows = np.flatnonzero(labs.alive[:n] & (labs.archetype[:n] != APP))
        cap = labs.capability[rows]
        columns = {
            "revenue": labs.revenue[rows],
            "valuation": labs.valuation[rows],
            "cash": labs.cash[rows],
            "capability": np.where(np.isfinite(cap), cap, np.nan),
            "compute": labs.train_got[rows] + labs.inf_got[rows],
        }
        archetypes = [ARCHETYPES[a] for a in labs.archetype[rows].tolist()]
        self._record_rows(labs, rows, "Lab", quarter, columns, regions, archetypes)

        f = model.funds
        rows = np.flatnonzero(f.alive[: f.n])
        self._record_rows(
            f,
            rows,
            "VentureFund",
            quarter,
            {
                "dry_powder": f.dry_powder[rows],
                "fund_size": f.fund_size[rows],
                "paid_in": f.paid_in[rows],
            },
            regions,
        )
        s = model.sovereigns
        rows = np.flatnonzero(s.alive[: s.n])
        self._record_rows(
            s,
            rows,
            "SovereignFund",
            quarter,
            {"dry_powder": s.dry_powder[rows], "invested": s.invested[rows]},
            regions,
        )
        c = model.clouds
        rows = np.flatnonzero(c.alive[: c.n])
        installed = c.stock[rows].sum(axis=1) + c.leaked[rows].sum(axis=1)
        self._record_rows(
            c,
            rows,
            "Hyperscaler",
            quarter,
            {"installed_h100e": installed, "capacity": c.capacity[rows], "cash": c.cash[rows]},
            regions,
        )
        v = model.vendors
        rows = np.flatnonzero(v.alive[: v.n])
        self._record_rows(
            v,
            rows,
            "ChipVendor",
            quarter,
            {"revenue": v.revenue[rows], "capacity": v.capacity[rows], "cash": v.cash[rows]},
            regions,
        )

    def _record_rows(
        self,
        table: object,
        rows: np.ndarray,
        kind: str,
        quarter: str,
        columns: dict[str, np.ndarray],
        regions: tuple[str, ...],
        details: list[str] | None = None,
    ) -> None:
        uids = table.uid[rows].tolist()  # type: ignore[attr-defined]
        region = table.region[rows].tolist()  # type: ignore[attr-defined]
        names = table.names  # type: ignore[attr-defined]
        lists = {k: np.asarray(v, dtype=float).tolist() for k, v in columns.items()}
        for i, (uid, row) in enumerate(zip(uids, rows.tolist(), strict=True)):
            if uid not in self.refs:
                detail = details[i] if details else ""
                self.refs[uid] = AgentRef(uid, names[row], kind, regions[region[i]], detail)
            self._add(uid, quarter, {k: lists[k][i] for k in lists})

    def history(self, uid: int) -> tuple[tuple[str, ...], dict[str, tuple[float, ...]]]:
        """Quarters and recorded values of one agent (empty if never recorded)."""
        if uid not in self.values:
            return (), {}
        return tuple(self.quarters[uid]), {k: tuple(v) for k, v in self.values[uid].items()}
