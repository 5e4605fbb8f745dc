"""Adaptive market makers' decision, in Numba: a ladder of quotes around the mid, refreshed on a
schedule and on book-imbalance events (ABIDES RMSC04's ``AdaptiveMarketMaker``)."""

from __future__ import annotations

import math

from ...exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS
from ..layout import (
    A_LAST_MID,
    A_LATENCY,
    A_MIN_SIZE,
    A_MM_SIZE,
    A_MM_VOL_BUY,
    A_MM_VOL_SELL,
    A_NUM_TICKS,
    A_REVIVE,
    A_WINDOW,
    F_LAST_SPREAD,
    F_LEVEL_SPACING,
    F_POV,
    F_PRICE_SKEW,
    F_SPREAD_ALPHA,
    F_WAKE_MEAN,
    W_N_TRADES,
    WorldStatus,
)
from .common import (
    I64,
    LIMIT,
    NO,
    cancel_all,
    kernel,
    schedule_wake,
    send,
)


@kernel
def _recent_volume(trades, ws, since):
    """Lots traded with a buy and with a sell aggressor at or after ``since``."""
    buy = 0
    sell = 0
    i = ws[W_N_TRADES] - 1
    while i >= 0 and trades[i]["time"] >= since:
        if trades[i]["side"] > 0:
            buy += trades[i]["qty"]
        else:
            sell += trades[i]["qty"]
        i -= 1
    return buy, sell


@kernel
def market_maker_ladder(
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
    agent,
    time,
    chain,
):
    """Post ``num_ticks`` bids then ``num_ticks`` asks (each side lowest price first), ``step`` apart, around
    the last mid moved by ``price_skew`` x the trade imbalance, ``window`` (the spread EWMA) wide."""
    mid = ag_i[agent, A_LAST_MID]
    if mid < 0:
        return WorldStatus.OK
    window = ag_f[agent, F_LAST_SPREAD] if ag_i[agent, A_WINDOW] < 0 else float(ag_i[agent, A_WINDOW])
    step = int(round(ag_f[agent, F_LEVEL_SPACING] * window))
    if step == 0:
        step = 1
    buy_vol = ag_i[agent, A_MM_VOL_BUY]
    total = buy_vol + ag_i[agent, A_MM_VOL_SELL]
    centre = mid
    if total > 0:
        centre = int(mid + (2.0 * buy_vol / total - 1.0) * ag_f[agent, F_PRICE_SKEW])
    highest_bid = centre - int(math.floor(0.5 * window))
    lowest_ask = centre + int(math.ceil(0.5 * window))
    n = ag_i[agent, A_NUM_TICKS]
    size = ag_i[agent, A_MM_SIZE]
    for j in range(2 * n):
        if j < n:
            side = 1
            price = highest_bid - (n - 1 - j) * step
        else:
            side = -1
            price = lowest_ask + (j - n) * step
        status = send(
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
            I64(side),
            I64(0),
            I64(price),
            I64(size),
            NO,
            chain,
        )
        if status != WorldStatus.OK:
            return status
    return WorldStatus.OK


@kernel
def market_maker_act(
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
    """Cancel all quotes; read the spread (EWMA-update the window) and the volume of the last interval
    (size per level = max(round(pov x volume), min size)); post a new ladder and schedule the next cycle.
    Without a mid ever seen it neither quotes nor wakes again (ABIDES), unless ``revive``."""
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
        agent,
        time,
        chain,
    )
    if status != WorldStatus.OK:
        return status
    if sc[N_BID_ORDERS] > 0 and sc[N_ASK_ORDERS] > 0:
        bid = sc[BEST_BID]
        ask = sc[BEST_ASK]
        ag_i[agent, A_LAST_MID] = (bid + ask) // 2
        if ag_i[agent, A_WINDOW] < 0:
            alpha = ag_f[agent, F_SPREAD_ALPHA]
            ag_f[agent, F_LAST_SPREAD] = alpha * (ask - bid) + (1.0 - alpha) * ag_f[agent, F_LAST_SPREAD]
    buy_vol, sell_vol = _recent_volume(trades, ws, time - int(ag_f[agent, F_WAKE_MEAN]))
    ag_i[agent, A_MM_VOL_BUY] = buy_vol
    ag_i[agent, A_MM_VOL_SELL] = sell_vol
    ag_i[agent, A_MM_SIZE] = max(
        int(round(ag_f[agent, F_POV] * (buy_vol + sell_vol))), ag_i[agent, A_MIN_SIZE]
    )
    if ag_i[agent, A_LAST_MID] < 0 and not ag_i[agent, A_REVIVE]:
        return WorldStatus.OK
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
        agent,
        time,
        chain,
    )
    if status != WorldStatus.OK:
        return status
    return schedule_wake(ws, heap, ag_i, ag_f, rng, agent, time + ag_i[agent, A_LATENCY])
