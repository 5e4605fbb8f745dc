"""Preallocated state of one limit order book: five NumPy arrays.

Price levels are indexed directly by tick (``0..n_levels-1``); a level holds a doubly linked FIFO of order
slots. Orders live in fixed slots of a 2-D table (one row per order, a free list threaded through the
``O_NEXT`` column); order ids map to slots through a table keyed by the id modulo its size, so ids grow
without bound.

Why a few 2-D tables rather than one array per field: Numba reference-counts every array argument on each
call of a kernel, and a namedtuple of eighteen arrays cost ~200 ns per call in measurements; five arrays
passed explicitly (with NRT off in the kernels) cost nothing. A row per order also keeps one order's fields
in one or two cache lines, which is what matching touches.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .types import Stp

BLOCK_SHIFT = 6  # levels are grouped in blocks of 64 so empty stretches are skipped quickly

# scalars: indices into BookState.scalars
CLOCK = 0
NEXT_ID = 1
BEST_BID = 2  # -1 when the bid side is empty
BEST_ASK = 3  # n_levels when the ask side is empty
N_BID_ORDERS = 4
N_ASK_ORDERS = 5
N_FREE = 6  # number of free order slots
FREE_HEAD = 7  # first free slot (-1 when none)
LAST_PRICE = 8  # -1 before the first trade
LAST_QTY = 9
LAST_TIME = 10
LAST_SIDE = 11  # aggressor side of the last trade
VOLUME_BUY = 12  # lots traded with a buy aggressor
VOLUME_SELL = 13
N_TRADES = 14
STP = 15
N_LEVELS = 16
HASH_MAX_PROBE = 17  # longest displacement of an id from its home bucket so far
N_SCALARS = 18

# levels: columns of BookState.levels (one row per tick)
L_HEAD = 0  # first slot in the queue, -1 if empty
L_TAIL = 1
L_QTY = 2  # resting lots
L_COUNT = 3  # resting orders

# orders: columns of BookState.orders (one row per slot)
O_ID = 0
O_OWNER = 1
O_SIDE = 2
O_PRICE = 3
O_REMAINING = 4
O_QTY = 5  # size when it (last) entered the book
O_TIME = 6  # time it (last) entered the book
O_PREV = 7
O_NEXT = 8  # next in its level's queue, or next free slot
N_ORDER_FIELDS = 9

# table: columns of BookState.table
H_KEY = 0
H_SLOT = 1


class BookState(NamedTuple):
    """The arrays of one book, in the argument order of the kernels."""

    scalars: np.ndarray  # int64[N_SCALARS]
    levels: np.ndarray  # int64[n_levels, 4]
    blocks: np.ndarray  # int64[n_levels // 64 + 1], resting orders per block of 64 levels
    orders: np.ndarray  # int64[max_orders, N_ORDER_FIELDS]
    table: np.ndarray  # int64[hash_size, 2], order id -> slot (key 0 = empty bucket)


def new_book(n_levels: int, max_orders: int, stp: int = Stp.NONE) -> BookState:
    """Allocate an empty book of ``n_levels`` ticks holding at most ``max_orders`` resting orders."""
    if n_levels < 2:
        raise ValueError(f"n_levels must be at least 2, got {n_levels}")
    if max_orders < 1:
        raise ValueError(f"max_orders must be positive, got {max_orders}")
    if int(stp) not in {int(s) for s in Stp}:
        raise ValueError(f"stp must be one of {[s.name for s in Stp]}, got {stp!r}")
    hash_size = 1
    while hash_size < 2 * max_orders:
        hash_size *= 2
    scalars = np.zeros(N_SCALARS, np.int64)
    scalars[NEXT_ID] = 1
    scalars[BEST_BID] = -1
    scalars[BEST_ASK] = n_levels
    scalars[N_FREE] = max_orders
    scalars[FREE_HEAD] = 0
    scalars[LAST_PRICE] = -1
    scalars[STP] = int(stp)
    scalars[N_LEVELS] = n_levels
    levels = np.zeros((n_levels, 4), np.int64)
    levels[:, L_HEAD] = -1
    levels[:, L_TAIL] = -1
    orders = np.zeros((max_orders, N_ORDER_FIELDS), np.int64)
    orders[:, O_PREV] = -1
    orders[:, O_NEXT] = np.arange(1, max_orders + 1)  # free list 0 -> 1 -> ... -> max_orders-1 -> -1
    orders[-1, O_NEXT] = -1
    table = np.zeros((hash_size, 2), np.int64)
    table[:, H_SLOT] = -1
    return BookState(scalars, levels, np.zeros((n_levels >> BLOCK_SHIFT) + 1, np.int64), orders, table)


def copy_book(book: BookState) -> BookState:
    """A deep copy (for checkpoints and tests; never on a hot path)."""
    return BookState(*(a.copy() for a in book))
