"""Stylized facts of a market, computed the same way on simulated and real (LOBSTER) data.

:func:`stylized_facts` returns a flat ``{name: float}`` dict (JSON-ready, NaN where a fact is undefined,
e.g. no executions); :func:`fact_series` returns the underlying series and distributions for plots.

Definitions (``data`` is a :class:`~intags_env.data.LobsterData`; "per message row" means one value per
row of the book, i.e. after each message):

Returns, at each clock scale ``s`` in ``10s``, ``1min``, ``5min``:
    mid = level-1 mid after the last message at or before each grid time ``start + k*s`` inside the
    session; r = diff(log mid), NaN returns dropped (a side empty, or before the first message).
    ``n_returns_s``; ``return_std_bp_s`` (population std x 1e4); ``return_excess_kurtosis_s`` = Fisher
    excess kurtosis ``m4/m2^2 - 3`` (scipy.stats.kurtosis, fisher=True, bias=True; 0 for a normal);
    ``return_acf1_s`` = lag-1 autocorrelation of r; ``abs_return_acf_mean_1_10_s`` = mean over lags 1..10
    of the autocorrelation of |r| (volatility clustering). Autocorrelation at lag k = Pearson correlation
    of the pairs (x_t, x_{t+k}) (pairs with a NaN left out).
Spread (per message row where both sides exist), in ticks: ``spread_ticks_mean``, ``_median``,
    ``_q05/_q25/_q75/_q95``, and ``spread_share_1tick`` (share of rows at exactly one tick).
Depth (per message row where that side exists), shares: ``depth_l1_bid_median``, ``depth_l1_ask_median``
    at the touch; ``depth_l5_bid_median``, ``depth_l5_ask_median`` = sum over the first 5 levels (only
    when the book has >= 5 levels).
Order sizes of new limit orders (type 1), shares: ``order_size_mean``, ``_median``, ``_q05 ... _q95``.
Inter-arrival times of consecutive messages (seconds, zeros included): ``interarrival_mean_s``,
    ``interarrival_median_s``, ``interarrival_cv`` = std/mean (scipy.stats.variation, ddof=0).
Order-type mix, shares of all messages: ``share_new`` (type 1), ``share_cancel`` (types 2, 3),
    ``share_execution`` (types 4, 5); ``n_messages``; ``messages_per_30min`` = n_messages / session
    length in 30-minute units.
Executions (types 4 and 5; an execution of a sell limit order, direction -1, is a buyer-initiated
    trade): ``exec_volume_buy``, ``exec_volume_sell``, ``exec_volume_total``, ``n_executions``;
    ``exec_imbalance`` = (buy - sell) / (buy + sell) over the session.
Volume and volatility: ``volume_volatility_corr_1min`` = Pearson correlation between the executed volume
    in each 1-minute interval (t_{k-1}, t_k] and |r_k| of the 1-minute return over the same interval.

Note that a LOBSTER file with L levels only holds the messages touching the first L levels, so the level-1
and level-5 files of one day have different message counts, mixes and inter-arrival times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from intags_env.data import NS_PER_SECOND, LobsterData, MessageType
from intags_env.data.views import top_levels_view
from intags_env.metrics.series import (
    EXECUTION_TYPES,
    autocorrelation,
    excess_kurtosis,
    executed_volume,
    imbalance,
    log_returns,
    mid_on_grid,
    pearson,
)

__all__ = [
    "ACF_LAGS",
    "DISTRIBUTIONS",
    "QUANTILE_POINTS",
    "QUANTILES",
    "RETURN_SCALES",
    "SUMMARY_FACTS",
    "FactSeries",
    "depth_l1",
    "distribution_quantiles",
    "distribution_samples",
    "fact_series",
    "grid_returns",
    "interarrival_s",
    "new_order_sizes",
    "pooled_samples",
    "return_acf1",
    "return_kurtosis",
    "return_std_bp",
    "share_execution",
    "spread_ticks",
    "stylized_facts",
    "summary_facts",
    "volatility_clustering",
    "volume_volatility_corr",
]

#: Clock scales of the return facts: label -> step in ns.
RETURN_SCALES: dict[str, int] = {
    "10s": 10 * NS_PER_SECOND,
    "1min": 60 * NS_PER_SECOND,
    "5min": 300 * NS_PER_SECOND,
}
#: Quantiles reported for the spread and order-size distributions.
QUANTILES = (0.05, 0.25, 0.75, 0.95)
#: Lags of the volatility-clustering fact (mean |r| autocorrelation).
CLUSTER_LAGS = range(1, 11)
#: Lags of the autocorrelation series returned for plots.
ACF_LAGS = range(1, 21)

_MINUTE_NS = 60 * NS_PER_SECOND
_THIRTY_MIN_NS = 30 * _MINUTE_NS


@dataclass(frozen=True)
class FactSeries:
    """The series and distributions behind the facts (for plots and further analysis).

    ``returns``, ``acf_returns`` and ``acf_abs_returns`` are keyed by scale label (``"10s"``, ...);
    ``mid_grid`` / ``mid`` is the 10-second grid mid (price units); ``minute_*`` are per 1-minute
    interval ``(t_{k-1}, t_k]`` (``minute_abs_return`` NaN where the return is undefined).
    """

    mid_grid_ns: np.ndarray
    mid: np.ndarray
    returns: dict[str, np.ndarray]
    acf_lags: np.ndarray
    acf_returns: dict[str, np.ndarray]
    acf_abs_returns: dict[str, np.ndarray]
    spread_ticks: np.ndarray
    depth_l1_bid: np.ndarray
    depth_l1_ask: np.ndarray
    order_sizes: np.ndarray
    interarrival_s: np.ndarray
    minute_volume: np.ndarray
    minute_abs_return: np.ndarray
    minute_imbalance: np.ndarray
    depth_l5_bid: np.ndarray | None = None
    depth_l5_ask: np.ndarray | None = None
    tick_size: int = 100


def stylized_facts(data: LobsterData, levels: int | None = None) -> dict[str, float]:
    """All stylized facts of ``data`` as a flat ``{name: float}`` dict (definitions: module docstring).
    ``levels``: measured as the ``levels``-level LOBSTER file of ``data`` would read
    (:func:`~intags_env.data.views.top_levels_view`; compare a simulated record with an L-level file
    this way); None: the record as it is."""
    if levels is not None:
        data = top_levels_view(data, levels)
    facts: dict[str, float] = {}
    facts.update(message_facts(data))
    facts.update(return_facts(data))
    facts.update(spread_facts(data))
    facts.update(depth_facts(data))
    facts.update(order_size_facts(data))
    facts.update(interarrival_facts(data))
    facts.update(execution_facts(data))
    return {name: float(value) for name, value in facts.items()}


def fact_series(data: LobsterData) -> FactSeries:
    """The series behind :func:`stylized_facts` (same definitions), for plots."""
    grid, mid = mid_on_grid(data, RETURN_SCALES["10s"])
    raw = {label: log_returns(mid_on_grid(data, dt)[1]) for label, dt in RETURN_SCALES.items()}
    levels5 = data.levels >= 5
    bid, ask = depth_l1(data)
    minute_volume, minute_abs_return, minute_imbalance = _minute_series(data)
    return FactSeries(
        mid_grid_ns=grid,
        mid=mid,
        returns={label: r[np.isfinite(r)] for label, r in raw.items()},
        acf_lags=np.asarray(ACF_LAGS),
        acf_returns={label: autocorrelation(r, ACF_LAGS) for label, r in raw.items()},
        acf_abs_returns={label: autocorrelation(np.abs(r), ACF_LAGS) for label, r in raw.items()},
        spread_ticks=spread_ticks(data),
        depth_l1_bid=bid,
        depth_l1_ask=ask,
        order_sizes=new_order_sizes(data),
        interarrival_s=interarrival_s(data),
        minute_volume=minute_volume,
        minute_abs_return=minute_abs_return,
        minute_imbalance=minute_imbalance,
        depth_l5_bid=data.bid_depth(5)[data.has_bid] if levels5 else None,
        depth_l5_ask=data.ask_depth(5)[data.has_ask] if levels5 else None,
        tick_size=data.tick_size,
    )


#: The per-session facts of :func:`summary_facts`, in order.
SUMMARY_FACTS = (
    "spread_ticks_mean",
    "spread_share_1tick",
    "log_messages_per_s",
    "return_std_bp_10s",
    "depth_l1_mean",
    "order_size_mean",
    "share_same_timestamp",
)


def summary_facts(data: LobsterData, series: FactSeries | None = None) -> np.ndarray:
    """A short vector of one session's facts (``SUMMARY_FACTS``: the distributions' centres that a
    learned market gets wrong first), cheap enough to compute for every training episode; NaN where a
    fact is undefined (no two-sided book, fewer than two 10-s returns, no new order). ``series``: the
    session's :func:`fact_series`, when already computed."""
    series = fact_series(data) if series is None else series
    seconds = max((data.end_ns - data.start_ns) / NS_PER_SECOND, 1e-9)
    spread = series.spread_ticks
    depth = np.concatenate([series.depth_l1_bid, series.depth_l1_ask]).astype(float)
    returns = series.returns["10s"]
    gaps = series.interarrival_s
    return np.array(
        [
            _nanmean(spread),
            _nanmean((spread == 1).astype(float)) if spread.size else np.nan,
            np.log(max(len(data.messages), 1) / seconds),
            return_std_bp(returns),
            _nanmean(depth),
            _nanmean(series.order_sizes.astype(float)),
            _nanmean((gaps == 0).astype(float)) if gaps.size else np.nan,
        ]
    )


