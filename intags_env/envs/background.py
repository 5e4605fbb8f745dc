"""The ``Background`` interface: the market an environment's agents trade in.

Anything with this interface can stand behind every environment. ``intags_env.world.World`` (an
agent-based population, from a preset name or a ``WorldConfig``) is the built-in one; a learned order
flow generator implements the same methods.
"""

from __future__ import annotations

import inspect
from typing import Protocol, runtime_checkable

import numpy as np

from ..exchange.book import BookState
from ..world import World, WorldConfig, resolve_config
from ..world.config import ConfigError
from ..world.world import SimulationResult, WorldArrays
from .world_agents import is_world_agent_file, load_world_agent, world_agent_suffixes

__all__ = ["Background", "make_background"]


@runtime_checkable
class Background(Protocol):
    """A background market with ``n_external`` participant slots (agent indices from ``first_external``).

    - ``reset(seed)`` starts a session at ``config.start_ns``; the same seed reproduces it exactly.
    - ``run_until(t)`` lets the background act until time ``t`` (ns after midnight).
    - ``submit(messages)`` applies participants' exchange messages (``MESSAGE_DTYPE``, prices in ticks
      from ``config.min_price``) at the current time.
    - ``trades_since(k)`` / ``n_trades``: the trade log; ``open_orders(owner)``: a participant's live ids.
    - ``arrays``: the exchange book and records (``WorldArrays``), read by environments for market data.
    """

    config: WorldConfig
    n_external: int
    arrays: WorldArrays | None

    def reset(self, seed: int | None = None) -> None: ...

    def run_until(self, t: int) -> None: ...

    def submit(self, messages: np.ndarray) -> None: ...

    def trades_since(self, start: int) -> np.ndarray: ...

    def open_orders(self, owner: int) -> np.ndarray: ...

    def result(self, copy: bool = True) -> SimulationResult: ...

    @property
    def clock(self) -> int: ...

    @property
    def done(self) -> bool: ...

    @property
    def n_trades(self) -> int: ...

    @property
    def first_external(self) -> int: ...

    @property
    def book(self) -> BookState: ...


def make_background(
    spec: str | WorldConfig | Background,
    n_participants: int,
    *,
    start: str | int | None = None,
    end: str | int | None = None,
) -> Background:
    """A background with room for ``n_participants``: from a preset name, a ``WorldConfig`` (or its JSON
    file, e.g. ``intags calibrate``'s ``config.json``), a saved
    world agent (a file whose suffix a loader is registered for in :mod:`.world_agents`: an SB3
    generator ``.zip``, see ``intags_env.generator``; a cWGAN ``.pt``, see ``intags_agents.cwgan``) or an
    object.

    An object must implement ``Background`` and have at least ``n_participants`` external slots.
    A world agent's market and session default to those it was trained for.
    """
    if is_world_agent_file(spec):
        return load_world_agent(spec).background(n_external=n_participants, start=start, end=end)
    if isinstance(spec, (str, WorldConfig)):
        try:
            config = resolve_config(spec, start, end)
        except ConfigError as err:
            if not isinstance(spec, str):
                raise
            suffixes = sorted(world_agent_suffixes())
            raise ConfigError(
                f"{err}; or a world config's .json file; or a saved world agent, a file ending in one "
                f"of {suffixes}"
            ) from None
        return World(config, n_external=n_participants)
    if not _is_background(spec):
        kind = type(spec).__name__
        raise TypeError(f"background must be a preset name, a WorldConfig or a Background object, got {kind}")
    if spec.n_external < n_participants:
        raise ValueError(
            f"the background has {spec.n_external} participant slots, {n_participants} are needed"
        )
    if start is not None or end is not None:
        raise ValueError("start/end apply to presets and configs; a Background object has its own session")
    return spec


_MISSING = object()


def _is_background(obj: object) -> bool:
    """Whether ``obj`` has every member of ``Background``, looked up without running properties (a
    ``World``'s ``book`` raises before its first reset, which ``isinstance`` would let escape)."""
    names = [n for n in vars(Background) if not n.startswith("_")] + list(Background.__annotations__)
    return all(inspect.getattr_static(obj, name, _MISSING) is not _MISSING for name in names)
