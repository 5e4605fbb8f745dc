"""The world's door to the exchange: apply one message and record what it did, in Numba.

Each applied message is turned into LOBSTER-convention rows (executions of resting orders, deletes,
partial cancels, then the new resting order if any), the level-k book after each row (kept by a shadow
level-2 book, so a sweep's intermediate books are exact), and trade rows. Also the event queue.
"""

from __future__ import annotations

from numba import njit

from ..exchange.book import (
    BEST_ASK,
    BEST_BID,
    L_COUNT,
    L_QTY,
    N_ASK_ORDERS,
    N_BID_ORDERS,
    NEXT_ID,
    O_REMAINING,
    O_SIDE,
    VOLUME_BUY,
    VOLUME_SELL,
)
from ..exchange.kernels import depth, find_slot, next_ask_level, next_bid_level, process_message
from ..exchange.types import EventKind, MsgKind, Reason, Status
from .layout import (
    A_IMB_ON,
    A_IMB_SIDE,
    A_LATENCY,
    A_N_OPEN,
    ASK_DUMMY,
    BID_DUMMY,
    H_PAYLOAD,
    H_SEQ,
    H_TIME,
    IMBALANCE,
    LOBSTER_PRICE_PER_CENT,
    MAX_OPEN_ORDERS,
    W_HEAP_N,
    W_MIN_PRICE,
    W_MM_COUNT,
    W_MM_FIRST,
    W_N_MESSAGES,
    W_N_REC,
    W_N_REJECTED,
    W_N_TRADES,
    W_REC_LEVELS,
    W_SEQ,
    W_STATUS_AGENT,
    WF_IMB_THRESHOLD,
    WorldStatus,
)

kernel = njit(cache=True, _nrt=False)

# The shadow book keeps each side's total resting volume in these (otherwise unused) scalar slots.
SHADOW_BID_TOTAL = VOLUME_BUY
SHADOW_ASK_TOTAL = VOLUME_SELL

# --- event queue: a binary min-heap of (time, seq, payload) rows --------------------------------------


@kernel
def _before(heap, a, b):
    return heap[a, H_TIME] < heap[b, H_TIME] or (
        heap[a, H_TIME] == heap[b, H_TIME] and heap[a, H_SEQ] < heap[b, H_SEQ]
    )


@kernel
def _swap(heap, a, b):
    for c in range(3):
        tmp = heap[a, c]
        heap[a, c] = heap[b, c]
        heap[b, c] = tmp


@kernel
def heap_push(ws, heap, time, payload):
    """Schedule ``payload`` at ``time``; False if the queue is full."""
    n = ws[W_HEAP_N]
    if n >= heap.shape[0]:
        return False
    heap[n, H_TIME] = time
    heap[n, H_SEQ] = ws[W_SEQ]
    heap[n, H_PAYLOAD] = payload
    ws[W_SEQ] += 1
    ws[W_HEAP_N] = n + 1
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(heap, i, parent):
            break
        _swap(heap, i, parent)
        i = parent
    return True


@kernel
def heap_push_all(ws, heap, times, payloads):
    """Schedule many entries in order; False if the queue fills up."""
    for i in range(times.shape[0]):
        if not heap_push(ws, heap, times[i], payloads[i]):
            return False
    return True


@kernel
def heap_pop(ws, heap):
    """Remove the earliest entry; returns its (time, payload). The queue must not be empty."""
    time = heap[0, H_TIME]
    payload = heap[0, H_PAYLOAD]
    n = ws[W_HEAP_N] - 1
    ws[W_HEAP_N] = n
    for c in range(3):
        heap[0, c] = heap[n, c]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        child = left
        if left + 1 < n and _before(heap, left + 1, left):
            child = left + 1
        if not _before(heap, child, i):
            break
        _swap(heap, i, child)
        i = child
    return time, payload


@kernel
def schedule(ws, heap, agent, time, what):
    """Queue ``what`` (layout.WAKE/DELIVER/ACT/IMBALANCE) for ``index`` at ``time``."""
    if not heap_push(ws, heap, time, agent * 4 + what):
        ws[W_STATUS_AGENT] = agent
        return WorldStatus.QUEUE_FULL
    return WorldStatus.OK


