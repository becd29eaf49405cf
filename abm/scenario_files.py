"""Reading scenario TOML files: shipped presets, inheritance and behaviour presets.

A scenario file is the :class:`abm.scenario.Scenario` schema written as TOML, plus four
loader keys that let a counterfactual say only how it differs from its base:

- ``base = "baseline"``: start from another preset (or a path), deep-merging this file over it;
- ``behaviour = "aggressive"``: merge ``presets/behaviour/<name>.toml`` (uncertain behavioural
  parameters: conservative / central / aggressive) before this file's own values;
- ``drop_timeline = ["chips-*"]``: remove inherited timeline entries whose id matches a glob;
- ``[[timeline]]`` entries are appended to the inherited ones.

Nothing is written anywhere; a bad file raises :class:`abm.scenario.ScenarioError` naming the
field, its value and the allowed range.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from abm.scenario import Scenario, ScenarioError, validate_scenario

PRESET_DIR = Path(__file__).parent / "presets"
BEHAVIOUR_DIR = PRESET_DIR / "behaviour"
_LOADER_KEYS = ("base", "behaviour", "drop_timeline")


def available_scenarios() -> dict[str, str]:
    """Shipped preset names with their one-line descriptions."""
    out = {}
    for path in sorted(PRESET_DIR.glob("*.toml")):
        desc = str(_read_toml(path).get("description", "")).strip()
        out[path.stem] = desc.splitlines()[0] if desc else ""
    return out


def available_behaviours() -> list[str]:
    """Names of the behavioural presets (conservative / central / aggressive)."""
    return sorted(p.stem for p in BEHAVIOUR_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped preset by name, or a TOML file by path, into a validated Scenario."""
    raw = _resolve(name_or_path, seen=())
    return validate_scenario(raw)


def _locate(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError([f"scenario file {str(candidate)!r} does not exist"])
        return candidate
    preset = PRESET_DIR / f"{name_or_path}.toml"
    if preset.is_file():
        return preset
    names = ", ".join(available_scenarios())
    raise ScenarioError([f"unknown scenario {str(name_or_path)!r}; shipped presets: {names}"])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path}: malformed TOML: {exc}"]) from None


def _resolve(name_or_path: str | Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = _locate(name_or_path).resolve()
    if path in seen:
        chain = " -> ".join(p.stem for p in (*seen, path))
        raise ScenarioError([f"base: scenarios inherit in a cycle ({chain})"])
    own = _read_toml(path)
    base_ref = own.get("base")
    if base_ref is not None and not isinstance(base_ref, str):
        raise ScenarioError([f"base = {base_ref!r}: must be a preset name or a path"])
    if base_ref:
        ref = base_ref
        if not (PRESET_DIR / f"{base_ref}.toml").is_file() and not Path(base_ref).is_absolute():
            ref = str(path.parent / base_ref)
        data = _resolve(ref, (*seen, path))
    else:
        data = {}
    data.setdefault("name", path.stem)

    behaviour = own.get("behaviour")
    if behaviour is not None:
        bpath = BEHAVIOUR_DIR / f"{behaviour}.toml"
        if not bpath.is_file():
            raise ScenarioError(
                [
                    f"behaviour = {behaviour!r}: unknown preset (allowed: {', '.join(available_behaviours())})"
                ]
            )
        data = _deep_merge(data, _read_toml(bpath))

    drops = own.get("drop_timeline", [])
    if not isinstance(drops, list) or not all(isinstance(d, str) for d in drops):
        raise ScenarioError([f"drop_timeline = {drops!r}: must be a list of id patterns"])
    timeline = [
        t
        for t in data.get("timeline", [])
        if not any(fnmatch.fnmatch(t.get("id", ""), d) for d in drops)
    ]
    timeline += own.get("timeline", [])

    own_fields = {k: v for k, v in own.items() if k not in (*_LOADER_KEYS, "timeline")}
    data = _deep_merge(data, own_fields)
    data["name"] = own.get("name", path.stem)
    data["timeline"] = timeline
    return data


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
