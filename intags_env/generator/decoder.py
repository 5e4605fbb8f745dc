"""The decoder of the order representation: one generator action (+ optional exact values) -> one message.

:mod:`.spec` defines the action, :mod:`.orderstream` encodes a log into actions; this module turns an
action back into an exchange message against the live book, with the same conventions as the encoder
(so an encoded log replays exactly, tested):

* a limit price is an offset from the action's reference touch (own or opposite); an empty own side is
  one tick off the opposite touch, a book empty on both sides is the last two-sided mid (``anchor``). A
  price that would cross rests one tick off the opposite touch, and a bucket the spread cannot hold (an
  inside price in a one-tick spread) lands at the nearest price it can: both counted in ``clipped``;
* a cancel names one of the generator's own orders: the price level (ticks behind the own touch) and the
  queue position among the own orders there. A bucketed level picks uniformly among the levels of that
  bucket holding own orders; when the bucket holds none (or the side none at all) the cancel does nothing
  (``noop_cancels``), as an exchange ignores a cancel of an order already gone. (Falling back to the
  nearest own level instead cancels orders the stream never meant to: replaying a real stream open loop,
  the order a cancel meant has often just been filled, and the fallback then strips the touch, widening
  the spread in a cascade — spread KS 0.16 against 0.02 over 40 sessions, measured.) Exact values that
  name no own order fall back to the buckets (``inexact_cancels``). A partial cancel of at least the
  order's size cancels it whole (``partial_as_full``);
* a market order takes its bucket's share of the shares resting at the opposite touch (drawn uniformly
  in the tenth; a partial take is at least one share and never the whole touch), exactly the touch, or
  the touch and a drawn number more; into an empty opposite side nothing is sent (``noop_markets``);
* other sizes are drawn uniformly in their bucket, delays log-uniformly (bucket 0 is exactly 0).

Nothing here crosses the book or touches another participant's orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..exchange.book import (
    BEST_ASK,
    BEST_BID,
    L_HEAD,
    L_QTY,
    N_ASK_ORDERS,
    N_BID_ORDERS,
    N_LEVELS,
    O_ID,
    O_NEXT,
    O_OWNER,
    O_REMAINING,
    BookState,
)
from ..exchange.kernels import next_ask_level, next_bid_level
from ..exchange.types import MsgKind
from .spec import (
    CANCEL_LEVEL_HI,
    CANCEL_LEVEL_LO,
    DELAY_EDGES_NS,
    LIMIT_PRICE_HI,
    LIMIT_PRICE_LO,
    LIMIT_PRICE_REF,
    N_TOUCH_FRACTIONS,
    OPPOSITE,
    SIZE_EDGES,
    SWEEP_TOUCH,
    X_OFFSET,
    X_QTY,
    X_QUEUE,
    virtual_touches,
)

__all__ = [
    "DecodedOrder",
    "OrderDecoder",
    "draw_delay_ns",
    "draw_qty",
    "last_two_sided_mid",
    "own_levels",
    "own_order_at",
]

_ONE_SIDED_SPREAD = 16  # the spread the open inside buckets draw in when the opposite side is empty
_OPEN = 10**8  # an upper bound at or above this is open-ended


@njit(cache=True)
def own_levels(sc, lv, od, bk, side, owner_lo, owner_hi, out_behind, out_count):  # pragma: no cover
    """The levels of ``side`` holding orders of owners ``owner_lo..owner_hi - 1``, best first: ticks
    behind the touch and the number of such orders at each; returns how many levels."""
    found = 0
    if side > 0:
        if sc[N_BID_ORDERS] == 0:
            return 0
        touch = sc[BEST_BID]
        level = touch
        while level >= 0 and found < out_behind.shape[0]:
            k = _count_own(lv, od, level, owner_lo, owner_hi)
            if k > 0:
                out_behind[found] = touch - level
                out_count[found] = k
                found += 1
            level = next_bid_level(sc, lv, bk, level - 1)
    else:
        if sc[N_ASK_ORDERS] == 0:
            return 0
        touch = sc[BEST_ASK]
        level = touch
        n_levels = sc[N_LEVELS]
        while level < n_levels and found < out_behind.shape[0]:
            k = _count_own(lv, od, level, owner_lo, owner_hi)
            if k > 0:
                out_behind[found] = level - touch
                out_count[found] = k
                found += 1
            level = next_ask_level(sc, lv, bk, level + 1)
    return found


@njit(cache=True)
def _count_own(lv, od, level, owner_lo, owner_hi):  # pragma: no cover - compiled
    slot = lv[level, L_HEAD]
    k = 0
    while slot >= 0:
        owner = od[slot, O_OWNER]
        if owner_lo <= owner < owner_hi:
            k += 1
        slot = od[slot, O_NEXT]
    return k


@njit(cache=True)
def own_order_at(lv, od, level, owner_lo, owner_hi, index, out):  # pragma: no cover - compiled
    """The ``index``-th own order (front first) at ``level``: writes id, owner, remaining to ``out``;
    returns False when there are not that many."""
    slot = lv[level, L_HEAD]
    k = 0
    while slot >= 0:
        owner = od[slot, O_OWNER]
        if owner_lo <= owner < owner_hi:
            if k == index:
                out[0] = od[slot, O_ID]
                out[1] = owner
                out[2] = od[slot, O_REMAINING]
                return True
            k += 1
        slot = od[slot, O_NEXT]
    return False


def draw_qty(rng: np.random.Generator, bucket: int) -> int:
    """Shares drawn uniformly in a ``SIZE_EDGES`` bucket."""
    return int(rng.integers(SIZE_EDGES[bucket], SIZE_EDGES[bucket + 1]))


def draw_delay_ns(rng: np.random.Generator, bucket: int) -> int:
    """Nanoseconds drawn log-uniformly in a ``DELAY_EDGES_NS`` bucket (bucket 0: exactly 0)."""
    if bucket == 0:
        return 0
    lo, hi = np.log(DELAY_EDGES_NS[bucket]), np.log(DELAY_EDGES_NS[bucket + 1])
    return int(np.exp(rng.uniform(lo, hi)))


@dataclass(frozen=True)
class DecodedOrder:
    """One exchange message: ``kind`` (``MsgKind``), side +1/-1, price (ticks; limits), qty, the order id
    and owner of a cancel or reduce (0 / -1 otherwise)."""

    kind: int
    side: int
    price: int = 0
    qty: int = 0
    order_id: int = 0
    owner: int = -1


class OrderDecoder:
    """Decodes generator actions against a live book for the orders of owners ``owners`` (a range).

    Args:
        owners: the generator's exchange owner ids.
        capacity: at most this many own orders rest at once (sizes the scratch buffers).
        n_levels: price levels of the book (ticks ``0..n_levels - 1``).
    """

    def __init__(self, owners: range, capacity: int, n_levels: int) -> None:
        self.owner_lo, self.owner_hi = owners.start, owners.stop
        self.n_levels = int(n_levels)
        self._behind = np.zeros(capacity + 1, np.int64)
        self._count = np.zeros(capacity + 1, np.int64)
        self._order = np.zeros(3, np.int64)
        self.reset()

    def reset(self) -> None:
        self.clipped = 0
        self.noop_cancels = 0
        self.inexact_cancels = 0
        self.partial_as_full = 0
        self.noop_markets = 0

    # --- limit orders -----------------------------------------------------------------------------

    def limit_price(
        self,
        book: BookState,
        side: int,
        bucket: int,
        offset: int | None,
        rng: np.random.Generator,
        anchor: int,
    ) -> int:
        """The tick of a limit order of ``side`` (+1 buy) in price ``bucket`` (``offset`` exact, else
        drawn in the bucket); never crossing."""
        bid, ask = _touch(book)
        own, opp, two_sided = virtual_touches(side > 0, bid, ask, anchor)
        ref = LIMIT_PRICE_REF[bucket]
        lo, hi = int(LIMIT_PRICE_LO[bucket]), int(LIMIT_PRICE_HI[bucket])
        spread = abs(opp - own) if two_sided else _ONE_SIDED_SPREAD
        if offset is None:
            if ref == OPPOSITE:
                hi = max(lo, (spread - 1) // 2) if hi >= _OPEN else hi
            elif lo <= -_OPEN:  # own, 8 or more inside: up to the middle of the spread
                lo = min(hi, -(spread // 2))
            offset = int(rng.integers(lo, hi + 1))
        if ref == OPPOSITE and two_sided:
            price = opp - side * offset
        elif ref == OPPOSITE:  # no opposite side: so many ticks better than the own touch
            price = own + side * offset
        else:
            price = own - side * offset
        if side > 0 and ask is not None and price >= ask:
            price, self.clipped = ask - 1, self.clipped + 1
        elif side < 0 and bid is not None and price <= bid:
            price, self.clipped = bid + 1, self.clipped + 1
        if not 0 <= price < self.n_levels:
            price, self.clipped = min(max(price, 0), self.n_levels - 1), self.clipped + 1
        return int(price)

    # --- market orders ----------------------------------------------------------------------------

    def market_qty(
        self, book: BookState, side: int, bucket: int, exact: np.ndarray | None, rng: np.random.Generator
    ) -> int:
        """The shares of a market order of ``side`` (+1 buy) in ``market_size`` ``bucket`` (exact when
        given), against the shares resting at the opposite touch: 0 (nothing to send, counted in
        ``noop_markets``) when that side is empty."""
        if exact is not None:
            return int(exact[X_QTY])
        sc = book.scalars
        if sc[N_ASK_ORDERS if side > 0 else N_BID_ORDERS] == 0:
            self.noop_markets += 1
            return 0
        touch = int(book.levels[sc[BEST_ASK] if side > 0 else sc[BEST_BID], L_QTY])
        if bucket == SWEEP_TOUCH:
            return touch
        if bucket > SWEEP_TOUCH:
            return touch + draw_qty(rng, bucket - SWEEP_TOUCH - 1)
        lo, hi = bucket / N_TOUCH_FRACTIONS, (bucket + 1) / N_TOUCH_FRACTIONS
        qty = int(np.ceil(rng.uniform(lo, hi) * touch))
        return min(max(qty, 1), max(touch - 1, 1))  # a partial take: at least one share, not the whole

    # --- cancels ----------------------------------------------------------------------------------

    def cancel(
        self,
        book: BookState,
        side: int,
        level_bucket: int,
        queue_bucket: int,
        amount_bucket: int,
        exact: np.ndarray | None,
        rng: np.random.Generator,
    ) -> DecodedOrder | None:
        """The CANCEL (or REDUCE) of one own order of ``side``, or None when it names none."""
        sc, lv, bk, od = book.scalars, book.levels, book.blocks, book.orders
        n = own_levels(sc, lv, od, bk, side, self.owner_lo, self.owner_hi, self._behind, self._count)
        if n == 0:
            self.noop_cancels += 1
            return None
        behind, count = self._behind[:n], self._count[:n]
        touch = int(sc[BEST_BID] if side > 0 else sc[BEST_ASK])
        chosen, named = -1, False
        if exact is not None:
            hit = np.flatnonzero(behind == exact[X_OFFSET])
            if len(hit) and exact[X_QUEUE] < count[hit[0]]:
                chosen, index, named = int(hit[0]), int(exact[X_QUEUE]), True
            else:
                self.inexact_cancels += 1
        if chosen < 0:
            chosen = self._pick_level(behind, level_bucket, rng)
            if chosen < 0:
                self.noop_cancels += 1
                return None
            index = _queue_index(queue_bucket, int(count[chosen]), rng)
        level = touch - int(behind[chosen]) if side > 0 else touch + int(behind[chosen])
        own_order_at(lv, od, level, self.owner_lo, self.owner_hi, index, self._order)
        order_id, owner, remaining = (int(v) for v in self._order)
        if named:
            amount = int(exact[X_QTY])
        else:
            amount = 0 if amount_bucket == 0 else draw_qty(rng, amount_bucket - 1)
        if amount >= remaining:
            self.partial_as_full += 1
            amount = 0
        if amount == 0:
            return DecodedOrder(MsgKind.CANCEL, side, order_id=order_id, owner=owner)
        return DecodedOrder(MsgKind.REDUCE, side, qty=amount, order_id=order_id, owner=owner)

    @staticmethod
    def _pick_level(behind: np.ndarray, bucket: int, rng: np.random.Generator) -> int:
        """A uniformly drawn index into ``behind`` (own levels) inside the level bucket, -1 if none."""
        lo, hi = CANCEL_LEVEL_LO[bucket], CANCEL_LEVEL_HI[bucket]
        inside = np.flatnonzero((behind >= lo) & (behind <= hi))
        if len(inside):
            return int(inside[rng.integers(len(inside))])
        return -1


def _queue_index(bucket: int, count: int, rng: np.random.Generator) -> int:
    """The queue index (front first) a queue bucket names among ``count`` own orders at a level."""
    if bucket <= 2:
        return max(count - 1 - bucket, 0)
    if bucket <= 5:
        return min(bucket - 3, count - 1)
    if count >= 7:
        return int(rng.integers(3, count - 3))
    return int(rng.integers(count))


def _touch(book: BookState) -> tuple[int | None, int | None]:
    sc = book.scalars
    bid = int(sc[BEST_BID]) if sc[N_BID_ORDERS] > 0 else None
    ask = int(sc[BEST_ASK]) if sc[N_ASK_ORDERS] > 0 else None
    return bid, ask


def last_two_sided_mid(rows: np.ndarray, tick_size: int, min_price: int) -> int | None:
    """The mid tick (exchange ticks, rounded down) of the last two-sided LOBSTER book row, None if none."""
    two = np.flatnonzero((rows[:, 1] > 0) & (rows[:, 3] > 0))
    if not len(two):
        return None
    r = rows[two[-1]]
    return (int(r[0]) // tick_size + int(r[2]) // tick_size) // 2 - min_price
