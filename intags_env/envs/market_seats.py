"""``CompiledSeats``: the learners of a ``market_v0`` cycle in arrays, their orders, fills, rewards and
observations computed by one Numba call each for all seats.

Each seat is exactly the single-learner environment of its role (``ExecutionEnv``, ``MarketMakingEnv``,
``TradingEnv``) seated at its participant, bit for bit (tested against the Python seats): the order and
observation logic are the very row functions the vector environments use (:mod:`.vector_execution`,
:mod:`.vector_market_making`, :mod:`.vector_trading`), and fills are booked trade by trade in the trade
log's order, as ``TradingSession`` books them. Python is left with what PettingZoo's API is made of:
the per-agent dictionaries, the ``info`` entries (``Fill`` and ``Order`` objects) and the rare end of a
horizon (an execution seat's force-execution changes the book the next seats see, so that cycle's
seats finish one by one, in order).

Used when the background is the agent-based ``World`` and no scripted ``TradingAgent`` plays (those
act from Python between cycles: the Python seats run then).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from ..exchange.types import MESSAGE_DTYPE, MsgKind
from ..world.layout import A_N_OPEN, W_CLOCK, W_N_TRADES
from ..world.market import compact_open_orders
from ..world.world import depth_both
from .base import TraderEnv
from .execution import ExecutionEnv
from .market_making import SIDE_NAMES, MarketMakingEnv
from .protocol import Fill, Order
from .session import TradingSession
from .trading import TradingEnv
from .vector_base import (
    BOUGHT,
    CASH,
    COST,
    FEES,
    FILLED,
    INVENTORY,
    SOLD,
    STEP_QTY,
    TRADED,
    clip,
    market_features,
)
from .vector_execution import _MULTIPLIERS, execution_extra, execution_order
from .vector_market_making import _OFFSETS, _SIZES, quote_extra, quote_orders
from .vector_trading import trade_order, trading_extra

__all__ = ["CompiledSeats"]

EXECUTION, MARKET_MAKER, TRADER = 0, 1, 2
_CANCEL = int(MsgKind.CANCEL)
#: Columns of a fill row: seat, time, side, price (cents), qty, order id, aggressor (1/0).
N_FILL_COLUMNS = 7


@njit(cache=True)
def seat_orders(live, role, actions, acc, state, k, n_steps, side, quantity, max_inventory, trade_size,
                max_position, book, base, mid0, last_mid, first_owner, sc, ht, ag_i, ag_orders, msgs,
                sent, flags, cost_before, filled_before, counters):  # fmt: skip
    """Every live seat's messages, in seat order: the cancels of its resting orders (oldest first), then
    its role's orders (``sent[i]``: where they start, how many). ``flags[i]``: the market maker's blocked
    sides or the trader's withheld trade. Also what the cycle's outcome is measured from: the execution
    cost and progress before it, no shares filled yet, no fills listed. Returns the message count, or -1
    if ``msgs`` is too short (nothing is changed then but the owners' open-order lists, only compacted)."""
    needed = 0
    for i in live:
        needed += compact_open_orders(sc, ht, ag_i, ag_orders, first_owner + i) + 2
    if needed > len(msgs):
        return -1
    for i in range(len(role)):
        cost_before[i] = state[i, COST] + acc[i, FEES]
        filled_before[i] = state[i, FILLED]
        state[i, STEP_QTY] = 0.0
    counters[2] = 0
    bid, ask = book[0, 0, 0], book[1, 0, 0]
    pos = 0
    for i in live:
        owner = first_owner + i
        for j in range(ag_i[owner, A_N_OPEN]):
            m = msgs[pos]
            m["time"], m["order_id"], m["price"], m["qty"] = 0, ag_orders[owner, j], 0, 0
            m["owner"], m["kind"], m["side"], m["flags"] = owner, _CANCEL, 0, 0
            pos += 1
        flags[i] = 0
        if role[i] == EXECUTION:
            left = quantity[i] - np.int64(state[i, FILLED])
            n = execution_order(msgs, pos, actions[i, 0], actions[i, 1], left, max(1, n_steps - k[i]),
                                side[i], bid, ask, base, mid0, _MULTIPLIERS)  # fmt: skip
        elif role[i] == MARKET_MAKER:
            n, flags[i] = quote_orders(msgs, pos, actions[i], acc[i, INVENTORY], max_inventory[i], bid, ask,
                                       base, last_mid, _OFFSETS, _SIZES)  # fmt: skip
        else:
            n, flags[i] = trade_order(msgs, pos, actions[i, 0], acc[i, INVENTORY], trade_size[i],
                                      max_position[i])  # fmt: skip
        for j in range(pos, pos + n):
            msgs[j]["time"], msgs[j]["order_id"], msgs[j]["owner"] = 0, 0, owner
        sent[i, 0], sent[i, 1] = pos, n
        pos += n
    return pos


@njit(cache=True)
def seat_collect(trades, ws, counters, first_owner, n_seats, fee_rate, side, mid0, acc, state, fills):
    """Book the trades since ``counters[0]`` into the seats' accounts and fill state (as
    ``TradingSession._collect`` and ``ExecutionEnv._book``: trade by trade, taker leg first) and append
    each seat's fill to ``fills`` from row ``counters[2]``; ``counters[1]`` counts the market's volume.
    Returns -1 (booking nothing) if ``fills`` might overflow."""
    n = ws[W_N_TRADES]
    if counters[2] + 2 * (n - counters[0]) > len(fills):
        return -1
    for j in range(counters[0], n):
        t = trades[j]
        qty = t["qty"]
        counters[1] += qty
        price = t["price"]
        notional = float(price) * qty
        for leg in range(2):
            if leg == 0:
                who, own_side, oid = t["taker_owner"], t["side"], t["taker_id"]
            else:
                who, own_side, oid = t["maker_owner"], -t["side"], t["maker_id"]
            i = who - first_owner
            if i < 0 or i >= n_seats:
                continue
            acc[i, CASH] -= own_side * notional + fee_rate * notional
            acc[i, FEES] += fee_rate * notional
            acc[i, INVENTORY] += own_side * qty
            acc[i, TRADED] += qty
            state[i, FILLED] += qty * own_side * side[i]
            state[i, COST] += own_side * (price - mid0) * qty
            state[i, STEP_QTY] += qty
            state[i, BOUGHT if own_side > 0 else SOLD] += qty
            f = fills[counters[2]]
            f[0], f[1], f[2], f[3], f[4], f[5], f[6] = i, t["time"], own_side, price, qty, oid, 1 - leg
            counters[2] += 1
    counters[0] = n
    return 0


@njit(cache=True)
def seat_outcomes(which, role, acc, state, k, n_steps, side, quantity, max_inventory, max_position,
                  penalty_rate, vol_scale, inv_scale, book, base, mids, counters, volume_seen, cost_before,
                  last_pnl, penalty, prev_mid, rewards, out):  # fmt: skip
    """After the market reached the decision: the mid (``mids[1]``, kept if a side is empty), then each
    seat of ``which``'s reward and observation (``finish_step``: ``_reward``, ``_observe``)."""
    bid, ask = book[0, 0, 0], book[1, 0, 0]
    if bid >= 0 and ask >= 0:
        mids[1] = ((bid + base) + (ask + base)) / 2
    mid0, last_mid = mids[0], mids[1]
    for i in which:
        inventory = acc[i, INVENTORY]
        if role[i] == EXECUTION:
            after = state[i, COST] + acc[i, FEES]
            rewards[i] = -(after - cost_before[i]) / (quantity[i] * mid0) * 1e4
        else:
            marked = inventory * last_mid if inventory != 0 else 0.0
            pnl = (acc[i, CASH] + marked) / 100.0
            change = pnl - last_pnl[i]
            last_pnl[i] = pnl
            if role[i] == MARKET_MAKER:
                cost = penalty_rate[i] * abs(inventory)
                penalty[i] += cost
                change -= cost
            rewards[i] = change
        volume = counters[1] - volume_seen[i]
        volume_seen[i] = counters[1]
        o = out[i]
        market_features(o, book, base, k[i], n_steps, last_mid, mid0, volume, vol_scale[i], inventory,
                        inv_scale[i])  # fmt: skip
        if role[i] == EXECUTION:
            execution_extra(o, quantity[i], state[i, FILLED], state[i, COST] + acc[i, FEES], mid0)
        elif role[i] == MARKET_MAKER:
            quote_extra(o, state, i, inventory, max_inventory[i])
        else:
            trading_extra(o, inventory, max_position[i], last_mid, prev_mid, i)
        clip(o)


class CompiledSeats:
    """The seats of one ``TradingSession`` (participants ``0..n-1``) in arrays; see the module doc.
    ``seats`` are the Python environments of the roles: their constants are read here, and their
    ``account``, ``last_mid`` and ``k`` are kept current for readers (rendering, examples)."""

    def __init__(self, session: TradingSession, seats: Sequence[TraderEnv]) -> None:
        self.session = session
        self.seats = list(seats)
        n = self.n = len(seats)

        def column(kind: type, attribute: str, default: Any, dtype: type) -> np.ndarray:
            return np.array([getattr(s, attribute) if isinstance(s, kind) else default for s in seats], dtype)

        self.role = np.array(
            [EXECUTION if isinstance(s, ExecutionEnv) else MARKET_MAKER if isinstance(s, MarketMakingEnv)
             else TRADER for s in seats], np.int64)  # fmt: skip
        self.roles = self.role.tolist()
        self.widths = [s.observation_space.shape[0] for s in seats]
        self.side = column(ExecutionEnv, "side", 1, np.int64)
        self.quantity = column(ExecutionEnv, "quantity", 1, np.int64)
        self.max_inventory = column(MarketMakingEnv, "max_inventory", 1, np.int64)
        self.penalty_rate = column(MarketMakingEnv, "inventory_penalty", 0.0, np.float64)
        self.trade_size = column(TradingEnv, "trade_size", 0, np.int64)
        self.max_position = column(TradingEnv, "max_position", 1, np.int64)
        self.vol_scale = np.array([s.volume_scale for s in seats], np.float64)
        self.inv_scale = np.array([s.inventory_scale for s in seats], np.float64)
        self.n_steps = seats[0].n_steps
        self.base = session.config.min_price
        self.first_owner = session.owner(0)
        self.actions = np.zeros((n, 4), np.int64)
        self.msgs = np.zeros(8 * n, MESSAGE_DTYPE)
        self.sent = np.zeros((n, 2), np.int64)
        self.flags = np.zeros(n, np.int64)
        self.fills = np.zeros((256, N_FILL_COLUMNS), np.int64)
        self.rewards = np.zeros(n)
        self.out = np.zeros((n, max(self.widths)), np.float32)

    # --- episode ------------------------------------------------------------------------------------

    def start(self) -> tuple[list[np.ndarray], list[dict]]:
        """The episode starts at the session's current time (after its warm-up): every seat's first
        observation and info (``TraderEnv.start_episode``)."""
        s, n = self.session, self.n
        self.acc = np.zeros((n, 4))
        self.state = np.zeros((n, 5))
        self.k = np.zeros(n, np.int64)
        self.counters = np.array([s._trades_seen, s._volume_mark, 0], np.int64)  # trades, volume, fills
        self.volume_seen = np.zeros(n, np.int64)  # TradingSession.reset zeroes every participant's mark
        self.cost_before = np.zeros(n)
        self.filled_before = np.zeros(n)
        self.last_pnl = np.zeros(n)
        self.penalty = np.zeros(n)
        self.t0 = s.clock
        mid = s.mid()
        self.mids = np.array([mid or float(s.config.oracle.r_bar)] * 2)
        self.prev_mid = np.full(n, self.mids[1])
        for seat in self.seats:  # the Python seats' episode state, for their readers
            seat.start_episode()
        self.flags[:] = 0
        self.sent[:] = 0
        rows = np.arange(n)
        self._outcomes(rows, book_fresh=True)
        first = self._results(list(range(n)), False, [[] for _ in range(n)])
        return [obs for obs, *_ in first], [info for *_, info in first]

    def next_decision_time(self) -> int:
        return self.t0 + (int(self.k.max()) + 1) * self.seats[0].interval

    # --- a cycle -----------------------------------------------------------------------------------

    def step(self, live: list[int], actions: list[Any]) -> list[tuple]:
        """Seats ``live`` (in order) act; the market runs to the next decision. Per live seat: (observation,
        reward, terminated, truncated, info)."""
        s = self.session
        world = s.world
        a = world.arrays
        rows = np.asarray(live, np.int64)
        for i, action in zip(live, actions):
            if isinstance(action, np.ndarray):
                self.actions[i, : len(action)] = action
            else:
                self.actions[i, 0] = action
        t = min(self.next_decision_time(), s.end_ns)
        while True:
            n_msgs = seat_orders(rows, self.role, self.actions, self.acc, self.state, self.k, self.n_steps,
                                 self.side, self.quantity, self.max_inventory, self.trade_size,
                                 self.max_position, s._book, self.base, self.mids[0], self.mids[1],
                                 self.first_owner, a.sc, a.ht, a.ag_i, a.ag_orders, self.msgs, self.sent,
                                 self.flags, self.cost_before, self.filled_before,
                                 self.counters)  # fmt: skip
            if n_msgs >= 0:
                break
            self.msgs = np.zeros(2 * len(self.msgs), MESSAGE_DTYPE)
        sent = [self._sent_orders(i) for i in live]
        world.participant_step(self.msgs[:n_msgs], -1, t, s._book)
        self._mark_session_book()
        self._collect()
        self.k[rows] += 1
        final = int(self.k[rows[0]]) >= self.n_steps or int(world.arrays.ws[W_CLOCK]) >= s.end_ns
        if not final:
            self._outcomes(rows, book_fresh=True)
            results = self._results(live, final, sent)
        else:  # one by one: a force-execution moves the book the next seats see
            results = []
            for i, orders in zip(live, sent):
                synthetic = self._force(i, self.filled_before[i]) if self.roles[i] == EXECUTION else None
                self._outcomes(np.array([i]), book_fresh=False)
                results += self._results([i], final, [orders], synthetic)
        self._sync(live)
        return results

    def _results(self, live: list[int], final: bool, sent: list[list[Order]], synthetic=None) -> list:
        """Seats ``live``'s (observation, reward, terminated, truncated, info) with the fills collected so
        far this cycle (and ``synthetic``, an execution's unfillable rest, for a single seat)."""
        acc, state = self.acc.tolist(), self.state.tolist()
        rewards, flags, penalty = self.rewards.tolist(), self.flags.tolist(), self.penalty.tolist()
        mid0, last_mid = self.mids.tolist()
        clock = self.session.clock
        fills: dict[int, list[Fill]] = {i: [] for i in live}
        for seat, t, sd, p, q, oid, ag in self.fills[: self.counters[2]].tolist():
            if seat in fills:
                fills[seat].append(Fill(t, sd, p, q, oid, bool(ag)))
        results = []
        for i, orders in zip(live, sent):
            cash, fees, inventory, traded = acc[i]
            inventory = int(inventory)
            own = fills[i]
            if synthetic is not None:
                own.append(synthetic)
            info = {
                "time": clock,
                "pnl": (cash + (inventory * last_mid if inventory else 0.0)) / 100.0,
                "cash": cash / 100.0,
                "inventory": inventory,
                "fees": fees / 100.0,
                "traded": int(traded),
                "mid": last_mid / 100.0,
                "fills": own,
            }
            role, seat = self.roles[i], self.seats[i]
            ended = final
            if role == EXECUTION:
                filled, cost, q = int(state[i][FILLED]), state[i][COST], seat.quantity
                ended = final or state[i][FILLED] >= q
                info["filled"] = filled
                info["remaining"] = q - filled
                info["arrival_price"] = mid0 / 100.0
                info["shortfall_bps"] = (cost + fees) / (q * mid0) * 1e4
                info["vwap"] = (mid0 + cost / filled * seat.side) / 100.0 if filled else None
                info["step_qty"] = sum(f.qty for f in own)
            elif role == MARKET_MAKER:
                info["quotes"] = {
                    name: next((o for o in orders if o.side == side), None)
                    for side, name in SIDE_NAMES.items()
                }
                info["blocked_side"] = (None, "bid", "ask", "both")[flags[i]]
                info["penalty"] = penalty[i]
                info["max_inventory"] = seat.max_inventory
            else:
                info["trade"] = orders[0] if orders else None
                info["limited"] = bool(flags[i])
                info["max_position"] = seat.max_position
            obs = self.out[i, : self.widths[i]].copy()
            results.append((obs, rewards[i], ended and not final, ended and final, info))
        return results

    def _force(self, i: int, filled_before: float) -> Fill | None:
        """``ExecutionEnv._finish`` of seat ``i``: cancel what rests and force-execute what is left with a
        market order; what even that cannot fill is a synthetic fill at the mid plus the penalty."""
        s, seat = self.session, self.seats[i]
        left = int(self.quantity[i]) - int(filled_before) - int(self.state[i, STEP_QTY])
        owner = self.first_owner + i
        resting = s.world.open_orders(owner)
        msgs = np.zeros(len(resting) + (1 if left > 0 else 0), MESSAGE_DTYPE)
        msgs["owner"] = owner
        msgs["kind"][: len(resting)] = MsgKind.CANCEL
        msgs["order_id"][: len(resting)] = resting
        if left > 0:
            msgs["kind"][-1], msgs["side"][-1], msgs["qty"][-1] = MsgKind.MARKET, seat.side, left
        step_qty = self.state[i, STEP_QTY]
        if len(msgs):
            s.world.submit(msgs)
            s._book_fresh, s._top = False, None
            self._collect()
        left -= int(self.state[i, STEP_QTY] - step_qty)
        if left <= 0:
            return None
        price = int(round(self.mids[1] * (1 + seat.side * seat.unfilled_penalty_bps * 1e-4)))
        self.state[i, FILLED] += left * seat.side * seat.side
        self.state[i, COST] += seat.side * (price - self.mids[0]) * left
        return Fill(s.clock, seat.side, price, left, -1, True)

    def _collect(self) -> None:
        s = self.session
        while True:
            a = s.world.arrays
            if seat_collect(a.trades, a.ws, self.counters, self.first_owner, self.n, s.fee_rate, self.side,
                            self.mids[0], self.acc, self.state, self.fills) == 0:  # fmt: skip
                return
            grown = np.zeros((2 * len(self.fills) + 2 * s.world.n_trades, N_FILL_COLUMNS), np.int64)
            grown[: len(self.fills)] = self.fills
            self.fills = grown

    def _outcomes(self, rows: np.ndarray, book_fresh: bool) -> None:
        s = self.session
        if not book_fresh:
            depth_both(s.world.arrays, s._book)
            self._mark_session_book()
        seat_outcomes(rows, self.role, self.acc, self.state, self.k, self.n_steps, self.side, self.quantity,
                      self.max_inventory, self.max_position, self.penalty_rate, self.vol_scale,
                      self.inv_scale, s._book, self.base, self.mids, self.counters, self.volume_seen,
                      self.cost_before, self.last_pnl, self.penalty, self.prev_mid, self.rewards,
                      self.out)  # fmt: skip

    def _mark_session_book(self) -> None:
        """The session's book levels were just written: its cached views are current again."""
        s = self.session
        s._book_fresh, s._top = True, None

    # --- what Python reports ------------------------------------------------------------------------

    def _sent_orders(self, i: int) -> list[Order]:
        """The orders seat ``i`` sent this cycle (for the ``info`` of the roles that report them)."""
        start, n = self.sent[i].tolist()
        if n == 0 or self.roles[i] == EXECUTION:
            return []
        rows = self.msgs[start : start + n][["price", "qty", "kind", "side", "flags"]].tolist()
        return [
            Order(side, qty) if kind == MsgKind.MARKET else Order(side, qty, price + self.base)
            for price, qty, kind, side, _ in rows
        ]

    def _sync(self, live: list[int]) -> None:
        """The Python seats' accounts, mid, mid path and step count, for their readers (rendering)."""
        rows = self.acc.tolist()
        last_mid = float(self.mids[1])
        clock = self.session.clock
        for i in live:
            seat = self.seats[i]
            account = seat.account
            account.cash, account.fees, inventory, traded = rows[i]
            account.inventory, account.traded = int(inventory), int(traded)
            seat.last_mid = last_mid
            seat._path.append((clock, last_mid))
            seat.k = int(self.k[i])
