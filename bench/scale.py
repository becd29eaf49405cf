"""The ``scale`` scenario at 10^3, 10^4 and 10^5 labs (issue #6, items 2 and 3).

Each size runs in a fresh subprocess (``python -m bench.scale --scale S ...``), so its peak
memory is its own and one size's heap does not slow the next. The child times its runs and
prints one JSON object. A lab-quarter is one alive lab in one quarter: the alive labs counted
after every quarter, summed over the run. ``population.scale`` 1 / 10 / 100 gives about
10^3 / 10^4 / 10^5 labs (funds, dry powder and entry scaled alongside).

With ``--boltzmann-agents N`` the child also times Mesa's Boltzmann wealth model
(:mod:`bench.boltzmann`) after each of its own runs, in the same process — the side-by-side
comparison of item 3.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ScaleRun:
    """One timed run of the scale scenario."""

    setup_s: float
    run_s: float
    lab_quarters: int
    quarters: int

    @property
    def us_per_lab_quarter(self) -> float:
        """Microseconds of model work per alive lab per quarter."""
        return 1e6 * self.run_s / self.lab_quarters

    @property
    def lab_quarters_per_s(self) -> float:
        """Alive lab-quarters simulated per second of model work."""
        return self.lab_quarters / self.run_s


@dataclass
class ScaleResult:
    """Everything one child process measured at one size."""

    scale: float
    runs: list[ScaleRun]
    peak_rss_mib: float  # the child's peak resident memory, whole process
    import_rss_mib: float  # its peak before building any model (interpreter, numpy, mesa, ...)
    lab_rows_end: int  # rows in the lab table at the end of the last run (alive and dead)
    boltzmann_agent_steps_per_s: list[float] = field(default_factory=list)

    @property
    def mean_alive_labs(self) -> float:
        """Average alive labs per quarter (the size readers should check)."""
        r = self.runs[0]
        return r.lab_quarters / r.quarters

    def median(self, attr: str) -> float:
        """Median of a :class:`ScaleRun` attribute over the runs."""
        return statistics.median(getattr(r, attr) for r in self.runs)

    @property
    def ratio_to_boltzmann(self) -> float | None:
        """Our lab-quarters per second over Boltzmann's agent-steps per second (medians)."""
        if not self.boltzmann_agent_steps_per_s:
            return None
        return self.median("lab_quarters_per_s") / statistics.median(
            self.boltzmann_agent_steps_per_s
        )

    @property
    def paired_ratios(self) -> list[float]:
        """The same ratio for each (our run, next Boltzmann run) pair."""
        return [
            r.lab_quarters_per_s / b
            for r, b in zip(self.runs, self.boltzmann_agent_steps_per_s, strict=False)
        ]


