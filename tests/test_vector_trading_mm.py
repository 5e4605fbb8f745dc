"""``TradingVectorEnv`` and ``MarketMakingVectorEnv``: sub-environment i is the single environment seeded
``seed + i``, bit for bit, under both autoreset modes (features that remember what they read, the last
return and the fills since the last observation, would show an observation computed twice)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs.market_making import MarketMakingEnv
from intags_env.envs.trading import TradingEnv
from intags_env.envs.vector_market_making import MarketMakingVectorEnv
from intags_env.envs.vector_trading import TradingVectorEnv

FAST = {"background": "small", "warmup_s": 60.0, "horizon_s": 50.0, "decision_interval_s": 5.0}


def _lockstep(vec, singles: list, actions: np.ndarray, mode: str, seed: int) -> tuple[int, int]:
    """Step ``vec`` and its single environments (seeded ``seed + i``, autoreset as ``mode`` says) on the
    same actions, asserting equal observations, rewards and episode ends; the episode ends and fills seen."""
    obs, _ = vec.reset(seed=seed)
    assert np.array_equal(obs, np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(singles)]))
    ended, ends, fills = [False] * len(singles), 0, 0
    for a in actions:
        obs, reward, terminated, _, info = vec.step(a)
        for i, env in enumerate(singles):
            if mode == "next_step" and ended[i]:
                expected, s_reward, s_done = env.reset()[0], 0.0, False
            else:
                expected, s_reward, s_done, _, s_info = env.step(a[i] if np.ndim(a[i]) else int(a[i]))
                fills += len(s_info["fills"])
            assert reward[i] == s_reward and bool(terminated[i]) == s_done
            if mode == "same_step" and s_done:
                assert np.array_equal(info["final_obs"][i], expected)
                expected = env.reset()[0]
            assert np.array_equal(obs[i], expected), (i, obs[i], expected)
            ended[i] = s_done
            ends += s_done
    return ends, fills


@pytest.mark.parametrize(
    ("mode", "kwargs"),
    [
        ("next_step", FAST),
        ("same_step", FAST | {"fee_bps": 3.0, "trade_size": 200, "max_position": 400}),  # the limit bites
    ],
)
def test_each_sub_environment_is_the_single_env_bit_for_bit(mode: str, kwargs: dict) -> None:
    n, steps = 3, 25
    vec = TradingVectorEnv(n, autoreset_mode=mode, **kwargs)
    rng = np.random.default_rng(2)
    actions = rng.choice([0, 1, 2, 2], size=(steps, n))
    ends, _ = _lockstep(vec, [TradingEnv(**kwargs) for _ in range(n)], actions, mode, seed=11)
    assert ends >= n


def test_make_vec_builds_it() -> None:
    vec = gym.make_vec("intags_env/Trading-v0", num_envs=2, vectorization_mode="vector_entry_point", **FAST)
    assert isinstance(vec, TradingVectorEnv)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="invalid actions"):
        vec.step(np.array([3, 0]))


@pytest.mark.parametrize(
    ("mode", "kwargs"),
    [
        ("next_step", FAST),
        ("same_step", FAST | {"fee_bps": 3.0, "max_inventory": 150, "inventory_penalty": 0.01}),
    ],
)
def test_each_market_making_sub_environment_is_the_single_env_bit_for_bit(mode: str, kwargs: dict) -> None:
    n, steps = 3, 25
    vec = MarketMakingVectorEnv(n, autoreset_mode=mode, **kwargs)
    vec.action_space.seed(4)
    actions = np.stack([vec.action_space.sample() for _ in range(steps)])
    actions[:, :, :2] = np.minimum(actions[:, :, :2], 1)  # quote at or next to the touch: fills happen
    _, fills = _lockstep(vec, [MarketMakingEnv(**kwargs) for _ in range(n)], actions, mode, seed=21)
    assert fills > 0
