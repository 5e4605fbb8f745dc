"""The experimental trader's session in one Numba call, on the agent-based market.

An INTAGS feedback episode on a simulated "real" market is a ``TradingSession`` whose only player is a
``ConfoundedTrader`` deciding every ``interval_s``. Run from Python, each decision costs a market view, a
``MarketView`` object, a log append and a submit (~0.1 ms), and on a 30-minute window with a 10-second
trader the decisions dominate the episode. :func:`advance_with_trader` runs the same session — the
market to each decision, the trader's state, propensity, coin and market order, the market to the end —
inside one kernel (re-entered only when the record buffers must grow), logging into arrays that become
the trader's ``log``. The trader draws from its own generator (the one ``reset`` seeded), the world from
its own: the session is bit-identical to the Python path (tested), which still serves every other player
and background.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..envs.session import TradingSession
from ..exchange.kernels import depth
from ..exchange.types import MESSAGE_DTYPE, MsgKind
from ..world import World
from ..world.config import NS_PER_SECOND
from ..world.layout import W_CLOCK, W_N_TRADES, WorldStatus
from ..world.participants import run_until_listed, submit_listed
from ..world.state import grow_records
from .trader import ConfoundedTrader

__all__ = ["advance_with_trader", "compiled_trader_applies"]

#: Columns of the kernel's log (all float64; ``ConfoundedTrader.log``'s keys, in this order).
LOG_KEYS = ("action", "propensity", "mid", "state", "time", "spread", "touch_imbalance")
#: Trader parameters: alpha, beta, return_scale, imbalance_scale, z_clip, feature (1 = imbalance).
N_PARAMS = 6
#: Loop state: next decision (ns), decisions logged, a decided order not yet submitted (1/0), trades
#: in the log at the last turn (where the Python session hands the trader its fills).
NEXT, N_LOGGED, PENDING, TRADES_AT_TURN = range(4)
_INT_KEYS = ("action", "time", "spread")
_OK, _RECORD_FULL = int(WorldStatus.OK), int(WorldStatus.RECORD_FULL)


@njit(cache=True)
def _touch(sc, lv, bk, side, price, qty, count):
    """(level, size) of one side's best level; level -1 if the side is empty."""
    if depth(sc, lv, bk, side, 1, price, qty, count) == 0:
        return -1, 0
    return price[0], qty[0]


@njit(cache=True)
def trader_session(worlds, rngs, trader_rng, params, last_mid, interval, end, base, max_msgs, msg, loop, log):
    """Run the world in ``worlds[0]`` to ``end``, the trader deciding at ``loop[NEXT]``, then every
    ``interval`` ns (``TradingSession.advance`` with one ``ConfoundedTrader``). Returns a ``WorldStatus``:
    on ``RECORD_FULL`` grow the record buffers and call again (the loop resumes where it stopped; a
    decided order is kept in ``msg``)."""
    w = worlds[0]
    sc, lv, bk, ws = w[0], w[1], w[2], w[8]
    scratch = np.zeros(3, np.int64)
    price, qty, count = scratch[0:1], scratch[1:2], scratch[2:3]
    alpha, beta, return_scale, imbalance_scale, z_clip = params[0], params[1], params[2], params[3], params[4]
    while True:
        if loop[PENDING] == 1:  # the decided order goes in (again, after the buffers grew)
            status, _ = submit_listed(worlds, msg, ws[W_CLOCK])
            if status != _OK:
                return status
            loop[PENDING] = 0
            loop[NEXT] += interval
        if loop[NEXT] > end:
            break
        status = run_until_listed(worlds, rngs, loop[NEXT], max_msgs)
        if status != _OK:
            return status
        if ws[W_CLOCK] >= end:  # the session is over: no decision
            loop[NEXT] += interval
            continue
        loop[TRADES_AT_TURN] = ws[W_N_TRADES]
        bid, bid_size = _touch(sc, lv, bk, 1, price, qty, count)
        ask, ask_size = _touch(sc, lv, bk, -1, price, qty, count)
        if bid < 0 or ask < 0:  # no mid: the trader sits out
            loop[NEXT] += interval
            continue
        mid = ((bid + base) + (ask + base)) / 2
        if params[5] == 1.0:
            z = (bid_size - ask_size) / (bid_size + ask_size) / imbalance_scale
        else:
            z = 0.0 if np.isnan(last_mid[0]) else np.log(mid / last_mid[0]) / return_scale
        z = min(max(z, -z_clip), z_clip)
        last_mid[0] = mid
        p = 1.0 / (1.0 + np.exp(-(alpha + beta * z)))
        a = 1 if trader_rng.random() < p else 0
        row = log[loop[N_LOGGED]]
        row[0], row[1], row[2], row[3] = a, p, mid, z
        row[4], row[5] = ws[W_CLOCK], (ask + base) - (bid + base)
        row[6] = (bid_size - ask_size) / (bid_size + ask_size) if bid_size + ask_size else 0.0
        loop[N_LOGGED] += 1
        msg[0]["side"] = 1 if a else -1
        loop[PENDING] = 1
    return run_until_listed(worlds, rngs, end, max_msgs)


