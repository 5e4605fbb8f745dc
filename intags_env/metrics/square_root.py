"""The square-root law of metaorder impact, fitted: exponent, prefactor, decay.

Across markets and decades, the peak impact of a metaorder of ``Q`` shares executed over a fraction of
a day follows ``I ≈ Y sigma_D (Q / V_D)^β`` with ``β ≈ 0.5`` and ``Y`` of order one (sigma_D the daily
volatility, V_D the daily volume; Tóth et al. 2011, "Anomalous price impact and the critical nature of
liquidity in financial markets", Phys. Rev. X 1; Bouchaud, Bonart, Donier & Gould 2018, *Trades, Quotes
and Prices*, ch. 12), and after the metaorder ends about two thirds of the peak remain (Bucci et al.
2019, "Slow decay of impact in equity markets: insights from the ANcerno database").

:func:`fit_square_root` estimates β (log-log least squares of the mean impact of each metaorder kind on
its mean participation ``Q / V_D``) and Y (least squares with β fixed at 1/2), with percentile
bootstrap intervals that resample seeds: every metaorder of one seed shares that seed's market (common
random numbers), so the seed is the independent unit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["SquareRootFit", "decay_ratio", "fit_square_root", "square_root_fit_point"]


@dataclass(frozen=True)
class SquareRootFit:
    """β and Y with 95 % bootstrap intervals, from ``n_kinds`` metaorder kinds over ``n_seeds`` seeds."""

    beta: float
    beta_ci: tuple[float, float]
    y_factor: float
    y_ci: tuple[float, float]
    n_kinds: int
    n_seeds: int


def square_root_fit_point(
    impact_bps: np.ndarray, q_over_v: np.ndarray, sigma_bp: float
) -> tuple[float, float]:
    """(β, Y) of mean impacts ``impact_bps`` (one per metaorder kind, bp) at mean sizes ``q_over_v``
    (shares / daily volume) in a market of daily volatility ``sigma_bp``. Kinds whose mean impact is not
    positive have no logarithm: they count for Y, not for β (NaN if fewer than two kinds remain)."""
    impact_bps, q_over_v = np.asarray(impact_bps, float), np.asarray(q_over_v, float)
    keep = np.isfinite(impact_bps) & np.isfinite(q_over_v) & (q_over_v > 0)
    impact_bps, q_over_v = impact_bps[keep], q_over_v[keep]
    positive = impact_bps > 0
    beta = float("nan")
    if positive.sum() >= 2 and np.ptp(np.log(q_over_v[positive])) > 0:
        beta = float(stats.linregress(np.log(q_over_v[positive]), np.log(impact_bps[positive])).slope)
    scale = sigma_bp * np.sqrt(q_over_v)
    y = float(impact_bps @ scale / (scale @ scale)) if len(scale) else float("nan")
    return beta, y


def fit_square_root(
    impact_bps: np.ndarray,
    traded: np.ndarray,
    daily_volume: float,
    sigma_bp: float,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> SquareRootFit:
    """β and Y from per-seed impacts ``impact_bps`` and shares ``traded``, both (kinds, seeds): a kind is
    one metaorder recipe (e.g. POV at 10 %, buy), its mean impact and mean ``traded / daily_volume`` one
    point of the fit. NaN impacts (an undefined mid) and NaN runs (a market that broke down) are left out
    of their kind's means."""
    impact_bps, traded = np.asarray(impact_bps, float), np.asarray(traded, float)
    if impact_bps.shape != traded.shape or impact_bps.ndim != 2:
        raise ValueError(
            f"impact and traded must be (kinds, seeds) alike, got {impact_bps.shape}, {traded.shape}"
        )
    if not daily_volume > 0 or not sigma_bp > 0:
        raise ValueError(f"daily_volume and sigma_bp must be positive, got {daily_volume}, {sigma_bp}")
    n_kinds, n_seeds = impact_bps.shape

    def point(columns: np.ndarray) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a kind with no defined run: NaN, left out
            impact = np.nanmean(impact_bps[:, columns], axis=1)
            shares = np.nanmean(traded[:, columns], axis=1)
        return square_root_fit_point(impact, shares / daily_volume, sigma_bp)

    beta, y = point(np.arange(n_seeds))
    rng = np.random.default_rng(seed)
    draws = np.array([point(rng.integers(0, n_seeds, n_seeds)) for _ in range(n_boot)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no defined beta in any draw: a NaN interval
        beta_ci = tuple(float(v) for v in np.nanpercentile(draws[:, 0], [2.5, 97.5]))
        y_ci = tuple(float(v) for v in np.nanpercentile(draws[:, 1], [2.5, 97.5]))
    return SquareRootFit(beta, beta_ci, y, y_ci, n_kinds, n_seeds)


def decay_ratio(peak_bps: np.ndarray, later_bps: np.ndarray) -> float:
    """The share of the peak impact left later: ``sum(later) / sum(peak)`` over every metaorder and seed
    where both are defined (a ratio of sums: single small peaks do not blow it up)."""
    peak_bps, later_bps = np.asarray(peak_bps, float).ravel(), np.asarray(later_bps, float).ravel()
    both = np.isfinite(peak_bps) & np.isfinite(later_bps)
    total = peak_bps[both].sum()
    return float(later_bps[both].sum() / total) if total > 0 else float("nan")
