"""The project's hand-written data tables (``abm/data/*.csv``), each row with its source.

Tables are read with the standard ``csv`` module into lists of typed dicts; every table must
name a source on every row (tests check this). These are inputs set from data; targets the
model must reproduce live in ``facts.csv``, and real data points drawn on the validation plots
in ``observations.csv``; neither is ever read by the model itself.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

_TYPES: dict[str, dict[str, type]] = {
    "chips": {
        "bf16_tflops": float,
        "die_mm2": float,
        "interconnect_gbps": float,
        "tdp_w": float,
        "launch_price_usd": float,
        "unit_cost_usd": float,
        "packages": int,
    },
    "vendors": {
        "capacity_units_per_quarter": float,
        "cash_busd": float,
        "rd_busd_per_year": float,
        "ecosystem_floor": float,
    },
    "hyperscalers": {
        "captive": bool,
        "opcf_busd_per_year": float,
        "opcf_growth": float,
        "installed_h100e": float,
        "cash_busd": float,
    },
    "labs": {
        "open_weight": bool,
        "best_run_flop": float,
        "cash_busd": float,
        "credit_busd": float,
        "valuation_busd": float,
        "revenue_busd_per_year": float,
        "first_round_busd": float,
        "patron_busd_per_year": float,
        "pedigree": float,
        "ambition": float,
    },
    "public_compute": {"accelerators": int, "h100e_per_accelerator": float},
    "sovereign_funds": {"aum_busd": float, "ai_tilt": float},
    "vc_funds": {"ai_dry_powder_busd": float},
    "regions": {"countries": int},
    "training_utilisation": {"mfu": float, "runs": int},
    "observations": {"year": int, "value": float},
    "named_lab_figures": {"value": float},
    "owner_compute_figures": {"value": float, "p5": float, "p95": float},
    "capital_market_figures": {"year": int, "value": float},
    "facts": {"value": float, "low": float, "high": float},
}


def _convert(kind: type, text: str) -> Any:
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"expected true/false, got {text!r}")
        return text.lower() == "true"
    if text == "":
        return kind(0)
    return kind(text)


@cache
def load_table(name: str) -> tuple[dict[str, Any], ...]:
    """Rows of ``abm/data/<name>.csv`` with numeric columns converted; empty numbers are 0."""
    path = DATA_DIR / f"{name}.csv"
    types = _TYPES.get(name, {})
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for i, raw in enumerate(csv.DictReader(fh), start=2):
            row: dict[str, Any] = {}
            for key, text in raw.items():
                try:
                    row[key] = _convert(types[key], text.strip()) if key in types else text.strip()
                except ValueError as exc:
                    raise ValueError(f"{path.name} line {i}, column {key!r}: {exc}") from None
            rows.append(row)
    return tuple(rows)
