"""AIMarketModel: the world, one quarter per step (DESIGN.md §1, §4).

State lives in model-owned tables (``labs``, ``clouds``, ``vendors``, ``funds``,
``sovereigns``; struct of arrays) and each Mesa agent is a handle onto its row. A step runs
the quarter's phases in order — policy, chips, compute, product, capital, demography,
metrics — each a module in ``abm/phases`` that calls the agents' vectorised decision rules and
the pure clearing functions in ``abm/markets``.

Public surface (used by the experiments, the browser app and the tests)::

    model = AIMarketModel(load_scenario("baseline"), rng=42)
    model.run_for(model.scenario.steps)
    model.metrics(); model.events(); model.network; model.summary()
"""

from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np
import polars as pl

from abm import population
from abm.calendar import quarter_label, year_of
from abm.catalogue import Catalogue
from abm.events import EventLog
from abm.holdings import Holdings
from abm.kernels import holdings as holdings_kernels
from abm.ledger import Ledger
from abm.metrics import MetricRecorder, QuarterStats
from abm.network import FlowNetwork
from abm.phases import capital, chips, compute, demography, product
from abm.policy import Policy
from abm.regions import REGIONS
from abm.scenario import Scenario
from abm.scenario_files import load_scenario
from abm.world import World
from agents.chip_vendor import VendorTable
from agents.hyperscaler import cloud_table_class
from agents.lab import APP, ARCHETYPES, LabTable, model_lab_rows
from agents.sovereign_fund import SovereignTable
from agents.venture_fund import FundTable

TABLES: tuple[str, ...] = ("labs", "clouds", "vendors", "funds", "sovereigns")
"""The model's agent tables, in the order of the codes of ``AIMarketModel._uid_kind``."""
SUMMARY_YEARS = (2025, 2030, 2035)
SUMMARY_METRICS = (
    "hhi_revenue",
    "hhi_compute",
    "top3_revenue_share",
    "n_frontier_labs",
    "n_labs_alive",
    "vc_funding_total",
    "top5_funding_share",
    "startups_funded",
    "sovereign_funding_total",
    "hyperscaler_funding_total",
    "max_training_flop",
    "max_training_cost",
    "compute_share.US",
    "compute_share.CN",
    "cn_domestic_chip_share",
    "frontier_capability.US",
    "frontier_capability.CN",
    "us_cn_gap_years",
    "cross_bloc_capital_share",
    "network_modularity_bloc",
    "leader_valuation",
    "total_ai_revenue",
)


STAKES_PER_SCALE = 131_072
LAB_ROWS_PER_OPENING_LAB = 9.0
"""Lab rows reserved per lab of the opening population. Entry adds rows until compaction
drops the dead (at a quarter of the table): the baseline's table peaks at about 7.6 rows per
opening lab by 2035, the ``scale`` scenario's at about 3.5. Reserving them up front spares
the run the copies of growing every column; unused zero-filled rows cost no memory."""


