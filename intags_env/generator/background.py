"""A learned background market: an order generator driving an otherwise empty exchange.

``GeneratorBackground`` implements the ``Background`` interface of :mod:`intags_env.envs.background`,
so every environment can trade against a trained generator instead of the agent-based population. The
session starts from the book of the real market at ``start`` (the real preset simulated with the same
seed from its own opening, then its resting orders copied one by one, in time priority, as the
generator's: a learned world agent continues a real book, it does not build one from nothing); from
then on every background order comes from the generator.

The generator is either a policy (``policy(observation, rng) -> action``; the background then runs on
its own) or, with ``policy=None``, driven from outside one order at a time through :meth:`act` (the
``WorldAgent-v0`` environment does that), or replays a stream of actions open loop (:meth:`replay`).
Actions and observations follow :mod:`.spec`; :mod:`.decoder` turns an action into a message. The
session itself (planning, decoding, placing, the state features, and sampling a policy with a compiled
actor) runs in Numba (:mod:`.kernels`); :class:`~.batch.GeneratorBatch` runs many sessions per call.

The generator's orders are spread over ``n_slots`` exchange owner slots (each tracks at most
``MAX_OPEN_ORDERS`` live orders); together they are one market participant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data.lobster import LobsterData
from ..exchange.book import BookState
from ..exchange.kernels import depth, level_orders
from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world import World, WorldConfig, resolve_config
from ..world.layout import MAX_OPEN_ORDERS, WorldStatus
from ..world.state import grow_records
from ..world.typed_lists import list_of
from ..world.world import SimulationResult, WorldArrays, WorldError
from . import kernels
from .decoder import OrderDecoder, draw_delay_ns
from .numpy_actor import no_actor
from .session_state import (
    AT_LIMIT,
    CAPACITY,
    G_N_CAPPED,
    G_N_ORDERS,
    G_SEEN,
    NEED_ACTION,
    PLAN_FULL,
    RUNAWAY,
    WINDOW_FULL,
    grow_window,
    new_state,
    reset_state,
)
from .spec import ACTION_NVEC, DELAY_FIELD, FIELD_NAMES, FIELDS_OF_TYPE, N_FIELDS, X_DELAY, describe

__all__ = [
    "BURST_CAP",
    "MAX_BURST",
    "RUNAWAY_SPAN_NS",
    "GeneratorBackground",
    "OrderPolicy",
    "empty_market",
    "trained_window",
]

OrderPolicy = Callable[[np.ndarray, np.random.Generator], np.ndarray]

#: The representation's burst contract: a policy-driven generator places at most this many orders at one
#: timestamp; a further "same timestamp" delay is drawn from the next delay bucket instead (1 ns-10 us) and
#: counted in ``n_burst_capped``. Real streams never come near it (longest burst: rmsc04 39, AMZN 29
#: messages), so it binds only on a generator stuck answering "now" (the cWGAN's runaway mode). Open-loop
#: replays of encoded streams are exact and not capped.
BURST_CAP = 100
#: A policy-driven generator placing ``MAX_BURST`` orders within ``RUNAWAY_SPAN_NS`` has run away (the
#: clock would barely advance: a session that never ends): ``WorldError``. Real streams stay far below it
#: (a few hundred messages in their busiest second).
MAX_BURST = 1000
RUNAWAY_SPAN_NS = 10_000_000  # 10 ms
_NO_EXACT = np.zeros(4, np.int64)
_NO_ACTION = np.full((1, 1), -1, np.int64)  # a session kernel call that plans nothing


def _order_type(action: np.ndarray) -> int:
    """The order type of one order action, after checking the action names a valid order (ValueError)."""
    kind = int(action[0]) if len(action) else -1
    if kind not in FIELDS_OF_TYPE or len(action) != N_FIELDS:
        raise ValueError(
            f"invalid order action {list(action)} ({describe(action)}); see intags_env.generator.spec"
        )
    for i in FIELDS_OF_TYPE[kind]:
        if not 0 <= action[i] < ACTION_NVEC[i]:
            raise ValueError(
                f"invalid order action {list(action)}: {FIELD_NAMES[i]}={int(action[i])} is outside "
                f"0..{ACTION_NVEC[i] - 1}; see intags_env.generator.spec"
            )
    return kind


def _checked_orders(action: np.ndarray) -> np.ndarray:
    """A policy's action (one order or several, ``N_FIELDS`` ints each) as int64, every order checked."""
    action = np.asarray(action)
    if action.ndim != 1 or len(action) == 0 or len(action) % N_FIELDS:
        raise ValueError(
            f"invalid order action {action.tolist()}: a generator action is N_FIELDS={N_FIELDS} ints "
            f"per order, got shape {action.shape}; see intags_env.generator.spec"
        )
    if not np.issubdtype(action.dtype, np.integer):
        if not np.all(np.isfinite(action)) or not np.all(action == np.round(action)):
            raise ValueError(f"invalid order action {list(action)}: not whole numbers")
    action = action.astype(np.int64)
    for order in action.reshape(-1, N_FIELDS):
        _order_type(order)
    return action


