"""How a market answers metaorders, as a report: the square-root fit, the decay, buy/sell symmetry,
plots. What ``intags impact`` and ``benchmarks/impact.py`` print; the runs are
:func:`.probes_metaorder.metaorder_runs`, the fit :func:`intags_env.metrics.square_root.fit_square_root`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..envs.world_agents import is_world_agent_file
from ..metrics.square_root import SquareRootFit, decay_ratio, fit_square_root
from ..world import WorldConfig
from ..world.config import NS_PER_SECOND, format_time_of_day, parse_time_of_day
from .probes_market import MarketLike, MarketWindow, as_market, finite_mean_and_se
from .probes_metaorder import DailyScale, Metaorder, MetaorderRuns, daily_scale, metaorder_runs

__all__ = [
    "DEFAULT_POV",
    "DEFAULT_TWAP",
    "MarketImpact",
    "impact_window",
    "measure_impact",
    "plot_impact",
    "recipes",
]

#: Participation rates of the POV metaorders and sizes (shares) of the TWAP ones.
DEFAULT_POV = (0.02, 0.05, 0.1, 0.2, 0.4)
DEFAULT_TWAP = (500, 1_000, 2_000, 4_000)


def impact_window(
    spec: str | WorldConfig, duration_s: float, start: str | None = None, label: str | None = None
) -> MarketWindow:
    """Where a market's metaorders run: a model (``.zip``, ``.pt``) in the window it was trained for; an
    agent-based market from ``start`` (default 09:35: five minutes after its opening, so the book has
    built up) to three durations later plus a minute (the metaorder, its decay, a margin)."""
    if is_world_agent_file(spec):
        return MarketWindow(spec, start=start, label=label)
    begin = parse_time_of_day(start or "09:35", "start")
    end = begin + int(round((3 * duration_s + 60) * NS_PER_SECOND))
    return MarketWindow(spec, start=format_time_of_day(begin), end=format_time_of_day(end), label=label)


def recipes(pov: Sequence[float] = DEFAULT_POV, twap: Sequence[int] = DEFAULT_TWAP) -> tuple[Metaorder, ...]:
    """Every POV rate and TWAP size, buying and selling."""
    return tuple(
        Metaorder(kind, size, side)
        for side in (1, -1)
        for kind, sizes in (("pov", pov), ("twap", twap))
        for size in sizes
    )


@dataclass(frozen=True)
class MarketImpact:
    """One market's answer to metaorders (see the module doc): the fit, the decay, and per recipe its
    mean shares, Q/V_D, peak (mean, standard error) and what remains one and two durations later."""

    market: str
    fit: SquareRootFit
    scale: DailyScale
    remaining_1x: float
    remaining_2x: float
    mirror_gap_bp: float  # mean peak of the buys minus that of the sells, over matched recipes
    mirror_gap_se: float
    rows: tuple[dict, ...]
    broken_runs: int = 0  # runs whose market broke down (a generator that ran away), left out

    def figures(self, suffix: str = "") -> dict[str, float]:
        f = self.fit
        return {
            f"beta{suffix}": f.beta,
            f"beta_ci_low{suffix}": f.beta_ci[0],
            f"beta_ci_high{suffix}": f.beta_ci[1],
            f"y_factor{suffix}": f.y_factor,
            f"remaining_1x{suffix}": self.remaining_1x,
            f"remaining_2x{suffix}": self.remaining_2x,
            f"mirror_gap_bp{suffix}": self.mirror_gap_bp,
            f"broken_runs{suffix}": float(self.broken_runs),
        }

    def table(self) -> str:
        s = self.scale
        head = (
            f"{'metaorder':<18}{'shares':>9}{'Q/V_D':>10}{'peak bp':>9}{'se':>7}{'1x later':>10}"
            f"{'2x later':>10}"
        )
        lines = [
            f"{self.market}: V_D {s.daily_volume:,.0f} shares, sigma_D {s.sigma_bp:.1f} bp ({s.source})",
            head,
        ]
        for r in self.rows:
            lines.append(
                f"{r['metaorder']:<18}{r['shares']:>9,.0f}{r['q_over_v']:>10.5f}{r['peak_bp']:>9.2f}"
                f"{r['peak_se']:>7.2f}{r['at_1x_bp']:>10.2f}{r['at_2x_bp']:>10.2f}"
            )
        f = self.fit
        lines.append(
            f"beta {f.beta:.3f} [{f.beta_ci[0]:.3f}, {f.beta_ci[1]:.3f}]  Y {f.y_factor:.3f} "
            f"[{f.y_ci[0]:.3f}, {f.y_ci[1]:.3f}]  remaining {self.remaining_1x:.2f} (1x) "
            f"{self.remaining_2x:.2f} (2x)  buy-sell peak gap {self.mirror_gap_bp:+.2f} "
            f"± {self.mirror_gap_se:.2f} bp"
        )
        if self.broken_runs:
            lines.append(f"{self.broken_runs} runs broke down (the market ran away) and are left out")
        return "\n".join(lines)


def summarize(runs: MetaorderRuns, scale: DailyScale, n_boot: int = 2000) -> MarketImpact:
    """The report of finished runs, against the market's daily scale."""
    peak, at_1x, at_2x = runs.peak, runs.at_1x, runs.at_2x
    fit = fit_square_root(peak, runs.traded, scale.daily_volume, scale.sigma_bp, n_boot=n_boot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a recipe whose every run broke down: NaN
        shares = np.nanmean(runs.traded, axis=1).tolist()
    rows = []
    for k, m in enumerate(runs.metaorders):
        mean, se = finite_mean_and_se(peak[k])
        rows.append(
            {
                "metaorder": m.label,
                "shares": shares[k],
                "q_over_v": shares[k] / scale.daily_volume,
                "broken_runs": int(runs.failed[k].sum()),
                "peak_bp": mean,
                "peak_se": se,
                "at_1x_bp": finite_mean_and_se(at_1x[k])[0],
                "at_2x_bp": finite_mean_and_se(at_2x[k])[0],
            }
        )
    index = {m: k for k, m in enumerate(runs.metaorders)}
    pairs = [(k, index[Metaorder(m.kind, m.size, -1)]) for m, k in index.items()
             if m.side > 0 and Metaorder(m.kind, m.size, -1) in index]  # fmt: skip
    gap, gap_se = float("nan"), float("nan")
    if pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a seed with no matched pair left: NaN
            per_seed = np.nanmean(np.array([peak[b] - peak[s] for b, s in pairs]), axis=0)
        gap, gap_se = finite_mean_and_se(per_seed)
    return MarketImpact(
        runs.market,
        fit,
        scale,
        decay_ratio(peak, at_1x),
        decay_ratio(peak, at_2x),
        gap,
        gap_se,
        tuple(rows),
        int(runs.failed.sum()),
    )


def measure_impact(
    market: MarketLike,
    seeds: Sequence[int] | int = 50,
    duration_s: float = 300.0,
    metaorders: Sequence[Metaorder] | None = None,
    *,
    scale_seeds: Sequence[int] = (0, 1, 2),
    workers: int = 1,
    progress: bool = False,
    n_boot: int = 2000,
) -> tuple[MarketImpact, MetaorderRuns]:
    """Run every metaorder on ``market`` (default :func:`recipes`) and report (see the module doc)."""
    market = as_market(market)
    runs = metaorder_runs(
        market, metaorders or recipes(), seeds, duration_s, workers=workers, progress=progress
    )
    return summarize(runs, daily_scale(market, scale_seeds), n_boot), runs


def plot_impact(results: Sequence[tuple[MarketImpact, MetaorderRuns]], out_dir: str | Path) -> list[Path]:
    """``impact_vs_size.png`` (peak impact against Q/V_D on log-log axes, each market's fitted
    square-root line) and ``impact_decay.png`` (each market's mean impact path relative to its mean peak,
    with a 95 % band over seeds, the metaorder's end and one and two durations later marked)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(6.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for i, (report, _) in enumerate(results):
        color = f"C{i}"
        x = np.array([r["q_over_v"] for r in report.rows])
        y = np.array([r["peak_bp"] for r in report.rows])
        se = np.array([r["peak_se"] for r in report.rows])
        shown = (x > 0) & (y > 0)
        label = f"{report.market}: β {report.fit.beta:.2f}, Y {report.fit.y_factor:.2f}"
        ax.errorbar(x[shown], y[shown], yerr=se[shown], fmt="o", color=color, ms=4, capsize=2, label=label)
        if shown.any() and np.isfinite(report.fit.y_factor) and report.fit.y_factor > 0:
            line = np.geomspace(x[shown].min(), x[shown].max(), 50)
            ax.plot(line, report.fit.y_factor * report.scale.sigma_bp * np.sqrt(line), color=color, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Q / V_D (metaorder shares / daily volume)")
    ax.set_ylabel("peak impact (bp)")
    ax.set_title("Metaorder impact; lines: Y sigma_D √(Q/V_D)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths = [out / "impact_vs_size.png"]
    fig.savefig(paths[0], dpi=110)

    fig = Figure(figsize=(6.5, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for i, (report, runs) in enumerate(results):
        total = np.nansum(runs.paths, axis=0)  # (seeds, grid): every metaorder of the seed together
        peak = np.nanmean(np.nansum(runs.peak, axis=0))
        if not peak > 0:
            continue
        mean = np.nanmean(total, axis=0) / peak
        band = 1.96 * np.nanstd(total, axis=0, ddof=1) / np.sqrt(total.shape[0]) / peak
        t = runs.times_s / runs.duration_s
        ax.plot(t, mean, color=f"C{i}", lw=1, label=report.market)
        ax.fill_between(t, mean - band, mean + band, color=f"C{i}", alpha=0.2, lw=0)
    for x in (1, 2, 3):
        ax.axvline(x, color="grey", lw=0.5, ls=":")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("time / metaorder duration (the metaorder trades in [0, 1])")
    ax.set_ylabel("impact / mean peak impact")
    ax.set_title("Impact during and after the metaorder (95 % band over seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "impact_decay.png")
    fig.savefig(paths[1], dpi=110)
    return paths
