"""The world-agent generator of INTAGS: a learned background order flow (an SB3 policy), its environment
``intags_env/WorldAgent-v0`` (reward: the episode's share of -MMD^2 of causal feedback against the real
market), behaviour cloning, INTAGS fine-tuning, and its use as the background of every environment.
A session runs in Numba (:mod:`.kernels`); :class:`GeneratorBatch` runs many in one call.

The names below are imported on first use, so a submodule that needs no torch (``generator.cli``, building
the command line) does not import it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["FeedbackReward", "GeneratorBackground", "GeneratorBatch"]

_HOMES = {"FeedbackReward": ".reward", "GeneratorBackground": ".background", "GeneratorBatch": ".batch"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
