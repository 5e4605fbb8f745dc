"""Momentum agents' decision, in Numba: buy when the short moving average of the mid is above the
long one, sell when below (ABIDES RMSC04's ``MomentumAgent``)."""

from __future__ import annotations

from ...exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS
from ..layout import (
    A_LATENCY,
    A_LONG,
    A_MAX_SIZE,
    A_MIN_SIZE,
    A_N_SEEN,
    A_SHORT,
    A_SIZE_MODEL,
    WorldStatus,
)
from .common import (
    I64,
    LIMIT,
    NO,
    kernel,
    randint,
    sample_order_size,
    schedule_wake,
    send,
)


@kernel
def momentum_act(
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
):
    """Record the mid; once more than ``long`` mids are known: buy at the ask if the short moving average
    is at or above the long one, else sell at the bid. Then schedule the next wake-up."""
    status = schedule_wake(ws, heap, ag_i, ag_f, rng, agent, time + ag_i[agent, A_LATENCY])
    if status != WorldStatus.OK or sc[N_BID_ORDERS] == 0 or sc[N_ASK_ORDERS] == 0:
        return status
    bid = sc[BEST_BID]
    ask = sc[BEST_ASK]
    long_n = ag_i[agent, A_LONG]
    short_n = ag_i[agent, A_SHORT]
    seen = ag_i[agent, A_N_SEEN]
    ag_hist[agent, seen % long_n] = 0.5 * (bid + ask)
    seen += 1
    ag_i[agent, A_N_SEEN] = seen
    if seen <= long_n:
        return WorldStatus.OK
    long_sum = 0.0
    short_sum = 0.0
    for j in range(long_n):
        v = ag_hist[agent, (seen - 1 - j) % long_n]
        long_sum += v
        if j < short_n:
            short_sum += v
    if ag_i[agent, A_SIZE_MODEL]:
        size = sample_order_size(wf, rng)
    else:
        size = randint(rng, ag_i[agent, A_MIN_SIZE], ag_i[agent, A_MAX_SIZE] + 1)
    if size <= 0:
        return WorldStatus.OK
    if short_sum / short_n >= long_sum / long_n:
        return send(
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
            agent,
            time,
            I64(LIMIT),
            I64(1),
            I64(0),
            ask,
            I64(size),
            NO,
            chain,
        )
    return send(
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
        agent,
        time,
        I64(LIMIT),
        I64(-1),
        I64(0),
        bid,
        I64(size),
        NO,
        chain,
    )
