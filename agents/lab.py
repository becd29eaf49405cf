"""Labs: frontier labs, big-tech labs, open-weight labs, national champions, challengers and
application startups (DESIGN.md §3).

State lives in :class:`LabTable` (one numpy array per field); a :class:`Lab` is a Mesa agent
that only points at its row. The decision rules below run once per quarter over all rows:

- :func:`absorb_algorithms` — followers close part of their algorithmic gap to the frontier;
  open-weight releases let everyone jump;
- :func:`plan_runs` — a lab between runs plans the next one (a multiple of its last, or a
  fraction of the largest so far), sized to what it can afford, pays compliance cost or stays
  under a regulatory threshold;
- :func:`compute_requests` — H100e it asks the cloud market for, for training and inference;
- :func:`progress_runs` — runs accumulate FLOP from the compute obtained and complete;
- :func:`price_rounds` — valuations priced off revenue growth and capability rank, and rounds
  asked when runway is short or the next run needs more cash.

Units: USD B, useful H100e (chips' H100e times their vendor's software maturity), FLOP,
capability in log10 effective FLOP (training FLOP times algorithmic efficiency).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from abm.kernels import compute as compute_kernels
from abm.kernels import fundraising
from abm.ledger import ACCOUNT_INDEX
from abm.regions import BLOC_OF_REGION, N_REGIONS, REGIONS, WEST_BLOC
from abm.table import Table

if TYPE_CHECKING:
    from abm.model import AIMarketModel

BLOC = np.array(BLOC_OF_REGION)
ARCHETYPES: tuple[str, ...] = (
    "frontier",
    "bigtech",
    "open_weight",
    "champion",
    "challenger",
    "app",
)
FRONTIER, BIGTECH, OPEN_WEIGHT, CHAMPION, CHALLENGER, APP = range(len(ARCHETYPES))
_ALGO_LEADERS = np.array([FRONTIER, BIGTECH])  # set the frontier in the leading bloc
NO_MODEL = -np.inf


class LabTable(Table):
    """All labs, one row each. Money in USD B; compute in useful H100e; runs in FLOP."""

    FIELDS: ClassVar[dict[str, tuple[Any, int, Any]]] = {
        "region": (np.int8, 0, 0),
        "archetype": (np.int8, 0, APP),
        "open_weight": (np.bool_, 0, False),
        "entered": (np.int32, 0, 0),  # absolute quarter of entry
        "exited": (np.int32, 0, -1),
        "pedigree": (np.float64, 0, 1.0),  # team quality (1 = typical)
        "ambition": (
            np.float64,
            0,
            0.0,
        ),  # ceiling of its runs, share of the largest run a site allows
        "niche": (np.float64, 0, 0.0),  # application startups: log appeal of their niche
        "niche_appeal": (np.float64, 0, 1.0),  # e^niche, set with the niche (add_labs)
        "cash": (np.float64, 0, 0.0),
        "credit": (np.float64, 0, 0.0),  # cloud credits, spendable only at the partner cloud
        "prepaid": (
            np.float64,
            0,
            0.0,
        ),  # compute already paid for at the partner (a claim, not money)
        "partner": (np.int32, 0, -1),  # cloud row serving this lab first
        "parent": (np.int32, 0, -1),  # parent company's cloud row (big-tech labs)
        "patron": (np.float64, 0, 0.0),  # USD B per quarter from an outside patron
        "revenue": (np.float64, 0, 0.0),  # USD B this quarter
        "potential_revenue": (np.float64, 0, 0.0),  # its share of demand, served or not
        "revenue_hist": (np.float64, 5, 0.0),  # ring buffer: revenue of the last 5 quarters
        "share": (np.float64, N_REGIONS, 0.0),  # last quarter's share in each market
        "spend_cum": (np.float64, 0, 0.0),  # application startups: cumulative growth spend
        "team_cost": (np.float64, 0, 0.0),  # staff and go-to-market, USD B per quarter
        "algo": (np.float64, 0, 0.0),  # log10 algorithmic efficiency vs the 2020Q1 frontier
        "capability": (np.float64, 0, NO_MODEL),  # log10 effective FLOP of the best model
        "best_flop": (np.float64, 0, 0.0),
        "best_cost": (np.float64, 0, 0.0),
        "last_flop": (np.float64, 0, 0.0),
        "run_target": (np.float64, 0, 0.0),  # FLOP of the planned or running run (0 = none)
        "run_done": (np.float64, 0, 0.0),
        "run_cost": (np.float64, 0, 0.0),  # USD B of final-run compute so far
        "run_age": (np.int16, 0, 0),  # quarters into the run; negative = waiting for clearance
        "idle": (np.int16, 0, 0),  # quarters since the last run ended
        "final_req": (np.float64, 0, 0.0),  # H100e for the final run this quarter
        "train_req": (np.float64, 0, 0.0),  # final run plus research
        "inf_req": (np.float64, 0, 0.0),
        "train_got": (np.float64, 0, 0.0),
        "inf_got": (np.float64, 0, 0.0),
        "compute_spend": (np.float64, 0, 0.0),  # USD B paid for compute this quarter
        "compute_cost_basis": (np.float64, 0, 0.0),  # the same compute at the providers' cost
        "offered": (np.float64, 0, 0.0),  # USD B offered in the last failed round
        "lease_price": (np.float64, 0, 0.0),  # expected USD B per useful H100e-quarter
        "valuation": (np.float64, 0, 0.0),  # last post-money
        "mark": (np.float64, 0, 0.0),  # what investors would pay now (pre-money estimate)
        "shares_out": (np.float64, 0, 1.0),  # founders hold the first share
        "ask": (np.float64, 0, 0.0),
        "ask_pre": (np.float64, 0, 0.0),
        "first_ask": (np.float64, 0, 0.0),  # entrants: the round they start with
        "failed": (np.int16, 0, 0),  # failed rounds in a row
        "dominant": (np.int16, 0, 0),  # quarters in a row above the break-up share
        "last_round": (np.int32, 0, -99),  # absolute quarter of the last closed round
        "raised_total": (np.float64, 0, 0.0),
    }
    # Stored column by column: the quarter's revenue is written, and last year's read, over
    # every row at once; the application startups' shares (column 0, their home market) are
    # read and written over every row each quarter, a model lab's five only for a few rows.
    BY_COLUMN: ClassVar[frozenset[str]] = frozenset({"revenue_hist", "share"})


class Lab(mesa.Agent):
    """A lab. Attributes read the model's lab table; nothing is stored on the object."""

    @property
    def row(self) -> int:
        """Row of this lab in ``model.labs``."""
        return self.model.row_of(self.unique_id)

    def _get(self, field: str) -> float:
        return float(getattr(self.model.labs, field)[self.row])

    name = property(lambda self: self.model.lab_name(self.row))
    region = property(lambda self: REGIONS[int(self.model.labs.region[self.row])])
    archetype = property(lambda self: ARCHETYPES[int(self.model.labs.archetype[self.row])])
    alive = property(lambda self: bool(self.model.labs.alive[self.row]))
    cash = property(lambda self: self._get("cash"))
    credit = property(lambda self: self._get("credit"))
    revenue = property(lambda self: self._get("revenue"))
    valuation = property(lambda self: self._get("valuation"))
    capability = property(lambda self: self._get("capability"))
    best_flop = property(lambda self: self._get("best_flop"))
    compute = property(lambda self: self._get("train_got") + self._get("inf_got"))

    def __repr__(self) -> str:
        return f"Lab({self.name!r}, {self.archetype}, {self.region})"