def compiled_trader_applies(session: TradingSession) -> bool:
    """Whether :func:`advance_with_trader` can run ``session``: the agent-based ``World``, no learner and
    exactly one player, a ``ConfoundedTrader`` itself (a subclass may decide differently)."""
    return (
        isinstance(session.world, World)
        and session.n_learners == 0
        and len(session.scripted) == 1
        and type(session.scripted[0]) is ConfoundedTrader
    )


def advance_with_trader(session: TradingSession) -> None:
    """``session.advance(session.end_ns)`` for a session :func:`compiled_trader_applies` to, just after its
    ``reset``: the same market, trades, accounts and trader ``log``."""
    if not compiled_trader_applies(session):
        raise ValueError("advance_with_trader runs a World session whose only player is a ConfoundedTrader")
    trader: ConfoundedTrader = session.scripted[0]
    world = session.world
    interval = int(trader.interval_s * NS_PER_SECOND)  # as TradingSession schedules it
    end = session.end_ns
    first = session._next_scripted[0]
    params = np.array(
        [
            trader.alpha,
            trader.beta,
            trader.return_scale,
            trader.imbalance_scale,
            trader.z_clip,
            1.0 if trader.feature == "imbalance" else 0.0,
        ]
    )
    last_mid = np.array([np.nan if trader._last_mid is None else trader._last_mid])
    msg = np.zeros(1, MESSAGE_DTYPE)
    msg[0]["kind"], msg[0]["qty"], msg[0]["owner"] = MsgKind.MARKET, trader.size, session.owner(0)
    loop = np.array([first, 0, 0, -1], np.int64)
    log = np.zeros((max(0, (end - first) // interval) + 1, len(LOG_KEYS)))
    while True:
        worlds, rngs = world._kernel_view()
        status = trader_session(worlds, rngs, trader.rng, params, last_mid, interval, end,
                                session.config.min_price, world._max_msgs, msg, loop, log)  # fmt: skip
        if status != _RECORD_FULL:
            break
        world.arrays = grow_records(world.arrays)
    world._raise_for(status)
    rows = log[: loop[N_LOGGED]]
    for j, key in enumerate(LOG_KEYS):  # the types the Python trader logs: ints stay ints
        column = rows[:, j]
        trader.log[key].extend((column.astype(np.int64) if key in _INT_KEYS else column).tolist())
    trader._last_mid = None if np.isnan(last_mid[0]) else float(last_mid[0])
    session._next_scripted[0] = int(loop[NEXT])
    if loop[TRADES_AT_TURN] >= 0:  # as at the trader's last turn: its fills so far handed over (and
        session._collect(upto=int(loop[TRADES_AT_TURN]))  # dropped), the market's volume seen
        session.take_fills(0)
        session.market_volume_since_last(0)
    session.market_moved()  # the rest of the trades into the account, the cached book views dropped
