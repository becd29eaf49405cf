"""What the validation's "reported, not targeted" sections share: a reported figure beside the
model's median and 10-90 % range across seeds (:mod:`experiments.named_labs`,
:mod:`experiments.owner_compute`, :mod:`experiments.capital_figures`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ReportedRow:
    """A reported figure (anything with a ``value``) and the model's across seeds."""

    figure: Any
    median: float
    p10: float
    p90: float

    @property
    def ratio(self) -> float:
        """Model median over the reported value."""
        return self.median / self.figure.value if self.figure.value else np.nan


def seed_quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """Median, 10th and 90th percentile of the finite values (NaN if there are none)."""
    ok = values[np.isfinite(values)]
    if not ok.size:
        return (np.nan, np.nan, np.nan)
    med, p10, p90 = np.quantile(ok, [0.5, 0.1, 0.9])
    return float(med), float(p10), float(p90)
