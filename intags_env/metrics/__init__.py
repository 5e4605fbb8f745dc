"""Stylized facts, plots and reports computed identically on simulated and real (LOBSTER) markets.

Entry points: :func:`stylized_facts` (flat ``{name: float}``), :func:`fact_series` (the series behind
them), :func:`facts_report` / :func:`facts_to_json`, :func:`plot_facts` (PNGs; imports matplotlib only
when called) and :func:`price_impact_bps`.
"""

from intags_env.metrics.facts import RETURN_SCALES, FactSeries, fact_series, stylized_facts
from intags_env.metrics.impact import price_impact_bps
from intags_env.metrics.plots import plot_facts
from intags_env.metrics.report import facts_from_json, facts_report, facts_to_json
from intags_env.metrics.series import (
    autocorrelation,
    excess_kurtosis,
    executed_volume,
    grid_times,
    imbalance,
    interval_sums,
    log_returns,
    mid_log_returns,
    mid_on_grid,
    pearson,
)

__all__ = [
    "RETURN_SCALES",
    "FactSeries",
    "autocorrelation",
    "excess_kurtosis",
    "executed_volume",
    "fact_series",
    "facts_from_json",
    "facts_report",
    "facts_to_json",
    "grid_times",
    "imbalance",
    "interval_sums",
    "log_returns",
    "mid_log_returns",
    "mid_on_grid",
    "pearson",
    "plot_facts",
    "price_impact_bps",
    "stylized_facts",
]
