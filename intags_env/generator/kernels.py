"""Numba kernels of a generator-driven session: the decoder, the planner and the step of many sessions.

A generator session places one order per policy decision, so what it costs is what happens around each
order: decoding the action against the live book, advancing the market to the order's time, sending it
and updating the generator's state features. Done in Python that is ~1 ms an order; here it is a few
microseconds, and :func:`step_sessions` does it for N sessions in one call, so that N generators can be
stepped in lockstep with one policy evaluation for the whole batch (:mod:`.batch`).

One implementation serves every path: :class:`~.decoder.OrderDecoder` (the Python API), the policy-driven
:class:`~.background.GeneratorBackground` (a batch of one) and :class:`~.batch.GeneratorBatch`. Random
draws use the session's own ``numpy.random.Generator`` (Numba draws exactly what numpy draws), in the
order the decoder's documentation gives, so a session does not depend on the batch it runs in.

A session's generator state is a tuple of arrays (:func:`new_state`); its scalars are the ``G_*`` slots.
"""

from __future__ import annotations

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
)
from ..exchange.kernels import next_ask_level, next_bid_level
from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world.layout import A_N_OPEN, MAX_OPEN_ORDERS, W_CLOCK, W_N_REC, W_N_TRADES, WorldStatus
from ..world.loop import run_until, submit
from ..world.market import compact_open_orders, record_room_needed
from .features import _update as update_features
from .numpy_actor import actor_sample
from .spec import (
    CANCEL,
    CANCEL_LEVEL_HI,
    CANCEL_LEVEL_LO,
    DELAY_EDGES_NS,
    DELAY_FIELD,
    FAR_TICKS,
    FEATURE_NAMES,
    HISTORY,
    LIMIT_PRICE_HI,
    LIMIT_PRICE_LO,
    LIMIT_PRICE_REF,
    MARKET,
    N_FIELDS,
    N_TOUCH_FRACTIONS,
    OPPOSITE,
    SIDE_FIELD,
    SIGN_WINDOW,
    SIZE_EDGES,
    SWEEP_TOUCH,
    X_OFFSET,
    X_QTY,
    X_QUEUE,
    F,
)

# --- the generator's scalars (``state[0]``) ----------------------------------------------------------
G_SLOT = 0  # the owner slot the next new order tries first
G_N_ORDERS = 1  # actions acted on this session
G_N_CAPPED = 2  # zero delays moved past the burst cap
G_LAST_DUE = 3  # due time of the last order placed (-1: none)
G_BURST = 4  # earlier own orders at that due time
G_RECENT_POS = 5  # ring of the last MAX_BURST due times: next slot, entries
G_RECENT_N = 6
G_ANCHOR = 7  # the last two-sided mid (ticks), and the records it has looked at
G_ANCHOR_SEEN = 8
G_SEEN = 9  # records fed to the features
G_N_PLANNED = 10  # orders of the current plan, and the next one to place
G_NEXT = 11
G_CLIPPED = 12  # decoder counters (see OrderDecoder)
G_NOOP_CANCELS = 13
G_INEXACT = 14
G_PARTIAL = 15
G_NOOP_MARKETS = 16
G_OWNER_LO = 17  # the generator's exchange owners: G_OWNER_LO .. + G_N_SLOTS - 1
G_N_SLOTS = 18
G_N_LEVELS = 19
G_MIN_PRICE = 20
G_BURST_CAP = 21  # the burst contract (background.BURST_CAP, MAX_BURST, RUNAWAY_SPAN_NS)
G_MAX_BURST = 22
G_RUNAWAY_NS = 23
G_SIZE = 24

# --- step outcomes (world statuses are 0..9) ---------------------------------------------------------
NEED_ACTION = 10  # no order planned: the history is current, the policy decides next
AT_LIMIT = 11  # the next order is due after the limit; the market is at the limit
IDLE = 12  # left alone this call
RUNAWAY = 13  # MAX_BURST orders within RUNAWAY_SPAN_NS
CAPACITY = 14  # every owner slot holds MAX_OPEN_ORDERS live orders
WINDOW_FULL = 15  # the feature window must grow (Python), then call again
PLAN_FULL = 16  # an action of more orders than the plan arrays hold (Python makes room)

