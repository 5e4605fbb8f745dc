"""Distances between two sets of feature vectors (real vs simulated market feedback).

INTAGS compares a real and a simulated market through sets of per-episode "feedback" vectors
``f(T) in R^H`` (``H`` ~ 5-20, typically 20-200 vectors per side). This module provides the set-to-set
distances and the inference around them, all vectorised with numpy (scipy where it has the tool):

- :func:`mmd2` -- squared Maximum Mean Discrepancy with a Gaussian kernel (single bandwidth, median
  heuristic, or a mixture of bandwidths), unbiased U-statistic or biased V-statistic;
- :func:`median_heuristic` -- the default bandwidth;
- :func:`mmd_witness` -- the empirical witness function, used to split a set-level MMD into per-episode
  rewards;
- :func:`energy_distance` -- the multivariate energy distance;
- :func:`wasserstein1` (per dimension) and :func:`sliced_wasserstein`;
- :func:`permutation_test` and :func:`bootstrap_ci`.

Input conventions (checked by every public function, violations raise :class:`ValueError` naming the
problem):

- a sample set is an array-like of shape ``(n, d)``: ``n`` vectors in ``R^d``. A **1-D array of length n is
  accepted and read as n scalar samples**, i.e. shape ``(n, 1)`` (convenient for one feature at a time);
  arrays of any other dimensionality are rejected;
- each set needs at least 2 samples (U-statistics and pairwise terms need pairs), ``d >= 1``;
- all values must be finite (no NaN or inf);
- both sets must have the same dimension ``d``.

Bandwidths: ``None`` (median heuristic on the pooled sample), a positive finite float, or a non-empty
sequence of positive finite floats (a mixture: the kernel is the average of the Gaussian kernels, hence
the MMD^2 is the average of the single-bandwidth MMD^2 values).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import cdist, pdist
from scipy.stats import wasserstein_distance

__all__ = [
    "Bandwidth",
    "bootstrap_ci",
    "energy_distance",
    "median_heuristic",
    "mmd2",
    "mmd_witness",
    "permutation_test",
    "sliced_wasserstein",
    "wasserstein1",
]

Bandwidth = float | Sequence[float] | np.ndarray | None
Statistic = Callable[..., float]
SeedLike = int | np.random.Generator | None


# ----------------------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------------------


def _as_samples(a: object, name: str, min_samples: int = 2) -> np.ndarray:
    """Return ``a`` as a finite float array of shape ``(n, d)`` (1-D input is read as ``(n, 1)``)."""
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array of shape (n, d), got {type(a).__name__}") from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got an array with {arr.ndim} dimensions")
    n, d = arr.shape
    if d < 1:
        raise ValueError(f"{name} must have at least one feature (d >= 1), got shape {arr.shape}")
    if n < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples, got {n}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf values")
    return arr


def _as_pair(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate two sample sets and check they live in the same dimension."""
    xa = _as_samples(x, "x")
    ya = _as_samples(y, "y")
    if xa.shape[1] != ya.shape[1]:
        raise ValueError(f"dimension mismatch: x has d={xa.shape[1]} features, y has d={ya.shape[1]}")
    return xa, ya


