"""The book's storage in Numba: the order-id -> slot hash table, the price levels' FIFO queues and the
market-data reads (depth, a level's orders), over the arrays of a ``BookState``. The matching engine
(``kernels.py``) moves orders through these; Python reads the book through ``depth`` and ``level_orders``.
"""

from __future__ import annotations

from numba import njit

from .book import (
    BEST_ASK,
    BEST_BID,
    BLOCK_SHIFT,
    FREE_HEAD,
    H_KEY,
    H_SLOT,
    HASH_MAX_PROBE,
    L_COUNT,
    L_HEAD,
    L_QTY,
    L_TAIL,
    N_ASK_ORDERS,
    N_BID_ORDERS,
    N_FREE,
    N_LEVELS,
    O_ID,
    O_NEXT,
    O_OWNER,
    O_PREV,
    O_PRICE,
    O_REMAINING,
    O_SIDE,
)

__all__ = [
    "append_order",
    "depth",
    "find_slot",
    "hash_delete",
    "hash_insert",
    "hot",
    "kernel",
    "level_orders",
    "next_ask_level",
    "next_bid_level",
    "release_slot",
    "unlink_order",
]

_BLOCK_MASK = (1 << BLOCK_SHIFT) - 1
_BLOCK_SIZE = 1 << BLOCK_SHIFT

kernel = njit(cache=True, _nrt=False)
# Small helpers and the single-call-site steps of a message are inlined into ``process_message``: a Numba
# call passes every array as a 7-word struct, and across the hot path that cost was half the time.
hot = njit(cache=True, _nrt=False, inline="always")


# --- order id -> slot table ---------------------------------------------------------------------
# Ids are handed out sequentially and live ids are mostly recent, so an id's home bucket is the id itself
# modulo the table size (twice the order capacity): neighbouring ids share cache lines and almost never
# collide. An id whose home is taken goes to the next free bucket; the table remembers the longest such
# displacement (HASH_MAX_PROBE), so a look-up probes at most that far and a deletion just empties its
# bucket (no tombstones, no backward shifting through long runs of consecutive ids).


@hot
def find_slot(sc, ht, order_id):
    """Slot of a live order, or -1 if no live order has this id."""
    if order_id <= 0:
        return -1
    mask = ht.shape[0] - 1
    for d in range(sc[HASH_MAX_PROBE] + 1):
        i = (order_id + d) & mask
        if ht[i, H_KEY] == order_id:
            return ht[i, H_SLOT]
    return -1


@hot
def hash_insert(sc, ht, order_id, slot):
    mask = ht.shape[0] - 1
    d = 0
    while ht[(order_id + d) & mask, H_KEY] != 0:
        d += 1
    i = (order_id + d) & mask
    ht[i, H_KEY] = order_id
    ht[i, H_SLOT] = slot
    if d > sc[HASH_MAX_PROBE]:
        sc[HASH_MAX_PROBE] = d


@hot
def hash_delete(sc, ht, order_id):
    mask = ht.shape[0] - 1
    for d in range(sc[HASH_MAX_PROBE] + 1):
        i = (order_id + d) & mask
        if ht[i, H_KEY] == order_id:
            ht[i, H_KEY] = 0
            ht[i, H_SLOT] = -1
            return


# --- price levels ----------------------------------------------------------------------------------


@kernel
def next_bid_level(sc, lv, bk, start):
    """Highest non-empty level at or below ``start`` (only bids rest there), or -1."""
    if sc[N_BID_ORDERS] == 0:
        return -1
    i = start
    while i >= 0:
        if lv[i, L_COUNT] > 0:
            return i
        if (i & _BLOCK_MASK) == 0:
            i -= 1
            while i >= 0 and bk[i >> BLOCK_SHIFT] == 0:
                i -= _BLOCK_SIZE
        else:
            i -= 1
    return -1


@kernel
def next_ask_level(sc, lv, bk, start):
    """Lowest non-empty level at or above ``start`` (only asks rest there), or n_levels."""
    n_levels = sc[N_LEVELS]
    if sc[N_ASK_ORDERS] == 0:
        return n_levels
    i = start
    while i < n_levels:
        if lv[i, L_COUNT] > 0:
            return i
        if (i & _BLOCK_MASK) == _BLOCK_MASK:
            i += 1
            while i < n_levels and bk[i >> BLOCK_SHIFT] == 0:
                i += _BLOCK_SIZE
        else:
            i += 1
    return n_levels