# ------------------------------------------------------------------------------------------------
# Decision rules (vectorised over all rows)
# ------------------------------------------------------------------------------------------------


def model_lab_mask(labs: LabTable) -> np.ndarray:
    """Alive labs that train their own models."""
    n = labs.n
    return labs.alive[:n] & (labs.archetype[:n] != APP)


def model_lab_rows(labs: LabTable) -> np.ndarray:
    """Rows of alive labs that train their own models (a few per cent of all rows)."""
    n = labs.n
    return fundraising.rows_not_of(labs.alive[:n], labs.archetype[:n], APP)


def absorb_algorithms(model: AIMarketModel, rows: np.ndarray) -> None:
    """Followers close a share of their gap to the algorithmic frontier; open weights help all.

    The frontier is set by the US-led bloc's frontier and big-tech labs. Others gain
    ``algo_absorb_rate`` of their gap each quarter, and at least ``open_weight_absorb`` of the
    best open-weight release. ``rows``: the model labs.
    """
    labs, w, s = model.labs, model.world, model.scenario.labs
    compute_kernels.absorb_algorithms(
        rows,
        labs.algo,
        labs.archetype,
        labs.region,
        BLOC,
        _ALGO_LEADERS,
        WEST_BLOC,
        float(w.algo_frontier),
        float(s.algo_absorb_rate),
        float(w.open_algo),
        float(1.0 - s.open_weight_absorb),
    )


