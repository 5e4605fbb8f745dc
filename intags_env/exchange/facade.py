"""``Exchange``: the matching engine for humans, with input checks and readable results.

The Numba kernels work in ticks (``0..n_levels-1``). The human methods here take and return prices in
the instrument's own integer price unit (e.g. cents, or LOBSTER's dollars x 10,000):
``price = min_price + tick * tick_size``. ``process`` is the batch door: messages and events in ticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import book as B
from .book import BookState, new_book
from .kernels import depth, find_slot, level_orders, process_batch
from .types import EVENT_DTYPE, MAX_QTY, MESSAGE_DTYPE, EventKind, Flag, MsgKind, Reason, Side, Status, Stp

__all__ = [
    "Exchange",
    "ExchangeError",
    "InvalidOrderError",
    "UnknownOrderError",
    "ForeignOrderError",
    "OrderRejectedError",
    "CapacityError",
    "Report",
    "OrderInfo",
    "BookSnapshot",
]


class ExchangeError(Exception):
    """Base class of the exchange's errors."""


class InvalidOrderError(ExchangeError, ValueError):
    """A message's fields are invalid (side, size, price, time in force, time)."""


class UnknownOrderError(ExchangeError, LookupError):
    """No live order has this id (never existed, or already filled or cancelled)."""


class ForeignOrderError(ExchangeError, PermissionError):
    """The order belongs to another owner."""


class OrderRejectedError(ExchangeError):
    """The engine rejected a message for a reason the input checks cannot see (e.g. post-only cross)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class CapacityError(ExchangeError):
    """The book is full. ``events`` holds everything the messages before ``index`` produced; those
    messages stand, the message at ``index`` and after were not applied."""

    def __init__(self, message: str, index: int, events: np.ndarray) -> None:
        super().__init__(message)
        self.index = index
        self.events = events


@dataclass(frozen=True)
class OrderInfo:
    order_id: int
    owner: int
    side: Side
    price: int
    remaining: int
    qty: int
    time: int


@dataclass(frozen=True)
class BookSnapshot:
    """Level-2 view: arrays best level first, prices in price units."""

    bid_prices: np.ndarray
    bid_sizes: np.ndarray
    bid_counts: np.ndarray
    ask_prices: np.ndarray
    ask_sizes: np.ndarray
    ask_counts: np.ndarray

    def __str__(self) -> str:
        rows = [f"{'bid count':>9} {'bid size':>9} {'price':>10} {'ask size':>9} {'ask count':>9}"]
        for p, q, c in zip(self.ask_prices[::-1], self.ask_sizes[::-1], self.ask_counts[::-1]):
            rows.append(f"{'':>9} {'':>9} {p:>10} {q:>9} {c:>9}")
        for p, q, c in zip(self.bid_prices, self.bid_sizes, self.bid_counts):
            rows.append(f"{c:>9} {q:>9} {p:>10} {'':>9} {'':>9}")
        return "\n".join(rows)


@dataclass(frozen=True)
class Report:
    """What one message did: its order id and its events (prices in price units)."""

    order_id: int
    events: np.ndarray

    @property
    def fills(self) -> np.ndarray:
        """This order's own fill events (``FILL``/``PARTIAL_FILL``)."""
        e = self.events
        mask = ((e["kind"] == EventKind.FILL) | (e["kind"] == EventKind.PARTIAL_FILL)) & (
            e["order_id"] == self.order_id
        )
        return e[mask]

    @property
    def trades(self) -> np.ndarray:
        return self.events[self.events["kind"] == EventKind.TRADE]

    @property
    def filled_qty(self) -> int:
        return int(self.fills["qty"].sum())

    @property
    def remaining(self) -> int:
        """The order's size left after this message (0 if it was filled or cancelled)."""
        own = self.events[self.events["order_id"] == self.order_id]
        return int(own["remaining"][-1]) if len(own) else 0


_SIDE_NAMES = {
    "buy": Side.BUY,
    "b": Side.BUY,
    "bid": Side.BUY,
    "sell": Side.SELL,
    "s": Side.SELL,
    "ask": Side.SELL,
    "offer": Side.SELL,
}
_TIF_NAMES = {"gtc": Flag.GTC, "ioc": Flag.IOC, "post_only": Flag.POST_ONLY}


INT32_RANGE = (-(2**31), 2**31 - 1)  # owner (an int32 field of MESSAGE_DTYPE and EVENT_DTYPE)
INT64_RANGE = (-(2**63), 2**63 - 1)  # time, order ids, prices


