"""INTAGS feedback from historical data (no experimenter): the observational mode.

In a recorded market nobody randomised anything, so the treatment is what the market itself did: in each
time bin, ``a = 1`` if buyer-initiated executed volume exceeded seller-initiated volume, else 0 (bins
without trades are left out). The confounders are the state at the bin's start — the previous bin's mid
log-return and the level-1 depth imbalance — and the propensity is estimated from them by logistic
regression. The outcome at horizon h is the mid log-return from the bin's start to the end of bin t+h-1.
A day is cut into windows of consecutive bins; each gives one feedback vector, so one day gives a set.
"""

from __future__ import annotations

import numpy as np

from ..data.lobster import LobsterData
from ..metrics.series import executed_volume, grid_times
from ..world.config import NS_PER_SECOND
from .feedback import estimate_propensity, ipw_effect

__all__ = ["observational_feedback", "observational_trajectory", "session_feedback"]


def observational_trajectory(
    data: LobsterData, bin_s: float = 10.0, horizons: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(actions (T,), confounders (T, 2), outcomes (T, H)) of a whole session, bins without trades dropped."""
    if bin_s <= 0 or horizons < 1:
        raise ValueError(f"bin_s must be positive and horizons >= 1, got {bin_s}, {horizons}")
    grid = grid_times(data.start_ns, data.end_ns, int(bin_s * NS_PER_SECOND))
    if len(grid) < horizons + 3:
        raise ValueError(
            f"the session holds {len(grid) - 1} bins of {bin_s} s: too few for {horizons} horizons"
        )
    times = data.messages["time"]
    last = np.searchsorted(times, grid, side="right") - 1
    seen = last >= 0
    log_mid = np.full(len(grid), np.nan)
    log_mid[seen] = np.log(data.mid[last[seen]])
    bid1 = np.zeros(len(grid))
    ask1 = np.zeros(len(grid))
    bid1[seen] = data.bid_depth_1[last[seen]]
    ask1[seen] = data.ask_depth_1[last[seen]]
    buy, sell = executed_volume(data, grid)  # per bin k = (grid[k], grid[k+1]]
    n_bins = len(grid) - 1
    rows = []
    for k in range(1, n_bins - horizons + 1):
        if buy[k] + sell[k] == 0:
            continue
        previous_return = log_mid[k] - log_mid[k - 1]
        depth = bid1[k] + ask1[k]
        depth_imbalance = (bid1[k] - ask1[k]) / depth if depth > 0 else 0.0
        outcome = log_mid[k + 1 : k + 1 + horizons] - log_mid[k]
        if not (np.isfinite(previous_return) and np.isfinite(outcome).all()):
            continue
        rows.append((float(buy[k] > sell[k]), previous_return, depth_imbalance, *outcome))
    if len(rows) < 2:
        raise ValueError("fewer than two usable bins (with trades and a two-sided book)")
    table = np.asarray(rows)
    return table[:, 0].astype(np.int8), table[:, 1:3], table[:, 3:]


def observational_feedback(
    data: LobsterData, bin_s: float = 10.0, horizons: int = 5, window_s: float = 1800.0, clip: float = 0.01
) -> np.ndarray:
    """Feedback vectors (n_windows, horizons): the IPW effect, with estimated propensities, of the bin's
    net aggressor side on the mid, one vector per window of ``window_s / bin_s`` consecutive usable bins
    (bins without trades are dropped first, so a window can span more clock time than ``window_s``;
    windows with only buy- or only sell-dominated bins are skipped)."""
    actions, confounders, outcomes = observational_trajectory(data, bin_s, horizons)
    bins_per_window = max(2, int(window_s / bin_s))
    vectors = []
    for start in range(0, len(actions) - bins_per_window + 1, bins_per_window):
        part = slice(start, start + bins_per_window)
        a = actions[part]
        if a.min() == a.max():  # one-sided window: no contrast to estimate
            continue
        e = estimate_propensity(confounders[part], a, clip=clip)
        vectors.append(ipw_effect(a, outcomes[part], e, clip=clip))
    if not vectors:
        raise ValueError(f"no {window_s} s window holds both buy- and sell-dominated bins")
    return np.vstack(vectors)


def session_feedback(
    data: LobsterData, bin_s: float = 10.0, horizons: int = 5, clip: float = 0.01
) -> np.ndarray:
    """One feedback vector ``(horizons,)`` from all the usable bins of a session (a simulated session, or
    one window of a recorded day, compared set against set); a session whose every usable bin is
    dominated by the same side is an error (no contrast to estimate)."""
    actions, confounders, outcomes = observational_trajectory(data, bin_s, horizons)
    if actions.min() == actions.max():
        side = "buy" if actions[0] else "sell"
        raise ValueError(f"every usable bin of the session is {side}-dominated: no contrast to estimate")
    e = estimate_propensity(confounders, actions, clip=clip)
    return ipw_effect(actions, outcomes, e, clip=clip)