_ONE_SIDED_SPREAD = 16  # the spread the open inside buckets draw in when the opposite side is empty
_OPEN = 10**8  # an upper bound at or above this is open-ended
_COMPACT_AT = MAX_OPEN_ORDERS - 64  # a slot this full is compacted (dead ids dropped) before use
_TICK = 100  # LOBSTER price units per tick (the features' spread, the anchor)
_N_FEATURES = len(FEATURE_NAMES)
_LIMIT, _MARKET = int(MsgKind.LIMIT), int(MsgKind.MARKET)
_CANCEL, _REDUCE = int(MsgKind.CANCEL), int(MsgKind.REDUCE)
_GTC = int(Flag.GTC)
_SIDE = np.array([SIDE_FIELD[t] for t in range(3)])  # each type's side and delay fields
_DELAY = np.array([DELAY_FIELD[t] for t in range(3)])
_SIGN_SLOTS = SIGN_WINDOW + 3
_CANCEL_FIELDS = slice(F["cancel_level"], F["cancel_amount"] + 1)  # level, queue, amount buckets
_MARKET_SIZE, _LIMIT_PRICE, _LIMIT_SIZE = F["market_size"], F["limit_price"], F["limit_size"]


def new_state(
    owner_lo: int,
    n_slots: int,
    n_levels: int,
    min_price: int,
    burst_cap: int,
    max_burst: int,
    runaway_ns: int,
    max_plan: int = 1,
) -> tuple:
    """A session's generator state: scalars, the plan (orders, due times), the ring of recent due times,
    the feature history and the feature tracker's arrays, and the decoder's scratch."""
    capacity = n_slots * MAX_OPEN_ORDERS + 1
    gi = np.zeros(G_SIZE, np.int64)
    gi[G_OWNER_LO], gi[G_N_SLOTS], gi[G_N_LEVELS], gi[G_MIN_PRICE] = owner_lo, n_slots, n_levels, min_price
    gi[G_BURST_CAP], gi[G_MAX_BURST], gi[G_RUNAWAY_NS] = burst_cap, max_burst, runaway_ns
    return (
        gi,
        np.zeros((max_plan, N_FIELDS), np.int64),  # planned orders
        np.zeros(max_plan, np.int64),  # their due times
        np.zeros(max_burst, np.int64),  # recent due times
        np.zeros((HISTORY, _N_FEATURES), np.float32),  # the last HISTORY states, oldest first
        np.zeros(_SIGN_SLOTS, np.int64),  # feature tracker: ring of signs, next slot, count, sum
        np.zeros(4, np.int64),  # feature tracker: window lo, hi, burst, previous time
        np.full(1, np.nan),  # feature tracker: carried mid
        np.empty(256, np.int64),  # feature window times
        np.empty(256, np.float64),  # feature window mids
        np.zeros(capacity, np.int64),  # decoder scratch: own levels (ticks behind), orders there
        np.zeros(capacity, np.int64),
        np.zeros(3, np.int64),  # decoder scratch: id, owner, remaining
        np.zeros(1, MESSAGE_DTYPE),  # the message being sent
    )


def reset_state(g: tuple, anchor: int) -> None:
    """The state of a session before its first order (``anchor``: the mid a book empty on both sides
    starts from)."""
    gi = g[0]
    keep = gi[G_OWNER_LO : G_MIN_PRICE + 1].copy(), gi[G_BURST_CAP : G_RUNAWAY_NS + 1].copy()
    gi[:] = 0
    gi[G_OWNER_LO : G_MIN_PRICE + 1], gi[G_BURST_CAP : G_RUNAWAY_NS + 1] = keep
    gi[G_LAST_DUE] = -1
    gi[G_ANCHOR] = anchor
    g[4][:] = 0
    g[5][:] = 0
    g[6][:] = 0
    g[6][2] = -1
    g[7][0] = np.nan


def grow_window(g: tuple, n: int) -> tuple:
    """``g`` with a feature window large enough for ``n`` more entries (live ones moved to the front)."""
    state, t, m = g[6], g[8], g[9]
    lo, hi = int(state[0]), int(state[1])
    live, capacity = hi - lo, len(t)
    while live + n > capacity // 2:
        capacity *= 2
    new_t, new_m = np.empty(capacity, np.int64), np.empty(capacity, np.float64)
    new_t[:live], new_m[:live] = t[lo:hi], m[lo:hi]
    state[0], state[1] = 0, live
    return (*g[:8], new_t, new_m, *g[10:])