def _as_int(value: Any, name: str, lo: int = INT64_RANGE[0], hi: int = INT64_RANGE[1]) -> int:
    """``value`` as an int in ``[lo, hi]`` (the field's integer range by default int64), else an
    ``InvalidOrderError`` naming the field: an out-of-range value must not wrap or overflow later."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidOrderError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if not lo <= v <= hi:
        raise InvalidOrderError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def parse_side(side: Any) -> Side:
    """Accept 'buy'/'sell' (and 'bid'/'ask'), +1/-1 or ``Side``; anything else is an error."""
    if isinstance(side, str):
        key = side.strip().lower()
        if key in _SIDE_NAMES:
            return _SIDE_NAMES[key]
    elif isinstance(side, (int, np.integer)) and not isinstance(side, bool) and int(side) in (1, -1):
        return Side(int(side))
    raise InvalidOrderError(f"side must be 'buy' or 'sell' (or +1/-1), got {side!r}")


class Exchange:
    """A single-instrument limit order book with price-time priority.

    Args:
        n_levels: number of ticks the book can hold prices at.
        max_orders: the most orders resting at once (a fixed capacity; exceeding it raises
            ``CapacityError``).
        tick_size: price units per tick; prices off this grid are rejected.
        min_price: price (in price units) of tick 0.
        stp: self-trade prevention mode (``Stp``), see ``intags_env.exchange.types``.
        event_capacity: initial size of the event buffer of ``process`` (doubles when a batch needs more).
    """

    def __init__(
        self,
        n_levels: int = 100_000,
        max_orders: int = 100_000,
        *,
        tick_size: int = 1,
        min_price: int = 0,
        stp: Stp | int = Stp.NONE,
        event_capacity: int = 1 << 16,
    ) -> None:
        if _as_int(tick_size, "tick_size") <= 0:
            raise ValueError(f"tick_size must be positive, got {tick_size}")
        self.tick_size = int(tick_size)
        self.min_price = _as_int(min_price, "min_price")
        self.n_levels = _as_int(n_levels, "n_levels", 1)
        self.max_orders = _as_int(max_orders, "max_orders", 1)
        top = self.min_price + (self.n_levels - 1) * self.tick_size
        if top > INT64_RANGE[1]:
            raise InvalidOrderError(
                f"the highest price min_price + (n_levels - 1) * tick_size = {top} does not fit in int64"
            )
        self.book: BookState = new_book(self.n_levels, self.max_orders, int(stp))
        self._events = np.zeros(max(16, int(event_capacity)), EVENT_DTYPE)
        self._one = np.zeros(1, MESSAGE_DTYPE)

    @classmethod
    def view(cls, book: BookState, *, tick_size: int = 1, min_price: int = 0) -> Exchange:
        """An ``Exchange`` over an existing book (e.g. a running world's), sharing its arrays."""
        ex = cls.__new__(cls)
        ex.tick_size = int(tick_size)
        ex.min_price = int(min_price)
        ex.n_levels = len(book.levels)
        ex.max_orders = len(book.orders)
        ex.book = book
        ex._events = np.zeros(1 << 12, EVENT_DTYPE)
        ex._one = np.zeros(1, MESSAGE_DTYPE)
        return ex

    # --- batch door (ticks) ------------------------------------------------------------------------

    def process(self, messages: np.ndarray, *, copy: bool = True) -> np.ndarray:
        """Apply a structured array of ``MESSAGE_DTYPE`` in order; return all events (``EVENT_DTYPE``).

        Prices are in ticks. With ``copy=False`` the result is a view into the exchange's event buffer,
        valid until the next call (the fast path: no allocation per batch). Raises ``CapacityError`` when
        the book is full (see its docstring).
        """
        if not isinstance(messages, np.ndarray) or messages.dtype != MESSAGE_DTYPE:
            raise TypeError("messages must be a numpy array of intags_env.exchange.MESSAGE_DTYPE")
        if messages.ndim != 1:
            raise ValueError(
                f"messages must be a 1-D array of shape (n,), got shape {messages.shape} "
                "(a single message is np.zeros(1, MESSAGE_DTYPE))"
            )
        start = n = 0
        while True:
            status, start, n = process_batch(*self.book, messages, start, self._events, n)
            if status == Status.EVENT_BUFFER_FULL:
                grown = np.zeros(2 * len(self._events), EVENT_DTYPE)
                grown[:n] = self._events[:n]
                self._events = grown
                continue
            events = self._events[:n].copy() if copy or status != Status.OK else self._events[:n]
            if status == Status.ORDER_CAPACITY:
                raise CapacityError(
                    f"order capacity exceeded: {self.max_orders} orders are resting (max_orders) when "
                    f"message {start} arrives; raise max_orders",
                    start,
                    events,
                )
            return events

    # --- human door (price units) ------------------------------------------------------------------

    def submit_limit(
        self, side: Any, price: int, qty: int, owner: int = 0, *, time: int | None = None, tif: str = "gtc"
    ) -> Report:
        """Send a limit order; ``tif`` is 'gtc', 'ioc' or 'post_only'."""
        s = parse_side(side)
        tick = self._tick(price)
        q = self._positive(qty, "qty")
        if tif not in _TIF_NAMES:
            raise InvalidOrderError(f"tif must be one of {sorted(_TIF_NAMES)}, got {tif!r}")
        return self._send(MsgKind.LIMIT, s, owner, 0, tick, q, _TIF_NAMES[tif], time)

    def submit_market(self, side: Any, qty: int, owner: int = 0, *, time: int | None = None) -> Report:
        s = parse_side(side)
        return self._send(MsgKind.MARKET, s, owner, 0, 0, self._positive(qty, "qty"), 0, time)

    def cancel(self, order_id: int, owner: int = 0, *, time: int | None = None) -> Report:
        self._own_slot(order_id, owner)
        return self._send(MsgKind.CANCEL, 0, owner, order_id, 0, 0, 0, time)

    def reduce(self, order_id: int, qty: int, owner: int = 0, *, time: int | None = None) -> Report:
        """Partial cancel: remove ``qty`` lots, keeping queue priority (must leave a positive size)."""
        slot = self._own_slot(order_id, owner)
        q = self._positive(qty, "qty")
        left = int(self.book.orders[slot, B.O_REMAINING])
        if q >= left:
            raise InvalidOrderError(
                f"reduce by {q} must leave a positive size (order {order_id} has {left}); use cancel"
            )
        return self._send(MsgKind.REDUCE, 0, owner, order_id, 0, q, 0, time)

    def modify(
        self,
        order_id: int,
        owner: int = 0,
        *,
        price: int | None = None,
        qty: int | None = None,
        time: int | None = None,
    ) -> Report:
        """Change price and/or size. A smaller size at the same price keeps priority; anything else is
        cancel + new with the same order id, at the back of the queue."""
        slot = self._own_slot(order_id, owner)
        row = self.book.orders[slot]
        tick = int(row[B.O_PRICE]) if price is None else self._tick(price)
        q = int(row[B.O_REMAINING]) if qty is None else self._positive(qty, "qty")
        if tick == row[B.O_PRICE] and q == row[B.O_REMAINING]:
            raise InvalidOrderError(f"modify of order {order_id} changes neither price nor size")
        return self._send(MsgKind.MODIFY, 0, owner, order_id, tick, q, 0, time)

    # --- market data -------------------------------------------------------------------------------

    def snapshot(self, levels: int = 5) -> BookSnapshot:
        """The best ``levels`` price levels of each side."""
        k = min(self._positive(levels, "levels", INT64_RANGE[1]), self.n_levels)
        out = []
        for side in (1, -1):
            p = np.zeros(k, np.int64)
            q = np.zeros(k, np.int64)
            c = np.zeros(k, np.int32)
            found = depth(self.book.scalars, self.book.levels, self.book.blocks, side, k, p, q, c)
            out += [self._price(p[:found]), q[:found], c[:found]]
        return BookSnapshot(*out)

    def level(self, price: int) -> list[OrderInfo]:
        """Level 3: the orders resting at one price, in time priority."""
        tick = self._tick(price)
        n = int(self.book.levels[tick, B.L_COUNT])
        ids = np.zeros(n, np.int64)
        owners = np.zeros(n, np.int64)
        rem = np.zeros(n, np.int64)
        level_orders(self.book.levels, self.book.orders, tick, ids, owners, rem)
        return [self.order(int(i)) for i in ids]

    def order(self, order_id: int) -> OrderInfo:
        """A live (resting) order's state."""
        slot = self._slot(order_id)
        row = self.book.orders[slot]
        return OrderInfo(
            order_id=int(order_id),
            owner=int(row[B.O_OWNER]),
            side=Side(int(row[B.O_SIDE])),
            price=int(self._price(row[B.O_PRICE])),
            remaining=int(row[B.O_REMAINING]),
            qty=int(row[B.O_QTY]),
            time=int(row[B.O_TIME]),
        )

    @property
    def best_bid(self) -> int | None:
        s = self.book.scalars
        return int(self._price(s[B.BEST_BID])) if s[B.N_BID_ORDERS] else None

    @property
    def best_ask(self) -> int | None:
        s = self.book.scalars
        return int(self._price(s[B.BEST_ASK])) if s[B.N_ASK_ORDERS] else None

    @property
    def spread(self) -> int | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask - bid

    @property
    def mid(self) -> float | None:
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid + ask) / 2

    @property
    def last_trade(self) -> tuple[int, int, int, Side] | None:
        """(price, qty, time, aggressor side) of the last trade."""
        s = self.book.scalars
        if s[B.LAST_PRICE] < 0:
            return None
        return (
            int(self._price(s[B.LAST_PRICE])),
            int(s[B.LAST_QTY]),
            int(s[B.LAST_TIME]),
            Side(int(s[B.LAST_SIDE])),
        )

    @property
    def volume(self) -> tuple[int, int]:
        """Cumulative lots traded with a buy aggressor and with a sell aggressor."""
        s = self.book.scalars
        return int(s[B.VOLUME_BUY]), int(s[B.VOLUME_SELL])

    @property
    def clock(self) -> int:
        return int(self.book.scalars[B.CLOCK])

    @property
    def n_resting(self) -> int:
        s = self.book.scalars
        return int(s[B.N_BID_ORDERS] + s[B.N_ASK_ORDERS])

    def __str__(self) -> str:
        return str(self.snapshot(5))

    # --- helpers -----------------------------------------------------------------------------------

    def _tick(self, price: Any) -> int:
        p = _as_int(price, "price")
        offset = p - self.min_price
        if offset % self.tick_size:
            raise InvalidOrderError(
                f"price {p} is off the tick grid (tick size {self.tick_size} from {self.min_price})"
            )
        tick = offset // self.tick_size
        if not 0 <= tick < self.n_levels:
            raise InvalidOrderError(
                f"price {p} is outside the book's range [{self.min_price}, "
                f"{self.min_price + (self.n_levels - 1) * self.tick_size}]"
            )
        return tick

    def _price(self, tick: Any) -> Any:
        return self.min_price + np.asarray(tick, np.int64) * self.tick_size

    @staticmethod
    def _positive(value: Any, name: str, hi: int = MAX_QTY) -> int:
        """A positive integer at most ``hi`` (by default ``MAX_QTY``, the largest order size)."""
        v = _as_int(value, name)
        if v <= 0:
            raise InvalidOrderError(f"{name} must be positive, got {v}")
        if v > hi:
            raise InvalidOrderError(f"{name} must be at most {hi}, got {v}")
        return v

    def _slot(self, order_id: Any) -> int:
        oid = _as_int(order_id, "order_id")
        slot = int(find_slot(self.book.scalars, self.book.table, oid))
        if slot < 0:
            raise UnknownOrderError(
                f"unknown order id {oid}: no such live order (never sent, filled or cancelled)"
            )
        return slot

    def _own_slot(self, order_id: Any, owner: int) -> int:
        slot = self._slot(order_id)
        holder = int(self.book.orders[slot, B.O_OWNER])
        if holder != _as_int(owner, "owner", *INT32_RANGE):
            raise ForeignOrderError(f"order {order_id} belongs to owner {holder}, not {owner}")
        return slot

    def _send(
        self,
        kind: int,
        side: int,
        owner: int,
        order_id: int,
        tick: int,
        qty: int,
        flags: int,
        time: int | None,
    ) -> Report:
        t = self.clock if time is None else _as_int(time, "time")
        if t < self.clock:
            raise InvalidOrderError(f"time {t} is before the exchange clock {self.clock}")
        who = _as_int(owner, "owner", *INT32_RANGE)
        m = self._one
        m["kind"] = kind
        m["side"] = side
        m["owner"] = who
        m["order_id"] = order_id
        m["price"] = tick
        m["qty"] = qty
        m["flags"] = flags
        m["time"] = t
        events = self.process(m, copy=False)
        if len(events) and events[0]["kind"] == EventKind.REJECTED:
            reason = Reason(int(events[0]["reason"]))
            raise OrderRejectedError(reason, f"order rejected: {reason.name}")
        new_id = int(events[0]["order_id"]) if kind in (MsgKind.LIMIT, MsgKind.MARKET) else int(order_id)
        shown = events.copy()
        priced = shown["price"] >= 0
        shown["price"][priced] = self._price(shown["price"][priced])
        return Report(new_id, shown)
