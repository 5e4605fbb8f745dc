"""Numba kernels of the matching engine: pure functions over the five arrays of a ``BookState``.

The semantics (events, their order, reason codes) are specified in ``types.py``. Every kernel takes the
book as ``sc, lv, bk, od, ht`` (scalars, levels, blocks, orders, hash table: ``*book``). Other Numba code
(the background world) calls ``process_message`` directly; Python calls ``process_batch``. The book's
storage (hash table, level queues, depth reads) is in ``levels.py``; its public kernels are re-exported
here.

The kernels run with Numba's reference counting off (``_nrt=False``): they never allocate, and the
incref/decref of array arguments otherwise costs more than the matching itself.
"""

from __future__ import annotations

from .book import (
    BEST_ASK,
    BEST_BID,
    CLOCK,
    FREE_HEAD,
    L_HEAD,
    L_QTY,
    LAST_PRICE,
    LAST_QTY,
    LAST_SIDE,
    LAST_TIME,
    N_ASK_ORDERS,
    N_BID_ORDERS,
    N_FREE,
    N_LEVELS,
    N_TRADES,
    NEXT_ID,
    O_ID,
    O_NEXT,
    O_OWNER,
    O_PRICE,
    O_QTY,
    O_REMAINING,
    O_SIDE,
    O_TIME,
    STP,
    VOLUME_BUY,
    VOLUME_SELL,
)
from .levels import (
    append_order,
    depth,
    find_slot,
    hash_insert,
    hot,
    kernel,
    level_orders,
    next_ask_level,
    next_bid_level,
    release_slot,
    unlink_order,
)
from .types import MAX_QTY, EventKind, Flag, MsgKind, Reason, Status, Stp

# --- events ----------------------------------------------------------------------------------------


@hot
def _emit(
    ev, n, kind, time, msg_index, order_id, owner, side, price, qty, remaining, other_id, other_owner, reason
):
    e = ev[n]
    e["kind"] = kind
    e["time"] = time
    e["msg_index"] = msg_index
    e["order_id"] = order_id
    e["owner"] = owner
    e["side"] = side
    e["price"] = price
    e["qty"] = qty
    e["remaining"] = remaining
    e["other_id"] = other_id
    e["other_owner"] = other_owner
    e["reason"] = reason
    return n + 1


@hot
def events_needed(sc, kind, side, qty):
    """An upper bound on the events one message can write (three per match plus a few)."""
    if kind == MsgKind.CANCEL or kind == MsgKind.REDUCE:
        return 1
    opposite = sc[N_ASK_ORDERS] if side > 0 else sc[N_BID_ORDERS]
    if kind == MsgKind.MODIFY:
        opposite = sc[N_ASK_ORDERS] + sc[N_BID_ORDERS]
    # each match consumes at least one lot, except self-trade cancels of resting orders
    if qty > 0 and qty < opposite and sc[STP] != Stp.CANCEL_RESTING:
        opposite = qty
    return 3 * opposite + 4


# --- matching --------------------------------------------------------------------------------------


@hot
def _match(sc, lv, bk, od, ht, ev, n, taker_id, owner, side, limit_level, remaining, time, msg_index):
    """Match a taker against the opposite side up to ``limit_level``.

    Returns (events written, taker's remaining size, True if self-trade prevention stopped the taker:
    the caller then cancels that remaining size).
    """
    stp = sc[STP]
    while remaining > 0:
        if side > 0:
            level = sc[BEST_ASK]
            if sc[N_ASK_ORDERS] == 0 or level > limit_level:
                break
        else:
            level = sc[BEST_BID]
            if sc[N_BID_ORDERS] == 0 or level < limit_level:
                break
        maker = lv[level, L_HEAD]
        maker_owner = od[maker, O_OWNER]
        maker_id = od[maker, O_ID]
        if stp != Stp.NONE and maker_owner == owner:
            if stp == Stp.CANCEL_TAKER:
                return n, remaining, True
            n = _emit(
                ev,
                n,
                EventKind.CANCELLED,
                time,
                msg_index,
                maker_id,
                maker_owner,
                -side,
                level,
                od[maker, O_REMAINING],
                0,
                0,
                0,
                Reason.SELF_TRADE,
            )
            unlink_order(sc, lv, bk, od, maker)
            release_slot(sc, od, ht, maker)
            continue
        maker_left = od[maker, O_REMAINING]
        fill = remaining if remaining < maker_left else maker_left
        maker_left -= fill
        remaining -= fill
        n = _emit(
            ev,
            n,
            EventKind.TRADE,
            time,
            msg_index,
            maker_id,
            maker_owner,
            side,
            level,
            fill,
            maker_left,
            taker_id,
            owner,
            Reason.NONE,
        )
        n = _emit(
            ev,
            n,
            EventKind.FILL if maker_left == 0 else EventKind.PARTIAL_FILL,
            time,
            msg_index,
            maker_id,
            maker_owner,
            -side,
            level,
            fill,
            maker_left,
            taker_id,
            owner,
            Reason.NONE,
        )
        n = _emit(
            ev,
            n,
            EventKind.FILL if remaining == 0 else EventKind.PARTIAL_FILL,
            time,
            msg_index,
            taker_id,
            owner,
            side,
            level,
            fill,
            remaining,
            maker_id,
            maker_owner,
            Reason.NONE,
        )
        sc[LAST_PRICE] = level
        sc[LAST_QTY] = fill
        sc[LAST_TIME] = time
        sc[LAST_SIDE] = side
        sc[N_TRADES] += 1
        if side > 0:
            sc[VOLUME_BUY] += fill
        else:
            sc[VOLUME_SELL] += fill
        if maker_left == 0:
            unlink_order(sc, lv, bk, od, maker)
            release_slot(sc, od, ht, maker)
        else:
            od[maker, O_REMAINING] = maker_left
            lv[level, L_QTY] -= fill
    return n, remaining, False