def _peak_rss_mib() -> float:
    """Peak resident memory of this process since it started, MiB.

    On Linux ``VmHWM`` is the high-water mark of the process's own address space. Not
    ``ru_maxrss``: Linux carries that over from the forked parent across ``exec``, so a child of
    a large parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def time_scale_run(scale: float, seed: int, steps: int | None = None) -> tuple[ScaleRun, int]:
    """Build and run the scale scenario once; returns the timing and the final lab-table rows."""
    from abm import AIMarketModel, load_scenario

    overrides: dict[str, float | int] = {"population.scale": scale}
    if steps is not None:
        overrides["steps"] = steps
    scenario = load_scenario("scale").with_overrides(overrides)
    gc.collect()
    t0 = time.perf_counter()
    model = AIMarketModel(scenario, rng=seed)
    setup_s = time.perf_counter() - t0
    run_s = 0.0
    lab_quarters = 0
    for _ in range(scenario.steps):
        t = time.perf_counter()
        model.step()
        run_s += time.perf_counter() - t
        lab_quarters += int(model.labs.alive[: model.labs.n].sum())
    rows = int(model.labs.n)
    return ScaleRun(setup_s, run_s, lab_quarters, scenario.steps), rows


def measure_here(
    scale: float,
    repeats: int,
    seed: int = 1,
    steps: int | None = None,
    boltzmann_agents: int = 0,
    boltzmann_steps: int = 100,
) -> ScaleResult:
    """Time ``repeats`` runs in this process, each followed by a Boltzmann run if asked."""
    from bench.boltzmann import time_boltzmann
    from bench.jit import warm_up

    import_rss = _peak_rss_mib()
    warm_up()  # compile or load the kernels before timing (bench/jit.py)
    runs: list[ScaleRun] = []
    boltz: list[float] = []
    rows = 0
    for i in range(repeats):
        run, rows = time_scale_run(scale, seed + i, steps)
        runs.append(run)
        if boltzmann_agents:
            gc.collect()
            boltz.append(
                time_boltzmann(boltzmann_agents, boltzmann_steps, seed + i).agent_steps_per_s
            )
    return ScaleResult(scale, runs, _peak_rss_mib(), import_rss, rows, boltz)


def measure(
    scale: float,
    repeats: int,
    seed: int = 1,
    steps: int | None = None,
    boltzmann_agents: int = 0,
    boltzmann_steps: int = 100,
) -> ScaleResult:
    """Measure one size in a fresh subprocess (see the module docstring)."""
    cmd = [
        sys.executable,
        "-m",
        "bench.scale",
        f"--scale={scale}",
        f"--repeats={repeats}",
        f"--seed={seed}",
        f"--boltzmann-agents={boltzmann_agents}",
        f"--boltzmann-steps={boltzmann_steps}",
    ]
    if steps is not None:
        cmd.append(f"--steps={steps}")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["runs"] = [ScaleRun(**r) for r in data["runs"]]
    return ScaleResult(**data)


def _to_json(result: ScaleResult) -> str:
    return json.dumps(
        {
            "scale": result.scale,
            "runs": [vars(r) for r in result.runs],
            "peak_rss_mib": result.peak_rss_mib,
            "import_rss_mib": result.import_rss_mib,
            "lab_rows_end": result.lab_rows_end,
            "boltzmann_agent_steps_per_s": result.boltzmann_agent_steps_per_s,
        }
    )


def scale_table(results: list[ScaleResult]) -> Table:
    """Item 2: time per lab-quarter and peak memory at each size."""
    table = Table(title="2. Scale scenario, 64 quarters, one fresh process per size (medians)")
    for col in (
        "population.scale",
        "avg alive labs",
        "runs",
        "set-up",
        "model work",
        "µs / lab-quarter",
        "lab-quarters / s",
        "peak RSS (process)",
        "of which imports",
    ):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(
            f"{r.scale:g}",
            f"{r.mean_alive_labs:,.0f}",
            str(len(r.runs)),
            f"{r.median('setup_s'):.2f} s",
            f"{r.median('run_s'):.2f} s",
            f"{r.median('us_per_lab_quarter'):.2f}",
            f"{r.median('lab_quarters_per_s') / 1e6:.3f} M",
            f"{r.peak_rss_mib:,.0f} MiB",
            f"{r.import_rss_mib:,.0f} MiB",
        )
    return table


def boltzmann_table(result: ScaleResult, agents: int) -> Table:
    """Item 3: our 10^4 run next to Mesa's Boltzmann model, in the same process."""
    table = Table(
        title=f"3. Side by side in one process: scale run at ~{result.mean_alive_labs:,.0f} labs "
        f"vs Mesa Boltzmann wealth model, {agents:,} agents"
    )
    table.add_column("measure")
    table.add_column("median", justify="right")
    table.add_column("each repeat", justify="right")
    ours = [r.lab_quarters_per_s for r in result.runs]
    boltz = result.boltzmann_agent_steps_per_s
    table.add_row(
        "aimarket lab-quarters / s",
        f"{statistics.median(ours) / 1e6:.3f} M",
        " ".join(f"{x / 1e6:.3f}" for x in ours),
    )
    table.add_row(
        "Boltzmann agent-steps / s",
        f"{statistics.median(boltz) / 1e6:.3f} M",
        " ".join(f"{x / 1e6:.3f}" for x in boltz),
    )
    ratio = result.ratio_to_boltzmann or 0.0
    table.add_row(
        "ratio (ours / Boltzmann)",
        f"{ratio:.2f}x",
        " ".join(f"{x:.2f}" for x in result.paired_ratios),
        style="bold",
    )
    return table


def main(argv: list[str] | None = None) -> None:
    """Child entry point: measure one size, print one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, required=True)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--boltzmann-agents", type=int, default=0)
    p.add_argument("--boltzmann-steps", type=int, default=100)
    a = p.parse_args(argv)
    result = measure_here(
        a.scale, a.repeats, a.seed, a.steps, a.boltzmann_agents, a.boltzmann_steps
    )
    print(_to_json(result))


if __name__ == "__main__":
    main()
