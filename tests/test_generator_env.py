"""WorldAgent-v0 and the generator background: Gymnasium contract, reward, determinism, as a background."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs.execution import ExecutionEnv
from intags_env.exchange import Exchange
from intags_env.generator.background import GeneratorBackground
from intags_env.generator.decoder import OrderDecoder
from intags_env.generator.env import WORST_REWARD, WorldAgentEnv
from intags_env.generator.spec import (
    ACTION_NVEC,
    CANCEL,
    CANCEL_LEVEL_LO,
    DELAY_EDGES_NS,
    FEATURE_NAMES,
    FIELD_MASK,
    HISTORY,
    LIMIT,
    LIMIT_PRICE_LO,
    LIMIT_PRICE_REF,
    MARKET,
    OPPOSITE,
    SIZE_EDGES,
    SWEEP_TOUCH,
    F,
    bucket_of,
)
from intags_env.intags.experiment import ConfoundedTrader

REAL = np.random.default_rng(0).normal(size=(40, 3)) * 2e-5
WINDOW = {"start": "09:35", "end": "09:36"}


def _env(**kwargs) -> WorldAgentEnv:
    trader = ConfoundedTrader(beta=1.0, size=100, interval_s=2.0)
    return WorldAgentEnv(real_set=REAL, horizons=3, trader=trader, **WINDOW, **kwargs)


DELAY_03S = int(bucket_of(300_000_000, DELAY_EDGES_NS))  # 0.3-0.6 s apart
AT_TOUCH = int(np.flatnonzero((LIMIT_PRICE_REF != OPPOSITE) & (LIMIT_PRICE_LO == 0))[0])
SIZE_100 = int(bucket_of(100, SIZE_EDGES))


def _order(kind: int, **fields: int) -> np.ndarray:
    """One order action: the type and the named fields of that type (``limit_price=...``), others 0."""
    a = np.zeros(len(ACTION_NVEC), np.int64)
    a[0] = kind
    for name, value in fields.items():
        assert FIELD_MASK[kind, F[name]], f"{name} is not a field of type {kind}"
        a[F[name]] = value
    return a


def _random_orders(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid random orders (the other types' fields 0), 0.3-0.6 s apart."""
    a = rng.integers(0, ACTION_NVEC, size=(n, len(ACTION_NVEC))) * FIELD_MASK[rng.integers(0, 3, n)]
    for delay in ("limit_delay", "market_delay", "cancel_delay"):
        a[:, F[delay]] = DELAY_03S
    return a


def _policy_actions(n: int, seed: int) -> np.ndarray:
    return _random_orders(np.random.default_rng(seed), n)


def _run(env: WorldAgentEnv, seed: int, actions: np.ndarray) -> tuple[list[np.ndarray], float, dict]:
    obs, _ = env.reset(seed=seed)
    seen = [obs]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        seen.append(obs)
        if terminated or truncated:
            return seen, reward, info
    raise AssertionError("the episode did not end")


def test_passes_the_gymnasium_checker() -> None:
    env = _env()
    check_env(env, skip_render_check=True)
    assert env.observation_space.shape == (HISTORY * len(FEATURE_NAMES),)


def test_registered_id_builds() -> None:
    env = gym.make("intags_env/WorldAgent-v0", real_set=REAL, horizons=3, **WINDOW)
    assert isinstance(env.unwrapped, WorldAgentEnv)
    env.close()


def test_the_terminal_reward_is_the_documented_estimator() -> None:
    env = _env()
    _, reward, info = _run(env, 3, _policy_actions(2000, 0))
    assert "feedback" in info, info
    # a fresh reward with the same real set scores the first episode with the V-term (no other episodes)
    from intags_env.generator.reward import FeedbackReward

    assert reward == pytest.approx(FeedbackReward(REAL).score(info["feedback"], None))
    assert reward < 0 and info["orders"] > 50


