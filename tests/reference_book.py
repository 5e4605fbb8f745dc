"""A pure-Python reference limit order book: the exchange contract in executable form.

It implements ``intags_env/exchange/types.py`` (read its module docstring) with plain dicts, sorted lists
and deques, and no cleverness, so that the Numba engine can be checked against it message for message:
same messages (``MESSAGE_DTYPE``, prices in ticks ``0..n_levels-1``), same events (``EVENT_DTYPE``, field
for field), same order ids, same self-trade prevention and the same capacity stop.

Where the contract leaves a detail open, this book does what the engine does:

* a ``REJECTED`` event carries the message's owner, side, price and qty (remaining 0);
* a ``MARKET`` message with a non-zero ``flags`` is rejected with ``BAD_FLAGS``;
* the capacity check comes after validation: an invalid limit order on a full book is rejected, a valid
  one stops the batch (even if it would trade in full);
* a modify writes ``CANCELLED``/``REPLACED`` for the old version before ``ACCEPTED`` for the new one, and
  the new version is a ``GTC`` order;
* the fill events of a trade carry the trade's price (the maker's).

``ReferenceBook.process(messages)`` returns the events as an ``EVENT_DTYPE`` array, or raises
``ReferenceCapacityError`` (with the index of the stopping message and the events before it).
``ReferenceBook.dump()`` returns the whole book.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

import numpy as np

from intags_env.exchange.types import EVENT_DTYPE, MAX_QTY, EventKind, Flag, MsgKind, Reason, Stp

__all__ = ["ReferenceBook", "ReferenceCapacityError", "RestingOrder"]

BUY = 1
SELL = -1
VALID_KINDS = {int(k) for k in MsgKind}
VALID_LIMIT_FLAGS = {int(f) for f in Flag}


class ReferenceCapacityError(Exception):
    """The book held ``max_orders`` orders when the limit order at ``index`` arrived."""

    def __init__(self, index: int, events: np.ndarray) -> None:
        super().__init__(f"order capacity reached at message {index}")
        self.index = index
        self.events = events


class RestingOrder:
    __slots__ = ("order_id", "owner", "price", "remaining", "side")

    def __init__(self, order_id: int, owner: int, side: int, price: int, remaining: int) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.remaining = remaining


def _events_array(rows: list[tuple]) -> np.ndarray:
    return np.array(rows, dtype=EVENT_DTYPE) if rows else np.zeros(0, EVENT_DTYPE)


class ReferenceBook:
    """Price-time priority limit order book; one FIFO ``deque`` of ``RestingOrder`` per price level."""

    def __init__(self, n_levels: int, max_orders: int, stp: int = Stp.NONE) -> None:
        self.n_levels = int(n_levels)
        self.max_orders = int(max_orders)
        self.stp = int(stp)
        self.queues: dict[int, dict[int, deque[RestingOrder]]] = {BUY: {}, SELL: {}}  # side -> price -> FIFO
        self.prices: dict[int, list[int]] = {BUY: [], SELL: []}  # side -> sorted prices of non-empty levels
        self.orders: dict[int, RestingOrder] = {}  # resting orders by id
        self.clock = 0
        self.next_id = 1
        self.last_trade: tuple[int, int, int, int] | None = None  # (price, qty, time, aggressor side)
        self.volume = {BUY: 0, SELL: 0}  # lots traded per aggressor side
        self.n_trades = 0
        # the message being applied: every event carries its time and batch index
        self._out: list[tuple] = []
        self._time = 0
        self._index = 0

    # --- the batch door ----------------------------------------------------------------------------

    def process(self, messages: np.ndarray) -> np.ndarray:
        """Apply the messages in order and return their events (``EVENT_DTYPE``)."""
        self._out = []
        for index, (time, order_id, price, qty, owner, kind, side, flags) in enumerate(messages.tolist()):
            self._time = time
            self._index = index
            if not self._apply(kind, side, owner, order_id, price, qty, flags):
                raise ReferenceCapacityError(index, _events_array(self._out))
        return _events_array(self._out)

    # --- market data -------------------------------------------------------------------------------

    def best(self, side: int) -> int | None:
        prices = self.prices[side]
        if not prices:
            return None
        return prices[-1] if side == BUY else prices[0]

    def dump(self) -> dict[str, list[tuple[int, list[tuple[int, int, int]]]]]:
        """Both sides, best level first: ``(price, [(order_id, owner, remaining), ...])`` in FIFO order."""

        def side_levels(side: int) -> list[tuple[int, list[tuple[int, int, int]]]]:
            prices = self.prices[side][::-1] if side == BUY else self.prices[side]
            return [(p, [(o.order_id, o.owner, o.remaining) for o in self.queues[side][p]]) for p in prices]

        return {"bids": side_levels(BUY), "asks": side_levels(SELL)}

    # --- one message -------------------------------------------------------------------------------

    def _apply(self, kind, side, owner, order_id, price, qty, flags) -> bool:
        """Apply one message; False (and nothing changed) if it is a limit order that does not fit."""
        is_new_order = kind in (MsgKind.LIMIT, MsgKind.MARKET)
        if kind not in VALID_KINDS:
            self._reject(Reason.BAD_KIND, order_id, owner, side, price, qty)
            return True
        if self._time < self.clock:
            self._reject(Reason.BAD_TIME, 0 if is_new_order else order_id, owner, side, price, qty)
            return True

        if is_new_order:
            reason = self._check_new_order(kind, side, price, qty, flags)
            if reason != Reason.NONE:
                self.clock = self._time
                self._reject(reason, 0, owner, side, price, qty)
                return True
            if kind == MsgKind.LIMIT and len(self.orders) >= self.max_orders:
                return False  # the capacity stop: this message is not applied at all
            self.clock = self._time
            new_id = self.next_id
            self.next_id += 1
            if kind == MsgKind.LIMIT:
                self._enter_limit(new_id, owner, side, price, qty, flags)
            else:
                self._enter_market(new_id, owner, side, qty)
            return True

        self.clock = self._time
        order = self.orders.get(order_id)
        if order is None:
            self._reject(Reason.UNKNOWN_ORDER, order_id, owner, side, price, qty)
        elif order.owner != owner:
            self._reject(Reason.NOT_OWNER, order_id, owner, side, price, qty)
        elif kind == MsgKind.CANCEL:
            self._emit(EventKind.CANCELLED, order, qty=order.remaining, reason=Reason.USER)
            self._remove(order)
        elif kind == MsgKind.REDUCE:
            if 0 < qty < order.remaining:
                self._reduce(order, qty)
            else:
                self._reject(Reason.BAD_QTY, order_id, owner, side, price, qty)
        else:
            self._modify(order, side, price, qty)
        return True

    def _check_new_order(self, kind, side, price, qty, flags) -> Reason:
        is_limit = kind == MsgKind.LIMIT
        if side not in (BUY, SELL):
            return Reason.BAD_SIDE
        if not 0 < qty <= MAX_QTY:
            return Reason.BAD_QTY
        if is_limit and not 0 <= price < self.n_levels:
            return Reason.BAD_PRICE
        if (is_limit and flags not in VALID_LIMIT_FLAGS) or (not is_limit and flags != 0):
            return Reason.BAD_FLAGS
        if is_limit and flags == Flag.POST_ONLY and self._reaches(side, price):
            return Reason.WOULD_CROSS
        return Reason.NONE

    def _modify(self, order: RestingOrder, side, price, qty) -> None:
        if not 0 < qty <= MAX_QTY:
            self._reject(Reason.BAD_QTY, order.order_id, order.owner, side, price, qty)
        elif not 0 <= price < self.n_levels:
            self._reject(Reason.BAD_PRICE, order.order_id, order.owner, side, price, qty)
        elif price == order.price and qty == order.remaining:
            self._reject(Reason.NO_CHANGE, order.order_id, order.owner, side, price, qty)
        elif price == order.price and qty < order.remaining:
            self._reduce(order, order.remaining - qty)
        else:
            self._emit(EventKind.CANCELLED, order, qty=order.remaining, reason=Reason.REPLACED)
            self._remove(order)
            self._enter_limit(order.order_id, order.owner, order.side, price, qty, Flag.GTC)

    def _reduce(self, order: RestingOrder, lots: int) -> None:
        order.remaining -= lots
        self._emit(EventKind.REDUCED, order, qty=lots, remaining=order.remaining)

    # --- new orders and matching -------------------------------------------------------------------

    def _enter_limit(self, order_id, owner, side, price, qty, flags) -> None:
        taker = RestingOrder(order_id, owner, side, price, qty)
        self._emit(EventKind.ACCEPTED, taker, qty=qty, remaining=qty)
        stopped_by_stp = self._match(taker, price)
        if taker.remaining > 0 and (stopped_by_stp or flags == Flag.IOC):
            reason = Reason.SELF_TRADE if stopped_by_stp else Reason.IOC
            self._emit(EventKind.CANCELLED, taker, qty=taker.remaining, reason=reason)
        elif taker.remaining > 0:
            self._rest(taker)

    def _enter_market(self, order_id, owner, side, qty) -> None:
        taker = RestingOrder(order_id, owner, side, -1, qty)
        self._emit(EventKind.ACCEPTED, taker, qty=qty, remaining=qty)
        stopped_by_stp = self._match(taker, None)
        if taker.remaining > 0:
            reason = Reason.SELF_TRADE if stopped_by_stp else Reason.NO_LIQUIDITY
            self._emit(EventKind.CANCELLED, taker, qty=taker.remaining, reason=reason)

    def _reaches(self, side: int, limit: int | None) -> bool:
        """Does an order of ``side`` with this limit price (None: market) meet the opposite best level?"""
        best = self.best(-side)
        if best is None:
            return False
        if limit is None:
            return True
        return best <= limit if side == BUY else best >= limit

    def _match(self, taker: RestingOrder, limit: int | None) -> bool:
        """Trade the taker against the opposite side; True if self-trade prevention stopped it."""
        while taker.remaining > 0 and self._reaches(taker.side, limit):
            level = self.best(-taker.side)
            maker = self.queues[-taker.side][level][0]
            if maker.owner == taker.owner and self.stp != Stp.NONE:
                if self.stp == Stp.CANCEL_TAKER:
                    return True
                self._emit(EventKind.CANCELLED, maker, qty=maker.remaining, reason=Reason.SELF_TRADE)
                self._remove(maker)
                continue
            lots = min(taker.remaining, maker.remaining)
            maker.remaining -= lots
            taker.remaining -= lots
            self._emit(
                EventKind.TRADE, maker, side=taker.side, qty=lots, remaining=maker.remaining, other=taker
            )
            self._emit(
                EventKind.FILL if maker.remaining == 0 else EventKind.PARTIAL_FILL,
                maker,
                qty=lots,
                remaining=maker.remaining,
                other=taker,
            )
            self._emit(
                EventKind.FILL if taker.remaining == 0 else EventKind.PARTIAL_FILL,
                taker,
                price=level,
                qty=lots,
                remaining=taker.remaining,
                other=maker,
            )
            self.last_trade = (level, lots, self._time, taker.side)
            self.volume[taker.side] += lots
            self.n_trades += 1
            if maker.remaining == 0:
                self._remove(maker)
        return False

    # --- the book ----------------------------------------------------------------------------------

    def _rest(self, order: RestingOrder) -> None:
        levels = self.queues[order.side]
        if order.price not in levels:
            levels[order.price] = deque()
            insort(self.prices[order.side], order.price)
        levels[order.price].append(order)
        self.orders[order.order_id] = order

    def _remove(self, order: RestingOrder) -> None:
        queue = self.queues[order.side][order.price]
        queue.remove(order)  # usually the head; a linear scan otherwise, fine for a reference
        if not queue:
            del self.queues[order.side][order.price]
            prices = self.prices[order.side]
            del prices[bisect_left(prices, order.price)]
        del self.orders[order.order_id]

    # --- events ------------------------------------------------------------------------------------

    def _emit(
        self,
        kind,
        order: RestingOrder,
        *,
        side=None,
        price=None,
        qty=0,
        remaining=0,
        other: RestingOrder | None = None,
        reason=Reason.NONE,
    ) -> None:
        """One event about ``order`` (its id, owner, side and price unless given)."""
        self._out.append(
            (
                self._time,
                order.order_id,
                0 if other is None else other.order_id,
                order.price if price is None else price,
                qty,
                remaining,
                order.owner,
                0 if other is None else other.owner,
                self._index,
                int(kind),
                order.side if side is None else side,
                int(reason),
            )
        )

    def _reject(self, reason, order_id, owner, side, price, qty) -> None:
        self._out.append(
            (
                self._time,
                order_id,
                0,
                price,
                qty,
                0,
                owner,
                0,
                self._index,
                int(EventKind.REJECTED),
                side,
                int(reason),
            )
        )
