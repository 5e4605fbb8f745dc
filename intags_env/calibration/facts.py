"""The calibration's fact table: ten stylized facts that compare markets of any price level and length.

One function, :func:`calibration_facts`, computes the table for real (LOBSTER) and simulated markets
alike; :func:`simulated_facts` averages it over seeds. The facts, and why each is in the table:

============================ ======================================================== ========
fact                         definition (``intags_env.metrics`` code)                 compare
============================ ======================================================== ========
``ret_std_bp_1min``          std of 1-minute grid-mid log returns, basis points         log
``ret_kurtosis_1min``        excess kurtosis of those returns (fat tails)               log(3+k)
``ret_acf1_1min``            their lag-1 autocorrelation (price efficiency)             diff
``absret_acf_1min``          mean autocorrelation of |r|, lags 1..10 (vol clustering)   diff
``vol_absret_corr_1min``     corr(executed volume, |r|) per minute                      diff
``spread_ticks_mean``        mean level-1 spread in ticks, per message row              log
``depth_l1_median``          median shares at the touch (mean of bid and ask sides)     log
``order_size_median``        median size of new limit orders, shares                    log
``interarrival_mean_s``      mean seconds between messages (the message rate)           log
``share_execution``          executions' share of all messages (vs new and cancels)     diff
============================ ======================================================== ========

Why these: returns at one minute are long enough to hold several trades yet give ~390 values a day;
std, tails, linear and absolute autocorrelation and the volume link are the classic stylized facts
(Cont 2001). The spread in ticks says how tick-constrained the book is; depth, order size, message
rate and the execution share describe the order flow that forms the book. Counts and totals are left
out: they scale with the session length. Every fact is scale-free or is compared on a log scale.

**Depth of view.** A LOBSTER file of ``L`` levels keeps only the messages that touch the first ``L``
levels of the book; a simulated record holds every message, however deep.
:func:`~intags_env.data.views.top_levels_view` applies LOBSTER's rule to a deeper record, so a
simulated market is measured as an ``L``-level file of it would read
(``calibration_facts(sim, levels=data.levels)``).

**Comparison.** ``fact_gap(name, x, data)`` is the signed gap in the fact's own units of closeness: the
difference of logs for scale facts (a factor of 2 off is ``log 2`` whichever way), of ``log(3 + k)`` for
kurtosis, the plain difference for correlations and shares. One market is *closer* to the data on a
fact when its ``|gap|`` is smaller. The search's scalar loss is ``mean((gap / FACT_SCALES)^2)``: each
gap in units of what counts as a clearly visible miss (a factor 2 for scales, 0.1 for correlations).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from intags_env.data import LobsterData
from intags_env.data.views import top_levels_view
from intags_env.metrics import facts

__all__ = [
    "FACT_NAMES",
    "FACT_SCALES",
    "LOG_FACTS",
    "calibration_facts",
    "closer",
    "fact_gap",
    "facts_loss",
    "mean_facts",
    "top_levels_view",
]

#: The ten facts of the table, in report order.
FACT_NAMES: tuple[str, ...] = (
    "ret_std_bp_1min",
    "ret_kurtosis_1min",
    "ret_acf1_1min",
    "absret_acf_1min",
    "vol_absret_corr_1min",
    "spread_ticks_mean",
    "depth_l1_median",
    "order_size_median",
    "interarrival_mean_s",
    "share_execution",
)
#: Facts compared on a log scale (positive scales); ``ret_kurtosis_1min`` compares ``log(3 + k)``.
LOG_FACTS = frozenset(
    {"ret_std_bp_1min", "spread_ticks_mean", "depth_l1_median", "order_size_median", "interarrival_mean_s"}
)
#: What counts as one unit of miss per fact, in the units of :func:`fact_gap`.
FACT_SCALES: dict[str, float] = {
    "ret_std_bp_1min": math.log(2.0),
    "ret_kurtosis_1min": math.log(2.0),
    "ret_acf1_1min": 0.1,
    "absret_acf_1min": 0.1,
    "vol_absret_corr_1min": 0.1,
    "spread_ticks_mean": math.log(2.0),
    "depth_l1_median": math.log(2.0),
    "order_size_median": math.log(2.0),
    "interarrival_mean_s": math.log(2.0),
    "share_execution": 0.1,
}
#: A NaN fact (undefined, e.g. no trade at all) counts as this many units of miss in the loss.
NAN_PENALTY = 10.0

_MINUTE_NS = 60 * 1_000_000_000


def calibration_facts(data: LobsterData, levels: int | None = None) -> dict[str, float]:
    """The ten facts of :data:`FACT_NAMES` (definitions: module docstring), NaN where undefined; each
    computed by its function in :mod:`intags_env.metrics.facts`.

    ``levels``: measure ``data`` as its ``levels``-level LOBSTER file would read (:func:`top_levels_view`);
    None uses the record as it is. Pass the real file's ``levels`` for a simulated market.
    """
    if levels is not None:
        data = top_levels_view(data, levels)
    r = facts.grid_returns(data, _MINUTE_NS)
    spread = facts.spread_ticks(data)
    gaps = facts.interarrival_s(data)
    return {
        "ret_std_bp_1min": facts.return_std_bp(r),
        "ret_kurtosis_1min": facts.return_kurtosis(r),
        "ret_acf1_1min": facts.return_acf1(r),
        "absret_acf_1min": facts.volatility_clustering(r),
        "vol_absret_corr_1min": facts.volume_volatility_corr(data),
        "spread_ticks_mean": float(np.mean(spread)) if spread.size else math.nan,
        "depth_l1_median": _nanmean(np.array([_median(side) for side in facts.depth_l1(data)])),
        "order_size_median": _median(facts.new_order_sizes(data)),
        "interarrival_mean_s": float(np.mean(gaps)) if gaps.size else math.nan,
        "share_execution": facts.share_execution(data),
    }


def mean_facts(tables: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Fact-by-fact mean over several tables (e.g. seeds), NaNs left out (NaN if all are NaN)."""
    tables = list(tables)
    if not tables:
        raise ValueError("mean_facts needs at least one table")
    return {name: _nanmean(np.array([t[name] for t in tables], dtype=float)) for name in FACT_NAMES}


