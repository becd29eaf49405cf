"""Tiny sweep files for the experiments tests (a module with a unique name, not ``conftest``).

Spawned worker processes re-import the test module that defines their initializer; a plain
``from conftest import ...`` there would find whichever ``conftest`` comes first on
``sys.path`` (``tests/viz`` has one too), so the helpers live here.

Runs are kept tiny (the synthetic ``scale`` world at 5 % population, a few quarters, tens of
milliseconds each) so the suite stays within a few minutes on two cores. Assertions are about
behaviour (resume, failures, executors, validation), never about model values.
"""

from __future__ import annotations

from typing import Any


def tiny_spec_text(
    *,
    name: str = "tiny",
    steps: int = 6,
    seeds: int = 3,
    lock_in: tuple[float, ...] = (1.0, 4.0),
    runs_per_task: int | None = None,
) -> str:
    """A small grid x interventions x seeds sweep file (TOML text)."""
    values = ", ".join(str(v) for v in lock_in)
    execution = f"[execution]\nruns_per_task = {runs_per_task}\n" if runs_per_task else ""
    return f"""
name = "{name}"

[base]
scenario = "scale"
set = {{ steps = {steps}, "population.scale" = 0.05 }}

[design]
kind = "grid"

[[parameters]]
key = "labs.lock_in"
values = [{values}]

[[interventions]]
name = "baseline"

[[interventions]]
name = "strict_antitrust"
set = {{ "antitrust.max_combined_share" = 0.25 }}

[[interventions]]
name = "tighten"
[[interventions.timeline]]
id = "tighten-2020"
quarter = "2020Q3"
set = {{ "export_control.rule" = "oct2023", "export_control.licence.3.mode" = "deny" }}

[replications]
seeds = {seeds}
root = 99

{execution}
[analysis]
years = ["end"]
"""


def tiny_spec_dict(**overrides: Any) -> dict[str, Any]:
    """The same sweep as plain data (what a notebook passes to ``run_sweep``)."""
    import tomllib

    data = tomllib.loads(tiny_spec_text())
    for dotted, value in overrides.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data