def plan_runs(model: AIMarketModel, rows: np.ndarray) -> None:
    """Model labs between runs plan their next one; covered runs pay compliance or stay
    under the line. ``rows``: the model labs."""
    labs, s, w = model.labs, model.scenario.labs, model.world
    # Compiled: runs waiting for regulatory clearance count down; labs between runs choose
    # the next (the numpy version is in tests/abm/test_kernels_compute.py).
    idx, size, run_cost = compute_kernels.choose_runs(
        rows,
        labs.run_target,
        labs.run_age,
        labs.idle,
        labs.ambition,
        labs.region,
        labs.last_flop,
        labs.lease_price,
        labs.cash,
        labs.credit,
        labs.prepaid,
        w.max_run_flop(s.run_quarters),
        w.flop_per_h100e_quarter,
        s.run_gap_quarters,
        s.run_multiple,
        s.frontier_fraction,
        w.entry_run_flop,
        s.training_cash_share,
    )
    if idx.size == 0:
        return
    size, comply_cost, delay = model.policy.compliance(
        size, run_cost, labs.region[idx], s.compliance_bunching_share
    )
    compute_kernels.start_runs(
        idx,
        size,
        comply_cost,
        delay,
        labs.cash,
        labs.run_target,
        labs.run_done,
        labs.run_cost,
        labs.run_age,
        model.ledger.outflow,
        ACCOUNT_INDEX["governments"],
    )


def next_run_flop(model: AIMarketModel, rows: np.ndarray) -> np.ndarray:
    """FLOP of the next run each of ``rows`` would plan now.

    A lab scales its last run by at most ``run_multiple`` (or jumps to ``frontier_fraction`` of
    its ceiling to catch up), and aims no higher than its archetype's ``ambition`` times the
    largest run one site of its region allows now.
    """
    labs, w, s = model.labs, model.world, model.scenario.labs
    return compute_kernels.next_run_flop(
        rows,
        labs.ambition,
        labs.region,
        labs.last_flop,
        w.max_run_flop(s.run_quarters),
        float(s.run_multiple),
        float(s.frontier_fraction),
        float(w.entry_run_flop),
    )


def compute_requests(model: AIMarketModel, rows: np.ndarray, inference_per_busd: float) -> None:
    """Useful H100e each model lab asks for this quarter: the final run's share (on one site),
    research compute for the run it is working towards (every quarter), and inference for
    its sales. Requests are capped by what the lab can pay at its expected price, inference
    (which earns revenue) first, then the final run, then research. ``rows``: the model labs.
    """
    labs, s, w = model.labs, model.scenario.labs, model.world
    # Compiled: the same per-row arithmetic as the numpy version in tests/abm/test_kernels_compute.py.
    compute_kernels.compute_requests(
        rows,
        labs.run_target,
        labs.run_age,
        labs.run_done,
        labs.last_flop,
        labs.ambition,
        labs.region,
        labs.potential_revenue,
        labs.lease_price,
        labs.cash,
        labs.credit,
        labs.prepaid,
        labs.team_cost,
        w.site_h100e,
        w.max_run_flop(s.run_quarters),
        w.flop_per_h100e_quarter,
        s.run_quarters,
        s.run_quarters + s.run_gap_quarters,
        s.run_multiple,
        s.frontier_fraction,
        w.entry_run_flop,
        s.experiment_overhead,
        model.demand_momentum,
        inference_per_busd,
        labs.final_req,
        labs.train_req,
        labs.inf_req,
    )


