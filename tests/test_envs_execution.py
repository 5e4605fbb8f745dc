"""intags_env/Execution-v0: API conformance, determinism, errors and shortfall accounting."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs import ExecutionEnv, Order
from intags_env.envs.execution import PRICE_CHOICES, SIZE_MULTIPLIERS

FAST = {"background": "small", "warmup_s": 60.0, "horizon_s": 300.0, "decision_interval_s": 10.0}


def rollout(env: ExecutionEnv, seed: int, actions: list) -> tuple[list, list, list]:
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


def test_gymnasium_make_and_check_env() -> None:
    env = gym.make("intags_env/Execution-v0", **FAST)
    check_env(env.unwrapped)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert {"pnl", "inventory", "fills", "remaining", "shortfall_bps"} <= set(info)


def test_stable_baselines3_check_env() -> None:
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(ExecutionEnv(**FAST), warn=True)


def test_same_seed_same_trajectory_also_with_two_envs_alive() -> None:
    rng = np.random.default_rng(0)
    actions = [rng.integers(0, [len(SIZE_MULTIPLIERS), len(PRICE_CHOICES)]) for _ in range(30)]
    a, b = ExecutionEnv(**FAST), ExecutionEnv(**FAST)
    a.reset(seed=7)
    b.reset(seed=7)
    for act in actions:  # interleaved: the two envs must not share randomness or state
        out_a, out_b = a.step(act), b.step(act)
        np.testing.assert_array_equal(out_a[0], out_b[0])
        assert out_a[1] == out_b[1] and out_a[2] == out_b[2]
        if out_a[2]:
            break
    alone = rollout(ExecutionEnv(**FAST), 7, actions)
    again = rollout(ExecutionEnv(**FAST), 7, actions)
    assert alone[1] == again[1]
    np.testing.assert_array_equal(np.array(alone[0]), np.array(again[0]))
    other = rollout(ExecutionEnv(**FAST), 8, actions)
    assert not np.array_equal(np.array(alone[0][:5]), np.array(other[0][:5]))


@pytest.mark.parametrize("bad", [[5, 0], [0, 4], [-1, 0], [0], [0, 0, 0], "buy", 1.5])
def test_invalid_actions_raise_and_name_the_action(bad) -> None:
    env = ExecutionEnv(**FAST)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(bad)


def test_rewards_sum_to_minus_shortfall_and_fills_complete_the_parent_order() -> None:
    env = ExecutionEnv(**FAST, quantity=500, side="sell")
    _, info0 = env.reset(seed=3)
    total, fills = 0.0, []
    done = False
    while not done:
        _, reward, done, _, info = env.step(np.array([2, 2]))  # TWAP slices, passive
        total += reward
        fills += info["fills"]
    arrival = info0["arrival_price"] * 100
    assert sum(f.qty for f in fills) == 500
    assert all(f.side == -1 for f in fills)
    shortfall = -sum((f.price - arrival) * f.qty for f in fills) / (500 * arrival) * 1e4
    assert total == pytest.approx(-shortfall, abs=1e-6)
    assert info["shortfall_bps"] == pytest.approx(shortfall, abs=1e-6)
    assert info["remaining"] == 0 and info["inventory"] == -500


def test_doing_nothing_is_force_executed_at_the_horizon() -> None:
    env = ExecutionEnv(**FAST, quantity=300)
    env.reset(seed=1)
    steps = 0
    done = False
    while not done:
        _, _, done, _, info = env.step(np.array([0, 0]))
        steps += 1
        if not done:
            assert info["filled"] == 0
    assert steps == env.n_steps
    assert info["remaining"] == 0
    assert all(f.aggressor for f in info["fills"])
    # what the thin book could not absorb is a synthetic fill (order id -1) at the penalised mid
    synthetic = [f for f in info["fills"] if f.order_id == -1]
    assert info["inventory"] + sum(f.qty for f in synthetic) == 300
    for f in synthetic:
        assert f.price == round(info["mid"] * 100 * (1 + env.unfilled_penalty_bps * 1e-4))


def test_step_orders_uses_the_same_reward_as_actions() -> None:
    by_action = ExecutionEnv(**FAST, quantity=400)
    by_orders = ExecutionEnv(**FAST, quantity=400)
    by_action.reset(seed=5)
    by_orders.reset(seed=5)
    for _ in range(3):
        left = by_orders.quantity - by_orders.filled
        qty = min(left, int(round(left / (by_orders.n_steps - by_orders.k))))
        o1 = by_action.step(np.array([2, 0]))  # TWAP slice as a market order
        o2 = by_orders.step_orders([Order(1, qty)] if qty else [], True)
        assert o1[1] == pytest.approx(o2[1]) and o1[4]["filled"] == o2[4]["filled"]


def test_render_modes() -> None:
    text_env = ExecutionEnv(**FAST, render_mode="ansi")
    text_env.reset(seed=0)
    text_env.step(np.array([2, 1]))
    text = text_env.render()
    assert "inventory" in text and "price" in text
    picture_env = ExecutionEnv(**FAST, render_mode="rgb_array")
    picture_env.reset(seed=0)
    picture_env.step(np.array([2, 1]))
    frame = picture_env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    with pytest.raises(ValueError, match="render_mode"):
        ExecutionEnv(**FAST, render_mode="human")


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="side"):
        ExecutionEnv(**FAST, side="hold")
    with pytest.raises(ValueError, match="quantity"):
        ExecutionEnv(**FAST, quantity=0)
    with pytest.raises(ValueError, match="horizon"):
        ExecutionEnv(background="small", warmup_s=60.0, horizon_s=3600.0)
    with pytest.raises(TypeError, match="background"):
        ExecutionEnv(background=3.5)


def test_vector_envs_run() -> None:
    vec = gym.make_vec("intags_env/Execution-v0", num_envs=2, vectorization_mode="sync", **FAST)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (2, 9)
    for _ in range(3):
        obs, rewards, _, _, _ = vec.step(vec.action_space.sample())
    assert rewards.shape == (2,)
    vec.close()
    sb3_vec = pytest.importorskip("stable_baselines3.common.vec_env")
    dummy = sb3_vec.DummyVecEnv([lambda: ExecutionEnv(**FAST) for _ in range(2)])
    assert dummy.reset().shape == (2, 9)
    dummy.step(np.array([[2, 0], [1, 2]]))
    dummy.close()


def test_subproc_vec_env_runs() -> None:
    sb3_vec = pytest.importorskip("stable_baselines3.common.vec_env")
    vec = sb3_vec.SubprocVecEnv([lambda: ExecutionEnv(**FAST) for _ in range(2)])
    vec.seed(0)
    obs = vec.reset()
    assert obs.shape == (2, 9)
    obs, rewards, _, infos = vec.step(np.array([[2, 0], [2, 2]]))
    assert rewards.shape == (2,) and len(infos) == 2
    vec.close()


def test_a_trained_model_trades_as_a_trading_agent() -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    from intags_agents.sb3 import SB3Agent

    from intags_env.envs import TradingAgent

    model = sb3.PPO("MlpPolicy", ExecutionEnv(**FAST), n_steps=32, batch_size=32, device="cpu", seed=0)
    agent = SB3Agent(model, "intags_env/Execution-v0", name="ppo", **FAST)
    assert isinstance(agent, TradingAgent)
    env = ExecutionEnv(**FAST, background_agents=[agent])
    env.reset(seed=4)
    done = False
    while not done:
        _, _, done, _, _ = env.step(np.array([0, 0]))
    # the model's orders reached the market: its account moved, in the direction of its parent order
    assert env.session.accounts[1].traded > 0 and env.session.accounts[1].inventory > 0
    with pytest.raises(TypeError, match="TraderEnv"):
        SB3Agent(model, gym.make("CartPole-v1").unwrapped)


def test_pnl_is_cash_plus_marked_inventory_and_fills_match_the_trade_log() -> None:
    env = ExecutionEnv(**FAST, quantity=400, fee_bps=1.0)
    env.reset(seed=6)
    fills = []
    done = False
    while not done:
        _, _, done, _, info = env.step(np.array([2, 1]))
        fills += info["fills"]
        cash = -sum(f.side * f.price * f.qty for f in fills) - info["fees"] * 100
        assert info["cash"] * 100 == pytest.approx(cash)
        assert info["pnl"] == pytest.approx(info["cash"] + info["inventory"] * info["mid"])
    fees = sum(f.price * f.qty for f in fills) * 1e-4
    assert info["fees"] * 100 == pytest.approx(fees)
    trades = env.session.world.trades_since(0)
    me = env.session.owner(0)
    mine = trades[(trades["maker_owner"] == me) | (trades["taker_owner"] == me)]
    assert sorted((int(t["price"]), int(t["qty"])) for t in mine) == sorted((f.price, f.qty) for f in fills)


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_a_fill_against_the_parents_side_undoes_its_progress_and_cost(side: str) -> None:
    from intags_env.envs.protocol import Fill

    env = ExecutionEnv(**FAST, quantity=500, side=side)
    env.reset(seed=0)
    s = env.side
    price = round(env.mid0) + 3 * s  # ~3 ticks worse than the arrival mid
    env._book([Fill(env.session.clock, s, price, 200, 1, False)])
    assert env.filled == 200 and env.cost == pytest.approx(s * (price - env.mid0) * 200) and env.cost > 0
    env._book([Fill(env.session.clock, -s, price, 200, 2, False)])  # unwound at the same price
    assert env.filled == 0 and env.cost == pytest.approx(0.0, abs=1e-9)


def test_a_world_object_is_a_background_before_its_first_reset() -> None:
    from intags_env.envs.background import make_background
    from intags_env.world import World

    world = World("small", n_external=2)  # its book is only readable after reset()
    assert make_background(world, 2) is world
    with pytest.raises(ValueError, match="2 participant slots, 3 are needed"):
        make_background(world, 3)
    with pytest.raises(TypeError, match="got object"):
        make_background(object(), 1)


def test_with_fees_every_episodes_rewards_sum_to_minus_its_shortfall() -> None:
    """The second episode does not inherit the first's fees (its first reward once did)."""
    env = ExecutionEnv(background="small", warmup_s=60, horizon_s=40, decision_interval_s=5, fee_bps=5.0)
    for seed in (0, 1):
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            _, reward, done, _, info = env.step(np.array([2, 0]))  # market orders: fees every step
            total += reward
        assert info["fees"] > 0
        assert total == pytest.approx(-info["shortfall_bps"], rel=1e-9, abs=1e-9)
