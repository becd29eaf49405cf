"""Benchmarks of the aimarket engine (issue #6; DESIGN.md §9). Not timed tests: they print figures.

Run ``make bench`` (``.venv/bin/python -m bench``); ``--quick`` and ``--only`` narrow it down.
Modules, one per measurement:

- :mod:`bench.baseline` — one baseline run: set-up, quarters, recording;
- :mod:`bench.scale` — the ``scale`` scenario at 10^3, 10^4 and 10^5 labs, one fresh
  subprocess per size (time per lab-quarter, peak memory);
- :mod:`bench.boltzmann` — Mesa's Boltzmann wealth model, timed next to our 10^4 run;
- :mod:`bench.sweep` — runs per minute for 100 baseline runs through ``experiments.run_sweep``
  on two workers;
- :mod:`bench.profile` — where one baseline run spends its time, by phase and by function;
- :mod:`bench.targets` — the issue's targets checked against the figures (printed, not asserted).

Every figure is a median over repeats; ratios are measured side by side in one process,
because the machines are shared and absolute times drift (ENVIRONMENT.md).
"""