#: The distributions compared pooled over sessions (KS, Wasserstein) and their units.
DISTRIBUTIONS: dict[str, str] = {
    "return_10s_bp": "bp",
    "spread_ticks": "ticks",
    "depth_l1": "shares",
    "order_size": "shares",
    "interarrival_s": "s",
}
#: Points of a session's :func:`distribution_quantiles` summary.
QUANTILE_POINTS = 64


def distribution_samples(series: FactSeries) -> dict[str, np.ndarray]:
    """One session's samples of each of :data:`DISTRIBUTIONS` (from its :func:`fact_series`)."""
    return {
        "return_10s_bp": series.returns["10s"] * 1e4,
        "spread_ticks": series.spread_ticks,
        "depth_l1": np.concatenate([series.depth_l1_bid, series.depth_l1_ask]).astype(float),
        "order_size": series.order_sizes,
        "interarrival_s": series.interarrival_s,
    }


def pooled_samples(sessions: Sequence[LobsterData]) -> dict[str, np.ndarray]:
    """Every session's samples of each distribution of :data:`DISTRIBUTIONS`, concatenated."""
    if not sessions:
        raise ValueError("pooled_samples needs at least one session")
    parts = [distribution_samples(fact_series(data)) for data in sessions]
    return {name: np.concatenate([p[name] for p in parts]) for name in DISTRIBUTIONS}


