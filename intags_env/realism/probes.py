"""Market probes of the realism benchmark (issue 8): the same seeds on any market — the real one (an
agent-based preset), a learned generator, a cWGAN — anything ``make_background`` accepts.

1. ``exploit_pnl``: the P&L of a trader following the recent order flow (``FlowFollowingAgent``): a
   persistent buy/sell imbalance (as reported for cWGAN world agents) makes it positive.
2. ``impact_curve``: the price impact of a POV trader per participation rate (common random numbers:
   the same seed with and without it), as ``metrics.pov`` measures it for agent-based worlds.
3. ``policy_scores`` / ``rank_correlation``: reference policies scored by the harness in the market's
   window, and the Spearman correlation of two markets' scores; ``train_reference_ppo`` trains the PPO
   contestant on the real market.

A ``MarketWindow`` is a background spec with the window the probes act in (``REAL_MARKET``: ``rmsc04`` probed
from 09:35 to 09:45, the default generator window). Each probe is seeded and deterministic; ``workers > 1``
runs seeds in worker processes (scripts must guard their entry point with ``if __name__ == "__main__":``).
The implementation is split by probe: ``probes_market``, ``probes_exploit``, ``probes_impact``,
``probes_policy``.
"""

from .probes_exploit import ExploitResult, FlowFollowingAgent, exploit_pnl
from .probes_impact import ImpactCurve, impact_curve, mid_paths
from .probes_market import REAL_MARKET, MarketLike, MarketWindow, as_market, seed_list
from .probes_policy import (
    DEFAULT_ENV,
    REFERENCE_POLICIES,
    env_settings,
    policy_returns,
    policy_scores,
    rank_correlation,
    train_reference_ppo,
)

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
