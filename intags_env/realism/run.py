"""The realism benchmark: the real market and its imitators measured side by side on the same seeds.

For each market (the real one first — its rows are the noise floors): causal-feedback MMD² and energy
distance to a held-out real set with permutation p-values, the background's buy/sell imbalance, the P&L
of a trader that follows the background's net flow (an exploitable imbalance pays it), stylized-facts
distances (KS, W1) of returns, spread, depth, order sizes and inter-arrival times, the price-impact
curve of a POV buyer, and the Spearman correlation between the ranking of a set of trading policies in
the market and in the real one. Writes ``realism.json``, ``realism.md`` and plots.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..seeds import REALISM_EXPLOIT, REALISM_IMPACT, REALISM_POLICIES
from ..world import WorldError
from .compare import Window, causal_comparison, facts_comparison
from .markets import Market
from .probes import (
    MarketWindow,
    exploit_pnl,
    impact_curve,
    policy_scores,
    rank_correlation,
)
from .report import markdown_table, plot_report

__all__ = ["EXECUTION_POLICIES", "RealismSettings", "run_realism"]

#: The ranking's reference policies (plus a PPO agent trained in the real market, see .pipeline).
EXECUTION_POLICIES = ("twap", "pov", "random_actions")


@dataclass(frozen=True)
class RealismSettings:
    """Sample sizes of each measurement (the defaults fit the benchmark's hour on 2 cores)."""

    causal_episodes: int = 120  # per market, and for the real reference set
    facts_sessions: int = 20
    exploit_seeds: int = 30
    impact_seeds: int = 10
    impact_rates: tuple[float, ...] = (0.05, 0.1, 0.2)
    policy_seeds: int = 10
    # execution ranks policies with far less noise than P&L, whose spread is the market's drift; momentum
    # is a two-way strategy, which an execution task cannot score, so the ranking leaves it out
    policy_env: str = "intags_env/Execution-v0"
    horizons: int = 5
    permutations: int = 200
    workers: int = 2

    @classmethod
    def quick(cls) -> RealismSettings:
        return cls(
            causal_episodes=12,
            facts_sessions=2,
            exploit_seeds=4,
            impact_seeds=2,
            impact_rates=(0.2,),
            policy_seeds=2,
            permutations=100,
        )


def run_realism(
    markets: Sequence[Market],
    window: Window,
    settings: RealismSettings,
    out: str | Path,
    *,
    policies: Sequence[Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Measure every market (the first must be the real one) and write the report to ``out``.

    ``policies``: the contestants of the ranking check (names, SB3 model paths; default:
    :data:`EXECUTION_POLICIES`). With ``workers > 1`` the caller needs the
    ``if __name__ == "__main__":`` guard."""
    if not markets or markets[0].spec != window.real:
        raise ValueError(f"the first market must be the real one ({window.real!r}), got {markets[:1]}")
    for market in markets:
        market.check(window.real, window.start, window.end)
    if len({m.name for m in markets}) != len(markets):
        raise ValueError(f"market names must be unique, got {[m.name for m in markets]}")
    s = settings
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    common = {"workers": s.workers, "progress": progress}
    causal, _ = causal_comparison(
        markets, window, s.causal_episodes, horizons=s.horizons, permutations=s.permutations, **common
    )
    facts, pools = facts_comparison(markets, window, s.facts_sessions, **common)
    report: dict[str, Any] = {"window": asdict(window), "settings": asdict(s), "markets": {}}
    report["impact_rates"] = list(s.impact_rates)
    report["impact"], report["policy_scores"] = {}, {}
    contestants = list(policies) if policies is not None else list(EXECUTION_POLICIES)
    for market in markets:
        report["markets"][market.name] = {
            "spec": str(market.spec),
            "causal": causal[market.name].as_dict(),
            "causal_imbalance": causal[market.name].imbalance.tolist(),
            "facts": facts[market.name],
        }
        notes = [e for e in (causal[market.name].error, facts[market.name].get("error")) if e]
        if np.isfinite(causal[market.name].mmd2) and "error" not in facts[market.name]:
            notes += _probes(market, window, s, contestants, report, common)
        if notes:
            report["markets"][market.name]["error"] = "; ".join(notes)
    real_row = report["markets"][markets[0].name]
    if "error" in real_row:  # nothing to compare the others with
        raise WorldError(f"the real market {window.real!r} could not be measured: {real_row['error']}")
    real_scores = report["policy_scores"][markets[0].name]
    real_impact = report["impact"][markets[0].name]["mean_bps"]
    for name, row in report["markets"].items():
        if name in report["policy_scores"]:
            row["policy_rank_corr"] = _rank_corr(real_scores, report["policy_scores"][name])
        if name in report["impact"]:
            row["impact_rmse_to_real_bps"] = _rmse(report["impact"][name]["mean_bps"], real_impact)
    report["minutes"] = (time.perf_counter() - started) / 60.0
    (out / "realism.json").write_text(json.dumps(report, indent=1, default=float))
    table = markdown_table(report)
    (out / "realism.md").write_text(table)
    report["plots"] = [str(p) for p in plot_report(report, pools, out)]
    return report


def _probes(
    market: Market,
    window: Window,
    s: RealismSettings,
    contestants: list[Any],
    report: dict[str, Any],
    common: dict[str, Any],
) -> list[str]:
    """The flow-following exploit, the POV impact curve and the policy scores of one market, each into
    ``report``; a probe whose sessions break down (``WorldError``) is left out and its error returned."""
    probe = MarketWindow(market.spec, start=window.start, end=window.end, label=market.name)
    row, errors = report["markets"][market.name], []
    try:
        exploit = exploit_pnl(probe, range(REALISM_EXPLOIT, REALISM_EXPLOIT + s.exploit_seeds), **common)
        row["exploit"] = {"mean": exploit.mean_bps, "se": exploit.se_bps, "unit": "bp of notional"}
    except WorldError as err:
        errors.append(f"exploit probe: {err}")
    try:
        seeds = range(REALISM_IMPACT, REALISM_IMPACT + s.impact_seeds)
        impact = impact_curve(probe, seeds, s.impact_rates, **common)
        report["impact"][market.name] = {
            "mean_bps": impact.mean_bps.tolist(),
            "se_bps": impact.se_bps.tolist(),
        }
    except WorldError as err:
        errors.append(f"impact probe: {err}")
    try:
        seeds = range(REALISM_POLICIES, REALISM_POLICIES + s.policy_seeds)
        report["policy_scores"][market.name] = policy_scores(
            probe, contestants, seeds, s.policy_env, **common
        )
    except WorldError as err:
        errors.append(f"policy probe: {err}")
    return errors


def _rank_corr(a: dict[str, float], b: dict[str, float]) -> float:
    """Spearman's rho, NaN where a market scores every policy the same (no ranking to compare)."""
    try:
        return rank_correlation(a, b)
    except ValueError:
        return float("nan")


def _rmse(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))
