"""What a world-agent generator sees and does: its state features and its order action.

The **action** is one order, five discrete fields (``ACTION_NVEC``):

======  =====================================================================================
field   values
======  =====================================================================================
type    0 limit, 1 market, 2 cancel
side    0 buy, 1 sell (for a cancel: the side of the order to cancel)
level   price bucket relative to the own side's touch, in ticks behind it (``LEVEL_EDGES``):
        0 = inside the spread (one tick better than the touch; at the touch when the spread is one
        tick), 1 = at the touch, 2 = 1 tick behind, ... 9 = 65 or more behind. Ignored by market
        orders.
size    size bucket (``SIZE_EDGES``), shares. Ignored by cancels.
delay   inter-arrival bucket (``DELAY_EDGES_S``): the time from the previous generator order.
======  =====================================================================================

Within a bucket the exact value (ticks, shares, seconds) is drawn uniformly by the environment's seeded
generator, so a trained policy yields a continuous distribution of prices, sizes and times. A cancel
removes the generator's own order closest in price to the level's price on that side (oldest first on
ties); with no own order on that side it does nothing (counted, never an error).

The **state** is ``FEATURE_NAMES`` (after Coletta et al.'s world agent), computed after each message of
the market, from the book (5 levels) and the recent messages; the observation stacks the last
``HISTORY`` states. :mod:`intags_env.generator.features` computes them identically from a LOBSTER
record (behaviour cloning) and from a live market.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTION_NVEC",
    "CANCEL",
    "DELAY_EDGES_S",
    "FEATURE_NAMES",
    "HISTORY",
    "LEVEL_EDGES",
    "LIMIT",
    "MARKET",
    "SIZE_EDGES",
    "bucket_of",
    "draw_in_bucket",
]

LIMIT, MARKET, CANCEL = 0, 1, 2
BUY, SELL = 0, 1

#: Ticks behind the own touch covered by each level bucket: [lo, hi) with -1 = inside the spread.
LEVEL_EDGES = np.array([-1, 0, 1, 2, 3, 5, 9, 17, 33, 65, 129])
#: Shares per size bucket: [lo, hi).
SIZE_EDGES = np.array([1, 20, 50, 100, 101, 300, 1001])
#: Seconds per inter-arrival bucket: [lo, hi).
DELAY_EDGES_S = np.array([0.0, 1e-3, 0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 15.0])

ACTION_NVEC = np.array([3, 2, len(LEVEL_EDGES) - 1, len(SIZE_EDGES) - 1, len(DELAY_EDGES_S) - 1])

FEATURE_NAMES = (
    "imbalance_l1",  # (bid - ask) / (bid + ask) volume at the best level
    "imbalance_l5",  # the same over the best 5 levels
    "log_volume_l1",  # log1p(bid + ask volume at the best level)
    "log_volume_l5",  # log1p(bid + ask volume over 5 levels)
    "log_spread_ticks",  # log1p(spread in ticks); 0 with a one-sided book
    "sign_imbalance",  # mean order sign over the last SIGN_WINDOW messages (buy-side pressure > 0)
    "return_10s_bp",  # mid log-return over the last 10 s, basis points / 10
    "return_60s_bp",  # over the last 60 s, basis points / 10
    "time_of_day",  # (t - 09:30) / 6.5 h
    "log_gap_s",  # log10(seconds since the previous message + 1 ms)
    "two_sided",  # 1 when both sides have orders
)
HISTORY = 4
SIGN_WINDOW = 50


def bucket_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bucket index of each value (values below the first edge go to 0, at or above the last to the end)."""
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def draw_in_bucket(rng: np.random.Generator, bucket: int, edges: np.ndarray, integer: bool) -> float:
    """A value drawn uniformly in ``[edges[bucket], edges[bucket + 1])``."""
    lo, hi = edges[bucket], edges[bucket + 1]
    if integer:
        return int(rng.integers(int(lo), int(hi)))
    return float(rng.uniform(lo, hi))
