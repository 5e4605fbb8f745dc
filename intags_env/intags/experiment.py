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
import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..envs.background import Background
from ..envs.protocol import Fill, MarketView, Order
from ..envs.session import TradingSession
from ..progress import tqdm
from ..world import WorldConfig
from ..world.config import NS_PER_SECOND
from .feedback import ipw_effect, outcomes_from_path

__all__ = [
    "ConfoundedTrader",
    "Trajectory",
    "collect_feedback",
    "rollout",
    "rollout_feedback",
    "trajectory",
    "trajectory_feedback",
]


@dataclass
class ConfoundedTrader:
    """Buys (a=1) with probability sigmoid(alpha + beta * z), else sells ``size`` at market (beta = 0: a
    randomised trial). The state z is, by ``feature``, the last interval's mid log-return over
    ``return_scale`` ("return") or the touch depth imbalance (bid - ask) / (bid + ask) over
    ``imbalance_scale`` ("imbalance": a strong confounder, since the imbalance predicts the next mid
    move), clipped to ``[-z_clip, z_clip]``. The clip keeps every propensity strictly inside (0, 1) (overlap:
    both actions stay possible in every state, which IPW needs); a large trade can move the mid by
    many ``return_scale`` units, and without it the propensity would round to exactly 0 or 1.

    Implements ``TradingAgent``; the decisions, their propensities and the mids are logged in ``log``.
    """

    alpha: float = 0.0
    beta: float = 1.0
    size: int = 100
    interval_s: float = 10.0
    return_scale: float = 1e-4
    feature: str = "return"
    imbalance_scale: float = 0.25
    z_clip: float = 4.0
    name: str = "confounded"
    log: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.size <= 0 or self.interval_s <= 0 or self.return_scale <= 0 or not self.z_clip > 0:
            raise ValueError("size, interval_s, return_scale and z_clip must be positive")
        if self.feature not in ("return", "imbalance") or not self.imbalance_scale > 0:
            raise ValueError(
                f"feature must be 'return' or 'imbalance' and imbalance_scale positive, got {self.feature!r}"
                f" and {self.imbalance_scale!r}"
            )
        self.reset(None)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.log = {
            "action": [],
            "propensity": [],
            "mid": [],
            "state": [],
            "time": [],
            "spread": [],
            "touch_imbalance": [],
        }
        self._last_mid: float | None = None

    def propensity(self, z: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.alpha + self.beta * z)))

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        mid = view.mid
        if mid is None:
            return [], True
        if self.feature == "imbalance":
            bid, ask = int(view.bid_sizes[0]), int(view.ask_sizes[0])
            z = (bid - ask) / (bid + ask) / self.imbalance_scale
        else:
            z = 0.0 if self._last_mid is None else math.log(mid / self._last_mid) / self.return_scale
        z = min(max(z, -self.z_clip), self.z_clip)
        self._last_mid = mid
        p = self.propensity(z)
        a = int(self.rng.random() < p)
        bid, ask = int(view.bid_sizes[0]), int(view.ask_sizes[0])
        logged = (
            ("action", a),
            ("propensity", p),
            ("mid", mid),
            ("state", z),
            ("time", view.time),
            ("spread", view.spread),
            ("touch_imbalance", (bid - ask) / (bid + ask) if bid + ask else 0.0),
        )
        for key, value in logged:
            self.log[key].append(value)
        return [Order(1 if a else -1, self.size)], True

    def on_fills(self, fills: list[Fill]) -> None:
        """Fills do not change the experiment's decisions."""


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
    market: str | WorldConfig | Background, trader: ConfoundedTrader, seed: int, *, warmup_s: float = 300.0
) -> Trajectory:
    """One session of ``market`` with ``trader`` acting every ``trader.interval_s`` after the warm-up."""
    session = TradingSession(market, n_learners=0, scripted=[trader])
    session.reset(seed, scripted_from=session.start_ns + int(warmup_s * NS_PER_SECOND))
    session.advance(session.end_ns)
    return trajectory(trader, session.mid())


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
