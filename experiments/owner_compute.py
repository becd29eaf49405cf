"""Compute by owner against Epoch's chip counts: reported in the validation, never targeted.

Epoch AI's ai-chip-counts estimate, from NVIDIA's revenue and its customers' disclosures, how
many H100-equivalents each large owner has received since a start date (NVIDIA since 2022Q1;
Google's TPUs since 2023Q1; Trainium and AMD since 2024Q1), with a 5-95 % range.
``abm/data/owner_compute_figures.csv`` copies the figures used, each with its source. This
module reads the model's counterpart from every run: the raw H100e each cloud received from
that vendor (licensed and grey; ``delivered`` in the cloud table, never retired) between the
start of ``since`` and the end of ``period``, summed over the clouds that stand for the owner
(:data:`OWNER_CLOUDS`). The model's opening 2020 fleets are not deliveries and are not counted.

Nothing here feeds the model or the calibration; it shows which owners the model's chip
market supplies as the data say and which it does not (a reader of T5, T8 and T9 needs both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from abm import AIMarketModel, Scenario
from abm.calendar import parse_quarter
from abm.data_tables import load_table
from abm.regions import CN
from experiments.reported import ReportedRow, seed_quantiles

OWNER_CLOUDS: dict[str, tuple[str, ...]] = {
    "Microsoft": ("Microsoft Azure",),
    "Meta": ("Meta",),
    "Amazon": ("AWS",),
    "Google": ("Google Cloud",),
    "Oracle": ("Oracle",),
    "xAI": ("xAI Colossus",),
    "xAI and CoreWeave": ("xAI Colossus", "CoreWeave"),
}
"""Owners that are one or two of the model's named clouds."""
CHINA, OTHER, ALL = "China", "Other", "all"
"""China: every cloud in region CN. Other: every cloud outside Epoch's named owners (the
aggregated allied, Gulf and other clouds and the public supercomputers). all: every cloud."""
_NAMED = (
    "Microsoft Azure",
    "Meta",
    "AWS",
    "Google Cloud",
    "Oracle",
    "xAI Colossus",
    "CoreWeave",
)  # Epoch's named owners besides China


@dataclass(frozen=True)
class OwnerFigure:
    """Epoch's estimate of the H100e one owner received from one vendor over a span."""

    owner: str
    vendor: str
    since: str  # first quarter counted, "2022Q1"
    period: str  # last quarter counted, "2025Q2"
    value: float
    p5: float  # 5-95 % range; both 0 where Epoch gives none (an implied residual)
    p95: float
    source: str

    @property
    def has_range(self) -> bool:
        """Whether Epoch gives a 5-95 % range for this figure."""
        return self.p95 > 0


def load_figures() -> tuple[OwnerFigure, ...]:
    """The rows of ``abm/data/owner_compute_figures.csv``, checked."""
    known = (*OWNER_CLOUDS, CHINA, OTHER, ALL)
    out = []
    for r in load_table("owner_compute_figures"):
        f = OwnerFigure(
            r["owner"],
            r["vendor"],
            r["since"],
            r["period"],
            r["value"],
            r["p5"],
            r["p95"],
            r["source"],
        )
        where = f"owner_compute_figures.csv: {f.owner} {f.vendor} {f.period}"
        if f.owner not in known:
            raise ValueError(f"{where}: owner {f.owner!r} not one of {known}")
        if parse_quarter(f.since) > parse_quarter(f.period):
            raise ValueError(f"{where}: since {f.since} is after period {f.period}")
        if f.has_range and not f.p5 <= f.value <= f.p95:
            raise ValueError(f"{where}: value {f.value:g} outside its range {f.p5:g}-{f.p95:g}")
        out.append(f)
    return tuple(out)