def test_same_seed_and_actions_give_the_same_episode() -> None:
    actions = _policy_actions(2000, 1)
    obs_a, reward_a, _ = _run(_env(), 7, actions)
    obs_b, reward_b, _ = _run(_env(), 7, actions)
    assert len(obs_a) == len(obs_b)
    np.testing.assert_array_equal(np.array(obs_a), np.array(obs_b))
    assert reward_a == reward_b
    obs_c, _, _ = _run(_env(), 8, actions)
    assert not np.array_equal(obs_a[1], obs_c[1])  # another seed, another starting book


def test_invalid_actions_are_named() -> None:
    env = _env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(np.array([3] + [0] * (len(ACTION_NVEC) - 1)))
    with pytest.raises(ValueError, match="invalid action"):
        env.step(np.array([0, 0, 0]))


def test_max_orders_truncates_with_the_worst_reward_when_no_feedback() -> None:
    env = _env(max_orders=5)
    buy = _order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=2)
    _, reward, info = _run(env, 0, np.tile(buy, (10, 1)))
    assert info["orders"] == 5
    assert reward == WORST_REWARD and "feedback_error" in info


def test_orders_land_where_the_action_says() -> None:
    bg = GeneratorBackground(None, **WINDOW, n_external=0)
    bg.reset(0)
    sc = bg.world.book.scalars
    bid, ask = int(sc[2]), int(sc[3])
    assert bid < ask
    n = bg.world.n_records
    bg.act(_order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=SIZE_100))  # buy 100 at the touch
    rec = bg.world.records_since(n)
    assert len(rec) == 1 and rec["type"][0] == 1 and rec["size"][0] == 100 and rec["direction"][0] == 1
    assert rec["price"][0] // 100 == bid + bg.config.min_price
    n = bg.world.n_records
    bg.act(_order(MARKET, market_side=1, market_size=SIZE_100))  # sell 100 at market: hits the bids
    assert set(bg.world.records_since(n)["type"]) == {4}
    n = bg.world.n_records
    bg.act(_order(CANCEL, cancel_side=1, cancel_level=0, cancel_queue=3))  # the oldest ask at the touch
    rec = bg.world.records_since(n)
    assert len(rec) == 1 and rec["type"][0] == 3 and rec["direction"][0] == -1
    assert rec["price"][0] // 100 == ask + bg.config.min_price
    with pytest.raises(ValueError, match="invalid order action"):
        bg.act(np.array([LIMIT, 0, 0]))


def test_a_cancel_whose_level_bucket_holds_no_own_order_does_nothing() -> None:
    bg = GeneratorBackground(None, **WINDOW, n_external=0, initial_book="empty")
    bg.reset(0)
    bg.act(_order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=SIZE_100))
    bg.act(_order(LIMIT, limit_side=1, limit_price=AT_TOUCH, limit_size=SIZE_100))
    n, noop = bg.world.n_records, bg.n_noop_cancels
    far = int(np.flatnonzero(CANCEL_LEVEL_LO == 5)[0])  # 5 ticks behind the touch: nothing rests there
    bg.act(_order(CANCEL, cancel_side=0, cancel_level=far))
    assert bg.world.n_records == n and bg.n_noop_cancels == noop + 1
    bg.act(_order(CANCEL, cancel_side=0, cancel_level=0))  # at the touch: the bid goes
    rec = bg.world.records_since(n)
    assert len(rec) == 1 and rec["type"][0] == 3 and rec["direction"][0] == 1


def test_a_policy_background_runs_under_a_trading_env_and_is_deterministic() -> None:
    def policy(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return _random_orders(rng, 1)[0]

    def episode(seed: int) -> tuple[float, int]:
        background = GeneratorBackground(policy, **WINDOW, n_external=1)
        env = ExecutionEnv(
            background=background, quantity=500, horizon_s=50.0, decision_interval_s=5.0, warmup_s=5.0
        )
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample() * 0)
            total += reward
            done = terminated or truncated
        return total, background.world.n_records

    first, again, other = episode(1), episode(1), episode(2)
    assert first == again and first != other
    assert first[1] > 100  # the generator placed orders on its own


