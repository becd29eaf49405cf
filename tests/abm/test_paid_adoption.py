"""Paid adoption: AI services are used before they are paid for. The share of use that is paid
follows a Bass diffusion; revenue is that share of what the use is worth, while inference
compute and investors' valuations follow the use itself."""

import numpy as np
import pytest

from abm import AIMarketModel, ScenarioError, load_scenario
from abm.phases import product
from agents.lab import APP


def _model(overrides: dict, steps: int = 0) -> AIMarketModel:
    scenario = load_scenario("baseline").with_overrides({"steps": 28, **overrides})
    model = AIMarketModel(scenario, 1)
    for _ in range(steps):
        model.step()
    return model


def _bass(start: float, p: float, q: float, quarters: int) -> list[float]:
    path, f = [], start
    for _ in range(quarters):
        path.append(f)
        f = min(f + (p + q * f) * (1.0 - f) / 4.0, 1.0)
    return path


@pytest.mark.parametrize(("start", "p", "q"), [(0.0, 0.03, 0.38), (0.1, 0.2, 1.5)])
def test_the_paid_share_follows_the_bass_recursion_quarter_by_quarter(start, p, q):
    model = _model(
        {
            "demand.paid_share_start": start,
            "demand.adoption_innovation": p,
            "demand.adoption_imitation": q,
        },
        steps=20,
    )
    recorded = model.metrics()["paid_share"].to_list()
    assert recorded == pytest.approx(_bass(start, p, q, 20), rel=1e-12, abs=1e-15)
    assert all(np.diff(recorded) > 0)  # every quarter some users start paying


def test_without_a_lag_every_use_is_paid_from_the_start():
    model = _model({"demand.paid_share_start": 1.0}, steps=8)
    assert set(model.metrics()["paid_share"].to_list()) == {1.0}


_PRODUCT_MARKET = product.run


def _after_first_product_market(overrides: dict, monkeypatch) -> dict[str, np.ndarray]:
    """Each lab's revenue and use value right after the first quarter's product market."""
    seen = {}

    def spy(model):
        _PRODUCT_MARKET(model)
        n = model.labs.n
        seen["revenue"] = model.labs.revenue[:n].copy()
        seen["use"] = model.labs.potential_revenue[:n].copy()
        seen["total"] = model.stats.total_revenue

    monkeypatch.setattr(product, "run", spy)
    _model(overrides, steps=1)
    return seen


def test_revenue_is_the_paid_share_of_what_the_use_is_worth(monkeypatch):
    """Same seed, same state before the first product market: only the paid share differs."""
    full = _after_first_product_market({"demand.paid_share_start": 1.0}, monkeypatch)
    part = _after_first_product_market({"demand.paid_share_start": 0.3}, monkeypatch)
    assert full["revenue"].sum() > 0
    np.testing.assert_allclose(part["revenue"], 0.3 * full["revenue"], rtol=1e-12, atol=1e-15)
    assert part["total"] == pytest.approx(0.3 * full["total"], rel=1e-12)
    # Inference is asked for the use, paid or not: what each lab's use is worth is the same.
    np.testing.assert_array_equal(part["use"], full["use"])


def test_an_application_startup_is_valued_on_its_users_use_not_only_on_its_payments():
    model = _model({}, steps=6)
    labs = model.labs
    n = labs.n
    apps = np.flatnonzero(labs.alive[:n] & (labs.archetype[:n] == APP))
    share = model.world.paid_share  # next quarter's; this quarter's is in the stats
    assert 0.0 < model.stats.paid_share < share < 1.0
    paid = model.stats.paid_share
    np.testing.assert_allclose(
        labs.revenue[apps], paid * labs.potential_revenue[apps], rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("demand.paid_share_start", 1.5),
        ("demand.adoption_innovation", -0.1),
        ("demand.adoption_imitation", 9.0),
    ],
)
def test_a_bad_adoption_parameter_is_refused_with_its_name(field, value):
    with pytest.raises(ScenarioError, match=field):
        load_scenario("baseline").with_overrides({field: value})
