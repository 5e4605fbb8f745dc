"""The order representation's encoder: known actions of a hand-written log, the exact round trip through
the decoder (hand log, random streams, a simulated window), simulated and real AMZN logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hand_logs import hand_log, hand_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intags_env.data import LobsterData, read_lobster
from intags_env.exchange.kernels import depth
from intags_env.generator.background import GeneratorBackground
from intags_env.generator.features import lobster_features
from intags_env.generator.orderstream import OrderStream, action_stats, grouped, order_stream
from intags_env.generator.spec import (
    ACTION_NVEC,
    BUY,
    CANCEL,
    FEATURE_NAMES,
    FIELD_MASK,
    FIELDS_OF_TYPE,
    HISTORY,
    LIMIT,
    MARKET,
    N_FIELDS,
    SELL,
    SIZE_EDGES,
    SWEEP_TOUCH,
    F,
    bucket_of,
    cancel_level_bucket,
    delay_bucket,
    limit_price_bucket,
    market_size_bucket,
    queue_bucket,
)
from intags_env.world import resolve_config

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
needs_real_data = pytest.mark.skipif(not ZIP_5.is_file(), reason=f"real LOBSTER sample not found at {ZIP_5}")

RMSC04 = resolve_config("rmsc04")
SESSION_NS = 34_200 * 10**9 + 300 * 10**9  # 09:35, where the generator's session starts
T = 100  # one tick in LOBSTER prices
P = RMSC04.oracle.r_bar * T  # the price an empty book's first order is measured from (the anchor)
S = 10**9

# seconds after 09:35, type, order id, size, price, direction (+1 buy, -1 sell)
LOG = [
    (1.0, 1, 1, 100, P, 1),  # 0 first buy: no book at all
    (1.0, 1, 2, 50, P + 5 * T, -1),  # 1 first sell, same timestamp: no ask side
    (3.0, 1, 3, 10, P + T, 1),  # 2 one tick inside from the own touch
    (3.02, 1, 4, 40, P + T, 1),  # 3 at the touch, behind order 3
    (3.1, 1, 5, 100, P + 8 * T, -1),  # 4 three ticks behind the ask
    (3.1, 1, 6, 20, P + 2 * T, -1),  # 5 inside, nearer the opposite touch
    (4.0, 2, 5, 40, P + 8 * T, -1),  # 6 partial cancel of order 5
    (5.0, 4, 6, 20, P + 2 * T, -1),  # 7 a buy market order ...
    (5.0, 4, 2, 50, P + 5 * T, -1),  # 8 ... walks the asks ...
    (5.0, 4, 5, 10, P + 8 * T, -1),  # 9 ... partly filling order 5
    (6.0, 1, 7, 30, P + T, 1),  # 10 queue at P + 1: 3, 4, 7
    (6.5, 3, 4, 40, P + T, 1),  # 11 delete the middle one (2nd newest)
    (7.0, 4, 3, 10, P + T, 1),  # 12 a sell market order
    (7.0, 4, 7, 5, P + T, 1),  # 13 ... of 15 shares
    (7.0, 3, 1, 100, P, 1),  # 14 delete one level behind, same time
    (8.0, 4, 5, 50, P + 8 * T, -1),  # 15 a marketable buy limit: its fill ...
    (8.0, 1, 8, 30, P + 8 * T, 1),  # 16 ... and its rest, into an empty ask side
    (8.5, 5, 0, 7, P + 5 * T, -1),  # 17 hidden execution: skipped
    (9.0, 1, 9, 100, P + 20 * T, -1),  # 18 a sell into an empty ask side
]


def order(kind: int, side: int, **fields: int) -> list[int]:
    action = [0] * N_FIELDS
    action[0] = kind
    action[FIELDS_OF_TYPE[kind][0]] = side
    for name, value in fields.items():
        action[F[name]] = value
    return action


def limit(side: int, price: int, qty: int, delay: int) -> tuple[list[int], tuple]:
    fields = {"limit_price": price, "limit_size": int(bucket_of(qty, SIZE_EDGES)), "limit_delay": 0}
    fields["limit_delay"] = int(delay_bucket(delay))
    return order(LIMIT, side, **fields), (qty, delay)


def market(side: int, qty: int, size: int, delay: int) -> tuple[list[int], tuple]:
    """A market order of ``qty`` shares whose ``market_size`` (relative to the opposite touch) is ``size``."""
    return order(MARKET, side, market_size=size, market_delay=int(delay_bucket(delay))), (qty, delay)


def cancel(side: int, level: int, queue: int, amount: int, delay: int) -> tuple[list[int], tuple]:
    amount_field = 0 if amount == 0 else 1 + int(bucket_of(amount, SIZE_EDGES))
    fields = {"cancel_level": level, "cancel_queue": queue, "cancel_amount": amount_field}
    return order(CANCEL, side, **fields, cancel_delay=int(delay_bucket(delay))), (amount, delay)


#  the action, then its exact (offset ticks, queue index)
EXPECTED = [
    (limit(BUY, 5, 100, 1 * S), (0, 0)),  # 0 at the (virtual) touch: the anchor
    (limit(SELL, 9, 50, 0), (4, 0)),  # 1 4 behind the virtual ask (one tick above the bid)
    (limit(BUY, 0, 10, 2 * S), (-1, 0)),  # 2 bucket "1 inside from the own touch"
    (limit(BUY, 5, 40, S // 50), (0, 0)),  # 3 at the touch
    (limit(SELL, 8, 100, 80_000_000), (3, 0)),  # 4 3 behind
    (limit(SELL, 24, 20, 0), (1, 0)),  # 5 "1 inside from the opposite touch"
    (cancel(SELL, 6, 0, 40, 9 * S // 10), (6, 0)),  # 6 6 behind, the newest (only) order, 40 shares
    (market(BUY, 80, SWEEP_TOUCH + 1 + 9, S), (0, 0)),  # 7..9 one taker: the 20-share touch + 60 (60-79)
    (limit(BUY, 5, 30, S), (0, 0)),  # 10
    (cancel(BUY, 0, 1, 0, S // 2), (0, 1)),  # 11 2nd newest = queue index 1 of 3
    (market(SELL, 15, 3, S // 2), (0, 0)),  # 12, 13: 15 of the touch's 40 shares, in (30%, 40%]
    (cancel(BUY, 1, 0, 0, 0), (1, 0)),  # 14
    (market(BUY, 50, SWEEP_TOUCH, S), (0, 0)),  # 15: exactly order 5's 50 shares, the whole touch
    (limit(BUY, 3, 30, 0), (-7, 0)),  # 16 7 above the bid, no asks: bucket "4-7 inside"
    (limit(SELL, 16, 100, S), (11, 0)),  # 18 11 behind the virtual ask: bucket 11-15
]
MESSAGE_INDEX = [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 14, 15, 16, 18]


def expected_arrays() -> tuple[np.ndarray, np.ndarray]:
    actions = np.array([a for (a, _), _ in EXPECTED], np.int64)
    exact = np.array([(off, qty, queue, delay) for ((_, (qty, delay)), (off, queue)) in EXPECTED], np.int64)
    return actions, exact


@pytest.fixture(scope="module")
def hand() -> tuple[LobsterData, OrderStream]:
    data = hand_stream(LOG, open_ns=SESSION_NS)
    return data, order_stream(data, reference_tick=P // T)


@pytest.fixture(scope="module")
def empty_session() -> GeneratorBackground:
    """The generator's market for rmsc04 09:35-09:40 starting from an empty book."""
    return GeneratorBackground(
        None, real="rmsc04", start="09:35", end="09:40", n_external=0, initial_book="empty"
    )