def owner_rows(model: AIMarketModel, owner: str) -> np.ndarray:
    """Rows of the cloud table that stand for ``owner``."""
    c = model.clouds
    names = np.array(c.names[: c.n], dtype=object)
    if owner == ALL:
        return np.arange(c.n)
    if owner == CHINA:
        return np.flatnonzero(c.region[: c.n] == CN)
    if owner == OTHER:
        named = np.isin(names, _NAMED) | (c.region[: c.n] == CN)
        return np.flatnonzero(~named)
    return np.flatnonzero(np.isin(names, OWNER_CLOUDS[owner]))


def model_values(args: tuple[Scenario, int, Sequence[OwnerFigure]]) -> list[float]:
    """Run the scenario with one seed to the last figure's quarter and read, for each figure,
    the raw H100e its owner's clouds received from its vendor from ``since`` to ``period``
    (NaN if the run stops earlier). Picklable for a process pool."""
    scenario, seed, figures = args
    model = AIMarketModel(scenario, rng=seed)
    first = model.quarter_index
    last = min(max(parse_quarter(f.period) for f in figures), first + scenario.steps - 1)
    # Cumulative deliveries (clouds x vendors) at the end of each quarter; before the start: 0.
    at_end = {first - 1: np.zeros_like(model.clouds.delivered[: model.clouds.n])}
    while model.quarter_index <= last:
        q = model.quarter_index
        model.step()
        at_end[q] = model.clouds.delivered[: model.clouds.n].copy()
    vendor_names = list(model.vendors.names[: model.vendors.n])
    out = []
    for f in figures:
        end, before = parse_quarter(f.period), max(parse_quarter(f.since) - 1, first - 1)
        if end not in at_end:
            out.append(np.nan)
            continue
        rows, j = owner_rows(model, f.owner), vendor_names.index(f.vendor)
        out.append(_received(at_end[end], rows, j) - _received(at_end[before], rows, j))
    return out


def _received(snapshot: np.ndarray, rows: np.ndarray, vendor: int) -> float:
    """H100e the clouds ``rows`` had received from ``vendor`` by a snapshot of ``delivered``;
    a cloud that opened after the snapshot (a row beyond it) had received nothing."""
    return float(snapshot[rows[rows < snapshot.shape[0]], vendor].sum())


US_OWNERS = ("Microsoft", "Meta", "Amazon", "Google", "Oracle", "xAI and CoreWeave")
"""Epoch's named owners based in the US (xAI on its own is part of "xAI and CoreWeave")."""


def owner_shares(figures: Sequence[OwnerFigure], period: str) -> dict[str, float]:
    """Shares of every H100e Epoch counts up to ``period`` (all vendors, each since its own
    start; Chinese domestic chips are not in Epoch's counts): the named US owners', China's,
    and the unattributed rest (NVIDIA's "Other" owners and AMD's buyers, who may sit anywhere).
    The US share by owner lies between ``us`` and ``us + unattributed``."""
    at = [f for f in figures if f.period == period]
    us = sum(f.value for f in at if f.owner in US_OWNERS)
    china = sum(f.value for f in at if f.owner == CHINA)
    rest = sum(f.value for f in at if f.owner == OTHER or (f.owner == ALL and f.vendor == "AMD"))
    total = us + china + rest
    if total <= 0:
        raise ValueError(f"owner_compute_figures.csv has no owner figures for {period}")
    return {"us": us / total, "china": china / total, "unattributed": rest / total, "total": total}


@dataclass(frozen=True)
class OwnerRow(ReportedRow):
    """A figure of Epoch's and the model's across seeds (``ratio``: over Epoch's median)."""

    @property
    def in_range(self) -> bool | None:
        """Whether the model's median lies in Epoch's 5-95 % range (None without a range)."""
        f = self.figure
        return bool(f.p5 <= self.median <= f.p95) if f.has_range else None


def summarise(
    figures: Sequence[OwnerFigure], per_seed: Sequence[Sequence[float]]
) -> list[OwnerRow]:
    """Median and 10-90 % range of each figure over the seeds whose run reached it."""
    values = np.array(per_seed, dtype=float).reshape(len(per_seed), len(figures))
    return [OwnerRow(f, *seed_quantiles(values[:, j])) for j, f in enumerate(figures)]