def _book(bid: int, ask: int) -> Exchange:
    ex = Exchange(n_levels=1_000, max_orders=100)
    ex.submit_limit("buy", price=bid, qty=100, owner=9)
    ex.submit_limit("sell", price=ask, qty=100, owner=9)
    return ex


def test_limit_prices_reach_anywhere_inside_the_spread_and_never_cross() -> None:
    decoder = OrderDecoder(range(0, 1), capacity=16, n_levels=1_000)
    rng = np.random.default_rng(0)
    book = _book(100, 120).book  # a 20-tick spread
    inside_own, inside_opp = (
        0,
        len(LIMIT_PRICE_REF) - 5,
    )  # "improve the own touch by 1" / "1 off the opposite"
    assert decoder.limit_price(book, 1, inside_own, None, rng, 0) == 101
    assert decoder.limit_price(book, -1, inside_own, None, rng, 0) == 119
    assert decoder.limit_price(book, 1, inside_opp, None, rng, 0) == 119
    assert decoder.limit_price(book, -1, inside_opp, None, rng, 0) == 101
    assert decoder.limit_price(book, 1, AT_TOUCH, None, rng, 0) == 100
    assert decoder.limit_price(book, 1, AT_TOUCH + 3, None, rng, 0) == 97  # exactly 3 behind
    deep_inside = {decoder.limit_price(book, 1, 4, None, rng, 0) for _ in range(200)}  # 8+ from own
    assert deep_inside == set(range(108, 111))  # 8..10 ticks: up to the middle of the spread
    assert decoder.limit_price(book, 1, AT_TOUCH, -25, rng, 0) == 119 and decoder.clipped == 1
    tight = _book(100, 101).book  # one tick: no price inside, the order rests at the own touch
    assert decoder.limit_price(tight, 1, inside_own, None, rng, 0) == 100 and decoder.clipped == 2
    assert decoder.limit_price(tight, -1, inside_opp, None, rng, 0) == 101


def test_real_market_episodes_earn_more_than_a_random_generator() -> None:
    from intags_env.generator.env import real_feedback
    from intags_env.generator.reward import FeedbackReward, episode_rewards

    trader = ConfoundedTrader(beta=1.0, size=100, interval_s=2.0)
    span = {"start": "09:35", "end": "09:37", "trader": trader, "horizons": 3, "cache_dir": None}
    reward = FeedbackReward(real_feedback("rmsc04", episodes=16, **span))
    more_real = real_feedback("rmsc04", episodes=6, first_seed=100, **span)
    env = WorldAgentEnv(
        real_set=reward.real * reward.scale, horizons=3, trader=trader, start="09:35", end="09:37"
    )
    rng = np.random.default_rng(0)
    random_feedback = []
    for seed in range(3):
        _, _, info = _run(env, seed, _policy_actions(5000, int(rng.integers(1 << 30))))
        random_feedback.append(info["feedback"])
    assert (
        episode_rewards(reward, more_real).mean() > episode_rewards(reward, np.array(random_feedback)).mean()
    )


def test_generated_lobster_leaves_out_the_copied_book() -> None:
    bg = GeneratorBackground(None, **WINDOW, n_external=0)
    bg.reset(4)
    copied = bg.n_snapshot_records
    assert copied == len(bg.result().lobster.messages) > 0  # the copied orders, all at start
    real_book = bg._real.book
    assert copied == real_book.scalars[4] + real_book.scalars[5]  # every resting order, one by one
    for _ in range(5):
        bg.act(_order(LIMIT, limit_side=1, limit_price=AT_TOUCH + 2, limit_size=2))
    full, own = bg.result().lobster, bg.generated_lobster()
    assert len(own.messages) == len(full.messages) - copied >= 5
    assert np.array_equal(own.messages, full.messages[copied:])
    assert own.start_ns == full.start_ns and (full.messages["time"][:copied] == full.start_ns).all()


