"""The cWGAN world agent: its networks and loss pieces, seeded sampling and training, save/load, resume, as
a background of the environments, the CLI."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from intags_agents.cwgan import CWGANConfig, CWGANSettings, CWGANWorldAgent, marginal_distances, train_cwgan
from intags_agents.cwgan.agent import check_actions
from intags_agents.cwgan.cli import add_train_cwgan_parser
from intags_agents.cwgan.networks import (
    N_ONE_HOT,
    OBS_DIM,
    field_argmax,
    generated_orders,
    gradient_penalty,
    numpy_forward,
    one_hot_actions,
    split_fields,
    straight_through_one_hot,
)
from intags_agents.cwgan.session import closed_loop
from intags_agents.cwgan.training import _score, _Trainer

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs.background import make_background
from intags_env.generator.background import GeneratorBackground
from intags_env.generator.spec import (
    ACTION_NVEC,
    CANCEL,
    FIELD_MASK,
    FIELD_NAMES,
    FIELDS_OF_TYPE,
    LIMIT,
    MARKET,
    N_FIELDS,
    SELL,
    F,
)

WINDOW = {"real": "rmsc04", "start": "09:35", "end": "09:36"}


def _agent(seed: int = 0, **config) -> CWGANWorldAgent:
    torch.manual_seed(seed)
    return CWGANWorldAgent.new(CWGANConfig(**config), window=WINDOW)


def _observations(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, OBS_DIM)).astype(np.float32)


def _tiny(**changes) -> CWGANSettings:
    """A seconds-long run on toy data: small networks, no closed-loop sessions."""
    base = CWGANSettings(
        start="09:35",
        end="09:36",
        steps=6,
        n_critic=2,
        batch_size=32,
        noise_dim=4,
        hidden=16,
        critic_hidden=16,
        closed_loop_sessions=0,
        eval_every=3,
        log_every=3,
        checkpoint_every=3,
    )
    return replace(base, **changes)


def _toy_data(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random states and orders of all three types, except the side (of every type): a sell exactly when
    the first feature is positive. The other types' fields are random too (check_actions zeroes them)."""
    rng = np.random.default_rng(seed)
    obs = _observations(n, seed)
    actions = rng.integers(0, ACTION_NVEC, size=(n, N_FIELDS))
    for fields in FIELDS_OF_TYPE.values():
        actions[:, fields[0]] = (obs[:, 0] > 0).astype(np.int64) * SELL
    return obs, actions


def _sides(actions: np.ndarray) -> np.ndarray:
    """The side of each order (its type's side field)."""
    side_field = np.array([FIELDS_OF_TYPE[t][0] for t in range(3)])
    return actions[np.arange(len(actions)), side_field[actions[:, 0]]]


def _block_sums(one_hot: torch.Tensor) -> np.ndarray:
    """``(B, N_FIELDS)``: the sum of each field's block of one-hot orders."""
    return torch.stack([part.sum(1) for part in split_fields(one_hot.detach())], 1).numpy()


def _assert_masked(one_hot: torch.Tensor) -> None:
    """Critic inputs: the type block and the blocks of the order's type's fields are one-hot, the other
    types' blocks all zero."""
    sums = _block_sums(one_hot)
    types = split_fields(one_hot.detach())[0].argmax(1).numpy()
    np.testing.assert_array_equal(sums, FIELD_MASK[types].astype(np.float32))


def _weights(path: Path) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in CWGANWorldAgent.load(path).generator.parameters()]


# --- networks and loss pieces ----------------------------------------------------------------------


def test_sampled_orders_are_valid_actions() -> None:
    agent = _agent()
    orders = agent.sample(_observations(3000) * 5, np.random.default_rng(0))
    assert orders.shape == (3000, N_FIELDS) and orders.dtype == np.int64
    assert (orders >= 0).all() and (orders < ACTION_NVEC).all()
    assert (orders[~FIELD_MASK[orders[:, 0]]] == 0).all()  # the other types' fields are 0
    np.testing.assert_array_equal(check_actions(orders), orders)
    assert set(np.unique(orders[:, 0])) == {LIMIT, MARKET, CANCEL}
    for kind, fields in FIELDS_OF_TYPE.items():  # an untrained generator reaches every value of every field
        of_kind = orders[orders[:, 0] == kind]
        for field in fields:
            assert len(np.unique(of_kind[:, field])) == ACTION_NVEC[field], FIELD_NAMES[field]
    one = agent(_observations(1)[0], np.random.default_rng(0))
    assert one.shape == (N_FIELDS,) and (one < ACTION_NVEC).all()
    assert (one[~FIELD_MASK[one[0]]] == 0).all()
    with pytest.raises(ValueError, match=f"{OBS_DIM} values"):
        agent(np.zeros(OBS_DIM - 1, np.float32), np.random.default_rng(0))