def progress_runs(
    model: AIMarketModel, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add this quarter's training FLOP to each run; complete runs that are done or overdue.

    ``rows``: the model labs. Returns the rows, FLOP and final-run compute cost (USD B) of
    runs completed this quarter.
    """
    labs, w, s = model.labs, model.world, model.scenario.labs
    # A run's cost at the providers' cost of compute (hardware, energy, building), as Cottier
    # et al. measure it; what the lab paid on top is the clouds' margin. Compiled; the numpy
    # version is the reference in tests/abm/test_kernels_compute.py.
    ended, done = compute_kernels.advance_runs(
        rows,
        labs.run_target,
        labs.run_age,
        labs.run_done,
        labs.run_cost,
        labs.idle,
        labs.train_got,
        labs.inf_got,
        labs.final_req,
        labs.compute_cost_basis,
        w.flop_per_h100e_quarter,
        s.run_quarters,
    )
    # Compiled: completed runs become models, ended runs are cleared; the logarithm stays in
    # numpy.
    flop, cost, open_best, top = compute_kernels.finish_runs(
        done,
        ended,
        np.log10(labs.run_done[done]),
        labs.run_target,
        labs.run_done,
        labs.run_cost,
        labs.run_age,
        labs.algo,
        labs.best_flop,
        labs.best_cost,
        labs.capability,
        labs.last_flop,
        labs.open_weight,
    )
    if open_best > -np.inf:
        w.open_algo = max(w.open_algo, float(open_best))
    if top >= 0 and flop[top] > w.frontier_flop:
        w.frontier_flop = float(flop[top])
        w.frontier_cost = float(cost[top])
    return done, flop, cost


def price_rounds(model: AIMarketModel) -> tuple[np.ndarray, np.ndarray, float]:
    """What investors will pay for each lab before new money (USD B), and who asks for a round
    this quarter and for how much; sets ``ask`` and ``ask_pre`` on the rows asking and
    ``mark`` on every row. Returns the pre-money of every row, the rows asking (ascending) and
    the marks' sum.

    **Pre-money.** The larger of a market value and, for model labs, a capability value, with a
    premium for the capability leaders. The market value is an annual base x
    ``revenue_multiple`` x the growth investors extrapolate over ``growth_horizon_years``. The
    base is revenue plus what its users' use (for a model lab, its share of demand, served or
    not) is worth beyond it at list prices, counted at the conversion seen so far
    (``paid_share ** conversion_learning``); a model lab's growth is the AI market's pace, an
    application startup's its own revenue's. The capability value prices a contender as an
    option on catching the leader: ``contender_value_share`` of the leading model lab's market
    value, falling tenfold per order of magnitude of training compute behind the largest run,
    scaled by team pedigree. Earlier prices anchor it from below; each failed round cuts it.

    **Asks.** Model labs ask when the next run plus ``runway_quarters`` of staff exceeds their
    cash, and once a year for a war chest (``war_chest_share`` of their pre-money); application
    startups when their runway is short, and once a year for a growth round (selling
    ``growth_round_dilution`` of the company) when they can raise at an up-round (pre-money
    above their last post-money). Big-tech labs (parent-funded) and labs with an outside patron
    do not ask. A round sells at most ``max_dilution`` of the company; after a failed round a
    lab asks for about what investors offered.

    **Marks.** Investors mark every lab (``labs.mark``) at the larger of its pre-money and its
    last post-money (0 once dead).

    Compiled: growth, market value and the row lists in one pass
    (``fundraising.growth_and_value``);
    the powers, logarithms and the leaders' ranks in numpy; then price, mark and ask in one
    pass (``fundraising.price_and_ask``).
    """
    labs, w, s = model.labs, model.world, model.scenario.labs
    n = labs.n
    hist = w.demand_history
    market_growth = hist[-1] / hist[-5] if len(hist) >= 5 and hist[-5] > 0 else 1.0
    # Compiled: growth, base, and the rows of model labs, of those with a capability, and of
    # labs with failed rounds, in one pass.
    market, own_rows, own_growth, value, m, idx, most_failed = fundraising.growth_and_value(
        labs.alive[:n],
        labs.archetype[:n],
        APP,
        labs.capability[:n],
        labs.failed[:n],
        labs.revenue[:n],
        labs.revenue_hist[:n, model.ring_slot_year_ago()],
        labs.potential_revenue[:n],
        float(market_growth),
        float(s.growth_cap),
        float(w.paid_share**s.conversion_learning),
        float(s.revenue_multiple),
    )
    # Capability value (model labs only): 10^-gap, gap in orders of magnitude behind the largest run.
    best = fundraising.best_runs(m, labs.best_flop, labs.run_done)
    minus_gap = fundraising.minus_gaps(float(np.log10(max(w.frontier_flop, 1.0))), np.log10(best))
    # Each failed round cuts the price: (1 - haircut)^failures, read from a table of the
    # powers (the same numpy powers, computed once per count rather than once per lab).
    haircut = (1.0 - s.failed_round_haircut) ** np.arange(most_failed + 1)
    pricing = (
        value,  # becomes the pre-money
        float((market**s.growth_horizon_years)[0]),
        own_rows,
        own_growth**s.growth_horizon_years,
        m,
        10.0**minus_gap,
        labs.pedigree[:n],
        float(s.contender_value_share),
        idx,
        fundraising.hype_factors(idx, labs.capability, _hype_table(s.hype_premium)),
        haircut,
    )
    return fundraising.price_and_ask(
        pricing,
        labs.alive[:n],
        labs.archetype[:n],
        labs.patron[:n],
        labs.cash[:n],
        labs.credit[:n],
        labs.prepaid[:n],
        labs.team_cost[:n],
        labs.compute_spend[:n],
        labs.revenue[:n],
        (  # the next run plus a cycle of research towards it (model labs only)
            labs.ambition,
            labs.region,
            labs.last_flop,
            labs.lease_price,
            w.max_run_flop(s.run_quarters),
            float(s.run_multiple),
            float(s.frontier_fraction),
            float(w.entry_run_flop),
            float(1.0 + s.experiment_overhead),
            float(w.flop_per_h100e_quarter),
        ),
        labs.valuation[:n],
        labs.raised_total[:n],
        labs.last_round[:n],
        labs.failed[:n],
        labs.offered[:n],
        labs.first_ask[:n],
        model.quarter_index,
        float(s.training_cash_share),
        float(s.runway_quarters),
        float(s.war_chest_share),
        s.growth_round_dilution / (1.0 - s.growth_round_dilution),
        s.max_dilution / (1.0 - s.max_dilution),
        APP,
        BIGTECH,
        labs.ask,
        labs.ask_pre,
        labs.mark,
    )


@functools.cache
def _hype_table(premium: float) -> np.ndarray:
    """The leaders' premium factor ``1 + premium x e^(-rank / 1.5)`` for the ranks at which it
    is not exactly 1 (numpy's exponentials, as over every rank); read-only."""
    ranks = 1 + int(np.ceil(1.5 * (np.log(max(premium, 1e-300)) + 60.0 * np.log(2.0))))
    table = 1.0 + premium * np.exp(-np.arange(max(ranks, 1), dtype=np.float64) / 1.5)
    assert 1.0 + premium * np.exp(-ranks / 1.5) == 1.0
    table.flags.writeable = False
    return table


def deal_score(model: AIMarketModel, rows: np.ndarray) -> np.ndarray:
    """How attractive an ask looks to investors (log scale): team, momentum, scale, capability."""
    labs, w = model.labs, model.world
    # Compiled gathers and arithmetic; the logarithms stay in numpy.
    ped, growth, best, size = fundraising.deal_score_inputs(
        rows,
        labs.revenue,
        labs.revenue_hist[:, model.ring_slot_year_ago()],
        labs.best_flop,
        labs.pedigree,
        labs.ask_pre,
    )
    return fundraising.deal_score_sum(
        rows,
        np.log(ped),
        np.log(growth),
        np.log10(size),
        float(np.log10(max(w.frontier_flop, 1.0))),
        np.log10(best),
        labs.archetype,
        APP,
        labs.niche,
    )
