"""Tests of the INTAGS causal-effect feedback (intags_env.intags.feedback)."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.intags.feedback import (
    estimate_propensity,
    feedback,
    ipw_effect,
    naive_effect,
    outcomes_from_path,
)

# Synthetic model with a known effect and strong confounding:
#   s_t ~ N(0, 1),  P(a_t = 1 | s_t) = sigmoid(ALPHA + BETA s_t),
#   y_{t,h} = GAMMA_h s_t + TAU_h a_t + N(0, 1)
# so the true average effect of the action at horizon h is TAU_h, and s pushes both the
# action and the outcome in the same direction (naive comparison biased upward by
# GAMMA_h * (E[s | a=1] - E[s | a=0]) ~ 1.2 GAMMA_h).
TAU = np.array([0.5, 1.0, -0.3])
GAMMA = np.array([1.0, 2.0, 3.0])
ALPHA, BETA = 0.0, 2.0
T, REPS = 1000, 200


def _simulate(rng: np.random.Generator, t: int = T):
    s = rng.standard_normal(t)
    e = 1.0 / (1.0 + np.exp(-(ALPHA + BETA * s)))
    a = (rng.random(t) < e).astype(np.int64)
    y = s[:, None] * GAMMA + a[:, None] * TAU + rng.standard_normal((t, TAU.size))
    return s, e, a, y


@pytest.fixture(scope="module")
def monte_carlo() -> dict[str, np.ndarray]:
    """REPS independent trajectories, each estimator applied to each.

    clip=0: with the true propensities plain IPW is then exactly unbiased; any clipping would
    add a (small, here ~0.03) bias where BETA = 2 pushes propensities below 1 %, which the
    200-repetition test would be able to see.
    """
    rng = np.random.default_rng(20240601)
    out: dict[str, list[np.ndarray]] = {"ipw": [], "hajek": [], "naive": [], "est": []}
    for _ in range(REPS):
        s, e, a, y = _simulate(rng)
        out["ipw"].append(ipw_effect(a, y, e, clip=0.0))
        out["hajek"].append(ipw_effect(a, y, e, clip=0.0, stabilized=True))
        out["naive"].append(naive_effect(a, y))
        out["est"].append(feedback(a, y, confounders=s, clip=0.0))
    return {k: np.array(v) for k, v in out.items()}


def _mean_and_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])


# --------------------------------------------------------------------------------------------
# statistical behaviour under confounding
# --------------------------------------------------------------------------------------------


def test_ipw_known_propensity_is_unbiased(monte_carlo):
    m, se = _mean_and_se(monte_carlo["ipw"])
    assert np.all(np.abs(m - TAU) < 3 * se), (m, se)


def test_naive_difference_in_means_is_biased(monte_carlo):
    m, se = _mean_and_se(monte_carlo["naive"])
    assert np.all(np.abs(m - TAU) > 5 * se), (m, se)
    # and the bias has the sign and rough size the confounding predicts: ~1.2 * GAMMA
    assert np.all(m - TAU > 0.5 * GAMMA)


def test_estimated_propensity_agrees_with_known(monte_carlo):
    known, est = monte_carlo["ipw"], monte_carlo["est"]
    m, se = _mean_and_se(est)
    assert np.all(np.abs(m - TAU) < 3 * se), (m, se)
    # Trajectory by trajectory the two estimates differ only through the sampling error of the
    # fitted propensity, so their disagreement must be smaller than the sampling noise of the
    # known-propensity estimate itself (observed ratio 0.5-0.77 over six seeds), ...
    sd_known = known.std(axis=0, ddof=1)
    assert np.all((est - known).std(axis=0, ddof=1) < sd_known)
    # ... also in the typical case, robust to the heavy tails of IPW (observed 0.43-0.6).
    # Hirano, Imbens & Ridder (2003): the estimated propensity is asymptotically no less efficient;
    # at T = 1000 with near-extreme weights the SDs are comparable, so that is not asserted here.
    typical_gap = np.median(np.abs(est - known), axis=0)
    assert np.all(typical_gap < 0.75 * np.median(np.abs(known - TAU), axis=0))


def test_stabilized_is_close_and_not_noisier(monte_carlo):
    m, se = _mean_and_se(monte_carlo["hajek"])
    # Hajek's bias is O(1/T) = O(1e-3), far below the Monte-Carlo standard error
    assert np.all(np.abs(m - TAU) < 3 * se), (m, se)
    assert np.all(monte_carlo["hajek"].std(axis=0) < 1.1 * monte_carlo["ipw"].std(axis=0))


def test_stabilized_invariant_to_outcome_shift_plain_is_not():
    rng = np.random.default_rng(1)
    _, e, a, y = _simulate(rng, 500)
    h0 = ipw_effect(a, y, e, stabilized=True)
    np.testing.assert_allclose(ipw_effect(a, y + 100.0, e, stabilized=True), h0, atol=1e-9)
    assert np.all(np.abs(ipw_effect(a, y + 100.0, e) - ipw_effect(a, y, e)) > 1e-3)


def test_estimate_propensity_recovers_logistic_model():
    rng = np.random.default_rng(2)
    s, e, a, _ = _simulate(rng, 20_000)
    eh = estimate_propensity(s, a, clip=0.0)
    assert eh.shape == (20_000,)
    assert np.all((eh > 0) & (eh < 1))
    # logistic model is correctly specified: fitted probabilities track the truth closely
    assert np.max(np.abs(eh - e)) < 0.05
    # clipping applied to the estimate
    ec = estimate_propensity(np.column_stack([s, rng.standard_normal(20_000)]), a, clip=0.1)
    assert ec.min() >= 0.1 and ec.max() <= 0.9


# --------------------------------------------------------------------------------------------
# algebra
# --------------------------------------------------------------------------------------------


def test_constant_propensity_reduces_to_known_form():
    rng = np.random.default_rng(3)
    t, p = 301, 0.3
    a = (rng.random(t) < p).astype(int)
    y = rng.standard_normal((t, 2)) + 1.0
    got = ipw_effect(a, y, np.full(t, p))
    buy, sell = a == 1, a == 0
    expected = y[buy].sum(axis=0) / (t * p) - y[sell].sum(axis=0) / (t * (1 - p))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # the Hajek estimator with a constant propensity is the difference in means, always
    np.testing.assert_allclose(ipw_effect(a, y, np.full(t, p), stabilized=True), naive_effect(a, y))


def test_randomised_balanced_trial_equals_difference_in_means():
    rng = np.random.default_rng(4)
    a = rng.permutation(np.repeat([0, 1], 50))
    y = rng.standard_normal((100, 3))
    np.testing.assert_allclose(ipw_effect(a, y, np.full(100, 0.5)), naive_effect(a, y), rtol=1e-12)


def test_hand_computed_small_case():
    a = np.array([1, 0, 1, 0])
    e = np.array([0.5, 0.25, 0.8, 0.5])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    expected = (1 / 0.5 - 2 / 0.75 + 3 / 0.8 - 4 / 0.5) / 4
    np.testing.assert_allclose(ipw_effect(a, y, e), [expected])
    hajek = (1 / 0.5 + 3 / 0.8) / (1 / 0.5 + 1 / 0.8) - (2 / 0.75 + 4 / 0.5) / (1 / 0.75 + 1 / 0.5)
    np.testing.assert_allclose(ipw_effect(a, y, e, stabilized=True), [hajek])
    np.testing.assert_allclose(naive_effect(a, y), [2.0 - 3.0])
    np.testing.assert_allclose(feedback(a, y, propensities=e), [expected])


def test_clipping_bounds_weights():
    a = np.array([1, 0, 1, 0])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    extreme = np.array([1e-6, 0.5, 0.5, 1 - 1e-6])
    clipped = np.array([0.01, 0.5, 0.5, 0.99])
    np.testing.assert_allclose(ipw_effect(a, y, extreme), ipw_effect(a, y, clipped, clip=0.0))
    assert abs(ipw_effect(a, y, extreme, clip=0.0)[0]) > 1e5


def test_nan_outcomes_left_out_per_horizon():
    rng = np.random.default_rng(5)
    t = 40
    a = np.tile([0, 1], t // 2)
    e = rng.uniform(0.2, 0.8, t)
    y = rng.standard_normal((t, 3))
    y[-1:, 1] = np.nan
    y[-2:, 2] = np.nan
    got = ipw_effect(a, y, e)
    for h, n in enumerate([t, t - 1, t - 2]):
        ah, eh, yh = a[:n], e[:n], y[:n, h]
        manual = np.mean(ah * yh / eh - (1 - ah) * yh / (1 - eh))
        assert got[h] == pytest.approx(manual, rel=1e-12)
    assert np.all(np.isfinite(ipw_effect(a, y, e, stabilized=True)))
    assert np.all(np.isfinite(naive_effect(a, y)))
    # a horizon with no valid outcome at all is NaN, the others unaffected
    y[:, 0] = np.nan
    out = ipw_effect(a, y, e)
    assert np.isnan(out[0]) and np.all(np.isfinite(out[1:]))


def test_one_dimensional_outcome_is_one_horizon():
    a = np.array([0, 1, 0, 1])
    y = np.array([1.0, 2.0, 3.0, 5.0])
    out = ipw_effect(a, y, np.full(4, 0.5))
    assert out.shape == (1,)
    assert out[0] == pytest.approx(1.5)


# --------------------------------------------------------------------------------------------
# outcomes_from_path
# --------------------------------------------------------------------------------------------


def test_outcomes_from_path_log_return_and_nan_tail():
    v = np.array([100.0, 101.0, 99.0, 102.0, 103.0])
    y = outcomes_from_path(v, np.array([0, 2, 4]), 2)
    assert y.shape == (3, 2)
    np.testing.assert_allclose(y[0], np.log([101 / 100, 99 / 100]))
    np.testing.assert_allclose(y[1], np.log([102 / 99, 103 / 99]))
    assert np.all(np.isnan(y[2]))


def test_outcomes_from_path_change_and_explicit_horizons():
    v = np.array([0.0, -1.0, 2.0, 5.0, 4.0, 3.0])
    y = outcomes_from_path(v, [0, 1, 3], [1, 3], kind="change")
    expected = np.array([[-1.0, 5.0], [3.0, 5.0], [-1.0, np.nan]])
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_allclose(y[~np.isnan(y)], expected[~np.isnan(expected)])


def test_outcomes_from_path_feeds_feedback():
    rng = np.random.default_rng(6)
    mids = 100.0 * np.exp(np.cumsum(0.001 * rng.standard_normal(201)))
    idx = np.arange(0, 200, 2)
    y = outcomes_from_path(mids, idx, 5)
    a = rng.integers(0, 2, idx.size)
    f = feedback(a, y, propensities=np.full(idx.size, 0.5))
    assert f.shape == (5,) and np.all(np.isfinite(f))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1.0, 2.0]], [0], 1), {}, "1-D path"),
        (([1.0, 2.0], [[0]], 1), {}, "decision_index must be 1-D"),
        (([1.0, 2.0], [0.0], 1), {}, "integers"),
        (([1.0, 2.0], [2], 1), {}, "must lie in"),
        (([1.0, 2.0], [-1], 1), {}, "must lie in"),
        (([1.0, 2.0], [0], 0), {}, ">= 1"),
        (([1.0, 2.0], [0], [0, 1]), {}, "positive ints"),
        (([1.0, 2.0], [0], []), {}, "positive ints"),
        (([1.0, 2.0], [0], 1), {"kind": "ratio"}, "kind must be"),
        (([1.0, -2.0], [0], 1), {}, "positive values"),
    ],
)
def test_outcomes_from_path_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        outcomes_from_path(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

A = np.array([0, 1, 0, 1])
Y = np.ones((4, 2))
E = np.full(4, 0.5)


@pytest.mark.parametrize(
    ("a", "y", "e", "kwargs", "match"),
    [
        (A[:, None], Y, E, {}, "actions must be 1-D"),
        (np.array([1]), Y[:1], E[:1], {}, "T >= 2"),
        (np.array([0, 1, 2, 1]), Y, E, {}, r"\{0, 1\}"),
        (np.array([0.0, 1.0, np.nan, 1.0]), Y, E, {}, "actions contain NaN"),
        (np.array(["a", "b", "a", "b"]), Y, E, {}, "numeric or boolean"),
        (np.ones(4, dtype=int), Y, E, {}, "all actions are the same"),
        (np.zeros(4, dtype=int), Y, E, {}, "all actions are the same"),
        (A, Y[:3], E, {}, "outcomes have 3 rows"),
        (A, np.ones((4, 2, 1)), E, {}, r"shape \(T, H\)"),
        (A, np.ones((4, 0)), E, {}, "at least one horizon"),
        (A, np.array([1.0, np.inf, 0.0, 0.0]), E, {}, "inf"),
        (A, Y, E[:3], {}, "propensities have length 3"),
        (A, Y, E[:, None], {}, "propensities must be 1-D"),
        (A, Y, np.array([0.5, np.nan, 0.5, 0.5]), {}, "propensities contain NaN"),
        (A, Y, np.array([0.5, 0.0, 0.5, 0.5]), {}, r"inside \(0, 1\)"),
        (A, Y, np.array([0.5, 1.0, 0.5, 0.5]), {}, r"inside \(0, 1\)"),
        (A, Y, np.array([0.5, 1.2, 0.5, 0.5]), {}, r"inside \(0, 1\)"),
        (A, Y, E, {"clip": 0.5}, "clip"),
        (A, Y, E, {"clip": -0.1}, "clip"),
    ],
)
def test_ipw_effect_errors(a, y, e, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ipw_effect(a, y, e, **kwargs)


def test_boolean_actions_accepted():
    np.testing.assert_allclose(ipw_effect(A.astype(bool), Y, E), ipw_effect(A, Y, E))


def test_naive_effect_errors():
    with pytest.raises(ValueError, match="all actions are the same"):
        naive_effect(np.zeros(4, dtype=int), Y)
    with pytest.raises(ValueError, match="outcomes have 3 rows"):
        naive_effect(A, Y[:3])


@pytest.mark.parametrize(
    ("x", "a", "kwargs", "match"),
    [
        (np.arange(4.0), np.ones(4, dtype=int), {}, "all actions are the same"),
        (np.arange(3.0), A, {}, "confounders have 3 rows"),
        (np.ones((4, 1, 1)), A, {}, r"shape \(T, K\)"),
        (np.ones((4, 0)), A, {}, "at least one column"),
        (np.array([0.0, np.nan, 1.0, 2.0]), A, {}, "NaN or inf"),
        (np.arange(4.0), A, {"clip": 0.7}, "clip"),
        (np.arange(4.0), A, {"C": 0.0}, "C must be"),
    ],
)
def test_estimate_propensity_errors(x, a, kwargs, match):
    with pytest.raises(ValueError, match=match):
        estimate_propensity(x, a, **kwargs)


def test_estimate_propensity_survives_perfect_separation():
    s = np.arange(10.0)
    a = (s >= 5).astype(int)
    e = estimate_propensity(s, a)
    assert np.all(np.isfinite(e))
    np.testing.assert_allclose(e[:5], 0.01)
    np.testing.assert_allclose(e[5:], 0.99)


def test_feedback_needs_propensities_or_confounders():
    with pytest.raises(ValueError, match="either the logged propensities or the confounders"):
        feedback(A, Y)


def test_feedback_prefers_logged_propensities():
    rng = np.random.default_rng(7)
    s, e, a, y = _simulate(rng, 300)
    np.testing.assert_allclose(feedback(a, y, e, confounders=s), ipw_effect(a, y, e))
    np.testing.assert_allclose(
        feedback(a, y, confounders=s, stabilized=True),
        ipw_effect(a, y, estimate_propensity(s, a), stabilized=True),
    )
