"""The ``aimarket`` command line.

    aimarket run --scenario baseline --seed 1 --out runs/baseline     one run, yearly table, Parquet
    aimarket scenarios                                                the shipped presets
    aimarket params [--invented]                                      every parameter, bounds, provenance
    aimarket sweep SPEC --out DIR [--workers N | --dask-local N | --scheduler ADDR]
    aimarket compare DIR [--baseline NAME]
    aimarket sensitivity DIR
    aimarket validate [--seeds N] [--workers N] [--json]
    aimarket calibrate [--points N] [--seeds N]                       fit behavioural parameters
    aimarket app [--host 127.0.0.1] [--port 8765]

Bad input (unknown scenario or key, value out of range, malformed TOML) exits with status 2
and a message naming the field, its value and the allowed range, before anything is written.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from abm import Scenario, ScenarioError, available_scenarios, load_scenario

EXIT_BAD_INPUT = 2


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["a.b=3", "c=true"]`` -> ``{"a.b": 3, "c": True}`` (values parsed as TOML, else text)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ScenarioError(
                [f"--set {pair!r}: expected KEY=VALUE, e.g. export_control.tpp_threshold=2400"]
            )
        key, text = pair.split("=", 1)
        try:
            out[key.strip()] = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = text
    return out


def scenario_from_args(name: str, overrides: list[str] | None) -> Scenario:
    """Load a preset or file and apply ``--set`` overrides (validated)."""
    scenario = load_scenario(name)
    if overrides:
        scenario = scenario.with_overrides(parse_overrides(overrides))
    return scenario


def _cmd_run(args: argparse.Namespace) -> int:
    from experiments.report import print_yearly_table
    from experiments.runner import simulate, write_run

    if args.seed < 0:
        raise ScenarioError([f"--seed = {args.seed}: must be a non-negative integer"])
    scenario = scenario_from_args(args.scenario, args.set)
    out = simulate(scenario, args.seed)
    print_yearly_table(out.metrics, title=f"{scenario.name}, seed {args.seed}")
    t = out.timings
    print(f"setup {t['setup_s']:.2f} s, {scenario.steps} quarters {t['run_s']:.2f} s")
    if args.out:
        path = write_run(out, Path(args.out))
        print(f"wrote {path}/ (metrics.parquet, events.parquet, network_*.parquet, summary.json)")
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    for name, desc in available_scenarios().items():
        print(f"{name:26s} {desc}")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from abm.scenario import parameter_table

    rows = parameter_table()
    if args.invented:
        rows = [r for r in rows if r["invented"]]
    print("| parameter | value | allowed | meaning | provenance |")
    print("|---|---|---|---|---|")
    for r in rows:
        prov = (
            ("fitted (MSM, T9-T12)" if r["fitted"] else "invented")
            if r["invented"]
            else (r["source"] or "setting")
        )
        value = r["default"]
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        print(f"| `{r['path']}` | {value} | {r['bounds'] or ''} | {r['description']} | {prov} |")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from experiments import sweep

    return sweep.main(args)


def _cmd_compare(args: argparse.Namespace) -> int:
    from experiments import compare

    return compare.main(args)


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from experiments import sensitivity

    return sensitivity.main(args)


def _cmd_validate(args: argparse.Namespace) -> int:
    from experiments import validate

    return validate.main(args)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from experiments import calibrate

    return calibrate.main(args)


def _cmd_app(args: argparse.Namespace) -> int:
    from viz import server

    return server.main(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    p = argparse.ArgumentParser(
        prog="aimarket", description="Agent-based market model of the AI industry."
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run one scenario and print its yearly table")
    r.add_argument("--scenario", default="baseline", help="preset name or path to a TOML file")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--out", help="directory for Parquet outputs (written atomically)")
    r.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a parameter (repeatable)"
    )
    r.set_defaults(func=_cmd_run)

    sub.add_parser("scenarios", help="list the shipped presets").set_defaults(func=_cmd_scenarios)

    pa = sub.add_parser("params", help="every parameter with its value, bounds and provenance")
    pa.add_argument("--invented", action="store_true", help="only the invented (uncalibrated) ones")
    pa.set_defaults(func=_cmd_params)

    s = sub.add_parser("sweep", help="run a sweep file (designs x interventions x seeds)")
    s.add_argument("spec", help="sweep TOML file")
    s.add_argument("--out", required=True, help="result store directory (rerun to resume)")
    where = s.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: cores)"
    )
    where.add_argument(
        "--dask-local", type=int, metavar="N", help="start a Dask cluster of N workers on 127.0.0.1"
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask scheduler")
    s.add_argument(
        "--retry-failed", action="store_true", help="rerun runs recorded as failed earlier"
    )
    s.set_defaults(func=_cmd_sweep)

    c = sub.add_parser("compare", help="intervention effects vs the baseline, paired by seed")
    c.add_argument("dir", help="sweep result directory")
    c.add_argument("--baseline", default="baseline", help="name of the reference intervention")
    c.set_defaults(func=_cmd_compare)

    se = sub.add_parser("sensitivity", help="Morris or Sobol indices of a sweep's outcomes")
    se.add_argument("dir", help="sweep result directory")
    se.set_defaults(func=_cmd_sensitivity)

    v = sub.add_parser("validate", help="check the baseline against the facts (FACTS.md)")
    v.add_argument("--seeds", type=int, default=20)
    v.add_argument("--workers", type=int, default=None)
    v.add_argument("--json", action="store_true", help="print the table as JSON")
    v.add_argument("--out", default="runs/validation", help="directory for the report")
    v.add_argument(
        "--steps", type=int, default=None, help="quarters to simulate (default: the full baseline)"
    )
    v.add_argument(
        "--stability", action="store_true", help="also compare medians at 10 and 40 seeds"
    )
    v.set_defaults(func=_cmd_validate)

    cal = sub.add_parser(
        "calibrate", help="estimate the behavioural parameters (method of simulated moments)"
    )
    cal.add_argument("--scenario", default="baseline")
    cal.add_argument(
        "--points", type=int, default=48, help="Latin-hypercube points before refinement"
    )
    cal.add_argument(
        "--refine", type=int, default=40, help="Nelder-Mead evaluations after the design"
    )
    cal.add_argument("--seeds", type=int, default=4, help="seeds per point (common random numbers)")
    cal.add_argument("--workers", type=int, default=None)
    cal.add_argument("--out", default="runs/calibration")
    cal.add_argument(
        "--start", help="calibration.json of an earlier search: continue from its fitted values"
    )
    cal.add_argument(
        "--only",
        action="append",
        metavar="SECTION.FIELD",
        help="search only this fitted parameter (repeatable); the others stay at --start",
    )
    cal.set_defaults(func=_cmd_calibrate)

    a = sub.add_parser("app", help="serve the live simulation page")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8765)
    a.set_defaults(func=_cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aimarket`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, FileExistsError) as exc:
        print(f"aimarket: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
