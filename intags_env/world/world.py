"""``World``: a running background market (the exchange and its agent population) owned from Python.

The whole background simulation runs inside Numba (``run_until``); Python participants (learners,
plug-in trading agents) act between calls through ``submit``. Randomness comes from one
``numpy.random.Generator`` per world, so ``reset(seed)`` reproduces a run bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.lobster import LOBSTER_MESSAGE_DTYPE, LobsterData
from ..data.views import top_levels_view
from ..exchange import Exchange
from ..exchange.book import BookState
from ..exchange.kernels import depth
from ..exchange.types import MESSAGE_DTYPE
from .config import ConfigError, WorldConfig, format_time_of_day
from .layout import (
    A_N_OPEN,
    MAX_OPEN_ORDERS,
    W_CLOCK,
    W_N_MESSAGES,
    W_N_REC,
    W_N_REJECTED,
    W_N_SKIPPED_ORDERS,
    W_N_TRADES,
    W_STATUS_AGENT,
    WF_FUNDAMENTAL,
    AgentType,
    WorldStatus,
)
from .market import compact_open_orders
from .participants import participant_step_listed, run_until_listed, submit_listed
from .presets import resolve_config
from .state import WorldArrays, build_world, grow_records, max_messages_per_decision
from .typed_lists import list_of


class WorldError(RuntimeError):
    """The simulation cannot go on (a capacity or price range of the configuration was exceeded)."""


_ERRORS = {
    WorldStatus.ORDER_CAPACITY: "the book holds book.max_orders={max_orders} resting orders; "
    "raise book.max_orders",
    WorldStatus.PRICE_OUT_OF_RANGE: "an order price left the book's range [{lo}, {hi}] cents; "
    "raise book.n_levels",
    WorldStatus.QUEUE_FULL: "the event queue or the in-flight message pool is full",
    WorldStatus.OPEN_ORDERS_FULL: f"an agent has more than {MAX_OPEN_ORDERS} live orders to track",
}


@dataclass(frozen=True)
class SimulationResult:
    """One simulated session: its LOBSTER-form message stream and books, owners, trades and provenance.

    ``lobster.messages`` holds every book-changing message in LOBSTER's convention (1 new resting order,
    2 partial cancel, 3 delete, 4 execution of a resting order) and ``lobster.book`` the book after each;
    ``owners[i]`` is the agent index behind message i and ``agent_types[owner]`` its ``AgentType``.
    """

    config: WorldConfig
    seed: int | None
    lobster: LobsterData
    owners: np.ndarray
    trades: np.ndarray
    agent_types: np.ndarray
    n_exchange_messages: int
    n_rejected: int
    n_skipped_orders: int = 0  # background orders priced off the book's grid, not sent

    def __len__(self) -> int:
        return len(self.lobster)

    def level_view(self, levels: int) -> LobsterData:
        """The session as a LOBSTER file of ``levels`` levels would hold it (``lobster`` holds every
        message, however deep; a real LOBSTER file only those touching its first levels): compare this
        with a real ``levels``-level file, not ``lobster`` (``intags_env.data.views.top_levels_view``)."""
        return top_levels_view(self.lobster, levels)


def depth_both(a: WorldArrays, book_out: np.ndarray) -> None:
    """The best levels of both sides into ``book_out`` (as ``participant_step`` writes them)."""
    k = book_out.shape[2]
    p, q, c = np.zeros((3, k), np.int64)
    for side_i, side in enumerate((1, -1)):
        found = depth(a.sc, a.lv, a.bk, side, k, p, q, c)
        book_out[side_i, 0] = -1
        book_out[side_i, 1] = 0
        book_out[side_i, 0, :found] = p[:found]
        book_out[side_i, 1, :found] = q[:found]


class World:
    """A background market. ``config`` is a preset name or a ``WorldConfig``; ``n_external`` extra
    participants (agent indices after the background's) trade through ``submit``, whose messages reach
    the exchange at once (at the current clock)."""

    def __init__(
        self,
        config: str | WorldConfig = "rmsc04",
        *,
        start: str | int | None = None,
        end: str | int | None = None,
        n_external: int = 0,
    ) -> None:
        self.config = resolve_config(config, start, end)
        if n_external < 0:
            raise ConfigError(f"n_external must be non-negative, got {n_external}")
        self.n_external = n_external
        self._max_msgs = max_messages_per_decision(self.config)
        self.arrays: WorldArrays | None = None
        self.seed: int | None = None

    @property
    def arrays(self) -> WorldArrays | None:
        """Every array of the running world (None before the first reset)."""
        return self._arrays

    @arrays.setter
    def arrays(self, arrays: WorldArrays | None) -> None:
        self._arrays = arrays
        # the kernels' view: one-element typed Lists of the arrays' tuple and of the generator, as the
        # ``*_listed`` entry points of ``loop`` take them (the generator is set before the arrays)
        self._listed = None if arrays is None else (list_of(tuple(arrays)), list_of(self.rng))

    def _kernel_view(self) -> tuple:
        """The typed Lists the ``*_listed`` entry points take (see the ``arrays`` setter)."""
        self._require()
        return self._listed

    # --- running ---------------------------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Start a new session at ``config.start`` with every agent's first wake-up scheduled."""
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.arrays = build_world(self.config, self.rng, self.n_external, reuse=self.arrays)

    def run_until(self, t: int) -> None:
        """Advance the background to time ``t`` (ns after midnight; capped at the session end)."""
        a = self._require()
        while True:
            worlds, rngs = self._kernel_view()
            status = run_until_listed(worlds, rngs, int(t), self._max_msgs)
            if status == WorldStatus.RECORD_FULL:
                a = self.arrays = grow_records(a)
                continue
            self._raise_for(status)
            return

    def run(self) -> None:
        """Advance to the end of the session."""
        self.run_until(self.config.end_ns)

    def submit(self, messages: np.ndarray) -> None:
        """Apply messages of external participants (``owner`` = their agent index) at the current time."""
        a = self._require()
        if not isinstance(messages, np.ndarray) or messages.dtype != MESSAGE_DTYPE:
            raise TypeError("messages must be an array of intags_env.exchange.MESSAGE_DTYPE")
        if messages.ndim != 1:
            raise ValueError(f"messages must be a 1-D array of shape (n,), got shape {messages.shape}")
        first_external = self.config.n_agents
        owners = messages["owner"]
        if len(owners) and (
            owners.min() < first_external or owners.max() >= first_external + self.n_external
        ):
            raise ValueError(
                f"external owners are {first_external}..{first_external + self.n_external - 1}, got "
                f"{sorted(set(owners.tolist()))}"
            )
        done = 0
        while done < len(messages):
            status, n = submit_listed(self._kernel_view()[0], messages[done:], self.clock)
            done += n
            if status == WorldStatus.RECORD_FULL:
                a = self.arrays = grow_records(a)
                continue
            self._raise_for(status)

    def participant_step(self, messages: np.ndarray, cancel_owner: int, t: int, book_out: np.ndarray) -> None:
        """``cancel_owner``'s resting orders cancelled (-1: none), ``messages`` applied now, the background
        run to ``t``, the best levels written to ``book_out`` (see ``loop.participant_step``) — one call."""
        a = self._require()
        while True:
            worlds, rngs = self._kernel_view()
            status, phase = participant_step_listed(
                worlds, rngs, messages, int(cancel_owner), int(t), self._max_msgs, book_out
            )
            if status == WorldStatus.RECORD_FULL and phase == 0:
                a = self.arrays = grow_records(a)
                continue
            if status == WorldStatus.RECORD_FULL:
                self.arrays = grow_records(a)
                self.run_until(t)
                depth_both(self.arrays, book_out)
                return
            self._raise_for(status)
            return

    # --- state -----------------------------------------------------------------------------------------

    @property
    def clock(self) -> int:
        a = self._arrays  # read many times a step: the attribute, not the property
        if a is None:
            raise RuntimeError("call reset(seed) first")
        return int(a.ws[W_CLOCK])

    @property
    def done(self) -> bool:
        return self.clock >= self.config.end_ns

    @property
    def fundamental(self) -> float:
        """The fundamental value (cents) as of the last time an agent observed it."""
        return float(self._require().wf[WF_FUNDAMENTAL])

    @property
    def book(self) -> BookState:
        a = self._require()
        return BookState(a.sc, a.lv, a.bk, a.od, a.ht)

    @property
    def exchange(self) -> Exchange:
        """A read view of the world's exchange, in cents (best bid/ask, snapshot, orders)."""
        return Exchange.view(self.book, min_price=self.config.min_price)

    @property
    def n_records(self) -> int:
        return int(self._require().ws[W_N_REC])

    @property
    def n_trades(self) -> int:
        return int(self._require().ws[W_N_TRADES])

    def trades_since(self, start: int) -> np.ndarray:
        """Trade rows from index ``start`` on (a view; copy to keep)."""
        a = self._require()
        return a.trades[start : int(a.ws[W_N_TRADES])]

    def records_since(self, start: int) -> np.ndarray:
        a = self._require()
        return a.rec[start : int(a.ws[W_N_REC])]

    def open_orders(self, owner: int) -> np.ndarray:
        """Ids of the live resting orders of one agent (e.g. an external participant), oldest first."""
        a = self._require()
        if a.ag_i[owner, A_N_OPEN] == 0:
            return np.zeros(0, np.int64)
        n = compact_open_orders(a.sc, a.ht, a.ag_i, a.ag_orders, owner)
        return a.ag_orders[owner, :n].copy()

    @property
    def first_external(self) -> int:
        """Agent index of the first external participant."""
        return self.config.n_agents

    def agent_types(self) -> np.ndarray:
        return self._require().ag_i[:, 0].copy()

    def result(self, copy: bool = True) -> SimulationResult:
        """Everything recorded so far, as a ``SimulationResult``; ``copy=False`` shares the world's record
        buffers (valid until the world runs or resets again)."""
        a = self._require()
        n = int(a.ws[W_N_REC])
        rec = a.rec[:n]
        keep = np.copy if copy else np.asarray
        messages = np.zeros(n, dtype=LOBSTER_MESSAGE_DTYPE)
        for name in messages.dtype.names:
            messages[name] = rec[name]
        c = self.config
        lobster = LobsterData(
            messages=messages,
            book=keep(a.rec_book[:n]),
            levels=c.book.record_levels,
            ticker=c.ticker,
            date=c.date,
            start_ns=c.start_ns,
            end_ns=c.end_ns,
            tick_size=100,
        )
        return SimulationResult(
            config=c,
            seed=self.seed,
            lobster=lobster,
            owners=rec["owner"].copy(),
            trades=keep(a.trades[: int(a.ws[W_N_TRADES])]),
            agent_types=a.ag_i[:, 0].astype(np.int8),
            n_exchange_messages=int(a.ws[W_N_MESSAGES]),
            n_rejected=int(a.ws[W_N_REJECTED]),
            n_skipped_orders=int(a.ws[W_N_SKIPPED_ORDERS]),
        )

    def _require(self) -> WorldArrays:
        if self.arrays is None:
            raise RuntimeError("call reset(seed) first")
        return self.arrays

    def _raise_for(self, status: int) -> None:
        if status == WorldStatus.OK:
            return
        a = self._require()
        agent = int(a.ws[W_STATUS_AGENT])
        kind = AgentType(int(a.ag_i[agent, 0])).name.lower() if 0 <= agent < len(a.ag_i) else "?"
        c = self.config
        detail = _ERRORS[WorldStatus(status)].format(
            max_orders=c.book.max_orders, lo=c.min_price, hi=c.min_price + c.book.n_levels - 1
        )
        raise WorldError(
            f"at {format_time_of_day(self.clock)} ({kind} agent {agent}): {detail}. Everything "
            "before this message is recorded (World.result())."
        )
