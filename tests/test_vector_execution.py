"""``ExecutionVectorEnv``: sub-environment i is ``Execution-v0`` seeded ``seed + i`` with Gymnasium's
next-step autoreset, bit for bit (observations, rewards, episode ends), with fees, early completion and
force-execution at the horizon."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.envs.execution import ExecutionEnv
from intags_env.envs.vector_execution import ExecutionVectorEnv

FAST = {"background": "small", "warmup_s": 60.0, "horizon_s": 60.0, "decision_interval_s": 5.0}


def _single_rollout(seed: int, actions: np.ndarray, kwargs: dict) -> tuple[list, list, list]:
    """The single env under Gymnasium's next-step autoreset: the step after an end resets it."""
    env = ExecutionEnv(**kwargs)
    obs, _ = env.reset(seed=seed)
    observations, rewards, ends = [obs], [], []
    ended = False
    for action in actions:
        if ended:
            obs, _ = env.reset()
            reward, ended = 0.0, False
        else:
            obs, reward, ended, _, _ = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        ends.append(ended)
    return observations, rewards, ends


@pytest.mark.parametrize(
    "kwargs",
    [
        FAST,
        FAST | {"fee_bps": 2.0, "quantity": 400, "side": "sell"},  # fees; completes before the horizon
        FAST | {"quantity": 50_000},  # far too much: force-executed and charged at the horizon
    ],
)
def test_each_sub_environment_is_the_single_env_bit_for_bit(kwargs: dict) -> None:
    n, steps = 3, 30
    vec = ExecutionVectorEnv(n, **kwargs)
    rng = np.random.default_rng(1)
    actions = np.stack([vec.action_space.sample() for _ in range(steps)])
    actions[:, :, 0] = rng.choice([1, 2, 4], size=(steps, n))  # keep trading, sometimes fast
    obs, _ = vec.reset(seed=7)
    vec_obs, vec_rewards, vec_ends = [obs], [], []
    for a in actions:
        obs, reward, terminated, truncated, _ = vec.step(a)
        assert not truncated.any()
        vec_obs.append(obs)
        vec_rewards.append(reward)
        vec_ends.append(terminated)
    for i in range(n):
        observations, rewards, ends = _single_rollout(7 + i, actions[:, i], kwargs)
        assert np.array_equal(np.stack([o[i] for o in vec_obs]), np.stack(observations))
        assert np.array_equal(np.array([r[i] for r in vec_rewards]), np.array(rewards))
        assert [bool(e[i]) for e in vec_ends] == ends
    assert sum(e.sum() for e in vec_ends) >= n  # every sub-environment finished an episode at least once


def test_bad_actions_and_unsupported_arguments_are_named() -> None:
    vec = ExecutionVectorEnv(2, **FAST)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="invalid actions"):
        vec.step(np.array([[5, 0], [0, 0]]))
    with pytest.raises(ValueError, match="invalid actions"):
        vec.step(np.array([0, 0]))
    with pytest.raises(ValueError, match="invalid actions"):
        vec.step(np.array([[1.5, 0], [0, 0]]))  # not silently truncated to 1
    with pytest.raises(ValueError, match="invalid actions"):
        vec.step(np.array([[True, False], [False, False]]))  # booleans are not actions
    vec.step(np.array([[1.0, 0.0], [0.0, 2.0]]))  # whole numbers as floats are
    with pytest.raises(ValueError, match="background_agents"):
        ExecutionVectorEnv(2, background_agents=[object()], **FAST)
    with pytest.raises(ValueError, match="quantity"):
        ExecutionVectorEnv(2, **FAST | {"quantity": 0})


def test_make_vec_builds_it_from_the_registered_vector_entry_point() -> None:
    import gymnasium as gym

    import intags_env  # noqa: F401  (registers the ids)

    vec = gym.make_vec("intags_env/Execution-v0", num_envs=2, vectorization_mode="vector_entry_point", **FAST)
    assert isinstance(vec, ExecutionVectorEnv) and vec.num_envs == 2
    obs, _ = vec.reset(seed=3)
    single, _ = ExecutionEnv(**FAST).reset(seed=4)
    assert obs.shape == (2, 9) and np.array_equal(obs[1], single)


def test_same_step_autoreset_returns_the_new_episode_and_the_final_observation() -> None:
    n, steps = 2, 30
    vec = ExecutionVectorEnv(n, autoreset_mode="same_step", **FAST)
    actions = np.tile(np.array([4, 0]), (steps, n, 1))  # market orders, twice the slice
    vec.reset(seed=5)
    env = ExecutionEnv(**FAST)
    env.reset(seed=6)
    ends = 0
    for a in actions:
        obs, reward, terminated, _, info = vec.step(a)
        final, s_reward, s_done, _, _ = env.step(a[1])
        assert reward[1] == s_reward and bool(terminated[1]) == s_done
        if s_done:
            ends += 1
            assert info["_final_obs"][1] and np.array_equal(info["final_obs"][1], final)
            final, _ = env.reset()
        assert np.array_equal(obs[1], final)
    assert ends >= 2


def test_sb3_ppo_trains_on_it_unchanged() -> None:
    from stable_baselines3 import PPO

    from intags_env.envs.sb3_vec import sb3_vec_env

    vec = sb3_vec_env("intags_env/Execution-v0", 4, **FAST)
    vec.seed(0)
    model = PPO("MlpPolicy", vec, n_steps=16, batch_size=32, n_epochs=1, device="cpu", seed=0)
    model.learn(64)
    assert model.num_timesteps == 64
    obs = vec.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (4, 2)
    _, rewards, _, infos = vec.step(actions)
    assert rewards.dtype == np.float32 and len(infos) == 4
    with pytest.raises(ValueError, match="same step"):
        from intags_env.envs.sb3_vec import SB3VecEnv

        SB3VecEnv(ExecutionVectorEnv(2, **FAST))
