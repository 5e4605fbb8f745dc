"""A policy-driven generator session runs inside Numba (the compiled actor samples between orders): it
must place exactly the orders the same policy places when called from Python, one order at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from intags_env.generator.background import GeneratorBackground
from intags_env.generator.env import WorldAgentEnv
from intags_env.generator.policy import GeneratorPolicy, SB3OrderPolicy, generator_policy_kwargs
from intags_env.generator.spec import FEATURE_NAMES, HISTORY

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5


@pytest.fixture(scope="module")
def policy() -> SB3OrderPolicy:
    env = WorldAgentEnv(real_set=REAL, horizons=3, start="09:35", end="09:36")
    model = PPO(GeneratorPolicy, env, policy_kwargs=generator_policy_kwargs(), seed=3, device="cpu")
    with torch.no_grad():
        model.policy.logit_offsets.copy_(torch.randn(model.policy.logit_offsets.shape))
    return SB3OrderPolicy(model)


def test_compiled_sampler_draws_what_the_python_sampler_draws(policy: SB3OrderPolicy) -> None:
    assert policy.compiled_actor is not None
    rng = np.random.default_rng(1)
    obs = rng.normal(size=(200, HISTORY, len(FEATURE_NAMES))).astype(np.float32)
    obs[:, -1, FEATURE_NAMES.index("log_spread_ticks")] = np.log1p(rng.integers(1, 9, 200))
    obs[:, -1, FEATURE_NAMES.index("two_sided")] = rng.integers(0, 2, 200)
    compiled = [policy(o.reshape(-1), np.random.default_rng(k)) for k, o in enumerate(obs)]
    actor, policy._actor = policy._actor, None  # the torch path
    try:
        python = [policy(o.reshape(-1), np.random.default_rng(k)) for k, o in enumerate(obs)]
    finally:
        policy._actor = actor
    np.testing.assert_array_equal(np.array(compiled), np.array(python))
    assert len({int(a[0]) for a in compiled}) == 3  # every order type drawn


def test_a_session_sampled_in_numba_equals_the_policy_called_from_python(policy: SB3OrderPolicy) -> None:
    def called_from_python(observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return policy(observation, rng)

    runs = []
    for p in (policy, called_from_python):
        bg = GeneratorBackground(p, real="rmsc04", start="09:35", end="09:36", n_external=1)
        bg.reset(5)
        bg.run_until(bg.config.start_ns + 20 * 10**9)
        middle = bg.observation()
        bg.run_until(bg.config.end_ns)
        runs.append((bg.result().lobster.messages, middle, bg.n_orders, bg.n_noop_cancels))
    assert runs[0][2] > 20  # the generator placed orders on its own
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2:] == runs[1][2:]
