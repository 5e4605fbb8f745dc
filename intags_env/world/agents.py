"""The background agents' decisions, in Numba: what each type does when it acts.

An agent *wakes* (its own schedule), its query reaches the exchange one latency later and it *acts* on
the book as it is then; its orders reach the exchange two latencies after that (zero latency: all at
once). Cancels sent at the wake arrive just before the query, so they are applied when it acts.
Behaviour follows ABIDES' RMSC04 agents; each function's docstring states its rule.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS, N_LEVELS
from ..exchange.kernels import find_slot
from ..exchange.types import MsgKind
from .layout import (
    A_LAST_MID,
    A_LAST_WAKE,
    A_LATENCY,
    A_LONG,
    A_MAX_SIZE,
    A_MIN_SIZE,
    A_MM_SIZE,
    A_MM_VOL_BUY,
    A_MM_VOL_SELL,
    A_N_OPEN,
    A_N_SEEN,
    A_NUM_TICKS,
    A_POISSON,
    A_REVIVE,
    A_SHORT,
    A_SIZE_MODEL,
    A_WINDOW,
    ACT,
    DELIVER,
    F_DEPTH_SPREAD,
    F_KAPPA,
    F_LAST_SPREAD,
    F_LEVEL_SPACING,
    F_PCT_AGGR,
    F_POV,
    F_PRICE_SKEW,
    F_R_T,
    F_SIGMA_N,
    F_SIGMA_S,
    F_SIGMA_T,
    F_SPREAD_ALPHA,
    F_SWEEP_MARGIN,
    F_WAKE_MEAN,
    P_FLAGS,
    P_KIND,
    P_NEXT,
    P_ORDER_ID,
    P_OWNER,
    P_PRICE,
    P_QTY,
    P_SIDE,
    W_END,
    W_MIN_PRICE,
    W_N_SKIPPED_ORDERS,
    W_N_TRADES,
    W_PEND_FREE,
    W_START,
    W_STATUS_AGENT,
    WAKE,
    WF_R_BAR,
    WF_SIZE_CUM,
    WF_SIZE_LN_WEIGHT,
    WF_SIZE_LOT,
    WF_SIZE_MU,
    WF_SIZE_N_LOTS,
    WF_SIZE_SIGMA,
    WorldStatus,
)
from .market import apply_message, schedule
from .oracle import observe_fundamental

kernel = njit(cache=True, _nrt=False)

# Plain ints (not IntEnum members) so every call of ``send`` has the same argument types: Numba compiles
# one specialisation per distinct signature, and each costs seconds.
# Literal arguments are wrapped in ``I64`` (and flags are ``YES``/``NO`` arrays' booleans) for the same
# reason: Numba specialises on literal values.
LIMIT = int(MsgKind.LIMIT)
CANCEL = int(MsgKind.CANCEL)
I64 = np.int64
YES = np.bool_(True)
NO = np.bool_(False)


# --- randomness and scheduling ---------------------------------------------------------------------


@kernel
def randint(rng, low, high):
    """Uniform integer in [low, high) (``Generator.integers`` allocates, which these kernels avoid)."""
    return low + min(high - low - 1, int(rng.random() * (high - low)))


@kernel
def sample_order_size(wf, rng):
    """ABIDES' order-size mixture: a rounded log-normal, or a round lot."""
    u = rng.random()
    if u < wf[WF_SIZE_LN_WEIGHT]:
        return int(round(rng.lognormal(wf[WF_SIZE_MU], wf[WF_SIZE_SIGMA])))
    n_lots = int(wf[WF_SIZE_N_LOTS])
    for k in range(n_lots):
        if u < wf[WF_SIZE_CUM + k]:
            return (k + 1) * int(wf[WF_SIZE_LOT])
    return n_lots * int(wf[WF_SIZE_LOT])


@kernel
def schedule_wake(ws, heap, ag_i, ag_f, rng, agent, time):
    """Wake the agent again after its (Poisson or fixed) interval, if that is inside the session."""
    mean = ag_f[agent, F_WAKE_MEAN]
    delay = rng.exponential(mean) if ag_i[agent, A_POISSON] else mean
    nxt = time + max(1, int(round(delay)))
    if nxt >= ws[W_END]:
        return WorldStatus.OK
    return schedule(ws, heap, agent, nxt, WAKE)


@kernel
def schedule_act(ws, heap, ag_i, agent, time):
    """The agent's query reaches the exchange one latency after its wake-up."""
    return schedule(ws, heap, agent, time + ag_i[agent, A_LATENCY], ACT)


# --- sending -----------------------------------------------------------------------------------------


@kernel
def send(
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
    kind,
    side,
    order_id,
    price,
    qty,
    now,
    chain,
):
    """Send a message from ``agent``: applied at once if ``now`` or the agent has no latency, else added
    to ``chain`` ((head, tail) of this decision's in-flight messages) for ``flush`` to schedule."""
    if kind == LIMIT and (price < 0 or price >= sc[N_LEVELS]):
        ws[W_N_SKIPPED_ORDERS] += 1  # off the book's price grid (a drained book): not sent, counted
        return WorldStatus.OK
    if now or ag_i[agent, A_LATENCY] == 0:
        return apply_message(
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
            agent,
            order_id,
            price,
            qty,
            I64(0),
            time,
        )
    row = ws[W_PEND_FREE]
    if row < 0:
        ws[W_STATUS_AGENT] = agent
        return WorldStatus.QUEUE_FULL
    ws[W_PEND_FREE] = pend[row, P_NEXT]
    pend[row, P_KIND] = kind
    pend[row, P_SIDE] = side
    pend[row, P_OWNER] = agent
    pend[row, P_ORDER_ID] = order_id
    pend[row, P_PRICE] = price
    pend[row, P_QTY] = qty
    pend[row, P_FLAGS] = 0
    pend[row, P_NEXT] = -1
    if chain[0] < 0:
        chain[0] = row
    else:
        pend[chain[1], P_NEXT] = row
    chain[1] = row
    return WorldStatus.OK


