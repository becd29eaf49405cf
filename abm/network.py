"""The investment network (DESIGN.md §6): who funds whom, who sells chips and compute to whom.

Flows are logged as arrays each quarter (equity: investor -> lab or vendor; chips: vendor ->
cloud; compute: cloud -> lab). Two views are kept:

- per-step numbers for the metrics, from a region-by-region matrix of the quarter's flows:
  the cross-bloc share and the modularity of the bloc partition. Modularity of a partition
  depends only on the weights between and within its groups, so it is computed exactly from a
  3x3 bloc matrix — no graph algorithm per step;
- the ``networkx.DiGraph`` itself, built lazily when ``model.network`` is read, by folding in
  only the flows logged since the last read. Nodes carry type, region and name; an edge
  carries cumulative USD B by kind (``equity_busd``, ``chips_busd``, ``compute_busd``), their
  sum ``amount_busd``, and its first and last quarter.
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np

from abm.kernels import network as kernels
from abm.regions import BLOC_OF_REGION, BLOCS, CN_BLOC, N_REGIONS

FLOW_KINDS: tuple[str, ...] = ("equity", "chips", "compute")
EQUITY, CHIPS, COMPUTE = range(len(FLOW_KINDS))
_BLOC_MAP = np.array(BLOC_OF_REGION)


def bloc_modularity(bloc_flows: np.ndarray) -> float:
    """Newman modularity of the bloc partition of an undirected weighted graph.

    ``bloc_flows[a, b]`` is the total weight of edges from bloc a to bloc b. With m the total
    weight and d_a the weighted degree of bloc a, Q = sum_a (w_aa / m - (d_a / 2m)^2).
    """
    sym = bloc_flows + bloc_flows.T
    m = sym.sum() / 2.0
    if m <= 0:
        return 0.0
    degree = sym.sum(axis=1)
    inside = np.diag(bloc_flows)
    return float(np.sum(inside / m - (degree / (2.0 * m)) ** 2))


_CN_REGIONS = np.array([i for i in range(N_REGIONS) if BLOC_OF_REGION[i] == CN_BLOC])
_WEST_REGIONS = np.array([i for i in range(N_REGIONS) if BLOC_OF_REGION[i] == 0])
_CN_CN = np.ix_(_CN_REGIONS, _CN_REGIONS)
_CN_WEST = np.ix_(_CN_REGIONS, _WEST_REGIONS)
_WEST_CN = np.ix_(_WEST_REGIONS, _CN_REGIONS)


def cross_bloc_share(region_flows: np.ndarray) -> float:
    """Share of flows touching China whose other end is in the US-led bloc (US or ALLY)."""
    cn = _CN_REGIONS
    touching = region_flows[cn, :].sum() + region_flows[:, cn].sum() - region_flows[_CN_CN].sum()
    if touching <= 0:
        return 0.0
    across = region_flows[_CN_WEST].sum() + region_flows[_WEST_CN].sum()
    return float(across / touching)


def to_bloc_matrix(region_flows: np.ndarray) -> np.ndarray:
    """Fold a region x region flow matrix into a bloc x bloc one."""
    out = np.zeros((len(BLOCS), len(BLOCS)))
    np.add.at(out, (_BLOC_MAP[:, None], _BLOC_MAP[None, :]), region_flows)
    return out


class FlowNetwork:
    """Append-only log of flows between agents plus the lazily built DiGraph."""

    def __init__(self) -> None:
        self._chunks: list[
            tuple[np.ndarray, np.ndarray, int, np.ndarray, int]
        ] = []  # src, dst (uids, int32), kind, USD B, quarter
        self._folded = 0
        self._graph = nx.DiGraph()
        self.region_flows = np.zeros((N_REGIONS, N_REGIONS))
        """This quarter's flows between regions, USD B (reset each quarter)."""

    def start_quarter(self) -> None:
        """Clear the per-quarter region matrix."""
        self.region_flows[:] = 0.0

    def log(
        self,
        quarter: int,
        kind: int,
        src_uid: np.ndarray,
        dst_uid: np.ndarray,
        amount_busd: np.ndarray,
        src_region: np.ndarray,
        dst_region: np.ndarray,
    ) -> None:
        """Record flows of one kind (numpy arrays of equal length; amounts float64)."""
        # Compiled: the positive flows are copied (the log never aliases the caller's arrays)
        # and added into the quarter's region matrix in one pass.
        src, dst, amt = kernels.keep_positive_flows(
            src_uid, dst_uid, amount_busd, src_region, dst_region, N_REGIONS, self.region_flows
        )
        if amt.size:
            self._chunks.append((src, dst, kind, amt, quarter))

    def log_rows(
        self,
        quarter: int,
        kind: int,
        src_uid: np.ndarray,
        src: np.ndarray,
        dst_uid: np.ndarray,
        dst: np.ndarray,
        amount_busd: np.ndarray,
        src_region: np.ndarray,
        dst_region: np.ndarray,
    ) -> None:
        """:meth:`log` the flows from rows ``src`` to rows ``dst`` of their tables, reading
        uids and regions at those rows (``src_uid[src]`` ...) in the compiled pass."""
        src_u, dst_u, amt = kernels.keep_positive_flows_at(
            src_uid,
            src,
            dst_uid,
            dst,
            amount_busd,
            src_region,
            dst_region,
            N_REGIONS,
            self.region_flows,
        )
        if amt.size:
            self._chunks.append((src_u, dst_u, kind, amt, quarter))

    def edges(self, start: int = 0) -> dict[str, np.ndarray]:
        """Flows logged from chunk ``start`` on, aggregated per (source, target) pair.

        Returns arrays ``source``, ``target`` (uids), ``equity_busd``, ``chips_busd``,
        ``compute_busd``, ``amount_busd`` (USD B, summed) and ``first_quarter``,
        ``last_quarter`` (step indices), sorted by (source, target). Pure numpy: this is what
        the run writer stores, with no networkx in the way.
        """
        chunks = self._chunks[start:]
        if not chunks:
            empty_i = np.zeros(0, np.int64)
            empty_f = np.zeros(0)
            return {
                "source": empty_i,
                "target": empty_i,
                **{f"{k}_busd": empty_f for k in FLOW_KINDS},
                "amount_busd": empty_f,
                "first_quarter": empty_i,
                "last_quarter": empty_i,
            }
        src = np.concatenate([c[0] for c in chunks]).astype(np.int64)  # int32 in the log
        dst = np.concatenate([c[1] for c in chunks]).astype(np.int64)
        amt = np.concatenate([c[3] for c in chunks])
        kind = np.concatenate([np.full(len(c[0]), c[2], np.int64) for c in chunks])
        quarter = np.concatenate([np.full(len(c[0]), c[4], np.int64) for c in chunks])
        pairs = src * (1 << 32) + dst
        uniq, inv = np.unique(pairs, return_inverse=True)
        n = len(uniq)
        out: dict[str, np.ndarray] = {"source": uniq >> 32, "target": uniq & 0xFFFFFFFF}
        for k, name in enumerate(FLOW_KINDS):
            sel = kind == k
            out[f"{name}_busd"] = np.bincount(inv[sel], weights=amt[sel], minlength=n)
        out["amount_busd"] = np.bincount(inv, weights=amt, minlength=n)
        first = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first, inv, quarter)
        last = np.full(n, -1, np.int64)
        np.maximum.at(last, inv, quarter)
        out["first_quarter"], out["last_quarter"] = first, last
        return out

    def graph(
        self, node_info: Callable[[int], dict], quarter_label: Callable[[int], str]
    ) -> nx.DiGraph:
        """The DiGraph, updated with every flow logged since the last call."""
        g = self._graph
        new = self.edges(self._folded)
        self._folded = len(self._chunks)
        if len(new["source"]) == 0:
            return g
        src, dst = new["source"].tolist(), new["target"].tolist()
        for node in set(src) | set(dst):
            if node not in g:
                g.add_node(node, **node_info(node))
        labels = {q: quarter_label(q) for q in set(new["first_quarter"].tolist())}
        labels.update({q: quarter_label(q) for q in set(new["last_quarter"].tolist())})
        columns = [f"{k}_busd" for k in FLOW_KINDS] + ["amount_busd"]
        values = [new[c].tolist() for c in columns]
        firsts, lasts = new["first_quarter"].tolist(), new["last_quarter"].tolist()
        adj = g._adj  # read-only membership test, cheaper than has_edge per pair
        fresh = []
        for i, (u, v) in enumerate(zip(src, dst, strict=True)):
            attrs = {c: vals[i] for c, vals in zip(columns, values, strict=True) if vals[i]}
            data = adj[u].get(v)
            if data is None:
                attrs["amount_busd"] = values[-1][i]
                attrs["first_quarter"] = labels[firsts[i]]
                attrs["last_quarter"] = labels[lasts[i]]
                fresh.append((u, v, attrs))
            else:
                for c, val in attrs.items():
                    data[c] = data.get(c, 0.0) + val
                data["last_quarter"] = labels[lasts[i]]
        g.add_edges_from(fresh)
        return g

    def edge_count(self) -> int:
        """Flows logged so far (not distinct edges)."""
        return sum(len(c[0]) for c in self._chunks)
