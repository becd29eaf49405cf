"""Charts of a sweep's results: intervention effects with confidence intervals, and fans.

Both take the tables of ``experiments.compare`` as they are:

- ``effects(results)``: one row per (intervention, outcome, year) with ``effect`` (intervention
  mean minus baseline mean, paired by seed), ``ci_low``, ``ci_high`` and ``n_pairs``;
- ``fans(results, metric)``: one row per (intervention, quarter) with ``p10``, ``p50``, ``p90``
  of the metric across seeds.
"""

from __future__ import annotations

import html
from typing import Any

import polars as pl

from viz.components.chart import SERIES_COLOURS, base_option, clean, fmt


def effects_option(effects: pl.DataFrame, outcome: str, year: Any) -> dict[str, Any]:
    """Forest plot: each intervention's effect on one outcome in one year, with its interval.

    The box spans the confidence interval and its middle line is the effect; the zero line
    is the baseline.
    """
    rows = effects.filter((pl.col("outcome") == outcome) & (pl.col("year") == year)).sort(
        "intervention"
    )
    names = rows["intervention"].to_list()
    option = base_option()
    option["tooltip"] = {"trigger": "item", "confine": True}
    option["grid"] = {"left": 150, "right": 30, "top": 30, "bottom": 40}
    option["yAxis"] = {"type": "category", "data": names, "inverse": True}
    option["xAxis"] = {
        "type": "value",
        "name": f"effect on {outcome} ({year}) vs baseline",
        "nameLocation": "middle",
        "nameGap": 26,
    }
    option["series"] = [
        {
            "name": "effect and confidence interval",
            "type": "boxplot",
            "layout": "horizontal",
            "itemStyle": {"color": "#cfe3f7", "borderColor": "#1f5fae"},
            "data": [
                clean([r["ci_low"], r["ci_low"], r["effect"], r["ci_high"], r["ci_high"]])
                for r in rows.iter_rows(named=True)
            ],
            "markLine": {
                "silent": True,
                "symbol": "none",
                "lineStyle": {"color": "#999"},
                "label": {"show": False},
                "data": [{"xAxis": 0}],
            },
        }
    ]
    option["legend"] = {"show": False}
    return option


def effects_table_html(effects: pl.DataFrame, outcome: str) -> str:
    """Escaped HTML table of every intervention's effect on one outcome, by year."""
    rows = effects.filter(pl.col("outcome") == outcome).sort(["intervention", "year"])
    cell = "style='padding:3px 10px;border-bottom:1px solid #ddd;text-align:right'"
    first = "style='padding:3px 10px;border-bottom:1px solid #ddd;text-align:left'"
    columns = (
        "intervention",
        "year",
        "baseline mean",
        "intervention mean",
        "effect",
        "95 % CI",
        "pairs",
    )
    head = (
        "<tr>"
        + "".join(f"<th {first if i < 2 else cell}>{c}</th>" for i, c in enumerate(columns))
        + "</tr>"
    )
    body = "".join(
        "<tr>"
        f"<td {first}>{html.escape(str(r['intervention']))}</td>"
        f"<td {first}>{html.escape(str(r['year']))}</td>"
        f"<td {cell}>{fmt(r['baseline_mean'], 3)}</td><td {cell}>{fmt(r['intervention_mean'], 3)}</td>"
        f"<td {cell}><b>{fmt(r['effect'], 3)}</b></td>"
        f"<td {cell}>[{fmt(r['ci_low'], 3)}, {fmt(r['ci_high'], 3)}]</td>"
        f"<td {cell}>{r['n_pairs']}</td>"
        "</tr>"
        for r in rows.iter_rows(named=True)
    )
    return (
        "<table class='aimarket-effects' style='border-collapse:collapse;font-size:12px'>"
        + head
        + body
        + "</table>"
    )


def fan_option(fans: pl.DataFrame, metric: str) -> dict[str, Any]:
    """Time-series fans: per intervention, the 10-90 % band across seeds and the median."""
    quarters = sorted(fans["quarter"].unique().to_list()) if fans.height else []
    option = base_option()
    option["grid"] = {"left": 64, "right": 24, "top": 48, "bottom": 70}
    option["dataZoom"] = [{"type": "inside"}, {"type": "slider", "bottom": 10, "height": 20}]
    option["xAxis"] = {"type": "category", "data": quarters}
    option["yAxis"] = {"type": "value", "scale": True, "name": metric}
    series: list[dict[str, Any]] = []
    for i, name in enumerate(sorted(fans["intervention"].unique().to_list())):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        part = fans.filter(pl.col("intervention") == name)
        by_quarter = {r["quarter"]: r for r in part.iter_rows(named=True)}
        p10 = [by_quarter[q]["p10"] if q in by_quarter else None for q in quarters]
        p90 = [by_quarter[q]["p90"] if q in by_quarter else None for q in quarters]
        width = [
            hi - lo if hi is not None and lo is not None else None
            for lo, hi in zip(p10, p90, strict=True)
        ]
        stack = f"band-{i}"
        series += [
            {
                "name": name,
                "type": "line",
                "stack": stack,
                "stackStrategy": "all",
                "symbol": "none",
                "color": colour,
                "lineStyle": {"opacity": 0},
                "data": clean([v if v is not None else float("nan") for v in p10]),
                "tooltip": {"show": False},
            },
            {
                "name": name,
                "type": "line",
                "stack": stack,
                "stackStrategy": "all",
                "symbol": "none",
                "color": colour,
                "lineStyle": {"opacity": 0},
                "areaStyle": {"color": colour, "opacity": 0.18},
                "data": clean([v if v is not None else float("nan") for v in width]),
                "tooltip": {"show": False},
            },
            {
                "name": name,
                "type": "line",
                "symbol": "none",
                "color": colour,
                "lineStyle": {"width": 2},
                "data": clean(
                    [by_quarter[q]["p50"] if q in by_quarter else float("nan") for q in quarters]
                ),
            },
        ]
    option["series"] = series
    return option
