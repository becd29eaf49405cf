"""The compiled kernels work without a usable on-disk cache (numba then compiles in memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np

import abm.kernels
from abm import AIMarketModel, load_scenario

ROOT = Path(__file__).resolve().parents[2]
TINY = """
import json
from abm import AIMarketModel, load_scenario
s = load_scenario("scale").with_overrides({"population.scale": 0.1, "steps": 6})
m = AIMarketModel(s, rng=4)
m.run_for(s.steps)
print(json.dumps(m.summary()))
"""


def test_kernel_falls_back_to_compiling_in_memory(monkeypatch):
    real = numba.njit

    def no_cache(*args, **kwargs):
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        return real(*args, **kwargs)

    monkeypatch.setattr(abm.kernels.numba, "njit", no_cache)

    @abm.kernels.kernel
    def total(x: np.ndarray) -> float:
        acc = 0.0
        for v in x:
            acc += v
        return acc

    assert total(np.arange(4.0)) == 6.0


def test_a_process_with_an_unusable_cache_dir_runs_the_same_model():
    """NUMBA_CACHE_DIR that cannot be created: numba moves on to another cache location (or
    none); the run is the same as in this process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": "/proc/aimarket-no-such-dir/numba"}
    proc = subprocess.run(
        [sys.executable, "-c", TINY], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    s = load_scenario("scale").with_overrides({"population.scale": 0.1, "steps": 6})
    here = AIMarketModel(s, rng=4)
    here.run_for(s.steps)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == json.loads(
        json.dumps(here.summary())
    )