@kernel
def check_imbalance(ssc, ws, wf, heap, ag_i, time):
    """After each message: tell market makers of book-imbalance events (ABIDES' subscription): start when
    1 - min(bid, ask volume) / max(...) exceeds the threshold or its side flips; finish when it falls back."""
    bid_total = ssc[SHADOW_BID_TOTAL]
    ask_total = ssc[SHADOW_ASK_TOTAL]
    if bid_total == ask_total:
        imb = 0.0
        side = 0
    else:
        imb = 1.0 - min(bid_total, ask_total) / max(bid_total, ask_total)
        side = 1 if bid_total > ask_total else -1
    threshold = wf[WF_IMB_THRESHOLD]
    for agent in range(ws[W_MM_FIRST], ws[W_MM_FIRST] + ws[W_MM_COUNT]):
        start = False
        if ag_i[agent, A_IMB_ON]:
            if imb <= threshold:
                ag_i[agent, A_IMB_ON] = 0
            elif side != ag_i[agent, A_IMB_SIDE]:
                start = True
        elif imb > threshold:
            start = True
        if start:
            ag_i[agent, A_IMB_ON] = 1
            ag_i[agent, A_IMB_SIDE] = side
            status = schedule(ws, heap, agent, time + ag_i[agent, A_LATENCY], IMBALANCE)
            if status != WorldStatus.OK:
                return status
    return WorldStatus.OK


# --- shadow level-2 book ---------------------------------------------------------------------------


@kernel
def _shadow_change(ssc, slv, sbk, level, side, dqty, dcount):
    """Add ``dqty`` lots and ``dcount`` orders at a level of one side, keeping best prices."""
    was_empty = slv[level, L_COUNT] == 0
    slv[level, L_QTY] += dqty
    slv[level, L_COUNT] += dcount
    sbk[level >> 6] += dcount
    if side > 0:
        ssc[SHADOW_BID_TOTAL] += dqty
        ssc[N_BID_ORDERS] += dcount
        if dcount > 0 and (was_empty and level > ssc[BEST_BID]):
            ssc[BEST_BID] = level
        elif slv[level, L_COUNT] == 0 and level == ssc[BEST_BID]:
            ssc[BEST_BID] = next_bid_level(ssc, slv, sbk, level - 1)
    else:
        ssc[SHADOW_ASK_TOTAL] += dqty
        ssc[N_ASK_ORDERS] += dcount
        if dcount > 0 and (was_empty and level < ssc[BEST_ASK]):
            ssc[BEST_ASK] = level
        elif slv[level, L_COUNT] == 0 and level == ssc[BEST_ASK]:
            ssc[BEST_ASK] = next_ask_level(ssc, slv, sbk, level + 1)


@kernel
def _record_row(
    ws, ssc, slv, sbk, rec, rec_book, scratch, time, lob_type, order_id, size, level, direction, owner
):
    """Record one LOBSTER-convention row with the (shadow) book after it; the caller updated the shadow."""
    r = ws[W_N_REC]
    row = rec[r]
    row["time"] = time
    row["type"] = lob_type
    row["order_id"] = order_id
    row["size"] = size
    row["price"] = (level + ws[W_MIN_PRICE]) * LOBSTER_PRICE_PER_CENT
    row["direction"] = direction
    row["owner"] = owner
    k = ws[W_REC_LEVELS]
    for side_i in range(2):
        side = -1 if side_i == 0 else 1  # asks first, as LOBSTER orders the columns
        found = depth(ssc, slv, sbk, side, k, scratch[0], scratch[1], scratch[2])
        for j in range(k):
            base = 4 * j + 2 * side_i
            if j < found:
                rec_book[r, base] = (scratch[0, j] + ws[W_MIN_PRICE]) * LOBSTER_PRICE_PER_CENT
                rec_book[r, base + 1] = scratch[1, j]
            else:
                rec_book[r, base] = ASK_DUMMY if side < 0 else BID_DUMMY
                rec_book[r, base + 1] = 0
    ws[W_N_REC] = r + 1


@kernel
def record_room_needed(sc):
    """Rows one message can add at most: an execution per resting order, a delete and a new order (and a
    margin). A decision of m messages needs at most this plus 4 m."""
    return sc[N_BID_ORDERS] + sc[N_ASK_ORDERS] + 4


# --- applying a message ----------------------------------------------------------------------------


