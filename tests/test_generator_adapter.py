"""The generator's logit adapter: zero is the clone, offsets act per spread bucket on every SB3 path,
they survive save/load, the KL leash, and the ES objective."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

from intags_env.generator.adapter import CloneKL, LogitAdapter
from intags_env.generator.es import Objective
from intags_env.generator.evaluate import EpisodeStats
from intags_env.generator.policy import (
    SPREAD_EDGES,
    GeneratorPolicy,
    SB3OrderPolicy,
    generator_policy_kwargs,
    load_generator,
)
from intags_env.generator.ppo_leash import actor_parameters
from intags_env.generator.spec import ACTION_NVEC, FEATURE_NAMES, FIELD_NAMES, HISTORY
from intags_env.generator.train import _OrderSpaces
from intags_env.metrics.facts import DISTRIBUTIONS, QUANTILE_POINTS

N = len(FEATURE_NAMES)


def _model(spread_edges: tuple[int, ...] = (1, 2)) -> PPO:
    """A fresh generator; two spread buckets (1 tick, wider) unless told, as the known values below."""
    env = DummyVecEnv([lambda: _OrderSpaces(1)])
    kwargs = generator_policy_kwargs(spread_edges)
    return PPO(GeneratorPolicy, env, policy_kwargs=kwargs, seed=0, device="cpu")


def _observations(spreads_ticks: list[int | None], seed: int = 0) -> np.ndarray:
    """Random states whose latest spread is as given (None: a one-sided book)."""
    obs = np.random.default_rng(seed).normal(size=(len(spreads_ticks), HISTORY * N)).astype(np.float32)
    last = (HISTORY - 1) * N
    for row, spread in zip(obs, spreads_ticks):
        row[last + FEATURE_NAMES.index("log_spread_ticks")] = 0.0 if spread is None else np.log1p(spread)
        row[last + FEATURE_NAMES.index("two_sided")] = 0.0 if spread is None else 1.0
    return obs


def test_spread_buckets_of_states() -> None:
    policy = _model().policy
    obs = torch.as_tensor(_observations([1, 2, 7, None]))
    assert policy.spread_bucket(obs).tolist() == [0, 1, 1, 1]
    default = _model(SPREAD_EDGES).policy  # 1 tick, 2, 3-4, 5 or more / one-sided
    obs = torch.as_tensor(_observations([1, 2, 3, 4, 5, 7, None]))
    assert default.spread_bucket(obs).tolist() == [0, 1, 2, 2, 3, 3, 3]
    assert LogitAdapter().n_buckets == len(SPREAD_EDGES)


def test_zero_theta_is_the_clone_and_offsets_reach_every_sb3_path() -> None:
    model = _model()
    policy = model.policy
    adapter = LogitAdapter(2)
    obs = torch.as_tensor(_observations([1, 3, None, 1]))
    base = policy.action_logits(obs).detach().clone()
    adapter.apply(policy, np.zeros(adapter.dim))
    assert torch.equal(policy.action_logits(obs), base)

    theta = np.random.default_rng(1).normal(size=adapter.dim)
    adapter.apply(policy, theta)
    offsets = torch.as_tensor(adapter.offsets(theta), dtype=torch.float32)
    expected = base + offsets[[0, 1, 1, 0]]
    assert torch.allclose(policy.action_logits(obs), expected, atol=1e-5)
    # SB3's own distribution (used by PPO's evaluate_actions and predict) sees the same logits
    distribution = policy.get_distribution(obs).distribution
    splits = torch.split(expected, [int(n) for n in ACTION_NVEC], dim=1)
    for d, part in zip(distribution, splits):
        assert torch.allclose(d.probs, torch.softmax(part, dim=1), atol=1e-5)
    actions = torch.zeros((4, len(ACTION_NVEC)), dtype=torch.int64)
    _, log_prob, _ = policy.evaluate_actions(obs, actions)
    direct = sum(torch.log_softmax(part, dim=1)[:, 0] for part in splits)
    assert torch.allclose(log_prob, direct, atol=1e-4)
    # and the background's sampler
    probabilities = SB3OrderPolicy(model).probabilities(obs[1].numpy())
    assert np.allclose(probabilities[0], torch.softmax(splits[0][1], 0).numpy(), atol=1e-5)


def test_adapter_basis_moves_only_the_named_fields() -> None:
    adapter = LogitAdapter(2)
    assert adapter.basis.shape == (2 * int(ACTION_NVEC.sum()), adapter.dim)
    theta = np.zeros(adapter.dim)
    theta[0] = 1.0  # bucket 0, the limit type's offset
    offsets = adapter.offsets(theta)
    assert offsets[0, 0] == 1.0 and np.count_nonzero(offsets) == 1
    theta = np.zeros(adapter.dim)
    theta[3] = 2.0  # bucket 0, limit side: sell +1, buy -1
    start = int(ACTION_NVEC[: FIELD_NAMES.index("limit_side")].sum())
    assert adapter.offsets(theta)[0, start : start + 2].tolist() == [-1.0, 1.0]
    with pytest.raises(ValueError, match="shape"):
        adapter.offsets(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        adapter.offsets(np.full(adapter.dim, np.nan))


def test_offsets_survive_save_and_load(tmp_path) -> None:
    model = _model()
    adapter = LogitAdapter(2)
    theta = np.random.default_rng(2).normal(size=adapter.dim)
    adapter.apply(model.policy, theta)
    model.save(tmp_path / "g.zip")
    loaded = load_generator(tmp_path / "g.zip")
    assert isinstance(loaded.policy, GeneratorPolicy)
    assert torch.allclose(
        loaded.policy.logit_offsets, torch.as_tensor(adapter.offsets(theta), dtype=torch.float32)
    )


def test_clone_kl_is_zero_at_the_clone_and_grows_with_the_offsets() -> None:
    model = _model()
    adapter = LogitAdapter(2)
    kl = CloneKL(model.policy, _observations([1, 2, None, 1, 5, 1], seed=3))
    assert kl(adapter.offsets(np.zeros(adapter.dim))) == pytest.approx(0.0, abs=1e-12)
    direction = np.random.default_rng(4).normal(size=adapter.dim)
    small, large = kl(adapter.offsets(0.1 * direction)), kl(adapter.offsets(direction))
    assert 0.0 < small < large


def _stats(
    rng: np.random.Generator, n: int, shift: float = 0.0, spread_shift: float = 0.0
) -> list[EpisodeStats]:
    def quantiles() -> np.ndarray:
        q = np.sort(rng.normal(size=(len(DISTRIBUTIONS), QUANTILE_POINTS)), axis=1)
        q[list(DISTRIBUTIONS).index("spread_ticks")] += spread_shift
        return q

    return [
        EpisodeStats(
            rng.normal(size=5), 10, 10, rng.normal(size=10) + shift, rng.normal(size=7) + shift, quantiles()
        )
        for _ in range(n)
    ]


def test_objective_prefers_episodes_like_the_real_ones_and_penalises_runaways() -> None:
    rng = np.random.default_rng(5)
    model = _model()
    kl = CloneKL(model.policy, _observations([1, 2, 1, None]))
    objective = Objective(_stats(rng, 100), kl, facts_weight=1.0, ks_weight=1.0, kl_weight=0.5)
    zero = LogitAdapter(2).offsets(np.zeros(LogitAdapter(2).dim))
    near = objective(_stats(rng, 30), zero)
    far = objective(_stats(rng, 30, shift=2.0), zero)
    assert near["objective"] < far["objective"]
    assert far["rich_mmd2"] > near["rich_mmd2"] and far["facts_mmd2"] > near["facts_mmd2"]
    runaway = _stats(rng, 30)
    nan_quantiles = np.full((len(DISTRIBUTIONS), QUANTILE_POINTS), np.nan)
    for i in range(10):
        runaway[i] = EpisodeStats(
            np.full(5, np.nan), 0, 0, np.full(10, np.nan), np.full(7, np.nan), nan_quantiles
        )
    assert objective(runaway, zero)["failed"] == pytest.approx(1 / 3)
    assert objective(runaway, zero)["objective"] > near["objective"] + 0.3


def test_objective_takes_its_facts_from_the_trader_free_sessions_when_given() -> None:
    rng = np.random.default_rng(9)
    kl = CloneKL(_model().policy, _observations([1, 2, 1, None]))
    real, real_free = _stats(rng, 100), _stats(rng, 100, shift=3.0, spread_shift=3.0)
    objective = Objective(real, kl, real_facts=real_free)
    zero = LogitAdapter(2).offsets(np.zeros(LogitAdapter(2).dim))
    with_trader, free = _stats(rng, 20), _stats(rng, 10, shift=3.0, spread_shift=3.0)
    split = objective(with_trader, zero, free)
    assert split["facts_mmd2"] < 0.1 and split["facts_ks"] < 0.1  # like the trader-free real sessions
    assert split["rich_mmd2"] < 0.1  # the causal side still from the sessions with the trader
    assert objective(with_trader, zero)["facts_ks"] > 0.15  # the wrong sessions: the spread is off by 3 SD
    free[0] = EpisodeStats(
        np.full(5, np.nan),
        0,
        0,
        np.full(10, np.nan),
        np.full(7, np.nan),
        np.full_like(free[1].quantiles, np.nan),
    )
    assert objective(with_trader, zero, free)["failed"] == pytest.approx(1 / 30)


def test_objective_facts_ks_sees_one_shifted_distribution() -> None:
    """Only the spread's pooled distribution moves: the KS term rises by about its KS over the five."""
    rng = np.random.default_rng(6)
    kl = CloneKL(_model().policy, _observations([1, 2, 1, None]))
    objective = Objective(_stats(rng, 100), kl, ks_weight=2.0)
    zero = LogitAdapter(2).offsets(np.zeros(LogitAdapter(2).dim))
    near = objective(_stats(rng, 30), zero)
    moved = objective(_stats(rng, 30, spread_shift=1.0), zero)
    assert near["facts_ks"] < 0.05
    # N(0,1) vs N(1,1): KS 0.38, one distribution of five
    assert moved["facts_ks"] == pytest.approx(near["facts_ks"] + 0.38 / 5, abs=0.03)
    assert moved["objective"] - near["objective"] == pytest.approx(
        2.0 * (moved["facts_ks"] - near["facts_ks"])
        + moved["facts_mmd2"]
        - near["facts_mmd2"]
        + moved["rich_mmd2"]
        - near["rich_mmd2"],
        abs=1e-9,
    )


