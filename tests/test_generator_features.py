"""Generator state features: hand-computed values, live tracker == batch on any chunking, real AMZN data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hand_logs import hand_log

from intags_env.data import (
    ASK_DUMMY_PRICE as A,
)
from intags_env.data import (
    BID_DUMMY_PRICE as B,
)
from intags_env.data import (
    NS_PER_SECOND,
    LobsterData,
    read_lobster,
)
from intags_env.generator.features import (
    DEFAULT_STATE,
    FeatureTracker,
    lobster_features,
    message_signs,
    stack_history,
)
from intags_env.generator.spec import FEATURE_NAMES, SIGN_WINDOW

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
needs_real_data = pytest.mark.skipif(not ZIP_5.is_file(), reason=f"real LOBSTER sample not found at {ZIP_5}")

COL = {name: k for k, name in enumerate(FEATURE_NAMES)}


#   t (s)  type size price  dir   ask_px1 ask_sz1 bid_px1 bid_sz1 ask_px2 ask_sz2 bid_px2 bid_sz2
HAND = [
    (0.0, 1, 100, 10000, 1, [A, 0, 10000, 100, A, 0, B, 0]),  # 0 bid only
    (0.5, 1, 50, 10300, -1, [10300, 50, 10000, 100, A, 0, B, 0]),  # 1 two-sided, spread 3 ticks
    (5.0, 1, 30, 9900, 1, [10300, 50, 10000, 100, A, 0, 9900, 30]),  # 2
    (10.2, 4, 20, 10300, -1, [10300, 30, 10000, 100, A, 0, 9900, 30]),  # 3 buyer-initiated trade
    (16.0, 3, 100, 10000, 1, [10300, 30, 9900, 30, A, 0, B, 0]),  # 4 delete the best bid
    (16.0, 5, 7, 10100, 1, [10300, 30, 9900, 30, A, 0, B, 0]),  # 5 hidden execution
    (30.0, 2, 10, 10300, -1, [10300, 20, 9900, 30, A, 0, B, 0]),  # 6 partial cancel
    (62.0, 1, 10, 10200, -1, [10200, 10, 9900, 30, 10300, 20, B, 0]),  # 7 new best ask
]


@pytest.fixture(scope="module")
def hand() -> np.ndarray:
    features = lobster_features(hand_log(HAND, levels=2))
    assert features.shape == (len(HAND), len(FEATURE_NAMES))
    assert features.dtype == np.float32
    return features.astype(np.float64)


def test_imbalance_and_volume(hand: np.ndarray) -> None:
    assert hand[0, COL["imbalance_l1"]] == pytest.approx(1.0)  # bid only
    assert hand[1, COL["imbalance_l1"]] == pytest.approx((100 - 50) / 150)
    assert hand[2, COL["imbalance_l1"]] == pytest.approx((100 - 50) / 150)
    assert hand[2, COL["imbalance_l5"]] == pytest.approx((130 - 50) / 180)  # only 2 levels available
    assert hand[7, COL["imbalance_l1"]] == pytest.approx((30 - 10) / 40)
    assert hand[7, COL["imbalance_l5"]] == pytest.approx(0.0)  # 30 bid, 10 + 20 ask
    assert hand[2, COL["log_volume_l1"]] == pytest.approx(np.log1p(150))
    assert hand[2, COL["log_volume_l5"]] == pytest.approx(np.log1p(180))
    assert hand[0, COL["log_volume_l5"]] == pytest.approx(np.log1p(100))


def test_spread_and_one_sided_book(hand: np.ndarray) -> None:
    assert hand[0, COL["log_spread_ticks"]] == 0.0
    assert hand[0, COL["two_sided"]] == 0.0
    assert hand[1, COL["log_spread_ticks"]] == pytest.approx(np.log1p(3))
    assert hand[4, COL["log_spread_ticks"]] == pytest.approx(np.log1p(4))
    assert hand[7, COL["log_spread_ticks"]] == pytest.approx(np.log1p(3))
    assert np.all(hand[1:, COL["two_sided"]] == 1.0)


def test_empty_book_row() -> None:
    data = hand_log([(1.0, 3, 5, 10000, 1, [A, 0, B, 0])], levels=1)
    row = lobster_features(data)[0]
    expected = np.zeros(len(FEATURE_NAMES))
    expected[COL["sign_imbalance"]] = -1.0  # a deleted buy: pressure away from the bid
    expected[COL["time_of_day"]] = 1.0 / 23_400
    expected[COL["log_gap_s"]] = -6.0
    np.testing.assert_allclose(row, expected, atol=1e-6)


def test_signs_and_sign_window(hand: np.ndarray) -> None:
    signs = [
        1,
        -1,
        1,
        1,
        -1,
        0,
        1,
        -1,
    ]  # new buy, new sell, new buy, exec of a sell, delete a buy, hidden, ...
    np.testing.assert_array_equal(
        message_signs(np.array([r[1] for r in HAND]), np.array([r[4] for r in HAND])), signs
    )
    expected = np.cumsum(signs) / np.arange(1, len(signs) + 1)  # fewer than SIGN_WINDOW messages so far
    np.testing.assert_allclose(hand[:, COL["sign_imbalance"]], expected, atol=1e-6)

    n = SIGN_WINDOW + 10
    rows = [(0.1 * i, 1, 10, 10000, 1 if i < 10 else -1, [10100, 10, 10000, 10]) for i in range(n)]
    sign = lobster_features(hand_log(rows, levels=1))[:, COL["sign_imbalance"]]
    assert sign[9] == pytest.approx(1.0)
    assert sign[SIGN_WINDOW + 4] == pytest.approx((5 - 45) / SIGN_WINDOW)  # window = messages 5..54
    assert sign[n - 1] == pytest.approx(-1.0)


def test_returns_look_back_to_the_last_message_before_the_horizon(hand: np.ndarray) -> None:
    r10, r60 = hand[:, COL["return_10s_bp"]], hand[:, COL["return_60s_bp"]]
    assert np.all(r10[:3] == 0.0)  # nothing 10 s back yet
    assert r10[3] == 0.0  # 10 s back is message 0, whose mid is undefined (one-sided book)
    # message 4 at 16 s: 10 s back is message 2 (5 s), mid 10150 -> now 10100
    assert r10[4] == pytest.approx(1e4 * np.log(10100 / 10150) / 10, rel=1e-5)
    assert r10[5] == pytest.approx(r10[4], rel=1e-5)
    assert r10[6] == pytest.approx(0.0)  # back to message 5 (16 s): same mid
    assert r10[7] == pytest.approx(1e4 * np.log(10050 / 10100) / 10, rel=1e-5)
    assert np.all(r60[:7] == 0.0)
    assert r60[7] == pytest.approx(1e4 * np.log(10050 / 10150) / 10, rel=1e-5)  # back to message 1


def test_time_of_day_and_gap(hand: np.ndarray) -> None:
    seconds = np.array([r[0] for r in HAND])
    np.testing.assert_allclose(hand[:, COL["time_of_day"]], seconds / 23_400, atol=1e-6)
    gaps = np.diff(seconds, prepend=seconds[0])
    np.testing.assert_allclose(hand[:, COL["log_gap_s"]], np.log10(gaps + 1e-6), atol=1e-5)
    assert hand[0, COL["log_gap_s"]] == pytest.approx(-6.0)
    assert hand[5, COL["log_gap_s"]] == pytest.approx(-6.0)  # same timestamp as message 4


def test_burst_counts_the_earlier_messages_at_the_same_timestamp(hand: np.ndarray) -> None:
    np.testing.assert_allclose(hand[:, COL["log_burst"]], np.log1p([0, 0, 0, 0, 0, 1, 0, 0]), atol=1e-6)
    row = [A, 0, 10000, 100]
    burst = hand_log([(1.0, 1, 100, 10000, 1, row)] * 5 + [(2.0, 1, 100, 10000, 1, row)], levels=1)
    batch = lobster_features(burst)[:, COL["log_burst"]]
    np.testing.assert_allclose(batch, np.log1p([0, 1, 2, 3, 4, 0]), atol=1e-6)
    tracker, m, rows = FeatureTracker(), burst.messages, []
    for lo, hi in ((0, 2), (2, 4), (4, 6)):  # a burst split over updates counts on
        chunk = m[lo:hi]
        rows.append(tracker.update(chunk["time"], chunk["type"], chunk["direction"], burst.book[lo:hi]))
    np.testing.assert_allclose(np.concatenate(rows)[:, COL["log_burst"]], batch, atol=1e-6)


def test_only_five_levels_count() -> None:
    book = []
    for level in range(6):  # 6 levels; the 6th is heavy on the bid side and must be ignored
        book += [10100 + 100 * level, 10, 10000 - 100 * level, 1000 if level == 5 else 10]
    row = lobster_features(hand_log([(0.0, 1, 10, 10100, -1, book)], levels=6))[0]
    assert row[COL["imbalance_l5"]] == pytest.approx(0.0)
    assert row[COL["log_volume_l5"]] == pytest.approx(np.log1p(100))


def test_stack_history() -> None:
    features = np.arange(10, dtype=np.float32).reshape(5, 2) + 1
    stacked = stack_history(features, 3)
    assert stacked.shape == (5, 6)
    np.testing.assert_array_equal(stacked[0], [0, 0, 0, 0, 1, 2])
    np.testing.assert_array_equal(stacked[1], [0, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(stacked[4], [5, 6, 7, 8, 9, 10])
    np.testing.assert_array_equal(stack_history(features, 1), features)
    np.testing.assert_array_equal(
        stack_history(features, 2, rows=np.array([-1, 2])), [[0, 0, 0, 0], [3, 4, 5, 6]]
    )
    with pytest.raises(ValueError):
        stack_history(features, 0)


# --------------------------------------------------------------------------- live tracker
@pytest.fixture(scope="module")
def simulated() -> LobsterData:
    from intags_env.world.simulate import simulate

    return simulate("rmsc04", seed=0).lobster


@pytest.mark.parametrize("seed", range(4))
def test_tracker_equals_batch_on_any_chunking(simulated: LobsterData, seed: int) -> None:
    data = simulated
    assert data.levels > 5  # the tracker must cope with wider books than it uses
    expected = lobster_features(data)
    m = data.messages
    rng = np.random.default_rng(seed)
    max_chunk = [1, 5, 50, 2000][seed]
    tracker = FeatureTracker(tick_size=data.tick_size)
    np.testing.assert_array_equal(tracker.current(), DEFAULT_STATE)
    i = 0
    rows, currents, seen = [], [], []
    while i < len(data):
        k = int(rng.integers(0, max_chunk + 1))  # empty chunks included
        chunk = slice(i, i + k)
        rows.append(
            tracker.update(m["time"][chunk], m["type"][chunk], m["direction"][chunk], data.book[chunk])
        )
        i = min(i + k, len(data))
        if i:
            currents.append(tracker.current())
            seen.append(i)
    np.testing.assert_allclose(np.concatenate(rows), expected, atol=1e-5)
    np.testing.assert_allclose(np.array(currents), expected[np.array(seen) - 1], atol=1e-5)
    assert tracker.n_messages == len(data)
    # bounded memory: only the last 60 s of (time, mid), plus the entry just before them
    window = tracker._window.times
    assert len(window) < len(data) and window[1] > m["time"][-1] - 60 * NS_PER_SECOND
    tracker.reset()
    np.testing.assert_array_equal(tracker.current(), DEFAULT_STATE)
    assert tracker.n_messages == 0


def test_tracker_single_row_and_errors(simulated: LobsterData) -> None:
    m, book = simulated.messages, simulated.book
    tracker = FeatureTracker(simulated.tick_size)
    tracker.update(m["time"][:1], m["type"][:1], m["direction"][:1], book[0])  # a 1-d book row
    np.testing.assert_allclose(tracker.current(), lobster_features(simulated)[0], atol=1e-5)
    with pytest.raises(ValueError, match="non-decreasing"):
        tracker.update(m["time"][:1] - 1, m["type"][:1], m["direction"][:1], book[:1])
    with pytest.raises(ValueError, match="4 \\* levels"):
        tracker.update(m["time"][1:2], m["type"][1:2], m["direction"][1:2], book[1:2, :3])


# --------------------------------------------------------------------------- real data
@needs_real_data
def test_amzn_features_are_finite_and_plausible() -> None:
    data = read_lobster(ZIP_5)
    features = lobster_features(data)
    assert features.shape == (len(data), len(FEATURE_NAMES))
    assert np.all(np.isfinite(features))
    assert np.all(np.abs(features[:, [COL["imbalance_l1"], COL["imbalance_l5"], COL["sign_imbalance"]]]) <= 1)
    tod = features[:, COL["time_of_day"]]
    assert 0 <= tod.min() and tod.max() <= 1 and np.all(np.diff(tod) >= 0)
    assert features[:, COL["two_sided"]].mean() > 0.99
    assert np.median(features[:, COL["log_spread_ticks"]]) > 0
    assert np.abs(features[:, COL["return_60s_bp"]]).max() < 100  # < 10 % in a minute
