"""Example-based tests of the exchange with known values: matching, order handling, market data, errors.

Unless a test says otherwise prices are in ticks (``min_price=0``, ``tick_size=1``), so the facade's price
units and the engine's ticks coincide.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from intags_env.exchange import (
    EVENT_DTYPE,
    MESSAGE_DTYPE,
    CapacityError,
    EventKind,
    Exchange,
    ForeignOrderError,
    InvalidOrderError,
    MsgKind,
    OrderRejectedError,
    Reason,
    Side,
    Stp,
    UnknownOrderError,
)

E = EventKind
R = Reason
ROW_FIELDS = ("kind", "order_id", "other_id", "price", "qty", "remaining", "reason")


def exchange(**kwargs) -> Exchange:
    return Exchange(kwargs.pop("n_levels", 200), kwargs.pop("max_orders", 100), **kwargs)


def messages(*rows: dict) -> np.ndarray:
    """Messages from dicts of their non-zero fields."""
    out = np.zeros(len(rows), MESSAGE_DTYPE)
    for i, row in enumerate(rows):
        for field, value in row.items():
            out[field][i] = value
    return out


def limit(side: int, price: int, qty: int, owner: int = 0, time: int = 0, flags: int = 0) -> dict:
    return {
        "kind": MsgKind.LIMIT,
        "side": side,
        "price": price,
        "qty": qty,
        "owner": owner,
        "time": time,
        "flags": flags,
    }


def rows(events: np.ndarray, fields: tuple[str, ...] = ROW_FIELDS) -> list[tuple[int, ...]]:
    return [tuple(int(e[f]) for f in fields) for e in events]


def kinds(events: np.ndarray) -> list[EventKind]:
    return [EventKind(int(k)) for k in events["kind"]]


def queue(ex: Exchange, price: int) -> list[tuple[int, int]]:
    """(order id, remaining) of the orders at a price, in priority order."""
    return [(o.order_id, o.remaining) for o in ex.level(price)]


def state(ex: Exchange) -> list[np.ndarray]:
    return [a.copy() for a in ex.book]


def assert_state(ex: Exchange, before: list[np.ndarray]) -> None:
    after = list(ex.book)
    assert len(after) == len(before)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(new, old)


# --- price-time priority ---------------------------------------------------------------------------


def test_earlier_order_at_the_same_price_fills_first() -> None:
    ex = exchange()
    first = ex.submit_limit("sell", 101, 2, owner=1)
    second = ex.submit_limit("sell", 101, 5, owner=2)
    taker = ex.submit_market("buy", 4, owner=3)
    assert taker.trades["order_id"].tolist() == [first.order_id, second.order_id]
    assert taker.trades["qty"].tolist() == [2, 2]
    assert queue(ex, 101) == [(second.order_id, 3)]


def test_better_price_fills_before_an_earlier_worse_price() -> None:
    ex = exchange()
    worse = ex.submit_limit("sell", 102, 1)
    better = ex.submit_limit("sell", 101, 1)
    taker = ex.submit_limit("buy", 102, 1)
    assert taker.trades["order_id"].tolist() == [better.order_id]
    assert taker.trades["price"].tolist() == [101]
    assert queue(ex, 102) == [(worse.order_id, 1)]


def test_trade_is_at_the_resting_price() -> None:
    ex = exchange()
    ex.submit_limit("buy", 90, 3, owner=1)
    taker = ex.submit_limit("sell", 85, 2, owner=2)  # willing to sell down to 85, gets the bid's 90
    assert taker.trades["price"].tolist() == [90]
    assert taker.fills["price"].tolist() == [90]
    assert ex.last_trade == (90, 2, 0, Side.SELL)


def test_partial_fill_rests_the_rest() -> None:
    ex = exchange()
    maker = ex.submit_limit("sell", 101, 4, owner=1, time=5)
    taker = ex.submit_limit("buy", 101, 10, owner=2, time=7)
    assert rows(taker.events) == [
        (E.ACCEPTED, taker.order_id, 0, 101, 10, 10, R.NONE),
        (E.TRADE, maker.order_id, taker.order_id, 101, 4, 0, R.NONE),
        (E.FILL, maker.order_id, taker.order_id, 101, 4, 0, R.NONE),
        (E.PARTIAL_FILL, taker.order_id, maker.order_id, 101, 4, 6, R.NONE),
    ]
    assert (taker.filled_qty, taker.remaining) == (4, 6)
    assert (ex.best_bid, ex.best_ask) == (101, None)
    info = ex.order(taker.order_id)
    assert (info.side, info.price, info.remaining, info.qty, info.time) == (Side.BUY, 101, 6, 10, 7)
    with pytest.raises(UnknownOrderError):
        ex.order(maker.order_id)


def test_market_order_sweeps_levels_and_cancels_the_rest_for_no_liquidity() -> None:
    ex = exchange()
    a = ex.submit_limit("sell", 101, 2, owner=1).order_id
    b = ex.submit_limit("sell", 102, 3, owner=2).order_id
    c = ex.submit_limit("sell", 103, 1, owner=1).order_id
    ex.submit_limit("buy", 99, 1, owner=1)
    report = ex.submit_market("buy", 10, owner=3)
    m = report.order_id
    assert m == 5
    assert rows(report.events) == [
        (E.ACCEPTED, m, 0, -1, 10, 10, R.NONE),
        (E.TRADE, a, m, 101, 2, 0, R.NONE),
        (E.FILL, a, m, 101, 2, 0, R.NONE),
        (E.PARTIAL_FILL, m, a, 101, 2, 8, R.NONE),
        (E.TRADE, b, m, 102, 3, 0, R.NONE),
        (E.FILL, b, m, 102, 3, 0, R.NONE),
        (E.PARTIAL_FILL, m, b, 102, 3, 5, R.NONE),
        (E.TRADE, c, m, 103, 1, 0, R.NONE),
        (E.FILL, c, m, 103, 1, 0, R.NONE),
        (E.PARTIAL_FILL, m, c, 103, 1, 4, R.NONE),
        (E.CANCELLED, m, 0, -1, 4, 0, R.NO_LIQUIDITY),
    ]
    assert report.trades["side"].tolist() == [Side.BUY] * 3
    assert (ex.best_bid, ex.best_ask, ex.n_resting) == (99, None, 1)


def test_market_order_on_an_empty_side_is_cancelled_whole() -> None:
    ex = exchange()
    report = ex.submit_market("sell", 3)
    assert rows(report.events) == [
        (E.ACCEPTED, 1, 0, -1, 3, 3, R.NONE),
        (E.CANCELLED, 1, 0, -1, 3, 0, R.NO_LIQUIDITY),
    ]


def test_ioc_remainder_is_cancelled() -> None:
    ex = exchange()
    maker = ex.submit_limit("sell", 101, 2).order_id
    ex.submit_limit("sell", 102, 3)
    report = ex.submit_limit("buy", 101, 5, tif="ioc")
    assert kinds(report.events) == [E.ACCEPTED, E.TRADE, E.FILL, E.PARTIAL_FILL, E.CANCELLED]
    assert report.trades["order_id"].tolist() == [maker]
    assert rows(report.events[-1:]) == [(E.CANCELLED, report.order_id, 0, 101, 3, 0, R.IOC)]
    assert (ex.best_bid, ex.best_ask, ex.n_resting) == (None, 102, 1)


def test_post_only_rests_when_it_does_not_cross_and_is_rejected_when_it_would() -> None:
    ex = exchange()
    ex.submit_limit("sell", 101, 2)
    resting = ex.submit_limit("buy", 100, 1, tif="post_only")
    assert kinds(resting.events) == [E.ACCEPTED]
    before = state(ex)
    with pytest.raises(OrderRejectedError, match="WOULD_CROSS") as err:
        ex.submit_limit("buy", 101, 1, tif="post_only")
    assert err.value.reason == Reason.WOULD_CROSS
    assert_state(ex, before)


def test_post_only_rejection_in_a_batch_is_an_event_and_the_message_id_is_zero() -> None:
    ex = exchange()
    events = ex.process(messages(limit(-1, 101, 2, owner=1), limit(1, 105, 1, owner=2, flags=2)))
    assert rows(events[1:], ("kind", "order_id", "msg_index", "owner", "side", "price", "qty", "reason")) == [
        (E.REJECTED, 0, 1, 2, 1, 105, 1, R.WOULD_CROSS)
    ]


# --- reduce and modify -----------------------------------------------------------------------------


def test_reduce_keeps_queue_priority() -> None:
    ex = exchange()
    first = ex.submit_limit("buy", 100, 5, owner=1).order_id
    second = ex.submit_limit("buy", 100, 5, owner=2).order_id
    report = ex.reduce(first, 3, owner=1)
    assert rows(report.events) == [(E.REDUCED, first, 0, 100, 3, 2, R.NONE)]
    assert queue(ex, 100) == [(first, 2), (second, 5)]
    taker = ex.submit_market("sell", 3)
    assert taker.trades["order_id"].tolist() == [first, second]
    assert ex.snapshot(1).bid_sizes.tolist() == [4]


def test_modify_to_a_smaller_size_at_the_same_price_is_a_reduce() -> None:
    ex = exchange()
    first = ex.submit_limit("sell", 100, 5).order_id
    second = ex.submit_limit("sell", 100, 5).order_id
    report = ex.modify(first, qty=2)
    assert rows(report.events) == [(E.REDUCED, first, 0, 100, 3, 2, R.NONE)]
    assert queue(ex, 100) == [(first, 2), (second, 5)]


def test_modify_to_a_larger_size_loses_queue_priority() -> None:
    ex = exchange()
    first = ex.submit_limit("sell", 100, 5).order_id
    second = ex.submit_limit("sell", 100, 5).order_id
    report = ex.modify(first, qty=6, time=3)
    assert rows(report.events) == [
        (E.CANCELLED, first, 0, 100, 5, 0, R.REPLACED),
        (E.ACCEPTED, first, 0, 100, 6, 6, R.NONE),
    ]
    assert queue(ex, 100) == [(second, 5), (first, 6)]
    assert (ex.order(first).qty, ex.order(first).time) == (6, 3)


def test_modify_to_another_price_loses_queue_priority_even_when_it_comes_back() -> None:
    ex = exchange()
    first = ex.submit_limit("buy", 100, 5).order_id
    second = ex.submit_limit("buy", 100, 5).order_id
    ex.modify(first, price=99)
    assert queue(ex, 99) == [(first, 5)]
    assert queue(ex, 100) == [(second, 5)]
    ex.modify(first, price=100, qty=4)
    assert queue(ex, 100) == [(second, 5), (first, 4)]
    assert ex.level(99) == []
    assert ex.best_bid == 100


def test_modify_that_crosses_trades_at_once_under_the_same_order_id() -> None:
    ex = exchange()
    bid = ex.submit_limit("buy", 99, 4, owner=1).order_id
    ask = ex.submit_limit("sell", 101, 3, owner=2).order_id
    report = ex.modify(bid, owner=1, price=101)
    assert report.order_id == bid
    assert rows(report.events) == [
        (E.CANCELLED, bid, 0, 99, 4, 0, R.REPLACED),
        (E.ACCEPTED, bid, 0, 101, 4, 4, R.NONE),
        (E.TRADE, ask, bid, 101, 3, 0, R.NONE),
        (E.FILL, ask, bid, 101, 3, 0, R.NONE),
        (E.PARTIAL_FILL, bid, ask, 101, 3, 1, R.NONE),
    ]
    assert queue(ex, 101) == [(bid, 1)]
    assert (ex.best_bid, ex.best_ask) == (101, None)


def test_modify_that_fills_in_full_frees_the_order_id() -> None:
    ex = exchange(max_orders=2)
    bid = ex.submit_limit("buy", 99, 2, owner=1).order_id
    ex.submit_limit("sell", 101, 5, owner=2)
    ex.modify(bid, owner=1, price=101)
    with pytest.raises(UnknownOrderError):
        ex.cancel(bid, owner=1)
    ex.submit_limit("buy", 90, 1)  # its slot was freed: room for one more order
    assert ex.n_resting == 2


# --- self-trade prevention -------------------------------------------------------------------------


def self_trade_setup(stp: Stp) -> tuple[Exchange, int, int, np.ndarray]:
    """Owner 1 rests 2 lots at 101, owner 2 rests 3 behind it; owner 1 then buys 4 at 101."""
    ex = exchange(stp=stp)
    own = ex.submit_limit("sell", 101, 2, owner=1).order_id
    other = ex.submit_limit("sell", 101, 3, owner=2).order_id
    return ex, own, other, ex.submit_limit("buy", 101, 4, owner=1).events


def test_stp_none_trades_with_yourself() -> None:
    ex, own, other, events = self_trade_setup(Stp.NONE)
    assert rows(events, ("kind", "order_id", "owner", "other_id", "other_owner", "qty")) == [
        (E.ACCEPTED, 3, 1, 0, 0, 4),
        (E.TRADE, own, 1, 3, 1, 2),
        (E.FILL, own, 1, 3, 1, 2),
        (E.PARTIAL_FILL, 3, 1, own, 1, 2),
        (E.TRADE, other, 2, 3, 1, 2),
        (E.PARTIAL_FILL, other, 2, 3, 1, 2),
        (E.FILL, 3, 1, other, 2, 2),
    ]
    assert queue(ex, 101) == [(other, 1)]


def test_stp_cancel_resting_cancels_your_resting_order_and_goes_on() -> None:
    ex, own, other, events = self_trade_setup(Stp.CANCEL_RESTING)
    assert rows(events) == [
        (E.ACCEPTED, 3, 0, 101, 4, 4, R.NONE),
        (E.CANCELLED, own, 0, 101, 2, 0, R.SELF_TRADE),
        (E.TRADE, other, 3, 101, 3, 0, R.NONE),
        (E.FILL, other, 3, 101, 3, 0, R.NONE),
        (E.PARTIAL_FILL, 3, other, 101, 3, 1, R.NONE),
    ]
    assert events["side"][1] == Side.SELL and events["owner"][1] == 1
    assert queue(ex, 101) == [(3, 1)]
    assert (ex.best_bid, ex.best_ask) == (101, None)


def test_stp_cancel_taker_cancels_the_incoming_order_and_stops() -> None:
    ex, own, other, events = self_trade_setup(Stp.CANCEL_TAKER)
    assert rows(events) == [
        (E.ACCEPTED, 3, 0, 101, 4, 4, R.NONE),
        (E.CANCELLED, 3, 0, 101, 4, 0, R.SELF_TRADE),
    ]
    assert queue(ex, 101) == [(own, 2), (other, 3)]
    assert ex.volume == (0, 0)


def test_stp_cancel_taker_stops_after_trading_with_others_first() -> None:
    ex = exchange(stp=Stp.CANCEL_TAKER)
    other = ex.submit_limit("buy", 100, 1, owner=2).order_id
    own = ex.submit_limit("buy", 99, 5, owner=1).order_id
    report = ex.submit_market("sell", 4, owner=1)
    assert kinds(report.events) == [E.ACCEPTED, E.TRADE, E.FILL, E.PARTIAL_FILL, E.CANCELLED]
    assert report.trades["order_id"].tolist() == [other]
    assert rows(report.events[-1:]) == [(E.CANCELLED, report.order_id, 0, -1, 3, 0, R.SELF_TRADE)]
    assert queue(ex, 99) == [(own, 5)]


# --- market data -----------------------------------------------------------------------------------


def test_snapshot_levels_in_price_units() -> None:
    ex = exchange(n_levels=100, tick_size=5, min_price=1000)
    for price, qty in [(1100, 2), (1100, 3), (1095, 1), (1080, 7), (1105, 4), (1120, 1), (1120, 2)]:
        ex.submit_limit("buy" if price <= 1100 else "sell", price, qty)
    snap = ex.snapshot(2)
    assert snap.bid_prices.tolist() == [1100, 1095]
    assert snap.bid_sizes.tolist() == [5, 1]
    assert snap.bid_counts.tolist() == [2, 1]
    assert snap.ask_prices.tolist() == [1105, 1120]
    assert snap.ask_sizes.tolist() == [4, 3]
    assert snap.ask_counts.tolist() == [1, 2]
    assert ex.snapshot(10).bid_prices.tolist() == [1100, 1095, 1080]
    assert (ex.best_bid, ex.best_ask, ex.spread, ex.mid) == (1100, 1105, 5, 1102.5)
    assert [o.price for o in ex.level(1120)] == [1120, 1120]
    assert "1105" in str(ex)


def test_empty_book_market_data() -> None:
    ex = exchange()
    assert (ex.best_bid, ex.best_ask, ex.spread, ex.mid, ex.last_trade) == (None, None, None, None, None)
    assert ex.snapshot(3).bid_prices.size == 0 and ex.volume == (0, 0) and ex.n_resting == 0


def test_last_trade_and_cumulative_volume_by_aggressor() -> None:
    ex = exchange(n_levels=100, tick_size=5, min_price=1000)
    ex.submit_limit("sell", 1050, 10, owner=1, time=1)
    ex.submit_limit("buy", 1040, 10, owner=1, time=2)
    ex.submit_market("buy", 3, owner=2, time=10)
    assert ex.last_trade == (1050, 3, 10, Side.BUY)
    ex.submit_limit("sell", 1000, 4, owner=2, time=20)
    assert ex.last_trade == (1040, 4, 20, Side.SELL)
    ex.submit_limit("buy", 1060, 2, owner=3, time=30)
    assert ex.last_trade == (1050, 2, 30, Side.BUY)
    assert ex.volume == (5, 4)
    assert ex.clock == 30


# --- the facade's errors ---------------------------------------------------------------------------


@pytest.fixture
def grid() -> Exchange:
    """Prices 1000, 1005, ..., 1495 with one resting buy (order 1, owner 1, 5 lots at 1100)."""
    ex = Exchange(100, 10, tick_size=5, min_price=1000)
    ex.submit_limit("buy", 1100, 5, owner=1, time=100)
    return ex


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda ex: ex.submit_limit("up", 1100, 1), InvalidOrderError, "side must be 'buy' or 'sell'"),
        (lambda ex: ex.submit_limit(0, 1100, 1), InvalidOrderError, "side must be"),
        (lambda ex: ex.submit_market(True, 1), InvalidOrderError, "side must be"),
        (lambda ex: ex.submit_limit("buy", 1100, 0), InvalidOrderError, "qty must be positive, got 0"),
        (lambda ex: ex.submit_market("sell", -2), InvalidOrderError, "qty must be positive, got -2"),
        (lambda ex: ex.submit_limit("buy", 1103, 1), InvalidOrderError, "price 1103 is off the tick grid"),
        (lambda ex: ex.submit_limit("buy", 995, 1), InvalidOrderError, r"995 is outside .*\[1000, 1495\]"),
        (lambda ex: ex.submit_limit("sell", 1500, 1), InvalidOrderError, "price 1500 is outside the book's"),
        (lambda ex: ex.submit_limit("buy", 1100.0, 1), InvalidOrderError, "price must be an integer"),
        (lambda ex: ex.submit_limit("buy", "1100", 1), InvalidOrderError, "price must be an integer"),
        (lambda ex: ex.submit_limit("buy", 1100, 1, tif="fok"), InvalidOrderError, "tif must be one of"),
        (lambda ex: ex.cancel(99, owner=1), UnknownOrderError, "unknown order id 99"),
        (lambda ex: ex.reduce(2, 1, owner=1), UnknownOrderError, "unknown order id 2"),
        (lambda ex: ex.cancel(1, owner=2), ForeignOrderError, "order 1 belongs to owner 1, not 2"),
        (lambda ex: ex.modify(1, owner=3, qty=1), ForeignOrderError, "belongs to owner 1"),
        (lambda ex: ex.reduce(1, 5, owner=1), InvalidOrderError, "must leave a positive size"),
        (lambda ex: ex.reduce(1, 0, owner=1), InvalidOrderError, "qty must be positive"),
        (lambda ex: ex.modify(1, owner=1, price=1100), InvalidOrderError, "changes neither price nor size"),
        (lambda ex: ex.modify(1, owner=1, qty=5), InvalidOrderError, "changes neither price nor size"),
        (lambda ex: ex.modify(1, owner=1, price=1101), InvalidOrderError, "off the tick grid"),
        (
            lambda ex: ex.submit_limit("buy", 1100, 1, time=99),
            InvalidOrderError,
            "time 99 is before the exchange clock 100",
        ),
        (lambda ex: ex.cancel(1, owner=1, time=50), InvalidOrderError, "before the exchange clock"),
    ],
)
def test_facade_rejects_bad_input_and_leaves_the_book_alone(grid: Exchange, call, error, match) -> None:
    before = state(grid)
    with pytest.raises(error, match=match):
        call(grid)
    assert_state(grid, before)


def test_error_classes_are_also_the_builtin_kinds() -> None:
    assert issubclass(InvalidOrderError, ValueError)
    assert issubclass(UnknownOrderError, LookupError)
    assert issubclass(ForeignOrderError, PermissionError)


def test_post_only_that_would_cross_raises_with_the_reason(grid: Exchange) -> None:
    grid.submit_limit("sell", 1110, 2, owner=2)
    with pytest.raises(OrderRejectedError, match="WOULD_CROSS") as err:
        grid.submit_limit("sell", 1100, 1, owner=2, tif="post_only")
    assert err.value.reason == Reason.WOULD_CROSS
    assert (grid.best_bid, grid.best_ask, grid.n_resting) == (1100, 1110, 2)


def test_process_wants_a_message_array() -> None:
    with pytest.raises(TypeError, match="MESSAGE_DTYPE"):
        exchange().process(np.zeros(2, EVENT_DTYPE))


# --- capacity --------------------------------------------------------------------------------------


def test_capacity_overflow_in_a_batch_stops_before_the_message_and_keeps_what_came_before() -> None:
    ex = exchange(max_orders=2)
    batch = messages(
        limit(1, 100, 1, time=1),
        limit(-1, 105, 1, time=2),
        {"kind": MsgKind.MARKET, "side": 1, "qty": 3, "time": 3},  # a market order needs no slot
        limit(-1, 104, 1, time=4),
        limit(1, 104, 1, time=5),  # would not even rest: it stops all the same
        limit(1, 99, 1, time=6),
    )
    reference = exchange(max_orders=2)
    expected = reference.process(batch[:4])
    with pytest.raises(CapacityError, match="order capacity exceeded") as err:
        ex.process(batch)
    assert err.value.index == 4
    assert err.value.events.tobytes() == expected.tobytes()
    assert_state(ex, state(reference))


def test_capacity_overflow_from_the_facade_leaves_the_book_unchanged() -> None:
    ex = exchange(max_orders=1)
    ex.submit_limit("buy", 100, 1, time=10)
    before = state(ex)
    with pytest.raises(CapacityError) as err:
        ex.submit_limit("sell", 101, 1, time=20)
    assert err.value.index == 0 and len(err.value.events) == 0
    assert_state(ex, before)


def test_capacity_stop_does_not_move_the_clock() -> None:
    ex = exchange(max_orders=1)
    resting = ex.submit_limit("buy", 100, 1, time=10).order_id
    with pytest.raises(CapacityError):
        ex.submit_limit("sell", 101, 1, time=20)
    assert ex.clock == 10
    assert kinds(ex.cancel(resting, time=15).events) == [E.CANCELLED]


# --- contract details of the batch door ------------------------------------------------------------


def test_rejected_limit_order_reports_order_id_zero_whatever_the_message_carries() -> None:
    """``order_id`` of a LIMIT/MARKET message is ignored; its REJECTED event carries 0 (types.py)."""
    ex = exchange()
    batch = messages(
        limit(1, 100, 1, time=10),
        {**limit(1, 100, 1, time=5), "order_id": 7},  # BAD_TIME
        {**limit(0, 100, 1, time=10), "order_id": 7},  # BAD_SIDE
        {"kind": MsgKind.MARKET, "side": 1, "qty": 1, "time": 5, "order_id": 8},  # BAD_TIME
    )
    events = ex.process(batch)
    assert rows(events[1:], ("kind", "order_id", "reason")) == [
        (E.REJECTED, 0, R.BAD_TIME),
        (E.REJECTED, 0, R.BAD_SIDE),
        (E.REJECTED, 0, R.BAD_TIME),
    ]


def test_rejected_messages_still_move_the_clock_unless_the_time_or_kind_is_bad() -> None:
    ex = exchange()
    events = ex.process(
        messages(
            limit(0, 100, 1, time=10),  # BAD_SIDE: clock 10
            {"kind": 9, "time": 50},  # BAD_KIND: clock stays
            {"kind": MsgKind.CANCEL, "order_id": 4, "time": 20},  # UNKNOWN_ORDER: clock 20
            limit(1, 100, 1, time=15),  # BAD_TIME
        )
    )
    assert rows(events, ("kind", "reason", "time", "msg_index")) == [
        (E.REJECTED, R.BAD_SIDE, 10, 0),
        (E.REJECTED, R.BAD_KIND, 50, 1),
        (E.REJECTED, R.UNKNOWN_ORDER, 20, 2),
        (E.REJECTED, R.BAD_TIME, 15, 3),
    ]
    assert ex.clock == 20


def test_order_ids_count_accepted_limit_and_market_orders_only() -> None:
    ex = exchange()
    events = ex.process(
        messages(
            limit(1, 100, 1),
            limit(1, 100, 0),  # rejected: no id
            {"kind": MsgKind.MARKET, "side": -1, "qty": 1},
            {"kind": MsgKind.CANCEL, "order_id": 1},
            limit(-1, 100, 1),
        )
    )
    accepted = events[events["kind"] == E.ACCEPTED]
    assert accepted["order_id"].tolist() == [1, 2, 3]


# --- determinism, independence, buffers ------------------------------------------------------------


def random_stream(seed: int, n: int, n_levels: int = 64) -> np.ndarray:
    """A seeded mixed stream: mostly limit orders near the middle, cancels/reduces/modifies of recent ids,
    some market orders, a few invalid fields."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, MESSAGE_DTYPE)
    out["time"] = np.cumsum(rng.integers(0, 3, n))
    out["kind"] = rng.choice([1, 2, 3, 4, 5, 9], n, p=[0.5, 0.08, 0.2, 0.08, 0.12, 0.02])
    out["side"] = rng.choice([1, -1, 0], n, p=[0.49, 0.49, 0.02])
    out["price"] = np.clip(n_levels // 2 + rng.integers(-8, 9, n), -1, n_levels)
    out["qty"] = rng.integers(0, 9, n)
    out["owner"] = rng.integers(0, 4, n)
    out["flags"] = rng.choice([0, 1, 2], n, p=[0.8, 0.1, 0.1])
    out["flags"][out["kind"] == MsgKind.MARKET] = 0
    issued = np.cumsum(np.isin(out["kind"], (MsgKind.LIMIT, MsgKind.MARKET)))
    targets = out["kind"] >= MsgKind.CANCEL
    out["order_id"][targets] = np.maximum(1, issued[targets] - rng.integers(0, 10, int(targets.sum())))
    return out


def test_same_seeded_stream_gives_byte_identical_events() -> None:
    stream = random_stream(seed=7, n=3000)
    first = Exchange(64, 4096, stp=Stp.CANCEL_RESTING).process(stream)
    second = Exchange(64, 4096, stp=Stp.CANCEL_RESTING).process(stream)
    assert len(first) > len(stream)
    assert (first["kind"] == E.TRADE).sum() > 100
    assert first.tobytes() == second.tobytes()


def test_two_live_exchanges_do_not_interfere() -> None:
    one, two = random_stream(seed=1, n=500), random_stream(seed=2, n=500)
    alone_one = Exchange(64, 1024).process(one)
    alone_two = Exchange(64, 1024, stp=Stp.CANCEL_TAKER).process(two)
    ex_one, ex_two = Exchange(64, 1024), Exchange(64, 1024, stp=Stp.CANCEL_TAKER)
    got_one, got_two = [], []
    for start in range(0, 500, 50):
        got_one.append(ex_one.process(one[start : start + 50]))
        got_two.append(ex_two.process(two[start : start + 50]))
    for got, alone in ((got_one, alone_one), (got_two, alone_two)):
        merged = np.concatenate(got)
        merged["msg_index"] = 0
        alone = alone.copy()
        alone["msg_index"] = 0
        assert merged.tobytes() == alone.tobytes()


def test_event_buffer_grows_for_a_sweep_of_many_orders() -> None:
    ex = Exchange(200, 200, event_capacity=16)
    setup = messages(*(limit(-1, 100 + i % 50, 1, owner=i % 3) for i in range(100)))
    ex.process(setup)
    events = ex.process(messages({"kind": MsgKind.MARKET, "side": 1, "qty": 150, "owner": 5}))
    assert len(events) == 1 + 3 * 100 + 1
    assert kinds(events).count(E.TRADE) == 100
    makers = events["order_id"][events["kind"] == E.TRADE].tolist()
    assert makers == [i + 1 for level in range(50) for i in (level, level + 50)]  # by price, then time
    assert rows(events[-1:]) == [(E.CANCELLED, 101, 0, -1, 50, 0, R.NO_LIQUIDITY)]
    assert ex.n_resting == 0


# --- in a fresh interpreter ------------------------------------------------------------------------


def run_python(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_self_trade_cancels_fit_in_the_event_buffer() -> None:
    """A 1-lot taker meeting 20 of its own resting orders writes 1 + 20 + 3 events under CANCEL_RESTING;
    the buffer check (``events_needed``) must allow for them. Run apart: an overflow writes out of bounds."""
    script = """
        import numpy as np
        from intags_env.exchange import Exchange, MESSAGE_DTYPE, Stp
        ex = Exchange(20, 64, stp=Stp.CANCEL_RESTING, event_capacity=16)
        m = np.zeros(21, MESSAGE_DTYPE)
        m["kind"], m["side"], m["price"], m["qty"], m["owner"] = 1, -1, 5, 1, 1
        m["owner"][-1] = 2
        for i in range(21):
            ex.process(m[i : i + 1])  # one event each: the buffer stays at 16
        taker = np.zeros(1, MESSAGE_DTYPE)
        taker["kind"], taker["side"], taker["qty"], taker["owner"] = 2, 1, 1, 1
        events = ex.process(taker)
        print(len(events), (events["kind"] == 6).sum(), ex.n_resting)
    """
    result = run_python(script)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["24", "20", "0"]


def test_kernels_run_without_jit_and_agree_with_the_jitted_run(tmp_path: Path) -> None:
    stream = random_stream(seed=3, n=150, n_levels=40)
    np.save(tmp_path / "messages.npy", stream)
    script = """
        import sys
        import numpy as np
        from intags_env.exchange import Exchange, Stp
        ex = Exchange(40, 256, stp=Stp.CANCEL_RESTING)
        np.save(sys.argv[2], ex.process(np.load(sys.argv[1])))
    """
    result = run_python(
        script, str(tmp_path / "messages.npy"), str(tmp_path / "events.npy"), NUMBA_DISABLE_JIT="1"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jitted = Exchange(40, 256, stp=Stp.CANCEL_RESTING).process(stream)
    assert np.load(tmp_path / "events.npy").tobytes() == jitted.tobytes()
