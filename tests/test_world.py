"""The background world (``intags_env.world``): determinism, stepping, record consistency, agent behaviour,
latency, external participants, errors.

The record checks replay the LOBSTER messages onto an independent pure-Python book (per side: price ->
size, plus the live orders by id) and compare with every recorded book row. Agent-behaviour thresholds were
chosen from measured runs; each states its margin next to it.

The first test of a fresh Numba cache pays the world's compilation (~60-70 s); the rest of the file is fast.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np
import pytest

from intags_env.data import ASK_DUMMY_PRICE, BID_DUMMY_PRICE, empty_book, read_lobster, write_lobster
from intags_env.exchange import MESSAGE_DTYPE, Flag, MsgKind
from intags_env.world import (
    AgentType,
    BookConfig,
    ConfigError,
    LatencyConfig,
    MarketMakerConfig,
    MomentumConfig,
    NoiseConfig,
    OracleConfig,
    OrderSizeConfig,
    SimulationResult,
    ValueConfig,
    World,
    WorldConfig,
    WorldError,
    get_preset,
    resolve_config,
    simulate,
)
from intags_env.world.layout import A_LATENCY, A_N_SEEN

NS = 1_000_000_000
CENT = 100  # LOBSTER price units per cent
SPEED_OF_LIGHT_M_PER_NS = 0.299792458


# ------------------------------------------------------------------------------------------------ helpers
def assert_same_result(a: SimulationResult, b: SimulationResult) -> None:
    """Every array and counter of two results is identical."""
    assert a.lobster == b.lobster
    assert np.array_equal(a.owners, b.owners)
    assert np.array_equal(a.trades, b.trades)
    assert np.array_equal(a.agent_types, b.agent_types)
    assert (a.n_exchange_messages, a.n_rejected) == (b.n_exchange_messages, b.n_rejected)
    assert a.config == b.config


def same_result(a: SimulationResult, b: SimulationResult) -> bool:
    return (
        a.lobster == b.lobster and np.array_equal(a.owners, b.owners) and np.array_equal(a.trades, b.trades)
    )


def book_row(asks: dict[int, int], bids: dict[int, int], levels: int) -> list[int]:
    row = empty_book(1, levels)[0].tolist()
    for j, (price, size) in enumerate(sorted(asks.items())[:levels]):
        row[4 * j : 4 * j + 2] = [price, size]
    for j, (price, size) in enumerate(sorted(bids.items(), reverse=True)[:levels]):
        row[4 * j + 2 : 4 * j + 4] = [price, size]
    return row


def replay(result: SimulationResult) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Replay the LOBSTER messages onto a level book (price -> size per side) and an order table
    (id -> [price, direction, remaining, owner]), checking each message against the live order it names.
    Returns the book after every message (LOBSTER columns) and the orders live at the end."""
    lob = result.lobster
    sides: dict[int, dict[int, int]] = {1: {}, -1: {}}
    orders: dict[int, list[int]] = {}
    out = np.empty_like(lob.book)
    for i, ((_, kind, oid, size, price, direction), owner) in enumerate(
        zip(lob.messages.tolist(), result.owners.tolist())
    ):
        where = f"row {i}: {lob.messages[i]} owner {owner}"
        assert size > 0, where
        assert direction in (1, -1), where
        levels = sides[direction]
        if kind == 1:
            assert oid not in orders, f"{where}: order {oid} is already live"
            orders[oid] = [price, direction, size, owner]
            levels[price] = levels.get(price, 0) + size
        else:
            assert kind in (2, 3, 4), where
            assert oid in orders, f"{where}: no live order {oid}"
            order = orders[oid]
            assert order[0] == price and order[1] == direction and order[3] == owner, f"{where}: {order}"
            if kind == 2:
                assert size < order[2], f"{where}: a partial cancel must leave size (had {order[2]})"
            elif kind == 3:
                assert size == order[2], f"{where}: a delete removes the whole remaining {order[2]}"
            else:
                assert size <= order[2], f"{where}: executes more than the remaining {order[2]}"
            order[2] -= size
            if order[2] == 0:
                del orders[oid]
            levels[price] -= size
            if levels[price] == 0:
                del levels[price]
        out[i] = book_row(sides[-1], sides[1], lob.levels)
    return out, orders


