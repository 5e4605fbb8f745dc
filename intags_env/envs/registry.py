"""Finding trading agents by name: the ``intags_env.agents`` entry-point group.

Third-party packages register their ``TradingAgent`` classes under that group in their own
``pyproject.toml``; intags-env's reference agents (package ``intags_agents``) register there too, so
``intags_env`` never imports them directly.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from .protocol import TradingAgent

GROUP = "intags_env.agents"


def available_agents() -> dict[str, str]:
    """Registered agent names and their ``module:Class`` targets."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def load_agent(name: str, **kwargs: Any) -> TradingAgent:
    """An instance of the agent registered as ``name``, built with ``kwargs``."""
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not matches:
        raise KeyError(
            f"no trading agent named {name!r} in entry-point group {GROUP!r}; "
            f"available: {sorted(available_agents())}"
        )
    agent = matches[0].load()(**kwargs)
    if not isinstance(agent, TradingAgent):
        raise TypeError(
            f"{matches[0].value} does not implement TradingAgent (reset, decide, on_fills, name, interval_s)"
        )
    return agent
