"""Metrics: one row per quarter, names fixed (DESIGN.md §7), recorded into a preallocated
array and turned into a polars DataFrame once, on request.

Each metric is a module-level function of the model (or derived from the quarter's
:class:`QuarterStats`), so it can be tested alone. ``METRIC_DOCS`` explains every column; the
README's metrics table is written from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from abm.calendar import quarter_label
from abm.kernels import metrics as kernels
from abm.regions import BLOC_OF_REGION, BLOCS, CN, CN_BLOC, N_REGIONS, REGIONS, US, WEST_BLOC
from agents.lab import APP

_BLOC_OF_REGION = np.array(BLOC_OF_REGION, dtype=np.int64)

if TYPE_CHECKING:
    from abm.model import AIMarketModel

ROLLING = 4  # quarters in the rolling capital-market windows


@dataclass
class QuarterStats:
    """Numbers the phases report for this quarter's metrics and invariant checks."""

    sovereign_funding: float = 0.0
    hyperscaler_funding: float = 0.0
    vendor_funding: float = 0.0
    vc_funding: float = 0.0
    rounds_failed: int = 0
    bankruptcies: int = 0
    acquisitions: int = 0
    model_revenue: float = 0.0
    total_revenue: float = 0.0
    paid_share: float = 1.0
    cn_domestic_h100e: float = 0.0
    cn_imported_h100e: float = 0.0
    cn_leaked_h100e: float = 0.0
    cn_domestic_cards: float = 0.0
    cn_imported_cards: float = 0.0
    cn_leaked_cards: float = 0.0
    chip_spend: float = 0.0
    h100e_delivered: float = 0.0
    share_sums: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per market, both segments
    round_labs: list[np.ndarray] = field(default_factory=list)
    round_amounts: list[np.ndarray] = field(default_factory=list)
    round_regions: list[np.ndarray] = field(default_factory=list)
    # cumulative chip accounting (carried across quarters by the model)
    chips_shipped_h100e: float = 0.0
    chips_installed_h100e: float = 0.0
    chips_leaked_h100e: float = 0.0
    barred_licensed_units: float = 0.0


METRIC_DOCS: dict[str, str] = {
    "hhi_revenue": "HHI (0-10,000) of model labs' revenue (own sales plus API fees), this quarter.",
    "hhi_compute": "HHI of compute used by labs (useful H100e leased for training and inference).",
    "top1_compute_share": "Largest lab's share of compute used by labs.",
    "hhi_compute_top5": "HHI among the five largest compute users, shares renormalised among them (Epoch's top-5 measure).",
    "top1_compute_share_top5": "Largest lab's share of the five largest users' compute.",
    "top3_revenue_share": "Share of model-lab revenue earned by the three largest.",
    "n_frontier_labs": "Alive labs whose best run is within 10x of the largest run so far.",
    "n_labs_alive": "Labs alive (model labs and application startups).",
    "n_model_labs": "Alive labs that train their own models.",
    "vc_funding_total": "Equity raised by labs in the last 4 quarters from all investors, USD B.",
    "top5_funding_share": "Share of the last 4 quarters' lab funding raised by the 5 largest recipients.",
    "startups_funded": "Distinct labs that closed a round in the last 4 quarters.",
    "sovereign_funding_total": "Sovereign funds' investment (labs and vendors), last 4 quarters, USD B.",
    "hyperscaler_funding_total": "Clouds' stakes in labs (paid in credits), last 4 quarters, USD B.",
    "vendor_funding_total": "Chip vendors' stakes in labs, last 4 quarters, USD B.",
    "funding_by_region": "Lab funding by the lab's region, last 4 quarters, USD B.",
    "bankruptcies": "Labs that failed this quarter.",
    "acquisitions": "Labs acquired this quarter.",
    "rounds_failed": "Asks that did not close this quarter.",
    "max_training_flop": "Largest training run completed so far, FLOP.",
    "max_training_cost": "Compute cost of that run at the providers' cost (hardware, energy, building; Cottier et al.), USD B.",
    "n_labs_above_1e25": "Labs (alive or not) that completed a run of at least 1e25 FLOP.",
    "n_labs_above_1e26": "Labs (alive or not) that completed a run of at least 1e26 FLOP.",
    "compute_share": (
        "Share of installed AI compute (H100e, incl. leaked chips) held by clouds based in the "
        "region (by owner's home region, not by site)."
    ),
    "installed_h100e": "Installed AI compute worldwide, H100e.",
    "cn_domestic_chip_share": "Share of chips delivered into China this quarter (H100e) from Chinese vendors.",
    "cn_chips_domestic_h100e": "H100e delivered into China this quarter by Chinese vendors.",
    "cn_chips_imported_h100e": "H100e licensed into China this quarter from foreign vendors.",
    "cn_chips_leaked_h100e": "H100e reaching China this quarter through grey channels.",
    "cn_chips_domestic_cards": "Accelerator cards (units, whatever their H100e) delivered into China this quarter by Chinese vendors: IDC's unit, for comparison with T7.",
    "cn_chips_imported_cards": "Accelerator cards licensed into China this quarter from foreign vendors.",
    "cn_chips_leaked_cards": "Accelerator cards leaked this quarter through grey channels.",
    "leaked_chips": "H100e leaked this quarter (all through the recorded grey channel).",
    "chip_price_index": "Average price per H100e delivered this quarter, first quarter = 100.",
    "vendor_revenue": "Vendor's AI chip revenue this quarter, USD B.",
    "vendor_cn_revenue": "Vendor's licensed sales into China this quarter, USD B.",
    "vendor_shipped_h100e": "Vendor's shipments this quarter, H100e.",
    "vendor_cn_h100e": "Vendor's licensed shipments into China this quarter, H100e.",
    "frontier_capability": "Best model of the region's alive labs, log10 effective FLOP (0 if none).",
    "us_cn_gap_years": "US frontier capability minus China's, over the global frontier's growth (OOM per year, last 2 years).",
    "cross_bloc_capital_share": "Of flows touching China (equity, chips, compute; last 4 quarters), the share with the US or allies on the other end.",
    "network_modularity_bloc": "Modularity of the bloc partition (US+allies / China / others) of the last 4 quarters' flows.",
    "total_ai_revenue": "Spend on AI services served this quarter (model labs and applications), USD B: the paid share of what their use is worth.",
    "paid_share": "Share of the AI services used this quarter that is paid for (Bass diffusion of paid adoption; the rest is free use).",
    "leader_valuation": "Highest valuation of an alive lab (investors' current mark), USD B.",
    "hyperscaler_capex": "Clouds' spending on chips and data-centre power this quarter, USD B.",
    "lease_price_h100e_hour": "Capacity-weighted lease price of open clouds, USD per useful H100e-hour.",
    "training_utilisation": "Fleet-wide model FLOP utilisation of training runs (2020 fleet lower than A100 and later).",
}


