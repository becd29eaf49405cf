"""The pages rendered with Solara's test renderer (no browser): controls, Step, levers, Reset."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from reacton.core import Ref
from solara.components.echarts import EchartsWidget

import viz.results as results_page
from viz.app import Frame, LiveView, play_loop
from viz.components.frame_ack import FramePacer
from viz.levers import LEVERS
from viz.results import ResultsPage, SweepTools
from viz.state import LiveSession, RunConfig


def widgets(root: ipywidgets.Widget) -> Iterator[ipywidgets.Widget]:
    """Every widget under ``root`` (children, slots and other widget-valued traits)."""
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ipywidgets.Widget):
            yield item
            stack.extend(getattr(item, name) for name in item.keys)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def with_class(root: ipywidgets.Widget, css: str, kind: type = ipywidgets.Widget) -> list:
    """Widgets of a type whose CSS classes include ``css``."""
    return [
        w
        for w in widgets(root)
        if isinstance(w, kind) and css in str(getattr(w, "class_", "") or "").split()
    ]


def text_of(root: ipywidgets.Widget) -> str:
    """All text the widgets under ``root`` show (HTML and plain strings)."""
    parts: list[str] = []
    for w in widgets(root):
        for name in ("children", "value", "unsafe_innerHTML", "label"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts.extend(x for x in value if isinstance(x, str))
    return " ".join(parts)


def click(widget: v.Btn) -> None:
    widget.fire_event("click", {})


@pytest.fixture
def live():
    session = LiveSession(RunConfig("baseline", seed=4))
    # The app layout hosts the sidebar, where the controls live.
    _box, rc = solara.render(solara.AppLayout(children=[LiveView(session)]), handle_error=False)
    yield session, rc
    rc.close()


def root_of(rc) -> ipywidgets.Widget:
    return rc.find(ipywidgets.Widget).widgets[0]


def test_controls_exist(live):
    _session, rc = live
    root = root_of(rc)
    for name in ("aimarket-play", "aimarket-step", "aimarket-reset"):
        assert len(with_class(root, name, v.Btn)) == 1, name
    selects = [w for w in widgets(root) if isinstance(w, v.Select)]
    assert any(w.label == "Scenario" and "no_export_controls" in w.items for w in selects)
    for lever in LEVERS:
        assert with_class(root, f"aimarket-lever-{lever.key}"), lever.key
    sliders = [w for w in widgets(root) if isinstance(w, v.Slider)]
    speed = [w for w in sliders if w.label.startswith("Speed")]
    assert speed and speed[0].max == 20  # bounded speed control
    assert with_class(root, "aimarket-seed")
    text = text_of(root)
    assert "not started" in text and "0 / 64 quarters" in text


def test_a_step_advances_the_quarter(live):
    session, rc = live
    root = root_of(rc)
    click(with_class(root, "aimarket-step", v.Btn)[0])
    assert session.snapshot.version == 1
    root = root_of(rc)
    assert "2020Q1" in text_of(root) and "1 / 64 quarters" in text_of(root)
    click(with_class(root, "aimarket-step", v.Btn)[0])
    assert session.snapshot.quarter == "2020Q2"
    assert "2020Q2" in text_of(root_of(rc))


def test_changing_a_lever_and_resetting_changes_the_models_scenario(live):
    session, rc = live
    before = session.model
    root = root_of(rc)
    lever = with_class(root, "aimarket-lever-leakage_rate")[0]
    slider = next(w for w in widgets(lever) if isinstance(w, v.Slider))
    slider.v_model = 0.0
    assert session.model is before  # staged, not applied
    assert "press Reset" in text_of(root_of(rc))
    click(with_class(root_of(rc), "aimarket-reset", v.Btn)[0])
    assert session.model is not before
    assert session.config.edits == (("leakage_rate", 0.0),)
    assert session.model.scenario.timeline[-1].set == {"export_control.leakage_rate": 0.0}
    policy = session.model.scenario.policy_at(2030 * 4)
    assert policy["export_control"]["leakage_rate"] == 0.0
    assert "lever edits: leakage_rate" in text_of(root_of(rc))


def test_picking_a_scenario_and_seed_takes_effect_on_reset(live):
    session, rc = live
    root = root_of(rc)
    scenario = next(w for w in widgets(root) if isinstance(w, v.Select) and w.label == "Scenario")
    scenario.v_model = "no_export_controls"
    seed = with_class(root_of(rc), "aimarket-seed", v.TextField)[0]
    seed.v_model = "123456789"  # out of range: clamped on the server
    seed.fire_event("focusout", {})  # the field commits its text when it loses focus
    click(with_class(root_of(rc), "aimarket-reset", v.Btn)[0])
    assert session.scenario.name == "no_export_controls"
    assert session.config.seed == 999_999


def test_results_page_says_plainly_when_there_is_no_sweep_store(monkeypatch):
    monkeypatch.setattr(
        results_page, "sweep_tools", lambda: SweepTools(None, None, "no module named store")
    )
    _box, rc = solara.render(solara.AppLayout(children=[ResultsPage()]), handle_error=False)
    assert "No sweep store is available" in text_of(root_of(rc))
    rc.close()


def test_results_page_refuses_folders_outside_its_root(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(results_page.RESULTS_ROOT_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="outside"):
        results_page.resolve_folder(tmp_path, "../")
    with pytest.raises(ValueError):
        results_page.resolve_folder(tmp_path, "missing")
    _box, rc = solara.render(solara.AppLayout(children=[ResultsPage()]), handle_error=False)
    root = root_of(rc)
    assert "No sweep folders found" in text_of(root)
    folder = next(
        w for w in widgets(root) if isinstance(w, v.TextField) and w.label.startswith("Folder")
    )
    folder.v_model = "/etc"
    folder.fire_event("focusout", {})
    click(with_class(root_of(rc), "aimarket-open-sweep", v.Btn)[0])
    assert "outside the results root" in text_of(root_of(rc))
    rc.close()


def test_play_waits_for_the_browser_to_draw_but_not_forever():
    pacer = FramePacer()
    assert not pacer.wait_for(1, timeout=0.05)  # nothing drawn: Play moves on after a timeout
    threading.Timer(0.05, pacer.drawn, args=(1,)).start()
    assert pacer.wait_for(1, timeout=5.0)
    pacer.drawn(0)  # a late acknowledgement never moves the drawn frame back
    assert pacer.wait_for(1, timeout=0.0)


def test_play_runs_to_the_end_and_a_newer_loop_replaces_an_older_one():
    session = LiveSession(RunConfig("baseline", seed=6))
    # Plain holders stand in for the page's reactive values (the loop only reads and sets
    # ``.value``); the browser tests run the loop with the real ones.
    playing, speed = SimpleNamespace(value=True), SimpleNamespace(value=20)
    frame = SimpleNamespace(value=Frame(0, session.snapshot))
    pacer, latest = FramePacer(), Ref(0)
    pacer.drawn(10**9)  # a browser that has drawn everything
    failures: list[BaseException] = []

    def loop() -> None:
        try:
            play_loop(session, playing, speed, frame, pacer, latest)
        except BaseException as exc:  # surfaced by the assertions below
            failures.append(exc)
            raise

    first = threading.Thread(target=loop, daemon=True)
    first.start()
    deadline = time.monotonic() + 60
    while session.snapshot.version < 3 and not failures and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not failures and session.snapshot.version >= 3
    second = threading.Thread(target=loop, daemon=True)
    second.start()
    first.join(timeout=30)
    assert not first.is_alive()  # the older loop stopped when the newer one started
    second.join(timeout=120)
    assert not second.is_alive() and not failures
    assert session.snapshot.finished and playing.value is False
    assert frame.value.snapshot is session.snapshot


def test_results_page_opens_a_sweep_and_charts_its_effects(sweep_root: Path, monkeypatch):
    monkeypatch.setenv(results_page.RESULTS_ROOT_ENV, str(sweep_root))
    _box, rc = solara.render(solara.AppLayout(children=[ResultsPage()]), handle_error=False)
    click(with_class(root_of(rc), "aimarket-open-sweep", v.Btn)[0])
    root = root_of(rc)
    text = text_of(root)
    assert "6 runs" in text and "no_export_controls" in text
    charts = {
        w.attributes["class"].split()[-1]: w.option
        for w in widgets(root)
        if isinstance(w, EchartsWidget) and w.attributes
    }
    assert set(charts) == {"aimarket-chart-effects", "aimarket-chart-fans"}
    effects = charts["aimarket-chart-effects"]
    assert effects["yAxis"]["data"] == ["no_export_controls"]  # one row per intervention
    json.dumps(charts["aimarket-chart-fans"], allow_nan=False)
    rc.close()
