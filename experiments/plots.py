"""Figures of a sweep's analysis, drawn with ``matplotlib.figure.Figure`` (no pyplot state).

Each function takes the analysis frames (:mod:`experiments.compare`,
:mod:`experiments.sensitivity`) and returns a Figure; :func:`save` writes it as PNG atomically.
The browser app can draw the same frames its own way.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from experiments.store import atomic_path

PANEL_W, PANEL_H = 4.6, 3.2  # inches per panel


def save(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Write a figure as PNG (temporary name, then rename)."""
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)


def _grid(n: int, cols: int = 3) -> tuple[Figure, list]:
    cols = max(1, min(cols, n))
    rows = max(1, math.ceil(n / cols))
    fig = Figure(figsize=(PANEL_W * cols, PANEL_H * rows), layout="constrained")
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
    return fig, axes


def effects_figure(effects: pl.DataFrame, labels: dict[str, str]) -> Figure:
    """One panel per outcome: each intervention's effect with its interval, one mark per year."""
    outcomes = list(dict.fromkeys(effects["outcome"].to_list())) or list(labels)
    interventions = list(dict.fromkeys(effects["intervention"].to_list()))
    years = list(dict.fromkeys(effects["year"].to_list()))
    fig, axes = _grid(max(1, len(outcomes)))
    offsets = np.linspace(-0.2, 0.2, len(years)) if len(years) > 1 else np.zeros(1)
    for ax, outcome in zip(axes, outcomes, strict=False):
        sub = effects.filter(pl.col("outcome") == outcome)
        for j, year in enumerate(years):
            rows = sub.filter(pl.col("year") == year)
            ypos = [interventions.index(i) + offsets[j] for i in rows["intervention"]]
            eff = rows["effect"].to_numpy()
            lo = eff - rows["ci_low"].to_numpy()
            hi = rows["ci_high"].to_numpy() - eff
            ax.errorbar(
                eff,
                ypos,
                xerr=np.nan_to_num(np.vstack([lo, hi])),
                fmt="o",
                ms=4,
                capsize=2,
                label=year,
            )
        ax.axvline(0.0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(interventions)), interventions, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(labels.get(outcome, outcome), fontsize=9)
        ax.set_xlabel("effect vs baseline", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
    if axes and years:
        axes[0].legend(title="year", fontsize=7, title_fontsize=7)
    fig.suptitle("Intervention effects, paired by seed (95 % bootstrap intervals)", fontsize=10)
    return fig


def effects_by_point_figure(
    effects: pl.DataFrame, parameters: list[str], labels: dict[str, str]
) -> Figure:
    """One panel per outcome: effect against the design point (the first swept parameter's
    value), one line per intervention, at the last year analysed."""
    outcomes = list(dict.fromkeys(effects["outcome"].to_list()))
    years = list(dict.fromkeys(effects["year"].to_list()))
    year = "end" if "end" in years else years[-1]
    xcol = parameters[0] if parameters else "point"
    numeric = xcol in effects.columns and effects[xcol].dtype.is_numeric()
    if not numeric:
        xcol = "point"
    fig, axes = _grid(max(1, len(outcomes)))
    for ax, outcome in zip(axes, outcomes, strict=False):
        sub = effects.filter((pl.col("outcome") == outcome) & (pl.col("year") == year))
        for name in dict.fromkeys(sub["intervention"].to_list()):
            rows = sub.filter(pl.col("intervention") == name)
            if len(parameters) > 1:
                # Several parameters: average over the others, keyed by the first.
                rows = (
                    rows.group_by(xcol).agg(pl.col("effect", "ci_low", "ci_high").mean()).sort(xcol)
                )
            else:
                rows = rows.sort(xcol)
            x = rows[xcol].to_numpy().astype(float)
            eff = rows["effect"].to_numpy()
            ax.plot(x, eff, marker="o", ms=3, label=name)
            ax.fill_between(x, rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy(), alpha=0.2)
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_title(labels.get(outcome, outcome), fontsize=9)
        ax.set_xlabel(xcol, fontsize=8)
        ax.set_ylabel(f"effect vs baseline ({year})", fontsize=8)
        ax.tick_params(labelsize=8)
    if axes:
        axes[0].legend(fontsize=7)
    fig.suptitle("Effects across the design (95 % bootstrap bands)", fontsize=10)
    return fig


def fans_figure(fans: dict[str, pl.DataFrame], labels: dict[str, str]) -> Figure:
    """One panel per metric: median and 10-90 % band over runs, per intervention, by quarter."""
    fig, axes = _grid(max(1, len(fans)))
    for ax, (metric, frame) in zip(axes, fans.items(), strict=False):
        quarters = sorted(set(frame["quarter"].to_list()))
        index = {q: i for i, q in enumerate(quarters)}
        for name in dict.fromkeys(frame["intervention"].to_list()):
            rows = frame.filter(pl.col("intervention") == name)
            x = np.array([index[q] for q in rows["quarter"]])
            (line,) = ax.plot(x, rows["p50"].to_numpy(), lw=1.2, label=name)
            ax.fill_between(
                x,
                rows["p10"].to_numpy().astype(float),
                rows["p90"].to_numpy().astype(float),
                color=line.get_color(),
                alpha=0.15,
                lw=0,
            )
        ticks = [i for i, q in enumerate(quarters) if q.endswith("Q1")]
        step = max(1, math.ceil(len(ticks) / 6))
        ax.set_xticks(ticks[::step], [quarters[i][:4] for i in ticks[::step]], fontsize=8)
        ax.set_title(labels.get(metric, metric), fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    if axes:
        axes[0].legend(fontsize=7)
    fig.suptitle("Median and 10-90 % range over runs", fontsize=10)
    return fig


def sensitivity_figure(indices: pl.DataFrame, labels: dict[str, str]) -> Figure:
    """One panel per outcome (and year): bars of the main index per parameter with its interval.

    Sobol: first-order (S1) and total (ST) indices side by side; Morris: mu* with sigma marked.
    """
    groups = list(dict.fromkeys(zip(indices["outcome"], indices["year"], strict=True)))
    fig, axes = _grid(max(1, len(groups)))
    method = indices["method"][0] if indices.height else "sobol"
    measures = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    for ax, (outcome, year) in zip(axes, groups, strict=False):
        sub = indices.filter((pl.col("outcome") == outcome) & (pl.col("year") == year))
        params = list(dict.fromkeys(sub["parameter"].to_list()))
        y = np.arange(len(params))
        height = 0.38
        for j, measure in enumerate(measures):
            rows = sub.filter(pl.col("measure") == measure)
            value = dict(zip(rows["parameter"], rows["value"], strict=True))
            conf = dict(zip(rows["parameter"], rows["conf"], strict=True))
            vals = np.array([value.get(p, np.nan) for p in params], dtype=float)
            errs = np.array([conf.get(p, np.nan) for p in params], dtype=float)
            ax.barh(
                y + (j - 0.5) * height,
                np.nan_to_num(vals),
                height=height,
                xerr=np.nan_to_num(errs),
                capsize=2,
                label=measure,
            )
        ax.set_yticks(y, params, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(f"{labels.get(outcome, outcome)} ({year})", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    if axes:
        axes[0].legend(fontsize=7)
    title = "Sobol indices (95 % intervals)" if method == "sobol" else "Morris elementary effects"
    fig.suptitle(title, fontsize=10)
    return fig