def test_bucket_known_values() -> None:
    np.testing.assert_array_equal(bucket_of(np.array([1, 99, 100, 101, 200, 1000, 5000]), SIZE_EDGES),
                                  [0, 10, 11, 12, 14, 19, 20])  # fmt: skip
    np.testing.assert_array_equal(delay_bucket(np.array([0, 1, 9_999, 10_000, S])), [0, 1, 1, 2, 11])
    np.testing.assert_array_equal(
        cancel_level_bucket(np.array([0, 10, 11, 15, 16, 500])), [0, 10, 11, 11, 12, 18]
    )
    np.testing.assert_array_equal(queue_bucket(np.array([0, 0, 1, 0, 1, 3]), np.array([1, 5, 5, 9, 9, 9])),
                                  [0, 3, 4, 3, 4, 6])  # fmt: skip
    far = 10**9
    np.testing.assert_array_equal(
        limit_price_bucket(np.array([-1, -3, 0, 11, -7, -9, 200]), np.array([4, 1, 5, far, far, far, far])),
        [0, 24, 5, 16, 3, 4, 23],
    )


def test_hand_log_actions_and_exact_values(hand: tuple[LobsterData, OrderStream]) -> None:
    data, stream = hand
    actions, exact = expected_arrays()
    assert stream.actions.dtype == np.int64 and stream.actions.shape == (len(EXPECTED), N_FIELDS)
    for k in range(len(EXPECTED)):
        np.testing.assert_array_equal(stream.actions[k], actions[k], err_msg=f"action {k}")
        np.testing.assert_array_equal(stream.exact[k], exact[k], err_msg=f"exact values of action {k}")
    np.testing.assert_array_equal(stream.message_index, MESSAGE_INDEX)
    np.testing.assert_array_equal(stream.times, data.messages["time"][stream.message_index])
    assert stream.skipped == 1 and stream.unknown_orders == 0
    np.testing.assert_array_equal(stream.marketable_rest, np.arange(len(EXPECTED)) == 13)
    assert np.all(stream.actions < ACTION_NVEC)
    unused = ~FIELD_MASK[stream.actions[:, 0]]
    assert np.all(stream.actions[unused] == 0)  # the other types' fields are zero


