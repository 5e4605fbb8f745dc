"""The world's event loop, in Numba: pop the earliest event, let its agent act or deliver its messages,
repeat until a time. Python participants' messages and decision steps enter through ``participants.py``."""

from __future__ import annotations

from numba import njit

from .agents import (
    flush,
    market_maker_act,
    market_maker_ladder,
    momentum_act,
    noise_act,
    schedule_act,
    schedule_wake,
    value_act,
)
from .layout import (
    A_LATENCY,
    A_TYPE,
    ACT,
    DELIVER,
    H_TIME,
    IMBALANCE,
    P_FLAGS,
    P_KIND,
    P_NEXT,
    P_ORDER_ID,
    P_OWNER,
    P_PRICE,
    P_QTY,
    P_SIDE,
    W_CLOCK,
    W_END,
    W_HEAP_N,
    W_N_REC,
    W_N_TRADES,
    W_PEND_FREE,
    AgentType,
    WorldStatus,
)
from .market import apply_message, heap_pop, record_room_needed

kernel = njit(cache=True, _nrt=False)
# The kernels take the world's arrays one by one, not as the one tuple ``w`` the typed-List entry points
# hold: passing ``w`` down the event loop, the agents and ``apply_message`` (each unpacking what it uses)
# was measured slower, a full rmsc04 day 0.089 s against 0.069 s (medians of 11 alternated runs of
# benchmarks/world.py), the same events.
# The entry points Python calls take the world's ``numpy.random.Generator``. Numba unboxes a Generator into
# a reference-counted handle (a MemInfo holding a reference to the Python object) that only NRT releases:
# with ``_nrt=False`` every call from Python leaked ~56 bytes and kept the Generator (~2.7 KB with its bit
# generator and seed sequence) alive forever, ~6 KB per episode. So the entry points run with NRT on;
# they allocate nothing, and the kernels they call keep NRT off.
entry = njit(cache=True)


@kernel
def deliver(
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
    head,
    time,
):
    """Apply a chain of in-flight messages in order and free their rows."""
    row = head
    while row >= 0:
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
            pend[row, P_KIND],
            pend[row, P_SIDE],
            pend[row, P_OWNER],
            pend[row, P_ORDER_ID],
            pend[row, P_PRICE],
            pend[row, P_QTY],
            pend[row, P_FLAGS],
            time,
        )
        nxt = pend[row, P_NEXT]
        pend[row, P_NEXT] = ws[W_PEND_FREE]
        ws[W_PEND_FREE] = row
        if status != WorldStatus.OK:
            return status
        row = nxt
    return WorldStatus.OK


@kernel
def act(
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
    agent,
    time,
):
    """The agent reads the book now and decides; its orders arrive two latencies later."""
    kind = ag_i[agent, A_TYPE]
    if kind == AgentType.NOISE:
        status = noise_act(
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
            rng,
            agent,
            time,
            chain,
        )
    elif kind == AgentType.VALUE:
        status = value_act(
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
            rng,
            agent,
            time,
            chain,
        )
    elif kind == AgentType.MARKET_MAKER:
        status = market_maker_act(
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
            rng,
            agent,
            time,
            chain,
        )
    elif kind == AgentType.MOMENTUM:
        status = momentum_act(
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
            rng,
            agent,
            time,
            chain,
        )
    else:
        status = WorldStatus.OK
    if status != WorldStatus.OK:
        return status
    return flush(ws, heap, agent, time + 2 * ag_i[agent, A_LATENCY], chain)


@entry
def run_until(
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
):
    """Process every queued event before ``min(t_stop, session end)``.

    Stops early with ``RECORD_FULL`` when the record buffers might not hold the next event (grow them and
    call again: nothing is lost) or with an error status. The clock ends at the stop time.
    """
    stop = min(t_stop, ws[W_END])
    while ws[W_HEAP_N] > 0 and heap[0, H_TIME] < stop:
        room = record_room_needed(sc) + 4 * max_msgs_per_decision
        if rec.shape[0] - ws[W_N_REC] < room or trades.shape[0] - ws[W_N_TRADES] < room:
            return WorldStatus.RECORD_FULL
        time, payload = heap_pop(ws, heap)
        ws[W_CLOCK] = time
        index = payload >> 2
        what = payload & 3
        if what == DELIVER:
            status = deliver(
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
                index,
                time,
            )
        elif what == ACT:
            status = act(
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
                index,
                time,
            )
        elif what == IMBALANCE:
            status = market_maker_ladder(
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
                ev,
                rec,
                rec_book,
                trades,
                scratch,
                index,
                time,
                chain,
            )
            if status == WorldStatus.OK:
                status = flush(ws, heap, index, time + ag_i[index, A_LATENCY], chain)
        else:  # WAKE: value agents keep their own Poisson clock; the others reschedule when they act
            status = WorldStatus.OK
            if ag_i[index, A_TYPE] == AgentType.VALUE:
                status = schedule_wake(ws, heap, ag_i, ag_f, rng, index, time)
            if status == WorldStatus.OK:
                if ag_i[index, A_LATENCY] == 0:
                    status = act(
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
                        index,
                        time,
                    )
                else:
                    status = schedule_act(ws, heap, ag_i, index, time)
        if status != WorldStatus.OK:
            return status
    if stop > ws[W_CLOCK]:
        ws[W_CLOCK] = stop
    return WorldStatus.OK
