"""``WorldAgent-v0``'s vector form: N generator environments whose markets advance in one Numba call.

``gymnasium.make_vec("intags_env/WorldAgent-v0", num_envs=N, vectorization_mode="vector_entry_point")``.
Sub-environment ``i`` is a :class:`~.env.WorldAgentEnv` (own seed, own experimental trader, own reward
buffer) and is bit-identical to that environment alone with the same seed and actions (tested); the N
markets are one :class:`~.batch.GeneratorBatch`, so placing N orders (and running the markets to them)
is one kernel call, with Python only for the experimental traders' decisions on the way and for the
episodes' rewards at their ends. Gymnasium's autoreset, next-step (default) or same-step
(``info["final_obs"]``, ``info["final_info"]``; what :func:`intags_env.envs.sb3_vec.sb3_vec_env` needs for
SB3). The real feedback set is collected (or read from the cache) once and shared.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ..envs.vector_base import _autoreset_mode
from .batch import GeneratorBatch
from .env import WorldAgentEnv, default_trader, place_orders

__all__ = ["WorldAgentVectorEnv"]


class WorldAgentVectorEnv(VectorEnv):
    """``num_envs`` :class:`~.env.WorldAgentEnv` (the other arguments are theirs) stepped together."""

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 8,
        *,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **kwargs: Any,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        trader = kwargs.pop("trader", None) or default_trader()
        first = WorldAgentEnv(trader=copy.deepcopy(trader), **kwargs)
        kwargs["real_set"] = first.real_set  # collected once
        self.envs = [first] + [
            WorldAgentEnv(trader=copy.deepcopy(trader), **kwargs) for _ in range(int(num_envs) - 1)
        ]
        self.num_envs = int(num_envs)
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._batch = GeneratorBatch.of([env.background for env in self.envs])
        self._ended = np.zeros(self.num_envs, bool)  # next-step autoreset: reset these at the next step
        self._obs = np.zeros(self.observation_space.shape, np.float32)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Every environment reset: environment ``i`` with ``seed + i`` (an int), ``seed[i]`` (a list),
        or unseeded."""
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"need one seed per environment ({self.num_envs}), got {len(seeds)}")
        for i, (env, s) in enumerate(zip(self.envs, seeds, strict=True)):
            self._obs[i], _ = env.reset(seed=s, options=options)
        self._batch.refresh()
        self._ended[:] = False
        return self._obs.copy(), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        actions = np.asarray(actions)
        if actions.shape != self.action_space.shape:
            raise ValueError(f"actions must have shape {self.action_space.shape}, got {actions.shape}")
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, bool)
        truncated = np.zeros(self.num_envs, bool)
        infos: dict[str, Any] = {}
        stepping = []
        rows = np.full((self.num_envs, actions.shape[1]), -1, np.int64)
        for i, env in enumerate(self.envs):
            if self._ended[i]:  # next-step autoreset
                self._obs[i], _ = env.reset()
                self._batch.refresh_one(i)
            else:
                rows[i] = env.check_action(actions[i])
                stepping.append(i)
        place_orders(self.envs, self._batch, stepping, rows)
        for i in stepping:
            self._obs[i], rewards[i], terminated[i], truncated[i], info = self.envs[i].finish_step()
            if info:
                infos = self._add_info(infos, info, i)
        ended = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            if ended.any():
                infos = {**infos, "final_obs": self._obs.copy(), "_final_obs": ended.copy()}
            for i in np.flatnonzero(ended):
                self._obs[i], _ = self.envs[i].reset()
                self._batch.refresh_one(int(i))
        else:
            self._ended = ended
        return self._obs.copy(), rewards, terminated, truncated, infos
