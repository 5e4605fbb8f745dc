"""Causal-feedback and stylized-facts comparisons of several markets against the real one.

Seeds are fixed per role, so every market is measured on the same sessions: the real *reference* sets
come from their own seeds, and every market — the real one included — is then run on the *comparison*
seeds. The real market's distance to its own reference is the floor: what sampling noise alone gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..generator.env import default_trader
from ..generator.evaluate import EpisodeStats, batched_jobs
from ..generator.reward import FeedbackReward
from ..intags.distances import energy_distance, mmd2, permutation_test
from ..intags.experiment import ConfoundedTrader
from ..seeds import REALISM_COMPARISON, REALISM_FACTS, REALISM_FACTS_REFERENCE, REALISM_REFERENCE
from ..workers import parallel_map
from ..world import WorldError
from .facts_distance import facts_distances, pooled_samples
from .markets import Market, causal_episodes, market_session

__all__ = ["CausalResult", "Window", "causal_comparison", "facts_comparison"]


@dataclass(frozen=True)
class Window:
    """The real market and the session window every market is compared in."""

    real: str = "rmsc04"
    start: str = "09:35"
    end: str = "09:45"


def _causal_job(job: tuple) -> list[EpisodeStats | str]:
    """Episodes' stats, or the error of a session that broke down (e.g. a generator that ran away), for
    a group of seeds (a generator's run together)."""
    market, trader, seeds, window, horizons = job
    return causal_episodes(market, trader, seeds, window.start, window.end, horizons)


def _causal_rows(
    market: Market, trader: Any, first_seed: int, episodes: int, window: Window, horizons: int,
    workers: int, desc: str, progress: bool,
) -> list[EpisodeStats | str]:  # fmt: skip
    """The market's episodes on seeds ``first_seed``..., in order, in batches spread over the workers."""
    groups = batched_jobs(range(first_seed, first_seed + episodes), workers)
    jobs = [(market, trader, group, window, horizons) for group in groups]
    return [row for rows in parallel_map(_causal_job, jobs, workers, desc, progress) for row in rows]


def _session_job(job: tuple) -> dict[str, np.ndarray] | str:
    market, seed, window = job
    try:
        return pooled_samples([market_session(market, seed, window.start, window.end)])
    except WorldError as err:
        return str(err)


@dataclass(frozen=True)
class CausalResult:
    """A market's causal feedback against the real reference set."""

    mmd2: float
    p_value: float
    energy: float
    imbalance_abs_mean: float
    imbalance_mean: float
    failed_episodes: int  # sessions that ran but whose feedback cannot be computed
    feedback: np.ndarray  # (episodes, horizons), raw (not standardised)
    imbalance: np.ndarray  # per episode
    error: str | None = None  # why the market could not be measured (then every figure is NaN)
    broken_episodes: int = 0  # sessions that broke down (WorldError), left out of every figure

    @classmethod
    def broken(cls, error: str) -> CausalResult:
        """A market whose sessions cannot run (e.g. a generator exceeding its order capacity)."""
        nan = float("nan")
        return cls(nan, nan, nan, nan, nan, 0, np.empty((0, 0)), np.empty(0), error)

    def as_dict(self) -> dict[str, float]:
        return {
            "mmd2": self.mmd2,
            "p_value": self.p_value,
            "energy": self.energy,
            "imbalance_abs_mean": self.imbalance_abs_mean,
            "imbalance_mean": self.imbalance_mean,
            "failed_episodes": float(self.failed_episodes),
            "broken_episodes": float(self.broken_episodes),
        }


def causal_comparison(
    markets: Sequence[Market],
    window: Window,
    episodes: int,
    *,
    trader: ConfoundedTrader | None = None,
    horizons: int = 5,
    permutations: int = 200,
    workers: int = 1,
    progress: bool = False,
) -> tuple[dict[str, CausalResult], list[EpisodeStats]]:
    """Each market's IPW feedback on the comparison seeds against the real market's on the reference seeds:
    MMD² (the real set's scale and median-heuristic bandwidth, as the generator's training reward uses)
    with its permutation p-value, energy distance, and the background's buy/sell imbalance. A market
    whose sessions raise ``WorldError`` gets :meth:`CausalResult.broken` with the error."""
    trader = trader or default_trader()
    real = Market("real", window.real)
    reference_stats = _causal_rows(
        real, trader, REALISM_REFERENCE, episodes, window, horizons, workers, "real reference", progress
    )
    if any(isinstance(r, str) for r in reference_stats):
        raise WorldError(
            f"the real market broke down: {next(r for r in reference_stats if isinstance(r, str))}"
        )
    reference = FeedbackReward(_finite_rows(np.array([s.feedback for s in reference_stats])))
    results = {}
    for market in markets:
        desc = f"{market.name} causal"
        rows = _causal_rows(
            market, trader, REALISM_COMPARISON, episodes, window, horizons, workers, desc, progress
        )
        stats = [r for r in rows if not isinstance(r, str)]
        broken = [r for r in rows if isinstance(r, str)]
        if len(stats) < 2:  # the market breaks down: a finding to report, not a reason to stop
            results[market.name] = CausalResult.broken(broken[0] if broken else "fewer than 2 sessions ran")
            continue
        results[market.name] = replace(
            _causal_result(stats, reference, permutations),
            broken_episodes=len(broken),
            error=f"{len(broken)} of {len(rows)} sessions broke down: {broken[0]}" if broken else None,
        )
    return results, reference_stats


def _finite_rows(feedback: np.ndarray) -> np.ndarray:
    return feedback[np.isfinite(feedback).all(axis=1)]


def _causal_result(stats: list[EpisodeStats], reference: FeedbackReward, permutations: int) -> CausalResult:
    feedback = np.array([s.feedback for s in stats])
    imbalance = np.array([s.imbalance for s in stats])
    ok = np.isfinite(feedback).all(axis=1)
    failed = int((~ok).sum())
    if ok.sum() < 2:
        nan = float("nan")
        return CausalResult(nan, nan, nan, *_imbalance(imbalance), failed, feedback, imbalance)
    synthetic = feedback[ok] / reference.scale
    bw = reference.bandwidth
    value = mmd2(reference.real, synthetic, bandwidth=bw)
    _, p = permutation_test(
        reference.real, synthetic, mmd2, n_permutations=permutations, seed=0, bandwidth=bw
    )
    energy = energy_distance(reference.real, synthetic)
    return CausalResult(value, p, energy, *_imbalance(imbalance), failed, feedback, imbalance)


def _imbalance(imbalance: np.ndarray) -> tuple[float, float]:
    return float(np.abs(imbalance).mean()), float(imbalance.mean())


def facts_comparison(
    markets: Sequence[Market],
    window: Window,
    sessions: int,
    *,
    workers: int = 1,
    progress: bool = False,
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, dict[str, np.ndarray]]]:
    """Stylized-facts distances of each market's sessions (comparison seeds) to the real market's
    (reference seeds), and every pool of samples (the real reference under ``"real reference"``). A
    market whose sessions raise ``WorldError`` gets ``{"error": message}`` and no pool."""
    real = Market("real", window.real)
    pools = {"real reference": _pool(real, REALISM_FACTS_REFERENCE, window, sessions, workers, progress)[0]}
    distances: dict[str, Any] = {}
    for market in markets:
        try:
            pools[market.name], broken = _pool(market, REALISM_FACTS, window, sessions, workers, progress)
        except WorldError as err:
            distances[market.name] = {"error": str(err)}
            continue
        distances[market.name] = facts_distances(pools["real reference"], pools[market.name])
        if broken:
            distances[market.name]["broken_sessions"] = broken
    return distances, pools


def _pool(
    market: Market, first_seed: int, window: Window, sessions: int, workers: int, progress: bool
) -> tuple[dict[str, np.ndarray], int]:
    """The market's pooled facts samples and the number of its sessions that broke down (left out); all
    of them breaking down is a ``WorldError``."""
    jobs = [(market, first_seed + i, window) for i in range(sessions)]
    rows = parallel_map(_session_job, jobs, workers, f"{market.name} sessions", progress)
    parts = [r for r in rows if not isinstance(r, str)]
    if not parts:
        raise WorldError(f"every session of {market.name} broke down: {rows[0]}")
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}, len(rows) - len(parts)