def fact_gap(name: str, value: float, target: float) -> float:
    """Signed gap of ``value`` from ``target`` on fact ``name``'s comparison scale (module docstring).

    NaN when either is NaN or a log-scale fact is not positive."""
    if name not in FACT_SCALES:
        raise KeyError(f"unknown fact {name!r}; known: {list(FACT_NAMES)}")
    if not (math.isfinite(value) and math.isfinite(target)):
        return math.nan
    if name == "ret_kurtosis_1min":
        value, target = value + 3.0, target + 3.0
    if name in LOG_FACTS or name == "ret_kurtosis_1min":
        if value <= 0 or target <= 0:
            return math.nan
        return math.log(value) - math.log(target)
    return value - target


def closer(name: str, a: float, b: float, target: float) -> bool:
    """True when ``a`` is strictly closer to ``target`` than ``b`` on fact ``name`` (NaN gap: farthest)."""
    gap_a, gap_b = abs(fact_gap(name, a, target)), abs(fact_gap(name, b, target))
    if math.isnan(gap_a):
        return False
    return math.isnan(gap_b) or gap_a < gap_b


def facts_loss(
    facts: Mapping[str, float], target: Mapping[str, float], weights: Mapping[str, float] | None = None
) -> float:
    """``sum_i w_i (gap_i / scale_i)^2 / sum_i w_i`` over :data:`FACT_NAMES` (weights default 1); a NaN
    gap costs :data:`NAN_PENALTY` squared units. 0 when the facts equal the target."""
    total = 0.0
    weight_sum = 0.0
    for name in FACT_NAMES:
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        if w < 0 or not math.isfinite(w):
            raise ValueError(f"weight of {name} must be a non-negative number, got {w!r}")
        gap = fact_gap(name, facts[name], target[name])
        units = NAN_PENALTY if math.isnan(gap) else gap / FACT_SCALES[name]
        total += w * units * units
        weight_sum += w
    if weight_sum == 0:
        raise ValueError("facts_loss: all weights are zero")
    return total / weight_sum


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if np.size(x) else math.nan


def _nanmean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    finite = x[np.isfinite(x)]
    return float(finite.mean()) if finite.size else math.nan
