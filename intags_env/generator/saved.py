"""A generator saved by Stable-Baselines3, as a world agent (the ``.zip`` loader of
``intags_env.envs.world_agents``): its order policy, the window it was trained for, its background."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..world import WorldConfig
from .background import GeneratorBackground, trained_window
from .policy import SB3OrderPolicy, load_generator

__all__ = ["SavedGenerator", "load_saved_generator"]


class SavedGenerator:
    """An SB3 generator with its training window (``<model>.json``, written by training; else
    ``rmsc04`` 09:35-09:45)."""

    def __init__(self, policy: SB3OrderPolicy, window: dict[str, Any]) -> None:
        self.policy = policy
        self.window = window

    def background(
        self,
        n_external: int = 4,
        start: str | int | None = None,
        end: str | int | None = None,
        real: str | WorldConfig | None = None,
    ) -> GeneratorBackground:
        """A market driven by the generator; the real market and session default to the window."""
        return GeneratorBackground(
            self.policy,
            real=real or self.window["real"],
            start=start or self.window["start"],
            end=end or self.window["end"],
            n_external=n_external,
        )


def load_saved_generator(path: str | Path) -> SavedGenerator:
    """The generator saved at ``path`` (a missing or damaged file is named: ``load_generator``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no generator model at {path}")
    return SavedGenerator(SB3OrderPolicy(load_generator(path)), trained_window(path))
