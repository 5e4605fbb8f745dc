"""The fundamental value: an Ornstein-Uhlenbeck process with rare megashocks, advanced lazily.

Between observation times the OU process is sampled exactly:
``v' = r_bar + (v - r_bar) e^{-kappa dt} + N(0, fund_vol^2 / (2 kappa) (1 - e^{-2 kappa dt}))``.
Megashocks arrive as a Poisson process; each adds ``±megashock_mean + N(0, megashock_var)`` (random sign).
As in ABIDES, the value is kept as whole cents (rounded, floored at 0) after every step.

Optionally (``OracleConfig.flow_impact``) what the agents observe is that value plus a revision from the
signed order flow, read from the trade log when they observe (:func:`flow_revision`).
"""

from __future__ import annotations

import math

from numba import njit

from .layout import (
    W_FLOW_SEEN,
    W_FLOW_T,
    W_N_TRADES,
    W_NEXT_SHOCK,
    W_ORACLE_T,
    WF_FLOW_EXPONENT,
    WF_FLOW_IMPACT,
    WF_FLOW_PERMANENT,
    WF_FLOW_PERMANENT_SHARE,
    WF_FLOW_RATE,
    WF_FLOW_TRANSIENT,
    WF_FUND_VOL,
    WF_FUNDAMENTAL,
    WF_KAPPA,
    WF_R_BAR,
    WF_SHOCK_MEAN,
    WF_SHOCK_RATE,
    WF_SHOCK_VAR,
)

NEVER = 1 << 62


@njit(cache=True, _nrt=False)
def _ou_step(wf, rng, dt):
    if dt <= 0:
        return
    kappa = wf[WF_KAPPA]
    decay = math.exp(-kappa * dt)
    var = wf[WF_FUND_VOL] ** 2 / (2.0 * kappa) * (1.0 - decay * decay)
    r_bar = wf[WF_R_BAR]
    value = r_bar + (wf[WF_FUNDAMENTAL] - r_bar) * decay + rng.normal(0.0, math.sqrt(var))
    wf[WF_FUNDAMENTAL] = float(round(max(0.0, value)))


@njit(cache=True, _nrt=False)
def draw_next_shock(wf, rng, after):
    rate = wf[WF_SHOCK_RATE]
    if rate <= 0.0:
        return NEVER
    return after + 1 + int(rng.exponential(1.0 / rate))


@njit(cache=True)  # NRT on: called from Python with a Generator (see ``loop.entry``)
def first_shock(wf, rng, after):
    """``draw_next_shock`` for Python callers (``build_world``): NRT releases the unboxed Generator."""
    return draw_next_shock(wf, rng, after)


@njit(cache=True, _nrt=False)
def advance_fundamental(ws, wf, rng, t):
    """Move the fundamental forward to time ``t`` (no-op if already there) and return it (cents)."""
    while ws[W_NEXT_SHOCK] <= t:
        shock_t = ws[W_NEXT_SHOCK]
        _ou_step(wf, rng, shock_t - ws[W_ORACLE_T])
        ws[W_ORACLE_T] = shock_t
        sign = 1.0 if rng.random() < 0.5 else -1.0
        shocked = wf[WF_FUNDAMENTAL] + sign * wf[WF_SHOCK_MEAN] + rng.normal(0.0, math.sqrt(wf[WF_SHOCK_VAR]))
        wf[WF_FUNDAMENTAL] = float(round(max(0.0, shocked)))
        ws[W_NEXT_SHOCK] = draw_next_shock(wf, rng, shock_t)
    _ou_step(wf, rng, t - ws[W_ORACLE_T])
    if t > ws[W_ORACLE_T]:
        ws[W_ORACLE_T] = t
    return wf[WF_FUNDAMENTAL]


@njit(cache=True, _nrt=False)
def _decay_flow(ws, wf, t):
    rate = wf[WF_FLOW_RATE]
    if rate > 0.0 and t > ws[W_FLOW_T]:
        wf[WF_FLOW_TRANSIENT] *= math.exp(-rate * (t - ws[W_FLOW_T]))
    if t > ws[W_FLOW_T]:
        ws[W_FLOW_T] = t


@njit(cache=True, _nrt=False)
def flow_revision(ws, wf, trades, t):
    """The order flow's revision of the value at ``t`` (cents): every aggressive order in the trade log
    since the last call (its consecutive trades with one taker, together) adds ``flow_impact * side *
    (shares / 100) ** flow_exponent`` at its time, split into a permanent and a decaying part."""
    impact = wf[WF_FLOW_IMPACT]
    if impact <= 0.0:
        return 0.0
    n = ws[W_N_TRADES]
    j = ws[W_FLOW_SEEN]
    keep = wf[WF_FLOW_PERMANENT_SHARE]
    while j < n:
        taker, side, when = trades[j]["taker_id"], trades[j]["side"], trades[j]["time"]
        qty = 0
        while j < n and trades[j]["taker_id"] == taker:
            qty += trades[j]["qty"]
            j += 1
        _decay_flow(ws, wf, when)
        step = impact * side * (qty / 100.0) ** wf[WF_FLOW_EXPONENT]
        wf[WF_FLOW_PERMANENT] += keep * step
        wf[WF_FLOW_TRANSIENT] += (1.0 - keep) * step
    ws[W_FLOW_SEEN] = n
    _decay_flow(ws, wf, t)
    return wf[WF_FLOW_PERMANENT] + wf[WF_FLOW_TRANSIENT]


@njit(cache=True, _nrt=False)
def observe_fundamental(ws, wf, rng, t, noise_var, trades):
    """A noisy observation of the fundamental at ``t``, revised by the order flow (see
    :func:`flow_revision`; nothing by default): ``round(N(value + revision, noise_var))`` cents."""
    value = advance_fundamental(ws, wf, rng, t)
    revision = flow_revision(ws, wf, trades, t)
    if revision != 0.0:
        value = max(0.0, value + revision)
    return float(round(rng.normal(value, math.sqrt(noise_var))))
