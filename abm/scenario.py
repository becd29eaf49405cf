"""Scenario: every input of a run as typed, bounded, immutable data (DESIGN.md §1, §5, §8).

A scenario is plain data. It is written as TOML (``abm/presets/*.toml`` or any path), validated
into the pydantic models below, and never changed afterwards: :meth:`Scenario.with_overrides`
returns a new scenario. Every number has bounds, a unit in its description, and either a
``source`` (set from data, see ``abm/data/facts.csv``) or ``invented: true`` (no data fixes it;
listed in the README). Validation failures raise :class:`ScenarioError`, whose message names
each bad field by its dotted path, the value given and the allowed range.

Policy levers live in the sections listed in :data:`POLICY_SECTIONS`. Their values at quarter
*t* are the scenario's values patched by every ``timeline`` entry dated at or before *t*, so a
researcher writes "tighten in 2026Q1" as data::

    [[timeline]]
    id = "tighten-2026"
    quarter = "2026Q1"
    set = { "export_control.tpp_threshold" = 2400 }
"""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from abm.calendar import parse_quarter
from abm.regions import REGIONS, Region


class ScenarioError(ValueError):
    """A scenario, override or timeline entry is invalid. The message names every bad field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid scenario:\n  " + "\n  ".join(problems))


FIT = "fitted by method of simulated moments to T9-T12 (aimarket calibrate; docs/calibration.md)"


def P(
    default: Any,
    lo: float | None,
    hi: float | None,
    doc: str,
    *,
    source: str | None = None,
    fitted: bool = False,
):
    """A bounded parameter. ``source`` names the data it comes from; without it, it is invented.
    ``fitted`` marks an invented parameter whose value was estimated (see :data:`FIT`)."""
    extra: dict[str, Any] = {"source": source} if source else {"invented": True}
    if fitted:
        extra["fitted"] = FIT
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra=extra)


Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0, le=1e7)]


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _fill_regions(value: dict[str, Any], default: Any) -> dict[str, Any]:
    """Regions a TOML table leaves out keep the default (so a file may name only CN)."""
    return {r: value.get(r, default() if callable(default) else default) for r in REGIONS}


# --------------------------------------------------------------------------------------------
# Structural and behavioural sections
# --------------------------------------------------------------------------------------------


class Population(Section):
    """Who is in the world at the start, and how many arrive later."""

    scale: float = Field(
        1.0,
        ge=0.001,
        le=1000.0,
        description="Multiplier on every synthetic count below (startups, funds, dry powder, entry).",
    )
    named_labs: bool = Field(
        True,
        description="Include the real labs of abm/data/labs.csv (off for synthetic runs).",
    )
    app_startups: int = P(
        1200, 0, 1_000_000, "Synthetic application-layer startups alive at start."
    )
    model_startups: int = P(30, 0, 100_000, "Synthetic small model developers alive at start.")
    vc_funds: int = P(
        300, 1, 100_000, "Venture firms investing in AI (each raises successive funds)."
    )
    vc_dry_powder_busd: float = P(
        45.0,
        0.0,
        1e6,
        "AI venture dry powder at start, USD B (Crunchbase AI funding ~$36B in 2020).",
    )
    public_supercomputers: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description=(
            "Multiplier on the public AI supercomputers of abm/data/public_compute.csv "
            "(1 = as built; 0 = none)."
        ),
    )
    entry_per_quarter: float = P(
        70.0,
        0.0,
        1e6,
        "Expected new startups per quarter while venture investment stays at its 2020 level.",
    )
    entry_capital_elasticity: float = P(
        0.5,
        0.0,
        5.0,
        "Elasticity of the entry rate to venture capital invested over the last year.",
    )


class Demand(Section):
    """Use of AI services: grows with the capability the market can buy, then saturates; a share
    of it, rising by Bass diffusion, is paid for (revenue)."""

    base_busd_per_year: float = P(
        0.25726477855340374,
        0.0,
        1e5,
        "Global use of AI model services and AI applications in 2020, valued at list prices whether "
        "paid or not, USD B/yr.",
        fitted=True,
    )
    capability_elasticity: float = P(
        0.5584228999999999,
        0.0,
        2.0,
        "Growth of demand per order of magnitude of frontier effective compute available in a market "
        "(log10 demand per log10 effective FLOP).",
        fitted=True,
    )
    ceiling_busd_per_year: float = P(
        1500.0,
        1.0,
        1e6,
        "Saturation level of global AI use at list prices, USD B/yr (logistic ceiling).",
    )
    app_share: float = P(
        0.35, 0.0, 1.0, "Share of AI spend that goes to application-layer startups."
    )
    api_fee_share: float = P(
        0.35, 0.0, 1.0, "Share of an application startup's revenue paid to model labs as API fees."
    )
    region_share: dict[Region, Share] = Field(
        default_factory=lambda: {"US": 0.42, "ALLY": 0.26, "CN": 0.18, "GULF": 0.03, "ROW": 0.11},
        description="Share of global AI spend in each regional market (sums to 1).",
        json_schema_extra={"invented": True},
    )
    paid_share_start: float = P(
        0.0,
        0.0,
        1.0,
        "Share of the AI services used in 2020Q1 that is paid for (the rest is free use, trials "
        "and pilots). It rises towards 1 by Bass diffusion (``adoption_innovation``, "
        "``adoption_imitation``); 1 means every use is paid from the start (no monetisation lag).",
    )
    adoption_innovation: float = P(
        0.03,
        0.0,
        1.0,
        "Bass coefficient of innovation p of paid adoption, per year.",
        source="Sultan, Farley & Lehmann (1990), meta-analysis of 213 Bass-model fits: mean p = 0.03",
    )
    adoption_imitation: float = P(
        0.38,
        0.0,
        4.0,
        "Bass coefficient of imitation q of paid adoption, per year.",
        source="Sultan, Farley & Lehmann (1990), meta-analysis of 213 Bass-model fits: mean q = 0.38",
    )
    inference_h100e_per_busd: float = P(
        120_000.0,
        0.0,
        1e8,
        "Inference compute needed per USD B of a quarter's model use (at list prices, paid or not) "
        "in 2020, H100e.",
    )
    inference_efficiency_gain: float = P(
        0.25, 0.0, 0.95, "Yearly fall of inference compute needed per dollar of use."
    )

    @field_validator("region_share")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        total = sum(v.get(r, 0.0) for r in REGIONS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"region shares must sum to 1 (they sum to {total:.4f})")
        return {r: float(v.get(r, 0.0)) for r in REGIONS}


class LabBehaviour(Section):
    """How labs train, sell, raise money and value themselves."""

    beta_capability: float = P(
        4.0, 0.0, 20.0, "Logit sensitivity of demand to capability, per order of magnitude."
    )
    lock_in: float = P(
        3.0, 0.0, 20.0, "Lock-in exponent on last quarter's share, (1 + share)^lock_in."
    )
    niche_sigma: float = P(1.0, 0.0, 5.0, "Dispersion of application startups' niche appeal (log).")
    algo_halving_months: float = P(
        8.0,
        1.0,
        120.0,
        "Months for the frontier's compute needed for a fixed result to halve.",
        source="Ho et al. 2024, 'Algorithmic progress in language models' (95 % CI 5-14)",
    )
    ambition: dict[
        Literal["frontier", "bigtech", "open_weight", "champion", "challenger"],
        Annotated[float, Field(ge=0.0, le=10.0)],
    ] = Field(
        default_factory=lambda: {
            "frontier": 1.0,
            "bigtech": 0.7,
            "open_weight": 0.1,
            "champion": 0.1,
            "challenger": 0.01,
        },
        description="Ceiling of each archetype's runs, as a share of the largest run one site allows.",
        json_schema_extra={"invented": True},
    )
    run_multiple: float = P(
        4.0, 1.0, 100.0, "A lab plans its next run at this multiple of its last."
    )
    frontier_fraction: float = P(
        0.1,
        0.0,
        1.0,
        "A lab far behind may jump straight to this fraction of its ceiling (catch-up).",
    )
    run_quarters: int = P(
        1, 1, 8, "Quarters a final training run is planned to take (frontier runs: 90-120 days)."
    )
    run_gap_quarters: int = P(2, 0, 8, "Quarters between the end of a run and the next start.")
    experiment_overhead: float = P(
        1.0, 0.0, 10.0, "Research compute per unit of final-run compute (experiments, ablations)."
    )
    training_cash_share: float = P(
        0.7, 0.05, 1.0, "Largest share of cash plus credits a lab commits to its next run."
    )
    staff_cost_ratio: float = P(
        0.55,
        0.0,
        5.0,
        "Staff cost per USD of compute spend for model labs.",
        source="Cottier et al. 2024: staff 29–49 % of frontier run cost vs hardware 47–67 %",
    )
    base_staff_busd: float = P(
        0.004, 0.0, 10.0, "Quarterly staff cost floor of a model lab, USD B."
    )
    app_burn_share: float = P(
        0.10, 0.0, 1.0, "Share of its cash an application startup spends per quarter on growth."
    )
    app_growth_elasticity: float = P(
        0.5, 0.0, 5.0, "Elasticity of an application startup's appeal to its cumulative spend."
    )
    runway_quarters: float = P(6.0, 1.0, 40.0, "A lab raises when its runway falls below this.")
    war_chest_share: float = P(
        0.29594051066591665,
        0.0,
        0.9,
        "A model lab raises at least this share of its valuation once a year (compute race war chest).",
        fitted=True,
    )
    max_dilution: float = P(0.25, 0.01, 0.9, "Largest share of the company sold in one round.")
    growth_round_dilution: float = P(
        0.2,
        0.0,
        0.9,
        "Share of the company an application startup sells in a yearly growth round.",
        source="Carta, State of Private Markets 2023-2024: median dilution of a priced round about 20 % at seed and Series A, 15-17 % at Series B",
    )
    revenue_multiple: float = P(
        0.569144937995491,
        0.1,
        200.0,
        "Valuation per USD of annual revenue at zero growth.",
        fitted=True,
    )
    growth_horizon_years: float = P(
        2.0, 0.0, 10.0, "Years of current revenue growth investors extrapolate into a valuation."
    )
    growth_cap: float = P(2.0, 1.0, 50.0, "Highest yearly revenue growth investors extrapolate.")
    conversion_learning: float = P(
        0.0,
        0.0,
        5.0,
        "Investors count use not yet paid for at the paid share (the conversion seen so far) "
        "raised to this power; 0 counts all use at list prices.",
    )
    contender_value_share: float = P(
        0.8878854013369422,
        0.0,
        2.0,
        "A contender at the frontier is valued at this share of the leading lab (option on catching it).",
        fitted=True,
    )
    hype_premium: float = P(
        0.9608189999999999,
        0.0,
        10.0,
        "Extra valuation of the capability leader (decays by rank).",
        fitted=True,
    )
    failed_round_haircut: float = P(
        0.15, 0.0, 0.95, "Price cut at each retry after a failed round."
    )
    max_failed_rounds: int = P(2, 0, 20, "Failed rounds in a row a cash-starved lab survives.")
    algo_absorb_rate: float = P(
        0.3, 0.0, 1.0, "Share of its algorithmic gap to the frontier a lab closes per quarter."
    )
    open_weight_absorb: float = P(
        0.6, 0.0, 1.0, "Share of an open-weight release's algorithmic lead every lab can absorb."
    )
    compliance_bunching_share: float = P(
        0.1,
        0.0,
        10.0,
        "A lab keeps its run just under a threshold (up to 2x below its plan) when compliance "
        "would cost more than this share of the run.",
    )
    entry_model_share: float = P(
        0.08, 0.0, 1.0, "Share of new startups that set out to train their own models."
    )
    entry_ticket_share: float = P(
        0.03, 0.0, 10.0, "A new model lab's first ask as a share of the largest run's cost."
    )
    app_seed_busd: float = P(0.004, 0.0, 10.0, "Median first ask of an application startup, USD B.")
    strategic_acquisition_rate: float = P(
        0.25,
        0.0,
        1.0,
        "Chance per quarter that a market leader bids for its largest rising challenger.",
    )
    strategic_premium: float = P(
        1.3, 0.5, 5.0, "Price of a rising challenger over its current mark."
    )
    acquisition_price_share: float = P(
        0.5, 0.0, 5.0, "Price of a distressed lab as a share of its last post-money valuation."
    )


class InvestorBehaviour(Section):
    """Venture, sovereign, hyperscaler, vendor and parent capital."""

    vc_investment_quarters: int = P(
        12, 1, 80, "Quarters a venture fund takes to deploy its capital."
    )
    vc_fund_cycle_quarters: int = P(16, 1, 80, "Quarters between a firm's successive funds.")
    returns_elasticity: float = P(
        0.8, 0.0, 5.0, "Next fund size ∝ (marked TVPI)^elasticity: capital follows returns."
    )
    lp_growth_per_year: float = P(0.05, -0.5, 2.0, "Trend growth of LP commitments to AI venture.")
    deal_flow_draws: int = P(10, 1, 100, "Deals an investor examines per quarter.")
    deal_sharpness: float = P(1.2, 0.0, 20.0, "How strongly deal flow concentrates on hot labs.")
    round_fill_min: float = P(
        0.6, 0.05, 1.0, "Share of an ask that must be offered for a round to close."
    )
    vc_max_check_share: float = P(
        0.4, 0.01, 1.0, "Largest share of a round one venture fund takes."
    )
    vc_min_check_share: float = P(
        0.02,
        0.0,
        1.0,
        "A venture fund looks only at rounds its usual check would be at least this share of (ownership target).",
    )
    sovereign_ai_share: float = P(
        0.006, 0.0, 1.0, "Share of sovereign assets allocated to AI per year in 2020."
    )
    sovereign_ai_share_max: float = P(0.04, 0.0, 1.0, "Ceiling of that yearly allocation.")
    sovereign_hype_elasticity: float = P(
        0.6, 0.0, 10.0, "Elasticity of the sovereign AI allocation to AI valuations' growth."
    )
    sovereign_min_round_busd: float = P(
        0.5, 0.0, 1e4, "Smallest round a sovereign fund joins, USD B."
    )
    dc_tie_share: float = P(
        0.3,
        0.0,
        1.0,
        "Share of a Gulf sovereign's foreign lab investment tied to home data centres.",
    )
    hyperscaler_strategic_share: float = P(
        0.04, 0.0, 1.0, "Share of a cloud's operating cash flow set aside for lab stakes."
    )
    vendor_venture_share: float = P(
        0.02, 0.0, 1.0, "Share of a chip vendor's revenue put into labs."
    )
    parent_ai_share: float = P(
        0.02, 0.0, 1.0, "Share of a parent company's cash flow it gives its AI lab in 2020."
    )
    parent_ai_share_max: float = P(0.15, 0.0, 1.0, "Ceiling of that share.")
    parent_ai_elasticity: float = P(
        0.3,
        0.0,
        5.0,
        "Elasticity of the parent's share to the growth of AI spending in its home market.",
    )


class CloudBehaviour(Section):
    """Hyperscalers: capex, power, leasing."""

    expansion_horizon_quarters: int = P(
        4, 1, 40, "Quarters ahead a cloud plans capacity (chip and power lead time)."
    )
    demand_growth_cap: float = P(
        2.5, 1.0, 20.0, "Highest yearly demand growth a cloud extrapolates."
    )
    capacity_headroom: float = P(
        0.38148068159808757,
        0.0,
        5.0,
        "Spare capacity a cloud wants above expected demand.",
        fitted=True,
    )
    baseline_ai_capex_share: float = P(
        0.03,
        0.0,
        1.0,
        "Share of its parent's cash flow a cloud spent on accelerators for its own AI workloads in 2020.",
    )
    internal_ai_elasticity: float = P(
        0.3760888,
        0.0,
        5.0,
        "Elasticity of that share to the growth of AI spending worldwide.",
        fitted=True,
    )
    internal_ai_share_max: float = P(
        0.36560590000000004, 0.0, 1.0, "Ceiling of that share.", fitted=True
    )
    chip_choice_sharpness: float = P(
        3.0, 0.0, 100.0, "Logit sharpness of chip choice on useful compute per dollar."
    )
    chip_life_quarters: int = P(20, 4, 80, "Service life of an accelerator, quarters.")
    power_overhead: float = P(
        2.0,
        1.0,
        5.0,
        "Facility power per watt of chip TDP (servers, network, cooling).",
        source="SemiAnalysis/Epoch: ~1.4 kW all-in per 700 W H100",
    )
    power_lead_quarters: int = P(6, 0, 40, "Quarters to build data-centre power.")
    dc_capex_busd_per_mw: float = P(
        0.011,
        0.0,
        1.0,
        "Cost of data-centre shell and power per MW, USD B.",
        source="industry ~$10–12M/MW",
    )
    energy_usd_per_mwh: float = P(
        75.0, 0.0, 1000.0, "Energy price, USD per MWh.", source="EIA 2024"
    )
    largest_site_mw: float = P(
        5.0,
        0.1,
        1e5,
        "Power of the largest AI data-centre site in 2020, MW (about 10,000 V100s).",
        source="Epoch AI, 'Trends in AI supercomputers' (2025); Microsoft/OpenAI 2020 supercomputer",
    )
    site_growth_per_year: float = P(
        1.9,
        1.0,
        10.0,
        "Yearly growth of the largest site's power (a final training run fits on one site).",
        source="Epoch AI, 'Trends in AI supercomputers' (2025): power doubling about every 13 months",
    )
    payback_quarters: float = P(
        12.0,
        1.0,
        80.0,
        "Quarters over which a cloud prices in the cost of new hardware (not its physical life).",
    )
    server_overhead: float = P(
        1.4,
        1.0,
        5.0,
        "Server, network and storage cost per dollar of accelerator.",
        source="SemiAnalysis: accelerators ~70 % of an AI server's cost",
    )
    ai_capex_share_max: float = P(
        0.6, 0.0, 1.0, "Largest share of its parent's cash flow a cloud may draw for AI capex."
    )
    lease_margin: float = P(0.25, 0.0, 10.0, "Lease price markup over cost at normal utilisation.")
    lease_scarcity_elasticity: float = P(
        0.7, 0.0, 10.0, "Elasticity of lease prices to demand over capacity."
    )
    debt_capacity_years: float = P(1.5, 0.0, 20.0, "Debt a cloud may carry, in years of revenue.")
    interest_rate: float = P(0.06, 0.0, 1.0, "Yearly interest on cloud debt.")


class ChipBehaviour(Section):
    """Chip vendors: pricing, capacity, domestic catch-up."""

    scarcity_elasticity: float = P(
        0.12, 0.0, 5.0, "Change of a vendor's markup per log of order backlog over capacity."
    )
    markup_floor: float = P(1.2, 1.0, 100.0, "Lowest price over unit cost a vendor accepts.")
    markup_ceiling: float = P(12.0, 1.0, 100.0, "Highest price over unit cost.")
    capacity_invest_share: float = P(
        0.12, 0.0, 1.0, "Share of revenue a vendor invests in capacity."
    )
    capacity_cost_usd_per_unit: float = P(
        9000.0, 0.0, 1e7, "Capital cost of one unit per quarter of packaging capacity, USD."
    )
    foundry_growth_ceiling: float = P(
        0.15, 0.0, 5.0, "Fastest quarterly capacity growth at leading-edge foundries (CoWoS)."
    )
    domestic_growth_ceiling: float = P(
        0.22,
        0.0,
        5.0,
        "Fastest quarterly capacity growth at Chinese foundries without equipment controls.",
    )
    unit_cost_decline: float = P(0.08, 0.0, 0.9, "Yearly fall of a product's unit cost.")
    domestic_rd_share: float = P(
        0.25, 0.0, 1.0, "Share of revenue a domestic vendor spends on R&D."
    )
    domestic_learning: float = P(
        0.12,
        0.0,
        2.0,
        "Performance gain of a domestic vendor per doubling of cumulative shipments.",
    )
    domestic_rd_gain: float = P(
        0.04, 0.0, 5.0, "Quarterly performance gain per log10 of R&D spend (USD B) above 0.1."
    )
    domestic_ceiling_share: float = P(
        0.9,
        0.0,
        1.0,
        "Best a domestic vendor reaches without equipment controls, share of NVIDIA's best.",
    )
    ecosystem_scale_h100e: float = P(
        1.5e6,
        1.0,
        1e12,
        "Installed base at which a vendor has closed 63 % of its software gap, H100e.",
    )
    grey_premium: float = P(
        1.6, 1.0, 20.0, "Price multiple paid for chips bought through grey channels."
    )


# --------------------------------------------------------------------------------------------
# Policy sections (the levers; patched by the timeline)
# --------------------------------------------------------------------------------------------

LicenceMode = Literal["allow", "deny", "approve", "revenue_share"]


class Licence(Section):
    """What happens to an export that needs a licence in one tier."""

    mode: LicenceMode = "allow"
    approve_probability: float = Field(
        1.0, ge=0.0, le=1.0, description="Share of applications approved when mode = 'approve'."
    )
    revenue_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Share of revenue paid to the exporting state when mode = 'revenue_share'.",
    )


def _licences(**modes: str) -> dict[str, Licence]:
    return {tier: Licence(mode=mode) for tier, mode in modes.items()}


class ExportControl(Section):
    """US controls on AI chips (BIS rules of Oct 2022, Oct 2023, 2025)."""

    rule: Literal["none", "oct2022", "oct2023"] = Field(
        "none",
        description="Form of the chip rule in force: none; interconnect test (Oct 2022); TPP and "
        "performance density (Oct 2023).",
    )
    tpp_threshold: float = P(
        4800.0, 0.0, 1e6, "TPP at or above which a chip is controlled.", source="BIS 2022/2023"
    )
    interconnect_gbps: float = P(
        600.0,
        0.0,
        1e6,
        "Oct 2022 form: interconnect (GB/s) at or above which, with the TPP test, a chip is controlled.",
        source="BIS 7 Oct 2022",
    )
    density_tpp_floor: float = P(
        1600.0,
        0.0,
        1e6,
        "Oct 2023 form: TPP floor of the performance-density test.",
        source="BIS 17 Oct 2023",
    )
    density_threshold: float = P(
        5.92,
        0.0,
        1e4,
        "Oct 2023 form: performance density (TPP per mm² of die) at or above which a chip over the floor is controlled.",
        source="BIS 17 Oct 2023",
    )
    low_band_tpp: float = P(
        1000.0,
        0.0,
        1e6,
        "Chips under the thresholds but at or above this TPP form the 'China-specific' band "
        "(H20 class) that `low_band_licence` governs.",
    )
    tiers: dict[Region, Annotated[int, Field(ge=1, le=3)]] = Field(
        default_factory=lambda: {"US": 1, "ALLY": 1, "CN": 3, "GULF": 1, "ROW": 1},
        description="Tier of each region (1 = no licence, 2 = licence/caps, 3 = embargoed).",
        json_schema_extra={"source": "BIS Jan 2025 diffusion rule"},
    )

    @field_validator("tiers")
    @classmethod
    def _all_tiers(cls, v: dict[str, int]) -> dict[str, int]:
        defaults = {"US": 1, "ALLY": 1, "CN": 3, "GULF": 1, "ROW": 1}
        return {r: v.get(r, defaults[r]) for r in REGIONS}

    licence: dict[Literal["1", "2", "3"], Licence] = Field(
        default_factory=lambda: _licences(**{"1": "allow", "2": "allow", "3": "allow"}),
        description="Licence policy for controlled chips, by tier.",
    )

    @field_validator("licence")
    @classmethod
    def _all_licences(cls, v: dict[str, Licence]) -> dict[str, Licence]:
        return {t: v.get(t, Licence()) for t in ("1", "2", "3")}

    low_band_licence: Licence = Field(
        default_factory=Licence,
        description="Licence policy for China-specific band chips going to tier 3.",
    )
    tier2_cap_tpp_per_country: float = P(
        0.0,
        0.0,
        1e15,
        "Diffusion-rule cap on controlled compute per tier-2 country over 2025–27, TPP "
        "(0 = no cap).",
        source="BIS Jan 2025: 790M TPP",
    )
    leakage_rate: float = P(
        0.15, 0.0, 1.0, "Share of denied chip demand that leaks through grey channels."
    )
    cn_remote_access: float = P(
        0.3,
        0.0,
        1.0,
        "Share of Chinese labs' unmet compute demand they may rent in overseas clouds.",
    )


class EquipmentControl(Section):
    """Controls on chip-making equipment: they slow domestic Chinese vendors."""

    level: float = P(0.0, 0.0, 1.0, "Strength of controls on chip-making tools (0 none, 1 full).")
    ceiling_cut: float = P(
        0.75, 0.0, 1.0, "Share of the domestic performance ceiling removed at level 1."
    )
    capacity_cut: float = P(0.65, 0.0, 1.0, "Share of domestic capacity growth removed at level 1.")


class Screening(Section):
    """Investment screening (outbound from the US, inbound into US and allied labs)."""

    outbound_cn: bool = Field(
        False, description="US and allied investors barred from Chinese AI labs."
    )
    inbound_approval: dict[Region, Share] = Field(
        default_factory=lambda: dict.fromkeys(REGIONS, 1.0),
        description="Probability that a stake by an investor of this region in a US or allied lab is approved.",
        json_schema_extra={"invented": True},
    )

    @field_validator("inbound_approval")
    @classmethod
    def _all_regions(cls, v: dict[str, float]) -> dict[str, float]:
        return _fill_regions(v, 1.0)


class ThresholdRule(Section):
    """Compute-threshold regulation of one regional market."""

    flop: float = Field(
        1e35,
        ge=1e18,
        le=1e40,
        description="Training runs at or above this FLOP carry the obligations.",
    )
    cost_share: float = Field(
        0.0, ge=0.0, le=5.0, description="Compliance cost as a share of run cost."
    )
    fixed_cost_busd: float = Field(
        0.0, ge=0.0, le=100.0, description="Fixed compliance cost per run, USD B."
    )
    delay_quarters: int = Field(
        0, ge=0, le=12, description="Quarters of delay before a covered run may start."
    )


class ComputeThreshold(Section):
    """Compute-threshold rules by market (EU AI Act 1e25, US EO 14110 1e26)."""

    markets: dict[Region, ThresholdRule] = Field(
        default_factory=lambda: {r: ThresholdRule() for r in REGIONS},
        description="Rule in force in each regional market.",
    )

    @field_validator("markets")
    @classmethod
    def _all_regions(cls, v: dict[str, ThresholdRule]) -> dict[str, ThresholdRule]:
        return _fill_regions(v, ThresholdRule)


class Antitrust(Section):
    """Merger control on acquisitions of labs, and a structural remedy (break-up)."""

    breakup_share: float = P(
        0.0,
        0.0,
        1.0,
        "Break up a lab whose share of a market stays above this for a year (0 = never).",
    )
    max_combined_share: float = P(
        0.6,
        0.0,
        1.0,
        "Block an acquisition if the merged revenue share in any market exceeds this.",
    )
    max_hhi_delta: float = P(
        800.0,
        0.0,
        10_000.0,
        "Block an acquisition if it raises the market's HHI by more than this.",
    )


class RegionSubsidy(Section):
    """State support in one region."""

    vendor_busd_per_year: float = Field(
        0.0, ge=0.0, le=1e4, description="Grants to domestic chip vendors, USD B/yr."
    )
    lab_busd_per_year: float = Field(
        0.0, ge=0.0, le=1e4, description="Grants to domestic model labs, USD B/yr."
    )
    public_compute_h100e: float = Field(
        0.0,
        ge=0.0,
        le=1e9,
        description="Public compute given to startups and academia, H100e per quarter.",
    )
    procurement_domestic_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Share of data-centre purchases that must be domestic chips.",
    )


class Subsidy(Section):
    """Subsidies, public compute and procurement mandates by region."""

    regions: dict[Region, RegionSubsidy] = Field(
        default_factory=lambda: {r: RegionSubsidy() for r in REGIONS},
        description="Support in force in each region.",
    )

    @field_validator("regions")
    @classmethod
    def _all_regions(cls, v: dict[str, RegionSubsidy]) -> dict[str, RegionSubsidy]:
        return _fill_regions(v, RegionSubsidy)


class MarketAccess(Section):
    """Who may sell model services in which regional market, and with what appeal."""

    appeal: dict[Region, dict[Region, Annotated[float, Field(ge=0.0, le=1.0)]]] = Field(
        default_factory=lambda: {lab: dict.fromkeys(REGIONS, 1.0) for lab in REGIONS},
        description="Appeal multiplier of a lab of region A in market B (0 = no access).",
        json_schema_extra={"invented": True},
    )

    @field_validator("appeal")
    @classmethod
    def _all_regions(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        return {lab: _fill_regions(v.get(lab, {}), 1.0) for lab in REGIONS}


POLICY_SECTIONS: tuple[str, ...] = (
    "export_control",
    "equipment_control",
    "screening",
    "compute_threshold",
    "antitrust",
    "subsidy",
    "market_access",
)


class Intervention(Section):
    """A dated change of policy levers: ``set`` maps dotted policy paths to new values."""

    id: str = Field(..., min_length=1, max_length=80)
    quarter: str
    set: dict[str, Any]
    note: str = ""
    source: str = ""

    @field_validator("quarter")
    @classmethod
    def _quarter_label(cls, v: str) -> str:
        parse_quarter(v)
        return v

    @field_validator("set")
    @classmethod
    def _policy_keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key.split(".")[0] not in POLICY_SECTIONS:
                raise ValueError(
                    f"'{key}' is not a policy lever; timeline entries may set keys under "
                    + ", ".join(POLICY_SECTIONS)
                )
        return v


class Scenario(Section):
    """All inputs of a run. Build one with :func:`abm.load_scenario`."""

    name: str = "custom"
    description: str = ""
    start: str = Field("2020Q1", description="First quarter of the run.")
    steps: int = Field(64, ge=1, le=400, description="Quarters to run (64 = 2020Q1–2035Q4).")
    population: Population = Field(default_factory=Population)
    demand: Demand = Field(default_factory=Demand)
    labs: LabBehaviour = Field(default_factory=LabBehaviour)
    investors: InvestorBehaviour = Field(default_factory=InvestorBehaviour)
    clouds: CloudBehaviour = Field(default_factory=CloudBehaviour)
    chips: ChipBehaviour = Field(default_factory=ChipBehaviour)
    export_control: ExportControl = Field(default_factory=ExportControl)
    equipment_control: EquipmentControl = Field(default_factory=EquipmentControl)
    screening: Screening = Field(default_factory=Screening)
    compute_threshold: ComputeThreshold = Field(default_factory=ComputeThreshold)
    antitrust: Antitrust = Field(default_factory=Antitrust)
    subsidy: Subsidy = Field(default_factory=Subsidy)
    market_access: MarketAccess = Field(default_factory=MarketAccess)
    timeline: list[Intervention] = Field(default_factory=list)
    check_invariants: bool = Field(
        False, description="Check money and chip conservation after every step (slower; for tests)."
    )

    @field_validator("start")
    @classmethod
    def _start_label(cls, v: str) -> str:
        parse_quarter(v)
        return v

    @model_validator(mode="after")
    def _timeline_is_valid(self) -> Scenario:
        ids = [t.id for t in self.timeline]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"timeline ids must be unique; repeated: {sorted(dup)}")
        # Every timeline patch must produce a valid policy: check each entry against the schema.
        base = self.model_dump(include=set(POLICY_SECTIONS))
        for entry in self.timeline:
            problems = _check_patch(base, entry.set, prefix=f"timeline[{entry.id}].set")
            if problems:
                raise ValueError("; ".join(problems))
        return self

    # ---- derived views -----------------------------------------------------------------------

    @property
    def start_index(self) -> int:
        """Absolute quarter index of the first step."""
        return parse_quarter(self.start)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """Return a copy with dotted keys replaced, validated as a whole.

        >>> s = Scenario().with_overrides({"export_control.tpp_threshold": 2400})
        >>> s.export_control.tpp_threshold
        2400.0
        """
        data = self.model_dump()
        problems: list[str] = []
        for key, value in overrides.items():
            err = _set_path(data, key, value)
            if err:
                problems.append(err)
        if problems:
            raise ScenarioError(problems)
        return validate_scenario(data)

    def policy_at(self, quarter_index: int) -> dict[str, Any]:
        """Policy sections (plain dicts) in force at an absolute quarter index."""
        data = self.model_dump(include=set(POLICY_SECTIONS))
        for entry in sorted(self.timeline, key=lambda t: parse_quarter(t.quarter)):
            if parse_quarter(entry.quarter) <= quarter_index:
                for key, value in entry.set.items():
                    _set_path(data, key, value)
        return data

    def digest(self) -> str:
        """Stable hash of every input (used in run ids)."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# Validation helpers: dotted paths and readable messages