def empty_market(real: str | WorldConfig, start: str | int, end: str | int) -> WorldConfig:
    """The real market's exchange and session settings with no background agents at all."""
    c = resolve_config(real)
    return replace(
        c,
        name=f"generator[{c.name}]",
        start=start,
        end=end,
        noise=replace(c.noise, count=0),
        value=replace(c.value, count=0),
        market_makers=replace(c.market_makers, count=0),
        momentum=replace(c.momentum, count=0),
    )


def trained_window(model_path: str | Path) -> dict[str, str]:
    """The real market and session a saved generator was trained for (``<model>.json``, written by
    training), else ``rmsc04`` 09:35-09:45."""
    meta_path = Path(model_path).with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return {"real": "rmsc04", "start": "09:35", "end": "09:45", **meta}


class GeneratorBackground:
    """Background order flow from a generator policy (see the module doc).

    Args:
        policy: ``policy(observation, rng) -> action``: one order (``N_FIELDS`` ints, :mod:`.spec`) or several
            (``N_FIELDS`` k ints, placed one after the other, each its own delay after the previous); None to
            drive the generator through :meth:`act`.
        real: the market whose book at ``start`` seeds each session and whose exchange settings are used.
        start, end: the session (the generator's episode).
        n_external: participant slots offered to environments.
        n_slots: exchange owner slots the generator spreads its orders over (``n_slots`` x 512 live orders at
            most; a generator that piles up more has run away: ``WorldError``).
        snapshot_levels: price levels per side copied from the real book at ``start`` (None: all).
        initial_book: ``"real"`` (the real market's book at ``start``) or ``"empty"``.
    """

    def __init__(
        self,
        policy: OrderPolicy | None = None,
        *,
        real: str | WorldConfig = "rmsc04",
        start: str | int = "09:35",
        end: str | int = "09:45",
        n_external: int = 4,
        n_slots: int = 8,
        snapshot_levels: int | None = None,
        initial_book: str = "real",
    ) -> None:
        if n_slots < 1 or (snapshot_levels is not None and snapshot_levels < 1):
            raise ValueError(
                f"n_slots and snapshot_levels must be positive, got {n_slots}, {snapshot_levels}"
            )
        if initial_book not in ("real", "empty"):
            raise ValueError(f"initial_book must be 'real' or 'empty', got {initial_book!r}")
        self.initial_book = initial_book
        self.policy = policy
        self.real_config = resolve_config(real)
        self.config = empty_market(self.real_config, start, end)
        if self.config.start_ns <= self.real_config.start_ns:
            raise ValueError("the generator's session must start after the real market opens (its book)")
        self.n_external = n_external
        self.n_slots = n_slots
        self.snapshot_levels = snapshot_levels
        self.world = World(self.config, n_external=n_external + n_slots)
        self._real = World(self.real_config, end=self.config.start_ns)
        self._msg = np.zeros(1, MESSAGE_DTYPE)
        self.world.reset(0)  # allocated now, so the Background properties can be read before reset()
        n_levels = self.config.book.n_levels
        #: the generator's state in the Numba session kernels (:mod:`.kernels`)
        self.state = new_state(
            self._owners.start,
            n_slots,
            n_levels,
            self.config.min_price,
            BURST_CAP,
            MAX_BURST,
            RUNAWAY_SPAN_NS,
        )
        self.decoder = OrderDecoder(self._owners, n_slots * MAX_OPEN_ORDERS, n_levels, state=self.state)
        self.rng = np.random.default_rng(0)
        self._listed: tuple | None = None  # see _kernel_view

    @property
    def policy(self) -> OrderPolicy | None:
        """The generator (see the class doc); one with a compiled actor is sampled inside the session
        kernel, any other callable from Python."""
        return self._policy

    @policy.setter
    def policy(self, policy: OrderPolicy | None) -> None:
        self._policy = policy
        actor = getattr(policy, "compiled_actor", None)
        self._compiled = actor is not None
        self._net = actor.net if self._compiled else no_actor()
        self._nets = list_of(self._net)  # as the batch kernel takes it

    # --- Background interface ---------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """A new session: the real book at ``start`` for this seed, then the generator from there."""
        real_seed, world_seed, own_seed = np.random.SeedSequence(seed).generate_state(3)
        self._real.reset(int(real_seed))
        self._real.run_until(self.config.start_ns)
        self.world.reset(int(world_seed))
        self.world.run_until(self.config.start_ns)
        self.rng = np.random.default_rng(int(own_seed))
        reset_state(self.state, self.real_config.oracle.r_bar - self.config.min_price)
        self._place_snapshot()
        self.n_snapshot_records = self.world.n_records  # the session's first records are the copied book
        self._sync()

    def run_until(self, t: int) -> None:
        """Advance to ``t``; with a policy, the generator places its orders on the way (``WorldError`` for a
        runaway: ``MAX_BURST`` orders within ``RUNAWAY_SPAN_NS``, or more live orders than its capacity)."""
        t = min(int(t), self.config.end_ns)
        if self.policy is None:
            self.world.run_until(t)
            return
        max_msgs = self.world._max_msgs
        limit, status = np.array([t], np.int64), np.zeros(1, np.int64)
        while True:
            worlds, world_rngs = self.world._kernel_view()
            states, rngs = self._kernel_view()
            kernels.step_sessions(
                worlds, world_rngs, states, rngs, limit, max_msgs, self._nets, self._compiled,
                _NO_ACTION, status,
            )  # fmt: skip
            if status[0] == AT_LIMIT:
                return
            if status[0] == NEED_ACTION:
                self.plan(self.policy(self.state[4].reshape(-1).copy(), self.rng))
            else:
                self.handle(int(status[0]))

    def _kernel_view(self) -> tuple:
        """One-element typed Lists of the generator state and of its random generator, as the session
        kernel takes them (Numba types a List at once, a tuple of arrays per call), rebuilt when either
        was replaced."""
        view = self._listed
        if view is None or view[0] is not self.state or view[1] is not self.rng:
            view = self._listed = (self.state, self.rng, list_of(self.state), list_of(self.rng))
        return view[2], view[3]

    def submit(self, messages: np.ndarray) -> None:
        self.world.submit(messages)

    def trades_since(self, start: int) -> np.ndarray:
        return self.world.trades_since(start)

    def open_orders(self, owner: int) -> np.ndarray:
        return self.world.open_orders(owner)

    def result(self, copy: bool = True) -> SimulationResult:
        return self.world.result(copy)

    @property
    def arrays(self) -> WorldArrays | None:
        return self.world.arrays

    @property
    def clock(self) -> int:
        return self.world.clock

    @property
    def done(self) -> bool:
        return self.world.done

    @property
    def n_trades(self) -> int:
        return self.world.n_trades

    @property
    def first_external(self) -> int:
        return self.world.first_external

    @property
    def book(self) -> BookState:
        return self.world.book

    # --- the generator ----------------------------------------------------------------------------

    def observation(self) -> np.ndarray:
        """The last ``HISTORY`` market states (oldest first), flattened: what the generator sees."""
        self._sync()
        return self.state[4].reshape(-1).copy()

    @property
    def n_noop_cancels(self) -> int:
        """Cancels this session that found no own order on their side (nothing was sent)."""
        return self.decoder.noop_cancels

    @property
    def n_orders(self) -> int:
        """Order actions acted on this session (sent or not)."""
        return int(self.state[0][G_N_ORDERS])

    @property
    def n_burst_capped(self) -> int:
        """Zero delays moved past ``BURST_CAP`` this session (see there)."""
        return int(self.state[0][G_N_CAPPED])

    def plan(self, action: np.ndarray) -> None:
        """Schedule the orders of one policy action (one or several orders of ``N_FIELDS`` fields) from
        now, each its inter-arrival time after the previous one (``run_until`` places them)."""
        action = _checked_orders(action)
        self._plan_room(len(action) // N_FIELDS)
        kernels.plan(self.state, action, self.clock, self.rng)

    def _plan_room(self, k: int) -> None:
        """Plan arrays for actions of ``k`` orders."""
        if k > len(self.state[1]):
            room = np.zeros((k, N_FIELDS), np.int64), np.zeros(k, np.int64)
            self.state = (self.state[0], *room, *self.state[3:])

    def handle(self, status: int) -> None:
        """What a session kernel stopped for: grow a buffer (the caller then calls again) or raise."""
        if status == WorldStatus.RECORD_FULL:
            self.world.arrays = grow_records(self.world.arrays)
        elif status == PLAN_FULL:
            self._plan_room(len(self._net[5]) // N_FIELDS)
        elif status == WINDOW_FULL:
            self.state = grow_window(self.state, self.world.n_records - int(self.state[0][G_SEEN]))
        elif status == RUNAWAY:
            raise WorldError(
                f"runaway generator: {MAX_BURST} orders within {RUNAWAY_SPAN_NS / 1e6:g} ms "
                f"(up to {self.clock} ns); its delays are (almost) all zero"
            )
        elif status == CAPACITY:
            raise WorldError(
                f"capacity exceeded: the generator has {self.n_slots * MAX_OPEN_ORDERS} live orders "
                f"(n_slots={self.n_slots} x {MAX_OPEN_ORDERS}); raise n_slots"
            )
        else:
            self.world._raise_for(status)

    @property
    def _w(self) -> tuple:
        """The world's arrays as the session kernels take them."""
        return tuple(self.world.arrays)

    def delay_ns(self, action: np.ndarray, exact: np.ndarray | None = None) -> int:
        """The inter-arrival time of an action (its type's delay field), drawn in its bucket unless exact."""
        if exact is not None:
            return int(exact[X_DELAY])
        return draw_delay_ns(self.rng, int(action[DELAY_FIELD[_order_type(action)]]))

    def act(self, action: np.ndarray, exact: np.ndarray | None = None) -> None:
        """Place the order of ``action`` now (prices relative to the current touch). ``exact`` (a row of
        ``spec.EXACT_COLUMNS``, as :func:`~.orderstream.order_stream` encodes) fixes the values inside the
        buckets: an encoded stream then replays message for message."""
        action = _checked_orders(action)
        if len(action) != N_FIELDS:
            raise ValueError(
                f"invalid order action: act places one order (N_FIELDS={N_FIELDS} ints), got {len(action)}"
            )
        row = _NO_EXACT if exact is None else np.asarray(exact, np.int64)
        while not kernels.has_room(self._w):
            self.world.arrays = grow_records(self.world.arrays)
        status = kernels.act(self._w, self.state, action, exact is not None, row, self.rng)
        if status != WorldStatus.OK:
            self.handle(status)

    def replay(self, actions: np.ndarray, exact: np.ndarray | None = None) -> None:
        """Place ``actions`` open loop from the current time, each its delay after the previous, until
        they run out or the session ends (exact values as in :meth:`act`)."""
        for k, action in enumerate(actions):
            row = None if exact is None else exact[k]
            due = self.clock + self.delay_ns(action, row)
            if due > self.config.end_ns:
                break
            self.world.run_until(due)
            self.act(action, row)

    def real_lobster(self, seed: int | None, end: str | int | None = None) -> LobsterData:
        """The real market's session behind :meth:`reset` with this seed, from its opening to ``end``
        (default the generator's end): the stream the copied book belongs to."""
        real_seed = int(np.random.SeedSequence(seed).generate_state(3)[0])
        world = World(self.real_config, end=self.config.end_ns if end is None else end)
        world.reset(real_seed)
        world.run()
        return world.result().lobster

    # --- internals --------------------------------------------------------------------------------

    @property
    def _owners(self) -> range:
        first = self.world.first_external + self.n_external
        return range(first, first + self.n_slots)

    def _owner_for_new(self) -> int:
        a = self.world.arrays
        owner = int(kernels.owner_for_new(a.sc, a.ht, a.ag_i, a.ag_orders, self.state[0]))
        if owner < 0:
            self.handle(CAPACITY)
        return owner

    def _send(self, kind: int, side: int, price: int, qty: int, owner: int, order_id: int = 0) -> None:
        m = self._msg
        m["order_id"], m["price"], m["qty"], m["owner"] = order_id, price, qty, owner
        m["kind"], m["side"], m["flags"] = kind, side, Flag.GTC
        self.world.submit(m)

    def generated_lobster(self) -> LobsterData:
        """The session's LOBSTER data without the records of the copied book (``n_snapshot_records``
        orders at ``start``, sized like whole levels): what the generator itself did, each row's book
        still including the copied levels. Stylized facts of a generator are measured on this."""
        data = self.result(copy=False).lobster
        return data.select(slice(self.n_snapshot_records, None))

    def _place_snapshot(self) -> None:
        """The real market's book at ``start`` as the generator's orders, order by order in time priority
        (the best ``snapshot_levels`` levels per side; all by default), or nothing for an empty start."""
        if self.initial_book == "empty":
            return
        b = self._real.book
        k = self.snapshot_levels or self.config.book.n_levels
        prices, qty, count = np.zeros((3, k), np.int64)
        rows = []
        for side in (1, -1):
            found = depth(b.scalars, b.levels, b.blocks, side, k, prices, qty, count)
            for j in range(found):
                n = int(count[j])
                ids, owners, remaining = np.zeros((3, n), np.int64)
                level_orders(b.levels, b.orders, int(prices[j]), ids, owners, remaining)
                rows.extend((side, int(prices[j]), int(q)) for q in remaining)
        for side, price, q in rows:
            self._send(MsgKind.LIMIT, side, price, q, self._owner_for_new())

    def _sync(self) -> None:
        """Feed the messages recorded since the last call to the feature tracker; the history keeps the
        states after the last ``HISTORY`` messages."""
        if self.world.n_records == self.state[0][G_SEEN]:
            return  # nothing new (typing the kernel's arguments costs more than this check)
        while (status := kernels.sync(self._w, self.state)) != WorldStatus.OK:
            self.handle(status)
