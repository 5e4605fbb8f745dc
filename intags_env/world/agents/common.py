"""What every background agent does with the exchange, in Numba: draw sizes, schedule its wake-ups and
queries, send orders through its latency, cancel what it has open (see the package doc)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ...exchange.book import N_LEVELS
from ...exchange.kernels import find_slot
from ...exchange.types import MsgKind
from ..layout import (
    A_LATENCY,
    A_N_OPEN,
    A_POISSON,
    ACT,
    DELIVER,
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
    W_N_SKIPPED_ORDERS,
    W_PEND_FREE,
    W_STATUS_AGENT,
    WAKE,
    WF_SIZE_CUM,
    WF_SIZE_LN_WEIGHT,
    WF_SIZE_LOT,
    WF_SIZE_MU,
    WF_SIZE_N_LOTS,
    WF_SIZE_SIGMA,
    WorldStatus,
)
from ..market import apply_message, schedule

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
