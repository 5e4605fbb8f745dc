"""Realism benchmark of markets (issue 8): probes that compare the real market, learned generators and
other world agents on the same seeds. The names below (from :mod:`.probes`) are imported on first use,
so building the command line (``realism.cli``, ``realism.impact_cli``) imports no torch."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "DEFAULT_ENV",
    "REAL_MARKET",
    "REFERENCE_POLICIES",
    "ExploitResult",
    "FlowFollowingAgent",
    "ImpactCurve",
    "MarketWindow",
    "MarketLike",
    "as_market",
    "env_settings",
    "exploit_pnl",
    "impact_curve",
    "mid_paths",
    "policy_returns",
    "policy_scores",
    "rank_correlation",
    "seed_list",
    "train_reference_ppo",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(".probes", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
