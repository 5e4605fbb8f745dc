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

Nothing here crosses the book or touches another participant's orders. The decoding itself is Numba
(:mod:`.kernels`, which a generator session calls directly); this module is its Python API.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exchange.book import BookState
from . import decoding
from .decoding import own_levels, own_order_at
from .session_state import G_CLIPPED, G_INEXACT, G_NOOP_CANCELS, G_NOOP_MARKETS, G_PARTIAL, new_state
from .spec import X_QTY

__all__ = [
    "DecodedOrder",
    "OrderDecoder",
    "draw_delay_ns",
    "draw_qty",
    "own_levels",
    "own_order_at",
]

_NO_EXACT = np.zeros(4, np.int64)


def draw_qty(rng: np.random.Generator, bucket: int) -> int:
    """Shares drawn uniformly in a ``SIZE_EDGES`` bucket."""
    return int(decoding.draw_qty(rng, int(bucket)))


def draw_delay_ns(rng: np.random.Generator, bucket: int) -> int:
    """Nanoseconds drawn log-uniformly in a ``DELAY_EDGES_NS`` bucket (bucket 0: exactly 0)."""
    return int(decoding.draw_delay_ns(rng, int(bucket)))


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
        state: a session state of :func:`.session_state.new_state` to share counters with (a generator
            session's own decoder); a new one by default.
    """

    def __init__(self, owners: range, capacity: int, n_levels: int, state: tuple | None = None) -> None:
        self.owner_lo, self.owner_hi = owners.start, owners.stop
        self.n_levels = int(n_levels)
        if state is None:
            state = new_state(owners.start, len(owners), n_levels, 0, 0, 1, 0)
            state = (
                *state[:10],
                np.zeros(capacity + 1, np.int64),
                np.zeros(capacity + 1, np.int64),
                *state[12:],
            )
        self._gi, self._behind, self._count, self._order = state[0], state[10], state[11], state[12]
        self.reset()

    def reset(self) -> None:
        """Every counter to zero."""
        for slot in (G_CLIPPED, G_NOOP_CANCELS, G_INEXACT, G_PARTIAL, G_NOOP_MARKETS):
            self._gi[slot] = 0

    @property
    def clipped(self) -> int:
        """Limit prices moved (a crossing price, or a bucket the spread cannot hold)."""
        return int(self._gi[G_CLIPPED])

    @property
    def noop_cancels(self) -> int:
        """Cancels that named no own order (nothing sent)."""
        return int(self._gi[G_NOOP_CANCELS])

    @property
    def inexact_cancels(self) -> int:
        """Exact cancels that named no own order and fell back to their buckets."""
        return int(self._gi[G_INEXACT])

    @property
    def partial_as_full(self) -> int:
        """Partial cancels of at least the order's size, sent as full cancels."""
        return int(self._gi[G_PARTIAL])

    @property
    def noop_markets(self) -> int:
        """Market orders into an empty opposite side (nothing sent)."""
        return int(self._gi[G_NOOP_MARKETS])

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
        has_offset = offset is not None
        return int(
            decoding.limit_price(
                book.scalars, int(side), int(bucket), int(offset) if has_offset else 0, has_offset, rng,
                int(anchor), self.n_levels, self._gi,
            )
        )  # fmt: skip

    def market_qty(
        self, book: BookState, side: int, bucket: int, exact: np.ndarray | None, rng: np.random.Generator
    ) -> int:
        """The shares of a market order of ``side`` (+1 buy) in ``market_size`` ``bucket`` (exact when
        given), against the shares resting at the opposite touch: 0 (nothing to send, counted in
        ``noop_markets``) when that side is empty."""
        has_exact = exact is not None
        qty = int(exact[X_QTY]) if has_exact else 0
        return int(
            decoding.market_qty(
                book.scalars, book.levels, int(side), int(bucket), has_exact, qty, rng, self._gi
            )
        )

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
        fields = np.array([level_bucket, queue_bucket, amount_bucket], np.int64)
        has_exact = exact is not None
        row = np.asarray(exact, np.int64) if has_exact else _NO_EXACT
        kind, order_id, owner, qty = decoding.cancel(
            book.scalars, book.levels, book.blocks, book.orders, int(side), fields, has_exact, row, rng,
            self._gi, self._behind, self._count, self._order,
        )  # fmt: skip
        if kind < 0:
            return None
        return DecodedOrder(int(kind), int(side), qty=int(qty), order_id=int(order_id), owner=int(owner))
