"""Noise (zero-intelligence) agents' decision, in Numba (ABIDES RMSC04's ``NoiseAgent``)."""

from __future__ import annotations

from ...exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS
from ..layout import (
    WorldStatus,
)
from .common import (
    I64,
    LIMIT,
    NO,
    kernel,
    sample_order_size,
    send,
)


@kernel
def noise_act(
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
    """One order in its life: buy at the best ask or sell at the best bid (a fair coin), mixture size.
    Nothing if that side of the book is empty (or the size is 0)."""
    buy = rng.random() < 0.5
    size = sample_order_size(wf, rng)
    if size <= 0:
        return WorldStatus.OK
    if buy and sc[N_ASK_ORDERS] > 0:
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
            sc[BEST_ASK],
            size,
            NO,
            chain,
        )
    if not buy and sc[N_BID_ORDERS] > 0:
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
            sc[BEST_BID],
            size,
            NO,
            chain,
        )
    return WorldStatus.OK