def assert_records_consistent(result: SimulationResult) -> dict[int, list[int]]:
    """Replayed books equal every recorded row; returns the live orders at the end."""
    book, live = replay(result)
    bad = np.nonzero((book != result.lobster.book).any(axis=1))[0]
    if len(bad):
        i = int(bad[0])
        pytest.fail(
            f"{len(bad)} recorded book rows differ from the replay; first row {i} "
            f"({result.lobster.messages[i]}):\nrecorded {result.lobster.book[i].tolist()}\n"
            f"replayed {book[i].tolist()}"
        )
    return live


def snapshot_row(world: World, levels: int) -> np.ndarray:
    """The world exchange's own book (cents) in LOBSTER's row form."""
    s = world.exchange.snapshot(levels)
    row = empty_book(1, levels)[0]
    for j, (p, q) in enumerate(zip(s.ask_prices, s.ask_sizes)):
        row[4 * j : 4 * j + 2] = [p * CENT, q]
    for j, (p, q) in enumerate(zip(s.bid_prices, s.bid_sizes)):
        row[4 * j + 2 : 4 * j + 4] = [p * CENT, q]
    return row


def run_world(config: str | WorldConfig, seed: int, **kwargs) -> tuple[World, SimulationResult]:
    world = World(config, **kwargs)
    world.reset(seed)
    world.run()
    return world, world.result()


def message(
    kind: MsgKind,
    owner: int,
    *,
    side: int = 0,
    price: int = 0,
    qty: int = 0,
    order_id: int = 0,
    flags: int = 0,
) -> np.ndarray:
    m = np.zeros(1, MESSAGE_DTYPE)
    m["kind"], m["owner"], m["side"], m["price"], m["qty"] = kind, owner, side, price, qty
    m["order_id"], m["flags"] = order_id, flags
    return m


def orders_by_agent(result: SimulationResult, kind: AgentType) -> dict[int, dict[int, int]]:
    """agent -> {order id: first time seen} for every order an agent of ``kind`` sent that either rested
    (a type-1 row) or traded on arrival (a trade's taker)."""
    types = result.agent_types
    m = result.lobster.messages
    out: dict[int, dict[int, int]] = defaultdict(dict)
    sel = (types[result.owners] == kind) & (m["type"] == 1)
    for owner, oid, t in zip(
        result.owners[sel].tolist(), m["order_id"][sel].tolist(), m["time"][sel].tolist()
    ):
        out[owner].setdefault(oid, t)
    tr = result.trades
    sel = types[tr["taker_owner"]] == kind
    for owner, oid, t in zip(
        tr["taker_owner"][sel].tolist(), tr["taker_id"][sel].tolist(), tr["time"][sel].tolist()
    ):
        out[owner].setdefault(oid, t)
    return dict(out)


@pytest.fixture(
    scope="module", params=[("small", 0), ("small", 2), ("rmsc04", 0)], ids=lambda p: f"{p[0]}-{p[1]}"
)
def finished(request) -> tuple[World, SimulationResult]:
    """A whole session, run to its end (the world kept for its exchange's final book)."""
    preset, seed = request.param
    return run_world(preset, seed)


# ------------------------------------------------------------------------------------------ 1. determinism
@pytest.mark.parametrize("preset", ["small", "rmsc04"])
def test_same_seed_gives_identical_results(preset):
    a, b = simulate(preset, seed=7), simulate(preset, seed=7)
    assert len(a) > 50
    assert_same_result(a, b)
    assert a.seed == 7


@pytest.mark.parametrize("preset", ["small", "rmsc04"])
def test_different_seeds_differ(preset):
    a, b = simulate(preset, seed=1), simulate(preset, seed=2)
    assert a.lobster != b.lobster
    assert not np.array_equal(a.trades, b.trades)


def test_reset_replays_the_session():
    world = World("small")
    world.reset(3)
    world.run()
    first = world.result()  # a copy: survives the next reset
    world.reset(3)
    world.run()
    assert_same_result(first, world.result())
    world.reset(4)
    world.run()
    assert not same_result(first, world.result())


