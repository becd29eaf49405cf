"""``python -m bench``: print every benchmark figure of issue #6 (``make bench``).

Options::

    --quick              fewer repeats, no 10^5 labs, a 10-run sweep (for development)
    --only PART ...      baseline, scale, sweep, profile, jit (default: all)
    --profile-scale S    also profile the phases of the scale scenario at population.scale S
    --results PATH       also write the output as Markdown (bench/RESULTS.md)

Total time of the full run is a few minutes on two cores; ``--quick`` well under one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from bench import baseline, jit, profile, scale, sweep, targets
from bench.scale import ScaleResult

PARTS = ("baseline", "scale", "sweep", "profile", "jit")


# population.scale at which the scale scenario averages about 10^3, 10^4 and 10^5 alive labs
# over its 64 quarters with the current calibration (the scale table prints the average of every
# run, so a recalibration that moves it shows there). Stop 16 (paid adoption) thinned the
# population: scale 5.8 fell from 10,042 to about 9,200 labs, so 10^4 is now scale 6.4 (seeds
# 1-3: 10,263, 9,922 and 10,347); 0.6 and 80 still give about 1,020 and 99,800.
SCALE_1E3, SCALE_1E4, SCALE_1E5 = 0.6, 6.4, 80.0


@dataclass
class BenchConfig:
    """How much to measure. :meth:`full` is ``make bench``; :meth:`quick` is ``--quick``."""

    baseline_runs: int = 5
    # nine pairs at 10^4: on a shared 2-core VM one pair's ratio moves by +-0.3
    scales: dict[float, int] = field(
        default_factory=lambda: {SCALE_1E3: 3, SCALE_1E4: 9, SCALE_1E5: 2}
    )
    boltzmann_at: float = SCALE_1E4  # the size timed next to Boltzmann
    boltzmann_agents: int = 10_000
    boltzmann_steps: int = 100
    sweep_runs: int = 100
    sweep_workers: int = 2
    steps: int | None = None  # override the scenarios' 64 quarters (smoke tests only)
    profile_scale: float | None = None
    seed: int = 1

    @classmethod
    def full(cls) -> BenchConfig:
        """The figures of bench/RESULTS.md."""
        return cls()

    @classmethod
    def quick(cls) -> BenchConfig:
        """Fewer repeats, no 10^5, a short sweep."""
        return cls(baseline_runs=2, scales={SCALE_1E3: 1, SCALE_1E4: 2}, sweep_runs=10)


@dataclass
class BenchResults:
    """Everything measured, for the targets table and for tests."""

    baseline: list[baseline.BaselineTiming] = field(default_factory=list)
    sizes: dict[float, ScaleResult] = field(default_factory=dict)
    sweep: sweep.SweepTiming | None = None
    phases: list[profile.PhaseProfile] = field(default_factory=list)
    functions: list[profile.FunctionCost] = field(default_factory=list)
    jit: jit.JitCost | None = None


def _baseline_scenario(config: BenchConfig):
    from abm import load_scenario

    s = load_scenario("baseline")
    return s.with_overrides({"steps": config.steps}) if config.steps else s


def run(config: BenchConfig, parts: tuple[str, ...], console: Console) -> BenchResults:
    """Measure the chosen parts and print their tables as they complete."""
    results = BenchResults()
    if "baseline" in parts:
        results.baseline = baseline.time_baseline(
            config.baseline_runs, config.seed, _baseline_scenario(config)
        )
        console.print(baseline.baseline_table(results.baseline))
    if "scale" in parts:
        for size, repeats in config.scales.items():
            with_boltzmann = size == config.boltzmann_at
            console.log(f"scale {size:g}: {repeats} run(s) in a fresh process")
            results.sizes[size] = scale.measure(
                size,
                repeats,
                config.seed,
                config.steps,
                config.boltzmann_agents if with_boltzmann else 0,
                config.boltzmann_steps,
            )
        console.print(scale.scale_table(list(results.sizes.values())))
        at = results.sizes.get(config.boltzmann_at)
        if at is not None and at.boltzmann_agent_steps_per_s:
            console.print(scale.boltzmann_table(at, config.boltzmann_agents))
    if "sweep" in parts:
        console.log(f"sweep: {config.sweep_runs} runs on {config.sweep_workers} workers")
        results.sweep = sweep.time_sweep(
            config.sweep_runs, config.sweep_workers, steps=config.steps
        )
        one = baseline.median_of(results.baseline, "sweep_run_s") if results.baseline else None
        console.print(sweep.sweep_table(results.sweep, one))
    if "profile" in parts:
        scen = _baseline_scenario(config)
        prof = profile.profile_phases(scen, config.seed)
        results.phases.append(prof)
        console.print(
            profile.phase_table(
                prof,
                f"5a. Baseline run by phase (~{prof.mean_alive_labs:,.0f} labs alive on average)",
            )
        )
        if config.profile_scale is not None:
            from abm import load_scenario

            overrides: dict[str, float | int] = {"population.scale": config.profile_scale}
            if config.steps:
                overrides["steps"] = config.steps
            big = profile.profile_phases(
                load_scenario("scale").with_overrides(overrides), config.seed
            )
            results.phases.append(big)
            console.print(
                profile.phase_table(
                    big,
                    f"5a'. Scale scenario at population.scale {config.profile_scale:g} by phase "
                    f"(~{big.mean_alive_labs:,.0f} labs alive on average)",
                )
            )
        results.functions, wall = profile.profile_functions(scen, config.seed)
        console.print(profile.function_table(results.functions, wall))
    if "jit" in parts:
        console.log("jit: two fresh processes, empty kernel cache then warm")
        results.jit = jit.measure()
        console.print(jit.jit_table(results.jit))
    checked = targets.check(results.baseline, results.sizes, SCALE_1E4, SCALE_1E5)
    if checked:
        console.print(targets.targets_table(checked))
    return results


def machine() -> str:
    """One line on the machine: CPU, cores, memory, Python and library versions, load."""
    import mesa
    import numba
    import numpy as np
    import polars as pl

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.2f} {:.2f} {:.2f} at start".format(*os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__}, polars {pl.__version__}, "
        f"mesa {mesa.__version__}{load}"
    )


def write_results(
    path: Path, console: Console, command: str, header: str, elapsed_s: float | None = None
) -> None:
    """Write what the console printed as Markdown with date, machine and command."""
    text = console.export_text(clear=False)
    took = f"- Took: {elapsed_s / 60:.1f} min\n" if elapsed_s is not None else ""
    load = "- Load average at the end: {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg())
    body = (
        "# Benchmark results\n\n"
        "Latest figures of `make bench` (issue #6), written by the command below; "
        "bench/README.md says what each table measures, bench/FINDINGS.md where the time goes "
        "and what the engine should change.\n\n"
        f"- Date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n"
        f"- Machine: {header}\n"
        f"- Command: `{command}`\n"
        f"{took}{load}\n"
        "How to read them: the machine is two cores shared with other sessions. When the load "
        "average above is well over 2, absolute times are inflated for every table alike "
        "(Boltzmann included); the side-by-side ratio of table 3, the scaling ratio and the "
        "shares within a run are the figures that stay meaningful.\n\n"
        "```text\n"
        f"{text.rstrip()}\n"
        "```\n"
    )
    path.write_text(body)


def main(argv: list[str] | None = None) -> None:
    """Parse options, measure, print; optionally write RESULTS.md."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, no 10^5, short sweep")
    p.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), metavar="PART")
    p.add_argument("--profile-scale", type=float, default=None)
    p.add_argument("--results", type=Path, default=None, help="write Markdown here too")
    a = p.parse_args(argv)
    config = BenchConfig.quick() if a.quick else BenchConfig.full()
    config.profile_scale = a.profile_scale
    console = Console(record=True, width=130)
    header = machine()
    console.print(f"[bold]aimarket benchmarks[/bold] — {header}")
    t0 = time.perf_counter()
    run(config, tuple(a.only), console)
    elapsed = time.perf_counter() - t0
    console.print(f"Benchmarks took {elapsed / 60:.1f} min.")
    if a.results is not None:
        command = " ".join(["python -m bench", *map(shlex.quote, sys.argv[1:])])
        write_results(a.results, console, command, header, elapsed)


if __name__ == "__main__":
    main()
