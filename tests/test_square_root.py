"""intags_env.metrics.square_root: the estimator recovers a known impact law and refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.metrics.square_root import decay_ratio, fit_square_root, square_root_fit_point

SIGMA_BP, DAILY_VOLUME = 180.0, 2_000_000.0


def synthetic(beta: float, y: float, n_seeds: int, noise_bp: float, seed: int = 0):
    """Impacts ``y * sigma * (Q/V)^beta`` plus seed noise, for six metaorder sizes with jittered fills."""
    rng = np.random.default_rng(seed)
    sizes = np.array([500, 1_000, 2_000, 5_000, 10_000, 20_000], float)
    traded = sizes[:, None] * rng.uniform(0.9, 1.1, (len(sizes), n_seeds))
    impact = y * SIGMA_BP * (traded / DAILY_VOLUME) ** beta + rng.normal(0, noise_bp, traded.shape)
    return impact, traded


@pytest.mark.parametrize(("beta", "y"), [(0.5, 0.8), (0.4, 1.2), (0.65, 0.5)])
def test_the_fit_recovers_a_known_law(beta, y) -> None:
    impact, traded = synthetic(beta, y, n_seeds=60, noise_bp=0.3)
    fit = fit_square_root(impact, traded, DAILY_VOLUME, SIGMA_BP, n_boot=400)
    assert fit.beta == pytest.approx(beta, abs=0.05)
    assert fit.beta_ci[0] < beta < fit.beta_ci[1]
    assert fit.beta_ci[1] - fit.beta_ci[0] < 0.2
    assert (fit.n_kinds, fit.n_seeds) == (6, 60)
    if beta == 0.5:  # Y is the prefactor of the square root itself
        assert fit.y_factor == pytest.approx(y, rel=0.05)
        assert fit.y_ci[0] < y < fit.y_ci[1]


def test_noise_widens_the_interval_and_nan_seeds_are_skipped() -> None:
    quiet, traded = synthetic(0.5, 1.0, n_seeds=50, noise_bp=0.2)
    loud, _ = synthetic(0.5, 1.0, n_seeds=50, noise_bp=3.0)
    loud[2, :10] = np.nan  # an undefined mid: out of that kind's mean, not the whole fit
    narrow = fit_square_root(quiet, traded, DAILY_VOLUME, SIGMA_BP, n_boot=300)
    wide = fit_square_root(loud, traded, DAILY_VOLUME, SIGMA_BP, n_boot=300)
    assert np.isfinite(wide.beta)
    assert (wide.beta_ci[1] - wide.beta_ci[0]) > 2 * (narrow.beta_ci[1] - narrow.beta_ci[0])


def test_points_without_a_positive_impact_count_only_for_y() -> None:
    beta, y = square_root_fit_point(np.array([-1.0, 2.0]), np.array([1e-3, 4e-3]), SIGMA_BP)
    assert np.isnan(beta)  # one positive point: no slope
    scale = SIGMA_BP * np.sqrt([1e-3, 4e-3])
    assert y == pytest.approx((-1.0 * scale[0] + 2.0 * scale[1]) / (scale @ scale))


def test_decay_ratio_is_a_ratio_of_sums() -> None:
    assert decay_ratio(np.array([2.0, 4.0, np.nan]), np.array([1.0, 3.0, 5.0])) == pytest.approx(4.0 / 6.0)
    assert np.isnan(decay_ratio(np.array([-1.0, 1.0]), np.array([0.5, 0.5])))


def test_bad_input_is_named() -> None:
    impact, traded = synthetic(0.5, 1.0, n_seeds=5, noise_bp=0.1)
    with pytest.raises(ValueError, match="kinds, seeds"):
        fit_square_root(impact[0], traded[0], DAILY_VOLUME, SIGMA_BP)
    with pytest.raises(ValueError, match="positive"):
        fit_square_root(impact, traded, 0.0, SIGMA_BP)