def test_a_market_order_takes_its_share_of_the_opposite_touch() -> None:
    bg = GeneratorBackground(None, **WINDOW, n_external=0, initial_book="empty")
    bg.reset(0)

    def take(size: int) -> int:
        """Place a 100-share ask at the touch, buy ``size`` at market; the shares bought."""
        n = bg.world.n_records
        bg.act(_order(LIMIT, limit_side=1, limit_price=AT_TOUCH, limit_size=SIZE_100))
        bg.act(_order(MARKET, market_side=0, market_size=size))
        rec = bg.world.records_since(n)
        return int(rec["size"][rec["type"] == 4].sum())

    bg.act(_order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=SIZE_100))  # a bid to lean on
    assert take(SWEEP_TOUCH) == 100  # the whole (only) ask order
    for tenth in (0, 4, 9):
        bought = take(tenth)
        assert 10 * tenth < bought <= 10 * (tenth + 1) and bought < 100
        bg.act(_order(CANCEL, cancel_side=1, cancel_level=0))  # clear the rest for the next take
    noop = bg.decoder.noop_markets
    n = bg.world.n_records
    bg.act(_order(MARKET, market_side=0, market_size=SWEEP_TOUCH))  # no asks: nothing to take
    assert bg.world.n_records == n and bg.decoder.noop_markets == noop + 1


def test_a_generator_stuck_on_same_timestamp_is_capped_at_the_burst_contract() -> None:
    from intags_env.generator.background import BURST_CAP

    calls = []

    def stuck_then_calm(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """350 limit orders at 'the same timestamp', then one a second."""
        calls.append(1)
        action = np.zeros(len(ACTION_NVEC), np.int64)
        action[F["limit_side"]] = int(rng.integers(0, 2))
        action[F["limit_price"]] = 15  # well behind the touch: the book does not cross
        action[F["limit_delay"]] = 0 if len(calls) <= 350 else 12
        return action

    background = GeneratorBackground(stuck_then_calm, start="09:35", end="09:35:10", n_external=0)
    background.reset(0)
    background.run_until(background.config.end_ns)
    times = background.generated_lobster().messages["time"]
    _, per_timestamp = np.unique(times, return_counts=True)
    assert per_timestamp.max() == BURST_CAP  # 350 would have shared one timestamp
    assert background.n_burst_capped == 3  # 350 = 100 + 100 + 100 + 50


def test_a_generator_that_never_lets_the_clock_move_is_a_named_error_not_a_hang() -> None:
    from intags_env.world.world import WorldError

    def cancel_now(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        action = np.zeros(len(ACTION_NVEC), np.int64)
        action[0] = CANCEL  # cancels at the same timestamp forever (nothing to cancel: no-ops)
        return action

    background = GeneratorBackground(cancel_now, **WINDOW, n_external=0)
    background.reset(0)
    with pytest.raises(WorldError, match="runaway generator: 1000 orders within 10 ms"):
        background.run_until(background.config.end_ns)


def test_step_after_the_episode_ended_or_before_reset_is_an_error() -> None:
    env = _env(max_orders=3)
    order = _order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=SIZE_100, limit_delay=DELAY_03S)
    with pytest.raises(RuntimeError, match=r"before the first reset\(\)"):
        env.step(order)
    _run(env, 0, np.tile(order, (3, 1)))  # truncated after 3 orders
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(order)
    env = _env()
    _run(env, 0, _policy_actions(2000, 0))  # terminated: the session's end
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(order)
    env.reset(seed=1)
    env.step(order)  # a new episode runs


def test_sb3_vector_envs_still_autoreset_across_episode_ends() -> None:
    from stable_baselines3.common.vec_env import DummyVecEnv

    order = _order(LIMIT, limit_side=0, limit_price=AT_TOUCH, limit_size=SIZE_100, limit_delay=DELAY_03S)
    vec = DummyVecEnv([lambda: _env(max_orders=3) for _ in range(2)])
    vec.reset()
    dones = 0
    for _ in range(9):  # three episodes of 3 orders per env, reset by the vector env between them
        _, _, done, infos = vec.step(np.tile(order, (2, 1)))
        dones += int(done.sum())
    vec.close()
    assert dones == 6 and all(info["TimeLimit.truncated"] for info in infos)
