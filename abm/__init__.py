"""aimarket's world: the model, its scenarios, markets, policy rules, network and metrics."""

from abm.model import AIMarketModel
from abm.scenario import Scenario, ScenarioError
from abm.scenario_files import available_scenarios, load_scenario

__all__ = ["AIMarketModel", "Scenario", "ScenarioError", "available_scenarios", "load_scenario"]
