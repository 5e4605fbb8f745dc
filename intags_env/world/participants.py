"""Python participants in the world, in Numba: their messages (``submit``), a participant's decision
step (``participant_step``: run to its next decision, apply what it sends, read the book), and the forms of
these and of ``loop.run_until`` that take the world's arrays as a typed List (what ``World`` calls)."""

from __future__ import annotations

from ..exchange.kernels import depth
from .agents import cancel_all
from .layout import W_CLOCK, W_N_REC, W_N_TRADES, WorldStatus
from .loop import entry, kernel, run_until
from .market import apply_message, record_room_needed


@kernel
def submit(
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
    msgs,
    time,
):
    """Apply messages of Python participants (owner = their agent index) at ``time``, recording them.

    Returns (status, messages applied); ``RECORD_FULL`` stops before a message that might not fit.
    """
    for i in range(msgs.shape[0]):
        room = record_room_needed(sc)
        if rec.shape[0] - ws[W_N_REC] < room or trades.shape[0] - ws[W_N_TRADES] < room:
            return WorldStatus.RECORD_FULL, i
        m = msgs[i]
        status = apply_message(
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
            int(m["kind"]),
            int(m["side"]),
            int(m["owner"]),
            m["order_id"],
            m["price"],
            m["qty"],
            int(m["flags"]),
            time,
        )
        if status != WorldStatus.OK:
            return status, i
    if time > ws[W_CLOCK]:
        ws[W_CLOCK] = time
    return WorldStatus.OK, msgs.shape[0]


@entry
def participant_step(
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
    pend,
    ag_i,
    ag_f,
    ag_orders,
    ag_hist,
    ev,
    rec,
    rec_book,
    trades,
    scratch,
    chain,
    rng,
    msgs,
    cancel_owner,
    t_stop,
    max_msgs_per_decision,
    book_out,
):
    """One environment step in one call: cancel ``cancel_owner``'s resting orders (if >= 0), apply ``msgs``
    now, run the background to ``t_stop``, and write the best levels of both sides into ``book_out``
    (``[0]`` bids, ``[1]`` asks; rows price ticks, sizes; ``book_out.shape[2]`` levels, -1 price past the
    last level).

    Returns (status, phase): phase 0 = nothing applied yet, 1 = orders applied (on ``RECORD_FULL`` grow
    the records and finish with ``run_until``), 2 = done.
    """
    room = record_room_needed(sc) * (2 + msgs.shape[0])
    if rec.shape[0] - ws[W_N_REC] < room or trades.shape[0] - ws[W_N_TRADES] < room:
        return WorldStatus.RECORD_FULL, 0
    time = ws[W_CLOCK]
    if cancel_owner >= 0:
        status = cancel_all(
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
            pend,
            ag_i,
            ag_orders,
            ev,
            rec,
            rec_book,
            trades,
            scratch,
            cancel_owner,
            time,
            chain,
        )
        if status != WorldStatus.OK:
            return status, 1
    # the up-front room check above covers every message, so submit never stops half-way here
    status, _ = submit(
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
        msgs,
        time,
    )
    if status != WorldStatus.OK:
        return status, 1
    status = run_until(
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
        pend,
        ag_i,
        ag_f,
        ag_orders,
        ag_hist,
        ev,
        rec,
        rec_book,
        trades,
        scratch,
        chain,
        rng,
        t_stop,
        max_msgs_per_decision,
    )
    if status != WorldStatus.OK:
        return status, 1
    k = book_out.shape[2]
    for side_i in range(2):
        found = depth(sc, lv, bk, 1 - 2 * side_i, k, scratch[0], scratch[1], scratch[2])
        for j in range(k):
            book_out[side_i, 0, j] = scratch[0, j] if j < found else -1
            book_out[side_i, 1, j] = scratch[1, j] if j < found else 0
    return WorldStatus.OK, 2


# --- the entry points on typed Lists ------------------------------------------------------------------
# Numba types each argument of a call from Python: 22 arrays and a Generator (unboxed through ctypes) cost
# ~17 us a call, more than a short step itself; a typed List carries its type, and the same call through
# one-element Lists of the arrays' tuple and of the Generator costs ~5 us (measured). ``World`` keeps such
# Lists (rebuilt whenever its arrays or generator are replaced) and calls these.


@entry
def run_until_listed(worlds, rngs, t_stop, max_msgs_per_decision):  # pragma: no cover - compiled
    """``run_until`` of the world in ``worlds[0]`` with the generator ``rngs[0]``."""
    w = worlds[0]
    return run_until(
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14],
        w[15], w[16], w[17], w[18], w[19], w[20], w[21], rngs[0], t_stop, max_msgs_per_decision,
    )  # fmt: skip


@entry
def submit_listed(worlds, msgs, time):  # pragma: no cover - compiled
    """``submit`` to the world in ``worlds[0]``."""
    w = worlds[0]
    return submit(
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[12], w[14], w[16], w[17],
        w[18], w[19], w[20], msgs, time,
    )  # fmt: skip


@entry
def participant_step_listed(worlds, rngs, msgs, cancel_owner, t_stop, max_msgs_per_decision, book_out):
    """``participant_step`` of the world in ``worlds[0]`` with the generator ``rngs[0]``."""
    w = worlds[0]
    return participant_step(
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14],
        w[15], w[16], w[17], w[18], w[19], w[20], w[21], rngs[0], msgs, cancel_owner, t_stop,
        max_msgs_per_decision, book_out,
    )  # fmt: skip