def _check_bandwidth(bandwidth: Bandwidth) -> tuple[float, ...] | None:
    """Return ``None`` or a non-empty tuple of positive finite bandwidths; raise ValueError otherwise."""
    if bandwidth is None:
        return None
    if isinstance(bandwidth, (str, bytes, bool, np.bool_)):
        raise ValueError(f"bandwidth must be None, a positive float or a sequence of them, got {bandwidth!r}")
    if isinstance(bandwidth, Real):
        values = [float(bandwidth)]
    else:
        try:
            arr = np.asarray(bandwidth, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bandwidth must be numeric, got {bandwidth!r}") from exc
        if arr.ndim > 1:
            raise ValueError(f"bandwidth sequence must be 1-D, got shape {arr.shape}")
        values = [float(v) for v in arr.ravel()]
        if not values:
            raise ValueError("bandwidth sequence is empty")
    for v in values:
        if not np.isfinite(v) or v <= 0.0:
            raise ValueError(f"bandwidth must be positive and finite, got {v}")
    return tuple(values)


def _resolve_bandwidth(bandwidth: Bandwidth, x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    """Validated bandwidths, the median heuristic on the pooled sample when ``bandwidth`` is None."""
    bws = _check_bandwidth(bandwidth)
    if bws is None:
        return (_median_heuristic(x, y),)
    return bws


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------------------------
# kernels and MMD
# ----------------------------------------------------------------------------------------------------------


def _gaussian_kernel(sq_dists: np.ndarray, bandwidths: tuple[float, ...]) -> np.ndarray:
    """Average over ``bandwidths`` of ``exp(-d^2 / (2 s^2))`` applied to squared distances."""
    out = np.zeros_like(sq_dists)
    for s in bandwidths:
        out += np.exp(-sq_dists / (2.0 * s * s))
    return out / len(bandwidths)


def _median_heuristic(x: np.ndarray, y: np.ndarray) -> float:
    d = pdist(np.vstack([x, y]), metric="euclidean")
    d = d[d > 0.0]
    if d.size == 0:
        raise ValueError("median heuristic undefined: all pooled samples are identical; pass a bandwidth")
    return float(np.median(d))


def median_heuristic(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise Euclidean distances over the pooled sample ``x U y`` (zeros excluded).

    The standard default Gaussian-kernel bandwidth: it puts the kernel's length scale at the typical
    distance between points, so the kernel neither saturates (all ~0) nor is flat (all ~1). Zero distances
    (duplicated points) are excluded so that repeated episodes do not collapse the scale; if every
    distance is zero a ValueError is raised.
    """
    xa, ya = _as_pair(x, y)
    return _median_heuristic(xa, ya)


def _mmd2_from_kernel(k: np.ndarray, ix: np.ndarray, iy: np.ndarray, unbiased: bool) -> float:
    """MMD^2 of the samples indexed by ``ix`` and ``iy`` in the pooled kernel matrix ``k``.

    With ``unbiased`` the diagonal *positions* of the within-set blocks are excluded (identical to calling
    :func:`mmd2` on the indexed arrays, also when an index is repeated as in a bootstrap resample).
    """
    n, m = len(ix), len(iy)
    kxx = k[np.ix_(ix, ix)]
    kyy = k[np.ix_(iy, iy)]
    kxy = k[np.ix_(ix, iy)]
    if unbiased:
        txx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        tyy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    else:
        txx = kxx.mean()
        tyy = kyy.mean()
    return float(txx + tyy - 2.0 * kxy.mean())


def mmd2(x: np.ndarray, y: np.ndarray, *, bandwidth: Bandwidth = None, unbiased: bool = True) -> float:
    """Squared Maximum Mean Discrepancy between the sample sets ``x`` (n, d) and ``y`` (m, d).

    Gaussian kernel ``k(a, b) = exp(-||a - b||^2 / (2 s^2))``; ``bandwidth=None`` uses
    :func:`median_heuristic` on the pooled sample, a sequence uses the mixture kernel (average of the
    kernels, so the result is the average of the single-bandwidth MMD^2 values).

    MMD^2 = E k(X, X') + E k(Y, Y') - 2 E k(X, Y) is zero iff the two distributions are equal (the Gaussian
    kernel is characteristic), which makes it a natural "is the simulator the real market?" distance.

    ``unbiased=True`` returns the U-statistic: the within-set means exclude the diagonal ``k(x_i, x_i)``
    terms, so the estimate is unbiased for the population MMD^2 and can be **negative** when the
    distributions are (nearly) equal. ``unbiased=False`` returns the V-statistic (all terms, always
    >= 0, biased upwards by about ``(1 - E k(X,X'))/n + (1 - E k(Y,Y'))/m``).
    """
    xa, ya = _as_pair(x, y)
    bws = _resolve_bandwidth(bandwidth, xa, ya)
    kxx = _gaussian_kernel(cdist(xa, xa, "sqeuclidean"), bws)
    kyy = _gaussian_kernel(cdist(ya, ya, "sqeuclidean"), bws)
    kxy = _gaussian_kernel(cdist(xa, ya, "sqeuclidean"), bws)
    n, m = len(xa), len(ya)
    if unbiased:
        txx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        tyy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    else:
        txx = kxx.mean()
        tyy = kyy.mean()
    return float(txx + tyy - 2.0 * kxy.mean())


def mmd_witness(x: np.ndarray, y: np.ndarray, points: np.ndarray, bandwidth: Bandwidth = None) -> np.ndarray:
    """Empirical MMD witness function ``w(p) = mean_i k(x_i, p) - mean_j k(y_j, p)`` at each of ``points``.

    ``w`` is (up to normalisation) the function that best separates the two distributions; it is positive
    where ``x`` has more mass than ``y``. Averaging it gives back the (biased) MMD^2 exactly:
    ``mean_i w(x_i) - mean_j w(y_j) == mmd2(x, y, bandwidth=..., unbiased=False)``, which is how a set-level
    MMD is split into per-episode contributions (rewards). ``points`` has shape (p, d) (1-D = (p, 1)); at
    least one point is needed. ``bandwidth=None`` is the median heuristic on ``x U y`` (not on ``points``).
    Returns an array of shape (p,).
    """
    xa, ya = _as_pair(x, y)
    pa = _as_samples(points, "points", min_samples=1)
    if pa.shape[1] != xa.shape[1]:
        raise ValueError(
            f"dimension mismatch: points have d={pa.shape[1]} features, x and y have {xa.shape[1]}"
        )
    bws = _resolve_bandwidth(bandwidth, xa, ya)
    kx = _gaussian_kernel(cdist(xa, pa, "sqeuclidean"), bws)
    ky = _gaussian_kernel(cdist(ya, pa, "sqeuclidean"), bws)
    return kx.mean(axis=0) - ky.mean(axis=0)


# ----------------------------------------------------------------------------------------------------------
# energy distance and Wasserstein
# ----------------------------------------------------------------------------------------------------------


def _energy_from_dists(d: np.ndarray, ix: np.ndarray, iy: np.ndarray) -> float:
    return float(2.0 * d[np.ix_(ix, iy)].mean() - d[np.ix_(ix, ix)].mean() - d[np.ix_(iy, iy)].mean())


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Multivariate energy distance ``2 E||X - Y|| - E||X - X'|| - E||Y - Y'||`` (Szekely-Rizzo).

    Computed as the V-statistic (plain means over all pairs, the zero diagonal included) from
    ``scipy.spatial.distance.cdist``; this is the energy distance between the two empirical distributions,
    hence always >= 0 and exactly 0 for identical sample sets. It needs no bandwidth. In 1-D it equals
    ``2 * integral (F_x - F_y)^2``, i.e. ``scipy.stats.energy_distance(x, y) ** 2``.
    """
    xa, ya = _as_pair(x, y)
    dxy = cdist(xa, ya).mean()
    dxx = cdist(xa, xa).mean()
    dyy = cdist(ya, ya).mean()
    return float(max(2.0 * dxy - dxx - dyy, 0.0))


def wasserstein1(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-dimension 1-Wasserstein distances between the marginals of ``x`` and ``y``; shape (d,).

    Each entry is ``scipy.stats.wasserstein_distance`` of one feature column: interpretable, in the
    feature's units, but blind to dependence between features (see :func:`sliced_wasserstein`).
    """
    xa, ya = _as_pair(x, y)
    return np.array([wasserstein_distance(xa[:, j], ya[:, j]) for j in range(xa.shape[1])])


def _random_directions(d: int, n_projections: int, seed: SeedLike) -> np.ndarray:
    """``n_projections`` directions drawn uniformly on the unit sphere of R^d; shape (n_projections, d)."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n_projections, d))
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0  # probability zero; avoids a division by zero
    return g / norms


def sliced_wasserstein(x: np.ndarray, y: np.ndarray, n_projections: int = 128, seed: SeedLike = 0) -> float:
    """Sliced 1-Wasserstein distance: mean over random unit directions ``theta`` of ``W1(x.theta, y.theta)``.

    Directions are uniform on the unit sphere (normalised Gaussians drawn with
    ``numpy.random.default_rng(seed)``), so the value is reproducible for a fixed seed. Unlike
    :func:`wasserstein1` it sees dependence between features, at the cost of Monte Carlo noise of order
    ``1/sqrt(n_projections)``. In 1-D every direction is +-1 and it equals the exact W1.
    """
    xa, ya = _as_pair(x, y)
    n_projections = _check_positive_int(n_projections, "n_projections")
    theta = _random_directions(xa.shape[1], n_projections, seed)
    px = xa @ theta.T
    py = ya @ theta.T
    return float(np.mean([wasserstein_distance(px[:, k], py[:, k]) for k in range(n_projections)]))


# ----------------------------------------------------------------------------------------------------------
# inference
# ----------------------------------------------------------------------------------------------------------


def _accepts_bandwidth(statistic: Statistic) -> bool:
    try:
        params = inspect.signature(statistic).parameters
    except (TypeError, ValueError):
        return False
    return "bandwidth" in params


def _prepare_statistic(
    statistic: Statistic, x: np.ndarray, y: np.ndarray, bandwidth: Bandwidth
) -> tuple[Callable[[np.ndarray, np.ndarray], float], Callable[[np.ndarray, np.ndarray], float] | None]:
    """Return ``(call(xs, ys), fast(ix, iy) or None)`` with the bandwidth fixed once from the pooled data.

    ``fast`` works on indices into the pooled sample ``vstack([x, y])`` using a precomputed kernel or
    distance matrix; it exists for :func:`mmd2` (default ``unbiased=True``) and :func:`energy_distance`.
    """
    if not callable(statistic):
        raise ValueError(f"statistic must be callable, got {statistic!r}")
    pooled = np.vstack([x, y])
    if statistic is mmd2:
        bws = _resolve_bandwidth(bandwidth, x, y)
        k = _gaussian_kernel(cdist(pooled, pooled, "sqeuclidean"), bws)

        def call(xs: np.ndarray, ys: np.ndarray) -> float:
            return mmd2(xs, ys, bandwidth=bws)

        return call, lambda ix, iy: _mmd2_from_kernel(k, ix, iy, unbiased=True)
    if statistic is energy_distance:
        d = cdist(pooled, pooled)
        return energy_distance, lambda ix, iy: max(_energy_from_dists(d, ix, iy), 0.0)
    if _accepts_bandwidth(statistic):
        bws = _resolve_bandwidth(bandwidth, x, y)

        def call_bw(xs: np.ndarray, ys: np.ndarray) -> float:
            return float(statistic(xs, ys, bandwidth=bws))

        return call_bw, None
    if bandwidth is not None:
        raise ValueError("bandwidth was given but the statistic has no 'bandwidth' parameter")

    def call_plain(xs: np.ndarray, ys: np.ndarray) -> float:
        return float(statistic(xs, ys))

    return call_plain, None


def permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    statistic: Statistic = mmd2,
    n_permutations: int = 500,
    seed: SeedLike = 0,
    *,
    bandwidth: Bandwidth = None,
) -> tuple[float, float]:
    """Two-sample permutation test of ``H0: x and y come from the same distribution``.

    Returns ``(observed, p_value)`` with ``observed = statistic(x, y)`` and
    ``p = (1 + #{permuted statistics >= observed}) / (1 + n_permutations)``, where each permutation
    randomly re-splits the pooled sample into sets of the original sizes (``numpy.random.default_rng(seed)``).
    The "+1" counts the observed split itself, so p is never 0 and the test is exact (valid at any level)
    under exchangeability. Permuted values within ``1e-12`` (relative) of ``observed`` count as ties
    (>=), so float round-off cannot make p anti-conservative.

    Bandwidth: if ``statistic`` has a ``bandwidth`` parameter (e.g. :func:`mmd2`), the bandwidth is fixed
    **once** from the pooled data (median heuristic when ``bandwidth=None``) and reused for every
    permutation, so every permuted statistic is the same function of the data as the observed one. The
    statistic must otherwise be a function ``statistic(x, y) -> float`` larger for more different sets.
    For :func:`mmd2` and :func:`energy_distance` the pooled kernel/distance matrix is computed once and the
    permutations only re-index it.
    """
    xa, ya = _as_pair(x, y)
    n_permutations = _check_positive_int(n_permutations, "n_permutations")
    call, fast = _prepare_statistic(statistic, xa, ya, bandwidth)
    observed = call(xa, ya)
    n, m = len(xa), len(ya)
    pooled = np.vstack([xa, ya])
    rng = np.random.default_rng(seed)
    perm_stats = np.empty(n_permutations)
    for b in range(n_permutations):
        idx = rng.permutation(n + m)
        ix, iy = idx[:n], idx[n:]
        perm_stats[b] = fast(ix, iy) if fast is not None else call(pooled[ix], pooled[iy])
    tol = 1e-12 * max(1.0, abs(observed))
    count = int(np.sum(perm_stats >= observed - tol))
    return float(observed), (1.0 + count) / (1.0 + n_permutations)


def bootstrap_ci(
    x: np.ndarray,
    y: np.ndarray,
    statistic: Statistic = mmd2,
    n_boot: int = 500,
    level: float = 0.95,
    seed: SeedLike = 0,
    *,
    bandwidth: Bandwidth = None,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval ``(low, high)`` for ``statistic(x, y)``.

    Each replicate resamples ``x`` and ``y`` independently with replacement (keeping their sizes) and
    recomputes the statistic; the interval is the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the
    ``n_boot`` replicates. As in :func:`permutation_test`, a ``bandwidth`` is fixed once from the original
    pooled data (the median heuristic of a resample would shrink because of duplicated points).

    Caveat: near the null (equal distributions) MMD^2 and the energy distance are degenerate statistics
    and duplicated points in a resample bias them upwards, so the percentile interval is then unreliable;
    use :func:`permutation_test` to *test* equality and this interval to gauge the size of a clear gap.
    """
    xa, ya = _as_pair(x, y)
    n_boot = _check_positive_int(n_boot, "n_boot")
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, Real) or not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    call, fast = _prepare_statistic(statistic, xa, ya, bandwidth)
    n, m = len(xa), len(ya)
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for b in range(n_boot):
        ix = rng.integers(0, n, size=n)
        iy = rng.integers(0, m, size=m)
        stats[b] = fast(ix, n + iy) if fast is not None else call(xa[ix], ya[iy])
    alpha = (1.0 - float(level)) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)
