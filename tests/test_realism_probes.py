"""The realism benchmark's market probes: flow-following exploit, POV impact curve, policy ranking — on the
real market, on scripted toy backgrounds and on a saved generator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from intags_env.envs.protocol import Fill, MarketView
from intags_env.generator import spec
from intags_env.generator.background import GeneratorBackground
from intags_env.metrics.pov import pov_impact
from intags_env.realism import (
    REAL_MARKET,
    FlowFollowingAgent,
    ImpactCurve,
    MarketWindow,
    env_settings,
    exploit_pnl,
    impact_curve,
    policy_returns,
    policy_scores,
    rank_correlation,
    train_reference_ppo,
)
from intags_env.world import resolve_config

TOY_WINDOW = {"start": "09:35", "end": "09:37"}


def _toy_policy(p_buy: float):
    """A scripted generator: 30% market orders (90-99% of the opposite touch; buys with probability
    ``p_buy``), else a 100-share limit order on a random side, one tick inside, at or one tick behind the
    touch, every 0.1-0.3 s."""
    at_touch = int(np.flatnonzero((spec.LIMIT_PRICE_REF == spec.OWN) & (spec.LIMIT_PRICE_LO == 0))[0])
    size_100, most_of_the_touch, delay = (
        int(spec.bucket_of(100, spec.SIZE_EDGES)),
        spec.SWEEP_TOUCH - 1,  # market_size: the last tenth below the whole touch
        int(spec.delay_bucket(100_000_000)),
    )

    def policy(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        a = np.zeros(spec.N_FIELDS, np.int64)
        if rng.random() < 0.3:
            a[0] = spec.MARKET
            a[spec.F["market_side"]] = 0 if rng.random() < p_buy else 1
            a[spec.F["market_size"]], a[spec.F["market_delay"]] = most_of_the_touch, delay
            return a
        a[0] = spec.LIMIT
        a[spec.F["limit_side"]] = int(rng.integers(0, 2))
        a[spec.F["limit_price"]] = (0, at_touch, at_touch + 1)[int(rng.integers(0, 3))]
        a[spec.F["limit_size"]], a[spec.F["limit_delay"]] = size_100, delay
        return a

    return policy


def _toy(p_buy: float) -> GeneratorBackground:
    return GeneratorBackground(_toy_policy(p_buy), **TOY_WINDOW, n_external=1)


# --- probe 1: the flow-following exploit ------------------------------------------------------------


def test_following_a_persistent_imbalance_pays_and_balanced_flow_does_not() -> None:
    seeds = range(6)
    real = exploit_pnl(REAL_MARKET, seeds)
    balanced = exploit_pnl(MarketWindow(_toy(0.5), label="balanced"), seeds)
    buying = exploit_pnl(MarketWindow(_toy(0.8), label="buying"), seeds)
    assert real.mean_bps < 0.05 and balanced.mean_bps < 0  # it pays the spread
    assert buying.mean_bps > 0
    gap = np.hypot(buying.se_bps, real.se_bps)
    assert buying.mean_bps > real.mean_bps + 2 * gap
    assert buying.mean_bps > balanced.mean_bps + 2 * np.hypot(buying.se_bps, balanced.se_bps)
    assert (real.traded > 0).all() and real.market == "rmsc04" and real.seeds == tuple(seeds)
    np.testing.assert_allclose(real.pnl_bps, 1e4 * real.pnl_usd / real.notional_usd)


def _view(time_s: float, inventory: int = 0, end_s: float = 100.0) -> MarketView:
    ns = 10**9
    return MarketView(
        time=int(time_s * ns),
        start=0,
        end=int(end_s * ns),
        best_bid=9_999,
        best_ask=10_001,
        bid_sizes=np.zeros(5, np.int64),
        ask_sizes=np.zeros(5, np.int64),
        last_price=10_000,
        volume=0,
        inventory=inventory,
        cash=0,
        open_orders=0,
    )


def test_the_flow_following_agent_trades_with_the_others_flow_within_its_cap() -> None:
    ns = 10**9
    agent = FlowFollowingAgent(size=100, interval_s=5.0, lookback_s=30.0, max_position=250)
    with pytest.raises(RuntimeError, match="observe_tape"):
        agent.decide(_view(10))
    agent.observe_tape(np.array([1, 2, 3]) * ns, np.array([300, -100, 50]))
    orders, cancel = agent.decide(_view(10))
    assert cancel and len(orders) == 1 and (orders[0].side, orders[0].qty, orders[0].price) == (1, 100, None)
    # its own aggressive buy is not the others' flow: the tape's 550 minus its 300
    agent.on_fills([Fill(4 * ns, 1, 10_001, 300, 7, True)])
    agent.observe_tape(np.array([4 * ns]), np.array([300]))
    assert agent.flow(10 * ns) == 250
    agent.observe_tape(np.array([], np.int64), np.array([], np.int64))
    assert agent.decide(_view(10, inventory=200))[0][0].qty == 50  # cut to the cap
    agent.observe_tape(np.array([], np.int64), np.array([], np.int64))
    assert agent.decide(_view(10, inventory=250))[0] == []  # at the cap
    # trades older than the lookback drop out: only the 300 at t=4 s is left, minus its own 300
    assert agent.flow(33 * ns) == 0
    agent.observe_tape(np.array([35 * ns]), np.array([-40]))
    assert agent.decide(_view(36, inventory=-100))[0][0].side == -1
    # the last decision (the next would be at or after the end) flattens
    agent.observe_tape(np.array([], np.int64), np.array([], np.int64))
    orders, _ = agent.decide(_view(95, inventory=-120))
    assert [(o.side, o.qty) for o in orders] == [(1, 120)]
    with pytest.raises(ValueError, match="max_position"):
        FlowFollowingAgent(size=100, max_position=50)
    with pytest.raises(ValueError, match="lookback_s"):
        FlowFollowingAgent(lookback_s=0)


def test_the_exploit_is_deterministic_per_seed() -> None:
    first = exploit_pnl(REAL_MARKET, [3, 4])
    again = exploit_pnl(REAL_MARKET, [4, 3])
    assert first.pnl_usd.tolist() == again.pnl_usd[::-1].tolist()
    assert first.pnl_usd[0] != first.pnl_usd[1]


# --- probe 2: the POV impact curve --------------------------------------------------------------------


def test_the_impact_curve_reproduces_metrics_pov_seed_by_seed() -> None:
    config = resolve_config("rmsc04", end="09:36")
    curve = impact_curve(MarketWindow(config), [0, 1], (0.1,))
    expected = [pov_impact(config, seed, 0.1).final_bps for seed in (0, 1)]
    np.testing.assert_allclose(curve.impact_bps[0], expected, rtol=1e-12)
    assert np.all(curve.impact_bps != 0)


def test_impact_has_the_traders_sign_and_grows_with_participation() -> None:
    seeds = range(12)
    curve = impact_curve(REAL_MARKET, seeds, (0.02, 0.5))
    low, high = curve.impact_bps
    diff = high - low
    assert curve.mean_bps[1] > 0
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff))  # paired: common random numbers
    assert curve.traded[1].mean() > 10 * curve.traded[0].mean() > 0
    sells = impact_curve(REAL_MARKET, range(6), (0.5,), side="sell")
    assert sells.side == -1 and sells.mean_bps[0] > 0  # positive in the trader's direction
    summary = curve.summary()
    assert summary["impact_0.5_bps"] == curve.mean_bps[1] and summary["impact_0.02_se"] == curve.se_bps[0]


def test_a_trader_that_never_trades_leaves_the_path_unchanged() -> None:
    curve = impact_curve(REAL_MARKET, [0, 1], (1e-7,), horizon_s=120)
    assert curve.traded.sum() == 0
    assert np.all(curve.impact_bps == 0.0)


def test_seeds_without_a_defined_impact_are_counted_not_averaged() -> None:
    values = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    curve = ImpactCurve("toy", (0.1, 0.2), 1, (0, 1, 2), values, np.zeros((2, 3), np.int64))
    assert curve.valid.tolist() == [2, 0]
    assert curve.mean_bps[0] == 2.0 and curve.se_bps[0] == pytest.approx(
        np.std([1.0, 3.0], ddof=1) / np.sqrt(2)
    )
    assert np.isnan(curve.mean_bps[1]) and curve.summary()["impact_0.2_n"] == 0


def test_impact_curve_errors_are_named() -> None:
    for rate in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="participation"):
            impact_curve(REAL_MARKET, [0], (rate,))
    with pytest.raises(ValueError, match="side"):
        impact_curve(REAL_MARKET, [0], side="hold")
    with pytest.raises(ValueError, match="seed"):
        impact_curve(REAL_MARKET, [])
    with pytest.raises(ValueError, match="horizon_s"):
        impact_curve(REAL_MARKET, [0], (0.1,), horizon_s=900)
    with pytest.raises(ValueError, match="workers"):
        exploit_pnl(REAL_MARKET, [0], workers=0)
    with pytest.raises(ValueError, match="outside its session"):
        exploit_pnl(replace(REAL_MARKET, start="09:50"), [0])


# --- probe 3: policy ranking ----------------------------------------------------------------------------


def test_rank_correlation_known_values() -> None:
    a = {"twap": 1.0, "pov": 2.0, "momentum": 3.0, "ppo": 4.0}
    assert rank_correlation(a, dict(a)) == pytest.approx(1.0)
    assert rank_correlation(a, {k: -v for k, v in a.items()}) == pytest.approx(-1.0)
    assert rank_correlation(a, {"twap": 10.0, "pov": 30.0, "momentum": 20.0, "ppo": 40.0}) == pytest.approx(
        0.8
    )
    with pytest.raises(ValueError, match="different policies"):
        rank_correlation(a, {"twap": 1.0, "pov": 2.0})
    with pytest.raises(ValueError, match="at least two"):
        rank_correlation({"twap": 1.0}, {"twap": 2.0})
    with pytest.raises(ValueError, match="all equal"):
        rank_correlation(a, dict.fromkeys(a, 0.0))


def test_policy_scores_run_in_the_window_and_are_deterministic() -> None:
    background = REAL_MARKET.background(1)
    settings = env_settings(background, REAL_MARKET.window_ns(background))
    assert settings["warmup_s"] == 300.0 and settings["horizon_s"] == 600.0  # 09:30 open, 09:35-09:45
    policies = ["twap", "pov", "momentum", "random_actions"]
    scores = policy_scores(REAL_MARKET, policies, [0, 1])
    assert list(scores) == policies and len(set(scores.values())) == 4
    returns = policy_returns(REAL_MARKET, policies, [1, 0])  # the same seeds, the same numbers
    assert {k: float(v[::-1].mean()) for k, v in returns.items()} == scores
    assert policy_scores(REAL_MARKET, {"a": "pov"}, [0]) != {"a": 0.0}  # the POV agent sees volume


def test_policy_scores_errors_are_named() -> None:
    with pytest.raises(ValueError, match="unknown policy 'vwap'"):
        policy_scores(REAL_MARKET, ["twap", "vwap"], [0])
    with pytest.raises(ValueError, match="at least one seed"):
        policy_scores(REAL_MARKET, ["twap"], [])
    with pytest.raises(ValueError, match="unique"):
        policy_scores(REAL_MARKET, ["twap", "twap"], [0])
    with pytest.raises(ValueError, match="trades both ways"):
        policy_scores(REAL_MARKET, ["momentum"], [0], env_id="intags_env/Execution-v0")
    with pytest.raises(ValueError, match="warmup_s"):
        policy_scores(REAL_MARKET, ["twap"], [0], env_kwargs={"warmup_s": 10})
    with pytest.raises(FileNotFoundError, match="no model"):
        policy_scores(REAL_MARKET, ["missing/ppo.zip"], [0])


# --- a saved generator as the market -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def generator_zip(tmp_path_factory) -> str:
    """An untrained generator saved for 09:35-09:36 (its orders are uniform over the action space)."""
    from stable_baselines3 import PPO

    from intags_env.generator.env import WorldAgentEnv
    from intags_env.generator.policy import GeneratorPolicy, generator_policy_kwargs
    from intags_env.generator.train import TrainSettings, save_generator

    real_set = np.random.default_rng(0).normal(size=(16, 3)) * 2e-5  # unused: no training here
    env = WorldAgentEnv(real_set=real_set, horizons=3, start="09:35", end="09:36")
    model = PPO(
        GeneratorPolicy, env, policy_kwargs=generator_policy_kwargs(), n_steps=64, seed=0, device="cpu"
    )
    path = tmp_path_factory.mktemp("generator") / "g.zip"
    save_generator(model, path, replace(TrainSettings(), start="09:35", end="09:36"))
    return str(path)


def test_every_probe_runs_on_a_saved_generator_in_its_window(generator_zip) -> None:
    market = MarketWindow(generator_zip)
    background = market.background(1)
    assert market.window_ns(background) == (
        resolve_config("rmsc04", start="09:35").start_ns,
        resolve_config("rmsc04", end="09:36").end_ns,
    )
    settings = env_settings(background, market.window_ns(background))
    assert settings["warmup_s"] == 0.0 and settings["horizon_s"] == 60.0
    exploit = exploit_pnl(market, [0, 1], interval_s=2.0, lookback_s=10.0)
    assert exploit.pnl_usd.shape == (2,) and np.isfinite(exploit.pnl_bps).all()
    assert exploit_pnl(market, [0, 1], interval_s=2.0, lookback_s=10.0).pnl_usd.tolist() == (
        exploit.pnl_usd.tolist()
    )
    curve = impact_curve(market, [0], (0.2,), interval_s=5.0)
    assert curve.impact_bps.shape == (1, 1) and curve.traded[0, 0] > 0
    scores = policy_scores(market, ["twap", "random_actions"], [0])
    assert set(scores) == {"twap", "random_actions"} and all(np.isfinite(list(scores.values())))


def test_a_reference_ppo_trains_on_the_real_market_and_joins_the_ranking(tmp_path) -> None:
    path = train_reference_ppo(tmp_path, timesteps=256, n_envs=1, env_kwargs={"decision_interval_s": 30.0})
    assert path.exists() and path.with_suffix(".json").exists()
    scores = policy_scores(REAL_MARKET, ["twap", str(path)], [0], env_kwargs={"decision_interval_s": 30.0})
    assert list(scores) == ["twap", "ppo_reference"]


@pytest.mark.slow
def test_worker_processes_give_the_same_numbers() -> None:
    one = exploit_pnl(REAL_MARKET, range(4))
    two = exploit_pnl(REAL_MARKET, range(4), workers=2)
    assert one.pnl_usd.tolist() == two.pnl_usd.tolist()
    policies = ["twap", "momentum"]
    assert policy_scores(REAL_MARKET, policies, range(3), workers=2) == policy_scores(
        REAL_MARKET, policies, range(3)
    )


@pytest.mark.slow
def test_worker_processes_give_the_same_numbers_on_a_generator(generator_zip) -> None:
    market = MarketWindow(generator_zip)
    kwargs = {"interval_s": 2.0, "lookback_s": 10.0}
    one = exploit_pnl(market, range(3), **kwargs)
    assert exploit_pnl(market, range(3), workers=2, **kwargs).pnl_usd.tolist() == one.pnl_usd.tolist()
