"""``TradingSession``: participants trading in a background market, with their accounts.

Shared by every environment (single- and multi-agent) and by the benchmark harness: it owns the
background, maps participants (learners and scripted ``TradingAgent``s) to exchange owners, turns
``Order``s into exchange messages, runs scripted agents at their own decision times while the market
advances, and keeps each participant's cash, inventory, fees and fills from the trade log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ..exchange.book import LAST_PRICE
from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world import World, WorldConfig
from ..world.config import NS_PER_SECOND
from ..world.world import depth_both
from .arguments import real_arg
from .background import make_background
from .protocol import Fill, MarketView, Order, TradingAgent

__all__ = ["Account", "TradingSession"]

CANCEL, MARKET, LIMIT = int(MsgKind.CANCEL), int(MsgKind.MARKET), int(MsgKind.LIMIT)
GTC, IOC = int(Flag.GTC), int(Flag.IOC)

DEPTH_LEVELS = 5


@dataclass
class Account:
    """A participant's money and position. Cash and fees in cents; P&L marks the inventory at the mid."""

    cash: float = 0.0
    inventory: int = 0
    fees: float = 0.0
    traded: int = 0  # lots bought + sold
    pending_fills: list[Fill] = field(default_factory=list)

    def pnl(self, mark: float | None) -> float:
        return self.cash + (self.inventory * mark if mark is not None and self.inventory else 0.0)


