"""A browser session's simulation: its model, its settings and what its views show.

Each browser session builds one :class:`LiveSession` inside the page (never at module level),
so visitors never share a model. The session owns the model and the recorders of
:mod:`viz.history`, :mod:`viz.network_view` and :mod:`viz.feed`; after every step it
publishes an immutable :class:`Snapshot` that the views read. Steps and resets take a lock, so
the Play thread and a click on Step or Reset never touch the model at the same time, and a
view never sees a half-updated quarter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from abm import AIMarketModel, Scenario, ScenarioError, available_scenarios, load_scenario
from abm.calendar import quarter_label
from viz.feed import FeedItem, notable_events
from viz.history import AgentHistory, CapitalByType, ShareHistory, ShareSeries
from viz.levers import apply_levers, clamp_quarter, clamp_seed
from viz.network_view import FlowTracker, NetworkView, network_view

FEED_LENGTH = 150


@dataclass(frozen=True)
class RunConfig:
    """What the user chose: a shipped scenario, a seed, and lever edits from a quarter on.

    Attributes:
        scenario: name of a shipped preset (never a path: the page offers only presets).
        seed: random seed, 0 to :data:`viz.levers.SEED_MAX`.
        edits: (lever key, value) pairs the user changed, in page units.
        from_quarter: quarter label from which the edits hold (``None``: the first quarter).
    """

    scenario: str = "baseline"
    seed: int = 1
    edits: tuple[tuple[str, Any], ...] = ()
    from_quarter: str | None = None

    def build(self) -> Scenario:
        """The validated scenario to run; raises ScenarioError on any bad choice."""
        if self.scenario not in available_scenarios():
            raise ScenarioError([f"unknown scenario {self.scenario!r}"])
        base = load_scenario(self.scenario)
        start = clamp_quarter(base, self.from_quarter or base.start)
        return apply_levers(base, dict(self.edits), start)

    def with_edit(self, key: str, value: Any) -> RunConfig:
        """A copy with one lever edit set (replacing an earlier edit of the same lever)."""
        edits = (*tuple((k, v) for k, v in self.edits if k != key), (key, value))
        return RunConfig(self.scenario, self.seed, edits, self.from_quarter)


@dataclass(frozen=True)
class Snapshot:
    """Everything the views show after a step (immutable; replaced, never changed).

    Attributes:
        version: number of steps since the last reset.
        quarter: label of the last simulated quarter ("" before the first step).
        next_quarter: label of the next quarter to simulate.
        finished: the run reached the scenario's last quarter.
        metrics: the model's metrics table so far.
        events: the model's event log so far.
        shares: revenue shares of the largest labs.
        capital_by_type: rolling four-quarter investment by investor type, USD B.
        network: the drawn investment network.
        feed: latest feed lines, newest first.
        step_seconds: wall time of the last step including the views' data.
        scenario_name, seed, edited: the run's preset, seed and edited lever keys.
    """

    version: int
    quarter: str
    next_quarter: str
    finished: bool
    metrics: pl.DataFrame
    events: pl.DataFrame
    shares: ShareSeries
    capital_by_type: dict[str, tuple[float, ...]]
    network: NetworkView
    feed: tuple[FeedItem, ...]
    step_seconds: float = 0.0
    scenario_name: str = ""
    seed: int = 0
    edited: tuple[str, ...] = field(default_factory=tuple)


class LiveSession:
    """One visitor's model and recorders. Thread-safe: steps and resets hold a lock."""

    def __init__(self, config: RunConfig | None = None) -> None:
        self.lock = threading.RLock()
        self.generation = 0
        self.config = RunConfig()
        self.reset(config or RunConfig())

    # ---- lifecycle ----------------------------------------------------------------------------

    def reset(self, config: RunConfig) -> None:
        """Build a fresh model for ``config``; raises ScenarioError (the old model stays)."""
        config = RunConfig(
            config.scenario, clamp_seed(config.seed), config.edits, config.from_quarter
        )
        scenario = config.build()
        model = AIMarketModel(scenario, rng=config.seed)
        with self.lock:
            self.generation += 1
            self.config = config
            self.scenario = scenario
            self.model = model
            self.shares = ShareHistory()
            self.capital = CapitalByType()
            self.agents = AgentHistory(scenario.steps)
            self.flows = FlowTracker()
            self._feed: deque[FeedItem] = deque(maxlen=FEED_LENGTH)
            self._n_events = 0
            self.version = 0
            self.snapshot = self._publish(model.events(), 0.0)

    @property
    def finished(self) -> bool:
        """True once the scenario's last quarter has been simulated."""
        return not self.model.running

    def step(self, generation: int | None = None) -> bool:
        """Simulate one quarter and publish a new snapshot.

        Args:
            generation: if given, step only if no reset happened since it was read (the Play
                loop passes the generation it started with).

        Returns:
            False if nothing was simulated (the run is over, or the model was reset).
        """
        with self.lock:
            model = self.model
            if not model.running or (generation is not None and generation != self.generation):
                return False
            t0 = time.perf_counter()
            quarter = quarter_label(model.quarter_index)
            model.step()
            events = model.events()
            new = events.slice(self._n_events)
            self._n_events = events.height
            self.shares.record(model, quarter)
            self.capital.record(model)
            self.agents.record(model, quarter)
            rounds = new.filter(pl.col("kind") == "round")["agent_id"].to_list()
            self.flows.update(model, quarter, rounds)
            self._feed.extendleft(reversed(notable_events(new, model, quarter)))
            self.version += 1
            self.snapshot = self._publish(events, time.perf_counter() - t0)
            return True

    def _publish(self, events: pl.DataFrame, seconds: float) -> Snapshot:
        model = self.model
        metrics = model.metrics()
        quarter = metrics["quarter"][-1] if metrics.height else ""
        return Snapshot(
            version=self.version,
            quarter=quarter,
            next_quarter=model.quarter,
            finished=not model.running,
            metrics=metrics,
            events=events,
            shares=self.shares.series(),
            capital_by_type=self.capital.rolling(),
            network=network_view(self.flows),
            feed=tuple(self._feed),
            step_seconds=seconds,
            scenario_name=self.config.scenario,
            seed=self.config.seed,
            edited=tuple(k for k, _ in self.config.edits),
        )