@kernel
def flush(ws, heap, agent, arrival, chain):
    """Schedule the arrival of a decision's in-flight messages."""
    if chain[0] < 0:
        return WorldStatus.OK
    status = schedule(ws, heap, chain[0], arrival, DELIVER)
    if status != WorldStatus.OK:
        ws[W_STATUS_AGENT] = agent
    chain[0] = -1
    return status


@kernel
def cancel_all(
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
):
    """Cancel every live order of the agent (those already filled or cancelled are skipped)."""
    for j in range(ag_i[agent, A_N_OPEN]):
        oid = ag_orders[agent, j]
        if find_slot(sc, ht, oid) >= 0:
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
                I64(CANCEL),
                I64(0),
                oid,
                I64(0),
                I64(0),
                YES,
                chain,
            )
            if status != WorldStatus.OK:
                return status
    ag_i[agent, A_N_OPEN] = 0
    return WorldStatus.OK


# --- noise ---------------------------------------------------------------------------------------------


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


# --- value ---------------------------------------------------------------------------------------------


@kernel
def _value_forecast(ws, wf, ag_i, ag_f, rng, agent, time, trades):
    """ABIDES' update of the agent's estimate with a noisy observation; returns its forecast of the value
    at the session's end (cents).

    Faithful to ABIDES, the posterior variance is updated from the pre-observation variance, so it stays
    at its initial 0 and, the prior variance being huge, the estimate is essentially the latest observation.
    """
    obs = observe_fundamental(ws, wf, rng, time, ag_f[agent, F_SIGMA_N], trades)
    last = ag_i[agent, A_LAST_WAKE]
    if last < 0:
        last = ws[W_START]
    ag_i[agent, A_LAST_WAKE] = time
    log_keep = math.log1p(-ag_f[agent, F_KAPPA])  # log(1 - kappa)
    r_bar = wf[WF_R_BAR]
    keep = math.exp(log_keep * (time - last))
    keep2 = keep * keep
    sigma_t = ag_f[agent, F_SIGMA_T]
    r_prior = (1.0 - keep) * r_bar + keep * ag_f[agent, F_R_T]
    s_prior = keep2 * sigma_t + (1.0 - keep2) / (1.0 - math.exp(2.0 * log_keep)) * ag_f[agent, F_SIGMA_S]
    sigma_n = ag_f[agent, F_SIGMA_N]
    ag_f[agent, F_R_T] = sigma_n / (sigma_n + s_prior) * r_prior + s_prior / (sigma_n + s_prior) * obs
    ag_f[agent, F_SIGMA_T] = sigma_n * sigma_t / (sigma_n + sigma_t) if sigma_n + sigma_t > 0 else 0.0
    keep_end = math.exp(log_keep * max(0, ws[W_END] - time))
    return (1.0 - keep_end) * r_bar + keep_end * ag_f[agent, F_R_T]


@kernel
def value_act(
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
    """Cancel own orders, re-estimate, then one limit order towards the forecast r_T: sell at
    bid + adjust if r_T < mid, else buy at ask - adjust; adjust = 0 with probability percent_aggr, else
    uniform on {0, ..., depth_spread x spread - 1}. With a side of the book empty: a random side at r_T.
    If r_T lies more than sweep_margin ticks beyond the opposite touch, the order is priced at r_T
    instead (same random draws, so the default, never, leaves every run unchanged)."""
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
    r_T = int(round(_value_forecast(ws, wf, ag_i, ag_f, rng, agent, time, trades))) - ws[W_MIN_PRICE]
    if sc[N_BID_ORDERS] > 0 and sc[N_ASK_ORDERS] > 0:
        bid = sc[BEST_BID]
        ask = sc[BEST_ASK]
        mid = (bid + ask) // 2
        spread = ask - bid
        if rng.random() < ag_f[agent, F_PCT_AGGR]:
            adjust = 0
        else:
            adjust = randint(rng, 0, max(1, int(ag_f[agent, F_DEPTH_SPREAD] * spread)))
        if r_T < mid:
            side = -1
            price = bid + adjust
            if bid - r_T > ag_f[agent, F_SWEEP_MARGIN]:
                price = r_T
        else:
            side = 1
            price = ask - adjust
            if r_T - ask > ag_f[agent, F_SWEEP_MARGIN]:
                price = r_T
    else:
        side = 1 if rng.random() < 0.5 else -1
        price = r_T
    size = sample_order_size(wf, rng)
    if size <= 0:
        return WorldStatus.OK
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
        I64(side),
        I64(0),
        I64(price),
        I64(size),
        NO,
        chain,
    )


# --- market makers -----------------------------------------------------------------------------------


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


# --- momentum -------------------------------------------------------------------------------------------


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