class TradingSession:
    """A background market with ``n_learners`` externally driven participants and scripted agents.

    Args:
        background: a world preset name, a ``WorldConfig``, or a ``World``-like background object.
        n_learners: participants driven by the caller (an env's learner(s)); indices 0..n_learners-1.
        scripted: ``TradingAgent``s that act on their own every ``agent.interval_s`` seconds.
        fee_bps: transaction cost charged on the notional of every fill, in basis points.
        start, end: session bounds overriding the background's (e.g. "09:30", "10:00").

    Participants' orders reach the exchange at once (no latency).
    """

    def __init__(
        self,
        background: str | WorldConfig | World = "rmsc04",
        n_learners: int = 1,
        scripted: Sequence[TradingAgent] = (),
        *,
        fee_bps: float = 0.0,
        start: str | int | None = None,
        end: str | int | None = None,
    ) -> None:
        if n_learners < 0:
            raise ValueError(f"n_learners must be non-negative, got {n_learners}")
        fee_bps = real_arg("fee_bps", fee_bps)
        self.scripted = list(scripted)
        for agent in self.scripted:
            if not isinstance(agent, TradingAgent):
                raise TypeError(f"scripted agents must implement TradingAgent, got {type(agent).__name__}")
            real_arg(f"{agent.name}: interval_s", agent.interval_s, strict=True)
        self.n_learners = n_learners
        self.n_participants = n_learners + len(self.scripted)
        self.world = make_background(background, self.n_participants, start=start, end=end)
        self.fee_rate = fee_bps * 1e-4
        self.accounts = [Account() for _ in range(self.n_participants)]
        self._msg = np.zeros(64, MESSAGE_DTYPE)
        self._book = np.zeros((2, 2, DEPTH_LEVELS), np.int64)  # [bid/ask, price tick/size, level]
        self._book_fresh = False
        self._top = None

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def config(self) -> WorldConfig:
        return self.world.config

    @property
    def clock(self) -> int:
        return self.world.clock

    @property
    def start_ns(self) -> int:
        return self.world.config.start_ns

    @property
    def end_ns(self) -> int:
        return self.world.config.end_ns

    @property
    def done(self) -> bool:
        return self.world.done

    def owner(self, participant: int) -> int:
        return self.world.first_external + participant

    def reset(self, seed: int | None = None, scripted_from: int | None = None) -> None:
        """A new session; scripted agents first decide at ``scripted_from`` (ns after midnight) if given,
        else one of their intervals after the start."""
        self.world.reset(seed)
        self.accounts = [Account() for _ in range(self.n_participants)]
        self._trades_seen = 0
        self._volume_mark = 0
        self._last_volume = [0] * self.n_participants
        seeds = np.random.SeedSequence(seed).spawn(len(self.scripted)) if self.scripted else []
        self._next_scripted = []
        for agent, s in zip(self.scripted, seeds):
            agent.reset(int(s.generate_state(1)[0]))
            first = (
                self.start_ns + int(agent.interval_s * NS_PER_SECOND)
                if scripted_from is None
                else scripted_from
            )
            self._next_scripted.append(int(first))

    def advance(self, t: int) -> None:
        """Run the market to time ``t``, letting scripted agents act at their decision times on the way."""
        t = min(int(t), self.end_ns)
        while self.scripted_due(t):
            self.world.run_until(min(self._next_scripted))
            self.scripted_turn()
        self.world.run_until(t)
        self.market_moved()

    def next_stop(self, t: int) -> int:
        """Where the market must stop on its way to ``t``: the next scripted decision if it is due by
        ``t``, else ``t`` (for running many sessions' markets together, see :func:`advance_sessions`)."""
        return min(min(self._next_scripted, default=t), min(int(t), self.end_ns))

    def scripted_due(self, t: int) -> bool:
        """Whether a scripted agent decides at or before ``t``."""
        return bool(self._next_scripted) and min(self._next_scripted) <= min(int(t), self.end_ns)

    def scripted_turn(self) -> None:
        """The scripted agent whose decision is due acts (the market has been run to that time)."""
        j = int(np.argmin(self._next_scripted))
        due = self._next_scripted[j]
        self.market_moved()
        participant = self.n_learners + j
        agent = self.scripted[j]
        if not self.done:
            agent.on_fills(self.take_fills(participant))
            orders, cancel = agent.decide(self.view(participant))
            self.submit(participant, orders, cancel_all=cancel)
        self._next_scripted[j] = due + int(agent.interval_s * NS_PER_SECOND)

    def market_moved(self) -> None:
        """The market moved: cached book views are stale, new trades to collect."""
        self._book_fresh = False
        self._top = None
        self._collect()

    # --- orders ------------------------------------------------------------------------------------

    def submit(self, participant: int, orders: Sequence[Order], cancel_all: bool = False) -> None:
        """Send a participant's orders now (after cancelling its resting orders if ``cancel_all``)."""
        owner = self.owner(participant)
        resting = self.world.open_orders(owner) if cancel_all else np.zeros(0, np.int64)
        m = self._messages(owner, orders, resting)
        if len(m):
            self.world.submit(m)
            self._book_fresh = False
            self._top = None
            self._collect()

    def step(self, participant: int, orders: Sequence[Order], cancel_all: bool, t: int) -> None:
        """``submit`` then ``advance(t)``: in one Numba call when no scripted agent acts before ``t``."""
        t = min(int(t), self.end_ns)
        if not self._fast_path(t):
            self.submit(participant, orders, cancel_all)
            self.advance(t)
            return
        owner = self.owner(participant)
        m = self._messages(owner, orders, np.zeros(0, np.int64))
        self.world.participant_step(m, owner if cancel_all else -1, t, self._book)
        self._book_fresh = True
        self._top = None
        self._collect()

    def step_many(self, batch: Sequence[tuple[int, Sequence[Order], bool]], t: int) -> None:
        """Every ``(participant, orders, cancel_all)`` of ``batch`` sent now, in order, then ``advance(t)``:
        one Numba call when no scripted agent acts before ``t`` (a multi-agent cycle)."""
        t = min(int(t), self.end_ns)
        if not self._fast_path(t):
            for participant, orders, cancel in batch:
                self.submit(participant, orders, cancel)
            self.advance(t)
            return
        rows: list[tuple] = []
        for participant, orders, cancel in batch:
            owner = self.owner(participant)
            if cancel:
                rows += self._cancel_rows(owner, self.world.open_orders(owner))
            rows += self._order_rows(owner, orders)
        self.world.participant_step(self._to_messages(rows), -1, t, self._book)
        self._book_fresh = True
        self._top = None
        self._collect()

    def _fast_path(self, t: int) -> bool:
        """One Numba call can do the step: no scripted agent acts before ``t`` and the background has
        ``participant_step`` (the agent-based ``World`` does; another ``Background`` need not)."""
        if self.scripted and min(self._next_scripted) <= t:
            return False
        return hasattr(self.world, "participant_step")

    # message rows are tuples in MESSAGE_DTYPE's field order: time, order_id, price, qty, owner, kind, side,
    # flags (a whole-row assignment is far cheaper than field by field)

    @staticmethod
    def _cancel_rows(owner: int, order_ids: np.ndarray) -> list[tuple]:
        return [(0, int(oid), 0, 0, owner, CANCEL, 0, 0) for oid in order_ids]

    def _order_rows(self, owner: int, orders: Sequence[Order]) -> list[tuple]:
        base = self.config.min_price
        return [
            (0, 0, 0, o.qty, owner, MARKET, o.side, 0)
            if o.price is None
            else (0, 0, o.price - base, o.qty, owner, LIMIT, o.side, IOC if o.tif == "ioc" else GTC)
            for o in orders
        ]

    def _to_messages(self, rows: list[tuple]) -> np.ndarray:
        n = len(rows)
        if n > len(self._msg):
            self._msg = np.zeros(2 * n, MESSAGE_DTYPE)
        m = self._msg[:n]
        for i, row in enumerate(rows):
            m[i] = row
        return m

    def _messages(self, owner: int, orders: Sequence[Order], cancels: np.ndarray) -> np.ndarray:
        """Exchange messages: cancels of ``cancels`` (order ids), then ``orders`` (prices to ticks)."""
        return self._to_messages(self._cancel_rows(owner, cancels) + self._order_rows(owner, orders))

    def open_orders(self, participant: int) -> np.ndarray:
        return self.world.open_orders(self.owner(participant))

    # --- accounting --------------------------------------------------------------------------------

    def _collect(self, upto: int | None = None) -> None:
        """Book every new trade (up to trade ``upto``) that involves a participant into its account."""
        trades = self.world.trades_since(self._trades_seen)
        if upto is not None:
            trades = trades[: max(0, upto - self._trades_seen)]
        if not len(trades):
            return
        # participants are the owners first .. first + n_participants - 1 (a background may own slots
        # beyond them, as a learned generator does)
        first = self.world.first_external
        volume, involved = _scan_trades(trades, first, first + self.n_participants)
        self._trades_seen += len(trades)
        self._volume_mark += int(volume)
        if involved:
            self._book_fills(trades, first)

    def _book_fills(self, trades: np.ndarray, first: int) -> None:
        """The participants' legs of ``trades`` into their accounts and pending fills."""
        last = first + self.n_participants
        columns = ["time", "price", "qty", "side", "maker_id", "taker_id", "maker_owner", "taker_owner"]
        involved = ((trades["maker_owner"] >= first) & (trades["maker_owner"] < last)) | (
            (trades["taker_owner"] >= first) & (trades["taker_owner"] < last)
        )
        rows = trades[involved][columns].tolist()  # plain tuples: far cheaper to read than records
        fee_rate = self.fee_rate
        for time, price, qty, side, maker_id, taker_id, maker_owner, taker_owner in rows:
            notional = float(price) * qty
            for owner, own_side, aggressor, order_id in (
                (taker_owner, side, True, taker_id),
                (maker_owner, -side, False, maker_id),
            ):
                if not first <= owner < last:
                    continue
                acc = self.accounts[owner - first]
                acc.cash -= own_side * notional + fee_rate * notional
                acc.fees += fee_rate * notional
                acc.inventory += own_side * qty
                acc.traded += qty
                acc.pending_fills.append(Fill(time, own_side, price, qty, order_id, aggressor))

    def take_fills(self, participant: int) -> list[Fill]:
        """Fills of the participant since the last call."""
        acc = self.accounts[participant]
        fills, acc.pending_fills = acc.pending_fills, []
        return fills

    # --- market data -------------------------------------------------------------------------------

    def book_levels(self) -> np.ndarray:
        """Best ``DEPTH_LEVELS`` levels: ``[0]`` bids, ``[1]`` asks; rows price (ticks, -1 = none), size."""
        if not self._book_fresh:
            depth_both(self.world.arrays, self._book)
            self._book_fresh = True
            self._top = None
        return self._book

    def top_of_book(self) -> tuple[int | None, int | None]:
        """Best bid and ask in cents (None for an empty side)."""
        return self.book_summary()[:2]

    def book_summary(self) -> tuple[int | None, int | None, float, float]:
        """(best bid, best ask, L1 imbalance, L5 imbalance), computed once per book state (every seat's
        observation reads it)."""
        if self._top is None:
            book = self.book_levels()
            base = self.config.min_price
            bid, ask = int(book[0, 0, 0]), int(book[1, 0, 0])
            bids, asks = book[0, 1].tolist(), book[1, 1].tolist()
            self._top = (
                bid + base if bid >= 0 else None,
                ask + base if ask >= 0 else None,
                imbalance(bids[0], asks[0]),
                imbalance(sum(bids), sum(asks)),
            )
        return self._top

    def mid(self) -> float | None:
        bid, ask = self.top_of_book()
        return None if bid is None or ask is None else (bid + ask) / 2

    def depth(self, side: int) -> np.ndarray:
        """Sizes of the best ``DEPTH_LEVELS`` levels of one side (zeros past the last level); a view."""
        return self.book_levels()[0 if side > 0 else 1, 1]

    def market_volume_since_last(self, participant: int) -> int:
        """Lots the whole market traded since this participant last asked."""
        volume = self._volume_mark - self._last_volume[participant]
        self._last_volume[participant] = self._volume_mark
        return volume

    def view(self, participant: int) -> MarketView:
        bid, ask = self.top_of_book()
        acc = self.accounts[participant]
        last = int(self.world.arrays.sc[LAST_PRICE])
        volume = self.market_volume_since_last(participant)
        return MarketView(
            time=self.clock,
            start=self.start_ns,
            end=self.end_ns,
            best_bid=bid,
            best_ask=ask,
            bid_sizes=self.depth(1).copy(),
            ask_sizes=self.depth(-1).copy(),
            last_price=last + self.config.min_price if last >= 0 else None,
            volume=volume,
            inventory=acc.inventory,
            cash=int(round(acc.cash)),
            open_orders=len(self.open_orders(participant)),
        )