# --------------------------------------------------------------------------------------------


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> str | None:
    """Set ``data[a][b][c] = value`` for ``"a.b.c"``; return an error message for unknown keys."""
    parts = dotted.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[:i]) or "the scenario"
            known = sorted(node) if isinstance(node, dict) else []
            hint = difflib.get_close_matches(part, known, n=1)
            suggestion = f" (did you mean '{'.'.join([*parts[:i], hint[0]])}'?)" if hint else ""
            return f"{dotted}: unknown field '{part}' in {where}{suggestion}"
        if i == len(parts) - 1:
            node[part] = value
        else:
            node = node[part]
    return None


def _check_patch(base: dict[str, Any], patch: dict[str, Any], prefix: str) -> list[str]:
    data = json.loads(json.dumps(base))
    problems = [p for k, v in patch.items() if (p := _set_path(data, k, v))]
    if problems:
        return [f"{prefix}: {p}" for p in problems]
    try:
        for section in POLICY_SECTIONS:
            Scenario.model_fields[section].annotation.model_validate(data[section])  # type: ignore[union-attr]
    except ValidationError as exc:
        return [f"{prefix}: {m}" for m in _messages(exc, Scenario, root=section)]
    return []


def _bounds(model: type[BaseModel], path: tuple[Any, ...]) -> str | None:
    """Describe the allowed range of the field at ``path`` (numbers), or None if unbounded."""
    from typing import get_args, get_origin

    annotation: Any = model
    metadata: list[Any] = []
    for part in path:
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation, metadata = field.annotation, list(field.metadata)
        elif origin is dict:
            value_type = get_args(annotation)[1]
            if get_origin(value_type) is Annotated:
                args = get_args(value_type)
                annotation = args[0]
                metadata = [m for a in args[1:] for m in getattr(a, "metadata", [a])]
            else:
                annotation, metadata = value_type, []
        elif origin is Annotated:
            args = get_args(annotation)
            annotation = args[0]
            metadata = [m for a in args[1:] for m in getattr(a, "metadata", [a])]
        else:
            return None
    lo = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in metadata if hasattr(m, "le")), None)
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(annotation))
    if lo is None and hi is None:
        return None
    return f"from {lo} to {hi}"