def _with_volumes(stats: list[EpisodeStats], buy: int, sell: int) -> list[EpisodeStats]:
    return [replace(s, buy_volume=buy, sell_volume=sell) for s in stats]


def test_objective_imbalance_term_pulls_towards_the_real_balance() -> None:
    """Real sessions 60/40 (|imbalance| 0.2): a candidate at 90/10 pays weight * 0.6, one at 60/40
    nothing; with weight 0 the term is off."""
    rng = np.random.default_rng(7)
    kl = CloneKL(_model().policy, _observations([1, 2, 1, None]))
    real = _with_volumes(_stats(rng, 100), 60, 40)
    zero = LogitAdapter(2).offsets(np.zeros(LogitAdapter(2).dim))
    episodes = _stats(rng, 30)
    balanced, lopsided = _with_volumes(episodes, 40, 60), _with_volumes(episodes, 90, 10)
    weighted = Objective(real, kl, imbalance_weight=2.0)
    assert weighted(balanced, zero)["imbalance_abs"] == pytest.approx(0.2)
    assert weighted(lopsided, zero)["objective"] - weighted(balanced, zero)["objective"] == pytest.approx(
        2.0 * 0.6
    )
    off = Objective(real, kl)
    assert off(lopsided, zero)["objective"] == pytest.approx(off(balanced, zero)["objective"])


