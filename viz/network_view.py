"""The investment network as the page draws it: recent flows, largest nodes, the rest grouped.

``model.network`` holds every flow since the start (tens of thousands of nodes and edges by
2030), so the page never draws or scans it whole. :class:`FlowTracker` follows the capital
edges incrementally — the investors of labs that closed a round this quarter, and the out-edges
of sovereign funds and chip vendors (their stakes in vendors and labs and their chip sales to
clouds) — in numpy arrays. :func:`network_view` then takes the last four quarters' flows, keeps
the ``top_n`` nodes with the most capital through them, folds every other node into an
"other <region>" node, and places nodes at fixed positions by bloc: the US-led bloc on the
left, China on the right, the Gulf and the rest of the world in between. Positions depend
only on a node's region, type and unique id, so the picture is stable from step to step and
the split into blocs shows as the edges between the sides thin out.
Compute leases (cloud -> lab) are not drawn: they are operating flows, not capital.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from abm.regions import REGIONS

if TYPE_CHECKING:
    import networkx as nx

    from abm import AIMarketModel

WINDOW = 4
"""Quarters of flows the view shows."""

REGION_CENTRES: dict[str, tuple[float, float]] = {
    "US": (-1.1, 0.3),
    "ALLY": (-1.05, -0.8),
    "CN": (1.1, 0.0),
    "GULF": (0.05, -0.85),
    "ROW": (0.05, 0.85),
}
REGION_SPREAD: dict[str, float] = {"US": 1.6, "ALLY": 0.9, "CN": 1.3, "GULF": 0.8, "ROW": 0.8}
"""Scale of a region's rings: regions with more large agents get more room."""
TYPE_RADIUS: dict[str, float] = {
    "ChipVendor": 0.12,
    "Hyperscaler": 0.2,
    "SovereignFund": 0.3,
    "Lab": 0.36,
    "VentureFund": 0.46,
}
_TYPES = tuple(TYPE_RADIUS)


@dataclass(frozen=True)
class NetNode:
    """A node of the drawn network (an agent, or the grouped rest of a region)."""

    id: str
    name: str
    region: str
    type: str
    capital_busd: float
    x: float
    y: float
    uid: int  # -1 for a grouped node
    members: int


@dataclass(frozen=True)
class NetEdge:
    """Capital (equity and chip purchases) from one drawn node to another, USD B.

    ``cross_bloc`` marks flows between China and the US-led bloc (US and allies), the divide
    export controls and screening act on.
    """

    source: str
    target: str
    amount_busd: float
    cross_bloc: bool


@dataclass(frozen=True)
class NetworkView:
    """The drawn network and its headline numbers."""

    nodes: tuple[NetNode, ...]
    edges: tuple[NetEdge, ...]
    total_busd: float
    cross_bloc_busd: float
    window_quarters: int


_BLOC = {"US": "WEST", "ALLY": "WEST", "CN": "CN", "GULF": "OTHER", "ROW": "OTHER"}


def crosses_blocs(region_a: str, region_b: str) -> bool:
    """True for a flow between China and the US-led bloc (either direction)."""
    return {_BLOC.get(region_a), _BLOC.get(region_b)} == {"WEST", "CN"}


def node_position(region: str, kind: str, uid: int) -> tuple[float, float]:
    """Fixed position of a node: around its region's centre, on a ring set by its type."""
    cx, cy = REGION_CENTRES.get(region, (0.0, 0.0))
    rng = np.random.default_rng(uid)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    radius = TYPE_RADIUS.get(kind, 0.4) * REGION_SPREAD.get(region, 1.0) * rng.uniform(0.8, 1.15)
    return float(cx + radius * np.cos(angle)), float(cy + 0.8 * radius * np.sin(angle))


class FlowTracker:
    """Cumulative capital per (source, target) pair, followed incrementally each quarter."""

    def __init__(self) -> None:
        self._edge_row: dict[tuple[int, int], int] = {}
        self.src = np.zeros(1024, dtype=np.int64)  # dense node index
        self.dst = np.zeros(1024, dtype=np.int64)
        self.cum = np.zeros(1024)
        self.n_edges = 0
        self._node_index: dict[int, int] = {}
        self.node_uid: list[int] = []
        self.node_region: list[str] = []
        self.node_type: list[str] = []
        self.node_name: list[str] = []
        self._past: list[np.ndarray] = []  # cumulative amounts at the end of earlier quarters

    def _node(self, g: nx.DiGraph, uid: int) -> int:
        index = self._node_index.get(uid)
        if index is None:
            data = g.nodes[uid]
            index = len(self.node_uid)
            self._node_index[uid] = index
            self.node_uid.append(uid)
            self.node_region.append(str(data.get("region", "")))
            self.node_type.append(str(data.get("type", "")))
            self.node_name.append(str(data.get("name", uid)))
        return index

    def node_index(self, uid: int) -> int | None:
        """Dense index of a tracked agent (None if it has no tracked capital flow)."""
        return self._node_index.get(uid)

    def _set(self, g: nx.DiGraph, u: int, v: int, amount: float) -> None:
        row = self._edge_row.get((u, v))
        if row is None:
            if amount <= 0:
                return
            row = self.n_edges
            if row == len(self.cum):
                for name in ("src", "dst", "cum"):
                    old = getattr(self, name)
                    new = np.zeros(2 * len(old), dtype=old.dtype)
                    new[: len(old)] = old
                    setattr(self, name, new)
            self._edge_row[(u, v)] = row
            self.src[row] = self._node(g, u)
            self.dst[row] = self._node(g, v)
            self.n_edges += 1
        self.cum[row] = amount

    def update(self, model: AIMarketModel, quarter: str, round_labs: Iterable[int]) -> None:
        """Fold in the quarter just simulated.

        Args:
            model: the model after its step.
            quarter: label of that quarter; only edges with a flow in it are read.
            round_labs: unique ids of labs that closed a round this quarter.
        """
        g = model.network
        self._past = [*self._past, self.cum[: self.n_edges].copy()][-WINDOW:]
        pred = g.pred
        for lab in set(round_labs):
            if lab in pred:
                for u, data in pred[lab].items():
                    if data["last_quarter"] == quarter and "equity_busd" in data:
                        self._set(g, u, lab, data["equity_busd"])
        succ = g.succ
        for table in (model.sovereigns, model.vendors):
            for u in table.uid[: table.n].tolist():
                for v, data in succ.get(u, {}).items():
                    if data["last_quarter"] == quarter:
                        amount = data.get("equity_busd", 0.0) + data.get("chips_busd", 0.0)
                        self._set(g, u, v, amount)

    def window(self) -> np.ndarray:
        """Per tracked edge, the capital that flowed in the last :data:`WINDOW` quarters."""
        now = self.cum[: self.n_edges]
        if len(self._past) < WINDOW:
            return now.copy()
        before = np.zeros(self.n_edges)
        old = self._past[0]
        before[: len(old)] = old
        return now - before