@kernel
def apply_message(
    sc,
    lv,
    bk,
    od,
    ht,
    ssc,
    slv,
    sbk,
    ws,
    wf,
    heap,
    ag_i,
    ag_orders,
    ev,
    rec,
    rec_book,
    trades,
    scratch,
    kind,
    side,
    owner,
    order_id,
    price,
    qty,
    flags,
    time,
):
    """Send one message to the exchange and record its effects. ``owner`` is the agent index.

    Returns a ``WorldStatus``; the caller guaranteed record room (``record_room_needed``).
    """
    ws[W_N_MESSAGES] += 1
    new_id = sc[NEXT_ID]
    status, n = process_message(
        sc, lv, bk, od, ht, kind, side, owner, order_id, price, qty, flags, time, ev, 0, 0
    )
    if status == Status.ORDER_CAPACITY:
        ws[W_STATUS_AGENT] = owner
        return WorldStatus.ORDER_CAPACITY
    accepted_id = -1
    for k in range(n):
        e = ev[k]
        if e["kind"] == EventKind.REJECTED:
            ws[W_N_REJECTED] += 1
            if e["reason"] == Reason.BAD_PRICE:
                ws[W_STATUS_AGENT] = owner
                return WorldStatus.PRICE_OUT_OF_RANGE
        elif e["kind"] == EventKind.ACCEPTED:
            accepted_id = e["order_id"]
        elif e["kind"] == EventKind.TRADE:
            maker_side = -e["side"]
            _shadow_change(ssc, slv, sbk, e["price"], maker_side, -e["qty"], -1 if e["remaining"] == 0 else 0)
            _record_row(
                ws,
                ssc,
                slv,
                sbk,
                rec,
                rec_book,
                scratch,
                time,
                4,
                e["order_id"],
                e["qty"],
                e["price"],
                maker_side,
                e["owner"],
            )
            t = ws[W_N_TRADES]
            tr = trades[t]
            tr["time"] = time
            tr["price"] = e["price"] + ws[W_MIN_PRICE]
            tr["qty"] = e["qty"]
            tr["side"] = e["side"]
            tr["maker_id"] = e["order_id"]
            tr["taker_id"] = e["other_id"]
            tr["maker_owner"] = e["owner"]
            tr["taker_owner"] = e["other_owner"]
            ws[W_N_TRADES] = t + 1
        elif e["kind"] == EventKind.CANCELLED:
            was_resting = (
                e["reason"] == Reason.USER
                or e["reason"] == Reason.REPLACED
                or (
                    e["reason"] == Reason.SELF_TRADE
                    and e["order_id"] != new_id
                    and e["order_id"] != accepted_id
                )
            )
            if was_resting:
                _shadow_change(ssc, slv, sbk, e["price"], e["side"], -e["qty"], -1)
                _record_row(
                    ws,
                    ssc,
                    slv,
                    sbk,
                    rec,
                    rec_book,
                    scratch,
                    time,
                    3,
                    e["order_id"],
                    e["qty"],
                    e["price"],
                    e["side"],
                    e["owner"],
                )
        elif e["kind"] == EventKind.REDUCED:
            _shadow_change(ssc, slv, sbk, e["price"], e["side"], -e["qty"], 0)
            _record_row(
                ws,
                ssc,
                slv,
                sbk,
                rec,
                rec_book,
                scratch,
                time,
                2,
                e["order_id"],
                e["qty"],
                e["price"],
                e["side"],
                e["owner"],
            )
    if accepted_id > 0:
        slot = find_slot(sc, ht, accepted_id)
        if slot >= 0:
            resting_side = od[slot, O_SIDE]
            _shadow_change(ssc, slv, sbk, price, resting_side, od[slot, O_REMAINING], 1)
            _record_row(
                ws,
                ssc,
                slv,
                sbk,
                rec,
                rec_book,
                scratch,
                time,
                1,
                accepted_id,
                od[slot, O_REMAINING],
                price,
                resting_side,
                owner,
            )
            if kind == MsgKind.LIMIT:
                n_open = ag_i[owner, A_N_OPEN]
                if n_open >= MAX_OPEN_ORDERS:
                    n_open = compact_open_orders(sc, ht, ag_i, ag_orders, owner)
                    if n_open >= MAX_OPEN_ORDERS:
                        ws[W_STATUS_AGENT] = owner
                        return WorldStatus.OPEN_ORDERS_FULL
                ag_orders[owner, n_open] = accepted_id
                ag_i[owner, A_N_OPEN] = n_open + 1
    if ws[W_MM_COUNT] > 0:
        return check_imbalance(ssc, ws, wf, heap, ag_i, time)
    return WorldStatus.OK


@kernel
def compact_open_orders(sc, ht, ag_i, ag_orders, agent):
    """Drop the ids of an agent's orders that are no longer live; returns how many remain."""
    kept = 0
    for j in range(ag_i[agent, A_N_OPEN]):
        oid = ag_orders[agent, j]
        if find_slot(sc, ht, oid) >= 0:
            ag_orders[agent, kept] = oid
            kept += 1
    ag_i[agent, A_N_OPEN] = kept
    return kept


__all__ = [
    "apply_message",
    "compact_open_orders",
    "heap_pop",
    "heap_push",
    "record_room_needed",
]