class AIMarketModel(mesa.Model):
    """Agent-based market model of the AI industry. One step is one quarter."""

    def __init__(self, scenario: Scenario | str | None = None, rng: Any = None):
        """Build the world at the scenario's start quarter.

        Args:
            scenario: a validated :class:`Scenario`, a preset name or a TOML path
                (default: ``baseline``).
            rng: seed or ``numpy.random.Generator`` (Mesa 3 seeding). Same scenario and seed
                give identical results.
        """
        if scenario is None:
            scenario = load_scenario("baseline")
        elif isinstance(scenario, str):
            scenario = load_scenario(scenario)
        self._config: Scenario = scenario
        super().__init__(rng=rng)
        s = scenario
        self.region_names = REGIONS
        self.t = 0
        self.quarter_index = s.start_index
        self.end_quarter = s.start_index + s.steps - 1
        self.ledger = Ledger()
        self.event_log = EventLog()
        self.flows = FlowNetwork()
        self._model_rows: np.ndarray | None = None  # model_lab_rows, once a quarter
        # About 10^5 stakes per unit of population scale over 64 quarters (10^6 at scale 10):
        # reserved up front, mapped by the OS only as stakes arrive (abm/holdings.py).
        self.holdings = Holdings(capacity=int(STAKES_PER_SCALE * max(s.population.scale, 0.1)))
        self.world = World(paid_share=scenario.demand.paid_share_start)
        self.stats = QuarterStats()
        self.retired_above = [0, 0]
        self.public_compute_price = (0.0,) * len(REGIONS)
        # H100e of public AI supercomputers coming online, by quarter index, per cloud row
        # (filled by abm.population from abm/data/public_compute.csv).
        self.public_due: dict[int, np.ndarray] = {}
        self.inference_per_busd = scenario.demand.inference_h100e_per_busd
        self._uid_row = np.full(1024, -1, dtype=np.int64)
        self._uid_kind = np.full(1024, -1, dtype=np.int8)  # index into TABLES
        self._handles: dict[int, mesa.Agent] = {}
        self._retired_names: dict[int, str] = {}  # dead labs that had their own name
        # Region and archetype of dead labs, by uid (-1 while alive); synthetic names and
        # regions of dead labs are made from these when shown.
        self._retired_region = np.full(1024, -1, dtype=np.int8)
        self._retired_archetype = np.full(1024, -1, dtype=np.int8)
        self.labs_ever = 0
        self.ambition = np.array([s.labs.ambition.get(a, 0.0) for a in ARCHETYPES])

        vendor_rows = population.vendor_rows()
        self.vendors = VendorTable(len(vendor_rows))
        self.catalogue = Catalogue([r["name"] for r in vendor_rows], self.end_quarter)
        self.clouds = cloud_table_class(len(vendor_rows))(32)
        self.funds = FundTable(int(s.population.vc_funds * s.population.scale) + 32)
        self.sovereigns = SovereignTable(32)
        self.labs = LabTable(
            int(
                (s.population.app_startups + s.population.model_startups)
                * s.population.scale
                * LAB_ROWS_PER_OPENING_LAB
            )
            + 64
        )
        population.build(self, vendor_rows)
        self.policy = Policy(s, self.catalogue, population.region_countries())
        self.recorder = MetricRecorder(self)
        self.ledger.opening_balance = self.internal_balance()
        self.running = True

    # ---- Mesa's Model assigns its own rng-holding Scenario through this property; keep it apart.

    @property
    def scenario(self) -> Scenario:
        """The validated scenario this model runs."""
        return self._config

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if isinstance(value, Scenario):
            self._config = value
        else:
            self._mesa_scenario = value
            value.model = self

    # ---- the quarter ---------------------------------------------------------------------------

    def step(self) -> None:
        """Simulate one quarter: policy, chips, compute, product, capital, demography, metrics."""
        if self.t >= self.scenario.steps:
            self.running = False
            return
        q = self.quarter_index
        carry = self.stats
        self.stats = QuarterStats(
            chips_shipped_h100e=carry.chips_shipped_h100e,
            chips_installed_h100e=carry.chips_installed_h100e,
            chips_leaked_h100e=carry.chips_leaked_h100e,
            barred_licensed_units=carry.barred_licensed_units,
        )
        self.flows.start_quarter()
        for entry in self.policy.update(q):
            self.event_log.add(q, "rule_change", np.array([-1]), detail=f"{entry.id}: {entry.note}")
        population.activate_founded(self)
        self.world.algo_frontier += np.log10(2.0) * 3.0 / self.scenario.labs.algo_halving_months
        chips.run(self)
        compute.run(self)
        product.run(self)
        capital.run(self)
        demography.run(self)
        self.recorder.record(self)
        if self.scenario.check_invariants:
            self.check_invariants()
        self.t += 1
        self.quarter_index += 1
        if self.t >= self.scenario.steps:
            self.running = False

    # ---- public surface --------------------------------------------------------------------------

    @property
    def quarter(self) -> str:
        """Label of the next quarter to simulate (the last one simulated once the run is over)."""
        return quarter_label(min(self.quarter_index, self.end_quarter))

    def metrics(self) -> pl.DataFrame:
        """One row per simulated quarter: ``quarter`` label and every metric of DESIGN.md §7."""
        return self.recorder.frame()

    def events(self) -> pl.DataFrame:
        """Funding rounds, failed rounds, bankruptcies, acquisitions, rule changes, completed runs, entries."""
        return self.event_log.frame(quarter_label, lambda uids: self.node_columns(uids)["name"])

    @property
    def network(self) -> nx.DiGraph:
        """Capital and compute flows between agents (updated lazily on access)."""
        return self.flows.graph(self.node_info, quarter_label)

    def network_frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The investment network as two tables, built from the flow log without networkx.

        ``nodes``: id, type, region, name. ``edges``: source, target, cumulative USD B by kind
        (``equity_busd``, ``chips_busd``, ``compute_busd``) and in total (``amount_busd``),
        ``first_quarter`` and ``last_quarter`` labels. Same content as :attr:`network`.
        """
        e = self.flows.edges()
        ids = np.unique(np.concatenate([e["source"], e["target"]]))
        nodes = pl.DataFrame(
            {"id": ids, **self.node_columns(ids)},
            schema={"id": pl.Int64, "type": pl.Utf8, "region": pl.Utf8, "name": pl.Utf8},
        )
        # Quarter labels gathered inside polars from the few distinct ones: converting a numpy
        # array of a hundred thousand strings costs several times more.
        first = int(e["first_quarter"].min(initial=self.end_quarter))
        labels = pl.Series(
            [quarter_label(q) for q in range(first, self.end_quarter + 1)], dtype=pl.Utf8
        )
        edges = pl.DataFrame(
            {
                "source": e["source"],
                "target": e["target"],
                "amount_busd": e["amount_busd"],
                "equity_busd": e["equity_busd"],
                "chips_busd": e["chips_busd"],
                "compute_busd": e["compute_busd"],
                "first_quarter": labels.gather(e["first_quarter"] - first),
                "last_quarter": labels.gather(e["last_quarter"] - first),
            },
            schema={
                "source": pl.Int64,
                "target": pl.Int64,
                "amount_busd": pl.Float64,
                "equity_busd": pl.Float64,
                "chips_busd": pl.Float64,
                "compute_busd": pl.Float64,
                "first_quarter": pl.Utf8,
                "last_quarter": pl.Utf8,
            },
        )
        return nodes, edges

    def summary(self) -> dict[str, float]:
        """Scalar outcomes for sweeps: key metrics at the end and at 2025, 2030 and 2035."""
        df = self.recorder
        k = len(df.quarters)
        out: dict[str, float] = {"quarters": float(k)}
        if k == 0:
            return out
        years = np.array([year_of(q) for q in df.quarters])
        for name in SUMMARY_METRICS:
            col = df.values[:k, df.col[name]]
            out[f"{name}.end"] = float(col[-1])
            for y in SUMMARY_YEARS:
                sel = np.flatnonzero(years == y)
                if sel.size:
                    out[f"{name}.{y}"] = float(col[sel[-1]])
        out["labs_ever"] = float(self.labs_ever)
        out["rounds"] = float(self.event_log.count("round"))
        out["funding_total_busd"] = (
            float(df.values[:k, df.col["vc_funding_total"]][3::4].sum()) if k >= 4 else 0.0
        )
        return out

    # ---- agents and rows ---------------------------------------------------------------------------

    def register_rows(
        self, kind: str, cls: type[mesa.Agent], rows: np.ndarray, *, lazy: bool = False
    ) -> np.ndarray:
        """Give new rows of a table their unique ids; returns the ids.

        Eager (clouds, vendors, funds): one Mesa handle per row now. Lazy (labs, which enter by
        the hundred every quarter): ids are reserved from Mesa's counter in one block and a
        lab's handle is created the first time :meth:`agent` asks for it.
        """
        if lazy:
            uids = np.arange(
                self.agent_id_counter, self.agent_id_counter + rows.size, dtype=np.int64
            )
            self.agent_id_counter += rows.size
        else:
            uids = np.empty(rows.size, dtype=np.int64)
            for i in range(rows.size):
                agent = cls(self)
                uids[i] = agent.unique_id
                self._handles[agent.unique_id] = agent
        top = int(uids.max(initial=0)) + 1
        if top > 2**31:  # the flow log keeps uids as int32
            raise OverflowError(f"more than 2^31 agents: uid {top - 1}")
        if top > len(self._uid_row):
            size = max(2 * len(self._uid_row), top)
            self._uid_row = np.concatenate(
                [self._uid_row, np.full(size - len(self._uid_row), -1, np.int64)]
            )
            self._uid_kind = np.concatenate(
                [self._uid_kind, np.full(size - len(self._uid_kind), -1, np.int8)]
            )
            more = np.full(size - len(self._retired_region), -1, np.int8)
            self._retired_region = np.concatenate([self._retired_region, more])
            self._retired_archetype = np.concatenate([self._retired_archetype, more])
        self._uid_row[uids] = rows
        self._uid_kind[uids] = TABLES.index(kind)
        return uids

    def row_of(self, uid: int) -> int:
        """Row of an agent in its table (-1 once a dead lab's row has been compacted away)."""
        return int(self._uid_row[uid])

    def agent(self, uid: int) -> mesa.Agent:
        """The Mesa handle with this unique id (a lab's is created on first request)."""
        handle = self._handles.get(uid)
        if handle is None:
            if (
                uid >= len(self._uid_kind)
                or self._uid_kind[uid] != TABLES.index("labs")
                or self.row_of(uid) < 0
            ):
                raise KeyError(
                    f"no agent {uid} in the model (a dead lab's row may have been dropped)"
                )
            handle = population.Lab(self)
            handle.unique_id = uid  # the id reserved when the lab entered
            self._handles[uid] = handle
        return handle

    def lab_agents(self) -> list[mesa.Agent]:
        """Handles of every alive lab (creating the ones not yet asked for)."""
        labs = self.labs
        return [self.agent(int(u)) for u in labs.uid[: labs.n][labs.alive[: labs.n]]]

    def name_of(self, uid: int) -> str:
        """Display name of an agent (dead labs keep theirs)."""
        if uid < 0 or uid >= len(self._uid_kind) or self._uid_kind[uid] < 0:
            return ""
        row = self.row_of(uid)
        if row < 0:
            if uid in self._retired_names:
                return self._retired_names[uid]
            archetype = int(self._retired_archetype[uid])
            return f"{ARCHETYPES[archetype]}-{uid}" if archetype >= 0 else f"lab {uid}"
        if TABLES[self._uid_kind[uid]] == "labs":
            return self.lab_name(row)
        return getattr(self, TABLES[self._uid_kind[uid]]).names[row]

    def lab_name(self, row: int) -> str:
        """Display name of the lab in ``row``: its own, or ``<archetype>-<uid>`` for synthetic
        entrants (stored empty: a quarter's few hundred entrants need no string until shown)."""
        labs = self.labs
        return labs.names[row] or f"{ARCHETYPES[int(labs.archetype[row])]}-{int(labs.uid[row])}"

    def node_info(self, uid: int) -> dict[str, Any]:
        """Node attributes for the network: type, region, name."""
        kind = TABLES[self._uid_kind[uid]] if self._uid_kind[uid] >= 0 else "labs"
        row = self.row_of(uid)
        table = getattr(self, kind)
        if row >= 0:
            region = REGIONS[int(table.region[row])]
        else:
            code = int(self._retired_region[uid])
            region = REGIONS[code] if code >= 0 else ""
        return {"type": population.AGENT_TYPE[kind], "region": region, "name": self.name_of(uid)}

    def node_columns(self, uids: np.ndarray) -> dict[str, list[str]]:
        """:meth:`node_info` for many agents at once, as columns ``type``, ``region``, ``name``
        (the same values; grouped by table so that a network of thousands of nodes is not
        looked up one agent at a time)."""
        uids = np.asarray(uids, dtype=np.int64)
        out = {k: [""] * uids.size for k in ("type", "region", "name")}
        kind = self._uid_kind[uids]
        row = self._uid_row[uids]
        labs_kind = TABLES.index("labs")
        for k, table_name in enumerate(TABLES):
            at = np.flatnonzero((kind == k) | ((kind < 0) & (k == labs_kind)))
            if at.size == 0:
                continue
            table = getattr(self, table_name)
            agent_type = population.AGENT_TYPE[table_name]
            rows = row[at]
            live = rows >= 0
            region = np.full(at.size, -1, dtype=np.int64)
            region[live] = table.region[rows[live]]
            region[~live] = self._retired_region[uids[at[~live]]]
            for i, r, reg in zip(at.tolist(), rows.tolist(), region.tolist(), strict=True):
                out["type"][i] = agent_type
                out["region"][i] = REGIONS[reg] if reg >= 0 else ""
                if kind[i] < 0:
                    out["name"][i] = ""
                elif r >= 0:
                    out["name"][i] = self.lab_name(r) if k == labs_kind else table.names[r]
                else:  # a dead lab whose row is gone: its kept name or archetype label
                    out["name"][i] = self.name_of(int(uids[i]))
        return out

    # ---- helpers used by the phases ------------------------------------------------------------

    def demand_growth_global(self) -> float:
        """Worldwide AI spending relative to the start (>= 1)."""
        now = float(self.world.demand_model.sum() + self.world.demand_app.sum())
        return max(now / self.demand0, 1.0)

    def demand_growth_by_region(self) -> np.ndarray:
        """AI spending in each regional market relative to the start (>= 1)."""
        now = (self.world.demand_model + self.world.demand_app).tolist()
        # Five regions: plain floats (np.maximum's NaN rule: max(x, 1.0) keeps a NaN x).
        return np.array(
            [
                max(x / b, 1.0) if b > 0 else 1.0
                for x, b in zip(now, self.demand0_by_region.tolist(), strict=True)
            ]
        )

    @property
    def demand_momentum(self) -> float:
        """Quarter-on-quarter growth of total AI spending (between 1 and 1.5)."""
        hist = self.world.demand_history
        # min/max of Python floats: np.clip's value, without its call overhead on a scalar
        return min(max(hist[-1] / hist[-2], 1.0), 1.5) if len(hist) >= 2 and hist[-2] > 0 else 1.0

    def ring_slot(self) -> int:
        """Column of 5-quarter ring buffers written this quarter."""
        return self.t % 5

    def ring_slot_year_ago(self) -> int:
        """Column holding the value from four quarters ago."""
        return (self.t + 1) % 5

    def add_labs(
        self, names: list[str] | None, *, log_entry: bool = False, **fields: Any
    ) -> np.ndarray:
        """Append labs, create their handles; returns their rows. ``names=None``: synthetic names
        (archetype and uid, made when asked for: see :meth:`lab_name`)."""
        count = len(next(iter(fields.values())))
        rows = self.labs.add(count, names if names is not None else [""] * count)
        labs = self.labs
        at = slice(labs.n - count, labs.n)  # the new rows, which come last
        for key, value in fields.items():
            getattr(labs, key)[at] = value
        if self._model_rows is not None:  # the model labs among the new rows
            new = rows[labs.archetype[at] != APP]
            if new.size:
                self._set_lab_rows(np.concatenate([self._model_rows, new]))
        if "niche" in fields:  # the appeal of a niche never changes: exponentiated once
            labs.niche_appeal[at] = np.exp(labs.niche[at])
        labs.entered[at] = self.quarter_index
        if "ambition" not in fields:
            labs.ambition[at] = self.ambition[labs.archetype[at]]
        labs.uid[at] = self.register_rows("labs", population.Lab, rows, lazy=True)
        labs.algo[at] = self.world.algo_frontier - 0.5
        labs.lease_price[at] = 2e-6
        self.labs_ever += count
        if log_entry:
            self.event_log.add(
                self.quarter_index, "entry", labs.uid[rows], amount=labs.first_ask[rows]
            )
        return rows

    def enter_named_labs(self) -> None:
        """Real labs founded in this quarter arrive (see abm/data/labs.csv)."""
        population.enter_named_labs(self)

    @property
    def investor_base(self) -> np.ndarray:
        """Offsets of venture funds, sovereigns, clouds and vendors in the investor index."""
        return self._investor_base

    @property
    def n_investors(self) -> int:
        """Size of the investor index."""
        return int(self._investor_base[-1] + self.vendors.n)

    def model_lab_rows(self) -> np.ndarray:
        """Rows of alive labs that train their own models (not application startups),
        ascending; read-only.

        Kept, not recomputed: only the demography phase changes who is alive or what a lab is,
        and it updates them as labs close (:meth:`lab_rows_closed`) and enter
        (:meth:`add_labs`, whose new rows come last). They are computed afresh from the lab
        table only after it is compacted (:meth:`forget_lab_rows`)."""
        if self._model_rows is None:
            self._set_lab_rows(model_lab_rows(self.labs))
        return self._model_rows

    def _set_lab_rows(self, rows: np.ndarray) -> None:
        rows.flags.writeable = False
        self._model_rows = rows

    def lab_rows_closed(self) -> None:
        """Drop the labs just marked dead from the kept :meth:`model_lab_rows`."""
        if self._model_rows is not None:
            self._set_lab_rows(self._model_rows[self.labs.alive[self._model_rows]])

    def forget_lab_rows(self) -> None:
        """Drop the kept :meth:`model_lab_rows` (the lab table's rows are renumbered)."""
        self._model_rows = None

    def price_per_share(self) -> np.ndarray:
        """USD B per share of every lab row at investors' current mark (0 for dead labs)."""
        n = self.labs.n
        return holdings_kernels.price_per_share(
            self.labs.alive[:n], self.labs.mark[:n], self.labs.shares_out[:n]
        )

    def credit_investors(self, investor: np.ndarray, amount: np.ndarray) -> None:
        """Pay exit proceeds to investors: venture funds distribute them to their LPs."""
        base = self._investor_base
        f, sf, c, v = self.funds, self.sovereigns, self.clouds, self.vendors
        kind = np.searchsorted(base, investor, side="right") - 1
        for k, (table, field) in enumerate(
            ((f, "distributed"), (sf, "dry_powder"), (c, "strategic"), (v, "cash"))
        ):
            sel = kind == k
            if sel.any():
                add = np.bincount(investor[sel] - base[k], weights=amount[sel], minlength=table.n)
                getattr(table, field)[: table.n] += add
                if k == 0:
                    self.ledger.money_out("limited_partners", float(add.sum()))

    def compact_labs(self) -> None:
        """Drop dead lab rows (rarely): remap stakes, cloud links and handles."""
        labs = self.labs
        n = labs.n
        self.forget_lab_rows()
        dead = np.flatnonzero(~labs.alive[:n])
        self.retired_above[0] += int((labs.best_flop[dead] >= 1e25).sum())
        self.retired_above[1] += int((labs.best_flop[dead] >= 1e26).sum())
        uid_dead = labs.uid[dead].copy()
        named = [r for r in dead.tolist() if labs.names[r]]  # synthetic names stay unmade
        self._retired_names.update((int(labs.uid[r]), labs.names[r]) for r in named)
        self._retired_region[uid_dead] = labs.region[dead]
        self._retired_archetype[uid_dead] = labs.archetype[dead]
        for uid in self._handles.keys() & set(uid_dead.tolist()):
            self._handles.pop(uid).remove()
        mapping = labs.compact()
        self.holdings.remap_labs(mapping)
        self.clouds.parent_lab[: self.clouds.n] = np.where(
            self.clouds.parent_lab[: self.clouds.n] >= 0,
            mapping[np.maximum(self.clouds.parent_lab[: self.clouds.n], 0)],
            -1,
        )
        self._uid_row[uid_dead] = -1
        self._uid_row[labs.uid[: labs.n]] = np.arange(labs.n)

    # ---- invariants (DESIGN.md §10) ------------------------------------------------------------------

    def internal_balance(self) -> float:
        """Sum of all money held inside the model, USD B."""
        labs, c, v, f, sf = self.labs, self.clouds, self.vendors, self.funds, self.sovereigns
        return float(
            labs.cash[: labs.n].sum()
            + labs.credit[: labs.n].sum()
            + c.cash[: c.n].sum()
            + c.strategic[: c.n].sum()
            + v.cash[: v.n].sum()
            + f.dry_powder[: f.n].sum()
            + sf.dry_powder[: sf.n].sum()
        )

    def check_invariants(self) -> None:
        """Raise AssertionError if money or chips were created or destroyed, or a share is off."""
        scale = max(1.0, float(self.ledger.inflow.sum()))
        balance = self.internal_balance()
        expected = self.ledger.expected_balance()
        assert abs(balance - expected) <= 1e-9 * scale, (
            f"money not conserved: {balance} vs {expected}"
        )
        st = self.stats
        assert abs(
            st.chips_shipped_h100e - st.chips_installed_h100e - st.chips_leaked_h100e
        ) <= 1e-6 * max(1.0, st.chips_shipped_h100e), "chips shipped != installed + leaked"
        assert st.barred_licensed_units == 0.0, "a controlled chip was licensed to a barred buyer"
        labs = self.labs
        n = labs.n
        assert (labs.cash[:n][labs.alive[:n]] >= -1e-9).all(), "an alive lab has negative cash"
        assert (labs.credit[:n] >= -1e-9).all(), "negative cloud credit"
        assert (self.clouds.cash[: self.clouds.n] >= -1e-6).all(), "a cloud has negative cash"
        row = self.recorder.values[self.t]
        assert np.isfinite(row).all(), "a metric is NaN or infinite"
        share_cols = [self.recorder.col[f"compute_share.{r}"] for r in REGIONS]
        total = row[share_cols].sum()
        assert total == 0.0 or abs(total - 1.0) < 1e-9, "compute shares do not sum to 1"
        col = st.share_sums
        assert ((np.abs(col - 1.0) < 1e-9) | (col == 0.0)).all(), "market shares do not sum to 1"
