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


def cross_bloc_share(region_flows: np.ndarray) -> float:
    """Share of flows touching China whose other end is in the US-led bloc (US or ALLY)."""
    cn = [i for i in range(N_REGIONS) if BLOC_OF_REGION[i] == CN_BLOC]
    west = [i for i in range(N_REGIONS) if BLOC_OF_REGION[i] == 0]
    touching = (
        region_flows[cn, :].sum() + region_flows[:, cn].sum() - region_flows[np.ix_(cn, cn)].sum()
    )
    if touching <= 0:
        return 0.0
    across = region_flows[np.ix_(cn, west)].sum() + region_flows[np.ix_(west, cn)].sum()
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
        ] = []  # src, dst, kind, USD B, quarter
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
        """Record flows of one kind (arrays of equal length)."""
        keep = amount_busd > 0
        if not keep.any():
            return
        src, dst, amt = src_uid[keep], dst_uid[keep], amount_busd[keep]
        self._chunks.append(
            (src.astype(np.int64), dst.astype(np.int64), kind, amt.astype(float), quarter)
        )
        flat = src_region[keep].astype(np.int64) * N_REGIONS + dst_region[keep].astype(np.int64)
        self.region_flows += np.bincount(
            flat, weights=amt, minlength=N_REGIONS * N_REGIONS
        ).reshape(N_REGIONS, N_REGIONS)

    def graph(
        self, node_info: Callable[[int], dict], quarter_label: Callable[[int], str]
    ) -> nx.DiGraph:
        """The DiGraph, updated with every flow logged since the last call."""
        g = self._graph
        for src, dst, kind, amt, q in self._chunks[self._folded :]:
            quarter = quarter_label(q)
            key = f"{FLOW_KINDS[kind]}_busd"
            # Aggregate duplicates within the chunk first: one networkx update per distinct pair.
            pairs = src * (1 << 32) + dst
            uniq, inv = np.unique(pairs, return_inverse=True)
            sums = np.bincount(inv, weights=amt)
            for pair, total in zip(uniq.tolist(), sums.tolist(), strict=True):
                u, v = pair >> 32, pair & 0xFFFFFFFF
                for node in (u, v):
                    if node not in g:
                        g.add_node(node, **node_info(node))
                if g.has_edge(u, v):
                    data = g[u][v]
                    data[key] = data.get(key, 0.0) + total
                    data["amount_busd"] += total
                    data["last_quarter"] = quarter
                else:
                    g.add_edge(
                        u,
                        v,
                        amount_busd=total,
                        first_quarter=quarter,
                        last_quarter=quarter,
                        **{key: total},
                    )
        self._folded = len(self._chunks)
        return g

    def edge_count(self) -> int:
        """Flows logged so far (not distinct edges)."""
        return sum(len(c[0]) for c in self._chunks)
