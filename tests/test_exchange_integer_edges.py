"""The exchange at the edges of its integer fields (issue 16): an out-of-range quantity, price, owner, time or
order id is an ``InvalidOrderError`` naming the field — never a wrap-around or a bare ``OverflowError`` —
an order is at most ``MAX_QTY`` lots so a level's size can never wrap negative, and ``process`` wants a 1-D
message array."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_book import ReferenceBook

from intags_env.exchange import (
    MAX_QTY,
    MESSAGE_DTYPE,
    EventKind,
    Exchange,
    ExchangeError,
    InvalidOrderError,
    MsgKind,
    Reason,
)
from intags_env.exchange import book as B

INT64_MAX = 2**63 - 1
EDGES = [0, 1, -1, MAX_QTY, MAX_QTY + 1, 2**31, 2**32, 2**62, INT64_MAX, 2**63, 2**64, -(2**63), -(2**63) - 1]
ANY_INT = st.one_of(st.integers(-3, 60), st.sampled_from(EDGES), st.integers(-(2**70), 2**70))


def check_levels(ex: Exchange) -> None:
    """Every level's size is the (non-negative) sum of its orders' sizes, each at most ``MAX_QTY``."""
    snap = ex.snapshot(ex.n_levels)
    for prices, sizes in ((snap.bid_prices, snap.bid_sizes), (snap.ask_prices, snap.ask_sizes)):
        for price, size in zip(prices.tolist(), sizes.tolist()):
            remaining = [o.remaining for o in ex.level(price)]
            assert size > 0 and size == sum(remaining)
            assert all(0 < r <= MAX_QTY for r in remaining)


def test_level_sizes_cannot_wrap_negative() -> None:
    ex = Exchange(100, 16)
    with pytest.raises(InvalidOrderError, match="qty"):
        ex.submit_limit("buy", 50, 2**62, owner=1)
    for _ in range(3):
        ex.submit_limit("buy", 50, MAX_QTY, owner=1)
    assert ex.snapshot(1).bid_sizes[0] == 3 * MAX_QTY
    check_levels(ex)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda ex: ex.submit_limit("buy", 50, 10, owner=2**31), "owner"),
        (lambda ex: ex.submit_limit("buy", 50, 10, owner=-(2**31) - 1), "owner"),
        (lambda ex: ex.submit_limit("buy", 50, 2**63), "qty"),
        (lambda ex: ex.submit_market("sell", MAX_QTY + 1), "qty"),
        (lambda ex: ex.submit_limit("buy", 50, 10, time=2**63), "time"),
        (lambda ex: ex.submit_limit("buy", 2**64, 10), "price"),
        (lambda ex: ex.cancel(2**64), "order_id"),
        (lambda ex: ex.cancel(-(2**63) - 1), "order_id"),
        (lambda ex: ex.cancel(1, owner=2**31), "owner"),
        (lambda ex: ex.reduce(1, 2**63), "qty"),
        (lambda ex: ex.modify(1, qty=MAX_QTY + 1), "qty"),
        (lambda ex: ex.order(2**64), "order_id"),
    ],
)
def test_an_out_of_range_integer_is_an_invalid_order_naming_the_field(call, field: str) -> None:
    ex = Exchange(100, 16)
    ex.submit_limit("buy", 40, 10)  # order 1, owner 0
    with pytest.raises(InvalidOrderError, match=field):
        call(ex)
    assert ex.order(1).remaining == 10  # nothing changed


def test_a_price_range_past_int64_is_refused() -> None:
    with pytest.raises(InvalidOrderError, match="int64"):
        Exchange(100, 16, min_price=INT64_MAX - 10)


def test_snapshot_of_more_levels_than_the_book_has_is_the_whole_book() -> None:
    ex = Exchange(100, 16)
    ex.submit_limit("buy", 40, 10)
    assert len(ex.snapshot(2**62).bid_prices) == 1


@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_process_wants_a_one_dimensional_message_array(shape: tuple) -> None:
    ex = Exchange(100, 16)
    with pytest.raises(ValueError, match=r"1-D array of shape \(n,\)"):
        ex.process(np.zeros(shape, MESSAGE_DTYPE))


def test_process_rejects_a_size_above_max_qty() -> None:
    ex = Exchange(100, 16)
    m = np.zeros(3, MESSAGE_DTYPE)
    m["kind"] = [MsgKind.LIMIT, MsgKind.LIMIT, MsgKind.MODIFY]
    m["side"] = [1, 1, 0]
    m["price"] = [50, 50, 50]
    m["qty"] = [MAX_QTY + 1, 5, INT64_MAX]
    m["order_id"] = [0, 0, 1]
    events = ex.process(m)
    kinds, reasons = events["kind"].tolist(), events["reason"].tolist()
    assert kinds == [EventKind.REJECTED, EventKind.ACCEPTED, EventKind.REJECTED]
    assert reasons[0] == reasons[2] == Reason.BAD_QTY
    assert ex.order(1).remaining == 5


# --- properties ------------------------------------------------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["limit", "market", "cancel", "reduce", "modify"]), ANY_INT, ANY_INT, ANY_INT),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPERATIONS)
def test_any_integers_through_the_human_door_give_an_exchange_error_or_a_sound_book(operations) -> None:
    """Whatever integers a caller passes, a call either works or raises one of the exchange's errors;
    never ``OverflowError``, and the book stays sound (sizes positive, consistent, at most ``MAX_QTY``)."""
    ex = Exchange(64, 32)
    for op, a, b, c in operations:
        side = "buy" if c % 2 else "sell"
        try:
            if op == "limit":
                ex.submit_limit(side, a % 64 if abs(a) < 2**40 else a, b, owner=c)
            elif op == "market":
                ex.submit_market(side, b, owner=c)
            elif op == "cancel":
                ex.cancel(a, owner=c)
            elif op == "reduce":
                ex.reduce(a, b, owner=c)
            else:
                ex.modify(a, owner=c, qty=b)
        except ExchangeError:
            pass
        check_levels(ex)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(1, 2), st.sampled_from([1, -1]), st.integers(10, 13), ANY_INT, ANY_INT),
        min_size=1,
        max_size=30,
    )
)
def test_the_batch_door_matches_the_reference_at_any_int64_size(rows) -> None:
    """``process`` with sizes anywhere in int64 (and owners anywhere in int32): the same events as the
    reference book, which knows ``MAX_QTY``, and no level ever negative."""
    m = np.zeros(len(rows), MESSAGE_DTYPE)
    for i, (kind, side, price, qty, owner) in enumerate(rows):
        m[i] = (i, 0, price, max(-(2**63), min(INT64_MAX, qty)), owner % 2**31, kind, side, 0)
    ex, ref = Exchange(24, 64), ReferenceBook(24, 64, 0)
    events = ex.process(m)
    assert events.tolist() == ref.process(m).tolist()
    assert (ex.book.levels[:, B.L_QTY] >= 0).all()
    check_levels(ex)