# --- draws --------------------------------------------------------------------------------------------
@njit(cache=True)
def draw_qty(rng, bucket):  # pragma: no cover - compiled
    """Shares drawn uniformly in a ``SIZE_EDGES`` bucket."""
    return rng.integers(SIZE_EDGES[bucket], SIZE_EDGES[bucket + 1])


@njit(cache=True)
def draw_delay_ns(rng, bucket):  # pragma: no cover - compiled
    """Nanoseconds drawn log-uniformly in a ``DELAY_EDGES_NS`` bucket (bucket 0: exactly 0)."""
    if bucket == 0:
        return 0
    lo, hi = np.log(DELAY_EDGES_NS[bucket]), np.log(DELAY_EDGES_NS[bucket + 1])
    return int(np.exp(rng.uniform(lo, hi)))


# --- the decoder (see decoder.py for the conventions) -------------------------------------------------
@njit(cache=True)
def limit_price(sc, side, bucket, offset, has_offset, rng, anchor, n_levels, gi):  # pragma: no cover
    """The tick of a limit order of ``side`` (+1 buy) in price ``bucket`` (``offset`` exact when
    ``has_offset``, else drawn in the bucket); never crossing (``gi[G_CLIPPED]`` counts the moved)."""
    bid_ok, ask_ok = sc[N_BID_ORDERS] > 0, sc[N_ASK_ORDERS] > 0
    bid, ask = sc[BEST_BID], sc[BEST_ASK]
    vbid, vask, vbid_ok, vask_ok = bid, ask, bid_ok, ask_ok
    if not bid_ok and not ask_ok:  # the virtual touches of spec.virtual_touches
        vbid, vask, vbid_ok, vask_ok = anchor, anchor + 1, True, True
    if side > 0:
        own, own_ok, opp, opp_ok = vbid, vbid_ok, vask, vask_ok
    else:
        own, own_ok, opp, opp_ok = vask, vask_ok, vbid, vbid_ok
    two_sided = True
    if not own_ok:
        own = opp - side
    elif not opp_ok:
        opp = own + side * (1 + FAR_TICKS)
        two_sided = False
    ref = LIMIT_PRICE_REF[bucket]
    lo, hi = LIMIT_PRICE_LO[bucket], LIMIT_PRICE_HI[bucket]
    spread = abs(opp - own) if two_sided else _ONE_SIDED_SPREAD
    if not has_offset:
        if ref == OPPOSITE:
            if hi >= _OPEN:
                hi = max(lo, (spread - 1) // 2)
        elif lo <= -_OPEN:  # own, 8 or more inside: up to the middle of the spread
            lo = min(hi, -(spread // 2))
        offset = rng.integers(lo, hi + 1)
    if ref == OPPOSITE and two_sided:
        price = opp - side * offset
    elif ref == OPPOSITE:  # no opposite side: so many ticks better than the own touch
        price = own + side * offset
    else:
        price = own - side * offset
    if side > 0 and ask_ok and price >= ask:
        price = ask - 1
        gi[G_CLIPPED] += 1
    elif side < 0 and bid_ok and price <= bid:
        price = bid + 1
        gi[G_CLIPPED] += 1
    if price < 0 or price >= n_levels:
        price = min(max(price, 0), n_levels - 1)
        gi[G_CLIPPED] += 1
    return price


@njit(cache=True)
def market_qty(sc, lv, side, bucket, has_exact, exact_qty, rng, gi):  # pragma: no cover - compiled
    """The shares of a market order of ``side`` in ``market_size`` ``bucket``: 0 (``G_NOOP_MARKETS``)
    into an empty opposite side."""
    if has_exact:
        return exact_qty
    if (side > 0 and sc[N_ASK_ORDERS] == 0) or (side < 0 and sc[N_BID_ORDERS] == 0):
        gi[G_NOOP_MARKETS] += 1
        return 0
    touch = lv[sc[BEST_ASK], L_QTY] if side > 0 else lv[sc[BEST_BID], L_QTY]
    if bucket == SWEEP_TOUCH:
        return touch
    if bucket > SWEEP_TOUCH:
        return touch + draw_qty(rng, bucket - SWEEP_TOUCH - 1)
    lo, hi = bucket / N_TOUCH_FRACTIONS, (bucket + 1) / N_TOUCH_FRACTIONS
    qty = int(np.ceil(rng.uniform(lo, hi) * touch))
    return min(max(qty, 1), max(touch - 1, 1))  # a partial take: at least one share, not the whole


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


@njit(cache=True)
def _queue_index(bucket, count, rng):  # pragma: no cover - compiled
    """The queue index (front first) a queue bucket names among ``count`` own orders at a level."""
    if bucket <= 2:
        return max(count - 1 - bucket, 0)
    if bucket <= 5:
        return min(bucket - 3, count - 1)
    if count >= 7:
        return rng.integers(3, count - 3)
    return rng.integers(0, count)


@njit(cache=True)
def cancel(sc, lv, bk, od, side, fields, has_exact, exact, rng, gi, behind, count, chosen_order):
    """The cancel of one own order of ``side`` named by ``fields`` (level, queue, amount buckets) or by
    ``exact``: returns (kind, order id, owner, shares to remove); kind -1 when it names none. ``behind``,
    ``count`` and ``chosen_order`` are scratch."""  # pragma: no cover - compiled
    lo_owner = gi[G_OWNER_LO]
    hi_owner = lo_owner + gi[G_N_SLOTS]
    n = own_levels(sc, lv, od, bk, side, lo_owner, hi_owner, behind, count)
    if n == 0:
        gi[G_NOOP_CANCELS] += 1
        return -1, 0, -1, 0
    touch = sc[BEST_BID] if side > 0 else sc[BEST_ASK]
    chosen, index, named = -1, 0, False
    if has_exact:
        hit = -1
        for j in range(n):
            if behind[j] == exact[X_OFFSET]:
                hit = j
                break
        if hit >= 0 and exact[X_QUEUE] < count[hit]:
            chosen, index, named = hit, exact[X_QUEUE], True
        else:
            gi[G_INEXACT] += 1
    if chosen < 0:
        lo, hi = CANCEL_LEVEL_LO[fields[0]], CANCEL_LEVEL_HI[fields[0]]
        inside = 0
        for j in range(n):
            if lo <= behind[j] <= hi:
                inside += 1
        if inside == 0:
            gi[G_NOOP_CANCELS] += 1
            return -1, 0, -1, 0
        pick = rng.integers(0, inside)
        for j in range(n):
            if lo <= behind[j] <= hi:
                if pick == 0:
                    chosen = j
                    break
                pick -= 1
        index = _queue_index(fields[1], count[chosen], rng)
    level = touch - behind[chosen] if side > 0 else touch + behind[chosen]
    own_order_at(lv, od, level, lo_owner, hi_owner, index, chosen_order)
    if named:
        amount = exact[X_QTY]
    else:
        amount = 0 if fields[2] == 0 else draw_qty(rng, fields[2] - 1)
    if amount >= chosen_order[2]:
        gi[G_PARTIAL] += 1
        amount = 0
    if amount == 0:
        return _CANCEL, chosen_order[0], chosen_order[1], 0
    return _REDUCE, chosen_order[0], chosen_order[1], amount


# --- acting -------------------------------------------------------------------------------------------
@njit(cache=True)
def owner_for_new(sc, ht, ag_i, ag_orders, gi):  # pragma: no cover - compiled
    """The owner slot of a new order (round robin, dead ids dropped from a nearly full slot); -1 when
    every slot is full."""
    for _ in range(gi[G_N_SLOTS]):
        owner = gi[G_OWNER_LO] + gi[G_SLOT]
        gi[G_SLOT] = (gi[G_SLOT] + 1) % gi[G_N_SLOTS]
        if ag_i[owner, A_N_OPEN] >= _COMPACT_AT:
            compact_open_orders(sc, ht, ag_i, ag_orders, owner)
        if ag_i[owner, A_N_OPEN] < MAX_OPEN_ORDERS:
            return owner
    return -1


@njit(cache=True)
def _update_anchor(ws, rec_book, gi):  # pragma: no cover - compiled
    """The mid of the last two-sided book recorded (prices of a book empty on both sides start there)."""
    n = ws[W_N_REC]
    for r in range(n - 1, gi[G_ANCHOR_SEEN] - 1, -1):
        row = rec_book[r]
        if row[1] > 0 and row[3] > 0:
            gi[G_ANCHOR] = (row[0] // _TICK + row[2] // _TICK) // 2 - gi[G_MIN_PRICE]
            break
    gi[G_ANCHOR_SEEN] = n


@njit(cache=True)
def act(w, g, order, has_exact, exact, rng):  # pragma: no cover - compiled
    """Place the order of action ``order`` now (prices relative to the current touch; ``exact`` fixes
    the values inside the buckets when ``has_exact``): returns a world status, or ``CAPACITY``."""
    sc, lv, bk, od, ht = w[0], w[1], w[2], w[3], w[4]
    ws, ag_i, ag_orders = w[8], w[12], w[14]
    gi = g[0]
    kind = order[0]
    side = 1 if order[_SIDE[kind]] == 0 else -1
    gi[G_N_ORDERS] += 1
    msg_kind, price, qty, owner, order_id = -1, 0, 0, -1, 0
    if kind == CANCEL:
        msg_kind, order_id, owner, qty = cancel(
            sc, lv, bk, od, side, order[_CANCEL_FIELDS], has_exact, exact, rng, gi, g[10], g[11], g[12]
        )
    elif kind == MARKET:
        qty = market_qty(sc, lv, side, order[_MARKET_SIZE], has_exact, exact[X_QTY], rng, gi)
        if qty > 0:
            msg_kind = _MARKET
            owner = owner_for_new(sc, ht, ag_i, ag_orders, gi)
    else:
        qty = exact[X_QTY] if has_exact else draw_qty(rng, order[_LIMIT_SIZE])
        _update_anchor(ws, w[18], gi)
        anchor, n_levels = gi[G_ANCHOR], gi[G_N_LEVELS]
        bucket = order[_LIMIT_PRICE]
        price = limit_price(sc, side, bucket, exact[X_OFFSET], has_exact, rng, anchor, n_levels, gi)
        msg_kind = _LIMIT
        owner = owner_for_new(sc, ht, ag_i, ag_orders, gi)
    if msg_kind < 0:
        return WorldStatus.OK
    if owner < 0:
        return CAPACITY
    m = g[13]
    m[0]["order_id"] = order_id
    m[0]["price"] = price
    m[0]["qty"] = qty
    m[0]["owner"] = owner
    m[0]["kind"] = msg_kind
    m[0]["side"] = side
    m[0]["flags"] = _GTC
    status, _ = submit(
        sc, lv, bk, od, ht, w[5], w[6], w[7], ws, w[9], w[10], ag_i, ag_orders, w[16], w[17], w[18], w[19],
        w[20], m, ws[W_CLOCK],
    )  # fmt: skip
    return status


@njit(cache=True)
def has_room(w):  # pragma: no cover - compiled
    """Whether the record buffers hold what one more message can add (else grow them first)."""
    room = record_room_needed(w[0])
    return w[17].shape[0] - w[8][W_N_REC] >= room and w[19].shape[0] - w[8][W_N_TRADES] >= room


@njit(cache=True)
def plan(g, action, clock, rng):  # pragma: no cover - compiled
    """Schedule the orders of one action (``N_FIELDS`` k ints), each its drawn delay after the previous;
    a zero delay past the burst cap is drawn from the next bucket instead (``G_N_CAPPED``). False (and
    nothing planned) when the plan arrays hold fewer than k orders."""
    gi, planned, dues = g[0], g[1], g[2]
    k = action.shape[0] // N_FIELDS
    if k > planned.shape[0]:
        return False
    due = clock
    at_due = gi[G_BURST] + 1 if due == gi[G_LAST_DUE] else 0  # own orders already at this timestamp
    for j in range(k):
        order = action[j * N_FIELDS : (j + 1) * N_FIELDS]
        delay = draw_delay_ns(rng, order[_DELAY[order[0]]])
        if delay == 0 and at_due >= gi[G_BURST_CAP]:
            delay = draw_delay_ns(rng, 1)
            gi[G_N_CAPPED] += 1
        due += delay
        at_due = at_due + 1 if delay == 0 else 1
        planned[j] = order
        dues[j] = due
    gi[G_N_PLANNED] = k
    gi[G_NEXT] = 0
    return True


@njit(cache=True)
def sync(w, g):  # pragma: no cover - compiled
    """Feed the messages recorded since the last call to the features; the history keeps the states
    after the last ``HISTORY`` messages. ``WINDOW_FULL`` when the feature window must grow first."""
    gi, history, signs, fstate, fmid, window_t, window_m = g[0], g[4], g[5], g[6], g[7], g[8], g[9]
    n = w[8][W_N_REC]
    seen = gi[G_SEEN]
    k = n - seen
    if k <= 0:
        return WorldStatus.OK
    lo, hi = fstate[0], fstate[1]
    if hi + k > window_t.shape[0]:
        live = hi - lo
        if live + k > window_t.shape[0] // 2:
            return WINDOW_FULL
        window_t[:live] = window_t[lo:hi].copy()
        window_m[:live] = window_m[lo:hi].copy()
        fstate[0], fstate[1] = 0, live
    rec = w[17]
    times, types, directions = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.int64)
    for j in range(k):
        times[j] = rec[seen + j]["time"]
        types[j] = rec[seen + j]["type"]
        directions[j] = rec[seen + j]["direction"]
    if fstate[2] < 0:  # the first message: no gap before it
        fstate[3] = times[0]
    out = np.empty((k, _N_FEATURES), np.float32)
    fmid[0] = update_features(
        times, types, directions, w[18][seen:n], _TICK, signs, fstate, fmid[0], window_t, window_m, out
    )
    keep = min(k, HISTORY)
    for r in range(HISTORY - keep):
        history[r] = history[r + keep]
    for r in range(keep):
        history[HISTORY - keep + r] = out[k - keep + r]
    gi[G_SEEN] = n
    return WorldStatus.OK


@njit(cache=True)
def advance(w, wrng, g, rng, limit, max_msgs, net, has_net):  # pragma: no cover - compiled
    """Place the planned orders due by ``limit``; with a compiled actor (``has_net``, ``net`` as
    :class:`.numpy_actor.NumpyActor` holds it) the next action is drawn here, without it the call returns
    ``NEED_ACTION`` once the plan is done (the history current). ``AT_LIMIT`` when the next order is due
    later (the market run to ``limit``), or a status to handle in Python (after which the same call
    resumes where it stopped)."""
    gi, planned, dues, recent = g[0], g[1], g[2], g[3]
    z = np.zeros(4, np.int64)
    action = np.zeros(net[5].shape[0], np.int64)
    logits = np.zeros(net[3].shape[1], np.float64)
    while True:
        if gi[G_NEXT] >= gi[G_N_PLANNED]:
            status = sync(w, g)
            if status != WorldStatus.OK:
                return status
            if not has_net:
                return NEED_ACTION
            actor_sample(net, g[4], rng, logits, action)
            if not plan(g, action, w[8][W_CLOCK], rng):
                return PLAN_FULL
        due = dues[gi[G_NEXT]]
        if due > limit:
            status = _run(w, wrng, limit, max_msgs)
            return AT_LIMIT if status == WorldStatus.OK else status
        status = _run(w, wrng, due, max_msgs)
        if status != WorldStatus.OK:
            return status
        if not has_room(w):
            return WorldStatus.RECORD_FULL
        gi[G_BURST] = gi[G_BURST] + 1 if due == gi[G_LAST_DUE] else 0
        gi[G_LAST_DUE] = due
        cap = recent.shape[0]
        recent[gi[G_RECENT_POS]] = due
        gi[G_RECENT_POS] = (gi[G_RECENT_POS] + 1) % cap
        gi[G_RECENT_N] = min(gi[G_RECENT_N] + 1, cap)
        if gi[G_RECENT_N] == cap and due - recent[gi[G_RECENT_POS]] < gi[G_RUNAWAY_NS]:
            return RUNAWAY
        status = act(w, g, planned[gi[G_NEXT]], False, z, rng)
        gi[G_NEXT] += 1
        if status != WorldStatus.OK:
            return status


@njit(cache=True)
def _run(w, wrng, t, max_msgs):  # pragma: no cover - compiled
    return run_until(
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14],
        w[15], w[16], w[17], w[18], w[19], w[20], w[21], wrng, t, max_msgs,
    )  # fmt: skip


@njit(cache=True)
def step_sessions(worlds, world_rngs, gens, rngs, limits, max_msgs, nets, has_net, actions, status):
    """:func:`advance` of every session ``i`` with ``limits[i] >= 0`` to ``limits[i]`` (``status[i]``
    its outcome), after planning ``actions[i]`` now when ``actions[i, 0] >= 0``; a session with
    ``limits[i] < 0`` is left alone (``IDLE``). ``nets``: a typed List holding the one compiled actor (a
    List because Numba types it at once, a tuple of arrays costs ~40 us per call to type)."""
    net = nets[0]
    for i in range(len(worlds)):
        if limits[i] < 0:
            status[i] = IDLE
            continue
        if actions[i, 0] >= 0 and not plan(gens[i], actions[i], worlds[i][8][W_CLOCK], rngs[i]):
            status[i] = PLAN_FULL
            continue
        status[i] = advance(worlds[i], world_rngs[i], gens[i], rngs[i], limits[i], max_msgs, net, has_net)
