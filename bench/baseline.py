"""One baseline run, timed in its parts (issue #6, item 1).

A run is what ``experiments.runner.simulate`` does, through the public surface of ``abm``
(DESIGN.md §1): build the model (set-up), run its 64 quarters (model work), then read out
what a sweep keeps — ``metrics()`` and ``summary()``, ``events()`` and ``network_frames()``
(recording).
Each part is timed on its own so the split between them can be read off.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

from rich.table import Table

from abm import AIMarketModel, Scenario, load_scenario

PARTS = ("setup_s", "run_s", "metrics_s", "events_s", "network_s")


@dataclass(frozen=True)
class BaselineTiming:
    """Seconds spent in each part of one run."""

    setup_s: float  # AIMarketModel(scenario, rng=seed)
    run_s: float  # all quarters
    metrics_s: float  # metrics() and summary()
    events_s: float  # events() as a polars DataFrame
    network_s: float  # the network as node and edge tables (what a sweep keeps)
    quarters: int
    mean_alive_labs: float

    @property
    def recording_s(self) -> float:
        """Reading out the run's outputs: metrics, summary, events, network."""
        return self.metrics_s + self.events_s + self.network_s

    @property
    def sweep_run_s(self) -> float:
        """What a sweep worker does per run: set-up, quarters, metrics and summary."""
        return self.setup_s + self.run_s + self.metrics_s

    @property
    def total_s(self) -> float:
        """Wall time of the whole run."""
        return self.setup_s + self.run_s + self.recording_s


def time_run(scenario: Scenario, seed: int) -> BaselineTiming:
    """Build, run and read out one model, timing each part.

    Quarters are stepped one by one so the alive labs can be counted after each (a sum over a
    boolean array, microseconds, outside the timed calls).
    """
    gc.collect()
    t0 = time.perf_counter()
    model = AIMarketModel(scenario, rng=seed)
    setup_s = time.perf_counter() - t0
    run_s = 0.0
    alive = 0
    for _ in range(scenario.steps):
        t = time.perf_counter()
        model.step()
        run_s += time.perf_counter() - t
        alive += int(model.labs.alive[: model.labs.n].sum())
    t = time.perf_counter()
    model.metrics()
    model.summary()
    metrics_s = time.perf_counter() - t
    t = time.perf_counter()
    model.events()
    events_s = time.perf_counter() - t
    t = time.perf_counter()
    model.network_frames()
    network_s = time.perf_counter() - t
    return BaselineTiming(
        setup_s=setup_s,
        run_s=run_s,
        metrics_s=metrics_s,
        events_s=events_s,
        network_s=network_s,
        quarters=scenario.steps,
        mean_alive_labs=alive / scenario.steps,
    )


def time_baseline(
    runs: int = 5, seed: int = 1, scenario: Scenario | None = None
) -> list[BaselineTiming]:
    """Time ``runs`` baseline runs (seeds ``seed``, ``seed + 1``, ...), after one untimed warm-up.

    The warm-up pays one-off costs (imports, data tables, first-call caches, loading or
    compiling the numba kernels) that a sweep worker pays once, not per run.
    """
    scenario = scenario or load_scenario("baseline")
    time_run(scenario, seed)
    return [time_run(scenario, seed + i) for i in range(runs)]


def median_of(timings: list[BaselineTiming], attr: str) -> float:
    """Median of one attribute over runs."""
    return statistics.median(getattr(t, attr) for t in timings)


def split(timings: list[BaselineTiming]) -> tuple[float, float, float]:
    """Shares of set-up, model work and recording in a run, from the parts' medians."""
    setup, work, metrics, events, network = (median_of(timings, a) for a in PARTS)
    total = setup + work + metrics + events + network
    return setup / total, work / total, (metrics + events + network) / total


def baseline_table(timings: list[BaselineTiming]) -> Table:
    """The baseline figures: medians of each part and its share of the run's wall time."""
    # Shares of the sum of the parts' medians, so that they add up to 100 %.
    total = sum(median_of(timings, attr) for attr in PARTS)
    q = timings[0].quarters
    table = Table(
        title=f"1. Baseline run ({q} quarters), median of {len(timings)} runs, "
        f"~{median_of(timings, 'mean_alive_labs'):,.0f} labs alive on average"
    )
    table.add_column("part")
    table.add_column("median", justify="right")
    table.add_column("share of wall", justify="right")
    rows = [
        ("set-up (build the model)", "setup_s"),
        (f"model work ({q} quarters)", "run_s"),
        ("recording: metrics() + summary()", "metrics_s"),
        ("recording: events()", "events_s"),
        ("recording: network_frames()", "network_s"),
    ]
    for label, attr in rows:
        m = median_of(timings, attr)
        table.add_row(label, f"{m * 1e3:,.1f} ms", f"{100 * m / total:.1f} %")
    table.add_row(
        "wall time, whole run", f"{median_of(timings, 'total_s') * 1e3:,.1f} ms", "", style="bold"
    )
    table.add_row(
        "time per quarter (model work)", f"{median_of(timings, 'run_s') / q * 1e3:.2f} ms", ""
    )
    return table
