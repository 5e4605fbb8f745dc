"""The generator policy: behaviour cloning, SB3 save/load, seeded sampling, training and resume."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from intags_env.envs.background import make_background
from intags_env.generator.background import GeneratorBackground
from intags_env.generator.env import WorldAgentEnv
from intags_env.generator.orderstream import order_stream
from intags_env.generator.policy import (
    GeneratorPolicy,
    SB3OrderPolicy,
    behaviour_cloning,
    generator_policy_kwargs,
    load_generator,
    masked_log_likelihood,
)
from intags_env.generator.spec import FEATURE_NAMES, FIELD_MASK, HISTORY, N_FIELDS
from intags_env.generator.train import TrainSettings, clone_generator, save_generator, train_generator
from intags_env.world.simulate import simulate

OBS = HISTORY * len(FEATURE_NAMES)  # the observation: the last HISTORY market states

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5


def _model(seed: int = 0, orders_per_step: int = 1) -> PPO:
    env = WorldAgentEnv(
        real_set=REAL, horizons=3, start="09:35", end="09:36", orders_per_step=orders_per_step
    )
    return PPO(
        GeneratorPolicy, env, policy_kwargs=generator_policy_kwargs(), n_steps=64, seed=seed, device="cpu"
    )


def _nll(model: PPO, obs: np.ndarray, actions: np.ndarray) -> float:
    with torch.no_grad():
        log_prob = masked_log_likelihood(model.policy, torch.as_tensor(obs), torch.as_tensor(actions))
    return float(-log_prob.mean())


def test_the_cloning_likelihood_counts_only_the_fields_of_each_orders_type(stream) -> None:
    model = _model()
    obs = torch.as_tensor(stream.observations()[:50])
    actions = torch.as_tensor(stream.actions[:50])
    base = masked_log_likelihood(model.policy, obs, actions)
    other = actions.clone()
    unused = ~torch.as_tensor(FIELD_MASK)[actions[:, 0]]
    other[unused] = 1  # another value in every field the order's type does not use
    torch.testing.assert_close(masked_log_likelihood(model.policy, obs, other), base)
    with torch.no_grad():
        _, full, _ = model.policy.evaluate_actions(obs, actions)
    assert (full < base).all()  # SB3's own likelihood also counts the unused heads


@pytest.fixture(scope="module")
def stream():
    return order_stream(simulate("small", seed=0).lobster)


def test_behaviour_cloning_raises_the_likelihood_of_the_real_orders(stream) -> None:
    model = _model()
    obs, actions = stream.observations(), stream.actions
    before = _nll(model, obs, actions)
    losses = behaviour_cloning(model, obs, actions, epochs=4, progress=False)
    after = _nll(model, obs, actions)
    assert after < before - 1.0
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="as many"):
        behaviour_cloning(model, obs[:3], actions[:2], progress=False)


def test_save_load_round_trip_keeps_the_order_distribution(tmp_path, stream) -> None:
    model = _model()
    behaviour_cloning(model, stream.observations(), stream.actions, epochs=1, progress=False)
    settings = replace(TrainSettings(), start="09:35", end="09:36")
    save_generator(model, tmp_path / "g.zip", settings)
    loaded = load_generator(tmp_path / "g.zip")
    obs = stream.observations()[100]
    for p, q in zip(SB3OrderPolicy(model).probabilities(obs), SB3OrderPolicy(loaded).probabilities(obs)):
        np.testing.assert_allclose(p, q, rtol=1e-6)
    assert json.loads((tmp_path / "g.json").read_text())["end"] == "09:36"
    background = make_background(str(tmp_path / "g.zip"), 1)
    assert isinstance(background, GeneratorBackground)
    assert background.config.end_ns - background.config.start_ns == 60 * 10**9


def test_sampling_follows_the_callers_generator() -> None:
    policy = SB3OrderPolicy(_model())
    obs = np.random.default_rng(0).normal(size=OBS).astype(np.float32)
    with torch.no_grad():
        dist = policy.policy.get_distribution(torch.as_tensor(obs).reshape(1, -1))
    for mine, sb3 in zip(policy.probabilities(obs), dist.distribution):
        np.testing.assert_allclose(mine, sb3.probs[0].numpy(), rtol=1e-5)
    a = [policy(obs, np.random.default_rng(5)) for _ in range(3)]
    assert all(np.array_equal(a[0], x) for x in a)
    draws = np.array([policy(obs, np.random.default_rng(s)) for s in range(400)])
    # the empirical frequency of each type follows the policy's probabilities
    p_type = policy.probabilities(obs)[0]
    freq = np.bincount(draws[:, 0], minlength=3) / len(draws)
    np.testing.assert_allclose(freq, p_type, atol=0.08)


def test_a_missing_model_is_named(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no generator model"):
        make_background(str(tmp_path / "missing.zip"), 1)


@pytest.mark.slow
def test_quick_training_runs_end_to_end_and_resumes(tmp_path) -> None:
    settings = replace(
        TrainSettings.quick(),
        end="09:37",
        real_episodes=20,
        eval_episodes=6,
        final_episodes=6,
        steps=1024,
        eval_every=1024,
    )
    settings = replace(settings, n_steps=512, batch_size=256, workers=1, method="ppo", value_warmup_steps=512)
    report = train_generator(settings, tmp_path, progress=False)
    for key in ("pretrained", "intags", "floor"):
        assert np.isfinite(report[key]["mmd2"])
    assert (tmp_path / "generator.zip").exists() and (tmp_path / "mmd_curve.png").exists()
    assert (tmp_path / "facts.md").exists()
    steps_before = load_generator(tmp_path / "generator.zip").num_timesteps
    assert steps_before >= 512 + 1024  # the critic's warm-up, then the updates
    resumed = train_generator(replace(settings, steps=1024), tmp_path, resume=True, progress=False)
    assert load_generator(tmp_path / "generator.zip").num_timesteps == steps_before + 1024  # carried on
    assert [c["steps"] for c in resumed["curve"]] == [0, 1024, 2048]  # the evaluation schedule too


def test_cli_distance_compares_a_generator_in_its_window(tmp_path, capsys, stream) -> None:
    from intags_env.cli import main

    model = _model()
    behaviour_cloning(model, stream.observations(), stream.actions, epochs=1, progress=False)
    save_generator(model, tmp_path / "g.zip", replace(TrainSettings(), start="09:35", end="09:36"))
    argv = ["distance", "--synthetic", str(tmp_path / "g.zip"), "--episodes", "4", "--interval", "2"]
    code = main([*argv, "--horizons", "2", "--permutations", "20", "--workers", "1", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "real vs real (floor)" in out and "g.zip" in out


def test_cloning_and_fine_tuning_are_deterministic_per_seed(stream) -> None:
    def trained(seed: int) -> list[np.ndarray]:
        torch.manual_seed(0)  # SB3 seeds torch in PPO(seed=...); the network init happens there too
        model = _model(seed)
        behaviour_cloning(model, stream.observations(), stream.actions, epochs=1, seed=seed, progress=False)
        model.learn(128)
        return [p.detach().numpy().copy() for p in model.policy.parameters()]

    first, again, other = trained(1), trained(1), trained(2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


AMZN = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "lobster"
    / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
)


@pytest.mark.skipif(not AMZN.exists(), reason="the LOBSTER sample files are not beside the repository")
def test_behaviour_cloning_data_from_a_lobster_file() -> None:
    from intags_env.generator.train import bc_dataset

    observations, actions = bc_dataset(replace(TrainSettings(), pretrain_lobster=str(AMZN)), progress=False)
    assert observations.shape == (len(actions), OBS) and len(actions) > 40_000
    assert np.isfinite(observations).all()
    assert set(np.unique(actions[:, 0])) == {0, 1, 2}


def test_a_several_orders_policy_drives_a_background() -> None:
    policy = SB3OrderPolicy(_model(orders_per_step=3))
    action = policy(np.zeros(OBS, np.float32), np.random.default_rng(0))
    assert action.shape == (3 * N_FIELDS,)
    assert all(FIELD_MASK[o[0]][o != 0].all() for o in action.reshape(3, N_FIELDS))  # unused fields 0
    background = GeneratorBackground(policy, start="09:35", end="09:36", n_external=0)
    background.reset(0)
    background.run_until(background.config.end_ns)
    assert background.n_orders > 8 and background.done  # untrained: delays spread over all buckets


def test_clone_generator_writes_a_cloned_background_without_a_real_feedback_set(tmp_path) -> None:
    settings = replace(
        TrainSettings.quick(),
        real="small",
        start="09:32",
        end="09:34",
        pretrain_sessions=1,
        pretrain_epochs=1,
        spread_edges=(1, 2, 4),
    )
    path = clone_generator(settings, tmp_path, progress=False)
    assert path == tmp_path / "pretrained.zip" and path.exists()
    assert load_generator(path).policy.logit_offsets.shape[0] == 3  # the adapter's buckets, kept
    assert json.loads(path.with_suffix(".json").read_text()) == {
        "real": "small",
        "start": "09:32",
        "end": "09:34",
    }
    assert len(json.loads((tmp_path / "bc_losses.json").read_text())) == 1
    background = make_background(str(path), 0)
    background.reset(1)
    background.run_until(background.config.end_ns)
    assert background.n_orders > 0


@pytest.mark.parametrize("edges", [(), (2, 3), (1, 3, 3), (1, 4, 2)])
def test_spread_edges_must_rise_strictly_from_one_tick(edges) -> None:
    with pytest.raises(ValueError, match="spread_edges must rise strictly from 1"):
        TrainSettings(spread_edges=edges)


def test_a_model_of_another_action_space_is_named_not_loaded(tmp_path) -> None:
    from stable_baselines3 import PPO

    PPO("MlpPolicy", "CartPole-v1", n_steps=64, device="cpu").save(tmp_path / "other.zip")
    with pytest.raises(ValueError, match="another order representation"):
        load_generator(tmp_path / "other.zip")


def test_a_truncated_or_damaged_model_is_named_not_an_assertion(tmp_path) -> None:
    from intags_env.bench import load_sb3_model

    PPO("MlpPolicy", "CartPole-v1", n_steps=64, device="cpu").save(tmp_path / "ok.zip")
    data = (tmp_path / "ok.zip").read_bytes()
    (tmp_path / "truncated.zip").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    (tmp_path / "flipped.zip").write_bytes(bytes(flipped))
    with zipfile.ZipFile(tmp_path / "no_data.zip", "w") as archive:  # SB3: "No data found" (an assert)
        archive.writestr("_stable_baselines3_version", "2.0")
    for name in ("truncated.zip", "flipped.zip", "no_data.zip"):
        path = tmp_path / name
        what = re.escape(f"{path} is not a readable, complete")
        with pytest.raises(ValueError, match=f"{what} generator model"):
            load_generator(path)
        with pytest.raises(ValueError, match=f"{what} generator model"):
            make_background(str(path), 1)  # background="gen.zip"
        with pytest.raises(ValueError, match=f"{what} Stable-Baselines3 model"):
            load_sb3_model(str(path))  # intags bench --agents model.zip
    missing = tmp_path / "missing.zip"
    for load in (load_generator, load_sb3_model):
        with pytest.raises(FileNotFoundError, match=re.escape(f"{missing}") + "$"):
            load(str(missing))  # not missing.zip.zip: SB3 retries with the suffix added