def shares_line(figures: Sequence[OwnerFigure], period: str = "2025Q2") -> str:
    """One sentence on the US share by owner that Epoch's counts allow at ``period``."""
    sh = owner_shares(figures, period)
    return (
        f"Epoch's counts up to {period} ({sh['total'] / 1e6:.1f}M H100e; Chinese domestic chips "
        f"not counted): named US owners {sh['us']:.3f}, China {sh['china']:.3f}, "
        f"unattributed {sh['unattributed']:.3f} (NVIDIA's Other owners and AMD's buyers), so "
        f"by owner the US share is between {sh['us']:.2f} and "
        f"{sh['us'] + sh['unattributed']:.2f} (T5a)."
    )


def markdown(rows: Sequence[OwnerRow], fmt) -> list[str]:
    """Lines of the report's table (``fmt`` formats a number); thousands of H100e."""
    lines = [
        "| owner | chips | from | to | Epoch, k H100e | Epoch 5-95 % | model median | model 10-90 % | model / Epoch | in Epoch's range |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r.figure
        rng = f"{fmt(f.p5 / 1e3)}-{fmt(f.p95 / 1e3)}" if f.has_range else "none given"
        verdict = {True: "yes", False: "**no**", None: "-"}[r.in_range]
        lines.append(
            f"| {f.owner} | {f.vendor} | {f.since} | {f.period} | {fmt(f.value / 1e3)} | {rng} | "
            f"{fmt(r.median / 1e3)} | {fmt(r.p10 / 1e3)}-{fmt(r.p90 / 1e3)} | {fmt(r.ratio)} | "
            f"{verdict} |"
        )
    return lines


def _year(period: str) -> float:
    """Fractional year at the end of a quarter: 2025Q2 -> 2025.5."""
    return int(period[:4]) + int(period[-1]) / 4.0


def plot(rows: Sequence[OwnerRow], path: Path) -> None:
    """One panel per owner and chip: Epoch's median and 5-95 % range (black) at each date
    beside the model's median and 10-90 % range across seeds, thousands of H100e."""
    groups: dict[tuple[str, str], list[OwnerRow]] = {}
    for r in rows:
        groups.setdefault((r.figure.owner, r.figure.vendor), []).append(r)
    cols = 4
    n_rows = -(-len(groups) // cols)
    fig = Figure(figsize=(3.1 * cols, 2.3 * n_rows))
    axes = fig.subplots(n_rows, cols, squeeze=False).ravel()
    for ax, ((owner, vendor), rs) in zip(axes, groups.items(), strict=False):
        rs = sorted(rs, key=lambda r: _year(r.figure.period))
        x = np.array([_year(r.figure.period) for r in rs])
        med = np.array([r.median for r in rs]) / 1e3
        ax.fill_between(
            x,
            [r.p10 / 1e3 for r in rs],
            [r.p90 / 1e3 for r in rs],
            alpha=0.3,
            label="model 10-90 %",
        )
        ax.plot(x, med, lw=2, marker=".", label="model median")
        value = np.array([r.figure.value for r in rs]) / 1e3
        low = np.array([r.figure.p5 if r.figure.has_range else r.figure.value for r in rs]) / 1e3
        high = np.array([r.figure.p95 if r.figure.has_range else r.figure.value for r in rs]) / 1e3
        ax.errorbar(
            x, value, yerr=[value - low, high - value], fmt="o", color="black", capsize=3,
            label="Epoch (5-95 %)",
        )  # fmt: skip
        ax.set_title(f"{owner}, {vendor} (since {rs[0].figure.since})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(groups) :]:
        ax.set_axis_off()
    axes[0].set_ylabel("k H100e received", fontsize=8)
    axes[0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
