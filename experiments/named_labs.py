"""Named labs against their reported figures: reported in the validation, never targeted.

The baseline starts the real labs of ``abm/data/labs.csv`` from their 2020 (or founding)
positions; what becomes of each is emergent. ``abm/data/named_lab_figures.csv`` lists a few
reported figures per lab, each with its source, and this module puts the model's value
beside each, across seeds, so a reader sees which named actors the model tracks and which it
does not (docs/calibration.md says why for the largest gaps).

Quantities (USD B): ``valuation`` — the lab's last post-money valuation at the end of the
quarter ``period`` (``2024Q4``); ``revenue`` — its revenue over the year ``period``
(``2024``); ``raised`` — the equity it raised over that year. A lab that is not alive then (not
founded yet, failed, or acquired) has no value (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abm import AIMarketModel, Scenario
from abm.calendar import parse_quarter
from abm.data_tables import load_table
from experiments.reported import ReportedRow, seed_quantiles

QUANTITIES = ("valuation", "revenue", "raised")


@dataclass(frozen=True)
class Figure:
    """One reported figure of one named lab."""

    lab: str
    period: str  # "2024Q4" for a valuation, "2024" for a year's revenue or raise
    quantity: str
    value: float
    source: str

    @property
    def last_quarter(self) -> int:
        """Absolute quarter at whose end the figure is read."""
        return parse_quarter(self.period if "Q" in self.period else f"{self.period}Q4")


def load_figures() -> tuple[Figure, ...]:
    """The rows of ``abm/data/named_lab_figures.csv``, checked."""
    out = []
    for r in load_table("named_lab_figures"):
        f = Figure(r["lab"], r["period"], r["quantity"], float(r["value"]), r["source"])
        if f.quantity not in QUANTITIES:
            raise ValueError(
                f"named_lab_figures.csv: quantity {f.quantity!r} of {f.lab} not in {QUANTITIES}"
            )
        if (f.quantity == "valuation") != ("Q" in f.period):
            raise ValueError(
                f"named_lab_figures.csv: {f.lab} {f.quantity} needs a "
                f"{'quarter (2024Q4)' if f.quantity == 'valuation' else 'year (2024)'}, "
                f"got {f.period!r}"
            )
        out.append(f)
    return tuple(out)


def model_values(args: tuple[Scenario, int, Sequence[Figure]]) -> list[float]:
    """Run the scenario with one seed up to the last figure's quarter and read each figure's
    counterpart (NaN where the lab is not alive then). Picklable for a process pool."""
    scenario, seed, figures = args
    model = AIMarketModel(scenario, rng=seed)
    labs = model.labs
    end = max(f.last_quarter for f in figures)
    first = model.quarter_index
    # Per lab and quarter: (valuation, revenue in the quarter, raised to date), alive labs only.
    seen: dict[tuple[str, int], tuple[float, float, float]] = {}
    names = sorted({f.lab for f in figures})
    while model.quarter_index <= end and model.quarter_index < first + scenario.steps:
        q = model.quarter_index
        model.step()
        for name in names:
            i = labs.names.index(name) if name in labs.names else None
            if i is not None and labs.alive[i]:
                seen[(name, q)] = (
                    float(labs.valuation[i]),
                    float(labs.revenue[i]),
                    float(labs.raised_total[i]),
                )
    out = []
    for f in figures:
        q = f.last_quarter
        if f.quantity == "valuation":
            out.append(seen.get((f.lab, q), (np.nan,))[0])
            continue
        year = [seen.get((f.lab, q - k)) for k in range(4)]
        if f.quantity == "revenue":
            out.append(sum(v[1] for v in year) if all(year) else np.nan)
        else:  # raised over the year: raised to date at its end less at the previous year's end
            before = seen.get((f.lab, q - 4))
            start = before[2] if before else 0.0
            out.append(year[0][2] - start if year[0] else np.nan)
    return out


@dataclass(frozen=True)
class FigureRow(ReportedRow):
    """A reported figure of a named lab and the model's across seeds."""

    alive_share: float  # share of seeds in which the lab was alive then


def summarise(figures: Sequence[Figure], per_seed: Sequence[Sequence[float]]) -> list[FigureRow]:
    """Median and 10-90 % range of each figure over the seeds where the lab was alive."""
    values = np.array(per_seed, dtype=float).reshape(len(per_seed), len(figures))
    rows = []
    for j, f in enumerate(figures):
        col = values[:, j]
        alive = np.isfinite(col).sum() / max(col.size, 1)
        rows.append(FigureRow(f, *seed_quantiles(col), alive))
    return rows


def markdown(rows: Sequence[FigureRow], fmt) -> list[str]:
    """Lines of the report's table (``fmt`` formats a number)."""
    lines = [
        "| lab | when | quantity | reported, USD B | model median | 10-90 % | model / reported | seeds alive |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r.figure
        lines.append(
            f"| {f.lab} | {f.period} | {f.quantity} | {fmt(f.value)} | {fmt(r.median)} | "
            f"{fmt(r.p10)}-{fmt(r.p90)} | {fmt(r.ratio)} | {r.alive_share:.0%} |"
        )
    return lines