def advance_sessions(
    sessions: Sequence[TradingSession], run_until: Callable[[np.ndarray], None], t: int
) -> None:
    """:meth:`TradingSession.advance` of every session to ``t``, their markets advanced together:
    ``run_until(stops)`` runs market ``i`` to ``stops[i]`` (``-1``: leave it alone), e.g.
    ``GeneratorBatch.run_until``. Each session sees exactly the calls it would see alone."""
    ends = [min(int(t), s.end_ns) for s in sessions]
    active = list(range(len(sessions)))
    while active:
        stops = np.full(len(sessions), -1, np.int64)
        for i in active:
            stops[i] = sessions[i].next_stop(ends[i])
        run_until(stops)
        still = []
        for i in active:
            if sessions[i].scripted_due(ends[i]):
                sessions[i].scripted_turn()
                still.append(i)
            else:
                sessions[i].market_moved()
        active = still


@njit(cache=True)
def _scan_trades(trades, first, last):  # pragma: no cover - compiled
    """(shares traded, whether a participant — an owner in [first, last) — took part): what every step
    asks of the new trades, in one call."""
    volume = 0
    involved = False
    for j in range(len(trades)):
        t = trades[j]
        volume += t["qty"]
        if first <= t["maker_owner"] < last or first <= t["taker_owner"] < last:
            involved = True
    return volume, involved


def imbalance(bid: float, ask: float) -> float:
    """(bid - ask) / (bid + ask), 0 for an empty book."""
    total = bid + ask
    return 0.0 if total <= 0 else (bid - ask) / total
