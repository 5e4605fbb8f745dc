"""``GeneratorBatch``: N sessions of one generator advanced together, one Numba call for all of them.

Every INTAGS figure is a statistic over many generator sessions. A session with a compiled policy runs
inside Numba from one decision of the experimental trader to the next (:mod:`.kernels`), so what is
left in Python is one kernel call per session per trader decision; a batch makes that one call for all N
sessions. Each session is a plain :class:`~.background.GeneratorBackground` (own seed, own random
generators, own world) stepped by the same kernel, so session ``i`` of a batch is bit-identical to the
background alone with the same seed (tested): results never depend on how sessions are grouped.

A policy without a compiled actor (a cWGAN world agent, any callable) is called from Python whenever a
session needs its next order: correct, and as slow as a session alone. A session that fails (a runaway
generator, capacity exceeded) is recorded in :attr:`GeneratorBatch.errors` and left alone; the others
go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba.typed import List

from ..world.typed_lists import append, list_of, set_item
from ..world.world import WorldError
from . import kernels
from .background import GeneratorBackground, OrderPolicy
from .session_state import AT_LIMIT, IDLE, NEED_ACTION, PLAN_FULL
from .spec import N_FIELDS

__all__ = ["GeneratorBatch"]


class GeneratorBatch:
    """``n`` sessions of ``policy`` (the other arguments as for :class:`GeneratorBackground`).

    ``backgrounds[i]`` is session ``i``: read its world, records and counters as for any background, or
    hand it to a :class:`~intags_env.envs.session.TradingSession` (see :func:`advance_sessions`)."""

    def __init__(self, policy: OrderPolicy | None, n: int, **background: Any) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (the number of sessions) must be a positive integer, got {n!r}")
        self._take([GeneratorBackground(policy, **background) for _ in range(int(n))])

    @classmethod
    def like(cls, background: GeneratorBackground, n: int) -> GeneratorBatch:
        """``n`` sessions with ``background``'s generator and settings (the first is ``background``)."""
        batch = cls.__new__(cls)
        b = background
        settings = {
            "real": b.real_config,
            "start": b.config.start_ns,
            "end": b.config.end_ns,
            "n_external": b.n_external,
            "n_slots": b.n_slots,
            "snapshot_levels": b.snapshot_levels,
            "initial_book": b.initial_book,
        }
        batch._take([b] + [GeneratorBackground(b.policy, **settings) for _ in range(int(n) - 1)])
        return batch

    @classmethod
    def of(cls, backgrounds: Sequence[GeneratorBackground]) -> GeneratorBatch:
        """A batch of these backgrounds (one generator: they must share the policy)."""
        if not backgrounds or any(b.policy is not backgrounds[0].policy for b in backgrounds):
            raise ValueError("a GeneratorBatch needs backgrounds that share one policy")
        batch = cls.__new__(cls)
        batch._take(list(backgrounds))
        return batch

    def _take(self, backgrounds: list[GeneratorBackground]) -> None:
        self.backgrounds = backgrounds
        self.end_ns = backgrounds[0].config.end_ns
        self.errors: dict[int, WorldError] = {}
        self._status = np.zeros(len(backgrounds), np.int64)
        self._no_actions = np.full((len(backgrounds), 1), -1, np.int64)
        self._lists: tuple[List, List, List, List] | None = None

    def __len__(self) -> int:
        return len(self.backgrounds)

    @property
    def policy(self) -> OrderPolicy | None:
        return self.backgrounds[0].policy

    def reset(self, seeds: Sequence[int]) -> None:
        """Every session to its start, session ``i`` with ``seeds[i]``."""
        if len(seeds) != len(self.backgrounds):
            raise ValueError(f"need one seed per session ({len(self.backgrounds)}), got {len(seeds)}")
        for background, seed in zip(self.backgrounds, seeds, strict=True):
            background.reset(int(seed))
        self.refresh()

    def refresh(self) -> None:
        """Take the sessions as they are now: after their backgrounds were reset one by one (each
        ``TradingSession.reset`` resets its own), before :meth:`run_until`."""
        self.errors = {}
        views = [self._kernel_view(b) for b in self.backgrounds]
        self._lists = tuple(list_of(column[0]) for column in zip(*views, strict=True))
        for view in views[1:]:
            for items, item in zip(self._lists, view, strict=True):
                append(items, item)

    def run_until(self, t: Sequence[int] | np.ndarray | int) -> None:
        """Session ``i`` advanced to ``t[i]`` (capped at the session end; ``t[i] < 0`` leaves it alone),
        the generator placing its orders on the way. A session that fails is recorded in ``errors``."""
        limits = np.minimum(np.broadcast_to(np.asarray(t, np.int64), (len(self),)), self.end_ns)
        while True:
            status = self.advance(limits)
            need = np.flatnonzero(status == NEED_ACTION)
            if not len(need):
                return
            limits[status != NEED_ACTION] = -1  # done: left alone from now on
            for i in need:
                self._serve(int(i), NEED_ACTION, limits)

    def advance(self, limits: np.ndarray, actions: np.ndarray | None = None) -> np.ndarray:
        """One round: session ``i`` (``limits[i] >= 0``) plans ``actions[i]`` (checked orders, int64;
        a row starting with -1: none) and places its planned orders due by ``limits[i]`` (a compiled
        policy drawing the next ones). Returns each session's outcome: ``NEED_ACTION`` (its plan is done
        and its history current: it waits for an action), ``AT_LIMIT`` (run to its limit) or ``IDLE``
        (left alone, or failed: see ``errors``). Buffers are grown on the way."""
        if self._lists is None:
            raise RuntimeError("call reset(seeds) first")
        limits = np.array(limits, np.int64)
        for i in self.errors:
            limits[i] = -1
        first = self.backgrounds[0]
        nets, compiled = first._nets, first._compiled
        max_msgs = first.world._max_msgs
        if actions is None:
            actions = self._no_actions
        else:
            orders = actions.shape[1] // N_FIELDS
            for i in np.flatnonzero(actions[:, 0] >= 0):
                if len(self.backgrounds[i].state[1]) < orders:  # room for a longer plan
                    self.backgrounds[i]._plan_room(orders)
                    self._sync(int(i))
        status, outcome = self._status, np.full(len(self), IDLE, np.int64)
        while True:
            kernels.step_sessions(*self._lists, limits, max_msgs, nets, compiled, actions, status)
            final = (status == AT_LIMIT) | (status == NEED_ACTION)
            outcome[final] = status[final]
            stopped = np.flatnonzero(~final & (status != IDLE))
            if not len(stopped):
                return outcome
            limits[final] = -1
            planned = actions[:, 0] >= 0
            if planned.any():  # planned once: a resumed call must not plan again
                actions = actions.copy()
                actions[(status != PLAN_FULL), 0] = -1
            for i in stopped:
                self._serve(int(i), int(status[i]), limits)

    def refresh_one(self, i: int) -> None:
        """Take session ``i`` as it is now (after its background alone was reset)."""
        self.errors.pop(i, None)
        self._sync(i)

    def _serve(self, i: int, status: int, limits: np.ndarray) -> None:
        """What session ``i``'s kernel stopped for: its next action (a policy called from Python), a
        buffer to grow, or a failure to record."""
        background = self.backgrounds[i]
        try:
            if status == NEED_ACTION:
                background.plan(background.policy(background.state[4].reshape(-1).copy(), background.rng))
            else:
                background.handle(status)
        except WorldError as err:
            self.errors[i] = err
            limits[i] = -1
        self._sync(i)

    def _sync(self, i: int) -> None:
        """The kernel's view of session ``i`` after Python replaced its arrays or generators."""
        for items, item in zip(self._lists, self._kernel_view(self.backgrounds[i]), strict=True):
            set_item(items, i, item)

    @staticmethod
    def _kernel_view(background: GeneratorBackground) -> tuple:
        """A session as :func:`.kernels.step_sessions` takes it: world arrays and generator, generator
        state and generator."""
        return tuple(background.world.arrays), background.world.rng, background.state, background.rng
