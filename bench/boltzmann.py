"""Mesa's simplest benchmark model, written at its best: the Boltzmann wealth model without
a grid, the reference our lab-quarters are compared with (issue #6, item 3).

Idiomatic Mesa 3.5: a ``mesa.Model`` seeded with ``rng=``, agents made with
``Agent.create_agents``, one step is ``self.agents.shuffle_do("step")``, and each agent draws
its partner from a list of all agents cached once per step. Nothing else is optimised, so it
measures what a Mesa model pays per agent-step for Python dispatch alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mesa


class MoneyAgent(mesa.Agent):
    """An agent with one unit of wealth that it gives, one unit per step, to a random agent."""

    def __init__(self, model: BoltzmannModel) -> None:
        super().__init__(model)
        self.wealth = 1

    def step(self) -> None:
        """Give one unit of wealth to a partner drawn from all agents (possibly itself)."""
        if self.wealth > 0:
            other = self.random.choice(self.model.agent_list)
            other.wealth += 1
            self.wealth -= 1


class BoltzmannModel(mesa.Model):
    """Boltzmann wealth exchange among ``n`` agents, no space."""

    def __init__(self, n: int = 10_000, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        MoneyAgent.create_agents(self, n)
        self.agent_list: list[mesa.Agent] = list(self.agents)

    def step(self) -> None:
        """Cache the agent list once, then activate every agent in random order."""
        self.agent_list = list(self.agents)
        self.agents.shuffle_do("step")


@dataclass(frozen=True)
class BoltzmannTiming:
    """One timed Boltzmann run."""

    agents: int
    steps: int
    seconds: float

    @property
    def agent_steps_per_s(self) -> float:
        """Agent-steps per second of wall time (steps only; set-up excluded)."""
        return self.agents * self.steps / self.seconds


def time_boltzmann(n: int = 10_000, steps: int = 100, seed: int = 1) -> BoltzmannTiming:
    """Build the model (untimed), then time ``steps`` steps of ``n`` agents."""
    model = BoltzmannModel(n, rng=seed)
    model.step()  # warm-up: first-call costs (attribute caches, allocator) are not the steady state
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    seconds = time.perf_counter() - t0
    total = sum(a.wealth for a in model.agents)
    if total != n:
        raise AssertionError(f"Boltzmann lost wealth: {total} != {n}")
    return BoltzmannTiming(agents=n, steps=steps, seconds=seconds)
