"""market_v0's compiled seats (intags_env.envs.market_seats) against the Python seats: bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.envs import market_v0

MIXED = (
    ("market_maker_0", "market_maker", {"max_inventory": 300}),
    ("buyer_0", "execution", {"quantity": 400}),
    ("seller_0", "execution", {"quantity": 3_000, "side": "sell"}),
    ("trader_0", "trader", {"trade_size": 50, "max_position": 100}),
    ("market_maker_1", "market_maker", {"inventory_penalty": 0.01}),
)


def play(roles, compiled: bool, seed: int, cycles: int, **kwargs) -> tuple[list, market_v0.MarketParallelEnv]:
    """Every (observations, rewards, terminations, truncations, infos) of ``cycles`` cycles over as many
    episodes as they take, and the environment; the actions are drawn from ``seed`` alone."""
    env = market_v0.parallel_env(roles=roles, compiled_seats=compiled, **kwargs)
    assert (env._compiled is not None) is compiled
    draws = np.random.default_rng(seed)
    out = [env.reset(seed=seed)]
    for _ in range(cycles):
        if not env.agents:
            out.append(env.reset())
        actions = {}
        for agent in env.agents:
            space = env.action_space(agent)
            nvec = getattr(space, "nvec", None)
            actions[agent] = draws.integers(0, nvec) if nvec is not None else int(draws.integers(0, space.n))
        out.append(env.step(actions))
    return out, env


def same(a, b) -> bool:
    """Equal, arrays bit for bit (NaN-free), floats exactly."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    ("roles", "seed", "kwargs"),
    [
        (MIXED, 7, {"decision_interval_s": 2.0, "max_cycles": 25}),
        (MIXED, 6, {"decision_interval_s": 5.0, "max_cycles": 12, "fee_bps": 1.5}),
        (market_v0.DEFAULT_ROLES, 7, {"decision_interval_s": 1.0, "max_cycles": 30}),
    ],
)
def test_compiled_seats_are_the_python_seats(roles, seed, kwargs) -> None:
    compiled, compiled_env = play(roles, True, seed, 70, **kwargs)
    python, python_env = play(roles, False, seed, 70, **kwargs)
    assert len(compiled) == len(python)
    for step, (c, p) in enumerate(zip(compiled, python)):
        assert same(c, p), f"cycle {step} differs"
    for agent, seat in compiled_env.seats.items():  # what readers of the seats see (render, examples)
        other = python_env.seats[agent]
        assert (seat.account.cash, seat.account.inventory, seat.account.fees, seat.account.traded) == (
            other.account.cash,
            other.account.inventory,
            other.account.fees,
            other.account.traded,
        )
        assert (seat.k, seat.last_mid, seat._path) == (other.k, other.last_mid, other._path)
    # the run went through what can differ: fills, early completions and force-executions at the horizon
    infos = [out[-1] for out in compiled if len(out) == 5]
    assert any(info["fills"] for cycle in infos for info in cycle.values())
    if roles is MIXED:
        assert any(out[2].get("buyer_0") for out in compiled if len(out) == 5)  # completed early
        assert any(out[3].get("seller_0") for out in compiled if len(out) == 5)  # forced at the horizon


def test_compiled_seats_keep_the_accounts_current() -> None:
    env = market_v0.parallel_env(roles=MIXED, decision_interval_s=2.0, max_cycles=40)
    env.reset(seed=1)
    while env.agents:
        _, _, _, _, infos = env.step({a: env.action_space(a).sample() for a in env.agents})
        for agent, info in infos.items():
            account = env.seats[agent].account
            assert (account.inventory, account.traded) == (info["inventory"], info["traded"])
            assert account.cash / 100.0 == info["cash"]
    trades = env.session.world.trades_since(0)
    first = env.session.world.first_external
    for i, agent in enumerate(env.possible_agents):  # the accounts are the trade log's
        taker, maker = trades["taker_owner"] == first + i, trades["maker_owner"] == first + i
        bought = (trades["qty"] * trades["side"])[taker].sum() - (trades["qty"] * trades["side"])[maker].sum()
        assert env.seats[agent].account.inventory == bought