def distribution_quantiles(samples: dict[str, np.ndarray], points: int = QUANTILE_POINTS) -> np.ndarray:
    """``(len(DISTRIBUTIONS), points)``: each distribution's quantiles at the mid-points
    ``(k + 0.5) / points`` — a fixed-size stand-in for a session's samples that keeps every value a real
    sample (``inverted_cdf``: ticks and share counts stay whole), so sessions pool into an empirical
    distribution with equal weight per session; a row of NaN where the session has no finite sample."""
    levels = (np.arange(points) + 0.5) / points
    out = np.full((len(DISTRIBUTIONS), points), np.nan)
    for i, name in enumerate(DISTRIBUTIONS):
        x = np.asarray(samples[name], dtype=float)
        x = x[np.isfinite(x)]
        if x.size:
            out[i] = np.quantile(x, levels, method="inverted_cdf")
    return out


# --------------------------------------------------------------------------------------------- groups
def message_facts(data: LobsterData) -> dict[str, float]:
    """Message count, rate per 30 minutes and the new / cancel / execution shares."""
    types = data.messages["type"]
    n = len(types)
    session = data.end_ns - data.start_ns
    return {
        "n_messages": n,
        "messages_per_30min": n * _THIRTY_MIN_NS / session if session > 0 else np.nan,
        "share_new": _share(types, (int(MessageType.NEW),)),
        "share_cancel": _share(types, (int(MessageType.PARTIAL_CANCEL), int(MessageType.DELETE))),
        "share_execution": share_execution(data),
    }