def test_es_training_runs_end_to_end_keeps_its_adapter_and_resumes(tmp_path) -> None:

    from intags_env.generator.train import TrainSettings, train_generator

    settings = replace(
        TrainSettings.quick(),
        end="09:37",
        pretrain_sessions=2,
        pretrain_epochs=1,
        generations=2,
        popsize=4,
        es_episodes=2,
        es_real_episodes=8,
        check_episodes=3,
        check_every=1,
        final_episodes=4,
        workers=1,
        facts_episodes=2,  # the facts terms on trader-free sessions
    )
    report = train_generator(settings, tmp_path, progress=False)
    for market in ("pretrained", "intags", "floor"):
        for kind in ("paper", "rich", "facts"):
            assert np.isfinite(report[market][f"{kind}_mmd2"])
    assert report["check"]["kept"] <= report["check"]["clone"]  # never keeps worse than the clone
    theta = np.array(json.loads((tmp_path / "adapter.json").read_text())["theta"])
    saved = load_generator(tmp_path / "generator.zip").policy.logit_offsets.numpy()
    assert np.allclose(saved, LogitAdapter(len(settings.spread_edges)).offsets(theta), atol=1e-6)
    assert (tmp_path / "mmd_curve.png").exists() and (tmp_path / "facts.md").exists()
    assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
    resumed = train_generator(replace(settings, generations=3), tmp_path, resume=True, progress=False)
    assert [c["generation"] for c in resumed["curve"]] == [0, 1, 2, 3]  # carried on from the saved search


