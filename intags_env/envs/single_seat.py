"""``SingleSeat``: one agent of the multi-agent market as a Gymnasium environment, the others played by
fixed policies — how independent learners are trained with single-agent libraries (Stable-Baselines3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from .market_v0 import MarketParallelEnv

Policy = Callable[[np.ndarray], Any]

__all__ = ["SingleSeat"]


class SingleSeat(gym.Env):
    """``agent``'s seat of ``make_parallel()``; every other agent acts by ``others[name](observation)``
    (default: uniformly random actions). Spaces, rewards and episode ends are the seat's own."""

    metadata = {"render_modes": []}  # noqa: RUF012 (gymnasium's convention)

    def __init__(
        self,
        make_parallel: Callable[[], MarketParallelEnv],
        agent: str,
        others: dict[str, Policy] | None = None,
    ) -> None:
        self.parallel = make_parallel()
        if agent not in self.parallel.possible_agents:
            raise ValueError(f"unknown agent {agent!r}; agents: {self.parallel.possible_agents}")
        self.agent = agent
        self.others = dict(others or {})
        self.observation_space = self.parallel.observation_space(agent)
        self.action_space = self.parallel.action_space(agent)
        self._obs: dict[str, np.ndarray] = {}

    def _other_action(self, name: str) -> Any:
        policy = self.others.get(name)
        return self.parallel.action_space(name).sample() if policy is None else policy(self._obs[name])

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._obs, infos = self.parallel.reset(seed=int(self.np_random.integers(0, 2**31 - 1)))
        return self._obs[self.agent], infos[self.agent]

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self.agent not in self.parallel.agents:
            raise RuntimeError(
                f"SingleSeat({self.agent!r}).step() called after the seat's episode ended (or before "
                "reset()); call reset() to start a new episode"
            )
        actions = {name: self._other_action(name) for name in self.parallel.agents if name != self.agent}
        actions[self.agent] = action
        obs, rewards, terminations, truncations, infos = self.parallel.step(actions)
        self._obs.update(obs)
        a = self.agent
        if not terminations[a] and not truncations[a]:
            return obs[a], rewards[a], False, False, infos[a]
        # the seat's episode is over; the others are cut off with it
        return obs[a], rewards[a], terminations[a], truncations[a], infos[a]
