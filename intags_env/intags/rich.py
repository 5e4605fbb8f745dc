"""Rich causal feedback: the experimental trader's effect on several parts of the market's next state.

The paper's feedback is the IPW effect of the trader's action on the mid at horizons 1..H. A generator can
match that and still answer a trade unlike the real market: the spread may open and never close, the touch
may refill on the wrong side, the background may not trade with or against the trader. The rich feedback
stacks the same IPW effect of ``a_t`` (buy vs sell) on

==========================  ===========================================================================
component                   outcome ``y_{t,h}``
==========================  ===========================================================================
``mid_h1`` .. ``mid_hH``    mid log-return from decision ``t`` to ``t + h`` (the paper's feedback)
``spread_h1``, ``_h2``      change of the spread (cents) from ``t`` to ``t + h``
``imbalance_h1``            change of the touch depth imbalance ``(bid - ask) / (bid + ask)`` to ``t + 1``
``flow_h1``, ``flow_h2``    the background's signed aggressor volume (buys - sells, shares) over the next
                            ``h`` decision intervals, the trader's own trades left out
==========================  ===========================================================================

Each state is read at a decision, before the decision's order. Measured on ``rmsc04`` against the cloned
generator (see the INTAGS-training issue): the mid-only feedback rejects the clone in 47% of tests at 80
episodes per side, this vector in 100%. Components are on different scales; a distance standardises
them on the real set (:class:`~intags_env.generator.reward.FeedbackReward` divides each by its real SD).
The Hajek (self-normalised) weights are the default here: lower variance than plain IPW.
"""

from __future__ import annotations

import numpy as np

from .experiment import Trajectory
from .feedback import ipw_effect, outcomes_from_path

__all__ = ["background_flow", "rich_feedback", "rich_feedback_names"]


def rich_feedback_names(horizons: int = 5) -> list[str]:
    """The components of :func:`rich_feedback`, in order."""
    return [
        *(f"mid_h{h}" for h in range(1, horizons + 1)),
        "spread_h1",
        "spread_h2",
        "imbalance_h1",
        "flow_h1",
        "flow_h2",
    ]


def background_flow(trades: np.ndarray, trader_owner: int, times: np.ndarray, end_ns: int) -> np.ndarray:
    """Signed aggressor volume (buy - sell, shares) of everyone but ``trader_owner`` in each decision
    interval ``(times[k], times[k + 1]]``, the last one ending at ``end_ns``.

    ``trades`` is the session's trade record (``time``, ``side`` of the aggressor, ``qty``,
    ``taker_owner``); the reaction to a decision is what comes strictly after it."""
    times = np.asarray(times, np.int64)
    if times.ndim != 1 or len(times) == 0:
        raise ValueError(f"need the decision times as a non-empty 1-D array, got shape {times.shape}")
    if (np.diff(times) < 0).any():
        raise ValueError("decision times must be non-decreasing")
    edges = np.append(times, max(int(end_ns), int(times[-1])))
    other = trades["taker_owner"] != trader_owner
    t = trades["time"][other].astype(np.int64)
    signed = (trades["side"][other] * trades["qty"][other]).astype(float)
    inside = (t > edges[0]) & (t <= edges[-1])
    # interval k holds times in (edges[k], edges[k + 1]]
    k = np.searchsorted(edges, t[inside], side="left") - 1
    return np.bincount(k, weights=signed[inside], minlength=len(times)).astype(float)


def rich_feedback(
    traj: Trajectory, flow: np.ndarray, horizons: int = 5, *, stabilized: bool = True
) -> np.ndarray:
    """The rich feedback vector of one trajectory (``rich_feedback_names(horizons)``); ``flow`` is
    :func:`background_flow` over the trajectory's decisions. Raises ValueError for a trajectory the
    effects are not identified on (all buys or all sells, fewer than two decisions)."""
    t = len(traj.actions)
    if len(traj.spreads) != t or len(traj.touch_imbalances) != t or len(flow) != t:
        raise ValueError(
            f"the trajectory logs {t} decisions but {len(traj.spreads)} spreads, "
            f"{len(traj.touch_imbalances)} imbalances and {len(flow)} flow intervals"
        )
    index = np.arange(t)
    cumulative_flow = np.concatenate([[0.0], np.cumsum(flow)])
    blocks = [
        outcomes_from_path(traj.mids, index, horizons),
        outcomes_from_path(traj.spreads, index, 2, kind="change"),
        outcomes_from_path(traj.touch_imbalances, index, 1, kind="change"),
        outcomes_from_path(cumulative_flow, index, 2, kind="change"),
    ]
    outcomes = np.concatenate(blocks, axis=1)
    return ipw_effect(traj.actions, outcomes, traj.propensities, stabilized=stabilized)
