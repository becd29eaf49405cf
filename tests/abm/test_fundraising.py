"""Who asks for money, how much, and which venture funds look at which rounds."""

import numpy as np
import pytest

from abm import AIMarketModel, load_scenario
from abm.phases.capital import _deal_groups, _investor_budget
from agents.lab import APP, price_rounds


def _model(**overrides) -> AIMarketModel:
    scenario = load_scenario("scale").with_overrides(
        {"population.scale": 0.05, "steps": 8, **overrides}
    )
    model = AIMarketModel(scenario, 3)
    for _ in range(6):
        model.step()
    return model


def _grown_app(model: AIMarketModel) -> int:
    """An alive application startup set up to raise a growth round: funded a year ago, cash for
    years, worth more than its last post-money."""
    labs = model.labs
    n = labs.n
    row = int(np.flatnonzero(labs.alive[:n] & (labs.archetype[:n] == APP))[0])
    labs.raised_total[row] = 5.0
    labs.last_round[row] = model.quarter_index - 4
    labs.cash[row] = 1e3  # no runway pressure, no burn
    labs.team_cost[row] = 0.0
    labs.compute_spend[row] = 0.0
    labs.failed[row] = 0
    labs.valuation[row] = 0.0  # any positive pre-money is an up-round
    return row


@pytest.mark.parametrize("dilution", [0.1, 0.2])
def test_an_app_that_can_raise_an_up_round_asks_for_its_yearly_growth_round(dilution):
    model = _model(**{"labs.growth_round_dilution": dilution})
    row = _grown_app(model)
    pre, rows, _ = price_rounds(model)
    assert row in rows
    cap = model.scenario.labs.max_dilution / (1 - model.scenario.labs.max_dilution) * pre[row]
    want = min(dilution / (1 - dilution) * pre[row], cap)
    assert model.labs.ask[row] == pytest.approx(want)
    # selling `dilution` of the post-money company
    assert model.labs.ask[row] / (model.labs.ask[row] + pre[row]) == pytest.approx(dilution)


def test_an_app_with_runway_does_not_raise_at_a_down_round_or_within_a_year():
    model = _model()
    row = _grown_app(model)
    pre, _, _ = price_rounds(model)
    model.labs.valuation[row] = 2.0 * pre[row] + 1.0  # last post-money above today's worth
    assert row not in price_rounds(model)[1]
    model.labs.valuation[row] = 0.0
    model.labs.last_round[row] = model.quarter_index - 3
    assert row not in price_rounds(model)[1]


def _vc_masks(model: AIMarketModel, ask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each venture fund, which of the asks it may draw (funds x asks)."""
    rows = np.flatnonzero(model.labs.alive[: model.labs.n])[: ask.size]
    budget, _, _ = _investor_budget(model)
    venture, _, _ = _deal_groups(model, rows, ask, budget)
    masks = venture.eligible(model.labs.region[rows], ask)
    group = venture.group
    base, nf = model.investor_base[0], model.funds.n
    out = np.zeros((nf, ask.size), dtype=bool)
    for i in range(nf):
        g = group[base + i]
        if g >= 0:
            out[i] = masks[g]
    return out, budget[base : base + nf] / model.scenario.investors.deal_flow_draws


def test_venture_funds_skip_rounds_far_larger_than_their_usual_check():
    model = _model(**{"investors.vc_min_check_share": 0.05})
    n_rows = int(model.labs.alive[: model.labs.n].sum())
    ask = np.geomspace(1e-3, 50.0, n_rows)
    may, check = _vc_masks(model, ask)
    looks_at = may.any(axis=0)
    assert looks_at.any()
    for i in np.flatnonzero(may.any(axis=1)):
        # never an ask its check is under 5 % of, up to the factor-two binning of check sizes
        assert (0.05 * ask[may[i]] <= 2.0 * check[i] + 1e-12).all()
    # without the ownership target the same funds see every ask their mandate allows
    model.scenario = model.scenario.with_overrides({"investors.vc_min_check_share": 0.0})
    may_all, _ = _vc_masks(model, ask)
    assert (may_all | ~may).all() and may_all.sum() > may.sum()