@hot
def _enter(
    sc, lv, bk, od, ht, ev, n, order_id, slot, owner, side, is_limit, price, qty, flags, time, msg_index
):
    """Accept an order, match it, then rest (limit) or cancel (market, IOC) what is left.

    ``slot`` is -1 for a new order, else the slot a modified order keeps.
    """
    shown_price = price if is_limit else -1
    n = _emit(
        ev,
        n,
        EventKind.ACCEPTED,
        time,
        msg_index,
        order_id,
        owner,
        side,
        shown_price,
        qty,
        qty,
        0,
        0,
        Reason.NONE,
    )
    if is_limit:
        limit = price
    else:
        limit = sc[N_LEVELS] - 1 if side > 0 else 0
    n, remaining, stp_stopped = _match(
        sc, lv, bk, od, ht, ev, n, order_id, owner, side, limit, qty, time, msg_index
    )
    if remaining > 0 and (stp_stopped or not is_limit or flags == Flag.IOC):
        if stp_stopped:
            reason = Reason.SELF_TRADE
        elif not is_limit:
            reason = Reason.NO_LIQUIDITY
        else:
            reason = Reason.IOC
        n = _emit(
            ev,
            n,
            EventKind.CANCELLED,
            time,
            msg_index,
            order_id,
            owner,
            side,
            shown_price,
            remaining,
            0,
            0,
            0,
            reason,
        )
        remaining = 0
    if remaining > 0:
        if slot < 0:
            slot = sc[FREE_HEAD]
            sc[FREE_HEAD] = od[slot, O_NEXT]
            sc[N_FREE] -= 1
            hash_insert(sc, ht, order_id, slot)
        od[slot, O_ID] = order_id
        od[slot, O_OWNER] = owner
        od[slot, O_SIDE] = side
        od[slot, O_PRICE] = price
        od[slot, O_REMAINING] = remaining
        od[slot, O_QTY] = qty
        od[slot, O_TIME] = time
        append_order(sc, lv, bk, od, slot, price)
    elif slot >= 0:
        release_slot(sc, od, ht, slot)
    return n


@hot
def _reject(ev, n, time, msg_index, order_id, owner, side, price, qty, reason):
    return _emit(
        ev, n, EventKind.REJECTED, time, msg_index, order_id, owner, side, price, qty, 0, 0, 0, reason
    )


@hot
def _crosses(sc, side, price):
    if side > 0:
        return sc[N_ASK_ORDERS] > 0 and sc[BEST_ASK] <= price
    return sc[N_BID_ORDERS] > 0 and sc[BEST_BID] >= price


@hot
def _new_order_reason(sc, is_limit, side, price, qty, flags):
    """Why a new limit/market order must be rejected, or ``Reason.NONE``."""
    if side != 1 and side != -1:
        return Reason.BAD_SIDE
    if qty <= 0 or qty > MAX_QTY:
        return Reason.BAD_QTY
    if is_limit and (price < 0 or price >= sc[N_LEVELS]):
        return Reason.BAD_PRICE
    if is_limit and (flags < Flag.GTC or flags > Flag.POST_ONLY):
        return Reason.BAD_FLAGS
    if not is_limit and flags != 0:
        return Reason.BAD_FLAGS
    if is_limit and flags == Flag.POST_ONLY and _crosses(sc, side, price):
        return Reason.WOULD_CROSS
    return Reason.NONE


