"""PNG figures of the stylized facts, several datasets overlaid (e.g. real AMZN vs a simulation).

matplotlib is imported lazily inside the functions (``import intags_env.metrics`` stays light) and figures
are drawn on an explicit Agg canvas, without pyplot, so no global backend state is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from intags_env.data import NS_PER_SECOND, LobsterData
from intags_env.metrics.facts import FactSeries, fact_series

__all__ = ["plot_facts"]

_HOUR_NS = 3600 * NS_PER_SECOND
_PRICE_UNITS_PER_USD = 10_000


def plot_facts(datas: Mapping[str, LobsterData], out_dir: str | Path) -> list[Path]:
    """Write one PNG per fact family into ``out_dir`` (created if needed), datasets overlaid by name.

    Figures: mid-price path, return distribution vs normal (log y), autocorrelation of r and |r| by lag,
    spread histogram, depth histograms, order-size distribution, inter-arrival distribution and
    per-minute volume vs |return|. Returns the written paths.
    """
    if not datas:
        raise ValueError("plot_facts needs at least one dataset")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    series = {name: fact_series(data) for name, data in datas.items()}
    figures: dict[str, tuple[Callable[..., None], int]] = {
        "mid_price": (_plot_mid, 2),
        "return_distribution": (_plot_return_distribution, 2),
        "autocorrelation": (_plot_autocorrelation, 2),
        "spread": (_plot_spread, 1),
        "depth": (_plot_depth, 2),
        "order_size": (_plot_order_size, 1),
        "interarrival": (_plot_interarrival, 1),
        "volume_volatility": (_plot_volume_volatility, 1),
    }
    paths = []
    for stem, (draw, n_axes) in figures.items():
        fig, axes = _new_figure(n_axes)
        draw(axes, series)
        for ax in axes:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
        paths.append(_save(fig, out_dir / f"{stem}.png"))
    return paths


# --------------------------------------------------------------------------------------------- figures
def _plot_mid(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Mid (USD) and cumulative log return (%) against the hour of the day, on the 10-second grid."""
    for name, s in series.items():
        hours = s.mid_grid_ns / _HOUR_NS
        axes[0].plot(hours, s.mid / _PRICE_UNITS_PER_USD, lw=0.8, label=name)
        first = s.mid[np.isfinite(s.mid)][:1]
        if first.size:
            axes[1].plot(hours, 100 * np.log(s.mid / first[0]), lw=0.8, label=name)
    _labels(axes[0], "hour of day", "mid price (USD)", "Mid price (10 s grid)")
    _labels(axes[1], "hour of day", "log return from first mid (%)", "Cumulative return")


def _plot_return_distribution(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Histogram density of standardised returns at 10 s and 1 min, log y, against N(0, 1)."""
    z_grid = np.linspace(-8, 8, 400)
    for ax, label in zip(axes, ("10s", "1min")):
        for name, s in series.items():
            r = s.returns[label]
            if r.size > 1 and np.std(r) > 0:
                z = (r - r.mean()) / r.std()
                ax.hist(z, bins=np.linspace(-8, 8, 65), density=True, histtype="step", label=name)
        ax.plot(z_grid, stats.norm.pdf(z_grid), "k--", lw=0.8, label="normal")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-5)
        _labels(ax, "standardised log return", "density", f"Returns, {label}")


def _plot_autocorrelation(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Autocorrelation of r (solid) and |r| (dashed) by lag, at 10 s and 1 min."""
    for ax, label in zip(axes, ("10s", "1min")):
        for i, (name, s) in enumerate(series.items()):
            color = f"C{i}"
            ax.plot(s.acf_lags, s.acf_returns[label], "o-", ms=3, color=color, label=f"{name} r")
            ax.plot(s.acf_lags, s.acf_abs_returns[label], "s--", ms=3, color=color, label=f"{name} |r|")
        ax.axhline(0, color="k", lw=0.5)
        _labels(ax, "lag", "autocorrelation", f"Autocorrelation, {label} returns")


def _plot_spread(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Share of message rows at each spread (ticks), up to the 99th percentile of all datasets."""
    spreads = [s.spread_ticks for s in series.values() if s.spread_ticks.size]
    top = max((np.quantile(x, 0.99) for x in spreads), default=1.0)
    bins = np.arange(-0.5, np.ceil(top) + 1.5, 1.0)
    for name, s in series.items():
        if s.spread_ticks.size:
            axes[0].hist(s.spread_ticks, bins=bins, density=True, histtype="step", label=name)
    _labels(axes[0], "spread (ticks)", "share of message rows", "Spread")


def _plot_depth(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Share of message rows per (log-spaced) depth bin, bid solid, ask dashed; level-5 depth when present."""
    for ax, depth, title in zip(axes, ("l1", "l5"), ("Depth at level 1", "Depth, 5 levels")):
        for i, (name, s) in enumerate(series.items()):
            for side, style in (("bid", "-"), ("ask", "--")):
                x = getattr(s, f"depth_{depth}_{side}")
                if x is not None and np.any(x > 0):
                    x = x[x > 0]
                    _share_hist(ax, x, _log_bins(x), ls=style, color=f"C{i}", label=f"{name} {side}")
        ax.set_xscale("log")
        _labels(ax, "shares", "share of message rows", title)


def _plot_order_size(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Complementary CDF P(size >= x) of new limit order sizes, log-log."""
    for name, s in series.items():
        _ccdf(axes[0], s.order_sizes[s.order_sizes > 0], name)
    _labels(axes[0], "order size (shares)", "P(size >= x)", "New limit order sizes")


def _plot_interarrival(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Complementary CDF of positive inter-arrival times, log-log (simultaneous messages left out)."""
    for name, s in series.items():
        gaps = s.interarrival_s
        zero = float(np.mean(gaps == 0)) if gaps.size else float("nan")
        _ccdf(axes[0], gaps[gaps > 0], f"{name} ({zero:.0%} zero gaps)")
    _labels(axes[0], "inter-arrival time (s)", "P(gap >= x)", "Message inter-arrival times")


def _plot_volume_volatility(axes: list[Any], series: Mapping[str, FactSeries]) -> None:
    """Per-minute executed volume against per-minute |1-min return| (bp)."""
    for name, s in series.items():
        axes[0].scatter(s.minute_volume, 1e4 * s.minute_abs_return, s=6, alpha=0.6, label=name)
    _labels(axes[0], "executed volume per minute (shares)", "|1-min return| (bp)", "Volume vs volatility")


# --------------------------------------------------------------------------------------------- helpers
def _new_figure(n_axes: int) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6 * n_axes, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_axes, squeeze=False)[0]
    return fig, list(axes)


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def _labels(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)


def _log_bins(x: np.ndarray, n: int = 40) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    return np.geomspace(lo, hi * 1.001 if hi > lo else lo * 2, n)


def _share_hist(ax: Any, x: np.ndarray, bins: np.ndarray, **style: Any) -> None:
    """Step histogram whose bar heights are shares of the sample (sum 1), whatever the bin widths."""
    ax.hist(x, bins=bins, weights=np.full(x.size, 1.0 / x.size), histtype="step", **style)


def _ccdf(ax: Any, x: np.ndarray, label: str) -> None:
    """Empirical P(X >= x) at each distinct value, log-log axes (nothing drawn for an empty sample)."""
    if x.size == 0:
        return
    values, counts = np.unique(x, return_counts=True)
    survival = 1.0 - np.concatenate(([0], np.cumsum(counts)[:-1])) / x.size
    ax.step(values, survival, where="post", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
