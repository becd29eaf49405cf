"""The sweep-results page: open a sweep output folder and compare interventions.

Reads a result store written by ``aimarket sweep`` through the experiments package only:
``experiments.load_results(path)`` and ``experiments.compare.effects`` / ``fans``. When that
package has no result store (an installation without the sweep tools), the page says so
plainly instead of guessing a file format.

Folders are looked for under one root directory (``AIMARKET_RESULTS_ROOT``, default: the
directory the app was started from): the page lists sweep folders found there and accepts a
path relative to it. A path outside the root is refused, so a visitor cannot make the server
read arbitrary directories; nothing typed is executed.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import solara

from viz.components.chart import Chart
from viz.components.effects import effects_option, effects_table_html, fan_option

RESULTS_ROOT_ENV = "AIMARKET_RESULTS_ROOT"
ID_COLUMNS = frozenset({"run_id", "intervention", "point", "seed_index", "seed", "quarter"})
STORE_MARKERS = ("plan.parquet",)
"""A folder holding one of these files is a sweep result store (see experiments.store)."""
SEARCH_DEPTH = 3


@dataclass(frozen=True)
class SweepTools:
    """The experiments functions the page uses (None when the package lacks them)."""

    load_results: Any
    compare: ModuleType | None
    problem: str


def sweep_tools() -> SweepTools:
    """Import the result store and comparisons from the experiments package, if present."""
    try:
        import experiments
        import experiments.compare as compare
    except ImportError as exc:
        return SweepTools(None, None, f"experiments.compare cannot be imported ({exc})")
    load = getattr(experiments, "load_results", None)
    for module in ("experiments.results", "experiments.store"):
        if load is None:
            # An out-of-date editable install can import the package as a namespace, without
            # its __init__ re-exports; the function itself lives in a submodule.
            try:
                load = getattr(importlib.import_module(module), "load_results", None)
            except ImportError:
                load = None
    missing = [
        name
        for name, ok in (
            ("experiments.load_results", load is not None),
            ("experiments.compare.effects", hasattr(compare, "effects")),
            ("experiments.compare.fans", hasattr(compare, "fans")),
        )
        if not ok
    ]
    if missing:
        return SweepTools(None, None, "missing " + ", ".join(missing))
    return SweepTools(load, compare, "")


def results_root() -> Path:
    """Directory under which sweep folders are looked for and opened."""
    return Path(os.environ.get(RESULTS_ROOT_ENV) or Path.cwd()).resolve()


def resolve_folder(root: Path, text: str) -> Path:
    """A folder path typed by the user, made absolute and checked to lie under ``root``."""
    text = text.strip()
    if not text or len(text) > 500 or "\x00" in text:
        raise ValueError("enter a folder path relative to the results root")
    path = (root / text).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{text!r} is outside the results root {root}")
    if not path.is_dir():
        raise ValueError(f"{text!r} is not a folder under {root}")
    return path


def find_sweeps(root: Path, depth: int = SEARCH_DEPTH, limit: int = 50) -> list[str]:
    """Folders under ``root`` (relative paths) that hold a sweep result store."""
    found: list[str] = []
    if not root.is_dir():
        return found
    frontier = [root]
    for _ in range(depth + 1):
        next_level: list[Path] = []
        for folder in frontier:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            if any((folder / name).is_file() for name in STORE_MARKERS):
                found.append(str(folder.relative_to(root)) or ".")
                continue
            next_level += [e for e in entries if e.is_dir() and not e.name.startswith((".", "__"))]
        frontier = next_level
        if len(found) >= limit:
            break
    return found[:limit]


@dataclass(frozen=True)
class LoadedSweep:
    """A sweep read from disk with the tables the page shows."""

    path: Path
    results: Any
    effects: pl.DataFrame
    metrics: tuple[str, ...]
    interventions: tuple[str, ...]
    n_runs: int
    n_failures: int
    complete: bool


def load_sweep(tools: SweepTools, path: Path, baseline: str = "baseline") -> LoadedSweep:
    """Read a sweep folder and compute the effects table (raises on unreadable stores)."""
    results = tools.load_results(path)
    effects = tools.compare.effects(results, baseline=baseline)  # type: ignore[union-attr]
    metrics_frame: pl.DataFrame = results.metrics
    metric_names = tuple(
        c
        for c, dtype in zip(metrics_frame.columns, metrics_frame.dtypes, strict=True)
        if c not in ID_COLUMNS and dtype.is_numeric()
    )
    failures = getattr(results, "failures", None)
    n_failures = len(failures) if failures is not None else 0
    names = getattr(results, "interventions", None) or sorted(
        metrics_frame["intervention"].unique().to_list()
    )
    manifest = getattr(results, "manifest", {}) or {}
    return LoadedSweep(
        path=path,
        results=results,
        effects=effects,
        metrics=metric_names,
        interventions=tuple(names),
        n_runs=metrics_frame["run_id"].n_unique(),
        n_failures=n_failures,
        complete=bool(manifest.get("complete", True)),
    )


@solara.component
def SweepView(tools: SweepTools, sweep: LoadedSweep) -> solara.Element:
    """Effects with confidence intervals and time-series fans of one loaded sweep."""
    # The sweep's own order: its [analysis] outcomes, then years as listed ("2030", "end").
    effects = sweep.effects
    outcomes = effects["outcome"].unique(maintain_order=True).to_list() if effects.height else []
    years = effects["year"].unique(maintain_order=True).to_list() if effects.height else []
    outcome = solara.use_reactive(outcomes[0] if outcomes else None)
    year = solara.use_reactive(years[-1] if years else None)
    default_metric = "us_cn_gap_years" if "us_cn_gap_years" in sweep.metrics else None
    metric = solara.use_reactive(default_metric or (sweep.metrics[0] if sweep.metrics else None))
    fans = solara.use_memo(
        lambda: tools.compare.fans(sweep.results, metric.value) if metric.value else None,  # type: ignore[union-attr]
        [sweep.path, metric.value],
    )
    with solara.Column(gap="12px") as column:
        solara.Text(
            f"{sweep.path}: {sweep.n_runs:,} runs, interventions "
            f"{', '.join(sweep.interventions)}; {sweep.n_failures} failed runs"
            + ("." if sweep.complete else "; the sweep is still running or was interrupted."),
            classes=["aimarket-sweep-summary"],
        )
        with solara.Card(
            "Effects vs the baseline (paired by seed, 95 % CI)",
            classes=["aimarket-view-effects"],
            margin=0,
        ):
            if not outcomes:
                solara.Warning(
                    "This sweep has no effects to show (is there a baseline intervention?)."
                )
            else:
                with solara.Row(gap="8px"):
                    solara.Select("Outcome", values=outcomes, value=outcome)
                    solara.Select("Year", values=years, value=year)
                if outcome.value is not None and year.value is not None:
                    Chart(
                        effects_option(sweep.effects, outcome.value, year.value),
                        "effects",
                        height=80 + 36 * len(sweep.interventions),
                    )
                    solara.HTML(
                        tag="div", unsafe_innerHTML=effects_table_html(sweep.effects, outcome.value)
                    )
        with solara.Card(
            "Time-series fans (10th-90th percentile across seeds, median line)",
            classes=["aimarket-view-fans"],
            margin=0,
        ):
            if sweep.metrics:
                solara.Select("Metric", values=list(sweep.metrics), value=metric)
            if fans is not None and metric.value:
                Chart(fan_option(fans, metric.value), "fans", height=380)
    return column


@solara.component
def ResultsPage() -> solara.Element:
    """Route "/results": open a sweep folder and see its interventions' effects."""
    tools = solara.use_memo(sweep_tools, [])
    root = solara.use_memo(results_root, [])
    scans = solara.use_reactive(0)
    found = solara.use_memo(lambda: find_sweeps(root), [scans.value])
    folder_text = solara.use_reactive(found[0] if found else "")
    baseline = solara.use_reactive("baseline")
    loaded = solara.use_reactive(None)
    error = solara.use_reactive(None)

    def open_folder() -> None:
        try:
            path = resolve_folder(root, folder_text.value)
            loaded.value = load_sweep(tools, path, baseline.value.strip() or "baseline")
            error.value = None
        except Exception as exc:  # any unreadable store is reported, never raised into the page
            loaded.value = None
            error.value = f"Could not open {folder_text.value!r}: {exc}"

    with solara.Column(style="padding: 12px;", classes=["aimarket-results"]) as page:
        solara.HTML(tag="h2", unsafe_innerHTML="Sweep results")
        if tools.compare is None:
            solara.Warning(
                "No sweep store is available in this installation: the experiments package "
                f"has no result store or comparisons ({tools.problem}). Sweep results cannot "
                "be shown until `aimarket sweep` and `aimarket compare` exist.",
                classes=["aimarket-no-store"],
            )
            return page
        with solara.Sidebar(), solara.Column(gap="6px", classes=["aimarket-sweep-picker"]):
            solara.HTML(tag="div", unsafe_innerHTML="<b>Open a sweep</b>")
            solara.Text(
                f"Sweep folders are opened under {root} (set {RESULTS_ROOT_ENV} to change "
                "it). Write one with: aimarket sweep SPEC --out DIR.",
                style="font-size: 12px; color: #555;",
            )
            if found:
                solara.Select("Sweeps found", values=found, value=folder_text)
            else:
                solara.Info(f"No sweep folders found under {root}.", dense=True)
            solara.InputText(
                "Folder (relative to the root)", value=folder_text, continuous_update=False
            )
            solara.InputText("Baseline intervention", value=baseline, continuous_update=False)
            with solara.Row(gap="6px"):
                solara.Button(
                    "Open", color="primary", on_click=open_folder, classes=["aimarket-open-sweep"]
                )
                solara.Button("Rescan", on_click=lambda: scans.set(scans.value + 1), text=True)
        if loaded.value is None and not error.value:
            solara.Text("Pick a sweep folder in the sidebar and press Open.")
        if error.value:
            solara.Error(error.value, classes=["aimarket-error"])
        if loaded.value is not None:
            SweepView(tools, loaded.value).key(str(loaded.value.path))
    return page
