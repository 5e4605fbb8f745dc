"""Value agents' decision, in Numba: a Bayesian forecast of the fundamental, then a limit order on the
right side of it (ABIDES RMSC04's ``ValueAgent``)."""

from __future__ import annotations

import math

from ...exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS
from ..layout import (
    A_LAST_WAKE,
    F_DEPTH_SPREAD,
    F_KAPPA,
    F_PCT_AGGR,
    F_R_T,
    F_SIGMA_N,
    F_SIGMA_S,
    F_SIGMA_T,
    F_SWEEP_MARGIN,
    W_END,
    W_MIN_PRICE,
    W_START,
    WF_R_BAR,
    WorldStatus,
)
from ..oracle import observe_fundamental
from .common import (
    I64,
    LIMIT,
    NO,
    cancel_all,
    kernel,
    randint,
    sample_order_size,
    send,
)


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
