"""Stylized-facts distances between markets: how far a simulator's distributions of returns, spread,
depth, order sizes and inter-arrival times are from the real market's, pooled over sessions.

Each distribution is pooled over a market's sessions (same seeds and window for every market) and compared
to the real market's pool with the two-sample Kolmogorov-Smirnov statistic (scale-free, in [0, 1]) and the
Wasserstein-1 distance (in the fact's own unit: bp, ticks, shares, seconds). The same comparison between
two disjoint sets of real sessions is the floor: the distance that is sampling noise alone.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..metrics.facts import DISTRIBUTIONS, pooled_samples

__all__ = ["DISTRIBUTIONS", "facts_distances", "pooled_samples"]


def facts_distances(real: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """``{distribution: {"ks": KS statistic, "ks_p": its p-value, "w1": Wasserstein-1}}`` of ``other``
    against ``real``; a distribution with no samples on either side is an error naming it (a market with
    no trades has no returns: that is a finding to report, not a distance of 0)."""
    out: dict[str, dict[str, float]] = {}
    for name in DISTRIBUTIONS:
        x, y = _finite(real, name, "real"), _finite(other, name, "other")
        ks = stats.ks_2samp(x, y)
        out[name] = {
            "ks": float(ks.statistic),
            "ks_p": float(ks.pvalue),
            "w1": float(stats.wasserstein_distance(x, y)),
        }
    return out


def _finite(samples: dict[str, np.ndarray], name: str, side: str) -> np.ndarray:
    if name not in samples:
        raise KeyError(f"the {side} samples have no distribution {name!r}")
    x = np.asarray(samples[name], dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError(f"the {side} market has no finite samples of {name!r}")
    return x