def return_facts(data: LobsterData) -> dict[str, float]:
    """Count, std (bp), excess kurtosis, lag-1 ACF and |r| clustering of grid-mid returns per scale."""
    facts: dict[str, float] = {}
    for label, dt in RETURN_SCALES.items():
        r = grid_returns(data, dt)
        facts[f"n_returns_{label}"] = int(np.isfinite(r).sum())
        facts[f"return_std_bp_{label}"] = return_std_bp(r)
        facts[f"return_excess_kurtosis_{label}"] = return_kurtosis(r)
        facts[f"return_acf1_{label}"] = return_acf1(r)
        facts[f"abs_return_acf_mean_1_10_{label}"] = volatility_clustering(r)
    return facts


def spread_facts(data: LobsterData) -> dict[str, float]:
    """Spread in ticks per message row with both sides: mean, median, quantiles, share at one tick."""
    spread = spread_ticks(data)
    facts = _summary(spread, "spread_ticks")
    facts["spread_share_1tick"] = np.mean(spread == 1) if spread.size else np.nan
    return facts


def depth_facts(data: LobsterData) -> dict[str, float]:
    """Median shares at the touch per side (and over 5 levels when the book has them)."""
    bid, ask = depth_l1(data)
    facts = {"depth_l1_bid_median": _median(bid), "depth_l1_ask_median": _median(ask)}
    if data.levels >= 5:
        facts["depth_l5_bid_median"] = _median(data.bid_depth(5)[data.has_bid])
        facts["depth_l5_ask_median"] = _median(data.ask_depth(5)[data.has_ask])
    return facts


def order_size_facts(data: LobsterData) -> dict[str, float]:
    """Sizes of new limit orders (type 1): mean, median, quantiles."""
    return _summary(new_order_sizes(data), "order_size")


def interarrival_facts(data: LobsterData) -> dict[str, float]:
    """Seconds between consecutive messages: mean, median, coefficient of variation."""
    gaps = interarrival_s(data)
    if gaps.size == 0:
        return {"interarrival_mean_s": np.nan, "interarrival_median_s": np.nan, "interarrival_cv": np.nan}
    mean = np.mean(gaps)
    return {
        "interarrival_mean_s": mean,
        "interarrival_median_s": np.median(gaps),
        "interarrival_cv": stats.variation(gaps) if mean > 0 else np.nan,
    }


def execution_facts(data: LobsterData) -> dict[str, float]:
    """Buyer/seller-initiated executed volume, imbalance, and the 1-minute volume-volatility correlation."""
    buy, sell = executed_volume(data)
    return {
        "n_executions": np.isin(data.messages["type"], EXECUTION_TYPES).sum(),
        "exec_volume_buy": buy,
        "exec_volume_sell": sell,
        "exec_volume_total": buy + sell,
        "exec_imbalance": imbalance(buy, sell),
        "volume_volatility_corr_1min": volume_volatility_corr(data),
    }


