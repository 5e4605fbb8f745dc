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

A session's generator state is a tuple of arrays (:func:`.session_state.new_state`); its scalars are the
``G_*`` slots. The decoder's kernels are in :mod:`.decoding`; this module acts, plans, syncs and steps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..exchange.types import Flag, MsgKind
from ..world.layout import A_N_OPEN, MAX_OPEN_ORDERS, W_CLOCK, W_N_REC, W_N_TRADES, WorldStatus
from ..world.loop import run_until
from ..world.market import compact_open_orders, record_room_needed
from ..world.participants import submit
from .decoding import (
    cancel,
    draw_delay_ns,
    draw_qty,
    limit_price,
    market_qty,
)
from .features import _update as update_features
from .numpy_actor import actor_sample
from .session_state import (
    AT_LIMIT,
    CAPACITY,
    G_ANCHOR,
    G_ANCHOR_SEEN,
    G_BURST,
    G_BURST_CAP,
    G_LAST_DUE,
    G_MIN_PRICE,
    G_N_CAPPED,
    G_N_LEVELS,
    G_N_ORDERS,
    G_N_PLANNED,
    G_N_SLOTS,
    G_NEXT,
    G_OWNER_LO,
    G_RECENT_N,
    G_RECENT_POS,
    G_RUNAWAY_NS,
    G_SEEN,
    G_SLOT,
    IDLE,
    NEED_ACTION,
    PLAN_FULL,
    RUNAWAY,
    WINDOW_FULL,
)
from .spec import (
    CANCEL,
    DELAY_FIELD,
    FEATURE_NAMES,
    HISTORY,
    MARKET,
    N_FIELDS,
    SIDE_FIELD,
    X_OFFSET,
    X_QTY,
    F,
)

_COMPACT_AT = MAX_OPEN_ORDERS - 64  # a slot this full is compacted (dead ids dropped) before use
_TICK = 100  # LOBSTER price units per tick (the features' spread, the anchor)
_N_FEATURES = len(FEATURE_NAMES)
_LIMIT, _MARKET = int(MsgKind.LIMIT), int(MsgKind.MARKET)
_GTC = int(Flag.GTC)
_SIDE = np.array([SIDE_FIELD[t] for t in range(3)])  # each type's side and delay fields
_DELAY = np.array([DELAY_FIELD[t] for t in range(3)])
_CANCEL_FIELDS = slice(F["cancel_level"], F["cancel_amount"] + 1)  # level, queue, amount buckets
_MARKET_SIZE, _LIMIT_PRICE, _LIMIT_SIZE = F["market_size"], F["limit_price"], F["limit_size"]


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
