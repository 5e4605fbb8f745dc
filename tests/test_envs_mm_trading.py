"""intags_env/MarketMaking-v0 and intags_env/Trading-v0: API conformance, determinism, errors, action
semantics, limits and P&L accounting."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs import Order
from intags_env.envs.market_making import OFFSETS, QUOTE_SIZES, MarketMakingEnv
from intags_env.envs.trading import TradingEnv

SMALL = {"background": "small", "warmup_s": 60.0, "horizon_s": 300.0}
MM_FAST = {**SMALL, "decision_interval_s": 5.0}
TR_FAST = {**SMALL, "decision_interval_s": 10.0}
CASES = {
    "mm": (MarketMakingEnv, "intags_env/MarketMaking-v0", MM_FAST),
    "trading": (TradingEnv, "intags_env/Trading-v0", TR_FAST),
}


def make(name: str, **kwargs):
    cls, _, fast = CASES[name]
    return cls(**{**fast, **kwargs})


def random_actions(env, n: int, seed: int = 0) -> list:
    env.action_space.seed(seed)
    return [env.action_space.sample() for _ in range(n)]


def rollout(env, seed: int, actions: list) -> tuple[list, list, list]:
    obs, info = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], [info]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        if terminated or truncated:
            break
    return observations, rewards, infos


# --- API conformance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_gymnasium_make_and_check_env_with_render(name: str) -> None:
    _, env_id, fast = CASES[name]
    env = gym.make(env_id, **fast)
    check_env(env.unwrapped, skip_render_check=False)  # also makes one env per render mode and renders
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert {"pnl", "inventory", "fills", "cash", "fees", "mid"} <= set(info)


@pytest.mark.parametrize("name", CASES)
def test_stable_baselines3_check_env(name: str) -> None:
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(make(name), warn=True)


def test_spaces_and_defaults() -> None:
    mm = make("mm")
    assert mm.action_space == gym.spaces.MultiDiscrete([5, 5, 4, 4])
    assert mm.observation_space.shape == (10,)
    assert mm.max_inventory == 2_000 and mm.inventory_penalty == 0.001
    tr = make("trading")
    assert tr.action_space == gym.spaces.Discrete(3)
    assert tr.observation_space.shape == (9,)
    default = TradingEnv()  # rmsc04: 300 s warm-up + 1200 s horizon fit in 09:30-10:00
    assert default.n_steps == 40 and default.interval == 30 * 10**9
    assert MarketMakingEnv().n_steps == 120


@pytest.mark.parametrize("name", CASES)
def test_render_modes(name: str) -> None:
    text_env = make(name, render_mode="ansi")
    text_env.reset(seed=0)
    _, _, _, _, info = text_env.step(text_env.action_space.sample())
    text = text_env.render()
    assert isinstance(text, str) and f"inventory {info['inventory']}" in text
    if name == "mm":
        assert "quotes: bid" in text
    picture_env = make(name, render_mode="rgb_array")
    picture_env.reset(seed=0)
    picture_env.step(picture_env.action_space.sample())
    frame = picture_env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert make(name).render() is None


# --- determinism -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_same_seed_same_trajectory_also_with_two_envs_alive(name: str) -> None:
    a, b = make(name), make(name)
    actions = random_actions(a, 80, seed=1)
    obs_a, info_a = a.reset(seed=7)
    obs_b, info_b = b.reset(seed=7)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert info_a == info_b
    for act in actions:  # interleaved: the two envs must not share randomness or state
        out_a, out_b = a.step(act), b.step(act)
        np.testing.assert_array_equal(out_a[0], out_b[0])
        assert out_a[1:4] == out_b[1:4]
        assert out_a[4] == out_b[4]
        if out_a[2]:
            break
    alone = rollout(make(name), 7, actions)
    again = rollout(make(name), 7, actions)
    assert alone[1] == again[1] and alone[2] == again[2]
    np.testing.assert_array_equal(np.array(alone[0]), np.array(again[0]))
    other = rollout(make(name), 8, actions)
    assert not np.array_equal(np.array(alone[0][:5]), np.array(other[0][:5]))


# --- invalid actions and arguments -------------------------------------------------------------------

MM_BAD = [[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 4, 0], [0, 0, 0, -1], [0, 0, 0], [0, 0, 0, 0, 0]]
MM_BAD += [np.array([0.5, 0, 1, 1]), np.zeros((2, 4), int), "buy", 1]
TR_BAD = [3, -1, 1.5, [1], np.array([2]), "buy", None]


@pytest.mark.parametrize(("name", "bad"), [("mm", b) for b in MM_BAD] + [("trading", b) for b in TR_BAD])
def test_invalid_actions_raise_and_name_the_action(name: str, bad) -> None:
    env = make(name)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(bad)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="max_inventory"):
        make("mm", max_inventory=0)
    with pytest.raises(ValueError, match="inventory_penalty"):
        make("mm", inventory_penalty=-0.1)
    with pytest.raises(ValueError, match="trade_size"):
        make("trading", trade_size=0)
    with pytest.raises(ValueError, match="max_position"):
        make("trading", trade_size=200, max_position=100)
    with pytest.raises(ValueError, match="horizon"):
        TradingEnv(background="small")  # the default 1200 s horizon does not fit in a 10-minute session
    with pytest.raises(ValueError, match="render_mode"):
        make("mm", render_mode="human")


# --- action semantics --------------------------------------------------------------------------------


def test_quotes_follow_the_action_table() -> None:
    env = make("mm", decision_interval_s=1.0)
    env.reset(seed=2)
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(200):
        action = rng.integers(0, env.action_space.nvec)
        bid, ask = env.session.top_of_book()
        *_, done, _, info = env.step(action)
        quotes = info["quotes"]
        for side, name, best, offset_i, size_i in ((1, "bid", bid, 0, 2), (-1, "ask", ask, 1, 3)):
            size = QUOTE_SIZES[action[size_i]]
            if size == 0 or info["blocked_side"] in (name, "both"):
                assert quotes[name] is None
                continue
            order = quotes[name]
            assert order.side == side and order.qty == size and order.tif == "gtc"
            if best is not None:
                assert order.price == best - side * OFFSETS[action[offset_i]]
                checked += 1
        if bid is not None and ask is not None and quotes["bid"] and quotes["ask"]:
            assert quotes["bid"].price < quotes["ask"].price
        # quotes rest passively: every fill of a market maker is a maker fill
        assert not any(f.aggressor for f in info["fills"])
        if done:
            break
    assert checked > 100


def test_trading_actions_send_market_orders() -> None:
    env = make("trading", trade_size=100)
    env.reset(seed=3)
    _, _, _, _, info = env.step(2)
    assert info["trade"] == Order(1, 100) and not info["limited"]
    assert all(f.aggressor and f.side == 1 for f in info["fills"]) and info["inventory"] > 0
    _, _, _, _, info = env.step(1)
    assert info["trade"] is None and info["fills"] == []
    _, _, _, _, info = env.step(0)
    assert info["trade"] == Order(-1, 100) and all(f.side == -1 for f in info["fills"])


# --- P&L accounting ----------------------------------------------------------------------------------


def pnl_from_fills(fills: list, mid_cents: float, fee_bps: float) -> tuple[float, int]:
    """Final mark-to-market P&L in dollars, and the inventory, from the fills alone."""
    cash = sum(-f.side * f.price * f.qty - fee_bps * 1e-4 * f.price * f.qty for f in fills)
    inventory = sum(f.side * f.qty for f in fills)
    return (cash + inventory * mid_cents) / 100.0, inventory


def test_market_making_rewards_sum_to_pnl_minus_penalties() -> None:
    env = make("mm", background="rmsc04", fee_bps=1.0, inventory_penalty=0.002, decision_interval_s=2.0)
    env.reset(seed=4)
    rng = np.random.default_rng(4)
    total, fills, penalty, done = 0.0, [], 0.0, False
    while not done:
        action = np.array([rng.integers(0, 2), rng.integers(0, 2), rng.integers(1, 4), rng.integers(1, 4)])
        _, reward, done, _, info = env.step(action)
        total += reward
        fills += info["fills"]
        penalty += 0.002 * abs(sum(f.side * f.qty for f in fills))
    assert len(fills) > 10 and info["fees"] > 0
    pnl, inventory = pnl_from_fills(fills, info["mid"] * 100, fee_bps=1.0)
    assert inventory == info["inventory"]
    assert info["pnl"] == pytest.approx(pnl, abs=1e-6)
    assert info["penalty"] == pytest.approx(penalty, abs=1e-9)
    assert total == pytest.approx(pnl - penalty, abs=1e-6)


def test_trading_rewards_sum_to_pnl() -> None:
    env = make("trading", background="rmsc04", fee_bps=2.0, decision_interval_s=5.0)
    env.reset(seed=5)
    total, fills, done = 0.0, [], False
    for action in random_actions(env, 10_000, seed=5):
        _, reward, done, _, info = env.step(action)
        total += reward
        fills += info["fills"]
        if done:
            break
    assert done and len(fills) > 10
    pnl, inventory = pnl_from_fills(fills, info["mid"] * 100, fee_bps=2.0)
    assert inventory == info["inventory"]
    assert info["pnl"] == pytest.approx(pnl, abs=1e-6)
    assert total == pytest.approx(pnl, abs=1e-6)


# --- limits ------------------------------------------------------------------------------------------


def test_market_making_inventory_limit_holds_over_a_long_random_run() -> None:
    env = make("mm", background="rmsc04", max_inventory=300, decision_interval_s=1.0, horizon_s=1200.0)
    env.reset(seed=6)
    rng = np.random.default_rng(6)
    blocked, extreme, done = set(), 0, False
    while not done:
        # aggressive buying bias on even minutes, selling on odd ones, so both limits are hit
        bias = (env.k // 60) % 2
        action = rng.integers(0, env.action_space.nvec)
        action[0 if bias == 0 else 1] = 0
        action[2 if bias == 0 else 3] = 3
        inventory = env.session.accounts[0].inventory
        _, _, done, _, info = env.step(action)
        assert abs(info["inventory"]) <= 300
        extreme = max(extreme, abs(info["inventory"]))
        if info["blocked_side"] is not None:
            blocked.add(info["blocked_side"])
            # blocked exactly when a full fill would pass the limit
            if info["blocked_side"] == "bid":
                assert inventory + QUOTE_SIZES[action[2]] > 300 and info["quotes"]["bid"] is None
            else:
                assert inventory - QUOTE_SIZES[action[3]] < -300 and info["quotes"]["ask"] is None
    assert blocked == {"bid", "ask"} and extreme > 200


def test_trading_position_limit_holds_over_a_long_random_run() -> None:
    # small trades: rmsc04 trades ~30 shares/s in all, a faster taker drains its book
    env = make(
        "trading",
        background="rmsc04",
        trade_size=20,
        max_position=100,
        decision_interval_s=2.0,
        horizon_s=1200.0,
    )
    env.reset(seed=8)
    limited, done = 0, False
    rng = np.random.default_rng(8)
    while not done:  # buying bias for 100 steps, then a selling bias, ...: both limits are reached
        action = int(rng.choice(3, p=[0.2, 0.2, 0.6] if (env.k // 100) % 2 == 0 else [0.6, 0.2, 0.2]))
        _, _, done, _, info = env.step(action)
        assert abs(info["inventory"]) <= 100
        if info["limited"]:
            limited += 1
            assert info["trade"] is None and info["fills"] == [] and action != 1
    assert limited > 10


# --- other entry points ------------------------------------------------------------------------------


def test_step_orders_reports_the_quotes_sent() -> None:
    env = make("mm")
    env.reset(seed=1)
    bid, _ = env.session.top_of_book()
    order = Order(1, 100, bid - 2)
    _, reward, _, _, info = env.step_orders([order], True)
    assert info["quotes"] == {"bid": order, "ask": None} and info["blocked_side"] is None
    assert np.isfinite(reward)


@pytest.mark.parametrize("name", CASES)
def test_vector_envs_run(name: str) -> None:
    _, env_id, fast = CASES[name]
    vec = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync", **fast)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (2, vec.single_observation_space.shape[0])
    for _ in range(3):
        obs, rewards, _, _, _ = vec.step(vec.action_space.sample())
    assert rewards.shape == (2,)
    vec.close()


def test_a_model_trades_market_making_as_a_trading_agent() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    from intags_agents.sb3 import SB3Agent

    model = sb3.PPO("MlpPolicy", make("mm"), n_steps=16, batch_size=16, device="cpu", seed=0)
    agent = SB3Agent(model, "intags_env/MarketMaking-v0", name="ppo-mm", **MM_FAST)
    env = make("trading", background_agents=[agent])
    env.reset(seed=2)
    done = False
    while not done:
        _, _, done, _, _ = env.step(1)
    assert env.session.accounts[1].traded > 0  # its quotes reached the market and traded
