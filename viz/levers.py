"""The policy levers the live page exposes, their bounds, and how an edit becomes scenario data.

A lever is a bounded input mapped to one or more dotted policy paths of the scenario schema
(``abm.scenario``). Its value in the page starts as the value the chosen scenario has in force
at the "from" quarter. An edited lever becomes part of one extra timeline entry (an
:class:`abm.scenario.Intervention` with id ``app-levers``) dated at that quarter, and the same
keys are removed from the scenario's own later timeline entries: from that quarter on, the
edited value holds for the rest of the run. Levers left alone keep the scenario's dated
sequence (for example the baseline's 2025 rules). ``docs/app.md`` explains this to users.

Every value is checked twice on the server: :func:`clamp` parses and bounds what the browser
sent (page bounds lie inside the schema's), and :func:`apply_levers` validates the resulting
scenario with :meth:`abm.Scenario.with_overrides`, which raises :class:`abm.ScenarioError`
naming the field and its allowed range. Nothing the user types is evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from abm import Scenario, ScenarioError
from abm.calendar import parse_quarter, quarter_label
from abm.regions import REGIONS

LEVER_ENTRY_ID = "app-levers"
SEED_MAX = 999_999


@dataclass(frozen=True)
class Lever:
    """One input of the live page and the scenario paths it sets.

    Attributes:
        key: identifier used by the page and in saved configurations.
        label: short text next to the input.
        kind: ``number`` (slider), ``choice`` (select) or ``switch``.
        paths: dotted scenario paths set to the (transformed) value.
        help: tooltip text: what the lever does and where it bites.
        lo, hi, step: page bounds of a number (inside the schema's bounds).
        choices: allowed values of a choice.
        unit: shown after a number.
        to_scenario: page value -> scenario value (e.g. log10 FLOP -> FLOP).
        from_scenario: inverse of ``to_scenario``.
        extra: per choice, further paths set with it (e.g. the 15 % revenue share).
    """

    key: str
    label: str
    kind: Literal["number", "choice", "switch"]
    paths: tuple[str, ...]
    help: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    choices: tuple[str, ...] = ()
    unit: str = ""
    to_scenario: Callable[[Any], Any] = field(default=lambda v: v)
    from_scenario: Callable[[Any], Any] = field(default=lambda v: v)
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _log10(v: float) -> float:
    return round(math.log10(v), 2)


def _pow10(v: float) -> float:
    return float(10.0**v)


LEVERS: tuple[Lever, ...] = (
    Lever(
        key="tpp_threshold",
        label="Export-control threshold",
        kind="number",
        paths=("export_control.tpp_threshold",),
        lo=400.0,
        hi=20_000.0,
        step=100.0,
        unit="TPP",
        help="Chips at or above this Total Processing Performance need a licence for tier-3 "
        "destinations (China) while a chip rule is in force (from 2022Q4 in the baseline; "
        "never in no_export_controls). H100 ~ 15,800 TPP, A100 ~ 5,000, H20 ~ 2,400.",
    ),
    Lever(
        key="low_band_licence",
        label="Licence for China-specific chips",
        kind="choice",
        paths=("export_control.low_band_licence.mode",),
        choices=("allow", "deny", "approve", "revenue_share"),
        extra={
            "approve": {"export_control.low_band_licence.approve_probability": 0.5},
            "revenue_share": {"export_control.low_band_licence.revenue_share": 0.15},
        },
        help="Chips just under the threshold (H20 class) going to China: allow; deny; approve "
        "half the applications; or allow with 15 % of revenue paid to the US government "
        "(the August 2025 deal).",
    ),
    Lever(
        key="leakage_rate",
        label="Leakage",
        kind="number",
        paths=("export_control.leakage_rate",),
        lo=0.0,
        hi=1.0,
        step=0.01,
        help="Share of denied chip demand that reaches China through grey channels (smuggling, "
        "shell companies) at a premium. 0 = perfect enforcement.",
    ),
    Lever(
        key="outbound_cn",
        label="Outbound screening (US capital to CN labs barred)",
        kind="switch",
        paths=("screening.outbound_cn",),
        help="US and allied investors may not buy into Chinese AI labs (the US outbound "
        "investment rule, in force from 2025Q1 in the baseline).",
    ),
    Lever(
        key="inbound_cn",
        label="Inbound approval of Chinese stakes",
        kind="number",
        paths=("screening.inbound_approval.CN",),
        lo=0.0,
        hi=1.0,
        step=0.05,
        help="Probability that a stake by a Chinese investor in a US or allied lab is approved "
        "(CFIUS-style screening). 0 = all blocked, 1 = no screening.",
    ),
    Lever(
        key="compute_threshold",
        label="Compute threshold (all markets)",
        kind="number",
        paths=tuple(f"compute_threshold.markets.{r}.flop" for r in REGIONS),
        lo=23.0,
        hi=35.0,
        step=0.5,
        unit="log10 FLOP",
        to_scenario=_pow10,
        from_scenario=_log10,
        help="Training runs at or above 10^x FLOP carry compliance cost and delay in every "
        "regional market (EU AI Act: 25, US 2023 order: 26; 35 = no rule). A threshold "
        "bites only with a compliance cost above 0 (next lever).",
    ),
    Lever(
        key="compliance_cost",
        label="Compliance cost (all markets)",
        kind="number",
        paths=tuple(f"compute_threshold.markets.{r}.cost_share" for r in REGIONS),
        lo=0.0,
        hi=1.0,
        step=0.01,
        unit="of run cost",
        help="Compliance cost of a covered training run, as a share of its compute cost, in "
        "every market. Labs may keep runs just under the threshold to avoid it.",
    ),
    Lever(
        key="antitrust",
        label="Antitrust limit (merged share)",
        kind="number",
        paths=("antitrust.max_combined_share",),
        lo=0.0,
        hi=1.0,
        step=0.05,
        help="Acquisitions are blocked if the merged lab's revenue share in any market would "
        "exceed this (the HHI-change test of the scenario still applies).",
    ),
    Lever(
        key="cn_vendor_subsidy",
        label="China chip subsidy",
        kind="number",
        paths=("subsidy.regions.CN.vendor_busd_per_year",),
        lo=0.0,
        hi=100.0,
        step=1.0,
        unit="USD B/yr",
        help="State grants to Chinese domestic chip vendors, USD billions per year (baseline "
        "3; china_subsidy_push 30 from 2024).",
    ),
)
LEVER_BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}


def clamp(lever: Lever, raw: Any) -> Any:
    """Parse and bound a value sent by the browser; raise ScenarioError if it is unusable."""
    if lever.kind == "switch":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise ScenarioError([f"{lever.label}: {raw!r} is not on/off"])
    if lever.kind == "choice":
        if raw in lever.choices:
            return raw
        raise ScenarioError(
            [f"{lever.label}: {raw!r} is not one of {', '.join(map(repr, lever.choices))}"]
        )
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ScenarioError([f"{lever.label}: {raw!r} is not a number"]) from None
    if not math.isfinite(value):
        raise ScenarioError([f"{lever.label}: {raw!r} is not a finite number"])
    return min(max(value, lever.lo), lever.hi)


def clamp_seed(raw: Any) -> int:
    """Parse and bound a seed (0 to :data:`SEED_MAX`)."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ScenarioError([f"seed: {raw!r} is not a whole number"]) from None
    return min(max(value, 0), SEED_MAX)


def clamp_quarter(scenario: Scenario, label: str) -> str:
    """A quarter label inside the scenario's run (out-of-range labels move to its ends)."""
    try:
        index = parse_quarter(label)
    except ValueError:
        raise ScenarioError([f"from quarter: {label!r} is not a quarter like '2026Q1'"]) from None
    first = scenario.start_index
    return quarter_label(min(max(index, first), first + scenario.steps - 1))


def _get_path(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def value_in_force(scenario: Scenario, lever: Lever, quarter: str) -> Any:
    """The lever's value (page units) that the scenario has in force at a quarter."""
    policy = scenario.policy_at(parse_quarter(quarter))
    raw = _get_path(policy, lever.paths[0])
    return lever.from_scenario(raw)


def values_in_force(scenario: Scenario, quarter: str) -> dict[str, Any]:
    """Every lever's value in force at a quarter (the page's starting values)."""
    return {lever.key: value_in_force(scenario, lever, quarter) for lever in LEVERS}


def scenario_patch(edits: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted policy paths and values an edit set writes (values already clamped)."""
    out: dict[str, Any] = {}
    for key, value in edits.items():
        lever = LEVER_BY_KEY.get(key)
        if lever is None:
            raise ScenarioError([f"unknown lever {key!r}"])
        for path in lever.paths:
            out[path] = lever.to_scenario(value)
        out.update(lever.extra.get(value, {}) if lever.kind == "choice" else {})
    return out


def _covered(path: str, patch: Mapping[str, Any]) -> bool:
    """True if ``path`` is one of the patched paths or lies under one."""
    return any(path == p or path.startswith(p + ".") for p in patch)


def _strip(entry_set: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Remove the patched levers from a later timeline entry's ``set``.

    A key that sets a whole table containing a patched lever (e.g.
    ``compute_threshold.markets.US = {flop = ..., ...}``) keeps the table with the lever's
    value replaced by the edit, so the edit still holds.
    """
    out: dict[str, Any] = {}
    for key, value in entry_set.items():
        if _covered(key, patch):
            continue
        inner = {p[len(key) + 1 :]: v for p, v in patch.items() if p.startswith(key + ".")}
        if inner and isinstance(value, dict):
            value = _deep_set(value, inner)
        out[key] = value
    return out


def _deep_set(table: dict[str, Any], inner: Mapping[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in table.items()}
    for dotted, value in inner.items():
        node = copy
        parts = dotted.split(".")
        for part in parts[:-1]:
            node[part] = dict(node.get(part, {}))
            node = node[part]
        node[parts[-1]] = value
    return copy


def apply_levers(scenario: Scenario, edits: Mapping[str, Any], from_quarter: str) -> Scenario:
    """The scenario with edited levers holding from ``from_quarter`` to the end of the run.

    Args:
        scenario: the validated preset the user picked.
        edits: lever key -> value in page units (clamped here again).
        from_quarter: quarter label from which the edits apply.

    Raises:
        ScenarioError: an unknown lever or a value the schema rejects.
    """
    if not edits:
        return scenario
    clean = {key: clamp(LEVER_BY_KEY[key], v) for key, v in edits.items() if key in LEVER_BY_KEY}
    unknown = sorted(set(edits) - set(clean))
    if unknown:
        raise ScenarioError([f"unknown lever {k!r}" for k in unknown])
    start = clamp_quarter(scenario, from_quarter)
    patch = scenario_patch(clean)
    start_index = parse_quarter(start)
    timeline: list[dict[str, Any]] = []
    for entry in scenario.timeline:
        data = entry.model_dump()
        if parse_quarter(entry.quarter) > start_index:
            data["set"] = _strip(data["set"], patch)
            if not data["set"]:
                continue
        timeline.append(data)
    labels = ", ".join(f"{LEVER_BY_KEY[k].label} = {v}" for k, v in clean.items())
    timeline.append(
        {
            "id": LEVER_ENTRY_ID,
            "quarter": start,
            "set": patch,
            "note": f"Levers set in the app from {start}: {labels}.",
            "source": "aimarket app",
        }
    )
    return scenario.with_overrides({"timeline": timeline})