# --------------------------------------------------------------------------------------------- facts
# One function per fact (or per series a fact summarises): the groups above, the calibration's table
# (``intags_env.calibration.facts``) and the generator's session summary all compute through these.


def grid_returns(data: LobsterData, step_ns: int) -> np.ndarray:
    """Log returns of the level-1 mid sampled every ``step_ns`` (NaN where a side is empty)."""
    return log_returns(mid_on_grid(data, step_ns)[1])


def return_std_bp(r: np.ndarray) -> float:
    """Population std of the finite returns, in basis points (NaN with fewer than two)."""
    finite = r[np.isfinite(r)]
    return 1e4 * float(np.std(finite)) if finite.size >= 2 else np.nan


def return_kurtosis(r: np.ndarray) -> float:
    """Fisher excess kurtosis of the finite returns (fat tails)."""
    return excess_kurtosis(r[np.isfinite(r)])


def return_acf1(r: np.ndarray) -> float:
    """Lag-1 autocorrelation of the returns (pairs with a NaN left out)."""
    return float(autocorrelation(r, [1])[0])


def volatility_clustering(r: np.ndarray) -> float:
    """Mean autocorrelation of |r| over lags :data:`CLUSTER_LAGS`."""
    return _nanmean(autocorrelation(np.abs(r), CLUSTER_LAGS))


def volume_volatility_corr(data: LobsterData) -> float:
    """Pearson correlation of each minute's executed volume with its |1-minute return|."""
    minute_volume, minute_abs_return, _ = _minute_series(data)
    return pearson(minute_volume, minute_abs_return)


def spread_ticks(data: LobsterData) -> np.ndarray:
    """The level-1 spread in ticks after each message with both sides quoted."""
    spread = data.spread_ticks
    return spread[np.isfinite(spread)]


def depth_l1(data: LobsterData) -> tuple[np.ndarray, np.ndarray]:
    """Shares at the best bid and at the best ask, after each message where that side exists."""
    return data.bid_depth_1[data.has_bid], data.ask_depth_1[data.has_ask]


def new_order_sizes(data: LobsterData) -> np.ndarray:
    """Sizes of the new limit orders (type 1), shares."""
    m = data.messages
    return m["size"][m["type"] == MessageType.NEW].astype(float)


def interarrival_s(data: LobsterData) -> np.ndarray:
    """Seconds between consecutive messages (zeros included)."""
    return np.diff(data.messages["time"]) / NS_PER_SECOND


def share_execution(data: LobsterData) -> float:
    """Executions' (types 4, 5) share of all messages."""
    return _share(data.messages["type"], EXECUTION_TYPES)


# --------------------------------------------------------------------------------------------- helpers
def _minute_series(data: LobsterData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 1-minute interval: executed volume, |1-min return| (NaN if undefined), trade imbalance."""
    grid, mid = mid_on_grid(data, _MINUTE_NS)
    buy, sell = executed_volume(data, grid)
    return buy + sell, np.abs(log_returns(mid)), imbalance(buy, sell)


def _share(types: np.ndarray, codes: tuple[int, ...]) -> float:
    return float(np.isin(types, codes).mean()) if types.size else np.nan


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if np.size(x) else np.nan


def _nanmean(x: np.ndarray) -> float:
    finite = np.asarray(x)[np.isfinite(x)]
    return float(finite.mean()) if finite.size else np.nan


def _summary(x: np.ndarray, prefix: str) -> dict[str, float]:
    """Mean, median and :data:`QUANTILES` of ``x`` (NaN when empty), keyed ``prefix_mean`` etc."""
    keys = [f"{prefix}_mean", f"{prefix}_median"] + [f"{prefix}_q{round(q * 100):02d}" for q in QUANTILES]
    if np.size(x) == 0:
        return dict.fromkeys(keys, np.nan)
    values = [np.mean(x), np.median(x), *np.quantile(x, QUANTILES)]
    return dict(zip(keys, values))
