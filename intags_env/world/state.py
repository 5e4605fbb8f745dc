"""Building the world's arrays from a ``WorldConfig``: the book, the agents, the queue and the records."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..exchange.book import new_book
from .config import NS_PER_SECOND, WorldConfig, parse_time_of_day
from .layout import (
    A_LAST_MID,
    A_LAST_WAKE,
    A_LATENCY,
    A_LONG,
    A_MAX_SIZE,
    A_MIN_SIZE,
    A_MM_SIZE,
    A_NUM_TICKS,
    A_POISSON,
    A_REVIVE,
    A_SHORT,
    A_SIZE_MODEL,
    A_TYPE,
    A_WINDOW,
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
    F_SKEW_BETA,
    F_SPREAD_ALPHA,
    F_SWEEP_MARGIN,
    F_WAKE_MEAN,
    MAX_OPEN_ORDERS,
    N_AF,
    N_AI,
    N_PF,
    N_WF,
    N_WS,
    P_NEXT,
    RECORD_DTYPE,
    TRADE_DTYPE,
    W_END,
    W_FLOW_T,
    W_MIN_PRICE,
    W_MM_COUNT,
    W_MM_FIRST,
    W_N_AGENTS,
    W_NEXT_SHOCK,
    W_ORACLE_T,
    W_PEND_FREE,
    W_REC_LEVELS,
    W_START,
    WAKE,
    WF_FLOW_EXPONENT,
    WF_FLOW_IMPACT,
    WF_FLOW_PERMANENT_SHARE,
    WF_FLOW_RATE,
    WF_FUND_VOL,
    WF_FUNDAMENTAL,
    WF_IMB_THRESHOLD,
    WF_KAPPA,
    WF_R_BAR,
    WF_SHOCK_MEAN,
    WF_SHOCK_RATE,
    WF_SHOCK_VAR,
    WF_SIZE_CUM,
    WF_SIZE_LN_WEIGHT,
    WF_SIZE_LOT,
    WF_SIZE_MU,
    WF_SIZE_N_LOTS,
    WF_SIZE_SIGMA,
    AgentType,
)
from .market import heap_push_all
from .oracle import first_shock

SPEED_OF_LIGHT_M_PER_NS = 0.299792458


class WorldArrays(NamedTuple):
    """Every array of a running world, in the argument order of the Numba kernels."""

    sc: np.ndarray  # the exchange's book (five arrays, see intags_env.exchange.book)
    lv: np.ndarray
    bk: np.ndarray
    od: np.ndarray
    ht: np.ndarray
    ssc: np.ndarray  # shadow level-2 book that the record's book rows come from
    slv: np.ndarray
    sbk: np.ndarray
    ws: np.ndarray  # world integer scalars (layout.W_*)
    wf: np.ndarray  # world float scalars (layout.WF_*)
    heap: np.ndarray  # event queue
    pend: np.ndarray  # in-flight messages of agents with latency
    ag_i: np.ndarray  # agents' integer state and parameters (layout.A_*)
    ag_f: np.ndarray  # agents' float state and parameters (layout.F_*)
    ag_orders: np.ndarray  # agents' open order ids
    ag_hist: np.ndarray  # momentum agents' recent mids
    ev: np.ndarray  # the exchange's event scratch buffer
    rec: np.ndarray  # record: one row per book-changing message (RECORD_DTYPE)
    rec_book: np.ndarray  # record: book after each row (LOBSTER columns)
    trades: np.ndarray  # record: one row per trade (TRADE_DTYPE)
    scratch: np.ndarray
    chain: np.ndarray  # (head, tail) of the pending messages of the decision being made


def _agent_rows(config: WorldConfig, n_external: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter and state rows of every agent: noise, value, market makers, momentum, then external."""
    c = config
    n = c.n_agents + n_external
    ag_i = np.zeros((n, N_AI), np.int64)
    ag_f = np.zeros((n, N_AF), np.float64)
    ag_i[:, A_LAST_WAKE] = -1
    ag_i[:, A_LAST_MID] = -1
    ag_i[:, A_WINDOW] = -1
    start = 0

    def block(count: int, kind: AgentType) -> slice:
        nonlocal start
        rows = slice(start, start + count)
        ag_i[rows, A_TYPE] = int(kind)
        start += count
        return rows

    block(c.noise.count, AgentType.NOISE)

    v = c.value
    rows = block(v.count, AgentType.VALUE)
    ag_i[rows, A_POISSON] = 1
    ag_f[rows, F_WAKE_MEAN] = 1.0 / v.arrival_rate
    ag_f[rows, F_KAPPA] = v.kappa
    ag_f[rows, F_SIGMA_N] = c.oracle.r_bar / 100 if v.obs_noise_var is None else v.obs_noise_var
    ag_f[rows, F_SIGMA_S] = v.sigma_s
    ag_f[rows, F_R_T] = c.oracle.r_bar
    ag_f[rows, F_PCT_AGGR] = v.percent_aggressive
    ag_f[rows, F_DEPTH_SPREAD] = v.depth_spread
    ag_f[rows, F_SWEEP_MARGIN] = np.inf if v.sweep_margin is None else v.sweep_margin

    m = c.market_makers
    rows = block(m.count, AgentType.MARKET_MAKER)
    ag_i[rows, A_POISSON] = int(m.poisson)
    ag_i[rows, A_NUM_TICKS] = m.num_ticks
    ag_i[rows, A_MIN_SIZE] = m.min_order_size
    ag_i[rows, A_WINDOW] = -1 if m.window_size is None else m.window_size
    ag_f[rows, F_WAKE_MEAN] = m.wake_interval_s * NS_PER_SECOND
    ag_f[rows, F_POV] = m.pov
    ag_f[rows, F_LEVEL_SPACING] = m.level_spacing
    ag_f[rows, F_SPREAD_ALPHA] = m.spread_alpha
    ag_f[rows, F_PRICE_SKEW] = m.price_skew
    ag_f[rows, F_SKEW_BETA] = m.skew_beta
    ag_f[rows, F_LAST_SPREAD] = m.initial_spread
    ag_i[rows, A_REVIVE] = int(m.revive)
    ag_i[rows, A_MM_SIZE] = m.min_order_size

    mo = c.momentum
    rows = block(mo.count, AgentType.MOMENTUM)
    ag_i[rows, A_POISSON] = int(mo.poisson)
    ag_i[rows, A_MIN_SIZE] = mo.min_size
    ag_i[rows, A_MAX_SIZE] = mo.max_size
    ag_i[rows, A_SHORT] = mo.short_window
    ag_i[rows, A_LONG] = mo.long_window
    ag_i[rows, A_SIZE_MODEL] = int(mo.size_from_model)
    ag_f[rows, F_WAKE_MEAN] = mo.wake_interval_s * NS_PER_SECOND

    block(n_external, AgentType.EXTERNAL)
    return ag_i, ag_f