def _messages(exc: ValidationError, model: type[BaseModel], root: str | None = None) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if root is not None:
            loc = (root, *loc)
        path = ".".join(str(p) for p in loc) or "scenario"
        if err["type"] == "extra_forbidden":
            parent = loc[:-1]
            known: list[str] = []
            try:
                sub: Any = model
                for part in parent:
                    sub = sub.model_fields[str(part)].annotation
                known = list(sub.model_fields)
            except (AttributeError, KeyError):
                pass
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            out.append(f"{path}: unknown field{suggestion}")
            continue
        value = err.get("input")
        shown = (
            json.dumps(value)
            if isinstance(value, str | int | float | bool)
            else type(value).__name__
        )
        allowed = _bounds(model, loc)
        msg = f"{path} = {shown}: {err['msg']}"
        if allowed:
            msg += f" (allowed: {allowed})"
        out.append(msg)
    return out


def validate_scenario(data: dict[str, Any]) -> Scenario:
    """Validate plain data into a :class:`Scenario`, raising :class:`ScenarioError` on problems."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_messages(exc, Scenario)) from None


def parameter_table(model: type[BaseModel] = Scenario, prefix: str = "") -> list[dict[str, Any]]:
    """Every leaf parameter with its default, bounds, description and provenance.

    Used to write the README's table of invented parameters, so the table cannot drift from code.
    """
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and ann is not Intervention:
            rows.extend(parameter_table(ann, path + "."))
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(
            {
                "path": path,
                "default": field.get_default(call_default_factory=True),
                "bounds": _bounds(model, (name,)),
                "description": field.description or "",
                "invented": bool(extra.get("invented")),
                "fitted": extra.get("fitted", ""),
                "source": extra.get("source", ""),
            }
        )
    return rows
