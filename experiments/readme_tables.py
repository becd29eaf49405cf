"""The README's generated tables: metrics (from ``abm.metrics``) and parameters (from the
scenario schema), so the documentation cannot drift from the code.

    python -m experiments.readme_tables          # check the README is current (exit 1 if not)
    python -m experiments.readme_tables --write  # rewrite the tables in place
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from abm.metrics import METRIC_DOCS
from abm.regions import REGIONS
from abm.scenario import parameter_table

README = Path(__file__).resolve().parents[1] / "README.md"
_PER_REGION = {"funding_by_region", "compute_share", "frontier_capability"}
_PER_VENDOR = {"vendor_revenue", "vendor_cn_revenue", "vendor_shipped_h100e", "vendor_cn_h100e"}


def metrics_markdown() -> str:
    """One row per metric (per-region and per-vendor families on one row)."""
    lines = ["| metric | meaning |", "|---|---|"]
    for name, doc in METRIC_DOCS.items():
        shown = (
            f"`{name}.<R>` (R = {', '.join(REGIONS)})"
            if name in _PER_REGION
            else (f"`{name}.<vendor>`" if name in _PER_VENDOR else f"`{name}`")
        )
        lines.append(f"| {shown} | {doc} |")
    return "\n".join(lines)


def _leaves(v) -> list:
    return [x for y in v.values() for x in _leaves(y)] if isinstance(v, dict) else [v]


def _value(v) -> str:
    if isinstance(v, dict):
        leaves = _leaves(v)
        if len(leaves) > 1 and all(x == leaves[0] for x in leaves):
            what = "region" if set(v) == set(REGIONS) else "key"
            return f"{_value(leaves[0])} for every {what}" + (
                " pair" if len(leaves) > len(v) else ""
            )
        return ", ".join(f"{k}: {_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def parameters_markdown() -> str:
    """Every invented parameter: value, allowed range, meaning, and whether it was fitted."""
    lines = ["| parameter | value | allowed | meaning | how set |", "|---|---|---|---|---|"]
    for r in parameter_table():
        if not r["invented"]:
            continue
        how = "fitted (MSM to T9-T12)" if r["fitted"] else "invented"
        lines.append(
            f"| `{r['path']}` | {_value(r['default'])} | {r['bounds'] or ''} | {r['description']} | {how} |"
        )
    return "\n".join(lines)


BLOCKS = {"metrics": metrics_markdown, "invented-parameters": parameters_markdown}


def render(text: str) -> str:
    """The README text with every generated block replaced by its current content."""
    for name, fn in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda m, fn=fn: m.group(1) + fn() + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Check or rewrite the README's generated tables."""
    argv = sys.argv[1:] if argv is None else argv
    current = README.read_text()
    new = render(current)
    if "--write" in argv:
        README.write_text(new)
        return 0
    if new != current:
        print(
            "README.md tables are out of date: run python -m experiments.readme_tables --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
