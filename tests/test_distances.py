"""Tests for intags_env.intags.distances (set-to-set distances between feedback vectors)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import gamma

from intags_env.intags.distances import (
    _random_directions,
    bootstrap_ci,
    energy_distance,
    median_heuristic,
    mmd2,
    mmd_witness,
    permutation_test,
    sliced_wasserstein,
    wasserstein1,
)


def _naive_kernel_means(x: np.ndarray, y: np.ndarray, h: float) -> tuple[float, float, float, float, float]:
    """Loop-based reference: (U_xx, U_yy, V_xx, V_yy, mean_xy) for a Gaussian kernel of bandwidth h."""

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return math.exp(-float(np.sum((a - b) ** 2)) / (2 * h * h))

    n, m = len(x), len(y)
    sxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n))
    syy = sum(k(y[i], y[j]) for i in range(m) for j in range(m))
    sxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    return (sxx - n) / (n * (n - 1)), (syy - m) / (m * (m - 1)), sxx / n**2, syy / m**2, sxy / (n * m)


def _population_mmd2(mu1, s1, mu2, s2, h, d):
    """Closed-form MMD^2 between N(mu1, s1^2 I) and N(mu2, s2^2 I) for a Gaussian kernel of bandwidth h.

    For Z ~ N(delta, v I) in R^d:
    E exp(-||Z||^2 / (2 h^2)) = (h^2/(h^2+v))^{d/2} exp(-||delta||^2/(2(h^2+v))).
    """
    h2 = h * h
    delta2 = float(np.sum((np.asarray(mu1) - np.asarray(mu2)) ** 2))
    kxx = (h2 / (h2 + 2 * s1**2)) ** (d / 2)
    kyy = (h2 / (h2 + 2 * s2**2)) ** (d / 2)
    v = s1**2 + s2**2
    kxy = (h2 / (h2 + v)) ** (d / 2) * math.exp(-delta2 / (2 * (h2 + v)))
    return kxx + kyy - 2 * kxy


# ------------------------------------------------------------------------------------------------ MMD


def test_mmd2_matches_naive_reference_biased_and_unbiased():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 3))
    y = rng.normal(0.5, 1.0, size=(7, 3))
    h = 1.3
    uxx, uyy, vxx, vyy, mxy = _naive_kernel_means(x, y, h)
    assert mmd2(x, y, bandwidth=h) == pytest.approx(uxx + uyy - 2 * mxy, rel=1e-12)
    assert mmd2(x, y, bandwidth=h, unbiased=False) == pytest.approx(vxx + vyy - 2 * mxy, rel=1e-12)


def test_biased_minus_unbiased_relation():
    # k(a, a) = 1, so V_xx = ((n-1)/n) U_xx + 1/n and biased - unbiased = (1 - U_xx)/n + (1 - U_yy)/m >= 0
    rng = np.random.default_rng(2)
    x = rng.normal(size=(11, 4))
    y = rng.normal(size=(6, 4))
    h = 0.9
    uxx, uyy, *_ = _naive_kernel_means(x, y, h)
    diff = mmd2(x, y, bandwidth=h, unbiased=False) - mmd2(x, y, bandwidth=h)
    assert diff == pytest.approx((1 - uxx) / 11 + (1 - uyy) / 6, rel=1e-10)
    assert diff > 0
    assert mmd2(x, y, bandwidth=h, unbiased=False) >= 0


def test_mmd2_near_zero_in_expectation_under_null_and_sign_varies():
    rng = np.random.default_rng(3)
    vals = np.array(
        [mmd2(rng.normal(size=(30, 5)), rng.normal(size=(30, 5)), bandwidth=2.0) for _ in range(200)]
    )
    assert (vals < 0).any() and (vals > 0).any()
    # unbiased: the mean is within 4 standard errors of 0
    assert abs(vals.mean()) < 4 * vals.std(ddof=1) / np.sqrt(len(vals))
    shifted = mmd2(rng.normal(size=(30, 5)), rng.normal(1.0, 1.0, size=(30, 5)), bandwidth=2.0)
    assert shifted > 10 * vals.std(ddof=1)


def test_unbiased_mmd2_mean_matches_gaussian_closed_form():
    d, n, m, h, reps = 3, 40, 50, 1.5, 300
    mu1, s1 = np.zeros(d), 1.0
    mu2, s2 = np.array([0.6, 0.0, -0.3]), 1.3
    truth = _population_mmd2(mu1, s1, mu2, s2, h, d)
    rng = np.random.default_rng(4)
    est = np.array(
        [
            mmd2(rng.normal(mu1, s1, size=(n, d)), rng.normal(mu2, s2, size=(m, d)), bandwidth=h)
            for _ in range(reps)
        ]
    )
    se = est.std(ddof=1) / np.sqrt(reps)
    # The U-statistic is unbiased, so by the CLT its mean over `reps` i.i.d. repeats is ~N(truth, se^2):
    # 4 standard errors bound a false failure at ~6e-5. The test is informative because se << truth.
    assert se < 0.1 * truth
    assert abs(est.mean() - truth) < 4 * se


def test_mixture_bandwidth_is_average_of_single_bandwidths():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(15, 3))
    y = rng.normal(0.3, 1.2, size=(12, 3))
    bws = [0.5, 1.0, 3.0]
    for unbiased in (True, False):
        single = np.mean([mmd2(x, y, bandwidth=s, unbiased=unbiased) for s in bws])
        assert mmd2(x, y, bandwidth=bws, unbiased=unbiased) == pytest.approx(single, rel=1e-12)
        assert mmd2(x, y, bandwidth=np.array(bws), unbiased=unbiased) == pytest.approx(single, rel=1e-12)
    # a one-element sequence is the single bandwidth
    assert mmd2(x, y, bandwidth=[1.0]) == pytest.approx(mmd2(x, y, bandwidth=1.0), rel=1e-14)


def test_median_heuristic_and_default_bandwidth():
    x = np.array([[0.0], [0.0], [1.0]])
    y = np.array([[3.0], [3.0]])
    # pooled distances without zeros: 1, 3, 3, 1 (from the two 0s to 1, 3); 3,3,3,3 (0s to 3s); 2, 2 (1 to 3s)
    pooled = np.vstack([x, y])
    d = np.abs(pooled - pooled.T)[np.triu_indices(5, 1)]
    assert median_heuristic(x, y) == pytest.approx(np.median(d[d > 0]))
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(10, 2)), rng.normal(size=(8, 2))
    assert mmd2(a, b) == pytest.approx(mmd2(a, b, bandwidth=median_heuristic(a, b)), rel=1e-14)
    with pytest.raises(ValueError, match="identical"):
        median_heuristic(np.ones((3, 2)), np.ones((2, 2)))


def test_witness_integrates_to_biased_mmd2():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20, 4))
    y = rng.normal(0.5, 1.0, size=(15, 4))
    for bw in (None, 1.7, [0.5, 2.0]):
        wx = mmd_witness(x, y, x, bandwidth=bw)
        wy = mmd_witness(x, y, y, bandwidth=bw)
        assert wx.shape == (20,) and wy.shape == (15,)
        assert wx.mean() - wy.mean() == pytest.approx(mmd2(x, y, bandwidth=bw, unbiased=False), rel=1e-12)
    # positive where x has more mass than y
    w = mmd_witness(x, y, np.array([[0.0] * 4, [0.5] * 4, [-2.0] * 4]), bandwidth=1.0)
    assert w[0] > 0 > w[1]
    # a single point is allowed
    assert mmd_witness(x, y, np.zeros((1, 4))).shape == (1,)


# ------------------------------------------------------------------------------------ energy / Wasserstein


def test_energy_distance_zero_for_identical_and_known_values():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(12, 3))
    assert energy_distance(x, x) == 0.0
    assert energy_distance(x, x[::-1]) == pytest.approx(0.0, abs=1e-12)
    # point masses at a and b: 2|a - b|
    a, b = np.array([1.0, 2.0]), np.array([4.0, 6.0])
    assert energy_distance(np.tile(a, (3, 1)), np.tile(b, (4, 1))) == pytest.approx(10.0)
    # 1-D: equals scipy.stats.energy_distance squared (= 2 * integral of (F - G)^2)
    u, v = rng.normal(size=25), rng.exponential(size=30)
    assert energy_distance(u, v) == pytest.approx(stats.energy_distance(u, v) ** 2, rel=1e-10)
    assert energy_distance(x, x + 1.0) > 0


def test_wasserstein1_point_masses_and_shift():
    x = np.zeros((5, 3))
    y = np.tile([1.0, -2.0, 0.5], (4, 1))
    np.testing.assert_allclose(wasserstein1(x, y), [1.0, 2.0, 0.5])
    rng = np.random.default_rng(9)
    z = rng.normal(size=(20, 3))
    shift = np.array([0.7, -1.5, 0.0])
    np.testing.assert_allclose(wasserstein1(z, z + shift), np.abs(shift), atol=1e-12)
    np.testing.assert_allclose(wasserstein1(z, z), 0.0, atol=0)
    assert wasserstein1(z[:, 0], z[:, 0] + 2).shape == (1,)


def test_sliced_wasserstein_pure_shift():
    rng = np.random.default_rng(10)
    d, c, n_proj = 3, 2.0, 2000
    x = rng.normal(size=(25, d))
    y = x + c * np.eye(d)[0]
    sw = sliced_wasserstein(x, y, n_projections=n_proj, seed=3)
    # exact: each projection is a pure shift by c * theta_1
    theta = _random_directions(d, n_proj, 3)
    assert sw == pytest.approx(c * np.abs(theta[:, 0]).mean(), rel=1e-10)
    # population: E|theta_1| on the sphere of R^d = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)) (= 1/2 for d=3);
    # Monte Carlo se = c * sd(|theta_1|) / sqrt(n_proj) ~ 0.013 here, 4 se tolerance
    expected = c * gamma(d / 2) / (math.sqrt(math.pi) * gamma((d + 1) / 2))
    assert abs(sw - expected) < 4 * c * np.abs(theta[:, 0]).std() / math.sqrt(n_proj)
    assert sliced_wasserstein(x, x) == pytest.approx(0.0, abs=1e-12)
    # 1-D: exact W1
    assert sliced_wasserstein(x[:, 0], y[:, 0], n_projections=5) == pytest.approx(c)
    assert sliced_wasserstein(x, y, seed=1) == sliced_wasserstein(x, y, seed=1)


# ----------------------------------------------------------------------------------------------- inference


def test_permutation_pvalues_uniform_under_null():
    rng = np.random.default_rng(11)
    n_perm = 100
    pvals = np.array(
        [
            permutation_test(
                rng.normal(size=(12, 3)), rng.normal(size=(12, 3)), n_permutations=n_perm, seed=i
            )[1]
            for i in range(100)
        ]
    )
    assert np.all((pvals >= 1 / (1 + n_perm)) & (pvals <= 1.0))
    assert np.mean(pvals < 0.05) <= 0.12
    assert stats.kstest(pvals, "uniform").pvalue > 0.01


def test_permutation_small_p_under_alternative_and_formula():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(25, 4))
    y = rng.normal(1.0, 1.0, size=(25, 4))
    obs, p = permutation_test(x, y, n_permutations=200)
    assert obs == pytest.approx(mmd2(x, y))  # bandwidth fixed from the pooled data = median heuristic
    assert p == pytest.approx(1 / 201)  # nothing beats the observed split
    obs_e, p_e = permutation_test(x, y, statistic=energy_distance, n_permutations=200)
    assert obs_e == pytest.approx(energy_distance(x, y)) and p_e < 0.01


def test_permutation_generic_statistic_and_fixed_bandwidth():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(10, 2))
    y = rng.normal(0.2, 1.0, size=(10, 2))
    seen: list[object] = []

    def stat(a, b, bandwidth=None):
        seen.append(bandwidth)
        return mmd2(a, b, bandwidth=bandwidth)

    obs, p = permutation_test(x, y, statistic=stat, n_permutations=30, seed=5)
    # every call received the same, pre-resolved bandwidth (never None -> never re-estimated)
    assert len(seen) == 31 and all(s == seen[0] for s in seen) and seen[0] is not None
    assert seen[0] == pytest.approx((median_heuristic(x, y),))
    # the generic path and the fast kernel path agree exactly
    assert (obs, p) == pytest.approx(permutation_test(x, y, n_permutations=30, seed=5))
    # a statistic without a bandwidth parameter
    obs2, p2 = permutation_test(
        x, y, statistic=lambda a, b: float(np.abs(a.mean() - b.mean())), n_permutations=50
    )
    assert 0 < p2 <= 1 and obs2 >= 0
    with pytest.raises(ValueError, match="bandwidth"):
        permutation_test(x, y, statistic=lambda a, b: 0.0, bandwidth=1.0)


def test_bootstrap_ci_contains_estimate():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(40, 3))
    y = rng.normal(1.0, 1.0, size=(40, 3))
    est = mmd2(x, y)
    low, high = bootstrap_ci(x, y, n_boot=300)
    assert low < est < high
    assert bootstrap_ci(x, y, n_boot=300) == (low, high)  # reproducible
    low50, high50 = bootstrap_ci(x, y, n_boot=300, level=0.5)
    assert low <= low50 <= high50 <= high
    e = energy_distance(x, y)
    le, he = bootstrap_ci(x, y, statistic=energy_distance, n_boot=200)
    assert le < e < he
    # generic path (partial-like statistic) agrees with the fast path
    lg, hg = bootstrap_ci(
        x, y, statistic=lambda a, b, bandwidth=None: mmd2(a, b, bandwidth=bandwidth), n_boot=50
    )
    assert (lg, hg) == pytest.approx(bootstrap_ci(x, y, n_boot=50))


# ---------------------------------------------------------------------------------------------- validation


def test_one_dimensional_input_is_n_scalar_samples():
    u = np.array([0.0, 1.0, 2.0])
    v = np.array([0.5, 1.5, 2.5, 3.0])
    assert mmd2(u, v, bandwidth=1.0) == pytest.approx(mmd2(u[:, None], v[:, None], bandwidth=1.0))
    assert energy_distance(u, v) == pytest.approx(energy_distance(u[:, None], v[:, None]))


ALL_PAIR_FUNCS = [
    lambda x, y: mmd2(x, y),
    lambda x, y: median_heuristic(x, y),
    lambda x, y: mmd_witness(x, y, np.zeros((1, 2))),
    energy_distance,
    wasserstein1,
    sliced_wasserstein,
    lambda x, y: permutation_test(x, y, n_permutations=5),
    lambda x, y: bootstrap_ci(x, y, n_boot=5),
]


@pytest.mark.parametrize("func", ALL_PAIR_FUNCS)
@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((1, 2)), np.ones((3, 2)), "x needs at least 2 samples"),
        (np.zeros((3, 2)), np.ones((1, 2)), "y needs at least 2 samples"),
        (np.array([[0.0, np.nan], [1.0, 1.0]]), np.ones((3, 2)), "NaN or inf"),
        (np.zeros((3, 2)), np.array([[0.0, np.inf], [1.0, 1.0]]), "NaN or inf"),
        (np.zeros((3, 2)), np.ones((3, 3)), "dimension mismatch"),
        (np.zeros((3, 2, 1)), np.ones((3, 2)), "dimensions"),
        (np.zeros((3, 0)), np.ones((3, 0)), "at least one feature"),
        ([["a", "b"], ["c", "d"]], np.ones((3, 2)), "numeric"),
    ],
)
def test_input_errors(func, x, y, match):
    with pytest.raises(ValueError, match=match):
        func(x, y)


@pytest.mark.parametrize("bw", [0.0, -1.0, np.inf, np.nan, [], [1.0, -2.0], [[1.0]], "1.0", True, [1.0, "a"]])
def test_bad_bandwidth(bw):
    x, y = np.zeros((3, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2(x, y, bandwidth=bw)
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_witness(x, y, x, bandwidth=bw)
    with pytest.raises(ValueError, match="bandwidth"):
        permutation_test(x, y, n_permutations=5, bandwidth=bw)


def test_other_argument_errors():
    x, y = np.zeros((3, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match="points"):
        mmd_witness(x, y, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="points needs at least 1"):
        mmd_witness(x, y, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="points contains NaN"):
        mmd_witness(x, y, np.full((1, 2), np.nan))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n_permutations"):
            permutation_test(x, y, n_permutations=bad)
        with pytest.raises(ValueError, match="n_boot"):
            bootstrap_ci(x, y, n_boot=bad)
        with pytest.raises(ValueError, match="n_projections"):
            sliced_wasserstein(x, y, n_projections=bad)
    for bad in (0.0, 1.0, 1.5, -0.1, "0.9"):
        with pytest.raises(ValueError, match="level"):
            bootstrap_ci(x, y, n_boot=5, level=bad)
    with pytest.raises(ValueError, match="callable"):
        permutation_test(x, y, statistic="mmd")
