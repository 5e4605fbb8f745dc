"""Realism benchmark of markets (issue 8): probes that compare the real market, learned generators and
other world agents on the same seeds."""

from .probes import (
    DEFAULT_ENV,
    REAL_MARKET,
    REFERENCE_POLICIES,
    ExploitResult,
    FlowFollowingAgent,
    ImpactCurve,
    MarketLike,
    MarketWindow,
    as_market,
    env_settings,
    exploit_pnl,
    impact_curve,
    mid_paths,
    policy_returns,
    policy_scores,
    rank_correlation,
    seed_list,
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