def test_hand_log_replays_exactly_through_the_decoder(
    hand: tuple[LobsterData, OrderStream], empty_session: GeneratorBackground
) -> None:
    data, stream = hand
    bg = empty_session
    bg.reset(0)
    bg.replay(stream.actions, stream.exact)
    bg.world.run_until(bg.config.end_ns)
    generated = bg.generated_lobster()
    visible = np.isin(data.messages["type"], (1, 2, 3, 4))
    assert_same_log(data.select(visible), generated, book_columns=4 * data.levels)
    assert bg.decoder.clipped == bg.decoder.inexact_cancels == bg.decoder.noop_cancels == 0


def assert_same_log(expected: LobsterData, got: LobsterData, book_columns: int | None = None) -> None:
    """Message for message (time, type, size, price, direction) and book row for book row."""
    assert len(got.messages) == len(expected.messages)
    for column in ("time", "type", "size", "price", "direction"):
        bad = np.flatnonzero(got.messages[column] != expected.messages[column])
        assert not len(bad), f"{column} differs first at message {bad[:1]}: {got.messages[bad[:1]]}"
    k = book_columns or expected.book.shape[1]
    bad_rows = np.flatnonzero(np.any(got.book[:, :k] != expected.book[:, :k], axis=1))
    assert not len(bad_rows), f"book differs first after message {bad_rows[:1]}"


def test_hand_log_states_and_observations(hand: tuple[LobsterData, OrderStream]) -> None:
    data, stream = hand
    features = lobster_features(data)
    assert stream.states.shape == (len(EXPECTED), len(FEATURE_NAMES)) and stream.states.dtype == np.float32
    np.testing.assert_array_equal(stream.states[0], 0.0)  # an action at message 0: no market before it
    np.testing.assert_array_equal(stream.states[1:], features[stream.message_index[1:] - 1])
    obs = stream.observations()
    width = len(FEATURE_NAMES)
    assert obs.shape == (len(EXPECTED), HISTORY * width)
    np.testing.assert_array_equal(obs[:, -width:], stream.states)
    np.testing.assert_array_equal(obs[0], 0.0)
    # the market order at message 7 sees the states after messages 3..6, oldest first
    np.testing.assert_array_equal(obs[7].reshape(HISTORY, width), features[3:7])
    np.testing.assert_array_equal(stream.observations(history=2)[2].reshape(2, width), features[0:2])