def test_candidate_episodes_are_reproducible_and_restore_the_saved_adapter(tmp_path) -> None:

    from intags_env.generator.env import default_trader
    from intags_env.generator.evaluate import _generator_episode
    from intags_env.generator.train import TrainSettings, save_generator

    model = _model()
    save_generator(model, tmp_path / "g.zip", replace(TrainSettings(), start="09:35", end="09:36"))
    adapter = LogitAdapter(2)
    theta = np.zeros(adapter.dim)
    theta[[2, adapter.dim // 2 + 2]] = 3.0  # many more cancels, whatever the spread
    job = (str(tmp_path / "g.zip"), "rmsc04", "09:35", "09:36", default_trader(), 11, 3)
    first = _generator_episode(job)
    moved = _generator_episode((*job, adapter.offsets(theta)))
    again = _generator_episode(job)  # the saved (zero) adapter is back
    np.testing.assert_array_equal(first.facts, again.facts)
    np.testing.assert_array_equal(first.quantiles, again.quantiles)
    np.testing.assert_array_equal(first.rich, again.rich)
    assert not np.array_equal(first.facts, moved.facts)


def test_the_network_adapter_is_the_clone_at_zero_and_restores_its_weights() -> None:
    from intags_env.generator.adapter import NetworkAdapter, WeightDelta, make_adapter

    model = _model()
    adapter = make_adapter("network", model.policy)
    assert isinstance(adapter, NetworkAdapter)
    assert adapter.dim == sum(p.numel() for p in actor_parameters(model.policy))
    kl = CloneKL(model.policy, _observations([1, 2, None, 1, 5, 1], seed=3))
    assert kl(adapter.candidate(np.zeros(adapter.dim))) == pytest.approx(0.0, abs=1e-9)
    direction = np.random.default_rng(4).normal(size=adapter.dim)
    # an untrained action head is near zero (SB3 initialises it with gain 0.01): large moves show
    assert 1e-4 < kl(adapter.candidate(3 * direction)) < kl(adapter.candidate(10 * direction))
    before = [p.detach().clone() for p in actor_parameters(model.policy)]
    delta = adapter.candidate(0.1 * direction)
    assert isinstance(delta, WeightDelta)
    with delta.applied(model.policy):
        assert not torch.equal(before[0], actor_parameters(model.policy)[0])
    assert all(torch.equal(a, b) for a, b in zip(before, actor_parameters(model.policy)))
    with pytest.raises(ValueError, match="unknown adapter"):
        make_adapter("everything", model.policy)


def test_a_weight_candidate_is_played_and_then_undone(tmp_path) -> None:

    from intags_env.generator.adapter import NetworkAdapter
    from intags_env.generator.env import default_trader
    from intags_env.generator.evaluate import _generator_episode
    from intags_env.generator.train import TrainSettings, save_generator

    model = _model()
    save_generator(model, tmp_path / "g.zip", replace(TrainSettings(), start="09:35", end="09:36"))
    adapter = NetworkAdapter(model.policy)
    theta = np.random.default_rng(7).normal(size=adapter.dim)
    job = (str(tmp_path / "g.zip"), "rmsc04", "09:35", "09:36", default_trader(), 11, 3)
    first = _generator_episode(job)
    moved = _generator_episode((*job, adapter.candidate(theta)))
    again = _generator_episode(job)  # the saved weights are back
    np.testing.assert_array_equal(first.quantiles, again.quantiles)
    assert not np.array_equal(first.quantiles, moved.quantiles, equal_nan=True)


def test_clone_kl_of_a_type_offset_is_the_type_distributions_kl() -> None:
    """Known value: moving only the type logits leaves every field's distribution as it was, so the KL
    is the mean categorical KL of the type (each field normalised on its own, not all side by side)."""
    model = _model()
    obs = _observations([1, 1, 2, 5], seed=8)
    kl = CloneKL(model.policy, obs)
    offsets = np.zeros((2, int(ACTION_NVEC.sum())))
    offsets[:, :3] = [1.0, -0.5, 0.0]
    with torch.no_grad():
        base = model.policy.action_logits(torch.as_tensor(obs))[:, :3].double()
    q = torch.log_softmax(base, dim=1)
    p = torch.log_softmax(base + torch.tensor([1.0, -0.5, 0.0], dtype=torch.float64), dim=1)
    expected = float((p.exp() * (p - q)).sum(dim=1).mean())
    assert kl(offsets) == pytest.approx(expected, rel=1e-6)
