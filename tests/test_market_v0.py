"""intags_env.envs.market_v0 (PettingZoo): conformance, conservation across agents, errors."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)

from intags_env.envs import market_v0
from intags_env.envs.registry import load_agent

HETEROGENEOUS = (
    ("market_maker_0", "market_maker", {}),
    ("buyer_0", "execution", {"quantity": 1_000}),
    ("seller_0", "execution", {"quantity": 1_000, "side": "sell"}),
    ("trader_0", "trader", {"trade_size": 50}),
)
CONFIGS = {"homogeneous": market_v0.DEFAULT_ROLES, "heterogeneous": HETEROGENEOUS}


@pytest.fixture(params=sorted(CONFIGS))
def roles(request):
    return CONFIGS[request.param]


def test_parallel_api(roles) -> None:
    parallel_api_test(market_v0.parallel_env(roles=roles, max_cycles=12), num_cycles=30)


def test_aec_api(roles) -> None:
    api_test(market_v0.env(roles=roles, max_cycles=12), num_cycles=30)


def test_seeding(roles) -> None:
    parallel_seed_test(lambda: market_v0.parallel_env(roles=roles, max_cycles=8))
    seed_test(lambda: market_v0.env(roles=roles, max_cycles=8))


def test_max_cycles(roles, monkeypatch) -> None:
    class Module:  # max_cycles_test calls module.parallel_env(max_cycles=...) and module.env(max_cycles=...)
        parallel_env = staticmethod(lambda **kw: market_v0.parallel_env(roles=roles, **kw))
        env = staticmethod(lambda **kw: market_v0.env(roles=roles, **kw))

    max_cycles_test(Module)


def test_render(roles) -> None:
    render_test(lambda render_mode=None: market_v0.env(roles=roles, max_cycles=8, render_mode=render_mode))


def test_spaces_are_cached_and_heterogeneous() -> None:
    env = market_v0.parallel_env(roles=HETEROGENEOUS, max_cycles=5)
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
    assert env.action_space("market_maker_0") != env.action_space("trader_0")


def test_trades_are_zero_sum_across_learners_scripted_players_and_background() -> None:
    scripted = [load_agent("pov", participation=0.2, quantity=800, interval_s=5), load_agent("momentum")]
    env = market_v0.parallel_env(roles=HETEROGENEOUS, scripted=scripted, max_cycles=30)
    env.reset(seed=3)
    while env.agents:
        env.step({a: env.action_space(a).sample() for a in env.agents})
    session = env.session
    trades = session.world.trades_since(0)
    assert len(trades) > 0
    n_owners = session.world.first_external + session.n_participants
    for column in ("maker_owner", "taker_owner"):  # every trade has a maker and a taker we know
        assert ((trades[column] >= 0) & (trades[column] < n_owners)).all()
    cash = np.zeros(n_owners)
    inventory = np.zeros(n_owners, np.int64)
    for t in trades:  # the taker trades on the aggressor side, the maker on the other
        for owner, side in ((t["taker_owner"], t["side"]), (t["maker_owner"], -t["side"])):
            cash[owner] -= side * t["price"] * t["qty"]
            inventory[owner] += side * t["qty"]
    assert cash.sum() == pytest.approx(0.0) and inventory.sum() == 0
    first = session.world.first_external
    mid = env.seats["market_maker_0"].last_mid
    for participant, account in enumerate(session.accounts):
        assert account.inventory == inventory[first + participant]
        assert account.cash == pytest.approx(cash[first + participant] - account.fees)
    # marked at one mid, everybody's P&L sums to zero: the market only moves money around (no fees here)
    assert (cash + inventory * mid).sum() == pytest.approx(0.0, abs=1e-6)
    assert sum(a.traded for a in session.accounts[2:]) > 0  # the scripted POV player traded


def test_an_invalid_action_names_the_agent() -> None:
    env = market_v0.parallel_env(roles=HETEROGENEOUS, max_cycles=5)
    env.reset(seed=0)
    actions = {a: env.action_space(a).sample() for a in env.agents}
    actions["trader_0"] = 7
    with pytest.raises(ValueError, match="trader_0"):
        env.step(actions)
    del actions["trader_0"]
    with pytest.raises(ValueError, match="no action for agent 'trader_0'"):
        env.step(actions)


def test_bad_roles_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        market_v0.parallel_env(roles=(("a_0", "wizard", {}),))
    with pytest.raises(ValueError, match="distinct"):
        market_v0.parallel_env(roles=(("a_0", "trader", {}), ("a_0", "trader", {})))
    with pytest.raises(ValueError, match="agent 'b_0'"):
        market_v0.parallel_env(roles=(("b_0", "execution", {"quantity": -5}),))
