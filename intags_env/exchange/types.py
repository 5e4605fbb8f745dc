"""Message and event records of the exchange, and the codes they carry.

This module is the exchange's contract. Everything crossing the Python/Numba boundary is one of two
structured NumPy arrays: ``MESSAGE_DTYPE`` (orders in) and ``EVENT_DTYPE`` (what happened, out).
All quantities are integers: prices in ticks (level index of the book, ``0 <= price < n_levels``),
sizes in lots (``1 <= qty <= MAX_QTY``), time in nanoseconds.

Integer ranges: an order's size is at most ``MAX_QTY`` = 2**31 - 1 lots, so a level's total size (an
int64 sum of at most ``max_orders`` such sizes) can never wrap, and neither can the traded-volume
counters in any realistic session. ``owner`` is an int32; ``time`` and ``order_id`` are int64.

Messages
--------
``LIMIT``   side, price, qty, owner, flags (``GTC``/``IOC``/``POST_ONLY``). ``order_id`` is ignored:
            the exchange assigns ids 1, 2, 3, ... in arrival order (per exchange instance).
``MARKET``  side, qty, owner. Matches until filled or the other side is empty; price ignored.
``CANCEL``  order_id, owner. Removes the whole remaining size.
``REDUCE``  order_id, owner, qty = lots to remove; must leave a positive size (else ``BAD_QTY``:
            use ``CANCEL``). Keeps queue priority.
``MODIFY``  order_id, owner, price, qty = new remaining size. Same price and a smaller size is a
            ``REDUCE`` (keeps priority); a new price or a larger size is cancel + new limit order with
            the same order id, side and owner, at the back of the queue (it may trade at once).
            Same price and same size is rejected (``NO_CHANGE``).

Events, in the order they are written for one message
-----------------------------------------------------
Every event carries the message's ``time`` and its index in the batch (``msg_index``). A message
that passes the time check moves the exchange clock to its time, even if rejected for another reason.

* ``REJECTED`` (order_id as given, 0 for a limit/market order; ``reason``): nothing changed.
  Validation order: kind, time (``BAD_TIME`` if earlier than the exchange clock), then for
  LIMIT/MARKET: side, qty (``1..MAX_QTY``), price (LIMIT only: inside the book's range), flags,
  post-only cross; for CANCEL/REDUCE/MODIFY: order exists (``UNKNOWN_ORDER``), owner matches
  (``NOT_OWNER``), qty (REDUCE: 0 < qty < remaining; MODIFY: ``1..MAX_QTY``), price (MODIFY),
  ``NO_CHANGE`` (MODIFY).
* ``ACCEPTED`` (order_id, owner, side, price (-1 for market), qty = remaining = size): a new order
  (or the new version of a modified one) entered the exchange, before matching.
* For each match of the incoming (taker) order against a resting (maker) order, best price first and
  FIFO within a price, three events:
  ``TRADE``  order_id/owner = maker, other_id/other_owner = taker, price = the maker's price,
             qty = lots traded, remaining = maker's size left, side = the aggressor's (taker's) side;
  ``FILL`` or ``PARTIAL_FILL`` for the maker (order_id/owner/side = maker's, other_* = taker,
             remaining = maker's size left; ``FILL`` when that is 0);
  ``FILL`` or ``PARTIAL_FILL`` for the taker (order_id/owner/side = taker's, other_* = maker,
             remaining = taker's size left).
* ``CANCELLED`` (order_id, owner, side, price, qty = lots removed, remaining = 0, reason):
  ``USER`` for a cancel message, ``REPLACED`` for the old version of a modified order,
  ``NO_LIQUIDITY`` for the unfilled rest of a market order, ``IOC`` for the unfilled rest of an
  immediate-or-cancel order, ``SELF_TRADE`` under self-trade prevention (below).
* ``REDUCED`` (order_id, owner, side, price, qty = lots removed, remaining = new size).

An order that still has size after matching rests in the book; no further event is written
(the last event about it shows its remaining size).

Self-trade prevention (``stp`` of the book), when the taker meets a resting order of the same owner:
``STP_NONE`` trade normally (the trade has maker owner == taker owner); ``STP_CANCEL_RESTING`` cancel
the resting order (``CANCELLED``/``SELF_TRADE``) and go on matching; ``STP_CANCEL_TAKER`` cancel the
taker's remaining size (``CANCELLED``/``SELF_TRADE``) and stop.

Capacity: ``max_orders`` is the most orders resting at once. A new limit order arriving while the
book holds ``max_orders`` stops the batch *before* that message (status ``ORDER_CAPACITY``);
everything before it stands. A modify reuses its order's slot.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "MAX_QTY",
    "MESSAGE_DTYPE",
    "EVENT_DTYPE",
    "MsgKind",
    "EventKind",
    "Side",
    "Reason",
    "Flag",
    "Stp",
    "Status",
    "BUY",
    "SELL",
]

BUY = 1
SELL = -1

#: The largest size (lots) of one order; a larger one is rejected with ``BAD_QTY`` (see above).
MAX_QTY = 2**31 - 1


class Side(IntEnum):
    """Order side, LOBSTER's convention: +1 buy, -1 sell."""

    BUY = 1
    SELL = -1


class MsgKind(IntEnum):
    LIMIT = 1
    MARKET = 2
    CANCEL = 3
    REDUCE = 4
    MODIFY = 5


class EventKind(IntEnum):
    ACCEPTED = 1
    REJECTED = 2
    TRADE = 3
    FILL = 4
    PARTIAL_FILL = 5
    CANCELLED = 6
    REDUCED = 7


class Reason(IntEnum):
    """Why an order was rejected or cancelled (``NONE`` otherwise)."""

    NONE = 0
    BAD_KIND = 1
    BAD_SIDE = 2
    BAD_QTY = 3
    BAD_PRICE = 4
    BAD_TIME = 5
    BAD_FLAGS = 6
    UNKNOWN_ORDER = 7
    NOT_OWNER = 8
    WOULD_CROSS = 9
    NO_CHANGE = 10
    # reasons of a CANCELLED event
    USER = 11
    REPLACED = 12
    NO_LIQUIDITY = 13
    IOC = 14
    SELF_TRADE = 15


class Flag(IntEnum):
    """Time in force of a limit order."""

    GTC = 0
    IOC = 1
    POST_ONLY = 2


class Stp(IntEnum):
    """Self-trade prevention mode of a book."""

    NONE = 0
    CANCEL_RESTING = 1
    CANCEL_TAKER = 2


class Status(IntEnum):
    """Outcome of a batch call (the kernels' return code)."""

    OK = 0
    ORDER_CAPACITY = 1
    EVENT_BUFFER_FULL = 2


MESSAGE_DTYPE = np.dtype(
    [
        ("time", np.int64),
        ("order_id", np.int64),
        ("price", np.int64),
        ("qty", np.int64),
        ("owner", np.int32),
        ("kind", np.int8),
        ("side", np.int8),
        ("flags", np.int8),
    ]
)

EVENT_DTYPE = np.dtype(
    [
        ("time", np.int64),
        ("order_id", np.int64),
        ("other_id", np.int64),
        ("price", np.int64),
        ("qty", np.int64),
        ("remaining", np.int64),
        ("owner", np.int32),
        ("other_owner", np.int32),
        ("msg_index", np.int32),
        ("kind", np.int8),
        ("side", np.int8),
        ("reason", np.int8),
    ]
)