def test_interleaved_worlds_match_solo_runs():
    """Worlds share no state: three alive at once, stepped alternately (one lagging behind, with its own
    irregular steps), record exactly what each records alone."""
    config = get_preset("rmsc04")
    solo = {seed: simulate(config, seed=seed) for seed in (3, 4)}
    worlds = [World(config), World(config), World(config)]
    for world, seed in zip(worlds, (3, 4, 3)):
        world.reset(seed)
    rng = np.random.default_rng(0)
    t = config.start_ns
    while t < config.end_ns:
        t += int(rng.integers(1, 15 * NS))
        worlds[0].run_until(t)
        worlds[1].run_until(t)
        worlds[2].run_until(t - 5 * NS)
    for world in worlds:
        world.run()
    assert_same_result(worlds[0].result(), solo[3])
    assert_same_result(worlds[1].result(), solo[4])
    assert_same_result(worlds[2].result(), solo[3])


# ------------------------------------------------------------------------------------ 2. stepping invariance
@pytest.mark.parametrize("preset", ["small", "rmsc04"])
def test_many_small_steps_equal_one_run(preset):
    """Stepping to exactly every recorded message time (and 1 ns after it), and in regular 250 ms steps,
    records the same as one ``run()``."""
    reference = simulate(preset, seed=5)
    config = reference.config
    times = np.unique(reference.lobster.messages["time"])
    boundary = World(preset)
    boundary.reset(5)
    for t in times.tolist():
        boundary.run_until(t)
        assert boundary.clock == t
        assert (boundary.records_since(0)["time"] < t).all()
        boundary.run_until(t + 1)
    boundary.run()
    assert boundary.done
    assert_same_result(boundary.result(), reference)

    regular = World(preset)
    regular.reset(5)
    for t in range(config.start_ns, config.end_ns + NS, NS // 4):
        regular.run_until(t)
    assert regular.clock == config.end_ns  # capped at the session end
    assert_same_result(regular.result(), reference)


def test_record_buffers_grow_without_changing_the_run():
    """Start with tiny record buffers: they grow several times mid-run; the result is unchanged."""
    reference = simulate("rmsc04", seed=0)
    assert len(reference) > 2048
    world = World("rmsc04")
    world.reset(0)
    a = world.arrays
    world.arrays = a._replace(
        rec=a.rec[:512].copy(), rec_book=a.rec_book[:512].copy(), trades=a.trades[:512].copy()
    )
    world.run_until(world.config.start_ns + 600 * NS)
    world.run()
    assert len(world.arrays.rec) > 2048
    assert_same_result(world.result(), reference)


# ---------------------------------------------------------------------------------- 3. record consistency
def test_replayed_messages_reproduce_every_book_row(finished):
    world, result = finished
    assert len(result) > 100
    live = assert_records_consistent(result)
    # the orders the replay leaves live are exactly those resting in the world's exchange
    assert len(live) == world.exchange.n_resting
    for oid, (price, direction, remaining, owner) in list(live.items())[:50]:
        info = world.exchange.order(oid)
        got = (info.price * CENT, int(info.side), info.remaining, info.owner)
        assert got == (price, direction, remaining, owner)


def test_last_book_row_is_the_exchange_book(finished):
    world, result = finished
    levels = result.config.book.record_levels
    assert result.lobster.levels == levels
    np.testing.assert_array_equal(result.lobster.book[-1], snapshot_row(world, levels))
    assert world.exchange.best_ask * CENT == result.lobster.ask_price(1)[-1]
    assert world.exchange.best_bid * CENT == result.lobster.bid_price(1)[-1]


def test_book_never_crossed_and_times_ordered(finished):
    _, result = finished
    lob = result.lobster
    both = lob.has_ask & lob.has_bid
    assert both.mean() > 0.5
    assert (lob.ask_price(1)[both] > lob.bid_price(1)[both]).all()
    # price levels strictly ordered away from the touch; empty levels hold the dummies
    for level in range(1, lob.levels):
        ask, nxt = lob.ask_price(level), lob.ask_price(level + 1)
        assert ((nxt > ask) | (nxt == ASK_DUMMY_PRICE)).all()
        bid, nxt = lob.bid_price(level), lob.bid_price(level + 1)
        assert ((nxt < bid) | (nxt == BID_DUMMY_PRICE)).all()
    t = lob.messages["time"]
    assert (np.diff(t) >= 0).all()
    assert t[0] >= result.config.start_ns and t[-1] < result.config.end_ns
    assert (np.diff(result.trades["time"]) >= 0).all()


def test_trades_match_execution_rows(finished):
    _, result = finished
    tr, m = result.trades, result.lobster.messages
    n_agents = result.config.n_agents
    assert len(tr) > 0
    assert len(result.agent_types) == n_agents
    for column in ("maker_owner", "taker_owner"):
        assert ((tr[column] >= 0) & (tr[column] < n_agents)).all()
    assert ((result.owners >= 0) & (result.owners < n_agents)).all()
    execs = m["type"] == 4
    ex = m[execs]
    assert tr["qty"].sum() == ex["size"].sum()
    # one trade row per execution row, in the same order
    assert len(tr) == len(ex)
    np.testing.assert_array_equal(tr["side"], -ex["direction"])  # the aggressor hits the other side
    np.testing.assert_array_equal(tr["qty"], ex["size"])
    np.testing.assert_array_equal(tr["time"], ex["time"])
    np.testing.assert_array_equal(tr["maker_id"], ex["order_id"])
    np.testing.assert_array_equal(tr["price"] * CENT, ex["price"])
    np.testing.assert_array_equal(tr["maker_owner"], result.owners[execs])
    assert (tr["qty"] > 0).all()
    assert (tr["maker_id"] != tr["taker_id"]).all()


# ---------------------------------------------------------------------------------------- 4. LOBSTER files
def test_lobster_round_trip(tmp_path):
    result = simulate("small", seed=0)
    message_path, book_path = write_lobster(result.lobster, tmp_path)
    assert message_path.is_file() and book_path.is_file()
    back = read_lobster(message_path)
    assert back == result.lobster
    assert read_lobster(tmp_path) == result.lobster


# ----------------------------------------------------------------------------------- 5. agent behaviour
def anchored_config(obs_noise_var: float | None) -> WorldConfig:
    """Value agents and market makers only, around a constant fundamental (r_bar = $1000)."""
    return WorldConfig(
        noise=NoiseConfig(count=0),
        momentum=MomentumConfig(count=0),
        value=ValueConfig(obs_noise_var=obs_noise_var),
        oracle=OracleConfig(r_bar=100_000, fund_vol=0, megashock_rate=0),
    )


def mid_deviation_second_half(result: SimulationResult) -> np.ndarray:
    """mid - r_bar (cents) after each message of the session's second half (two-sided books only)."""
    lob = result.lobster
    late = lob.messages["time"] >= (lob.start_ns + lob.end_ns) // 2
    mid = lob.mid[late] / CENT
    return mid[~np.isnan(mid)] - result.config.oracle.r_bar


def test_value_agents_anchor_the_mid_to_the_fundamental():
    """The book starts empty; value agents seed it around r_bar and keep the mid there. Measured (seeds
    0-4): |mid - r_bar| <= 10.5 cents, RMS 2-4.5 cents. With observation noise variance 1e7 (sd ~$32) the
    first quotes land far off and the mid stays there: RMS 77-1505 cents (pooled over seeds 0-2: ~670)."""
    devs, noisy_rms = [], []
    for seed in (0, 1, 2):
        world, clean = run_world(anchored_config(None), seed)
        assert world.fundamental == 100_000.0  # no volatility, no shocks: the fundamental is r_bar
        dev = mid_deviation_second_half(clean)
        assert len(dev) > 500
        assert np.abs(dev).max() < 100, f"seed {seed}: the mid strays {np.abs(dev).max()} cents (10x margin)"
        devs.append(dev)
        noisy = mid_deviation_second_half(simulate(anchored_config(1e7), seed=seed))
        assert len(noisy) > 500
        noisy_rms.append(float(np.sqrt(np.mean(noisy**2))))
        clean_rms = float(np.sqrt(np.mean(dev**2)))
        assert noisy_rms[-1] > 5 * clean_rms, f"seed {seed}: {noisy_rms[-1]} vs {clean_rms} (measured >= 35x)"
    pooled_clean = float(np.sqrt(np.mean(np.concatenate(devs) ** 2)))
    pooled_noisy = float(np.sqrt(np.mean(np.square(noisy_rms))))
    assert pooled_clean < 20  # measured ~3.5 cents
    assert pooled_noisy > 200  # measured ~670 cents


@pytest.mark.parametrize(("preset", "seed"), [("small", 0), ("rmsc04", 0)])
def test_market_makers_post_ladders_of_num_ticks_per_side(preset, seed):
    result = simulate(preset, seed=seed)
    n = result.config.market_makers.num_ticks
    m, tr = result.lobster.messages, result.trades
    mm = result.agent_types[result.owners] == AgentType.MARKET_MAKER
    new_ids: dict[tuple[int, int], set[int]] = defaultdict(set)  # (agent, time) -> ids of its new orders
    rows: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in np.nonzero(mm & (m["type"] == 1))[0].tolist():
        key = (int(result.owners[i]), int(m["time"][i]))
        new_ids[key].add(int(m["order_id"][i]))
        rows[key].append(i)
    took = result.agent_types[tr["taker_owner"]] == AgentType.MARKET_MAKER
    taken: dict[tuple[int, int], set[int]] = defaultdict(set)
    for owner, t, oid in zip(
        tr["taker_owner"][took].tolist(), tr["time"][took].tolist(), tr["taker_id"][took].tolist()
    ):
        new_ids[(owner, t)].add(oid)  # a ladder order that traded on arrival (maybe in full)
        taken[(owner, t)].add(oid)
    assert len(new_ids) >= 5
    counts = Counter(len(ids) for ids in new_ids.values())
    assert all(c % (2 * n) == 0 for c in counts), counts  # whole ladders (an imbalance ladder may coincide)
    assert counts[2 * n] >= len(new_ids) // 2
    shaped = 0
    for key, ids in new_ids.items():
        if len(ids) != 2 * n or taken[key] or len(rows[key]) != 2 * n:
            continue
        ladder = m[rows[key]]
        bids, asks = ladder[:n], ladder[n:]  # bids then asks, each side lowest price first
        assert (bids["direction"] == 1).all() and (asks["direction"] == -1).all()
        step = np.diff(bids["price"])
        assert (step > 0).all() and (step == step[0]).all()
        np.testing.assert_array_equal(np.diff(asks["price"]), step)
        assert bids["price"][-1] < asks["price"][0]
        assert (ladder["size"] == ladder["size"][0]).all()
        shaped += 1
    assert shaped >= 3


def test_noise_agents_send_at_most_one_order():
    result = simulate("rmsc04", seed=0)
    orders = orders_by_agent(result, AgentType.NOISE)
    assert len(orders) > 50  # measured 126 noise agents traded or rested an order
    assert max(len(ids) for ids in orders.values()) == 1
    # a noise order is a limit at the opposite touch: all its executions are at one price
    tr = result.trades
    noise = result.agent_types[tr["taker_owner"]] == AgentType.NOISE
    prices: dict[int, set[int]] = defaultdict(set)
    for oid, price in zip(tr["taker_id"][noise].tolist(), tr["price"][noise].tolist()):
        prices[oid].add(price)
    assert prices and all(len(p) == 1 for p in prices.values())


def test_noise_orders_hit_the_touch_without_latency():
    """Without latency a noise buy (sell) trades at the best ask (bid) of the book just before it."""
    result = simulate("small", seed=0)
    lob, tr = result.lobster, result.trades
    execs = np.nonzero(lob.messages["type"] == 4)[0]
    first = {}
    for k, oid in enumerate(tr["taker_id"].tolist()):
        first.setdefault(oid, k)
    checked = 0
    for oid, k in first.items():
        if result.agent_types[tr["taker_owner"][k]] != AgentType.NOISE:
            continue
        row = execs[k] - 1
        touch = lob.ask_price(1)[row] if tr["side"][k] == 1 else lob.bid_price(1)[row]
        assert tr["price"][k] * CENT == touch, oid
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("long_window", [10, 60])
def test_momentum_agents_wait_for_more_than_long_window_mids(long_window):
    """Fixed 10 s wake-ups from a random first one after the open: the (long_window + 1)-th mid cannot be
    seen before start + long_window x 10 s. With long_window 60 no agent can see 61 mids in 10 minutes."""
    interval = 10
    config = replace(
        get_preset("small"),
        momentum=MomentumConfig(
            count=5, wake_interval_s=interval, poisson=False, short_window=4, long_window=long_window
        ),
    )
    world, result = run_world(config, 0)
    orders = orders_by_agent(result, AgentType.MOMENTUM)
    if long_window >= 60:
        assert orders == {}
        return
    assert len(orders) >= 3  # measured: all 5 agents trade
    for agent, sent in orders.items():
        times = np.array(sorted(sent.values()))
        assert times[0] >= config.start_ns + long_window * interval * NS
        assert ((times - times[0]) % (interval * NS) == 0).all()  # only at its own (fixed) wake-ups
        # each order needs one wake-up that saw a mid beyond the first long_window ones
        assert len(sent) <= world.arrays.ag_i[agent, A_N_SEEN] - long_window


# -------------------------------------------------------------------------------------------- 6. latency
@pytest.mark.parametrize("seed", [0, 1])
def test_fixed_latency_delays_every_order(seed):
    """An agent wakes, its query reaches the exchange one delay later, its orders two delays after that."""
    delay = 1_000_000  # 1 ms
    small = get_preset("small")
    fast = simulate(small, seed=seed)
    slow_world, slow = run_world(replace(small, latency=LatencyConfig(model="fixed", fixed_ns=delay)), seed)
    assert (slow_world.arrays.ag_i[: small.n_agents, A_LATENCY] == delay).all()
    t_fast, t_slow = fast.lobster.messages["time"], slow.lobster.messages["time"]
    assert t_slow[0] > t_fast[0]
    assert t_slow[0] - t_fast[0] == 3 * delay
    assert slow.owners[0] == fast.owners[0]
    assert t_slow.min() >= small.start_ns + 3 * delay


def test_line_latency_is_per_agent_within_the_line():
    world = World("rmsc04")
    world.reset(0)
    n = world.config.n_agents
    latency = world.arrays.ag_i[:n, A_LATENCY]
    most = world.config.latency.line_length_m / SPEED_OF_LIGHT_M_PER_NS  # ~12.9 ms
    assert 12.8e6 < most < 13.0e6
    assert latency.min() >= 0 and latency.max() <= most
    assert latency.max() > 0.3 * most
    assert len(np.unique(latency)) > n // 2
    other = World("rmsc04")
    other.reset(0)
    np.testing.assert_array_equal(other.arrays.ag_i[:n, A_LATENCY], latency)


# ---------------------------------------------------------------------------------- 7. external participants
def test_external_marketable_buy_sweeps_the_best_ask():
    config = get_preset("small")
    world = World(config, n_external=1)
    world.reset(0)
    world.run_until(config.start_ns + 300 * NS)
    assert world.clock == config.start_ns + 300 * NS
    me = config.n_agents
    assert world.agent_types()[me] == AgentType.EXTERNAL
    ex = world.exchange
    ask = ex.best_ask
    assert ask is not None and ex.best_bid is not None
    makers = ex.level(ask)
    level_size = sum(o.remaining for o in makers)
    n_rec, n_tr = world.n_records, world.n_trades
    world.submit(message(MsgKind.LIMIT, me, side=1, price=ask - config.min_price, qty=level_size + 7))

    trades = world.trades_since(n_tr)
    assert len(trades) == len(makers)
    assert (trades["taker_owner"] == me).all() and (trades["side"] == 1).all()
    assert (trades["price"] == ask).all() and trades["qty"].sum() == level_size
    assert trades["maker_id"].tolist() == [o.order_id for o in makers]  # FIFO
    assert trades["maker_owner"].tolist() == [o.owner for o in makers]
    assert (trades["time"] == world.clock).all()

    rec = world.records_since(n_rec)
    assert rec["type"].tolist() == [4] * len(makers) + [1]
    assert (rec["price"] == ask * CENT).all() and (rec["time"] == world.clock).all()
    assert (rec["direction"][:-1] == -1).all() and rec["size"][:-1].sum() == level_size
    new = rec[-1]
    assert (new["size"], new["direction"], new["owner"]) == (7, 1, me)
    assert (trades["taker_id"] == new["order_id"]).all()
    assert ex.best_bid == ask and ex.best_ask > ask
    np.testing.assert_array_equal(world.result().lobster.book[-1], snapshot_row(world, 10))

    world.run()
    result = world.result()
    assert len(result.agent_types) == config.n_agents + 1
    assert_records_consistent(result)
    np.testing.assert_array_equal(result.lobster.book[-1], snapshot_row(world, 10))


def test_external_order_kinds_are_recorded():
    config = get_preset("small")
    world = World(config, n_external=2)
    world.reset(0)
    world.run_until(config.start_ns + 300 * NS)
    a, b = config.n_agents, config.n_agents + 1
    ex = world.exchange
    bid_tick = ex.best_bid - config.min_price

    def send(msg: np.ndarray) -> list[tuple[int, ...]]:
        n = world.n_records
        world.submit(msg)
        rec = world.records_since(n)
        return [
            (
                int(r["type"]),
                int(r["size"]),
                int(r["price"]) // CENT - config.min_price,
                int(r["direction"]),
                int(r["owner"]),
            )
            for r in rec
        ]

    rows = send(message(MsgKind.LIMIT, a, side=1, price=bid_tick - 5, qty=50))
    assert rows == [(1, 50, bid_tick - 5, 1, a)]
    oid = int(world.records_since(world.n_records - 1)["order_id"][0])
    assert send(message(MsgKind.REDUCE, a, order_id=oid, qty=20)) == [(2, 20, bid_tick - 5, 1, a)]
    assert send(message(MsgKind.MODIFY, a, order_id=oid, price=bid_tick - 6, qty=30)) == [
        (3, 30, bid_tick - 5, 1, a),
        (1, 30, bid_tick - 6, 1, a),
    ]
    rejected = world.result().n_rejected
    assert send(message(MsgKind.CANCEL, b, order_id=oid)) == []  # not b's order
    assert send(message(MsgKind.CANCEL, a, order_id=10**9)) == []  # no such order
    assert world.result().n_rejected == rejected + 2
    assert send(message(MsgKind.CANCEL, a, order_id=oid)) == [(3, 30, bid_tick - 6, 1, a)]

    ask = ex.best_ask
    level_size = sum(o.remaining for o in ex.level(ask))
    n_tr = world.n_trades
    rows = send(
        message(MsgKind.LIMIT, b, side=1, price=ask - config.min_price, qty=level_size + 10, flags=Flag.IOC)
    )
    assert {r[0] for r in rows} == {4} and sum(r[1] for r in rows) == level_size  # the rest is not resting
    bid = ex.best_bid
    rows = send(message(MsgKind.MARKET, b, side=-1, qty=5))
    assert [r[:4] for r in rows] == [(4, 5, bid - config.min_price, 1)]
    assert (world.trades_since(n_tr)["taker_owner"] == b).all()

    world.run()
    result = world.result()
    assert_records_consistent(result)
    np.testing.assert_array_equal(result.lobster.book[-1], snapshot_row(world, 10))


def test_submit_rejects_owners_that_are_not_external():
    config = get_preset("small")
    world = World(config, n_external=1)
    world.reset(0)
    world.run_until(config.start_ns + 60 * NS)
    n = world.n_records
    for owner in (0, config.n_agents - 1, config.n_agents + 1):
        with pytest.raises(ValueError, match="external owners"):
            world.submit(message(MsgKind.LIMIT, owner, side=1, price=100, qty=1))
    with pytest.raises(TypeError):
        world.submit(np.zeros(1, np.int64))
    assert world.n_records == n
    background_only = World("small")  # no external participants at all
    background_only.reset(0)
    with pytest.raises(ValueError, match="external owners"):
        background_only.submit(message(MsgKind.LIMIT, config.n_agents, side=1, price=100, qty=1))


# ------------------------------------------------------------------------------------------------ 8. errors
def test_unknown_preset():
    with pytest.raises(ConfigError, match=r"'nope'.*rmsc04.*small"):
        get_preset("nope")
    with pytest.raises(ConfigError, match="nope"):
        simulate("nope")
    with pytest.raises(ConfigError):
        resolve_config(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: NoiseConfig(count=-1), "noise.count"),
        (lambda: NoiseConfig(wake_distribution="normal"), "noise.wake_distribution"),
        (lambda: ValueConfig(percent_aggressive=1.5), "value.percent_aggressive"),
        (lambda: ValueConfig(obs_noise_var=0), "value.obs_noise_var"),
        (lambda: MarketMakerConfig(num_ticks=0), "market_makers.num_ticks"),
        (lambda: MarketMakerConfig(pov=float("nan")), "market_makers.pov"),
        (lambda: MomentumConfig(short_window=20, long_window=10), "momentum.long_window"),
        (lambda: MomentumConfig(min_size=5, max_size=2), "momentum.max_size"),
        (lambda: OracleConfig(r_bar=0), "oracle.r_bar"),
        (lambda: OracleConfig(fund_vol=-1.0), "oracle.fund_vol"),
        (lambda: OrderSizeConfig(lot=0), "order_size.lot"),
        (lambda: LatencyConfig(model="cable"), "latency.model"),
        (lambda: LatencyConfig(fixed_ns=-5), "latency.fixed_ns"),
        (lambda: BookConfig(max_orders=8), "book.max_orders"),
        (lambda: BookConfig(record_levels=0), "book.record_levels"),
        (lambda: WorldConfig(start="10:00", end="09:30"), "end"),
        (lambda: WorldConfig(end="16:30"), "end"),
        (lambda: WorldConfig(date="02/01/2026"), "date"),
        (lambda: WorldConfig(book=BookConfig(n_levels=1 << 20)), "book.n_levels"),
        (lambda: WorldConfig(start="09:30:00.0005"), "start/end"),
        (lambda: World("small", n_external=-1), "n_external"),
    ],
)
def test_invalid_config_fields_are_named(make, field):
    with pytest.raises(ConfigError, match=re.escape(field)):
        make()


