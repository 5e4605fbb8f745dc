"""PPO's leash to the clone: the value warm-up moves only the critic, the per-order KL penalty shifts each
reward by exactly -weight * (log pi - log pi_clone) and is zero at the clone."""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from intags_env.generator.policy import GeneratorPolicy, generator_policy_kwargs
from intags_env.generator.ppo_leash import CloneKLPenalty, actor_parameters, frozen_actor
from intags_env.generator.spec import ACTION_NVEC, FEATURE_NAMES, HISTORY


class _EpisodeRewardEnv(gym.Env):
    """The generator's spaces; random states, one reward at the end of each 32-order episode."""

    def __init__(self) -> None:
        dim = HISTORY * len(FEATURE_NAMES)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32)
        self.action_space = gym.spaces.MultiDiscrete(ACTION_NVEC)
        self.t = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        super().reset(seed=seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action: Any) -> Any:
        self.t += 1
        done = self.t == 32
        reward = float(self.np_random.normal(1.0, 0.1)) if done else 0.0
        return self.observation_space.sample(), reward, done, False, {}


def _model(seed: int = 0) -> PPO:
    kwargs = {"n_steps": 64, "batch_size": 32, "n_epochs": 2, "gamma": 1.0, "gae_lambda": 1.0}
    return PPO(
        GeneratorPolicy, _EpisodeRewardEnv(), policy_kwargs=generator_policy_kwargs(), seed=seed, **kwargs
    )


def _params(module: torch.nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in module.parameters()]


def test_the_value_warm_up_moves_only_the_critic() -> None:
    model = _model()
    actor_before = [p.detach().clone() for p in actor_parameters(model.policy)]
    critic_before = [p.detach().clone() for p in model.policy.value_net.parameters()]
    with frozen_actor(model.policy):
        model.learn(128)
    assert all(torch.equal(a, p) for a, p in zip(actor_before, actor_parameters(model.policy)))
    assert not all(torch.equal(a, p) for a, p in zip(critic_before, model.policy.value_net.parameters()))
    assert all(p.requires_grad for p in actor_parameters(model.policy))  # unfrozen afterwards


def test_a_shared_extractor_cannot_be_frozen_apart() -> None:
    model = PPO(
        GeneratorPolicy,
        _EpisodeRewardEnv(),
        policy_kwargs={**generator_policy_kwargs(), "share_features_extractor": True},
    )
    with pytest.raises(ValueError, match="shares its feature extractor"):
        actor_parameters(model.policy)


class _Capture(CloneKLPenalty):
    """The penalty, keeping the rollout's rewards before and after it."""

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        self.before = buffer.rewards.copy()
        super()._on_rollout_end()
        self.after = buffer.rewards.copy()
        self.log_probs = buffer.log_probs.copy()
        self.returns = buffer.returns.copy()


def test_the_penalty_is_zero_at_the_clone_and_exact_elsewhere() -> None:
    model = _model()
    clone = copy.deepcopy(model.policy)
    at_clone = _Capture(clone, weight=0.5)
    model.learn(64, callback=at_clone)
    assert abs(at_clone.last_kl) < 1e-5
    np.testing.assert_allclose(at_clone.after, at_clone.before, atol=1e-5)

    model.policy.logit_offsets[:, : int(ACTION_NVEC[0])] += torch.tensor([2.0, -1.0, 0.0])  # moved
    moved = _Capture(clone, weight=0.5)
    model.learn(64, callback=moved, reset_num_timesteps=False)
    buffer = model.rollout_buffer
    n = buffer.rewards.size
    obs = torch.as_tensor(buffer.observations.reshape(n, -1))
    actions = torch.as_tensor(buffer.actions.reshape(n, -1)).long()
    with torch.no_grad():
        _, clone_log_prob, _ = clone.evaluate_actions(obs, actions)
    ratio = moved.log_probs - clone_log_prob.numpy().reshape(moved.log_probs.shape)
    np.testing.assert_allclose(moved.after, moved.before - 0.5 * ratio, rtol=1e-5, atol=1e-6)
    assert moved.last_kl > 0.01
    # gamma = lambda = 1 and two whole 32-order episodes per rollout: each return is the rest of its
    # episode's shifted rewards (computed again after the shift)
    episodes = moved.after.reshape(2, 32)
    expected = np.flip(np.cumsum(np.flip(episodes, axis=1), axis=1), axis=1).reshape(-1, 1)
    np.testing.assert_allclose(moved.returns, expected, rtol=1e-5, atol=1e-5)


def test_a_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        CloneKLPenalty(_model().policy, -1.0)
