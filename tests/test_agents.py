"""Reference trading agents, the entry-point registry, and scripted agents inside an environment."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.envs import ExecutionEnv, MarketView, TradingAgent
from intags_env.envs.registry import available_agents, load_agent
from intags_env.envs.session import TradingSession

REFERENCE = ("twap", "immediate", "pov", "random", "momentum", "market_maker")
FAST = {"background": "small", "warmup_s": 60.0, "horizon_s": 300.0, "decision_interval_s": 10.0}


def view(**kw) -> MarketView:
    base = {
        "time": 34_260 * 10**9,
        "start": 34_200 * 10**9,
        "end": 34_800 * 10**9,
        "best_bid": 99_999,
        "best_ask": 100_001,
        "bid_sizes": np.array([100]),
        "ask_sizes": np.array([100]),
        "last_price": None,
        "volume": 1_000,
        "inventory": 0,
        "cash": 0,
        "open_orders": 0,
    }
    base.update(kw)
    return MarketView(**base)


def test_reference_agents_load_from_the_entry_point_group() -> None:
    assert set(REFERENCE) <= set(available_agents())
    for name in REFERENCE:
        agent = load_agent(name)
        assert isinstance(agent, TradingAgent) and agent.name == name
    with pytest.raises(KeyError, match="no trading agent named 'nope'"):
        load_agent("nope")


def test_immediate_sends_what_is_left_at_once() -> None:
    now = load_agent("immediate", quantity=600, side=-1)
    orders, cancel = now.decide(view(inventory=-100))
    assert cancel and len(orders) == 1 and (orders[0].side, orders[0].qty, orders[0].price) == (-1, 500, None)
    assert now.decide(view(inventory=-600))[0] == []


def test_twap_slices_what_is_left_over_the_decisions_left() -> None:
    twap = load_agent("twap", quantity=600, interval_s=60)
    orders, cancel = twap.decide(view(inventory=0))  # 540 s left = 9 decisions
    assert cancel and len(orders) == 1 and orders[0].qty == round(600 / 9) and orders[0].price is None
    assert twap.decide(view(inventory=600))[0] == []


def test_pov_follows_market_volume_and_stops_at_its_quantity() -> None:
    pov = load_agent("pov", participation=0.1, quantity=150)
    orders, _ = pov.decide(view(volume=1_000))
    assert orders[0].qty == 100 and orders[0].price == 100_001 and orders[0].tif == "ioc"
    assert pov.decide(view(volume=1_000, inventory=100))[0][0].qty == 50
    assert pov.decide(view(best_ask=None))[0] == []


def test_momentum_waits_for_its_long_window_and_respects_the_position_limit() -> None:
    mom = load_agent("momentum", short=2, long=4, size=100, max_position=100)
    mom.reset(0)
    mids = [100_000, 100_002, 100_004, 100_006]
    decisions = [mom.decide(view(best_bid=m - 1, best_ask=m + 1))[0] for m in mids]
    assert decisions[:3] == [[], [], []] and decisions[3][0].side == 1
    assert mom.decide(view(best_bid=100_007, best_ask=100_009, inventory=100))[0] == []


def test_market_maker_quotes_both_sides_within_its_inventory_limit() -> None:
    mm = load_agent("market_maker", size=100, max_inventory=150)
    orders, cancel = mm.decide(view())
    assert cancel and {(o.side, o.price) for o in orders} == {(1, 99_999), (-1, 100_001)}
    assert [o.side for o in mm.decide(view(inventory=100))[0]] == [-1]


def test_random_agent_is_reproducible_per_seed() -> None:
    a, b = load_agent("random"), load_agent("random")
    a.reset(5)
    b.reset(5)
    assert [a.decide(view())[0] for _ in range(20)] == [b.decide(view())[0] for _ in range(20)]


def test_scripted_agents_trade_inside_an_environment_and_accounts_match_trades() -> None:
    pov = load_agent("pov", participation=0.2, quantity=500, interval_s=5)
    env = ExecutionEnv(**FAST, background_agents=[pov, load_agent("market_maker", interval_s=5)])
    env.reset(seed=2)
    done = False
    while not done:
        _, _, done, _, _ = env.step(np.array([2, 1]))
    session: TradingSession = env.session
    trades = session.world.trades_since(0)
    first = session.world.first_external
    for participant, account in enumerate(session.accounts):
        owner = first + participant
        bought = trades["qty"][
            ((trades["taker_owner"] == owner) & (trades["side"] == 1))
            | ((trades["maker_owner"] == owner) & (trades["side"] == -1))
        ].sum()
        sold = trades["qty"][
            ((trades["taker_owner"] == owner) & (trades["side"] == -1))
            | ((trades["maker_owner"] == owner) & (trades["side"] == 1))
        ].sum()
        assert account.inventory == bought - sold
    assert session.accounts[1].inventory > 0  # the POV agent bought


def test_a_non_agent_is_rejected() -> None:
    with pytest.raises(TypeError, match="TradingAgent"):
        ExecutionEnv(**FAST, background_agents=[object()])