def test_the_numpy_forward_pass_is_the_torch_one() -> None:
    agent = _agent(hidden=32)
    obs, noise = _observations(64) * 3, _observations(64, 1)[:, : agent.config.noise_dim]
    with torch.no_grad():
        expected = agent.generator(torch.from_numpy(obs), torch.from_numpy(noise)).numpy()
    np.testing.assert_allclose(numpy_forward(agent.generator, obs, noise), expected, rtol=1e-5, atol=1e-5)
    per_field = torch.stack([p.argmax(1) for p in split_fields(torch.from_numpy(expected))], 1).numpy()
    np.testing.assert_array_equal(field_argmax(expected), np.where(FIELD_MASK[per_field[:, 0]], per_field, 0))


def test_straight_through_one_hot_is_hard_forward_and_soft_backward() -> None:
    logits = torch.randn(8, N_ONE_HOT, requires_grad=True)
    gumbel = -torch.empty(8, N_ONE_HOT).exponential_().log()
    out = straight_through_one_hot(logits, gumbel, tau=1.0)
    assert set(out.detach().unique().tolist()) <= {0.0, 1.0}
    for part, expected in zip(split_fields(out.detach()), split_fields(logits.detach() + gumbel)):
        assert (part.sum(1) == 1).all()
        assert (part.argmax(1) == expected.argmax(1)).all()
    (out * torch.randn(N_ONE_HOT)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0  # gradients reach the logits


def test_critic_inputs_are_masked_by_type() -> None:
    # real orders: a cancel with garbage in the limit and market fields, a limit, a market
    cancel = [CANCEL, 1, 9, 5, 8, 1, 3, 2, 1, 9, 5, 8, 3]
    limit = [LIMIT, 1, 20, 4, 2] + [0] * 8
    market = [MARKET, 0, 0, 0, 0, 1, 7, 11, 0, 0, 0, 0, 0]
    hot = one_hot_actions(torch.tensor([cancel, limit, market]))
    assert hot.shape == (3, N_ONE_HOT)
    _assert_masked(hot)
    assert hot.sum(1).tolist() == [6.0, 5.0, 4.0]
    for row, action in enumerate((cancel, limit, market)):
        blocks = split_fields(hot[row : row + 1])
        assert [int(blocks[f].argmax(1)) for f in (0, *FIELDS_OF_TYPE[action[0]])] == [
            action[f] for f in (0, *FIELDS_OF_TYPE[action[0]])
        ]
    # generated orders: the same masking, hard forward
    logits = torch.randn(256, N_ONE_HOT, requires_grad=True)
    gumbel = -torch.empty(256, N_ONE_HOT).exponential_().log()
    out = generated_orders(logits, gumbel)
    assert set(out.detach().unique().tolist()) <= {0.0, 1.0}
    _assert_masked(out)
    drawn = field_argmax((logits + gumbel).detach().numpy())  # the numpy sampler's decision is the same
    np.testing.assert_array_equal(split_fields(out.detach())[0].argmax(1).numpy(), drawn[:, 0])
    assert len(np.unique(drawn[:, 0])) == 3
    # a loss on the fields alone (not the type block) trains the type logits through the mask, and
    # never the fields of the types not drawn
    weights = torch.randn(N_ONE_HOT)
    weights[:3] = 0.0
    (out * weights).sum().backward()
    grads = split_fields(logits.grad)
    assert grads[0].abs().sum() > 0
    unused = ~FIELD_MASK[drawn[:, 0]]
    for field in range(1, N_FIELDS):
        per_row = grads[field].abs().sum(1).numpy()
        assert (per_row[unused[:, field]] == 0).all() and (per_row[~unused[:, field]] > 0).any()


def test_the_trainer_gives_the_critic_masked_orders() -> None:
    obs, actions = _toy_data(200)
    trainer = _Trainer(_tiny(), obs, check_actions(actions))
    _assert_masked(trainer.orders)
    _assert_masked(trainer._generate(trainer.obs[:64]))
    stats = trainer.iteration_step()
    assert all(np.isfinite(v) for v in stats.values())


def test_check_actions_zeroes_unused_fields_and_names_bad_ones() -> None:
    action = np.array([[MARKET, 1, 25, 9, 9, 1, 3, 2, 1, 9, 5, 8, 3]])
    expected = np.zeros_like(action)
    expected[0, [0, 5, 6, 7]] = [MARKET, 1, 3, 2]
    np.testing.assert_array_equal(check_actions(action), expected)
    action[0, 2] = 999  # an unused field out of range is ignored
    np.testing.assert_array_equal(check_actions(action), expected)
    action[0, 6] = ACTION_NVEC[6]
    with pytest.raises(ValueError, match=r"action 0 has field 6 \(market_size\)"):
        check_actions(action)
    with pytest.raises(ValueError, match="action 0 has type 3"):
        check_actions(np.full((1, N_FIELDS), 3))
    with pytest.raises(ValueError, match="shape"):
        check_actions(np.zeros((2, 5), np.int64))


def test_gradient_penalty_known_values() -> None:
    obs = torch.randn(16, OBS_DIM)
    real, fake = torch.rand(16, N_ONE_HOT), torch.rand(16, N_ONE_HOT)
    eps = torch.rand(16)
    w = torch.full((N_ONE_HOT,), 3.0 / N_ONE_HOT**0.5)  # ||w|| = 3

    def linear(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return a @ w + o.sum(1)  # gradient w.r.t. the order: w everywhere

    assert gradient_penalty(linear, obs, real, fake, eps).item() == pytest.approx(4.0, rel=1e-5)

    def quadratic(o: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return 0.5 * (a**2).sum(1)  # gradient: the interpolate itself

    mixed = eps[:, None] * real + (1 - eps[:, None]) * fake
    expected = ((mixed.norm(dim=1) - 1) ** 2).mean().item()
    assert gradient_penalty(quadratic, obs, real, fake, eps).item() == pytest.approx(expected, rel=1e-5)
    assert gradient_penalty(quadratic, obs, real, real, eps).requires_grad  # differentiable for the loss


# --- sampling, files ----------------------------------------------------------------------------------


def test_sampling_is_reproducible_per_generator_and_exact() -> None:
    agent = _agent()
    obs = _observations(200)
    first, again = agent.sample(obs, np.random.default_rng(3)), agent.sample(obs, np.random.default_rng(3))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, agent.sample(obs, np.random.default_rng(4)))
    # with the noise cut off, every draw follows the softmax of the logits (Gumbel-max is exact)
    with torch.no_grad():
        agent.generator.net[0].weight[:, OBS_DIM:] = 0.0
    state, noise = obs[0], np.zeros(agent.config.noise_dim)
    p_type = agent.probabilities(state, noise)[0]
    draws = agent.sample(np.repeat(state[None], 4000, axis=0), np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=3) / 4000, p_type, atol=0.03)


def test_save_load_round_trip_gives_identical_samples(tmp_path) -> None:
    agent = _agent(noise_dim=8, hidden=32)
    path = agent.save(tmp_path / "m.pt")
    loaded = CWGANWorldAgent.load(path)
    assert loaded.config == agent.config and loaded.window == WINDOW
    obs = _observations(300)
    np.testing.assert_array_equal(
        agent.sample(obs, np.random.default_rng(1)), loaded.sample(obs, np.random.default_rng(1))
    )
    meta = json.loads((tmp_path / "m.json").read_text())
    assert meta["end"] == "09:36" and meta["config"]["noise_dim"] == 8
    meta["end"] = "09:37"  # the json beside the model sets the window, as for SB3 generators
    (tmp_path / "m.json").write_text(json.dumps(meta))
    assert CWGANWorldAgent.load(path).window["end"] == "09:37"


def test_inputs_outside_the_training_band_are_held_at_its_edge(tmp_path) -> None:
    """Closed loop the state leaves the data (a trader's market orders widen the spread); G sees it at
    the edge of its training band, where it was fitted, not extrapolated (torch and numpy alike)."""
    low, high = -np.ones(OBS_DIM, np.float32), np.ones(OBS_DIM, np.float32)
    torch.manual_seed(0)
    agent = CWGANWorldAgent.new(
        CWGANConfig(noise_dim=8, hidden=32), window=WINDOW, obs_low=low, obs_high=high
    )
    far = _observations(200) * 10
    inside = np.clip(far, low, high)
    assert np.abs(far).max() > 5
    np.testing.assert_array_equal(
        agent.sample(far, np.random.default_rng(3)), agent.sample(inside, np.random.default_rng(3))
    )
    z = np.zeros(8, np.float32)
    for p_far, p_in in zip(agent.probabilities(far[0], z), agent.probabilities(inside[0], z), strict=True):
        np.testing.assert_allclose(p_far, p_in, rtol=1e-6)
    loaded = CWGANWorldAgent.load(agent.save(tmp_path / "m.pt"))  # the band is saved with the model
    np.testing.assert_array_equal(loaded.generator.obs_high.numpy(), high)


def test_a_model_saved_before_the_band_loads_unbounded(tmp_path) -> None:
    agent = _agent(noise_dim=8, hidden=32)
    path = agent.save(tmp_path / "old.pt")
    payload = torch.load(path, weights_only=False)
    for key in ("obs_low", "obs_high"):
        del payload["generator"][key]
    torch.save(payload, path)
    loaded = CWGANWorldAgent.load(path)
    assert np.all(np.isinf(loaded.generator.obs_low.numpy())) and np.all(
        loaded.generator.obs_high.numpy() > 0
    )
    obs = _observations(300) * 50
    np.testing.assert_array_equal(
        agent.sample(obs, np.random.default_rng(1)), loaded.sample(obs, np.random.default_rng(1))
    )


def test_missing_and_corrupt_models_are_named(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no cWGAN model"):
        CWGANWorldAgent.load(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="no cWGAN model"):
        make_background(str(tmp_path / "missing.pt"), 1)
    (tmp_path / "garbage.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable cWGAN model"):
        CWGANWorldAgent.load(tmp_path / "garbage.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a cWGAN model"):
        CWGANWorldAgent.load(tmp_path / "other.pt")
    payload = torch.load(_agent().save(tmp_path / "ok.pt"), weights_only=True)
    payload["config"]["hidden"] = 7  # weights of another shape
    torch.save(payload, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match="not a valid cWGAN model"):
        CWGANWorldAgent.load(tmp_path / "shape.pt")


# --- as a background -------------------------------------------------------------------------------------


def test_a_saved_model_is_the_background_of_an_environment(tmp_path) -> None:
    path = str(_agent().save(tmp_path / "m.pt"))
    background = make_background(path, 1)
    assert isinstance(background, GeneratorBackground)
    assert background.config.end_ns - background.config.start_ns == 60 * 10**9  # the model's window

    def episode(seed: int) -> tuple[float, int]:
        env = gym.make(
            "intags_env/Execution-v0",
            background=path,
            quantity=500,
            horizon_s=40.0,
            decision_interval_s=5.0,
            warmup_s=5.0,
        )
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(np.zeros(2, np.int64))
            total += reward
            done = terminated or truncated
        return total, env.unwrapped.session.world.n_orders

    first, again, other = episode(1), episode(1), episode(2)
    assert first == again and first != other
    assert first[1] >= 1 and other[1] >= 1  # the generator placed orders (an untrained one: few)


def test_generator_evaluation_loads_a_cwgan_model(tmp_path) -> None:
    from intags_env.generator.evaluate import generator_feedback
    from intags_env.intags.experiment import ConfoundedTrader

    path = _agent().save(tmp_path / "m.pt")
    trader = ConfoundedTrader(beta=1.0, size=100, interval_s=2.0)
    feedback, window = generator_feedback(path, trader, seeds=[0], horizons=2)
    assert feedback.shape == (1, 2) and window["end"] == "09:36"


# --- training -------------------------------------------------------------------------------------------


def test_training_is_seeded_resumes_exactly_and_writes_its_files(tmp_path) -> None:
    data = _toy_data()
    train_cwgan(_tiny(), tmp_path / "a", progress=False, data=data)
    train_cwgan(_tiny(), tmp_path / "b", progress=False, data=data)
    train_cwgan(_tiny(seed=1), tmp_path / "c", progress=False, data=data)
    a, b, c = (_weights(tmp_path / run / "cwgan.pt") for run in "abc")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    for name in ("cwgan.pt", "cwgan.json", "cwgan_last.pt", "report.json", "checkpoints/cwgan_6.ckpt"):
        assert (tmp_path / "a" / name).exists(), name
    assert list((tmp_path / "a" / "tb").glob("events.out.tfevents.*"))
    # 3 iterations, then resumed to 6: the same model as 6 in one go
    train_cwgan(_tiny(steps=3), tmp_path / "d", progress=False, data=data)
    report = train_cwgan(_tiny(), tmp_path / "d", progress=False, resume=True, data=data)
    assert report["iterations"] == 6 and [row["iteration"] for row in report["curve"]] == [3, 6]
    last = _weights(tmp_path / "a" / "cwgan_last.pt")
    assert all(np.array_equal(x, y) for x, y in zip(last, _weights(tmp_path / "d" / "cwgan_last.pt")))
    with pytest.raises(ValueError, match="settings changed"):
        train_cwgan(_tiny(hidden=8), tmp_path / "d", progress=False, resume=True, data=data)


def test_resuming_from_a_truncated_checkpoint_names_it(tmp_path) -> None:
    data = _toy_data()
    train_cwgan(_tiny(steps=3), tmp_path, progress=False, data=data)
    checkpoint = tmp_path / "checkpoints" / "cwgan_3.ckpt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])  # an interrupted save
    with pytest.raises(ValueError, match=rf"{re.escape(str(checkpoint))} is not a readable cWGAN checkpoint"):
        train_cwgan(_tiny(), tmp_path, progress=False, resume=True, data=data)


def test_training_learns_a_state_dependent_side(tmp_path) -> None:
    obs, actions = _toy_data(2000)
    settings = _tiny(steps=500, n_critic=2, batch_size=64, hidden=32, critic_hidden=32, learning_rate=3e-3)
    settings = replace(settings, ema=0.0, eval_every=500, log_every=50, checkpoint_every=500, holdout=0.25)
    agent = _agent(noise_dim=4, hidden=32)
    test_obs, test_act = obs[1500:], actions[1500:]

    def side_error(model: CWGANWorldAgent) -> float:
        return float(np.mean(_sides(model.sample(test_obs, np.random.default_rng(0))) != _sides(test_act)))

    assert side_error(agent) > 0.3  # untrained: about a coin flip
    train_cwgan(settings, tmp_path, progress=False, data=(obs, actions))
    trained = CWGANWorldAgent.load(tmp_path / "cwgan.pt")
    # the side (of every type: each type's side field learns from that type's orders) follows the state,
    # not just the 50/50 marginal
    assert side_error(trained) < 0.15


def test_bad_training_input_is_named(tmp_path) -> None:
    obs, actions = _toy_data(100)
    bad = actions.copy()
    bad[7, 0], bad[7, 2] = LIMIT, ACTION_NVEC[2]
    with pytest.raises(ValueError, match=f"action 7 has field 2 \\(limit_price\\) = {ACTION_NVEC[2]}"):
        train_cwgan(_tiny(), tmp_path, progress=False, data=(obs, bad))
    with pytest.raises(ValueError, match="shape"):
        train_cwgan(_tiny(), tmp_path, progress=False, data=(obs[:, :40], actions))
    with pytest.raises(ValueError, match="holdout"):
        _tiny(holdout=1.0)


def test_marginal_distances_known_values() -> None:
    a = np.zeros((4, N_FIELDS), np.int64)  # four limit orders
    b = a.copy()
    b[:2, 1] = 1  # half the limit sides differ
    tv = marginal_distances(a, b)
    assert set(tv) == {*FIELD_NAMES, "mean"}
    assert tv["limit_side"] == 0.5 and tv["type"] == 0.0 and tv["mean"] == pytest.approx(0.5 / N_FIELDS)
    assert tv["market_side"] == tv["cancel_level"] == 0.0  # a type neither set has
    # a type's fields are compared over that type's orders only
    generated = np.zeros((4, N_FIELDS), np.int64)
    generated[2:, 0], generated[2:, 8] = CANCEL, 1  # 2 limits (buys), 2 cancels (sells)
    real = np.zeros((4, N_FIELDS), np.int64)
    real[3, 0], real[3, 5] = MARKET, 1  # 3 limits (buys), 1 market (a sell)
    tv = marginal_distances(generated, real)
    assert tv["type"] == pytest.approx(0.5) and tv["limit_side"] == 0.0 and tv["limit_price"] == 0.0
    assert tv["market_side"] == tv["market_delay"] == 1.0  # real only
    assert tv["cancel_side"] == tv["cancel_amount"] == 1.0  # generated only
    assert tv["mean"] == pytest.approx((0.5 + 3 + 5) / N_FIELDS)


def test_cli_trains_and_reports(tmp_path, capsys, monkeypatch) -> None:
    tiny = _tiny(sessions=1, steps=4, closed_loop_sessions=1, eval_every=2, checkpoint_every=2)
    monkeypatch.setattr(CWGANSettings, "quick", classmethod(lambda cls: tiny))
    parser = argparse.ArgumentParser()
    add_train_cwgan_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train-cwgan", "--quick", "--out", str(tmp_path), "--quiet", "--seed", "3"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "real train set (floor)" in out and "orders/s" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["settings"]["seed"] == 3 and report["background"]["orders"] > 0
    assert report["fresh_closed_loop"]["closed_loop_orders"] > 0 and (tmp_path / "facts.md").exists()
    missing = parser.parse_args(["train-cwgan", "--lobster", str(tmp_path / "none.zip")])
    with pytest.raises(FileNotFoundError, match="no LOBSTER file"):
        missing.func(missing)


class _BurstAgent:
    """A stand-in world agent that cancels at the same timestamp forever (a runaway)."""

    def background(self, n_external: int = 0) -> GeneratorBackground:
        return GeneratorBackground(self, **WINDOW, n_external=n_external)

    def __call__(self, observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        action = np.zeros(len(ACTION_NVEC), np.int64)
        action[0] = CANCEL  # cancel_delay 0: the same timestamp
        return action


class _PilingAgent(_BurstAgent):
    """A stand-in that piles limit orders far behind the touch at the same timestamp (a runaway)."""

    def __call__(self, observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        action = np.zeros(len(ACTION_NVEC), np.int64)
        action[F["limit_price"]] = 20  # well behind the own touch: they rest
        action[F["limit_delay"]] = 5  # 3-10 ms apart: no burst, but they pile up
        return action


def test_a_runaway_closed_loop_is_truncated_and_named_not_raised() -> None:
    run = closed_loop(_BurstAgent(), seed=0)  # 1,000 orders within 10 ms: the runaway guard
    assert run.truncated and "runaway generator" in run.breakdown
    assert len(run.actions) >= 1_000 and (run.actions[:, 0] == CANCEL).all()
    assert "order cap" in closed_loop(_BurstAgent(), seed=0, max_orders=500).breakdown
    piled = closed_loop(_PilingAgent(), seed=0, max_orders=20_000)  # into the live-order capacity
    assert piled.truncated and "capacity exceeded" in piled.breakdown


def test_selection_prefers_a_model_that_runs_away_less() -> None:
    steady = {"mean": 0.1, "closed_loop_mean": 0.30, "closed_loop_truncated": 0.0}
    runaway = {"mean": 0.1, "closed_loop_mean": 0.05, "closed_loop_truncated": 1 / 6}
    assert _score(steady) < _score(runaway)
    assert _score({"mean": 0.2}) == 0.2


def test_order_nll_is_the_masked_negative_log_likelihood() -> None:
    from intags_agents.cwgan.networks import order_nll

    logits = torch.zeros(1, int(ACTION_NVEC.sum()))  # uniform over each field
    action = torch.zeros(1, N_FIELDS, dtype=torch.int64)  # a limit order: type and its 4 fields count
    expected = np.log(ACTION_NVEC[0]) + sum(np.log(ACTION_NVEC[f]) for f in FIELDS_OF_TYPE[LIMIT])
    assert order_nll(logits, one_hot_actions(action)).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="mle_weight"):
        CWGANSettings(mle_weight=-1.0)