def test_executions_split_by_time_direction_repeated_order_and_better_price() -> None:
    rows = [
        (1.0, 1, 1, 100, P, 1),
        (1.0, 1, 2, 100, P - T, 1),
        (1.0, 1, 3, 100, P + T, -1),
        (2.0, 4, 3, 10, P + T, -1),  # buy market order
        (2.0, 4, 1, 20, P, 1),  # a sell at the same time: another order
        (2.0, 4, 2, 30, P - T, 1),  # ... the same one, one level down
        (2.0, 4, 2, 5, P - T, 1),  # order 2 again: the next taker's
        (2.0, 4, 1, 5, P, 1),  # a better price than the last fill: another taker
        (3.0, 4, 1, 40, P, 1),  # later: another
    ]
    stream = order_stream(hand_stream(rows, levels=2, open_ns=SESSION_NS), reference_tick=P // T)
    markets = stream.actions[stream.types == MARKET]
    np.testing.assert_array_equal(markets[:, F["market_side"]], [BUY, SELL, SELL, SELL, SELL])
    np.testing.assert_array_equal(stream.exact[stream.types == MARKET, 1], [10, 50, 5, 5, 40])
    assert not stream.marketable_rest.any()


def test_cancel_of_an_order_the_log_never_saw_counts_as_the_oldest() -> None:
    rows = [(1.0, 1, k, 100, P, 1) for k in (1, 2, 3)] + [(2.0, 3, 99, 50, P, 1)]
    stream = order_stream(hand_stream(rows, levels=1, open_ns=SESSION_NS), reference_tick=P // T)
    assert stream.unknown_orders == 1
    assert stream.actions[3, F["cancel_queue"]] == 3 and stream.exact[3, 2] == 0  # oldest, front of queue


def test_action_stats(hand: tuple[LobsterData, OrderStream]) -> None:
    stats = action_stats(hand[1])
    n = len(EXPECTED)
    assert stats["n_actions"] == n
    assert stats["limit_share"] == pytest.approx(9 / n)
    assert stats["market_share"] == pytest.approx(3 / n)
    assert stats["cancel_share"] == pytest.approx(3 / n)
    assert stats["buy_share"] == pytest.approx(9 / n)
    assert stats["marketable_rest_share"] == pytest.approx(1 / 9)
    assert stats["partial_cancel_share"] == pytest.approx(1 / 3)
    assert stats["inside_share"] == pytest.approx(3 / 9)
    assert stats["same_time_share"] == pytest.approx(4 / n)
    assert stats["skipped"] == 1
    assert stats["mean_size"] == pytest.approx(
        (100 + 50 + 10 + 40 + 100 + 20 + 80 + 30 + 15 + 50 + 30 + 100) / 12
    )
    assert all(isinstance(v, float) for v in stats.values())


# --------------------------------------------------------------------------- random streams (property)
@st.composite
def random_orders(draw: st.DrawFn) -> np.ndarray:
    """Valid actions of every type; delays up to 1 s so most of them land in the 5-minute session."""
    n = draw(st.integers(1, 80))
    rows = []
    for _ in range(n):
        kind = draw(st.sampled_from((LIMIT, LIMIT, MARKET, CANCEL)))
        action = np.zeros(N_FIELDS, np.int64)
        action[0] = kind
        for f in FIELDS_OF_TYPE[kind]:
            top = 12 if f == FIELDS_OF_TYPE[kind][-1] else int(ACTION_NVEC[f])
            action[f] = draw(st.integers(0, top - 1))
        rows.append(action)
    return np.array(rows)


def live_volume(bg: GeneratorBackground) -> tuple[int, int]:
    """Resting shares on the bid and the ask side of the live book."""
    b = bg.world.book
    k = bg.config.book.n_levels
    out = []
    for side in (1, -1):
        prices, qty, count = np.zeros((3, 4096), np.int64)
        found = depth(b.scalars, b.levels, b.blocks, side, min(k, 4096), prices, qty, count)
        out.append(int(qty[:found].sum()))
    return out[0], out[1]


def log_remaining(data: LobsterData) -> dict[int, tuple[int, int]]:
    """Order id -> (shares left, direction) after the whole log; ids absent are gone."""
    left: dict[int, list[int]] = {}
    for kind, oid, size, direction in zip(
        *(data.messages[c] for c in ("type", "order_id", "size", "direction"))
    ):
        oid = int(oid)
        if kind == 1:
            left[oid] = [int(size), int(direction)]
        elif kind in (2, 4):
            left[oid][0] -= int(size)
        elif kind == 3:
            assert left[oid][0] == size, f"a delete of order {oid} names {size} shares, {left[oid][0]} rest"
            left[oid][0] = 0
        if left.get(oid, [1])[0] <= 0:
            assert left.pop(oid)[0] == 0, f"order {oid} lost more shares than it had"
    return {k: (v[0], v[1]) for k, v in left.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=random_orders(), seed=st.integers(0, 2**32 - 1))
def test_random_streams_never_cross_lose_nothing_and_round_trip(
    empty_session: GeneratorBackground, actions: np.ndarray, seed: int
) -> None:
    bg = empty_session
    bg.reset(seed)
    bg.replay(actions)
    bg.world.run_until(bg.config.end_ns)
    first = bg.generated_lobster()
    book = first.book
    two_sided = (book[:, 1] > 0) & (book[:, 3] > 0)
    assert np.all(book[two_sided, 0] > book[two_sided, 2]), "crossed book"
    left = log_remaining(first)
    bid, ask = live_volume(bg)
    assert bid == sum(q for q, d in left.values() if d == 1) and ask == sum(
        q for q, d in left.values() if d == -1
    )
    live = set(np.concatenate([bg.world.open_orders(o) for o in bg._owners]).tolist())
    assert live == set(left), "the decoder lost or invented an order"

    stream = order_stream(first, start_ns=bg.config.start_ns, reference_tick=RMSC04.oracle.r_bar)
    assert stream.unknown_orders == 0
    bg.reset(seed + 1)  # other draws: the exact values must not need them
    bg.replay(stream.actions, stream.exact)
    bg.world.run_until(bg.config.end_ns)
    assert_same_log(first, bg.generated_lobster())
    assert bg.decoder.inexact_cancels == bg.decoder.clipped == 0


# --------------------------------------------------------------------------- simulated and real logs
def test_a_simulated_window_replays_exactly_from_its_real_book() -> None:
    bg = GeneratorBackground(None, real="rmsc04", start="09:35", end="09:37", n_external=0)
    bg.reset(11)
    real = bg.real_lobster(11)
    stream = order_stream(real, start_ns=bg.config.start_ns)
    assert len(stream) > 100 and stream.unknown_orders == 0
    bg.replay(stream.actions, stream.exact)
    bg.world.run_until(bg.config.end_ns)
    window = real.messages["time"] >= bg.config.start_ns
    expected = real.select(window & np.isin(real.messages["type"], (1, 2, 3, 4)))
    assert_same_log(expected, bg.generated_lobster(), book_columns=real.book.shape[1])


def execution_groups(data: LobsterData) -> int:
    """Runs of consecutive executions with the same time and direction (a lower bound on market orders:
    one taker's fills share both; the encoder splits a run further at a repeated order or a better price)."""
    m = data.messages
    is4 = m["type"] == 4
    same = (
        is4[1:] & is4[:-1] & (m["time"][1:] == m["time"][:-1]) & (m["direction"][1:] == m["direction"][:-1])
    )
    return int(is4.sum() - same.sum())


def test_simulated_log() -> None:
    from intags_env.world.simulate import simulate

    data = simulate("rmsc04", seed=0).lobster
    types = data.messages["type"]
    stream = order_stream(data)
    n_markets = (stream.types == MARKET).sum()
    assert len(stream) - n_markets == (types == 1).sum() + np.isin(types, (2, 3)).sum()
    assert execution_groups(data) <= n_markets < (types == 4).sum()
    assert stream.skipped == np.isin(types, (5, 6, 7)).sum() and stream.unknown_orders == 0
    stats = action_stats(stream)
    assert 0.3 <= stats["buy_share"] <= 0.7
    assert stats["market_share"] > 0 and stats["cancel_share"] > 0 and stats["same_time_share"] > 0.3
    assert np.all((stream.actions >= 0) & (stream.actions < ACTION_NVEC))
    assert np.all(np.diff(stream.times) >= 0) and np.all(np.isfinite(stream.observations()))


@needs_real_data
def test_amzn_log() -> None:
    data = read_lobster(ZIP_5)
    stream = order_stream(data)
    types = data.messages["type"]
    assert stream.skipped == np.isin(types, (5, 6, 7)).sum()
    n_markets = (stream.types == MARKET).sum()
    assert len(stream) - n_markets == (types == 1).sum() + np.isin(types, (2, 3)).sum()
    assert 0 < n_markets < (types == 4).sum()  # hidden executions between fills do not split a run
    assert np.all(np.isfinite(stream.states)) and np.all(
        (stream.actions >= 0) & (stream.actions < ACTION_NVEC)
    )
    stats = action_stats(stream)
    assert 0.4 < stats["limit_share"] < 0.6
    assert 0.3 < stats["cancel_share"] < 0.6
    assert 0.01 < stats["market_share"] < 0.1
    assert 0.4 < stats["buy_share"] < 0.6
    prices = stream.actions[stream.types == LIMIT, F["limit_price"]]
    assert np.isin(prices, [5, 6, 7]).mean() > 0.3  # most new orders at or just behind the touch


def test_hand_log_with_explicit_books_still_encodes() -> None:
    # the feature tests' helper (ids 0..n-1, books given): a buy then a sell
    rows = [(1.0, 1, 100, P, 1, [9_999_999_999, 0, P, 100]), (2.0, 1, 100, P + T, -1, [P + T, 100, P, 100])]
    stream = order_stream(hand_log(rows, levels=1), reference_tick=P // T)
    np.testing.assert_array_equal(stream.types, [LIMIT, LIMIT])
    np.testing.assert_array_equal(stream.sides, [BUY, SELL])


def test_grouped_pairs_each_observation_with_the_next_k_actions() -> None:
    obs = np.arange(6, dtype=np.float32).reshape(6, 1)
    actions = np.arange(6 * N_FIELDS).reshape(6, N_FIELDS)
    o, a = grouped(obs, actions, 3)
    assert o.shape == (4, 1) and a.shape == (4, 3 * N_FIELDS)
    np.testing.assert_array_equal(a[1], np.arange(N_FIELDS, 4 * N_FIELDS))
    np.testing.assert_array_equal(o[:, 0], [0, 1, 2, 3])
    o, a = grouped(obs, actions, 7)
    assert len(o) == 0 and a.shape == (0, 7 * N_FIELDS)
    with pytest.raises(ValueError, match="positive"):
        grouped(obs, actions, 0)


def test_market_size_is_relative_to_the_opposite_touch() -> None:
    qty = np.array([1, 10, 11, 99, 100, 101, 160])
    expected = [0, 0, 1, 9, SWEEP_TOUCH, SWEEP_TOUCH + 1 + int(bucket_of(1, SIZE_EDGES)), SWEEP_TOUCH + 10]
    np.testing.assert_array_equal(market_size_bucket(qty, np.full(7, 100)), expected)
    assert (market_size_bucket(np.arange(1, 500), np.full(499, 37)) < ACTION_NVEC[F["market_size"]]).all()
    with pytest.raises(ValueError, match="non-empty opposite touch"):
        market_size_bucket(np.array([5]), np.array([0]))
