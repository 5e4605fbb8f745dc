"""INTAGS causal-effect feedback of one trajectory.

An experimental trading agent acts at decision times ``t = 1..T`` with a binary action
``a_t`` in ``{0 = sell, 1 = buy}``, drawn from a policy that depends on the previous market
state ``s_{t-1}``. That state also drives what the market does next, so it *confounds* the
comparison between buys and sells: a naive difference in means between the outcomes after
buys and after sells mixes the effect of the action with the effect of the state that made
the agent buy.

The feedback of a trajectory is the inverse-propensity-weighted (IPW) estimate of the average
effect of the action at each horizon ``h = 1..H``::

    tau_h = (1/T) * sum_t [ a_t * y_{t,h} / e_t - (1 - a_t) * y_{t,h} / (1 - e_t) ]
    f(trajectory) = (tau_1, ..., tau_H)

where ``e_t = P(a_t = 1 | s_{t-1})`` is the propensity (logged by the agent when it knows it,
otherwise estimated by a logistic regression of the actions on the confounders) and
``y_{t,h}`` an outcome such as the mid-price log-return from ``t`` to ``t + h``.

Everything here is plain numpy (plus scikit-learn for the propensity model), works on one
trajectory at a time and has no state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "estimate_propensity",
    "feedback",
    "ipw_effect",
    "naive_effect",
    "outcomes_from_path",
]

OutcomeKind = Literal["log_return", "change"]


# ---------------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------------


def _check_clip(clip: float) -> float:
    clip = float(clip)
    if not np.isfinite(clip) or not 0.0 <= clip < 0.5:
        raise ValueError(f"clip must be in [0, 0.5), got {clip}")
    return clip


def _check_actions(actions: ArrayLike) -> np.ndarray:
    """Return the actions as a 1-D int array after checking they are a usable binary vector."""
    a = np.asarray(actions)
    if a.ndim != 1:
        raise ValueError(f"actions must be 1-D of shape (T,), got shape {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(f"need at least T >= 2 decisions, got T = {a.shape[0]}")
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    elif a.dtype.kind in "iuf":
        if a.dtype.kind == "f" and np.isnan(a).any():
            raise ValueError("actions contain NaN")
        if not np.isin(a, (0, 1)).all():
            raise ValueError("actions must be in {0, 1} (0 = sell, 1 = buy)")
        a = a.astype(np.int64)
    else:
        raise ValueError(f"actions must be numeric or boolean, got dtype {a.dtype}")
    n_buy = int(a.sum())
    if n_buy == 0 or n_buy == a.shape[0]:
        raise ValueError(
            "all actions are the same (only one of buy / sell present): the effect of the action "
            "is not identified"
        )
    return a


def _check_outcomes(outcomes: ArrayLike, t: int) -> np.ndarray:
    """Return outcomes as a float (T, H) array; a 1-D input is one horizon."""
    y = np.asarray(outcomes, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"outcomes must have shape (T, H) or (T,), got shape {y.shape}")
    if y.shape[0] != t:
        raise ValueError(f"outcomes have {y.shape[0]} rows but there are T = {t} actions")
    if y.shape[1] < 1:
        raise ValueError("outcomes must have at least one horizon (H >= 1)")
    if np.isinf(y).any():
        raise ValueError("outcomes contain +/-inf (NaN is allowed and marks a missing outcome)")
    return y


def _check_propensities(propensities: ArrayLike, t: int) -> np.ndarray:
    e = np.asarray(propensities, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError(f"propensities must be 1-D of shape (T,), got shape {e.shape}")
    if e.shape[0] != t:
        raise ValueError(f"propensities have length {e.shape[0]} but there are T = {t} actions")
    if np.isnan(e).any():
        raise ValueError("propensities contain NaN")
    if ((e <= 0.0) | (e >= 1.0)).any():
        raise ValueError("propensities must lie strictly inside (0, 1)")
    return e


def _check_confounders(confounders: ArrayLike, t: int) -> np.ndarray:
    x = np.asarray(confounders, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"confounders must have shape (T, K) or (T,), got shape {x.shape}")
    if x.shape[0] != t:
        raise ValueError(f"confounders have {x.shape[0]} rows but there are T = {t} actions")
    if x.shape[1] < 1:
        raise ValueError("confounders must have at least one column (K >= 1)")
    if not np.isfinite(x).all():
        raise ValueError("confounders contain NaN or inf")
    return x


# ---------------------------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------------------------


def ipw_effect(
    actions: ArrayLike,
    outcomes: ArrayLike,
    propensities: ArrayLike,
    *,
    clip: float = 0.01,
    stabilized: bool = False,
) -> np.ndarray:
    """Inverse-propensity-weighted estimate of the average effect of buying vs selling.

    Args:
        actions: shape ``(T,)``, values in ``{0, 1}`` (0 = sell, 1 = buy); both must occur.
        outcomes: shape ``(T, H)`` (or ``(T,)`` for a single horizon), ``y[t, h]`` the outcome
            ``h + 1`` steps after decision ``t``. NaN marks an outcome that does not exist
            (``t + h`` beyond the end of the trajectory): for each horizon those decisions are
            left out and the average is over the ``T_h`` decisions with a valid outcome, i.e.
            ``tau_h = (1/T_h) * sum_{t valid} [...]``. The last horizons therefore rest on fewer
            decisions. A horizon with no valid outcome gives NaN.
        propensities: shape ``(T,)``, ``e_t = P(a_t = 1 | s_{t-1})`` strictly inside ``(0, 1)``.
        clip: propensities are clipped to ``[clip, 1 - clip]`` before weighting. IPW weights are
            ``1 / e_t`` and ``1 / (1 - e_t)``: a propensity close to 0 or 1 (an agent that almost
            always buys in some state) lets one decision dominate the estimate and blows up its
            variance. Clipping bounds every weight by ``1 / clip`` at the price of a small bias
            where the overlap is poor. ``clip = 0`` disables it.
        stabilized: if True, use the Hajek (normalised) estimator: within each arm the weights
            ``a_t / e_t`` and ``(1 - a_t) / (1 - e_t)`` are normalised to sum to one, so each arm
            is a weighted *mean* of its outcomes. This removes the sensitivity of plain IPW to
            the level of the outcomes (adding a constant to every ``y`` does not change it) and
            usually has a much lower variance, but the ratio makes it biased by ``O(1/T)``.
            Plain IPW (False) is exactly unbiased when the propensities are the true ones and
            no clipping binds. With a constant propensity the Hajek estimator is the naive
            difference in means. An arm without valid outcome at some horizon gives NaN there.

    Returns:
        ``tau`` of shape ``(H,)``: the estimated effect of buying rather than selling on the
        outcome at each horizon.
    """
    clip = _check_clip(clip)
    a = _check_actions(actions)
    t = a.shape[0]
    y = _check_outcomes(outcomes, t)
    e = _check_propensities(propensities, t)
    if clip > 0.0:
        e = np.clip(e, clip, 1.0 - clip)

    w1 = (a / e)[:, None]  # weight of a buy, 0 for a sell
    w0 = ((1 - a) / (1.0 - e))[:, None]  # weight of a sell, 0 for a buy
    valid = ~np.isnan(y)
    y0 = np.where(valid, y, 0.0)
    w1 = np.where(valid, w1, 0.0)
    w0 = np.where(valid, w0, 0.0)
    s1 = (w1 * y0).sum(axis=0)
    s0 = (w0 * y0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if stabilized:
            return s1 / w1.sum(axis=0) - s0 / w0.sum(axis=0)
        return (s1 - s0) / valid.sum(axis=0)


def naive_effect(actions: ArrayLike, outcomes: ArrayLike) -> np.ndarray:
    """Difference in mean outcome after buys and after sells, per horizon (shape ``(H,)``).

    This is the comparison the IPW feedback corrects: when the state that drives the agent's
    choice also drives the outcome, it is biased. Kept as a baseline and a diagnostic. NaN
    outcomes are left out per horizon; an arm with no valid outcome gives NaN.
    """
    a = _check_actions(actions)
    y = _check_outcomes(outcomes, a.shape[0])
    valid = ~np.isnan(y)
    y0 = np.where(valid, y, 0.0)
    buy = (a == 1)[:, None] & valid
    sell = (a == 0)[:, None] & valid
    with np.errstate(invalid="ignore", divide="ignore"):
        return (y0 * buy).sum(axis=0) / buy.sum(axis=0) - (y0 * sell).sum(axis=0) / sell.sum(axis=0)


def estimate_propensity(
    confounders: ArrayLike,
    actions: ArrayLike,
    *,
    clip: float = 0.01,
    C: float = 1e4,
) -> np.ndarray:
    """Estimate ``e_t = P(a_t = 1 | s_{t-1})`` by logistic regression when the agent did not log it.

    The confounders (shape ``(T, K)``, or ``(T,)`` for one) are standardised column-wise (zero
    mean, unit variance; constant columns are only centred) so that the L2 penalty of
    scikit-learn's ``LogisticRegression`` (strength ``1 / C``) treats every confounder alike
    and the fit is well conditioned. The default ``C = 1e4`` makes the fit nearly
    unpenalised on purpose: shrinking the coefficients toward zero understates how strongly
    the state drives the action, which biases the IPW feedback toward the naive difference
    in means (with scikit-learn's default ``C = 1`` the bias is ~3 Monte-Carlo standard
    errors over 200 trajectories of T = 1000 in the tests). The small penalty left only keeps
    the coefficients finite when the confounders separate buys from sells perfectly. The
    fitted probabilities are clipped to ``[clip, 1 - clip]`` (see :func:`ipw_effect` for why).

    Raises:
        ValueError: if only one action class is present (nothing to fit), on shape mismatch or
            non-finite confounders.
    """
    from sklearn.linear_model import LogisticRegression

    clip = _check_clip(clip)
    a = _check_actions(actions)
    x = _check_confounders(confounders, a.shape[0])
    if not np.isfinite(C) or C <= 0:
        raise ValueError(f"C must be a positive number, got {C}")
    sd = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    # Newton-Cholesky: exact and fast when T >> K (the usual case), and leaves the intercept unpenalised
    model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=1000)
    model.fit(x, a)
    e = model.predict_proba(x)[:, list(model.classes_).index(1)]
    if clip > 0.0:
        e = np.clip(e, clip, 1.0 - clip)
    # keep the output a valid propensity even with clip = 0 and a separable fit
    tiny = np.finfo(np.float64).eps
    return np.clip(e, tiny, 1.0 - tiny)


def feedback(
    actions: ArrayLike,
    outcomes: ArrayLike,
    propensities: ArrayLike | None = None,
    confounders: ArrayLike | None = None,
    *,
    clip: float = 0.01,
    stabilized: bool = False,
    C: float = 1e4,
) -> np.ndarray:
    """INTAGS feedback ``f = (tau_1, ..., tau_H)`` of one trajectory.

    Uses the logged ``propensities`` when given (they are the truth, so the estimate is
    unbiased); otherwise estimates them from ``confounders`` with :func:`estimate_propensity`
    (``C`` is its inverse L2 penalty). ``clip`` and ``stabilized`` go to :func:`ipw_effect`.

    Raises:
        ValueError: if neither propensities nor confounders are given, or on invalid input.
    """
    if propensities is None:
        if confounders is None:
            raise ValueError("give either the logged propensities or the confounders to estimate them")
        propensities = estimate_propensity(confounders, actions, clip=clip, C=C)
    return ipw_effect(actions, outcomes, propensities, clip=clip, stabilized=stabilized)


# ---------------------------------------------------------------------------------------------
# outcomes
# ---------------------------------------------------------------------------------------------


def outcomes_from_path(
    values: ArrayLike,
    decision_index: ArrayLike,
    horizons: int | Sequence[int],
    kind: OutcomeKind = "log_return",
) -> np.ndarray:
    """Build the outcomes ``y[t, h]`` of the decisions from a sampled state path.

    Args:
        values: 1-D path of a state variable sampled on a regular grid (e.g. the mid price at
            every decision time, or at every step of the simulation).
        decision_index: shape ``(T,)``, the index in ``values`` of each decision time.
        horizons: an int ``H`` (meaning horizons ``1..H``) or a sequence of positive step counts.
        kind: ``"log_return"``: ``log v[i + h] - log v[i]`` (prices; values must be > 0 where
            used); ``"change"``: ``v[i + h] - v[i]`` (spread, imbalance, volume, ...: quantities
            that may be zero or negative).

    Returns:
        Array of shape ``(T, H)``; NaN where ``i + h`` is beyond the end of the path, which
        :func:`ipw_effect` leaves out.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.shape[0] < 1:
        raise ValueError(f"values must be a non-empty 1-D path, got shape {v.shape}")
    idx = np.asarray(decision_index)
    if idx.ndim != 1:
        raise ValueError(f"decision_index must be 1-D, got shape {idx.shape}")
    if idx.dtype.kind not in "iu":
        raise ValueError(f"decision_index must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= v.shape[0]):
        raise ValueError(f"decision_index must lie in [0, {v.shape[0] - 1}]")
    if isinstance(horizons, (int, np.integer)):
        if horizons < 1:
            raise ValueError(f"the number of horizons must be >= 1, got {horizons}")
        hs = np.arange(1, int(horizons) + 1)
    else:
        hs = np.asarray(horizons)
        if hs.ndim != 1 or hs.size == 0 or hs.dtype.kind not in "iu" or (hs < 1).any():
            raise ValueError("horizons must be an int >= 1 or a non-empty sequence of positive ints")
    if kind not in ("log_return", "change"):
        raise ValueError(f"kind must be 'log_return' or 'change', got {kind!r}")

    target = idx[:, None] + hs[None, :]
    inside = target < v.shape[0]
    end = v[np.where(inside, target, 0)]
    start = np.broadcast_to(v[idx][:, None], end.shape)
    if kind == "log_return":
        used = np.concatenate([start[inside], end[inside]])
        if (used <= 0).any():
            raise ValueError("log_return outcomes need positive values (use kind='change')")
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(end) - np.log(start)
    else:
        y = end - start
    return np.where(inside, y, np.nan)
