"""The INTAGS reward: per-episode split of -MMD^2 against the real feedback set."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.generator.reward import FeedbackReward, episode_rewards
from intags_env.intags.distances import mmd2, mmd_witness


def _sets(shift: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(80, 3)) * [1e-5, 2e-5, 3e-5]
    synthetic = rng.normal(size=(40, 3)) * [1e-5, 2e-5, 3e-5] + shift * 1e-5
    return real, synthetic


def test_episode_rewards_average_to_minus_the_unbiased_mmd() -> None:
    real, synthetic = _sets(shift=0.7)
    reward = FeedbackReward(real)
    r = episode_rewards(reward, synthetic)
    expected = mmd2(real / reward.scale, synthetic / reward.scale, bandwidth=reward.bandwidth)
    assert r.mean() == pytest.approx(-expected, rel=1e-10, abs=1e-12)
    assert reward.mmd2(synthetic) == pytest.approx(expected)


def test_an_episode_reward_is_its_hand_computed_share() -> None:
    # r_j = -(mean_{i!=i'} k(x_i, x_i') - 2 mean_i k(x_i, y_j) + mean_{j'!=j} k(y_j, y_j'))
    real, synthetic = _sets(shift=0.5, seed=1)
    reward = FeedbackReward(real)
    x, y = reward.real, synthetic / reward.scale
    s2 = 2 * reward.bandwidth**2
    k = lambda a, b: np.exp(-((a[:, None] - b[None]) ** 2).sum(-1) / s2)  # noqa: E731
    kxx, kxy, kyy = k(x, x), k(x, y), k(y, y)
    n, m = len(x), len(y)
    real_term = (kxx.sum() - n) / (n * (n - 1))
    by_hand = -(real_term - 2 * kxy.mean(0) + (kyy.sum(1) - 1) / (m - 1))
    np.testing.assert_allclose(episode_rewards(reward, synthetic), by_hand, rtol=1e-10)
    # the part that depends on the episode through the real set is the witness's first term
    w = mmd_witness(x, y, y, bandwidth=reward.bandwidth)
    np.testing.assert_allclose(w, kxy.mean(0) - kyy.mean(0), rtol=1e-10)


def test_real_like_episodes_earn_more_than_wrong_ones() -> None:
    real, _ = _sets()
    reward = FeedbackReward(real)
    _, same = _sets(shift=0.0, seed=3)
    _, wrong = _sets(shift=3.0, seed=4)
    assert episode_rewards(reward, same).mean() > episode_rewards(reward, wrong).mean() + 0.3
    assert abs(episode_rewards(reward, same).mean()) < 0.1  # near the real-vs-real level (0)


def test_streaming_reward_uses_the_recent_episodes() -> None:
    real, synthetic = _sets(shift=0.2)
    reward = FeedbackReward(real, buffer=5)
    first = reward(synthetic[0])
    assert first == pytest.approx(reward.score(synthetic[0], None))  # V-term 1 without others
    for y in synthetic[1:8]:
        reward(y)
    assert len(reward.recent) == 5
    others = np.vstack(reward.recent)
    assert reward(synthetic[8]) == pytest.approx(reward.score(synthetic[8], others))


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="shape"):
        FeedbackReward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        FeedbackReward(np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 1.0]]))
    reward = FeedbackReward(np.random.default_rng(0).normal(size=(10, 2)))
    with pytest.raises(ValueError, match="dimensions"):
        reward(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        reward(np.array([np.nan, 0.0]))
