"""aimarket's experiments: sweeps, designs, executors, the result store, comparisons and
sensitivity analysis, on the engine's public surface (``docs/experiments.md``).

Python API for notebooks::

    from experiments import run_sweep, load_results
    run_sweep("experiments/specs/counterfactual_presets.toml", out="runs/cf")
    results = load_results("runs/cf")
    from experiments.compare import effects, fans
    effects(results, baseline="baseline")
"""

from experiments.results import Results, load_results
from experiments.spec import SpecError, SweepSpec, load_spec
from experiments.sweep import SweepReport, run_sweep

__all__ = [
    "Results",
    "SpecError",
    "SweepReport",
    "SweepSpec",
    "load_results",
    "load_spec",
    "run_sweep",
]
