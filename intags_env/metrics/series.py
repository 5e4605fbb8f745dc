"""Series underlying the stylized facts: mid prices on a clock grid, returns, per-interval volumes.

Pure functions of a :class:`~intags_env.data.LobsterData` (or of plain arrays), so simulated and real
markets go through exactly the same code. Statistics come from scipy/numpy.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from intags_env.data import LobsterData, MessageType

__all__ = [
    "EXECUTION_TYPES",
    "autocorrelation",
    "excess_kurtosis",
    "executed_volume",
    "grid_times",
    "imbalance",
    "interval_sums",
    "log_returns",
    "mid_log_returns",
    "mid_on_grid",
    "pearson",
]

#: Message types that are executions (visible and hidden limit orders).
EXECUTION_TYPES = (int(MessageType.EXECUTE_VISIBLE), int(MessageType.EXECUTE_HIDDEN))


def grid_times(start_ns: int, end_ns: int, dt_ns: int) -> np.ndarray:
    """Clock grid ``start_ns + k * dt_ns``, ``k = 0, 1, ...``, up to and including the last <= ``end_ns``."""
    if dt_ns <= 0:
        raise ValueError(f"dt_ns must be positive, got {dt_ns}")
    return np.arange(start_ns, end_ns + 1, dt_ns, dtype=np.int64)


def mid_on_grid(data: LobsterData, dt_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, mid)``: the level-1 mid (price units) after the last message at or before each grid time.

    The grid spans the session ``[start_ns, end_ns]`` (see :func:`grid_times`). The mid is NaN before the
    first message and wherever the book then had an empty side.
    """
    grid = grid_times(data.start_ns, data.end_ns, dt_ns)
    last = np.searchsorted(data.messages["time"], grid, side="right") - 1
    mid = np.full(len(grid), np.nan)
    seen = last >= 0
    mid[seen] = data.mid[last[seen]]
    return grid, mid


def log_returns(mid: np.ndarray) -> np.ndarray:
    """``diff(log(mid))``, NaN kept where either end is NaN (so positions stay aligned with the grid)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diff(np.log(np.asarray(mid, dtype=float)))


def mid_log_returns(data: LobsterData, dt_ns: int) -> np.ndarray:
    """Log returns of the grid mid (:func:`mid_on_grid`) at clock step ``dt_ns``, NaN returns dropped."""
    returns = log_returns(mid_on_grid(data, dt_ns)[1])
    return returns[np.isfinite(returns)]


def excess_kurtosis(x: np.ndarray) -> float:
    """Fisher (excess) kurtosis, ``m4 / m2**2 - 3`` with population moments (``scipy.stats.kurtosis``,
    ``fisher=True, bias=True``); 0 for a normal distribution. NaN for fewer than 4 values or constant x.
    """
    x = np.asarray(x, dtype=float)
    if x.size < 4 or np.ptp(x) == 0:
        return float("nan")
    return float(stats.kurtosis(x, fisher=True, bias=True))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation (``scipy.stats.pearsonr``) over pairs where both are finite.

    NaN when fewer than 3 such pairs remain or either side is constant (correlation undefined).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.pearsonr(x, y).statistic)


def autocorrelation(x: np.ndarray, lags: np.ndarray | range) -> np.ndarray:
    """Autocorrelation of ``x`` at each lag k: the Pearson correlation of the pairs ``(x[t], x[t + k])``.

    Pairs with a NaN are left out (so a series with gaps keeps its time alignment). NaN for a lag with
    fewer than 3 pairs or a constant side.
    """
    x = np.asarray(x, dtype=float)
    return np.array([pearson(x[:-k], x[k:]) if 0 < k < x.size else float("nan") for k in lags])


def interval_sums(times: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Sum of ``values`` whose time lies in each grid interval ``(grid[k], grid[k + 1]]``.

    Half-open on the left, like the grid mid (a message at exactly ``grid[k + 1]`` moves the mid sampled
    there), so interval ``k`` lines up with the return ``log mid(grid[k + 1]) - log mid(grid[k])``.
    """
    slot = np.searchsorted(grid, times, side="left") - 1
    inside = (slot >= 0) & (slot < len(grid) - 1)
    return np.bincount(slot[inside], weights=np.asarray(values, dtype=float)[inside], minlength=len(grid) - 1)


def executed_volume(data: LobsterData, grid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(buy, sell)`` executed shares (types 4 and 5), buyer- vs seller-initiated.

    An execution of a sell limit order (direction -1) is a buyer-initiated trade, of a buy limit order
    (+1) a seller-initiated one. Without ``grid``: session totals (0-d arrays); with a grid: per interval
    as in :func:`interval_sums`.
    """
    m = data.messages
    executed = np.isin(m["type"], EXECUTION_TYPES)
    buy = executed & (m["direction"] == -1)
    sell = executed & (m["direction"] == 1)
    if grid is None:
        return np.asarray(m["size"][buy].sum(), float), np.asarray(m["size"][sell].sum(), float)
    return (
        interval_sums(m["time"][buy], m["size"][buy], grid),
        interval_sums(m["time"][sell], m["size"][sell], grid),
    )


def imbalance(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    """``(buy - sell) / (buy + sell)`` elementwise; NaN where nothing traded."""
    buy, sell = np.asarray(buy, dtype=float), np.asarray(sell, dtype=float)
    total = buy + sell
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (buy - sell) / total, np.nan)