def _latencies(config: WorldConfig, n_agents: int, rng: np.random.Generator) -> np.ndarray:
    """One-way delay (ns) of every agent to the exchange, per the latency model."""
    lat = config.latency
    if lat.model == "none":
        return np.zeros(n_agents, np.int64)
    if lat.model == "fixed":
        return np.full(n_agents, lat.fixed_ns, np.int64)
    exchange_x = rng.uniform(0.0, lat.line_length_m)
    agent_x = rng.uniform(0.0, lat.line_length_m, size=n_agents)
    return (np.abs(agent_x - exchange_x) / SPEED_OF_LIGHT_M_PER_NS).astype(np.int64)


def _world_floats(config: WorldConfig) -> np.ndarray:
    wf = np.zeros(N_WF, np.float64)
    o = config.oracle
    wf[WF_FUNDAMENTAL] = o.r_bar
    wf[WF_R_BAR] = o.r_bar
    wf[WF_KAPPA] = o.kappa
    wf[WF_FUND_VOL] = o.fund_vol
    wf[WF_SHOCK_RATE] = o.megashock_rate
    wf[WF_SHOCK_MEAN] = o.megashock_mean
    wf[WF_SHOCK_VAR] = o.megashock_var
    s = config.order_size
    total = s.lognormal_weight + sum(s.lot_weights)
    wf[WF_SIZE_LN_WEIGHT] = s.lognormal_weight / total
    wf[WF_SIZE_MU] = s.mu
    wf[WF_SIZE_SIGMA] = s.sigma
    wf[WF_SIZE_LOT] = s.lot
    wf[WF_SIZE_N_LOTS] = len(s.lot_weights)
    cum = wf[WF_SIZE_LN_WEIGHT] + np.cumsum(np.asarray(s.lot_weights, np.float64) / total)
    wf[WF_SIZE_CUM : WF_SIZE_CUM + len(cum)] = cum
    wf[WF_IMB_THRESHOLD] = config.market_makers.imbalance_threshold
    wf[WF_FLOW_IMPACT] = o.flow_impact
    wf[WF_FLOW_EXPONENT] = o.flow_exponent
    wf[WF_FLOW_RATE] = 0.0 if o.flow_memory_s is None else 1.0 / (o.flow_memory_s * 1e9)
    wf[WF_FLOW_PERMANENT_SHARE] = o.flow_permanent
    return wf


