"""Realism against a recorded day (LOBSTER): the same comparison with data as the real side.

Data cannot answer an experimental trader, so the causal feedback here is observational
(:mod:`intags_env.intags.observational`: the IPW effect of each 10-s bin's net aggressor side on the mid,
propensities estimated from the state). The recorded day is cut into windows as long as a simulated
session; each window gives one feedback vector and one pool of stylized-facts samples, and every market
(generators cloned from recorded data, the cWGAN trained on it, agent-based presets) gives the same per
session, seen as a recording of the day's depth would have kept it (a LOBSTER file of L levels holds
only the messages that touch the first L levels). The floor compares the day's even windows with its
odd ones. Models should be compared on data they were not trained on (e.g. a day's afternoon after
training on its morning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..data import read_lobster
from ..data.lobster import LobsterData
from ..data.views import top_levels_view
from ..generator.reward import FeedbackReward
from ..intags.distances import mmd2, permutation_test
from ..intags.observational import session_feedback
from ..seeds import REALISM_RECORDED
from ..workers import parallel_map
from ..world import WorldError
from ..world.config import NS_PER_SECOND, parse_time_of_day
from .facts_distance import facts_distances, pooled_samples
from .markets import Market, market_session

__all__ = ["day_windows", "recorded_comparison"]


def day_windows(data: LobsterData, window_s: float, skip_open_s: float = 300.0) -> list[LobsterData]:
    """Consecutive ``window_s`` windows of a recorded session, from ``skip_open_s`` after its start (the
    opening minutes are another market) to its end; the last partial window is dropped."""
    if window_s <= 0 or skip_open_s < 0:
        raise ValueError(f"window_s must be positive and skip_open_s >= 0, got {window_s}, {skip_open_s}")
    step = int(window_s * NS_PER_SECOND)
    first = data.start_ns + int(skip_open_s * NS_PER_SECOND)
    times = data.messages["time"]
    windows = []
    for start in range(first, data.end_ns - step + 1, step):
        rows = (times >= start) & (times < start + step)
        if rows.any():
            windows.append(replace(data.select(rows), start_ns=start, end_ns=start + step))
    if len(windows) < 4:
        raise ValueError(f"the recording holds {len(windows)} windows of {window_s} s: too few to compare")
    return windows


def _feedback_or_none(data: LobsterData, bin_s: float, horizons: int) -> np.ndarray | None:
    """The session's one observational feedback vector; None when it has too few usable bins or only
    one side dominating (a one-sided market has no contrast to estimate)."""
    try:
        return session_feedback(data, bin_s, horizons)
    except ValueError:
        return None


def _session_job(job: tuple) -> tuple[np.ndarray | None, dict[str, np.ndarray]] | str:
    market, seed, start, end, bin_s, horizons, levels = job
    try:
        data = market_session(market, seed, start, end)
    except WorldError as err:
        return str(err)
    if data.levels >= levels:  # what a recording of the day's depth would have kept of this session
        data = top_levels_view(data, levels)
    return _feedback_or_none(data, bin_s, horizons), pooled_samples([data])


def recorded_comparison(
    data: str | Path | LobsterData,
    markets: Sequence[Market],
    *,
    start: str,
    end: str,
    sessions: int = 40,
    bin_s: float = 10.0,
    horizons: int = 5,
    permutations: int = 200,
    workers: int = 1,
    progress: bool = False,
) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """Observational-feedback MMD² (with permutation p-value) and facts distances of each market's
    ``start``-``end`` sessions against the recorded day's windows of the same length, plus the floor.
    Returns the report ``{"floor": {...}, "markets": {name: {...}}, "windows": n, ...}`` and the pools of
    facts samples (the day under ``"recorded day"``)."""
    day = read_lobster(data) if isinstance(data, (str, Path)) else data
    window_s = (parse_time_of_day(end) - parse_time_of_day(start)) / NS_PER_SECOND
    windows = day_windows(day, window_s)
    real_feedback = [_feedback_or_none(w, bin_s, horizons) for w in windows]
    keep = [i for i, f in enumerate(real_feedback) if f is not None]
    if len(keep) < 4:
        raise ValueError(
            f"only {len(keep)} of the recording's {len(windows)} windows give observational feedback "
            "(too few traded bins, or one side only): too few to compare"
        )
    real = np.array([real_feedback[i] for i in keep])
    reference = FeedbackReward(real)
    real_pool = pooled_samples(windows)
    even, odd = keep[0::2], keep[1::2]
    floor = {
        "causal": _mmd(reference, real[0::2], real[1::2], permutations),
        "facts": facts_distances(
            pooled_samples([windows[i] for i in even]), pooled_samples([windows[i] for i in odd])
        ),
    }
    pools = {"recorded day": real_pool}
    report: dict[str, Any] = {
        "windows": len(windows),
        "usable_windows": len(keep),
        "floor": floor,
        "markets": {},
    }
    for market in markets:
        jobs = [
            (market, REALISM_RECORDED + i, start, end, bin_s, horizons, day.levels) for i in range(sessions)
        ]
        rows = parallel_map(_session_job, jobs, workers, f"{market.name} sessions", progress)
        broken = [r for r in rows if isinstance(r, str)]
        if broken:
            report["markets"][market.name] = {"error": broken[0], "broken_sessions": len(broken)}
            continue
        feedback = np.array([f for f, _ in rows if f is not None])
        pool = pools[market.name] = {name: np.concatenate([p[name] for _, p in rows]) for name in real_pool}
        causal = _mmd(reference, real, feedback, permutations) if len(feedback) >= 2 else {}
        report["markets"][market.name] = {
            "causal": causal,
            "sessions_without_feedback": sessions - len(feedback),
            "facts": facts_distances(real_pool, pool),
        }
    return report, pools


def _mmd(reference: FeedbackReward, x: np.ndarray, y: np.ndarray, permutations: int) -> dict[str, float]:
    """MMD² of two raw feedback sets on the recorded day's scale and bandwidth, with its p-value."""
    xs, ys = x / reference.scale, y / reference.scale
    bw = reference.bandwidth
    _, p = permutation_test(xs, ys, mmd2, n_permutations=permutations, seed=0, bandwidth=bw)
    return {"mmd2": mmd2(xs, ys, bandwidth=bw), "p_value": p}