def network_view(tracker: FlowTracker, top_n: int = 60, max_edges: int = 250) -> NetworkView:
    """The drawn network: the ``top_n`` nodes by recent capital, others grouped by region."""
    flow = tracker.window()
    keep = flow > 1e-9
    src, dst, amt = (
        tracker.src[: tracker.n_edges][keep],
        tracker.dst[: tracker.n_edges][keep],
        flow[keep],
    )
    n_nodes = len(tracker.node_uid)
    strength = np.bincount(src, weights=amt, minlength=n_nodes) + np.bincount(
        dst, weights=amt, minlength=n_nodes
    )
    active = np.flatnonzero(strength > 0)
    order = active[np.argsort(strength[active], kind="stable")[::-1]]
    shown = order[:top_n]
    region_of = np.array([REGIONS.index(r) if r in REGIONS else 4 for r in tracker.node_region])
    # Display index: shown nodes 0..k-1, then one grouped node per region.
    k = len(shown)
    display = (k + region_of).astype(np.int64)
    display[shown] = np.arange(k)
    d_src, d_dst = display[src], display[dst]
    size = k + len(REGIONS)
    pair = d_src * size + d_dst
    totals = np.bincount(pair, weights=amt, minlength=size * size).reshape(size, size)
    node_capital = totals.sum(axis=0) + totals.sum(axis=1) - np.diag(totals)
    members = np.bincount(region_of[order[top_n:]], minlength=len(REGIONS)) if n_nodes else None

    nodes: list[NetNode] = []
    ids: list[str] = []
    for i, node in enumerate(shown.tolist()):
        uid = tracker.node_uid[node]
        region, kind = tracker.node_region[node], tracker.node_type[node]
        x, y = node_position(region, kind, uid)
        ids.append(f"a{uid}")
        nodes.append(
            NetNode(
                f"a{uid}",
                tracker.node_name[node],
                region,
                kind,
                float(node_capital[i]),
                x,
                y,
                uid,
                1,
            )
        )
    for r, region in enumerate(REGIONS):
        ids.append(f"other-{region}")
        count = int(members[r]) if members is not None else 0
        if count and node_capital[k + r] > 0:
            cx, cy = REGION_CENTRES[region]
            nodes.append(
                NetNode(
                    f"other-{region}",
                    f"other {region} ({count})",
                    region,
                    "grouped",
                    float(node_capital[k + r]),
                    cx,
                    cy,
                    -1,
                    count,
                )
            )
    np.fill_diagonal(totals, 0.0)
    flat = np.flatnonzero(totals > 1e-9)
    flat = flat[np.argsort(totals.ravel()[flat], kind="stable")[::-1][:max_edges]]
    region_names = [tracker.node_region[n] for n in shown.tolist()] + list(REGIONS)
    edges = tuple(
        NetEdge(
            ids[a],
            ids[b],
            float(totals[a, b]),
            crosses_blocs(region_names[a], region_names[b]),
        )
        for a, b in (divmod(int(f), size) for f in flat)
    )
    src_region = region_of[src] if len(src) else np.empty(0, dtype=np.int64)
    dst_region = region_of[dst] if len(dst) else np.empty(0, dtype=np.int64)
    bloc_pairs = np.array([[crosses_blocs(a, b) for b in REGIONS] for a in REGIONS])
    across = bloc_pairs[src_region, dst_region] if len(src) else np.zeros(0, dtype=bool)
    return NetworkView(
        nodes=tuple(nodes),
        edges=edges,
        total_busd=float(amt.sum()),
        cross_bloc_busd=float(amt[across].sum()) if len(amt) else 0.0,
        window_quarters=WINDOW,
    )


def partners(tracker: FlowTracker, uid: int, top: int = 8) -> list[tuple[str, str, float]]:
    """Largest counterparties of one agent by cumulative capital: (name, "to"/"from", USD B)."""
    index = tracker.node_index(uid)
    if index is None:
        return []
    n = tracker.n_edges
    src, dst, cum = tracker.src[:n], tracker.dst[:n], tracker.cum[:n]
    out = [
        (tracker.node_name[int(d)], "to", float(a))
        for d, a in zip(dst[src == index], cum[src == index], strict=True)
    ]
    into = [
        (tracker.node_name[int(s)], "from", float(a))
        for s, a in zip(src[dst == index], cum[dst == index], strict=True)
    ]
    return sorted(out + into, key=lambda p: p[2], reverse=True)[:top]
