"""Price impact of a trader: the gap between two mid-price paths of the same market, with and without it."""

from __future__ import annotations

import numpy as np

__all__ = ["price_impact_bps"]


def price_impact_bps(mid_with: np.ndarray, mid_without: np.ndarray, side: int = 1) -> np.ndarray:
    """Impact path in basis points: ``side * 1e4 * (mid_with / mid_without - 1)``, elementwise.

    Both paths must be sampled on the same grid (e.g. :func:`intags_env.metrics.mid_on_grid` of two
    simulations sharing a seed, one with the trader and one without). ``side`` = +1 for a buyer, -1 for
    a seller makes impact in the trader's direction positive. NaN wherever either mid is NaN.
    """
    mid_with, mid_without = np.asarray(mid_with, dtype=float), np.asarray(mid_without, dtype=float)
    if mid_with.shape != mid_without.shape:
        raise ValueError(f"mid paths differ in shape: {mid_with.shape} vs {mid_without.shape}")
    if side not in (1, -1):
        raise ValueError(f"side must be +1 or -1, got {side}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return side * 1e4 * (mid_with / mid_without - 1.0)
