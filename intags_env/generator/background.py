"""A learned background market: an order generator driving an otherwise empty exchange.

``GeneratorBackground`` implements the ``Background`` interface of :mod:`intags_env.envs.background`,
so every environment can trade against a trained generator instead of the agent-based population. The
session starts from the book of the real market at ``start`` (the real preset simulated with the same
seed from its own opening, then its best ``snapshot_levels`` levels per side placed as the generator's
orders: a learned world agent continues a real book, it does not build one from nothing); from then on
every background order comes from the generator.

The generator is either a policy (``policy(observation, rng) -> action``; the background then runs on
its own) or, with ``policy=None``, driven from outside one order at a time through :meth:`act` (the
``WorldAgent-v0`` environment does that). Actions and observations follow :mod:`.spec`.

The generator's orders are spread over ``n_slots`` exchange owner slots (each tracks at most
``MAX_OPEN_ORDERS`` live orders); together they are one market participant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from numba import njit

from ..data.lobster import LobsterData
from ..exchange.book import BEST_ASK, BEST_BID, N_ASK_ORDERS, N_BID_ORDERS, O_PRICE, O_SIDE, BookState
from ..exchange.kernels import depth, find_slot
from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world import World, WorldConfig, resolve_config
from ..world.config import NS_PER_SECOND
from ..world.layout import A_N_OPEN, MAX_OPEN_ORDERS
from ..world.world import SimulationResult, WorldArrays, WorldError
from .features import FeatureTracker
from .spec import (
    ACTION_NVEC,
    CANCEL,
    DELAY_EDGES_S,
    FEATURE_NAMES,
    HISTORY,
    LEVEL_EDGES,
    LIMIT,
    MARKET,
    SIZE_EDGES,
    draw_in_bucket,
)

__all__ = ["GeneratorBackground", "OrderPolicy", "empty_market", "trained_window"]

OrderPolicy = Callable[[np.ndarray, np.random.Generator], np.ndarray]

_COMPACT_AT = MAX_OPEN_ORDERS - 64  # a slot this full is compacted (dead ids dropped) before use


@njit(cache=True)
def _sides_prices(sc, ht, od, ids, out_side, out_price):  # pragma: no cover - compiled
    """Side and price (ticks) of each live order id; side 0 for an id that is no longer live."""
    for i in range(ids.shape[0]):
        slot = find_slot(sc, ht, ids[i])
        if slot < 0:
            out_side[i] = 0
            out_price[i] = -1
        else:
            out_side[i] = od[slot, O_SIDE]
            out_price[i] = od[slot, O_PRICE]


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
        policy: ``policy(observation, rng) -> action``: one order (5 ints, :mod:`.spec`) or several
            (5 k ints, placed one after the other, each its own delay after the previous); None to
            drive the generator through :meth:`act`.
        real: the market whose book at ``start`` seeds each session and whose exchange settings are used.
        start, end: the session (the generator's episode).
        n_external: participant slots offered to environments.
        n_slots: exchange owner slots the generator spreads its orders over (``n_slots`` x 512 live orders at
            most; a generator that piles up more has run away: ``WorldError``).
        snapshot_levels: price levels per side copied from the real book at ``start``.
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
        snapshot_levels: int = 10,
    ) -> None:
        if n_slots < 1 or snapshot_levels < 1:
            raise ValueError("n_slots and snapshot_levels must be positive")
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
        self._tracker = FeatureTracker()
        self._msg = np.zeros(1, MESSAGE_DTYPE)
        self.world.reset(0)  # allocated now, so the Background properties can be read before reset()

    @classmethod
    def from_model(
        cls,
        path: str | Path,
        *,
        n_external: int = 4,
        start: str | int | None = None,
        end: str | int | None = None,
        real: str | WorldConfig | None = None,
    ) -> GeneratorBackground:
        """The background of a generator saved by SB3 (``model.save``). The real market and the session
        default to those the generator was trained for (``<path>.json`` beside the model, written by
        training), else ``rmsc04`` 09:35-09:45."""
        from .policy import SB3OrderPolicy, load_generator

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no generator model at {path}")
        trained = trained_window(path)
        return cls(
            SB3OrderPolicy(load_generator(path)),
            real=real or trained["real"],
            start=start or trained["start"],
            end=end or trained["end"],
            n_external=n_external,
        )

    # --- Background interface ---------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """A new session: the real book at ``start`` for this seed, then the generator from there."""
        real_seed, world_seed, own_seed = np.random.SeedSequence(seed).generate_state(3)
        self._real.reset(int(real_seed))
        self._real.run_until(self.config.start_ns)
        self.world.reset(int(world_seed))
        self.world.run_until(self.config.start_ns)
        self.rng = np.random.default_rng(int(own_seed))
        self._slot = 0
        self.n_orders = 0
        self.n_noop_cancels = 0
        self._planned: list[tuple[int, np.ndarray]] = []  # (due time, order), soonest last
        self._tracker.reset()
        self._seen = 0
        self._history = np.zeros((HISTORY, len(FEATURE_NAMES)), np.float32)
        self._place_snapshot()
        self.n_snapshot_records = self.world.n_records  # the session's first records are the copied book
        self._sync()

    def run_until(self, t: int) -> None:
        """Advance to ``t``; with a policy, the generator places its orders on the way."""
        t = min(int(t), self.config.end_ns)
        if self.policy is not None:
            while True:
                if not self._planned:
                    self._plan(np.asarray(self.policy(self.observation(), self.rng)))
                due, order = self._planned[-1]
                if due > t:
                    break
                self.world.run_until(due)
                self._planned.pop()
                self.act(order)
        self.world.run_until(t)

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
        return self._history.reshape(-1).copy()

    def _plan(self, action: np.ndarray) -> None:
        """Schedule the orders of one policy action (one or several orders of 5 fields), each its
        inter-arrival time after the previous one."""
        orders = action.reshape(-1, len(ACTION_NVEC))
        due = self.clock
        planned = []
        for order in orders:
            due += self.delay_ns(order)
            planned.append((due, order))
        self._planned = planned[::-1]

    def delay_ns(self, action: np.ndarray) -> int:
        """The inter-arrival time of an action, drawn in its bucket."""
        return int(draw_in_bucket(self.rng, int(action[4]), DELAY_EDGES_S, integer=False) * NS_PER_SECOND)

    def act(self, action: np.ndarray) -> None:
        """Place the order of ``action`` now (prices relative to the current touch)."""
        kind, side_code, level, size_bucket = (int(v) for v in action[:4])
        side = 1 if side_code == 0 else -1
        self.n_orders += 1
        if kind == CANCEL:
            self._cancel(side, level)
            return
        qty = int(draw_in_bucket(self.rng, size_bucket, SIZE_EDGES, integer=True))
        if kind == MARKET:
            self._send(MsgKind.MARKET, side, 0, qty, self._owner_for_new())
        elif kind == LIMIT:
            self._send(MsgKind.LIMIT, side, self._limit_price(side, level), qty, self._owner_for_new())
        else:
            raise ValueError(f"invalid order type {kind} in action {list(action)}; expected 0, 1 or 2")

    # --- internals --------------------------------------------------------------------------------

    @property
    def _owners(self) -> range:
        first = self.world.first_external + self.n_external
        return range(first, first + self.n_slots)

    def _touch(self) -> tuple[int | None, int | None]:
        sc = self.world.book.scalars
        bid = int(sc[BEST_BID]) if sc[N_BID_ORDERS] > 0 else None
        ask = int(sc[BEST_ASK]) if sc[N_ASK_ORDERS] > 0 else None
        return bid, ask

    def _limit_price(self, side: int, level: int) -> int:
        """Tick of a limit order ``ticks`` behind the own touch, never crossing (a price that would cross
        rests one tick off the opposite touch). Level 0 improves the own touch by one tick, as most
        recorded inside-spread orders do (72% of those of an rmsc04 session; 2 ticks: 16%)."""
        bid, ask = self._touch()
        ticks = int(draw_in_bucket(self.rng, level, LEVEL_EDGES, integer=True))
        if side > 0:
            ref = bid if bid is not None else (ask - 1 if ask is not None else self._anchor)
            price = ref - ticks
            if ask is not None:
                price = min(price, ask - 1)
        else:
            ref = ask if ask is not None else (bid + 1 if bid is not None else self._anchor)
            price = ref + ticks
            if bid is not None:
                price = max(price, bid + 1)
        return int(np.clip(price, 0, self.config.book.n_levels - 1))

    def _owner_for_new(self) -> int:
        ag_i = self.world.arrays.ag_i
        for _ in range(self.n_slots):
            owner = self._owners[self._slot]
            self._slot = (self._slot + 1) % self.n_slots
            if ag_i[owner, A_N_OPEN] >= _COMPACT_AT:
                self.world.open_orders(owner)  # drops the ids of orders no longer live
            if ag_i[owner, A_N_OPEN] < MAX_OPEN_ORDERS:
                return owner
        raise WorldError(
            f"capacity exceeded: the generator has {self.n_slots * MAX_OPEN_ORDERS} live orders "
            f"(n_slots={self.n_slots} x {MAX_OPEN_ORDERS}); raise n_slots"
        )

    def _cancel(self, side: int, level: int) -> None:
        """Cancel the own order on ``side`` closest to the level's price (oldest first on ties)."""
        ids_per_owner = [(owner, self.world.open_orders(owner)) for owner in self._owners]
        owners = np.concatenate([np.full(len(ids), owner) for owner, ids in ids_per_owner])
        ids = np.concatenate([ids for _, ids in ids_per_owner]).astype(np.int64)
        sides = np.zeros(len(ids), np.int64)
        prices = np.zeros(len(ids), np.int64)
        b = self.world.book
        _sides_prices(b.scalars, b.table, b.orders, ids, sides, prices)
        mine = sides == side
        if not mine.any():
            self.n_noop_cancels += 1
            return
        target = self._limit_price(side, level)
        ids, owners, prices = ids[mine], owners[mine], prices[mine]
        best = np.lexsort((ids, np.abs(prices - target)))[0]
        self._send(MsgKind.CANCEL, side, 0, 0, int(owners[best]), order_id=int(ids[best]))

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
        """The real market's best levels at ``start``, one generator order per level."""
        b = self._real.book
        k = self.snapshot_levels
        prices, qty, count = np.zeros((3, k), np.int64)
        for side in (1, -1):
            found = depth(b.scalars, b.levels, b.blocks, side, k, prices, qty, count)
            for j in range(found):
                self._send(MsgKind.LIMIT, side, int(prices[j]), int(qty[j]), self._owner_for_new())
        bid, ask = self._touch()
        both = [p for p in (bid, ask) if p is not None]
        self._anchor = int(np.mean(both)) if both else (self.real_config.oracle.r_bar - self.config.min_price)

    def _sync(self) -> None:
        """Feed the messages recorded since the last call to the feature tracker; the history keeps the
        states after the last ``HISTORY`` messages."""
        n = self.world.n_records
        if n == self._seen:
            return
        recs = self.world.records_since(self._seen)
        rows = self.world.arrays.rec_book[self._seen : n]
        states = self._tracker.update(recs["time"], recs["type"], recs["direction"], rows)
        k = min(len(states), HISTORY)
        self._history = np.concatenate([self._history[k:], states[-k:]])
        self._seen = n