@pytest.mark.parametrize("preset", ["small", "rmsc04"])
def test_config_dict_round_trip(preset):
    config = get_preset(preset)
    assert WorldConfig.from_dict(config.to_dict()) == config
    # through JSON too (tuples come back as lists)
    assert WorldConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    custom = replace(
        config,
        name="x",
        end="09:45",
        value=ValueConfig(obs_noise_var=5.0),
        order_size=OrderSizeConfig(lot_weights=(1.0, 2.0)),
        book=BookConfig(record_levels=3),
    )
    again = WorldConfig.from_dict(json.loads(json.dumps(custom.to_dict())))
    assert again == custom and again.order_size.lot_weights == (1.0, 2.0)


def test_from_dict_rejects_unknown_keys():
    data = get_preset("small").to_dict()
    with pytest.raises(ConfigError, match="colour"):
        WorldConfig.from_dict({**data, "colour": "red"})
    with pytest.raises(ConfigError, match=r"noise.*cnt"):
        WorldConfig.from_dict({**data, "noise": {**data["noise"], "cnt": 3}})
    with pytest.raises(ConfigError, match=re.escape("value.count")):
        WorldConfig.from_dict({**data, "value": {**data["value"], "count": -2}})


def test_order_capacity_error_keeps_the_record():
    config = replace(get_preset("small"), book=BookConfig(max_orders=16))
    world = World(config)
    world.reset(0)
    with pytest.raises(WorldError, match="max_orders"):
        world.run()
    result = world.result()
    assert len(result) > 0
    assert world.exchange.n_resting == 16
    # what was recorded is consistent, up to the book as it stands
    live = assert_records_consistent(result)
    assert len(live) == 16
    np.testing.assert_array_equal(result.lobster.book[-1], snapshot_row(world, config.book.record_levels))


def test_world_needs_reset():
    world = World("small")
    with pytest.raises(RuntimeError, match="reset"):
        world.run()
    with pytest.raises(RuntimeError, match="reset"):
        world.result()


# ---------------------------------------------------------------------------------------------- 9. progress
def test_progress_bar_gives_the_same_result(capsys):
    with_bar = simulate("small", seed=0, progress=True)
    assert "simulating small" in capsys.readouterr().err
    assert_same_result(with_bar, simulate("small", seed=0))
    short = simulate("rmsc04", seed=1, end="09:33:30", progress=True)  # a partial last minute
    assert_same_result(short, simulate("rmsc04", seed=1, end="09:33:30"))


def test_responsive_preset_is_rmsc04_with_market_makers_that_follow_volume():
    base, responsive = get_preset("rmsc04"), get_preset("rmsc04_responsive")
    assert responsive.market_makers.pov == 0.2 and base.market_makers.pov == 0.025
    assert replace(responsive, name="rmsc04", market_makers=base.market_makers) == base
