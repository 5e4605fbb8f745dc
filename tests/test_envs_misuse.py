"""A user's mistakes with the environments get a named error, not NaN, a late crash or silent trading
(issue 16): non-finite or out-of-range constructor arguments, booleans as quantities or actions, and
``step()`` after the episode ended."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import intags_env  # noqa: F401  (registers the ids)
from intags_env.envs import ExecutionEnv, MarketMakingEnv, Order, TradingEnv, TradingSession, market_v0
from intags_env.envs.single_seat import SingleSeat

SHORT = {"background": "small", "warmup_s": 60.0, "horizon_s": 30.0, "decision_interval_s": 10.0}
ENVS = {"execution": ExecutionEnv, "market_making": MarketMakingEnv, "trading": TradingEnv}
COMMON_FLOATS = ("decision_interval_s", "horizon_s", "warmup_s", "fee_bps", "volume_scale", "inventory_scale")
FLOATS = {
    "execution": (*COMMON_FLOATS, "unfilled_penalty_bps"),
    "market_making": (*COMMON_FLOATS, "inventory_penalty"),
    "trading": COMMON_FLOATS,
}
INTEGERS = {
    "execution": ("quantity",),
    "market_making": ("max_inventory",),
    "trading": ("trade_size", "max_position"),
}
NOT_FINITE = (math.nan, math.inf, -math.inf)


def make(name: str, **kwargs: Any) -> gym.Env:
    return ENVS[name](**{**SHORT, **kwargs})


def play_out(env: gym.Env, action: Any) -> None:
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated


# --- constructor arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "arg"), [(name, arg) for name, args in FLOATS.items() for arg in args])
@pytest.mark.parametrize("value", NOT_FINITE, ids=("nan", "inf", "-inf"))
def test_a_non_finite_float_argument_is_refused_by_name(name: str, arg: str, value: float) -> None:
    with pytest.raises(ValueError, match=arg):
        make(name, **{arg: value})


@pytest.mark.parametrize("name", ENVS)
@pytest.mark.parametrize("arg", ("volume_scale", "inventory_scale", "decision_interval_s", "horizon_s"))
@pytest.mark.parametrize("value", (0.0, -1.0))
def test_a_zero_or_negative_scale_or_duration_is_refused_at_construction(
    name: str, arg: str, value: float
) -> None:
    with pytest.raises(ValueError, match=arg):
        make(name, **{arg: value})


@pytest.mark.parametrize("arg", ("fee_bps", "warmup_s", "unfilled_penalty_bps"))
def test_a_negative_cost_or_warmup_is_refused(arg: str) -> None:
    with pytest.raises(ValueError, match=arg):
        make("execution", **{arg: -1.0})


@pytest.mark.parametrize(("name", "arg"), [(name, arg) for name, args in INTEGERS.items() for arg in args])
@pytest.mark.parametrize("value", (True, 2.0, 0))
def test_a_bool_float_or_zero_quantity_is_refused(name: str, arg: str, value: Any) -> None:
    with pytest.raises(ValueError, match=arg):
        make(name, **{arg: value})


def test_a_bool_is_not_a_float_argument_either() -> None:
    with pytest.raises(TypeError, match="fee_bps"):
        make("trading", fee_bps=True)


def test_numpy_numbers_are_accepted() -> None:
    env = make("execution", quantity=np.int64(300), fee_bps=np.float32(1.5), horizon_s=np.float64(30.0))
    assert env.quantity == 300 and env.n_steps == 3


def test_a_session_refuses_a_nan_fee() -> None:
    with pytest.raises(ValueError, match="fee_bps"):
        TradingSession("small", fee_bps=math.nan)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"fee_bps": math.nan}, "fee_bps"),
        ({"decision_interval_s": math.inf}, "decision_interval_s"),
        ({"warmup_s": math.nan}, "warmup_s"),
        ({"max_cycles": True}, "max_cycles"),
        ({"roles": (("ex", "execution", {"unfilled_penalty_bps": math.nan}),)}, "unfilled_penalty_bps"),
        ({"roles": (("mm", "market_maker", {"inventory_penalty": math.inf}),)}, "inventory_penalty"),
        ({"roles": (("mm", "market_maker", {"volume_scale": 0.0}),)}, "volume_scale"),
        ({"roles": (("ex", "execution", {"quantity": True}),)}, "quantity"),
    ],
)
def test_market_v0_refuses_bad_arguments_by_name(kwargs: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        market_v0.parallel_env(background="small", **kwargs)


# --- actions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("trading", True),
        ("trading", np.bool_(True)),
        ("execution", np.array([True, False])),
        ("execution", [True, 1]),
        ("market_making", np.ones(4, bool)),
    ],
    ids=("bool", "numpy-bool", "bool-array", "list-with-bool", "mm-bool-array"),
)
def test_a_boolean_action_is_refused(name: str, action: Any) -> None:
    env = make(name)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="booleans are not actions"):
        env.step(action)


def test_market_v0_refuses_a_boolean_action() -> None:
    env = market_v0.parallel_env(background="small", roles=(("t", "trader", {}),), max_cycles=3)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step({"t": True})


# --- stepping outside an episode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "action"),
    [("execution", np.array([0, 0])), ("market_making", np.array([0, 0, 1, 1])), ("trading", 2)],
)
def test_step_after_the_episode_ended_is_an_error(name: str, action: Any) -> None:
    env = make(name)
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(action)  # before the first reset
    play_out(env, action)
    inventory = env.account.inventory
    with pytest.raises(RuntimeError, match=r"episode ended.*call reset\(\)"):
        env.step(action)
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step_orders([Order(1, 100)])
    assert env.account.inventory == inventory  # nothing traded past the end
    env.reset(seed=1)
    env.step(action)  # a new episode steps again


def test_step_after_a_completed_execution_is_an_error() -> None:
    env = make("execution", quantity=1)  # 3 steps: size 2 x the TWAP slice rounds to the 1 share
    env.reset(seed=0)
    _, _, terminated, _, _ = env.step(np.array([4, 0]))  # one market order fills the whole parent
    assert terminated
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(np.array([4, 0]))


def test_vector_envs_autoreset_across_episode_ends() -> None:
    kwargs = {**SHORT}
    vec = gym.make_vec("intags_env/Trading-v0", num_envs=2, vectorization_mode="sync", **kwargs)
    vec.reset(seed=0)
    ends = 0
    for _ in range(10):  # three episodes of 3 steps, with the autoreset steps between them
        _, _, terminated, truncated, _ = vec.step(vec.action_space.sample())
        ends += int(np.sum(terminated | truncated))
    vec.close()
    assert ends >= 4
    sb3_vec = pytest.importorskip("stable_baselines3.common.vec_env")
    dummy = sb3_vec.DummyVecEnv([lambda: TradingEnv(**kwargs) for _ in range(2)])
    dummy.reset()
    dones = 0
    for _ in range(10):
        _, _, done, _ = dummy.step(np.array([2, 0]))
        dones += int(done.sum())
    dummy.close()
    assert dones == 6


def test_market_v0_step_after_every_agent_is_done_is_an_error() -> None:
    env = market_v0.parallel_env(background="small", roles=(("t", "trader", {}),), max_cycles=2)
    env.reset(seed=0)
    while env.agents:
        env.step({"t": 1})
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step({})


def test_single_seat_step_after_its_episode_ended_is_an_error() -> None:
    roles = (("a", "trader", {}), ("b", "trader", {}))
    env = SingleSeat(lambda: market_v0.parallel_env(background="small", roles=roles, max_cycles=2), "a")
    play_out(env, 1)
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(1)
