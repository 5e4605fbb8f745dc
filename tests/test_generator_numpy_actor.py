"""The numpy actor (the sampler's hot path) computes exactly the policy's adapted logits, follows in-place
changes to the policy, and steps aside for architectures it does not know."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from intags_env.generator.env import WorldAgentEnv
from intags_env.generator.numpy_actor import numpy_actor
from intags_env.generator.policy import GeneratorPolicy, SB3OrderPolicy, generator_policy_kwargs
from intags_env.generator.spec import FEATURE_NAMES, HISTORY

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5


def _model(**kwargs) -> PPO:
    env = WorldAgentEnv(real_set=REAL, horizons=3, start="09:35", end="09:36")
    return PPO(
        GeneratorPolicy, env, policy_kwargs={**generator_policy_kwargs(), **kwargs}, seed=0, device="cpu"
    )


def _observations(n: int) -> np.ndarray:
    """States with every spread bucket: the latest state's log spread and two-sided flag set by hand."""
    rng = np.random.default_rng(1)
    obs = rng.normal(size=(n, HISTORY, len(FEATURE_NAMES))).astype(np.float32)
    obs[:, -1, FEATURE_NAMES.index("log_spread_ticks")] = np.log1p(rng.integers(1, 9, n))
    obs[:, -1, FEATURE_NAMES.index("two_sided")] = rng.integers(0, 2, n)
    return obs.reshape(n, -1)


def _torch_logits(policy: GeneratorPolicy, obs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return policy.action_logits(torch.as_tensor(obs)).numpy()


@pytest.mark.parametrize("edges", [(1, 2), (1, 2, 3, 5)])
def test_numpy_logits_match_torch_in_every_spread_bucket(edges) -> None:
    policy = _model(spread_edges=edges).policy
    with torch.no_grad():
        policy.logit_offsets.copy_(torch.randn(policy.logit_offsets.shape))
    actor = numpy_actor(policy)
    assert actor is not None
    obs = _observations(64)
    buckets = policy.spread_bucket(torch.as_tensor(obs)).numpy()
    assert [actor.bucket(o) for o in obs] == buckets.tolist()
    assert len(set(buckets.tolist())) == len(edges)
    mine = np.array([actor.logits(o) for o in obs])
    np.testing.assert_allclose(mine, _torch_logits(policy, obs), rtol=1e-5, atol=1e-5)


def test_in_place_changes_to_the_policy_are_seen() -> None:
    policy = _model().policy
    actor = numpy_actor(policy)
    obs = _observations(8)
    before = np.array([actor.logits(o) for o in obs])
    with torch.no_grad():
        policy.action_net.weight.mul_(2.0)
        policy.logit_offsets.add_(0.5)
    after = np.array([actor.logits(o) for o in obs])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, _torch_logits(policy, obs), rtol=1e-5, atol=1e-5)


def test_other_architectures_fall_back_to_torch() -> None:
    model = _model(net_arch={"pi": [64], "vf": [64]}, activation_fn=torch.nn.ELU)
    assert numpy_actor(model.policy) is None
    sampler = SB3OrderPolicy(model)
    obs = _observations(1)[0]
    np.testing.assert_allclose(
        sampler.logits(obs), _torch_logits(model.policy, obs[None])[0], rtol=1e-6, atol=1e-6
    )
