# The few commands a newcomer needs. Each sets up .venv first (scripts/bootstrap).
PY := .venv/bin/python
SEED ?= 1
SCENARIO ?= baseline

.PHONY: run test lint format app bench validate setup setup-dev clean-kernels

setup:
	@scripts/bootstrap

setup-dev:
	@scripts/bootstrap dev

## Set up and run the baseline 2020Q1–2035Q4; prints the yearly table, writes runs/baseline/.
run: setup
	$(PY) -m experiments.cli run --scenario $(SCENARIO) --seed $(SEED) --out runs/$(SCENARIO)

## Set up (with test tools and Chromium) and run lint + the whole test suite.
test: setup-dev
	@scripts/install-chromium
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m pytest -q

lint: setup-dev
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

format: setup-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## Serve the live simulation page on http://127.0.0.1:8765
app: setup
	$(PY) -m experiments.cli app

## Print the benchmark figures (see bench/RESULTS.md).
bench: setup
	$(PY) -m bench

## Run the history-friendly validation of the baseline (20 seeds).
validate: setup
	$(PY) -m experiments.cli validate

## Drop the compiled kernels' on-disk cache (after editing a kernel that other kernels call).
clean-kernels:
	rm -f abm/kernels/__pycache__/*.nbi abm/kernels/__pycache__/*.nbc