def top_values(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of ``x`` in ascending order, exactly ``np.sort(x)[-k:]``; a
    partition first, so a few thousand values cost one pass rather than a sort."""
    if x.size <= k:
        return np.sort(x)
    return np.sort(np.partition(x, x.size - k)[-k:])


def top_sum(x: np.ndarray, k: int) -> float:
    """Sum of the ``k`` largest values of ``x``, added in ascending order like
    ``np.sort(x)[-k:].sum()``."""
    return float(top_values(x, k).sum())


def metric_names(vendor_names: list[str]) -> list[str]:
    """All metric columns, in order."""
    names = [
        "hhi_revenue",
        "hhi_compute",
        "top1_compute_share",
        "hhi_compute_top5",
        "top1_compute_share_top5",
        "top3_revenue_share",
        "n_frontier_labs",
        "n_labs_alive",
        "n_model_labs",
        "vc_funding_total",
        "top5_funding_share",
        "startups_funded",
        "sovereign_funding_total",
        "hyperscaler_funding_total",
        "vendor_funding_total",
    ]
    names += [f"funding_by_region.{r}" for r in REGIONS]
    names += [
        "bankruptcies",
        "acquisitions",
        "rounds_failed",
        "max_training_flop",
        "max_training_cost",
        "n_labs_above_1e25",
        "n_labs_above_1e26",
    ]
    names += [f"compute_share.{r}" for r in REGIONS]
    names += [
        "installed_h100e",
        "cn_domestic_chip_share",
        "cn_chips_domestic_h100e",
        "cn_chips_imported_h100e",
        "cn_chips_leaked_h100e",
        "cn_chips_domestic_cards",
        "cn_chips_imported_cards",
        "cn_chips_leaked_cards",
        "leaked_chips",
        "chip_price_index",
    ]
    for prefix in (
        "vendor_revenue",
        "vendor_cn_revenue",
        "vendor_shipped_h100e",
        "vendor_cn_h100e",
    ):
        names += [f"{prefix}.{v}" for v in vendor_names]
    names += [f"frontier_capability.{r}" for r in REGIONS]
    names += [
        "us_cn_gap_years",
        "cross_bloc_capital_share",
        "network_modularity_bloc",
        "total_ai_revenue",
        "paid_share",
        "leader_valuation",
        "hyperscaler_capex",
        "lease_price_h100e_hour",
        "training_utilisation",
    ]
    return names


def doc_of(name: str) -> str:
    """Description of a metric column (per-region and per-vendor columns share one)."""
    return METRIC_DOCS.get(name, METRIC_DOCS.get(name.split(".")[0], ""))


class MetricRecorder:
    """Preallocated (quarters x metrics) array filled once per step."""

    def __init__(self, model: AIMarketModel):
        self.names = metric_names(list(model.vendors.names))
        self.col = {name: i for i, name in enumerate(self.names)}
        self.values = np.zeros((model.scenario.steps, len(self.names)))
        self.quarters: list[int] = []
        self._round_window: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._flows_window: list[np.ndarray] = []
        self._funding_window: list[tuple[float, float, float]] = []
        self._price0: float | None = None
        self._scratch = np.zeros(1024)  # work arrays of kernels.funding_window, by lab uid
        self._seen = np.zeros(1024, dtype=np.bool_)
        self._region_cols = {
            prefix: np.array([self.col[f"{prefix}.{r}"] for r in REGIONS])
            for prefix in ("compute_share", "frontier_capability")
        }
        self._vendor_cols = {
            prefix: np.array([self.col[f"{prefix}.{name}"] for name in model.vendors.names])
            for prefix in (
                "vendor_revenue",
                "vendor_cn_revenue",
                "vendor_shipped_h100e",
                "vendor_cn_h100e",
            )
        }
        self._funding_cols = np.array(
            [
                self.col[name]
                for name in ("vc_funding_total", "top5_funding_share", "startups_funded")
            ]
            + [self.col[f"funding_by_region.{r}"] for r in REGIONS]
        )

    def record(self, model: AIMarketModel) -> None:
        """Compute every metric for the quarter just simulated."""
        row = np.zeros(len(self.names))
        col = self.col  # metric name -> column of ``row``

        labs, c, v, st, w = model.labs, model.clouds, model.vendors, model.stats, model.world
        n = labs.n
        # One compiled pass over the lab table: rev and used as full-length arrays (their sums
        # stay in numpy: pairwise summation), counts, maxima and each region's frontier.
        rev, used, counts, frontier, used_max, mark_max = kernels.lab_summary(
            labs.alive[:n],
            labs.archetype[:n],
            APP,
            labs.revenue[:n],
            labs.train_got[:n],
            labs.inf_got[:n],
            labs.best_flop[:n],
            0.1 * w.frontier_flop,
            labs.capability[:n],
            labs.region[:n],
            labs.mark[:n],
            N_REGIONS,
        )
        hhi_rev, top3, rev_sum, hhi_used, used_sum, hhi_top5, top1_of_5 = kernels.concentration(
            rev, used
        )
        row[col["hhi_revenue"]] = hhi_rev
        row[col["top3_revenue_share"]] = top3 / rev_sum if rev_sum > 0 else 0.0
        row[col["hhi_compute"]] = hhi_used
        row[col["top1_compute_share"]] = used_max / used_sum if used_sum > 0 else 0.0
        row[col["hhi_compute_top5"]] = hhi_top5
        row[col["top1_compute_share_top5"]] = top1_of_5
        row[col["n_frontier_labs"]] = float(counts[0])
        row[col["n_labs_alive"]] = float(counts[1])
        row[col["n_model_labs"]] = float(counts[2])

        # Rolling capital-market windows.
        if st.round_labs:
            window = (
                np.concatenate(st.round_labs),
                np.concatenate(st.round_amounts),
                np.concatenate(st.round_regions),
            )
        else:
            window = (np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))
        self._round_window = [*self._round_window, window][-ROLLING:]
        self._funding_window = [
            *self._funding_window,
            (st.sovereign_funding, st.hyperscaler_funding, st.vendor_funding),
        ][-ROLLING:]
        uid = np.concatenate([x[0] for x in self._round_window]).astype(np.int64, copy=False)
        amt = np.concatenate([x[1] for x in self._round_window])
        reg = np.concatenate([x[2] for x in self._round_window]).astype(np.int64, copy=False)
        if uid.size and uid.max() >= self._scratch.size:
            self._scratch = np.zeros(2 * int(uid.max()) + 1)
            self._seen = np.zeros(self._scratch.size, dtype=np.bool_)
        # Compiled: totals, the top five labs' share, labs funded, and funding by region.
        funding = kernels.funding_window(uid, amt, reg, N_REGIONS, self._scratch, self._seen)
        row[self._funding_cols] = funding
        # Each total over the window's quarters in order, as numpy's sum(axis=0) adds them.
        sums = list(self._funding_window[0])
        for quarter in self._funding_window[1:]:
            sums = [a + b for a, b in zip(sums, quarter, strict=True)]
        row[col["sovereign_funding_total"]] = float(sums[0])
        row[col["hyperscaler_funding_total"]] = float(sums[1])
        row[col["vendor_funding_total"]] = float(sums[2])
        row[col["bankruptcies"]] = float(st.bankruptcies)
        row[col["acquisitions"]] = float(st.acquisitions)
        row[col["rounds_failed"]] = float(st.rounds_failed)

        row[col["max_training_flop"]] = w.frontier_flop
        row[col["max_training_cost"]] = w.frontier_cost
        row[col["n_labs_above_1e25"]] = float(counts[3] + model.retired_above[0])
        row[col["n_labs_above_1e26"]] = float(counts[4] + model.retired_above[1])

        # Compiled: installed H100e by region, capex, the open clouds' lease price.
        by_loc, total, capex, lease = kernels.cloud_metrics(
            c.stock[: c.n],
            c.leaked[: c.n],
            c.region[: c.n],
            N_REGIONS,
            c.capex[: c.n],
            c.alive[: c.n],
            c.captive[: c.n],
            c.public[: c.n],
            c.capacity[: c.n],
            c.price[: c.n],
        )
        row[self._region_cols["compute_share"]] = by_loc / total if total > 0 else 0.0
        row[col["installed_h100e"]] = float(total)
        into_cn = st.cn_domestic_h100e + st.cn_imported_h100e + st.cn_leaked_h100e
        row[col["cn_domestic_chip_share"]] = st.cn_domestic_h100e / into_cn if into_cn > 0 else 0.0
        row[col["cn_chips_domestic_h100e"]] = st.cn_domestic_h100e
        row[col["cn_chips_imported_h100e"]] = st.cn_imported_h100e
        row[col["cn_chips_leaked_h100e"]] = st.cn_leaked_h100e
        row[col["cn_chips_domestic_cards"]] = st.cn_domestic_cards
        row[col["cn_chips_imported_cards"]] = st.cn_imported_cards
        row[col["cn_chips_leaked_cards"]] = st.cn_leaked_cards
        row[col["leaked_chips"]] = st.cn_leaked_h100e
        price = st.chip_spend * 1e9 / st.h100e_delivered if st.h100e_delivered > 0 else 0.0
        if self._price0 is None and price > 0:
            self._price0 = price
        row[col["chip_price_index"]] = 100.0 * price / self._price0 if self._price0 else 100.0
        nv = len(v.names)
        row[self._vendor_cols["vendor_revenue"]] = v.revenue[:nv]
        row[self._vendor_cols["vendor_cn_revenue"]] = v.revenue_cn[:nv]
        row[self._vendor_cols["vendor_shipped_h100e"]] = v.shipped[:nv]
        row[self._vendor_cols["vendor_cn_h100e"]] = v.shipped_cn[:nv]

        frontier[~np.isfinite(frontier)] = 0.0
        row[self._region_cols["frontier_capability"]] = frontier
        w.frontier_history.append(float(frontier.max()))
        row[col["us_cn_gap_years"]] = gap_years(frontier[US], frontier[CN], w.frontier_history)

        self._flows_window = [*self._flows_window, model.flows.region_flows.copy()][-ROLLING:]
        cross, modularity = kernels.network_metrics(
            np.array(self._flows_window), _BLOC_OF_REGION, len(BLOCS), CN_BLOC, WEST_BLOC
        )
        row[col["cross_bloc_capital_share"]] = cross
        row[col["network_modularity_bloc"]] = modularity
        row[col["total_ai_revenue"]] = st.total_revenue
        row[col["paid_share"]] = st.paid_share
        row[col["leader_valuation"]] = float(mark_max)
        row[col["hyperscaler_capex"]] = capex
        row[col["lease_price_h100e_hour"]] = float(lease) * 1e9 / (365.25 / 4 * 24)
        row[col["training_utilisation"]] = model.world.training_utilisation

        self.values[model.t] = row
        self.quarters.append(model.quarter_index)

    def frame(self) -> pl.DataFrame:
        """Metrics of the quarters simulated so far."""
        k = len(self.quarters)
        data = {"quarter": [quarter_label(q) for q in self.quarters]}
        for i, name in enumerate(self.names):
            data[name] = self.values[:k, i]
        return pl.DataFrame(data)


def gap_years(us: float, cn: float, frontier_history: list[float]) -> float:
    """Capability gap (OOM) divided by the global frontier's growth (OOM/yr over 2 years)."""
    if len(frontier_history) >= 9:
        growth = (frontier_history[-1] - frontier_history[-9]) / 2.0
    elif len(frontier_history) >= 2:
        growth = (frontier_history[-1] - frontier_history[0]) / ((len(frontier_history) - 1) / 4.0)
    else:
        growth = 1.0
    return float((us - cn) / max(growth, 0.1))
