"""Compiled loop of the flow log (:meth:`abm.network.FlowNetwork.log`).

Reproduces the numpy code it replaced bit for bit (``tests/abm/test_kernels_network.py`` keeps
that code as the reference).
"""

from __future__ import annotations

import numpy as np

from abm.kernels import kernel


@kernel
def keep_positive_flows(
    src: np.ndarray,
    dst: np.ndarray,
    amount: np.ndarray,
    src_region: np.ndarray,
    dst_region: np.ndarray,
    n_regions: int,
    region_flows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flows with a positive amount (USD B), as new arrays in order (uids int32, amounts
    float64), and their amounts added into ``region_flows`` ((R, R), in place) by (source
    region, target region): per cell summed in order from 0.0, then added, as
    ``+= np.bincount(...)`` did. The log keeps uids as int32 (every uid is below 2^31:
    ``AIMarketModel.register_rows``), a third less memory a flow."""
    n = amount.size
    keep = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        if amount[i] > 0:
            keep[k] = i
            k += 1
    out_src = np.empty(k, dtype=np.int32)
    out_dst = np.empty(k, dtype=np.int32)
    out_amt = np.empty(k)
    cell = np.zeros(n_regions * n_regions)
    for j in range(k):
        i = keep[j]
        out_src[j] = src[i]
        out_dst[j] = dst[i]
        out_amt[j] = amount[i]
        c = np.int64(src_region[i]) * n_regions + np.int64(dst_region[i])
        cell[c] += amount[i]
    for a in range(n_regions):
        for b in range(n_regions):
            region_flows[a, b] = region_flows[a, b] + cell[a * n_regions + b]
    return out_src, out_dst, out_amt


@kernel
def keep_positive_flows_at(
    src_uid: np.ndarray,
    src: np.ndarray,
    dst_uid: np.ndarray,
    dst: np.ndarray,
    amount: np.ndarray,
    src_region: np.ndarray,
    dst_region: np.ndarray,
    n_regions: int,
    region_flows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`keep_positive_flows` of the flows from rows ``src`` to rows ``dst`` of their
    tables: uids and regions are read at those rows (``src_uid[src]``, ``dst_region[dst]``)
    rather than gathered by the caller first."""
    n = amount.size
    k = 0
    for i in range(n):
        if amount[i] > 0:
            k += 1
    out_src = np.empty(k, dtype=np.int32)
    out_dst = np.empty(k, dtype=np.int32)
    out_amt = np.empty(k)
    cell = np.zeros(n_regions * n_regions)
    j = 0
    for i in range(n):
        if amount[i] > 0:
            out_src[j] = src_uid[src[i]]
            out_dst[j] = dst_uid[dst[i]]
            out_amt[j] = amount[i]
            c = np.int64(src_region[src[i]]) * n_regions + np.int64(dst_region[dst[i]])
            cell[c] += amount[i]
            j += 1
    for a in range(n_regions):
        for b in range(n_regions):
            region_flows[a, b] = region_flows[a, b] + cell[a * n_regions + b]
    return out_src, out_dst, out_amt
