"""A batch of generator sessions: each session exactly what it is alone, whatever the batch, and one
failing session does not stop the others."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from intags_env.generator.background import GeneratorBackground
from intags_env.generator.batch import GeneratorBatch
from intags_env.generator.env import WorldAgentEnv
from intags_env.generator.evaluate import batch_episode_stats, batched_jobs, episode_stats
from intags_env.generator.policy import GeneratorPolicy, SB3OrderPolicy, generator_policy_kwargs
from intags_env.generator.spec import ACTION_NVEC, N_FIELDS, F
from intags_env.intags.experiment import ConfoundedTrader

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5
WINDOW = {"real": "rmsc04", "start": "09:35", "end": "09:36", "n_external": 1}


@pytest.fixture(scope="module")
def policy() -> SB3OrderPolicy:
    env = WorldAgentEnv(real_set=REAL, horizons=3, start="09:35", end="09:36")
    model = PPO(GeneratorPolicy, env, policy_kwargs=generator_policy_kwargs(), seed=4, device="cpu")
    starts = np.concatenate([[0], np.cumsum(ACTION_NVEC)])
    with torch.no_grad():
        model.policy.logit_offsets.normal_()
        for field in ("limit_delay", "market_delay", "cancel_delay"):  # a busy generator: no delay over 0.3 s
            model.policy.logit_offsets[:, starts[F[field]] + 9 : starts[F[field] + 1]] -= 30.0
    return SB3OrderPolicy(model)


def _alone(policy, seed: int, stops: list[int]) -> np.ndarray:
    bg = GeneratorBackground(policy, **WINDOW)
    bg.reset(seed)
    for t in stops:
        bg.run_until(t)
    return bg.result().lobster.messages


@pytest.mark.parametrize("compiled", [True, False])
def test_each_session_of_a_batch_is_the_session_alone(policy: SB3OrderPolicy, compiled: bool) -> None:
    p = policy if compiled else (lambda obs, rng: policy(obs, rng))  # the Python path
    seeds = [11, 12, 13]
    batch = GeneratorBatch(p, len(seeds), **WINDOW)
    batch.reset(seeds)
    start = batch.backgrounds[0].config.start_ns
    stops = np.array([[start + 7 * 10**9, start + 20 * 10**9, -1], [start + 30 * 10**9] * 3, [10**18] * 3])
    for row in stops:
        batch.run_until(row)
    assert not batch.errors
    for i, seed in enumerate(seeds):
        own = [int(t) for t in stops[:, i] if t >= 0]
        mine = batch.backgrounds[i].result().lobster.messages
        assert batch.backgrounds[i].n_orders > 200
        np.testing.assert_array_equal(mine, _alone(p, seed, own))


def test_batched_episode_stats_equal_each_episode_alone(policy: SB3OrderPolicy) -> None:
    trader = ConfoundedTrader(beta=1.0, size=100, interval_s=2.0)
    seeds = [3, 4]
    batch = GeneratorBatch(policy, len(seeds), **WINDOW)
    together = batch_episode_stats(batch, trader, seeds, horizons=3)
    for seed, mine in zip(seeds, together, strict=True):
        alone = episode_stats(GeneratorBackground(policy, **WINDOW), trader, seed, 3, warmup_s=0.0)
        assert np.isfinite(mine.feedback).all()
        np.testing.assert_array_equal(mine.feedback, alone.feedback)
        np.testing.assert_array_equal(mine.rich, alone.rich)
        np.testing.assert_array_equal(mine.facts, alone.facts)
        assert (mine.buy_volume, mine.sell_volume) == (alone.buy_volume, alone.sell_volume)


def test_a_runaway_session_is_recorded_and_the_others_go_on(policy: SB3OrderPolicy) -> None:
    runaway = np.zeros(N_FIELDS, np.int64)
    runaway[F["type"]], runaway[F["limit_price"]] = 0, 5  # a limit at the own touch, delay bucket 0
    batch = GeneratorBatch(None, 3, **WINDOW)

    def generator(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return runaway if rng is batch.backgrounds[1].rng else policy(obs, rng)

    for bg in batch.backgrounds:
        bg.policy = generator
    batch.reset([1, 2, 3])
    batch.run_until(batch.end_ns)
    assert list(batch.errors) == [1] and "runaway generator" in str(batch.errors[1])
    for i in (0, 2):
        assert batch.backgrounds[i].done and batch.backgrounds[i].n_orders > 200


def test_batched_jobs_cover_the_seeds_in_order() -> None:
    seeds = list(range(100, 170))
    for workers in (1, 2, 4):
        groups = batched_jobs(seeds, workers, max_batch=32)
        assert [s for g in groups for s in g] == seeds
        assert max(len(g) for g in groups) <= 32
        assert len(groups) >= (2 * workers if workers > 1 else 1)
    assert batched_jobs([5], 2) == [(5,)]


def test_bad_batches_are_refused(policy: SB3OrderPolicy) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        GeneratorBatch(policy, 0, **WINDOW)
    batch = GeneratorBatch(policy, 2, **WINDOW)
    with pytest.raises(RuntimeError, match="reset"):
        batch.run_until(0)
    with pytest.raises(ValueError, match="one seed per session"):
        batch.reset([1])


def test_a_saved_generator_s_realism_episodes_run_batched_as_alone(policy: SB3OrderPolicy, tmp_path) -> None:
    from intags_env.realism.markets import Market, causal_episode, causal_episodes

    path = tmp_path / "gen.zip"
    policy.model.save(path)
    path.with_suffix(".json").write_text(json.dumps({"real": "rmsc04", "start": "09:35", "end": "09:36"}))
    market = Market("gen", str(path))
    trader = ConfoundedTrader(beta=1.0, size=100, interval_s=2.0)
    together = causal_episodes(market, trader, (7, 8, 9), "09:35", "09:36", 3)
    for seed, mine in zip((7, 8, 9), together, strict=True):
        alone = causal_episode(market, trader, seed, "09:35", "09:36", 3)
        np.testing.assert_array_equal(mine.feedback, alone.feedback)
        np.testing.assert_array_equal(mine.facts, alone.facts)
