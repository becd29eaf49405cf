"""Policy rules in force: the scenario's policy sections patched by its dated timeline (§5).

:class:`Policy` resolves the levers at each quarter (:meth:`Policy.update`, which reports the
timeline entries that took effect so they become ``rule_change`` events) and keeps the derived
arrays the markets use: export class of every product, export tier of every region, licence
terms per (buyer, product), diffusion-rule caps, equipment-control cuts, screening, compute
thresholds, antitrust limits, subsidies and market access. Arrays are rebuilt only when a rule
changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from abm.calendar import parse_quarter
from abm.kernels.compute import threshold_compliance
from abm.markets.chips import classify_chips, licence_terms
from abm.regions import N_REGIONS, REGIONS

if TYPE_CHECKING:
    from abm.catalogue import Catalogue
    from abm.scenario import Intervention, Scenario

DIFFUSION_RULE_QUARTERS = 12  # the Jan 2025 caps ran over 2025-27


class Policy:
    """The levers in force at the current quarter, as plain values and arrays."""

    def __init__(self, scenario: Scenario, catalogue: Catalogue, countries: np.ndarray):
        self._scenario = scenario
        self._catalogue = catalogue
        self._countries = countries
        self._timeline = sorted(scenario.timeline, key=lambda t: parse_quarter(t.quarter))
        self._timeline_quarter = [parse_quarter(t.quarter) for t in self._timeline]
        self._applied: set[str] = set()
        self.version = -1
        self._set(scenario.policy_at(-1))

    def update(self, quarter: int) -> list[Intervention]:
        """Bring the rules to ``quarter``; return the timeline entries that took effect now."""
        due = [
            t
            for t, at in zip(self._timeline, self._timeline_quarter, strict=True)
            if at <= quarter and t.id not in self._applied
        ]
        if due or self.version < 0:
            self._applied.update(t.id for t in due)
            self._set(self._scenario.policy_at(quarter))
        return due

    # ---- derived arrays ----------------------------------------------------------------------

    def _set(self, p: dict[str, Any]) -> None:
        self.version += 1
        self.raw = p
        ec, eq = p["export_control"], p["equipment_control"]
        self.tier = np.array([ec["tiers"][r] for r in REGIONS], dtype=np.int64)
        self.tier_licence = ec["licence"]
        self.low_band_licence = ec["low_band_licence"]
        self.leakage_rate = float(ec["leakage_rate"])
        self.cn_remote_access = float(ec["cn_remote_access"])
        self.rule = ec["rule"]
        cap_tpp = ec["tier2_cap_tpp_per_country"]
        per_quarter = cap_tpp * self._countries / DIFFUSION_RULE_QUARTERS
        self.tier2_cap_tpp = np.where((self.tier == 2) & (cap_tpp > 0), per_quarter, np.inf)
        self.equipment_ceiling_cut = eq["level"] * eq["ceiling_cut"]
        self.equipment_capacity_cut = eq["level"] * eq["capacity_cut"]
        sc = p["screening"]
        self.outbound_cn = bool(sc["outbound_cn"])
        self.inbound_approval = np.array([sc["inbound_approval"][r] for r in REGIONS])
        markets = p["compute_threshold"]["markets"]
        self.threshold_flop = np.array([markets[r]["flop"] for r in REGIONS])
        self._lowest_threshold = float(self.threshold_flop.min())
        self.threshold_cost_share = np.array([markets[r]["cost_share"] for r in REGIONS])
        self.threshold_fixed = np.array([markets[r]["fixed_cost_busd"] for r in REGIONS])
        self.threshold_delay = np.array([markets[r]["delay_quarters"] for r in REGIONS])
        at = p["antitrust"]
        self.max_combined_share = float(at["max_combined_share"])
        self.max_hhi_delta = float(at["max_hhi_delta"])
        self.breakup_share = float(at["breakup_share"])
        sub = p["subsidy"]["regions"]
        self.vendor_subsidy = np.array([sub[r]["vendor_busd_per_year"] for r in REGIONS]) / 4.0
        self.lab_subsidy = np.array([sub[r]["lab_busd_per_year"] for r in REGIONS]) / 4.0
        self.public_compute = np.array([sub[r]["public_compute_h100e"] for r in REGIONS])
        self.procurement = np.array([sub[r]["procurement_domestic_share"] for r in REGIONS])
        appeal = p["market_access"]["appeal"]
        self.appeal = np.array([[appeal[a][m] for m in REGIONS] for a in REGIONS])
        self._licence_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        # Both depend only on the rules in force: computed once per change, not every quarter.
        self._export_class = self._classify()
        self._screening = self._screening_matrix()
        self._export_class.setflags(write=False)
        self._screening.setflags(write=False)

    def export_class(self) -> np.ndarray:
        """Export class of every catalogue product (0 free, 1 China-specific band, 2 controlled)."""
        return self._export_class

    def _classify(self) -> np.ndarray:
        ec = self.raw["export_control"]
        cat = self._catalogue
        return classify_chips(
            cat.tpp,
            cat.die_mm2,
            cat.interconnect,
            rule=ec["rule"],
            tpp_threshold=ec["tpp_threshold"],
            interconnect_gbps_threshold=ec["interconnect_gbps"],
            density_tpp_floor=ec["density_tpp_floor"],
            density_threshold=ec["density_threshold"],
            low_band_tpp=ec["low_band_tpp"],
        )

    def licences(
        self, buyer_region: np.ndarray, us_origin: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Export class (P,), licensed share (H, P) and revenue share owed (H, P)."""
        cls = self.export_class()
        key = (self.version, buyer_region.tobytes(), cls.tobytes())
        if key not in self._licence_cache:
            self._licence_cache = {
                key: licence_terms(
                    cls,
                    self.tier[buyer_region],
                    us_origin,
                    self.tier_licence,
                    self.low_band_licence,
                )
            }
        allowed, share = self._licence_cache[key]
        return cls, allowed, share

    # ---- compute-threshold regulation ---------------------------------------------------------

    def compliance(
        self, size: np.ndarray, run_cost: np.ndarray, lab_region: np.ndarray, bunching_share: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply compute-threshold rules to planned runs.

        A run is covered in every market the lab sells in (appeal > 0) whose threshold it
        reaches. Covered runs pay ``cost_share x run cost + fixed cost`` per market and wait
        the longest delay. A lab whose compliance would exceed ``bunching_share`` of the run's
        cost, and whose plan is within 2x of the lowest covering threshold, trains just under
        that threshold instead.

        Returns the (possibly reduced) run sizes, compliance cost (USD B) and delay (quarters).
        """
        if size.size == 0 or size.max() < self._lowest_threshold:
            # no run reaches any rule: nothing to pay, nothing delayed
            return size.copy(), np.zeros(size.size), np.zeros(size.size, dtype=np.int16)
        # Compiled: the numpy version is in tests/abm/test_kernels_compute.py.
        return threshold_compliance(
            size,
            run_cost,
            np.asarray(lab_region, dtype=np.int64),
            self.appeal,
            self.threshold_flop,
            self.threshold_cost_share,
            self.threshold_fixed,
            self.threshold_delay,
            float(bunching_share),
        )

    # ---- investment screening -------------------------------------------------------------------

    def screening_allowed(self) -> np.ndarray:
        """(investor region, lab region) -> probability a stake is allowed and approved."""
        return self._screening

    def _screening_matrix(self) -> np.ndarray:
        allowed = np.ones((N_REGIONS, N_REGIONS))
        cn = REGIONS.index("CN")
        if self.outbound_cn:
            for r in ("US", "ALLY"):
                allowed[REGIONS.index(r), cn] = 0.0
        for lab in ("US", "ALLY"):
            li = REGIONS.index(lab)
            for inv in range(N_REGIONS):
                if inv != li and REGIONS[inv] not in ("US", "ALLY"):
                    allowed[inv, li] *= self.inbound_approval[inv]
        return allowed