@hot
def append_order(sc, lv, bk, od, slot, level):
    """Put a slot at the back of a level's queue and update best prices."""
    tail = lv[level, L_TAIL]
    od[slot, O_PREV] = tail
    od[slot, O_NEXT] = -1
    if tail >= 0:
        od[tail, O_NEXT] = slot
    else:
        lv[level, L_HEAD] = slot
    lv[level, L_TAIL] = slot
    lv[level, L_QTY] += od[slot, O_REMAINING]
    lv[level, L_COUNT] += 1
    bk[level >> BLOCK_SHIFT] += 1
    if od[slot, O_SIDE] > 0:
        sc[N_BID_ORDERS] += 1
        if level > sc[BEST_BID]:
            sc[BEST_BID] = level
    else:
        sc[N_ASK_ORDERS] += 1
        if level < sc[BEST_ASK]:
            sc[BEST_ASK] = level


@hot
def unlink_order(sc, lv, bk, od, slot):
    """Take a slot out of its level's queue (its remaining size leaves the level) and fix best prices."""
    level = od[slot, O_PRICE]
    prev = od[slot, O_PREV]
    nxt = od[slot, O_NEXT]
    if prev >= 0:
        od[prev, O_NEXT] = nxt
    else:
        lv[level, L_HEAD] = nxt
    if nxt >= 0:
        od[nxt, O_PREV] = prev
    else:
        lv[level, L_TAIL] = prev
    lv[level, L_QTY] -= od[slot, O_REMAINING]
    lv[level, L_COUNT] -= 1
    bk[level >> BLOCK_SHIFT] -= 1
    if od[slot, O_SIDE] > 0:
        sc[N_BID_ORDERS] -= 1
        if lv[level, L_COUNT] == 0 and level == sc[BEST_BID]:
            sc[BEST_BID] = next_bid_level(sc, lv, bk, level - 1)
    else:
        sc[N_ASK_ORDERS] -= 1
        if lv[level, L_COUNT] == 0 and level == sc[BEST_ASK]:
            sc[BEST_ASK] = next_ask_level(sc, lv, bk, level + 1)


@hot
def release_slot(sc, od, ht, slot):
    """Return a slot (already unlinked) to the free list and forget its id."""
    hash_delete(sc, ht, od[slot, O_ID])
    od[slot, O_NEXT] = sc[FREE_HEAD]
    sc[FREE_HEAD] = slot
    sc[N_FREE] += 1


# --- market data -----------------------------------------------------------------------------------


@kernel
def depth(sc, lv, bk, side, k, out_price, out_qty, out_count):
    """Fill the first ``k`` non-empty levels of one side (best first); returns how many were found."""
    found = 0
    if side > 0:
        level = sc[BEST_BID] if sc[N_BID_ORDERS] > 0 else -1
        while level >= 0 and found < k:
            out_price[found] = level
            out_qty[found] = lv[level, L_QTY]
            out_count[found] = lv[level, L_COUNT]
            found += 1
            level = next_bid_level(sc, lv, bk, level - 1)
    else:
        n_levels = sc[N_LEVELS]
        level = sc[BEST_ASK] if sc[N_ASK_ORDERS] > 0 else n_levels
        while level < n_levels and found < k:
            out_price[found] = level
            out_qty[found] = lv[level, L_QTY]
            out_count[found] = lv[level, L_COUNT]
            found += 1
            level = next_ask_level(sc, lv, bk, level + 1)
    return found


@kernel
def level_orders(lv, od, level, out_id, out_owner, out_remaining):
    """Fill the orders queued at one level in time priority; returns how many."""
    slot = lv[level, L_HEAD]
    i = 0
    while slot >= 0:
        out_id[i] = od[slot, O_ID]
        out_owner[i] = od[slot, O_OWNER]
        out_remaining[i] = od[slot, O_REMAINING]
        i += 1
        slot = od[slot, O_NEXT]
    return i
