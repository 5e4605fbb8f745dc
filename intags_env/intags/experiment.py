"""Experimental (AT) traders and the rollouts that turn a market into INTAGS feedback.

An experimental trader buys or sells a fixed size at each decision time, with a probability that depends
on the previous market state (that dependence makes the state a confounder) and it logs that
probability, so the propensity is known. ``rollout_feedback`` runs one episode of a market with such a
trader and returns the IPW feedback vector f(T); ``collect_feedback`` does it for many seeds, in worker
processes, with identical results whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..envs.background import Background
from ..envs.session import TradingSession
from ..progress import tqdm
from ..world import WorldConfig
from ..world.config import NS_PER_SECOND
from .compiled_trader import advance_with_trader, compiled_trader_applies
from .feedback import ipw_effect, outcomes_from_path
from .trader import ConfoundedTrader

__all__ = [
    "ConfoundedTrader",
    "Trajectory",
    "advance_to_end",
    "collect_feedback",
    "rollout",
    "rollout_feedback",
    "trajectory",
    "trajectory_feedback",
]


@dataclass(frozen=True)
class Trajectory:
    """What an experimental trader logged in one session; the market's state is read at each decision,
    before the decision's order."""

    actions: np.ndarray
    propensities: np.ndarray
    mids: np.ndarray  # at each decision (before the decision's order), then one more at the end
    states: np.ndarray
    times: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ns of each decision
    spreads: np.ndarray = field(default_factory=lambda: np.zeros(0))  # cents, at each decision
    touch_imbalances: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (bid - ask) / (bid + ask)


def trajectory(trader: ConfoundedTrader, final_mid: float | None) -> Trajectory:
    """The trajectory an experimental trader logged during a session, closed by the session's last mid."""
    log = trader.log
    if not log["mid"]:
        raise ValueError(f"{trader.name} made no decision (no two-sided book at any decision time)")
    mids = np.asarray(log["mid"] + [final_mid or log["mid"][-1]], float)
    return Trajectory(
        np.asarray(log["action"], np.int8),
        np.asarray(log["propensity"]),
        mids,
        np.asarray(log["state"]),
        np.asarray(log["time"], np.int64),
        np.asarray(log["spread"], float),
        np.asarray(log["touch_imbalance"], float),
    )


def trajectory_feedback(traj: Trajectory, horizons: int = 5, *, stabilized: bool = False) -> np.ndarray:
    """f(T): the IPW effect of the trader's action on the mid log-return 1..``horizons`` decisions ahead
    (``stabilized``: the Hajek form of ``ipw_effect``, lower variance at an O(1/T) bias)."""
    outcomes = outcomes_from_path(traj.mids, np.arange(len(traj.actions)), horizons)
    return ipw_effect(traj.actions, outcomes, traj.propensities, stabilized=stabilized)


def rollout(
    market: str | WorldConfig | Background,
    trader: ConfoundedTrader,
    seed: int,
    *,
    warmup_s: float = 300.0,
    compiled: bool = True,
) -> Trajectory:
    """One session of ``market`` with ``trader`` acting every ``trader.interval_s`` after the warm-up
    (``compiled=False``: from Python even where :func:`advance_to_end` could compile it; the same session)."""
    session = TradingSession(market, n_learners=0, scripted=[trader])
    session.reset(seed, scripted_from=session.start_ns + int(warmup_s * NS_PER_SECOND))
    advance_to_end(session, compiled)
    return trajectory(trader, session.mid())


def advance_to_end(session: TradingSession, compiled: bool = True) -> None:
    """Run a freshly reset session to its end: in one Numba call when its only player is a
    ``ConfoundedTrader`` on the agent-based market (:mod:`.compiled_trader`, the same session), else (or
    with ``compiled=False``) from Python."""
    if compiled and compiled_trader_applies(session):
        advance_with_trader(session)
    else:
        session.advance(session.end_ns)


def rollout_feedback(
    market: str | WorldConfig | Background,
    trader: ConfoundedTrader,
    seed: int,
    horizons: int = 5,
    *,
    stabilized: bool = False,
    **kwargs: Any,
) -> np.ndarray:
    """f(T) of one session of ``market`` (see ``trajectory_feedback``)."""
    return trajectory_feedback(rollout(market, trader, seed, **kwargs), horizons, stabilized=stabilized)


def _one(args: tuple) -> np.ndarray:
    market, trader, seed, horizons, kwargs = args
    return rollout_feedback(market, trader, seed, horizons, **kwargs)


def collect_feedback(
    market: str | WorldConfig,
    trader: ConfoundedTrader,
    seeds: Sequence[int] | int,
    horizons: int = 5,
    workers: int = 1,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    **kwargs: Any,
) -> np.ndarray:
    """Feedback vectors (n_episodes, horizons), one per seed, in seed order whatever ``workers`` is.

    With ``cache_dir`` the result is stored under a key of everything that determines it (the market's
    full configuration, the trader, the seeds, the horizons, the rollout arguments, the package version)
    and reused on the next identical call.
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"feedback-{_cache_key(market, trader, seed_list, horizons, kwargs)}.npy"
        if path.exists():
            return np.load(path)
    jobs = [(market, trader, s, horizons, kwargs) for s in seed_list]
    bar = tqdm(total=len(jobs), desc="feedback episodes", unit="ep", disable=not progress)
    rows = []
    if workers <= 1:
        for job in jobs:
            rows.append(_one(job))
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for row in pool.map(_one, jobs):
                rows.append(row)
                bar.update(1)
    bar.close()
    result = np.vstack(rows)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, result)
    return result


def _cache_key(
    market: str | WorldConfig,
    trader: ConfoundedTrader,
    seeds: list[int],
    horizons: int,
    kwargs: dict[str, Any],
) -> str:
    from .. import __version__
    from ..world import resolve_config

    described = {
        "market": resolve_config(market).to_dict(),
        "trader": {k: v for k, v in asdict(trader).items() if k != "log"},
        "seeds": seeds,
        "horizons": horizons,
        "kwargs": kwargs,
        "version": __version__,
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
