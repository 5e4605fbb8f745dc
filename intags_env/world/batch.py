"""``WorldBatch``: many independent markets of one configuration, advanced together by one Numba call.

A step of an environment costs little inside Numba and a lot around it (Python per call: unboxing the
world's arrays, the wrapper, the loop). Holding N worlds and stepping all of them in one call pays that
once per step instead of once per world. Each world is a plain :class:`~intags_env.world.World` (own
seed, own ``numpy.random.Generator``, own record buffers), stepped by the same ``participant_step``
kernel, so world ``i`` of a batch is bit-identical to a ``World`` reset with the same seed and given
the same messages (tested). The rare step that needs Python (record buffers to grow, an error to name)
is finished by that world's own ``World`` code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit
from numba.typed import List

from ..exchange.types import MESSAGE_DTYPE
from .config import WorldConfig
from .layout import WorldStatus
from .participants import participant_step
from .state import grow_records
from .typed_lists import append, list_of, set_item
from .world import World, WorldError, depth_both

__all__ = ["WorldBatch"]


@njit(cache=True)
def _participant_step_many(worlds, rngs, msgs, n_msgs, cancel_owner, t_stop, max_msgs, book_out, status):
    """``participant_step`` of every world ``i``: ``msgs[i, :n_msgs[i]]`` applied after cancelling
    ``cancel_owner[i]``'s orders, the background run to ``t_stop[i]``, the book into ``book_out[i]``;
    ``status[i]`` = (status, phase) as ``participant_step`` returns them; a world with ``t_stop[i] < 0`` is
    left alone."""
    for i in range(len(worlds)):
        if t_stop[i] < 0:  # left alone this call
            status[i, 0] = 0
            status[i, 1] = 2
            continue
        w = worlds[i]
        s, phase = participant_step(
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13],
            w[14], w[15], w[16], w[17], w[18], w[19], w[20], w[21],
            rngs[i], msgs[i, : n_msgs[i]], cancel_owner[i], t_stop[i], max_msgs, book_out[i],
        )  # fmt: skip
        status[i, 0] = s
        status[i, 1] = phase


class WorldBatch:
    """``n`` worlds of one configuration (``config``, ``start``, ``end`` and ``n_external`` as for
    :class:`~intags_env.world.World`), each with its own seed; ``worlds[i]`` reads as any ``World``
    (book, trades, records, result)."""

    def __init__(
        self,
        config: str | WorldConfig,
        n: int,
        *,
        start: str | int | None = None,
        end: str | int | None = None,
        n_external: int = 0,
    ) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (the number of worlds) must be a positive integer, got {n!r}")
        self.worlds = [World(config, start=start, end=end, n_external=n_external) for _ in range(n)]
        self.config = self.worlds[0].config
        self._arrays: List | None = None  # the worlds' array tuples, as the kernel takes them
        self._rngs: List | None = None
        self._status = np.zeros((n, 2), np.int64)

    def __len__(self) -> int:
        return len(self.worlds)

    def reset(self, seeds: Sequence[int]) -> None:
        """Every world to the session start, world ``i`` with ``seeds[i]``."""
        if len(seeds) != len(self.worlds):
            raise ValueError(f"need one seed per world ({len(self.worlds)}), got {len(seeds)}")
        for world, seed in zip(self.worlds, seeds):
            world.reset(seed)
        self._arrays, self._rngs = list_of(tuple(self.worlds[0].arrays)), list_of(self.worlds[0].rng)
        for world in self.worlds[1:]:
            append(self._arrays, tuple(world.arrays))
            append(self._rngs, world.rng)

    def reset_world(self, i: int, seed: int | None) -> None:
        """World ``i`` alone to the session start with ``seed`` (an environment's autoreset)."""
        self._require()
        self.worlds[i].reset(seed)
        self._sync(i)

    def run_until(self, t: Sequence[int] | np.ndarray) -> None:
        """World ``i`` advanced to ``t[i]`` (no participant messages)."""
        n = len(self.worlds)
        self.participant_step(
            np.zeros((n, 0), MESSAGE_DTYPE), np.zeros(n, np.int64), np.full(n, -1), t,
            np.zeros((n, 2, 2, 1), np.int64),
        )  # fmt: skip

    def participant_step(
        self,
        messages: np.ndarray,
        n_messages: np.ndarray,
        cancel_owner: np.ndarray,
        t: Sequence[int] | np.ndarray,
        book_out: np.ndarray,
    ) -> None:
        """For every world ``i`` in one call: ``cancel_owner[i]``'s resting orders cancelled (-1: none),
        ``messages[i, :n_messages[i]]`` applied now, the background run to ``t[i]``, the best levels
        written to ``book_out[i]`` (as :meth:`World.participant_step`); ``t[i] < 0`` leaves world ``i``
        alone (an environment resetting it). ``messages`` is an ``(n, k)``
        array of ``MESSAGE_DTYPE``; a ``WorldError`` names the world that could not go on."""
        self._require()
        n = len(self.worlds)
        if not isinstance(messages, np.ndarray) or messages.dtype != MESSAGE_DTYPE or messages.ndim != 2:
            raise TypeError("messages must be an (n_worlds, k) array of intags_env.exchange.MESSAGE_DTYPE")
        n_messages = np.asarray(n_messages, np.int64)
        cancel_owner = np.asarray(cancel_owner, np.int64)
        t_stop = np.asarray(t, np.int64)
        for name, value in (("n_messages", n_messages), ("cancel_owner", cancel_owner), ("t", t_stop)):
            if value.shape != (n,):
                raise ValueError(f"{name} must have one entry per world, shape ({n},), got {value.shape}")
        if messages.shape[0] != n or np.any((n_messages < 0) | (n_messages > messages.shape[1])):
            raise ValueError(f"messages must be ({n}, k) with 0 <= n_messages <= k")
        if book_out.shape[:2] != (n, 2) or book_out.dtype != np.int64:
            raise ValueError(f"book_out must be an int64 array of shape ({n}, 2, 2, levels)")
        status = self._status
        max_msgs = self.worlds[0]._max_msgs
        _participant_step_many(
            self._arrays, self._rngs, messages, n_messages, cancel_owner, t_stop, max_msgs, book_out, status
        )
        for i in np.flatnonzero(status[:, 0] != WorldStatus.OK):
            self._finish(i, int(status[i, 0]), int(status[i, 1]), messages[i, : n_messages[i]],
                         int(cancel_owner[i]), int(t_stop[i]), book_out[i])  # fmt: skip

    def _finish(self, i: int, status: int, phase: int, msgs: np.ndarray, cancel: int, t: int, out) -> None:
        """World ``i``'s step that stopped in the kernel, finished as ``World.participant_step`` does."""
        world = self.worlds[i]
        try:
            if status == WorldStatus.RECORD_FULL and phase == 0:  # nothing applied: grow, redo it all
                world.arrays = grow_records(world.arrays)
                world.participant_step(msgs, cancel, t, out)
            elif status == WorldStatus.RECORD_FULL:  # orders applied: grow, finish the run
                world.arrays = grow_records(world.arrays)
                world.run_until(t)
                depth_both(world.arrays, out)
            else:
                world._raise_for(status)
        except WorldError as err:
            raise WorldError(f"world {i} of the batch (seed {world.seed}): {err}") from err
        finally:
            self._sync(i)

    def _sync(self, i: int) -> None:
        """The kernel's view of world ``i`` after Python replaced its arrays or generator."""
        set_item(self._arrays, i, tuple(self.worlds[i].arrays))
        set_item(self._rngs, i, self.worlds[i].rng)

    def _require(self) -> None:
        if self._arrays is None:
            raise RuntimeError("call reset(seeds) first")
