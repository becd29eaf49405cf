"""The issue's performance targets, checked against measured figures and printed.

These are reports, not assertions: a benchmark on a shared two-core machine is not a test.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from bench.baseline import BaselineTiming, split
from bench.scale import ScaleResult

MIN_RATIO_TO_BOLTZMANN = 2.0
MAX_SCALING_RATIO = 1.5
MAX_RSS_MIB_AT_1E5 = 4 * 1024.0


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, whether it is met."""

    name: str
    wanted: str
    measured: str
    met: bool


def check(
    baseline: list[BaselineTiming] | None,
    sizes: dict[float, ScaleResult],
    ten_k: float,
    hundred_k: float,
) -> list[Target]:
    """Targets that the given figures allow to be checked; ``ten_k`` and ``hundred_k`` are the
    population scales at which the scale scenario has about 10^4 and 10^5 alive labs."""
    out: list[Target] = []
    small = sizes.get(ten_k)
    big = sizes.get(hundred_k)
    if small is not None and small.ratio_to_boltzmann is not None:
        ratio = small.ratio_to_boltzmann
        out.append(
            Target(
                "10^4 labs vs Mesa Boltzmann, side by side",
                f">= {MIN_RATIO_TO_BOLTZMANN:.0f}x Boltzmann agent-steps/s",
                f"{ratio:.2f}x",
                ratio >= MIN_RATIO_TO_BOLTZMANN,
            )
        )
    if small is not None and big is not None:
        growth = big.median("us_per_lab_quarter") / small.median("us_per_lab_quarter")
        out.append(
            Target(
                "linear scaling: µs/lab-quarter at 10^5 over 10^4",
                f"<= {MAX_SCALING_RATIO}x",
                f"{growth:.2f}x ({big.median('us_per_lab_quarter'):.2f} vs "
                f"{small.median('us_per_lab_quarter'):.2f} µs)",
                growth <= MAX_SCALING_RATIO,
            )
        )
    if big is not None:
        out.append(
            Target(
                "memory: 64-quarter run at 10^5 labs",
                f"< {MAX_RSS_MIB_AT_1E5 / 1024:.0f} GiB peak RSS",
                f"{big.peak_rss_mib / 1024:.2f} GiB",
                big.peak_rss_mib < MAX_RSS_MIB_AT_1E5,
            )
        )
    if baseline:
        setup, work, rec = split(baseline)
        out.append(
            Target(
                "baseline dominated by model work",
                "model work > set-up + recording",
                f"work {100 * work:.0f} %, set-up {100 * setup:.0f} %, recording {100 * rec:.0f} %",
                work > setup + rec,
            )
        )
    return out


def targets_table(targets: list[Target]) -> Table:
    """The targets as a table."""
    table = Table(title="Targets (issue #6)")
    table.add_column("target")
    table.add_column("wanted")
    table.add_column("measured", justify="right")
    table.add_column("met")
    for t in targets:
        table.add_row(
            t.name,
            t.wanted,
            t.measured,
            "[green]yes[/green]" if t.met else "[red]NO[/red]",
        )
    return table