@hot
def process_message(
    sc, lv, bk, od, ht, kind, side, owner, order_id, price, qty, flags, time, ev, n, msg_index
):
    """Apply one message to the book, writing its events into ``ev`` from index ``n``.

    Returns (status, events written so far). The caller guarantees room for ``events_needed`` events;
    on ``Status.ORDER_CAPACITY`` nothing was changed or written.
    """
    if kind < MsgKind.LIMIT or kind > MsgKind.MODIFY:
        return Status.OK, _reject(ev, n, time, msg_index, order_id, owner, side, price, qty, Reason.BAD_KIND)
    if time < sc[CLOCK]:
        shown_id = 0 if kind == MsgKind.LIMIT or kind == MsgKind.MARKET else order_id
        return Status.OK, _reject(ev, n, time, msg_index, shown_id, owner, side, price, qty, Reason.BAD_TIME)

    is_limit = kind == MsgKind.LIMIT
    if is_limit or kind == MsgKind.MARKET:
        reason = _new_order_reason(sc, is_limit, side, price, qty, flags)
        if reason == Reason.NONE and is_limit and sc[N_FREE] == 0:
            return Status.ORDER_CAPACITY, n  # before anything changes, the clock included
        sc[CLOCK] = time
        if reason != Reason.NONE:
            return Status.OK, _reject(ev, n, time, msg_index, 0, owner, side, price, qty, reason)
        order_id = sc[NEXT_ID]
        sc[NEXT_ID] = order_id + 1
        slot = -1
    else:
        # CANCEL, REDUCE, MODIFY: all refer to a live order of the sender
        sc[CLOCK] = time
        slot = find_slot(sc, ht, order_id)
        if slot < 0:
            reason = Reason.UNKNOWN_ORDER
        elif od[slot, O_OWNER] != owner:
            reason = Reason.NOT_OWNER
        elif kind == MsgKind.REDUCE and (qty <= 0 or qty >= od[slot, O_REMAINING]):
            reason = Reason.BAD_QTY
        elif kind == MsgKind.MODIFY and (qty <= 0 or qty > MAX_QTY):
            reason = Reason.BAD_QTY
        elif kind == MsgKind.MODIFY and (price < 0 or price >= sc[N_LEVELS]):
            reason = Reason.BAD_PRICE
        elif kind == MsgKind.MODIFY and price == od[slot, O_PRICE] and qty == od[slot, O_REMAINING]:
            reason = Reason.NO_CHANGE
        else:
            reason = Reason.NONE
        if reason != Reason.NONE:
            return Status.OK, _reject(ev, n, time, msg_index, order_id, owner, side, price, qty, reason)
        o_side = od[slot, O_SIDE]
        o_price = od[slot, O_PRICE]
        o_left = od[slot, O_REMAINING]
        if kind == MsgKind.REDUCE or (kind == MsgKind.MODIFY and price == o_price and qty < o_left):
            removed = qty if kind == MsgKind.REDUCE else o_left - qty  # smaller size, same price: a reduce
            od[slot, O_REMAINING] = o_left - removed
            lv[o_price, L_QTY] -= removed
            return Status.OK, _emit(
                ev,
                n,
                EventKind.REDUCED,
                time,
                msg_index,
                order_id,
                owner,
                o_side,
                o_price,
                removed,
                o_left - removed,
                0,
                0,
                Reason.NONE,
            )
        # CANCEL; or MODIFY to a new price or a larger size: cancel, then enter again (same id and slot)
        is_cancel = kind == MsgKind.CANCEL
        n = _emit(
            ev,
            n,
            EventKind.CANCELLED,
            time,
            msg_index,
            order_id,
            owner,
            o_side,
            o_price,
            o_left,
            0,
            0,
            0,
            Reason.USER if is_cancel else Reason.REPLACED,
        )
        unlink_order(sc, lv, bk, od, slot)
        if is_cancel:
            release_slot(sc, od, ht, slot)
            return Status.OK, n
        side = o_side
        is_limit = True
        flags = 0  # Flag.GTC: a modified order rests (an int literal keeps the type unifiable)
    return Status.OK, _enter(
        sc, lv, bk, od, ht, ev, n, order_id, slot, owner, side, is_limit, price, qty, flags, time, msg_index
    )


@kernel
def process_batch(sc, lv, bk, od, ht, msgs, start, ev, n_events):
    """Apply ``msgs[start:]`` in order until done or stopped, writing events from ``ev[n_events]`` on.

    Returns (status, index of the first message not applied, events in ``ev`` now). ``EVENT_BUFFER_FULL``
    means the next message might not fit in what is left of ``ev``: drain or grow it and call again.
    """
    n = n_events
    cap = ev.shape[0]
    for i in range(start, msgs.shape[0]):
        m = msgs[i]
        if cap - n < events_needed(sc, m["kind"], m["side"], m["qty"]):
            return Status.EVENT_BUFFER_FULL, i, n
        status, n = process_message(
            sc,
            lv,
            bk,
            od,
            ht,
            m["kind"],
            m["side"],
            m["owner"],
            m["order_id"],
            m["price"],
            m["qty"],
            m["flags"],
            m["time"],
            ev,
            n,
            i,
        )
        if status != Status.OK:
            return status, i, n
    return Status.OK, msgs.shape[0], n


__all__ = [
    "depth",
    "events_needed",
    "find_slot",
    "level_orders",
    "next_ask_level",
    "next_bid_level",
    "process_batch",
    "process_message",
]
