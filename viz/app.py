"""The Solara app: the live simulation page and the sweep-results page.

``aimarket app`` serves this module (:mod:`viz.server`). The layout builds one
:class:`viz.state.LiveSession` per browser session (Solara gives every session its own kernel;
the session is created inside the component, never at module level) and hands it to the pages
through a context, so switching to the results page and back keeps the run.

The live page: controls in the sidebar (Play/Pause/Step/Reset, speed, scenario, seed, policy
levers), and views redrawn after every quarter — market shares and HHI, frontier capability
and the US-China gap, compute by region and chips into China, capital by investor type and
region, the investment network, the event feed and the inspector. Play runs in a background
thread that steps the model, publishes a snapshot and shows it as a new :class:`Frame`; only
the components that read the frame redraw, and the loop waits for the browser to report the
previous frame drawn (:mod:`viz.components.frame_ack`) so the page never falls behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import solara
import solara.lab

from abm import ScenarioError
from viz.components.capability import CapabilityView
from viz.components.capital import CapitalView
from viz.components.compute import ComputeView
from viz.components.controls import RunControls, SettingsPanel
from viz.components.events import EventFeed
from viz.components.frame_ack import FrameAck, FramePacer
from viz.components.inspector import Inspector
from viz.components.market import MarketView
from viz.components.network import NetworkViewCard
from viz.results import ResultsPage
from viz.state import LiveSession, RunConfig, Snapshot

if TYPE_CHECKING:
    from reacton.core import Ref

DEFAULT_SPEED = 4
ACK_TIMEOUT = 2.0
"""Seconds Play waits for the browser to draw a quarter before stepping anyway."""
SessionContext = solara.create_context(None)
"""The browser session's :class:`LiveSession`, provided by :func:`AppFrame`."""


@dataclass(eq=False)
class Frame:
    """What the page shows: a snapshot and a frame number that only ever grows.

    One reactive value holds both, so a redraw is one update; ``eq=False`` makes every new
    frame count as a change.
    """

    number: int
    snapshot: Snapshot


def play_loop(
    session: LiveSession,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    frame: solara.Reactive[Frame],
    pacer: FramePacer,
    latest: Ref[int],
) -> None:
    """Step until paused, finished or reset, at most ``speed`` quarters per second.

    Each step publishes a snapshot and shows it as a new frame, which redraws the views (in
    this thread). Before the next step the loop waits until the browser has drawn the previous
    frame (or :data:`ACK_TIMEOUT` passes): the model computes quarter n + 1 while the browser
    draws quarter n, and the page is never more than one quarter behind the model. The pause
    before the next step subtracts the time all this took.

    ``latest`` numbers the loops: a loop stops as soon as a newer one starts (Pause then Play
    in quick succession), so two loops never step the same session.
    """
    latest.current += 1
    me = latest.current
    generation = session.generation
    while playing.value and latest.current == me:
        started = time.perf_counter()
        if not session.step(generation):
            # Over, or reset meanwhile: only the current loop of the current run says stop.
            if latest.current == me and session.generation == generation:
                playing.value = False
            break
        number = frame.value.number + 1
        frame.value = Frame(number, session.snapshot)
        pacer.wait_for(number - 1, timeout=ACK_TIMEOUT)
        pause = 1.0 / max(speed.value, 1) - (time.perf_counter() - started)
        if pause > 0:
            time.sleep(pause)


@solara.component
def LiveViews(
    session: LiveSession,
    frame: solara.Reactive[Frame],
    selected: solara.Reactive[int | None],
    pacer: FramePacer,
) -> solara.Element:
    """The views of the current frame (only this part of the page redraws every quarter)."""
    shown = frame.value
    snapshot = shown.snapshot
    with solara.Column(gap="12px") as column:
        edited = ", ".join(snapshot.edited) or "none"
        solara.Text(
            f"Scenario {snapshot.scenario_name}, seed {snapshot.seed}; lever edits: {edited}.",
            classes=["aimarket-running"],
            style="font-size: 13px; color: #555;",
        )
        with solara.ColumnsResponsive(12, large=6):
            MarketView(snapshot)
            CapabilityView(snapshot)
            ComputeView(snapshot)
            CapitalView(snapshot)
        NetworkViewCard(snapshot, on_select=selected.set)
        with solara.ColumnsResponsive(12, large=6):
            EventFeed(snapshot)
            Inspector(session, snapshot, selected)
        FrameAck(shown.number, pacer.drawn)
    return column


@solara.component
def LiveControls(
    session: LiveSession,
    frame: solara.Reactive[Frame],
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
) -> solara.Element:
    """Run controls for the current frame (redrawn every quarter; small)."""
    return RunControls(
        frame.value.snapshot,
        session.scenario.steps,
        playing,
        speed,
        on_step=on_step,
        on_reset=on_reset,
    )


@solara.component
def LiveView(session: LiveSession) -> solara.Element:
    """The live page for one session: sidebar controls and the quarter-by-quarter views.

    This component itself does not read the frame, so the settings panel is not rebuilt every
    quarter; :func:`LiveControls` and :func:`LiveViews` are.
    """
    frame = solara.use_reactive(Frame(0, session.snapshot))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    staged = solara.use_reactive(session.config)
    running = solara.use_reactive(session.config)
    error = solara.use_reactive(None)
    selected = solara.use_reactive(None)
    pacer = solara.use_memo(FramePacer, [])
    latest_loop = solara.use_ref(0)
    solara.lab.use_task(
        lambda: play_loop(session, playing, speed, frame, pacer, latest_loop),
        dependencies=[playing.value],
        prefer_threaded=True,
    )

    def show_latest() -> None:
        frame.value = Frame(frame.value.number + 1, session.snapshot)

    def on_step() -> None:
        if session.step():
            show_latest()

    def on_reset() -> None:
        playing.value = False
        try:
            session.reset(staged.value)
        except ScenarioError as exc:
            error.value = str(exc)
            return
        error.value = None
        selected.value = None
        staged.value = session.config
        running.value = session.config
        show_latest()

    with solara.Column(classes=["aimarket-live"], style="padding: 8px;") as page:
        with solara.Sidebar():
            LiveControls(session, frame, playing, speed, on_step=on_step, on_reset=on_reset)
            SettingsPanel(staged, running.value, error)
        LiveViews(session, frame, selected, pacer)
    return page


@solara.component
def LivePage() -> solara.Element:
    """Route "/": the live simulation of this browser session."""
    session = solara.use_context(SessionContext)
    return LiveView(session)


@solara.component
def AppFrame(children: list[solara.Element] | None = None) -> solara.Element:
    """App frame with page tabs; owns this browser session's :class:`LiveSession`."""
    session = solara.use_memo(lambda: LiveSession(RunConfig()), [])
    SessionContext.provide(session)
    solara.Title("aimarket")
    with solara.AppLayout(title="aimarket", navigation=True) as layout:
        with solara.AppBarTitle():
            solara.Text("aimarket — agent-based market model of the AI industry")
        with solara.AppBar(), solara.lab.Tabs(align="center"):
            solara.lab.Tab("Live simulation", path_or_route="/", classes=["aimarket-tab-live"])
            solara.lab.Tab(
                "Sweep results", path_or_route="/results", classes=["aimarket-tab-results"]
            )
        for child in children or []:
            solara.display(child)
    return layout


routes = [
    solara.Route(path="/", component=LivePage, label="Live simulation", layout=AppFrame),
    solara.Route(path="results", component=ResultsPage, label="Sweep results"),
]
