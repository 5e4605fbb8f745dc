"""Probe 2: the price-impact curve of a percentage-of-volume (POV) trader, for any market.

For each seed the market runs once without the trader and once per participation rate with it; all runs
share the seed (common random numbers), so the background is identical until the trader's first fill
and the gap between the two mid paths is its impact. This is :func:`intags_env.metrics.pov.pov_impact`
through the ``Background`` interface (so it measures learned generators too), with the same trader: every
``interval_s`` it buys (or sells) ``participation`` x the volume the others traded since its last
decision, with an immediate-or-cancel limit at the opposite touch. It first decides one interval after
the window start and trades until ``horizon_s`` after it.

The impact of a seed is ``side * 1e4 * (mid_with / mid_without - 1)`` on a ``grid_s`` grid, averaged over
the last tenth of the horizon (as ``ImpactResult.final_bps``): in basis points, positive in the trader's
direction. The curve reports its mean over seeds and the standard error of that mean. A seed whose mid is
undefined (a side of the book empty) throughout that tail in either run has no impact (NaN): it is left
out of the mean and the error, and ``ImpactCurve.valid`` counts the seeds that remain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..envs.background import Background
from ..envs.session import TradingSession
from ..metrics.impact import price_impact_bps
from ..world.config import NS_PER_SECOND
from .probes_market import MarketLike, SeedTask, as_market, finite_mean_and_se, run_seeds, seed_list
from .probes_metaorder import Metaorder, metaorder_path

__all__ = ["ImpactCurve", "impact_curve", "mid_paths"]


@dataclass(frozen=True)
class ImpactCurve:
    """Mean impact (bps) per participation rate, with standard errors, and the per-seed values."""

    market: str
    participation_rates: tuple[float, ...]
    side: int
    seeds: tuple[int, ...]
    impact_bps: np.ndarray  # (rates, seeds): each seed's impact over the last tenth of the horizon
    traded: np.ndarray  # (rates, seeds): shares the trader got

    @property
    def valid(self) -> np.ndarray:
        """Seeds per rate with a defined impact (NaN where the mid was undefined, a side of the book empty,
        throughout the last tenth of the horizon in either run): the means and errors are over these."""
        return np.isfinite(self.impact_bps).sum(axis=1)

    @property
    def mean_bps(self) -> np.ndarray:
        return np.array([finite_mean_and_se(row)[0] for row in self.impact_bps])

    @property
    def se_bps(self) -> np.ndarray:
        return np.array([finite_mean_and_se(row)[1] for row in self.impact_bps])

    def summary(self) -> dict[str, float]:
        """Per rate: mean (``impact_0.1_bps``), standard error (``impact_0.1_se``), seeds with a defined
        impact (``impact_0.1_n``) and mean shares traded (``traded_0.1``)."""
        out: dict[str, float] = {}
        for rate, mean, se, n, traded in zip(
            self.participation_rates, self.mean_bps, self.se_bps, self.valid, self.traded.mean(axis=1)
        ):
            out[f"impact_{rate:g}_bps"] = float(mean)
            out[f"impact_{rate:g}_se"] = float(se)
            out[f"impact_{rate:g}_n"] = int(n)
            out[f"traded_{rate:g}"] = float(traded)
        return out


def _check_rate(rate: float) -> None:
    if not isinstance(rate, (int, float, np.floating)) or not 0 < rate <= 1:
        raise ValueError(f"participation rates must be in (0, 1], got {rate!r}")


def _side(side: int | str) -> int:
    codes = {"buy": 1, "sell": -1, 1: 1, -1: -1}
    if isinstance(side, bool) or side not in codes:
        raise ValueError(f"side must be 'buy', 'sell', +1 or -1, got {side!r}")
    return codes[side]


def mid_paths(
    session: TradingSession,
    seed: int,
    window: tuple[int, int],
    participation: float | None,
    side: int,
    interval_s: float,
    horizon_s: float,
    grid_s: float,
) -> tuple[np.ndarray, int]:
    """One session of ``session``'s market (participant 0 = the POV trader, idle when ``participation`` is
    None): the mid (cents, NaN with an empty side) at ``window start + k grid_s`` up to the horizon, and
    the shares the trader got — the POV metaorder of :func:`.probes_metaorder.metaorder_path`, trading
    (at the touch) and watched over the same ``horizon_s``."""
    metaorder = None if participation is None else Metaorder("pov", participation, side)
    return metaorder_path(session, seed, window[0], metaorder, horizon_s, interval_s, grid_s, 0.0, horizon_s)


@dataclass(frozen=True)
class _ImpactTask(SeedTask):
    rates: tuple[float, ...]
    side: int
    interval_s: float
    horizon_s: float | None
    grid_s: float

    def run(self, background: Background, window: tuple[int, int], seed: int) -> list[tuple[float, int]]:
        """(impact bps, shares traded) per rate on one seed."""
        horizon_s = self.horizon_s if self.horizon_s is not None else (window[1] - window[0]) / NS_PER_SECOND
        if horizon_s * NS_PER_SECOND > window[1] - window[0]:
            raise ValueError(
                f"horizon_s {horizon_s} is longer than the probes' window ({(window[1] - window[0]) / 1e9} s)"
            )
        session = TradingSession(background, n_learners=1)
        args = (self.side, self.interval_s, horizon_s, self.grid_s)
        without, _ = mid_paths(session, seed, window, None, *args)
        out = []
        for rate in self.rates:
            with_trader, traded = mid_paths(session, seed, window, rate, *args)
            impact = price_impact_bps(with_trader, without, self.side)
            tail = impact[-max(1, len(impact) // 10) :]
            out.append((float(np.nanmean(tail)) if np.isfinite(tail).any() else float("nan"), traded))
        return out


def impact_curve(
    market: MarketLike,
    seeds: Sequence[int] | int,
    participation_rates: Sequence[float] = (0.01, 0.05, 0.1, 0.2),
    side: int | str = "buy",
    horizon_s: float | None = None,
    *,
    interval_s: float = 10.0,
    grid_s: float = 1.0,
    workers: int = 1,
    progress: bool = False,
) -> ImpactCurve:
    """The POV trader's mean impact per participation rate on ``market`` (see the module doc).

    ``horizon_s``: how long the trader trades from the window start (default: the whole window).
    Same seeds, same numbers (for any ``workers``; with ``workers > 1`` call it under
    ``if __name__ == "__main__":``).
    """
    market = as_market(market)
    seeds = seed_list(seeds)
    rates = tuple(float(r) for r in participation_rates)
    if not rates:
        raise ValueError("need at least one participation rate")
    for rate in rates:
        _check_rate(rate)
    side_code = _side(side)
    if not interval_s > 0 or not grid_s > 0:
        raise ValueError(f"interval_s and grid_s must be positive, got {interval_s}, {grid_s}")
    if horizon_s is not None and not horizon_s >= max(interval_s, grid_s):
        raise ValueError(f"horizon_s must be at least interval_s and grid_s, got {horizon_s}")
    task = _ImpactTask(rates, side_code, float(interval_s), horizon_s, float(grid_s))
    rows = run_seeds(task, market, seeds, workers=workers, progress=progress, desc=f"impact {market.name}")
    values = np.array([[r[0] for r in row] for row in rows]).T  # (rates, seeds)
    traded = np.array([[r[1] for r in row] for row in rows]).T
    return ImpactCurve(market.name, rates, side_code, tuple(seeds), values, traded)