def build_world(
    config: WorldConfig,
    rng: np.random.Generator,
    n_external: int = 0,
    record_capacity: int = 1 << 16,
    reuse: WorldArrays | None = None,
) -> WorldArrays:
    """Fresh state for one episode, with every background agent's first wake-up scheduled; external
    participants get agent indices after the background's.

    ``reuse``: a previous episode's arrays of the same world; its large buffers whose contents past their
    counters are never read (the event scratch, the records, the open-order lists) are taken over instead
    of allocated again — allocating them dominated ``reset``."""
    c = config
    book = new_book(c.book.n_levels, c.book.max_orders)
    shadow = new_book(c.book.n_levels, 1)
    ag_i, ag_f = _agent_rows(c, n_external)
    n_agents = len(ag_i)
    ag_i[: c.n_agents, A_LATENCY] = _latencies(c, c.n_agents, rng)
    ws = np.zeros(N_WS, np.int64)
    ws[W_START] = c.start_ns
    ws[W_END] = c.end_ns
    ws[W_N_AGENTS] = n_agents
    ws[W_MIN_PRICE] = c.min_price
    ws[W_REC_LEVELS] = c.book.record_levels
    ws[W_ORACLE_T] = c.start_ns
    ws[W_FLOW_T] = c.start_ns
    ws[W_MM_FIRST] = c.noise.count + c.value.count
    ws[W_MM_COUNT] = c.market_makers.count
    wf = _world_floats(c)
    ws[W_NEXT_SHOCK] = first_shock(wf, rng, c.start_ns)

    pend_rows = 8 * n_agents + 1024  # in-flight messages (agents with latency): a few decisions each
    pend = np.zeros((pend_rows, N_PF), np.int64)
    pend[:, P_NEXT] = np.arange(1, pend_rows + 1)
    pend[-1, P_NEXT] = -1
    ws[W_PEND_FREE] = 0

    arrays = WorldArrays(
        *book,
        shadow.scalars,
        shadow.levels,
        shadow.blocks,
        ws,
        wf,
        np.zeros((4 * n_agents + 1024, 3), np.int64),
        pend,
        ag_i,
        ag_f,
        *(
            _buffers(c, n_agents, record_capacity)
            if reuse is None or reuse.ag_orders.shape[0] != n_agents
            else (
                reuse.ag_orders,
                reuse.ag_hist,
                reuse.ev,
                reuse.rec,
                reuse.rec_book,
                reuse.trades,
                reuse.scratch,
            )
        ),
        np.full(2, -1, np.int64),
    )
    _schedule_first_wakeups(arrays, c, rng)
    return arrays


def _buffers(c: WorldConfig, n_agents: int, record_capacity: int) -> tuple[np.ndarray, ...]:
    """ag_orders, ag_hist, ev, rec, rec_book, trades, scratch (see ``WorldArrays``)."""
    return (
        np.zeros((n_agents, MAX_OPEN_ORDERS), np.int64),
        np.zeros((n_agents, max(1, c.momentum.long_window)), np.float64),
        np.zeros(3 * c.book.max_orders + 64, _event_dtype()),
        np.zeros(record_capacity, RECORD_DTYPE),
        np.zeros((record_capacity, 4 * c.book.record_levels), np.int64),
        np.zeros(record_capacity, TRADE_DTYPE),
        np.zeros((3, max(64, c.book.record_levels)), np.int64),
    )


def _event_dtype() -> np.dtype:
    from ..exchange.types import EVENT_DTYPE

    return EVENT_DTYPE


def _schedule_first_wakeups(a: WorldArrays, c: WorldConfig, rng: np.random.Generator) -> None:
    """As ABIDES: noise agents at their own wake time (those due before the open act at the open, those
    due after the close never); value, market-maker and momentum agents one random interval after the open."""
    start, end = c.start_ns, c.end_ns
    lo, hi = parse_time_of_day(c.noise.wake_start), parse_time_of_day(c.noise.wake_end)
    u = rng.random(c.noise.count)
    if c.noise.wake_distribution == "u_quadratic":  # inverse CDF of density 12 (x - 1/2)^2 on [0, 1]
        x = np.cbrt(u / 4 - 1 / 8) + 0.5
    else:
        x = u
    wake = lo + (x * (hi - lo)).astype(np.int64)
    at_open = start + rng.integers(0, 100, size=c.noise.count)
    noise_t = np.where(wake < start, np.maximum(wake, at_open), wake)
    first = c.noise.count
    others = np.arange(first, first + c.value.count + c.market_makers.count + c.momentum.count)
    other_t = start + np.round(rng.exponential(a.ag_f[others, F_WAKE_MEAN])).astype(np.int64)
    times = np.concatenate([noise_t, other_t])
    payloads = 4 * np.concatenate([np.arange(first), others]) + WAKE
    keep = times < end
    if not heap_push_all(a.ws, a.heap, times[keep], payloads[keep]):
        raise RuntimeError(f"the event queue ({len(a.heap)} entries) cannot hold the first wake-ups")


def grow_records(a: WorldArrays) -> WorldArrays:
    """The same world with record buffers twice as large (contents kept)."""
    n = len(a.rec)

    def grown(x: np.ndarray) -> np.ndarray:
        out = np.zeros((2 * n, *x.shape[1:]), x.dtype)
        out[:n] = x
        return out

    return a._replace(rec=grown(a.rec), rec_book=grown(a.rec_book), trades=grown(a.trades))


def max_messages_per_decision(c: WorldConfig) -> int:
    """The most messages one agent decision sends (a market maker's cancels and ladder)."""
    return 2 * c.market_makers.num_ticks + 64 + 2 + int(math.ceil(c.market_makers.backstop_quantity > 0)) * 2
