"""``WorldAgent-v0``'s vector form: sub-environment i is the single environment with seed + i, step for
step across autoresets, and SB3 trains on it through the adapter."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs.sb3_vec import sb3_vec_env
from intags_env.generator.env import WorldAgentEnv
from intags_env.generator.spec import ACTION_NVEC, F
from intags_env.generator.vector_env import WorldAgentVectorEnv

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5
KWARGS = {"real_set": REAL, "horizons": 3, "start": "09:35", "end": "09:36", "max_orders": 150}


def _actions(n: int, envs: int, seed: int) -> np.ndarray:
    """Random orders with short delays (so an episode holds many orders)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, ACTION_NVEC, size=(n, envs, len(ACTION_NVEC)))
    for field in ("limit_delay", "market_delay", "cancel_delay"):
        a[..., F[field]] = rng.integers(0, 10, size=(n, envs))
    return a


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_each_sub_environment_is_the_single_environment(mode: AutoresetMode) -> None:
    n, steps = 3, 420
    vec = gym.make_vec(
        "intags_env/WorldAgent-v0",
        num_envs=n,
        vectorization_mode="vector_entry_point",
        autoreset_mode=mode,
        **KWARGS,
    )
    assert isinstance(vec.unwrapped, WorldAgentVectorEnv)
    singles = [WorldAgentEnv(**KWARGS) for _ in range(n)]
    actions = _actions(steps, n, 1)
    obs, _ = vec.reset(seed=10)
    expected = np.array([env.reset(seed=10 + i)[0] for i, env in enumerate(singles)])
    np.testing.assert_array_equal(obs, expected)
    ended = np.zeros(n, bool)
    episodes = 0
    for t in range(steps):
        obs, rewards, terminated, truncated, info = vec.step(actions[t])
        for i, env in enumerate(singles):
            if mode == AutoresetMode.NEXT_STEP and ended[i]:
                o, _ = env.reset()
                np.testing.assert_array_equal(obs[i], o)
                assert rewards[i] == 0 and not terminated[i] and not truncated[i]
                continue
            o, r, te, tr, _ = env.step(actions[t, i])
            assert (rewards[i], terminated[i], truncated[i]) == (r, te, tr)
            if mode == AutoresetMode.SAME_STEP and (te or tr):
                np.testing.assert_array_equal(info["final_obs"][i], o)
                o, _ = env.reset()
            np.testing.assert_array_equal(obs[i], o)
        ended = terminated | truncated
        episodes += int(ended.sum())
    assert episodes >= n  # every sub-environment ended at least one episode on the way


def test_sb3_ppo_trains_on_the_vector_form() -> None:
    from stable_baselines3 import PPO

    from intags_env.generator.policy import GeneratorPolicy, generator_policy_kwargs

    venv = sb3_vec_env("intags_env/WorldAgent-v0", 2, **KWARGS)
    model = PPO(
        GeneratorPolicy, venv, n_steps=32, batch_size=32, policy_kwargs=generator_policy_kwargs(), seed=0
    )
    model.learn(64)
    assert model.num_timesteps >= 64


def test_bad_vector_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="num_envs"):
        WorldAgentVectorEnv(0, **KWARGS)
    vec = WorldAgentVectorEnv(2, **KWARGS)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros((3, len(ACTION_NVEC)), np.int64))
    with pytest.raises(ValueError, match="one seed per environment"):
        vec.reset(seed=[1])


def test_a_runaway_generator_truncates_its_episode_alone_and_in_the_vector_form() -> None:
    """Orders all due "now" run away (MAX_BURST orders within RUNAWAY_SPAN_NS): the episode is truncated
    and says why; in the vector form only that sub-environment, which then autoresets."""
    now = np.zeros(len(ACTION_NVEC), np.int64)  # a limit order at the own touch, delay bucket 0
    now[F["limit_price"]] = 5
    kwargs = {**KWARGS, "max_orders": 5000}
    single = WorldAgentEnv(**kwargs)
    single.reset(seed=0)
    steps = 0
    terminated = truncated = False
    while not (terminated or truncated) and steps < 2000:
        _, _, terminated, truncated, info = single.step(now)
        steps += 1
    assert truncated and not terminated and "runaway generator" in info["runaway"] and steps <= 1100
    vec = WorldAgentVectorEnv(2, **kwargs)
    vec.reset(seed=0)
    calm = now.copy()
    calm[F["limit_delay"]] = 6  # 10-30 ms apart: ~20 s of market for these steps
    for _ in range(steps):
        _, _, terminated, truncated, info = vec.step(np.stack([now, calm]))
    assert truncated.tolist() == [True, False] and not terminated.any()
    assert "runaway generator" in info["runaway"][0]
    _, rewards, terminated, truncated, _ = vec.step(np.stack([now, calm]))  # the next-step autoreset
    assert rewards[0] == 0 and not truncated[0] and not vec.envs[0].runaway
