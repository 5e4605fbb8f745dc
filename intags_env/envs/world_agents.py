"""Saved world agents (learned backgrounds) by file: the ``intags_env.world_agents`` entry-point group.

A world agent is a model that writes a market's background order flow: the project's SB3 generator
(``.zip``, :mod:`intags_env.generator`) and the cWGAN baseline (``.pt``, ``intags_agents.cwgan``) are
two. Each kind registers a loader under this group, keyed by its file suffix, in its package's
``pyproject.toml``::

    [project.entry-points."intags_env.world_agents"]
    ".zip" = "intags_env.generator.saved:load_saved_generator"

A loader takes the file's path and returns a :class:`WorldAgent`: an order policy that also builds its
own background. ``make_background("model.pt", ...)``, the generator's evaluation and the realism
comparisons all load through :func:`load_world_agent`, so the environments import nothing above
themselves and a third-party world agent works everywhere once registered. Loaded models are kept in
one per-process cache (keyed by path and modification time): loading costs more than a session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

GROUP = "intags_env.world_agents"
#: Trainers of world agents by kind: ``name = "module:train"``, ``train(out_dir, window, *, quick,
#: progress) -> model path`` trains one for ``window`` (``real``, ``start``, ``end``) into ``out_dir``.
TRAINERS = "intags_env.world_agent_trainers"

__all__ = [
    "GROUP",
    "TRAINERS",
    "WorldAgent",
    "is_world_agent_file",
    "load_world_agent",
    "world_agent_suffixes",
    "world_agent_trainer",
]


@runtime_checkable
class WorldAgent(Protocol):
    """A loaded world agent: ``policy`` (what a ``GeneratorBackground`` or ``GeneratorBatch`` samples
    orders from), ``window`` (the real market and session it was trained for: ``real``, ``start``,
    ``end``) and ``background(n_external, start, end)``, a market driven by it (the window's defaults): a
    :class:`~intags_env.envs.background.Background`, which imports this module, hence ``Any`` here."""

    policy: Any
    window: dict[str, Any]

    def background(
        self, n_external: int = 4, start: str | int | None = None, end: str | int | None = None
    ) -> Any: ...


#: Models kept loaded per process (a comparison alternates between a few).
CACHED_MODELS = 4
_CACHE: dict[tuple[str, int], WorldAgent] = {}


@cache
def _entries(group: str) -> dict[str, EntryPoint]:
    """The group's entry points by name, read once per process (reading costs ~10 ms; call
    ``_entries.cache_clear()`` after installing a package that registers more)."""
    return {ep.name: ep for ep in entry_points(group=group)}


def world_agent_suffixes() -> dict[str, str]:
    """Registered file suffixes and their ``module:function`` loaders."""
    return {name: ep.value for name, ep in _entries(GROUP).items()}


def is_world_agent_file(spec: object) -> bool:
    """Whether ``spec`` is a path (``str`` or ``Path``) with a suffix that has a world-agent loader."""
    return isinstance(spec, (str, os.PathLike)) and Path(spec).suffix in world_agent_suffixes()


def load_world_agent(path: str | os.PathLike, *, cached: bool = True) -> WorldAgent:
    """The world agent saved at ``path``, by its suffix's registered loader. ``cached`` (default): the
    process's one copy, loaded once per file version; ``cached=False``: a fresh copy the caller may
    change (e.g. a training candidate's parameters). A missing file is the loader's
    ``FileNotFoundError``; a suffix no loader is registered for is a ``ValueError`` listing the known
    ones."""
    path = Path(path)
    loader = _entries(GROUP).get(path.suffix)
    if loader is None:
        raise ValueError(
            f"no world-agent loader for {path.suffix or 'files without a suffix'!s} ({path}); "
            f"registered in entry-point group {GROUP!r}: {sorted(world_agent_suffixes())}"
        )
    if not cached or not path.is_file():  # a missing file: the loader names it in its own words
        return _load(loader, path)
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _CACHE:
        if len(_CACHE) >= CACHED_MODELS:
            _CACHE.pop(next(iter(_CACHE)))  # the oldest
        _CACHE[key] = _load(loader, path)
    return _CACHE[key]


def world_agent_trainer(kind: str) -> Callable[..., Path]:
    """The trainer registered as ``kind`` in ``TRAINERS`` (e.g. ``cwgan``, by ``intags_agents``); an
    unknown kind is a ``KeyError`` listing the registered ones."""
    found = _entries(TRAINERS).get(kind)
    if found is None:
        known = sorted(_entries(TRAINERS))
        raise KeyError(f"no world-agent trainer {kind!r} in entry-point group {TRAINERS!r}; known: {known}")
    return found.load()


def _load(entry: Any, path: Path) -> WorldAgent:
    try:
        loader = entry.load()
    except ImportError as err:
        raise ImportError(
            f"{path} needs {entry.value} to load, which failed to import (a learned background needs "
            f"torch: pip install 'intags-env[train]'): {err}"
        ) from err
    agent = loader(str(path))
    if not isinstance(agent, WorldAgent):
        raise TypeError(f"{entry.value} returned {type(agent).__name__}, not a WorldAgent (policy, window, "
                        "background)")  # fmt: skip
    return agent
