"""The message log as generator actions: hand-built log with known labels, simulated and real AMZN logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hand_logs import hand_log

from intags_env.data import ASK_DUMMY_PRICE as A
from intags_env.data import BID_DUMMY_PRICE as B
from intags_env.data import LobsterData, read_lobster
from intags_env.generator.features import lobster_features
from intags_env.generator.orderstream import OrderStream, action_stats, order_stream
from intags_env.generator.spec import ACTION_NVEC, BUY, CANCEL, FEATURE_NAMES, HISTORY, LIMIT, MARKET, SELL

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
needs_real_data = pytest.mark.skipif(not ZIP_5.is_file(), reason=f"real LOBSTER sample not found at {ZIP_5}")


#   t (s)   type size price  dir   ask_px1 ask_sz1 bid_px1 bid_sz1 ask_px2 ask_sz2 bid_px2 bid_sz2
LOG = [
    (1.0, 1, 100, 10000, 1, [A, 0, 10000, 100, A, 0, B, 0]),  # 0 first buy: no book before
    (1.0005, 1, 50, 10500, -1, [10500, 50, 10000, 100, A, 0, B, 0]),  # 1 first sell: ask side empty
    (3.0, 1, 10, 10100, 1, [10500, 50, 10100, 10, A, 0, 10000, 100]),  # 2 inside the spread
    (3.02, 1, 40, 10100, 1, [10500, 50, 10100, 50, A, 0, 10000, 100]),  # 3 at the touch
    (3.1, 1, 100, 10800, -1, [10500, 50, 10100, 50, 10800, 100, 10000, 100]),  # 4 3 ticks behind
    (4.0, 2, 40, 10800, -1, [10500, 50, 10100, 50, 10800, 60, 10000, 100]),  # 5 partial cancel
    (5.0, 4, 20, 10500, -1, [10500, 30, 10100, 50, 10800, 60, 10000, 100]),  # 6 a buy market order ...
    (5.0, 4, 30, 10500, -1, [10800, 60, 10100, 50, A, 0, 10000, 100]),  # 7 ... walks the asks ...
    (5.0, 5, 5, 10600, -1, [10800, 60, 10100, 50, A, 0, 10000, 100]),  # 8 ... (a hidden sell) ...
    (5.0, 4, 60, 10800, -1, [A, 0, 10100, 50, A, 0, 10000, 100]),  # 9 ... and empties them
    (5.0, 1, 15, 10800, 1, [A, 0, 10800, 15, A, 0, 10100, 50]),  # 10 its unfilled rest
    (5.0, 5, 3, 10400, 1, [A, 0, 10800, 15, A, 0, 10100, 50]),  # 11 hidden execution
    (6.0, 4, 15, 10800, 1, [A, 0, 10100, 50, A, 0, 10000, 100]),  # 12 a sell market order
    (6.0, 3, 40, 10100, 1, [A, 0, 10100, 10, A, 0, 10000, 100]),  # 13 delete at the touch
    (6.0, 4, 10, 10100, 1, [A, 0, 10000, 100, A, 0, B, 0]),  # 14 another sell market order
]
#            type    side  level size delay   message
EXPECTED = [
    (LIMIT, BUY, 1, 3, 6),  # 0: 100 shares, 1.0 s after the open
    (LIMIT, SELL, 1, 2, 0),  # 1: 50 shares, 0.5 ms
    (LIMIT, BUY, 0, 0, 6),  # 2: 10 shares, 1.9995 s
    (LIMIT, BUY, 1, 1, 2),  # 3: 40 shares, 20 ms
    (LIMIT, SELL, 4, 3, 3),  # 4: 3 ticks behind -> [3, 5), 80 ms
    (CANCEL, SELL, 4, 1, 5),  # 5: 0.9 s
    (MARKET, BUY, 0, 4, 6),  # 6, 7, 9: 110 shares, 1.0 s
    (LIMIT, BUY, 0, 0, 0),  # 10: 7 ticks better than the bid
    (MARKET, SELL, 0, 0, 6),  # 12
    (CANCEL, BUY, 1, 1, 0),  # 13
    (MARKET, SELL, 0, 0, 0),  # 14: not merged with 12 (a cancel in between)
]


@pytest.fixture(scope="module")
def hand() -> tuple[LobsterData, OrderStream]:
    data = hand_log(LOG)
    return data, order_stream(data)


def test_hand_log_actions(hand: tuple[LobsterData, OrderStream]) -> None:
    data, stream = hand
    assert stream.actions.dtype == np.int64 and stream.actions.shape == (len(EXPECTED), 5)
    np.testing.assert_array_equal(stream.actions, np.array(EXPECTED))
    np.testing.assert_array_equal(stream.message_index, [0, 1, 2, 3, 4, 5, 6, 10, 12, 13, 14])
    np.testing.assert_array_equal(stream.times, data.messages["time"][stream.message_index])
    assert stream.skipped == 2
    np.testing.assert_array_equal(stream.marketable_rest, np.arange(len(EXPECTED)) == 7)
    assert np.all(stream.actions < ACTION_NVEC)


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
    # the market order at message 6 sees the states after messages 2..5, oldest first
    np.testing.assert_array_equal(obs[6].reshape(HISTORY, width), features[2:6])
    np.testing.assert_array_equal(stream.observations(history=2)[2].reshape(2, width), features[0:2])


def test_executions_split_by_time_and_direction() -> None:
    book = [10100, 100, 10000, 100]
    rows = [
        (1.0, 4, 10, 10100, -1, book),  # buy market order
        (1.0, 4, 20, 10000, 1, book),  # a sell at the same time: another order
        (1.0, 4, 30, 10000, 1, book),  # ... same one
        (2.0, 4, 40, 10000, 1, book),  # later: another
    ]
    stream = order_stream(hand_log(rows, levels=1))
    np.testing.assert_array_equal(
        stream.actions[:, :4], [[MARKET, BUY, 0, 0], [MARKET, SELL, 0, 2], [MARKET, SELL, 0, 1]]
    )
    assert not stream.marketable_rest.any()


def test_action_stats(hand: tuple[LobsterData, OrderStream]) -> None:
    stats = action_stats(hand[1])
    assert stats["n_actions"] == len(EXPECTED)
    assert stats["limit_share"] == pytest.approx(6 / 11)
    assert stats["market_share"] == pytest.approx(3 / 11)
    assert stats["cancel_share"] == pytest.approx(2 / 11)
    assert stats["buy_share"] == pytest.approx(6 / 11)
    assert stats["marketable_rest_share"] == pytest.approx(1 / 6)
    assert stats["skipped"] == 2
    assert 0 < stats["mean_size"] < 1000 and stats["mean_delay_s"] > 0
    assert all(isinstance(v, float) for v in stats.values())


# --------------------------------------------------------------------------- simulated and real logs
def execution_groups(data: LobsterData) -> int:
    """Runs of consecutive executions with the same time and direction (no skipped types in the log)."""
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
    n_expected = (types == 1).sum() + np.isin(types, (2, 3)).sum() + execution_groups(data)
    assert len(stream) == n_expected
    assert stream.skipped == np.isin(types, (5, 6, 7)).sum()
    stats = action_stats(stream)
    assert 0.3 <= stats["buy_share"] <= 0.7
    assert stats["market_share"] > 0 and stats["cancel_share"] > 0
    assert np.all((stream.actions >= 0) & (stream.actions < ACTION_NVEC))
    assert np.all(np.diff(stream.times) >= 0) and np.all(np.isfinite(stream.observations()))


@needs_real_data
def test_amzn_log() -> None:
    data = read_lobster(ZIP_5)
    stream = order_stream(data)
    types = data.messages["type"]
    assert stream.skipped == np.isin(types, (5, 6, 7)).sum()
    # runs are merged across hidden executions at the same time, so at most the strict count
    n_plain = (types == 1).sum() + np.isin(types, (2, 3)).sum()
    assert n_plain < len(stream) <= n_plain + execution_groups(data)
    assert np.all(np.isfinite(stream.states))
    stats = action_stats(stream)
    assert 0.4 < stats["limit_share"] < 0.6
    assert 0.3 < stats["cancel_share"] < 0.6
    assert 0.01 < stats["market_share"] < 0.1
    assert 0.4 < stats["buy_share"] < 0.6
    levels = np.bincount(stream.actions[stream.actions[:, 0] == LIMIT, 2], minlength=ACTION_NVEC[2])
    assert levels[:3].sum() > 0.3 * levels.sum()  # most new orders near the touch


def test_grouped_pairs_each_observation_with_the_next_k_actions() -> None:
    from intags_env.generator.orderstream import grouped

    obs = np.arange(6, dtype=np.float32).reshape(6, 1)
    actions = np.arange(30).reshape(6, 5)
    o, a = grouped(obs, actions, 3)
    assert o.shape == (4, 1) and a.shape == (4, 15)
    np.testing.assert_array_equal(a[1], np.arange(5, 20))
    np.testing.assert_array_equal(o[:, 0], [0, 1, 2, 3])
    o, a = grouped(obs, actions, 7)
    assert len(o) == 0 and a.shape == (0, 35)
    with pytest.raises(ValueError, match="positive"):
        grouped(obs, actions, 0)
