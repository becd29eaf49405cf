"""The live page's controls: run buttons and speed; scenario, seed and policy levers.

Settings are staged: picking a scenario, a seed or a lever value changes nothing until Reset,
which builds a new model from them (a notice says when staged settings differ from the
running ones). Every value is bounded by its widget, clamped again on the server
(:mod:`viz.levers`) and validated by the scenario schema; a rejected value shows as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from abm import Scenario, available_scenarios, load_scenario
from abm.calendar import parse_quarter, quarter_label
from viz.levers import LEVERS, SEED_MAX, Lever, clamp, clamp_seed, values_in_force
from viz.state import RunConfig, Snapshot

SPEED_MAX = 20
"""Fastest Play speed offered, quarters per second (the page runs as fast as it can draw)."""


@solara.component
def RunControls(
    snapshot: Snapshot,
    steps: int,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
) -> solara.Element:
    """Quarter display, Play/Pause, Step, Reset and the speed slider."""
    quarter = snapshot.quarter or "not started"
    with solara.Column(gap="6px", classes=["aimarket-run-controls"]) as column:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<span class='aimarket-quarter-label' style='font-size:26px;font-weight:600'>"
                f"{quarter}</span> <span class='aimarket-quarter-count' style='color:#666'>"
                f"{snapshot.version} / {steps} quarters"
                f"{' · finished' if snapshot.finished else ''}</span>"
            ),
            classes=["aimarket-quarter"],
        )
        solara.ProgressLinear(100 * snapshot.version / max(steps, 1))
        with solara.Row(gap="6px"):
            solara.Button(
                "Pause" if playing.value else "Play",
                icon_name="mdi-pause" if playing.value else "mdi-play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=snapshot.finished and not playing.value,
                classes=["aimarket-play"],
            )
            solara.Button(
                "Step",
                icon_name="mdi-skip-next",
                on_click=on_step,
                disabled=playing.value or snapshot.finished,
                classes=["aimarket-step"],
            )
            solara.Button(
                "Reset",
                icon_name="mdi-restore",
                on_click=on_reset,
                classes=["aimarket-reset"],
            )
        solara.SliderInt(
            "Speed, quarters per second",
            value=speed.value,
            min=1,
            max=SPEED_MAX,
            on_value=lambda v: speed.set(int(min(max(int(v), 1), SPEED_MAX))),
        )
        solara.Text(
            f"Last step {1000 * snapshot.step_seconds:.0f} ms (model and views' data).",
            style="font-size: 11px; color: #777;",
        )
    return column


def shown_value(lever: Lever, value: Any) -> str:
    """A lever's value as the page prints it next to the label."""
    if lever.kind == "switch":
        return "on" if value else "off"
    if lever.kind == "choice":
        return str(value).replace("_", " ")
    if lever.key == "compute_threshold":
        return "no rule" if value >= lever.hi else f"10^{value:g} FLOP"
    text = f"{value:,.0f}" if lever.step >= 1 else f"{value:.2f}"
    return f"{text} {lever.unit}".strip()


@solara.component
def LeverInput(
    lever: Lever, value: Any, edited: bool, on_value: Callable[[Lever, Any], None]
) -> solara.Element:
    """One lever: its label and value, the input, and its tooltip; edited levers are marked."""
    mark = " ●" if edited else ""
    with (
        solara.Tooltip(lever.help),
        solara.Column(
            gap="0px",
            classes=["aimarket-lever", f"aimarket-lever-{lever.key}"],
            style="margin-top: 6px;",
        ) as column,
    ):
        if lever.kind == "switch":
            solara.Switch(
                label=f"{lever.label}{mark}",
                value=bool(value),
                on_value=lambda v: on_value(lever, v),
            )
        else:
            solara.Text(
                f"{lever.label}{mark}: {shown_value(lever, value)}",
                style="font-size: 13px; color: #333;",
                classes=["aimarket-lever-label"],
            )
            if lever.kind == "number":
                solara.SliderFloat(
                    "",
                    value=float(value),
                    min=lever.lo,
                    max=lever.hi,
                    step=lever.step,
                    on_value=lambda v: on_value(lever, v),
                    thumb_label=False,
                )
            else:
                solara.Select(
                    "",
                    values=list(lever.choices),
                    value=value,
                    on_value=lambda v: on_value(lever, v),
                    dense=True,
                )
    return column


@solara.component
def SettingsPanel(
    staged: solara.Reactive[RunConfig],
    running: RunConfig,
    error: solara.Reactive[str | None],
) -> solara.Element:
    """Scenario picker, seed, the quarter levers apply from, and the levers."""
    config = staged.value
    scenarios = solara.use_memo(available_scenarios, [])
    base: Scenario = solara.use_memo(lambda: load_scenario(config.scenario), [config.scenario])
    first, last = base.start_index, base.start_index + base.steps - 1
    from_quarter = config.from_quarter or base.start
    from_index = min(max(parse_quarter(from_quarter), first), last)
    in_force = solara.use_memo(
        lambda: values_in_force(base, quarter_label(from_index)), [config.scenario, from_index]
    )
    edits = dict(config.edits)

    def set_scenario(name: str) -> None:
        if name in scenarios:
            staged.value = RunConfig(name, config.seed, config.edits, config.from_quarter)

    def set_seed(value: Any) -> None:
        staged.value = RunConfig(
            config.scenario, clamp_seed(value), config.edits, config.from_quarter
        )

    def set_from(index: int) -> None:
        label = quarter_label(min(max(int(index), first), last))
        staged.value = RunConfig(config.scenario, config.seed, config.edits, label)

    def set_lever(lever: Lever, raw: Any) -> None:
        try:
            staged.value = staged.value.with_edit(lever.key, clamp(lever, raw))
            error.value = None
        except ValueError as exc:
            error.value = str(exc)

    def clear_edits() -> None:
        staged.value = RunConfig(config.scenario, config.seed, (), config.from_quarter)

    with solara.Column(gap="4px", classes=["aimarket-settings"]) as column:
        if config != running:
            solara.Info("Settings changed: press Reset to run them.", dense=True)
        if error.value:
            solara.Error(error.value, dense=True, classes=["aimarket-error"])
        solara.Select(
            "Scenario", values=list(scenarios), value=config.scenario, on_value=set_scenario
        )
        solara.Text(scenarios.get(config.scenario, ""), style="font-size: 12px; color: #555;")
        solara.InputInt(
            f"Seed (0 to {SEED_MAX:,})",
            value=config.seed,
            on_value=set_seed,
            classes=["aimarket-seed"],
        )
        solara.HTML(tag="div", unsafe_innerHTML="<b>Policy levers</b>", style="margin-top: 8px;")
        with (
            solara.Tooltip(
                "Edited levers hold from this quarter to the end of the run, replacing the "
                "scenario's own later changes to them; levers left alone follow the scenario."
            ),
            solara.Column(gap="0px", classes=["aimarket-from-quarter"]),
        ):
            solara.SliderInt(
                f"Edits apply from {quarter_label(from_index)}",
                value=from_index - first,
                min=0,
                max=last - first,
                on_value=lambda v: set_from(first + int(v)),
                thumb_label=False,
            )
        for lever in LEVERS:
            LeverInput(
                lever,
                edits.get(lever.key, in_force[lever.key]),
                lever.key in edits,
                set_lever,
            )
        solara.Button(
            "Clear lever edits",
            on_click=clear_edits,
            disabled=not edits,
            text=True,
            classes=["aimarket-clear-edits"],
        )
    return column
