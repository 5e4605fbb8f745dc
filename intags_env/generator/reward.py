"""The INTAGS reward: a set-level distance (MMD^2 between real and synthetic feedback) split into episodes.

With real feedback vectors ``x_1..x_n`` and synthetic ones ``y_1..y_m`` the unbiased estimate is

    MMD^2_u = mean_{i != i'} k(x_i, x_i') + mean_{j != j'} k(y_j, y_j') - 2 mean_{i, j} k(x_i, y_j).

Episode ``j`` is credited with every term that involves it:

    r_j = -( mean_{i != i'} k(x_i, x_i') - 2 mean_i k(x_i, y_j) + mean_{j' != j} k(y_j, y_j') ),

so that ``mean_j r_j = -MMD^2_u`` exactly: the episode rewards are an unbiased split of the set-level
reward. ``r_j`` is the MMD witness function evaluated at ``y_j`` (the real term pulls an episode towards
the real feedback, the synthetic term pushes it away from where the other synthetic episodes already
are, which keeps the generator from collapsing onto one realistic-looking episode). The first term is a
constant that keeps the reward on the MMD's scale (0 when the generator matches the real market).

During training the "other synthetic episodes" are the previous ``buffer`` episodes of the generator (a
moving window, as the distribution being estimated is the generator's recent one); before there are any,
the term is ``k(y_j, y_j) = 1`` (the biased V-statistic). Feedback vectors are standardised by the real
set's per-dimension standard deviation and the Gaussian bandwidth is the median heuristic of the real
set, both fixed once so that rewards stay comparable along the whole training run.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.spatial.distance import cdist

from ..intags.distances import median_heuristic, mmd2

__all__ = ["FeedbackReward", "episode_rewards"]


class FeedbackReward:
    """Reward of synthetic episodes against a fixed set of real feedback vectors (see the module doc)."""

    def __init__(self, real: np.ndarray, buffer: int = 64) -> None:
        real = np.asarray(real, dtype=float)
        if real.ndim != 2 or len(real) < 2:
            raise ValueError(f"real feedback must be an (n >= 2, d) array, got shape {real.shape}")
        if not np.isfinite(real).all():
            raise ValueError("real feedback contains NaN or inf")
        if buffer < 1:
            raise ValueError(f"buffer must be at least 1, got {buffer}")
        scale = real.std(axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        self.real = real / self.scale
        self.bandwidth = median_heuristic(self.real, self.real)
        k = self._kernel(self.real, self.real)
        n = len(k)
        self.real_term = float((k.sum() - np.trace(k)) / (n * (n - 1)))
        self.recent: deque[np.ndarray] = deque(maxlen=buffer)

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.exp(-cdist(a, b, "sqeuclidean") / (2.0 * self.bandwidth**2))

    def score(self, feedback: np.ndarray, others: np.ndarray | None) -> float:
        """r for one feedback vector given the other synthetic vectors (None or empty: the V-term 1)."""
        y = self._standardise(feedback)
        cross = float(self._kernel(self.real, y).mean())
        synthetic = 1.0 if others is None or len(others) == 0 else float(self._kernel(y, others).mean())
        return -(self.real_term - 2.0 * cross + synthetic)

    def __call__(self, feedback: np.ndarray) -> float:
        """Reward of a new synthetic episode against the recent ones; the episode then joins them."""
        others = np.vstack(self.recent) if self.recent else None
        reward = self.score(feedback, others)
        self.recent.append(self._standardise(feedback))
        return reward

    def mmd2(self, synthetic: np.ndarray) -> float:
        """MMD^2_u of a synthetic set against the real one, on this reward's scale and bandwidth."""
        return mmd2(self.real, np.asarray(synthetic, float) / self.scale, bandwidth=self.bandwidth)

    def _standardise(self, feedback: np.ndarray) -> np.ndarray:
        y = np.asarray(feedback, dtype=float).reshape(1, -1)
        if y.shape[1] != self.real.shape[1]:
            raise ValueError(f"feedback has {y.shape[1]} dimensions, the real set {self.real.shape[1]}")
        if not np.isfinite(y).all():
            raise ValueError("feedback contains NaN or inf")
        return y / self.scale


def episode_rewards(reward: FeedbackReward, synthetic: np.ndarray) -> np.ndarray:
    """r_j of every episode of a fixed synthetic set (the others being the rest of the set);
    their mean is ``-reward.mmd2(synthetic)``."""
    y = np.asarray(synthetic, dtype=float)
    ys = y / reward.scale
    return np.array([reward.score(y[j], np.delete(ys, j, axis=0)) for j in range(len(y))])
