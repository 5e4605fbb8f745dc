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

from ..world.world import WorldError
from . import kernels
from .background import GeneratorBackground, OrderPolicy
from .kernels import AT_LIMIT, IDLE, NEED_ACTION

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

    def _take(self, backgrounds: list[GeneratorBackground]) -> None:
        self.backgrounds = backgrounds
        self.end_ns = backgrounds[0].config.end_ns
        self.errors: dict[int, WorldError] = {}
        self._status = np.zeros(len(backgrounds), np.int64)
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
        self._lists = (List(), List(), List(), List())
        for background in self.backgrounds:
            worlds, world_rngs, states, rngs = self._lists
            worlds.append(tuple(background.world.arrays))
            world_rngs.append(background.world.rng)
            states.append(background.state)
            rngs.append(background.rng)

    def run_until(self, t: Sequence[int] | np.ndarray | int) -> None:
        """Session ``i`` advanced to ``t[i]`` (capped at the session end; ``t[i] < 0`` leaves it alone),
        the generator placing its orders on the way. A session that fails is recorded in ``errors``."""
        if self._lists is None:
            raise RuntimeError("call reset(seeds) first")
        n = len(self.backgrounds)
        limits = np.broadcast_to(np.asarray(t, np.int64), (n,)).copy()
        limits[limits >= 0] = np.minimum(limits[limits >= 0], self.end_ns)
        for i in self.errors:
            limits[i] = -1
        first = self.backgrounds[0]
        net, compiled = first._net, first._compiled
        max_msgs = first.world._max_msgs
        status = self._status
        while True:
            kernels.step_sessions(*self._lists, limits, max_msgs, net, compiled, status)
            busy = np.flatnonzero((status != AT_LIMIT) & (status != IDLE))
            if not len(busy):
                return
            limits[(status == AT_LIMIT) | (status == IDLE)] = -1  # done: left alone from now on
            for i in busy:
                self._serve(int(i), int(status[i]), limits)

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
        worlds, _, states, _ = self._lists
        worlds[i] = tuple(background.world.arrays)  # Python may have replaced arrays
        states[i] = background.state
