"""Probe: metaorders of many sizes in any market — peak impact, its decay, and the square-root law.

A *metaorder* buys (or sells) over ``duration_s`` from the window start, deciding every ``interval_s``
with an immediate-or-cancel limit ``reach_bp`` of the price through the opposite touch (it takes what the
book offers up to there; 0: the touch alone): ``POV`` trades a participation rate of the
volume the others traded since its last decision, ``TWAP`` works a fixed number of shares in equal
slices (what a slice cannot fill is carried to the next). The mid is then watched for twice the
duration after the metaorder ends.

**Variance reduction: common random numbers.** Every seed runs the market once without a metaorder and
once per metaorder with it; the runs share the seed, so they are identical until the metaorder's first
fill, and the impact of a run is the gap between its mid path and the baseline's
(:func:`intags_env.metrics.price_impact_bps`, positive in the metaorder's direction). Buys and sells are
both run; a market answering them alike is mirror-symmetric.

Per run: ``peak`` is the mean impact over the last tenth of the duration, ``at_1x`` and ``at_2x`` the
mean over a tenth of the duration ending one and two durations after the metaorder's end. The
square-root fit (:mod:`intags_env.metrics.square_root`) takes each recipe's mean peak and mean shares
traded over the seeds, against the market's daily volume and volatility (:func:`daily_scale`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..envs.background import Background
from ..envs.protocol import Order
from ..envs.session import TradingSession
from ..envs.world_agents import is_world_agent_file
from ..metrics.impact import price_impact_bps
from ..metrics.series import executed_volume, mid_log_returns
from ..world import WorldConfig, resolve_config
from ..world.config import NS_PER_SECOND, format_time_of_day
from ..world.simulate import simulate
from ..world.world import WorldError
from .markets import Market, market_session
from .probes_market import MarketLike, SeedTask, as_market, run_seeds, seed_list

__all__ = ["DailyScale", "Metaorder", "MetaorderRuns", "daily_scale", "metaorder_runs"]

#: Minutes in a trading day (09:30-16:00), to scale a shorter window's volume and volatility to a day.
DAY_MINUTES = 390


@dataclass(frozen=True)
class Metaorder:
    """One recipe: ``kind`` 'pov' (``size`` = participation rate in (0, 1]) or 'twap' (``size`` = shares);
    ``side`` +1 buys, -1 sells."""

    kind: str
    size: float
    side: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("pov", "twap"):
            raise ValueError(f"a metaorder is 'pov' or 'twap', got {self.kind!r}")
        if self.side not in (1, -1):
            raise ValueError(f"side must be +1 or -1, got {self.side!r}")
        if self.kind == "pov" and not 0 < self.size <= 1:
            raise ValueError(f"a POV participation rate is in (0, 1], got {self.size!r}")
        if self.kind == "twap" and not (self.size >= 1 and float(self.size).is_integer()):
            raise ValueError(f"a TWAP size is a whole number of shares, got {self.size!r}")

    @property
    def label(self) -> str:
        what = f"POV {self.size:.0%}" if self.kind == "pov" else f"TWAP {int(self.size):,}"
        return f"{what} {'buy' if self.side > 0 else 'sell'}"


def metaorder_path(
    session: TradingSession,
    seed: int,
    start: int,
    metaorder: Metaorder | None,
    duration_s: float,
    interval_s: float,
    grid_s: float,
    reach_bp: float = 0.0,
    watch_s: float | None = None,
) -> tuple[np.ndarray, int]:
    """One session (participant 0 = the metaorder, idle when ``metaorder`` is None): the mid (cents, NaN
    with an empty side) every ``grid_s`` from ``start`` to ``watch_s`` later (default: three durations),
    and the shares traded. Runs with and without a metaorder make the same calls, so without trades they
    are equal."""
    duration = int(round(duration_s * NS_PER_SECOND))
    interval = int(round(interval_s * NS_PER_SECOND))
    watch = 3 * duration if watch_s is None else int(round(watch_s * NS_PER_SECOND))
    grid = start + np.arange(0, watch + 1, int(round(grid_s * NS_PER_SECOND)))
    decisions = start + interval * np.arange(1, duration // interval + 1)
    decisions = decisions[decisions < start + duration]
    times = np.union1d(grid, decisions)
    session.reset(seed)
    session.advance(start)
    seen, others, traded = session.world.n_trades, 0, 0
    owner = session.owner(0)
    mids = np.full(len(grid), np.nan)
    is_grid, is_decision = np.isin(times, grid).tolist(), np.isin(times, decisions).tolist()
    left_decisions = len(decisions)
    k = 0
    for t, on_grid, decide in zip(times.tolist(), is_grid, is_decision):
        session.advance(t)
        if decide:
            trades = session.world.trades_since(seen)
            seen += len(trades)
            mine = (trades["maker_owner"] == owner) | (trades["taker_owner"] == owner)
            others += int(trades["qty"][~mine].sum())
            traded += int(trades["qty"][mine].sum())
            if metaorder is not None:
                if metaorder.kind == "pov":
                    qty = int(round(metaorder.size * others))
                else:  # what is left of the parent, spread over the decisions left
                    qty = int(round((metaorder.size - traded) / left_decisions))
                bid, ask = session.top_of_book()
                touch = ask if metaorder.side > 0 else bid
                if qty > 0 and touch is not None:
                    reach = int(round(reach_bp * 1e-4 * touch))
                    price = max(1, touch + metaorder.side * reach)
                    session.submit(0, [Order(metaorder.side, qty, price, tif="ioc")])
            others = 0
            left_decisions -= 1
        if on_grid:
            mid = session.mid()
            mids[k] = np.nan if mid is None else mid
            k += 1
    trades = session.world.trades_since(seen)
    traded += int(trades["qty"][(trades["maker_owner"] == owner) | (trades["taker_owner"] == owner)].sum())
    return mids, traded


@dataclass(frozen=True)
class _MetaorderTask(SeedTask):
    metaorders: tuple[Metaorder, ...]
    duration_s: float
    interval_s: float
    grid_s: float
    reach_bp: float

    def run(
        self, background: Background, window: tuple[int, int], seed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per metaorder on one seed: its impact path (bp on the grid) and the shares it traded; NaN for a
        run whose market broke down (``WorldError``: e.g. a generator that ran away), all NaN if the run
        without a metaorder did."""
        if 3 * self.duration_s * NS_PER_SECOND > window[1] - window[0]:
            raise ValueError(
                f"three durations ({3 * self.duration_s:g} s: the metaorder and its decay) do not fit the "
                f"window ({(window[1] - window[0]) / NS_PER_SECOND:g} s)"
            )
        session = TradingSession(background, n_learners=1)
        args = (self.duration_s, self.interval_s, self.grid_s, self.reach_bp)
        n_grid = int(round(3 * self.duration_s / self.grid_s)) + 1
        paths = np.full((len(self.metaorders), n_grid), np.nan)
        traded = np.full(len(self.metaorders), np.nan)
        try:
            baseline, _ = metaorder_path(session, seed, window[0], None, *args)
        except WorldError:
            return paths, traded
        for k, metaorder in enumerate(self.metaorders):
            try:
                mids, shares = metaorder_path(session, seed, window[0], metaorder, *args)
            except WorldError:
                continue
            paths[k] = price_impact_bps(mids, baseline, metaorder.side)
            traded[k] = shares
        return paths, traded


@dataclass(frozen=True)
class MetaorderRuns:
    """Impact paths of every metaorder on every seed: ``paths`` (metaorders, seeds, grid), ``traded``
    (metaorders, seeds); the grid runs from the start to three durations later. A run whose market
    broke down is NaN in both (``failed``)."""

    market: str
    metaorders: tuple[Metaorder, ...]
    seeds: tuple[int, ...]
    duration_s: float
    grid_s: float
    paths: np.ndarray
    traded: np.ndarray

    def _mean_over(self, end_s: float) -> np.ndarray:
        """Mean impact over the tenth of the duration ending ``end_s`` after the start (NaN where the mid
        was undefined throughout): (metaorders, seeds)."""
        n = int(round(end_s / self.grid_s))
        width = max(1, int(round(0.1 * self.duration_s / self.grid_s)))
        tail = self.paths[:, :, n - width + 1 : n + 1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice: NaN, said in the doc
            return np.nanmean(tail, axis=2)

    @property
    def failed(self) -> np.ndarray:
        """Runs whose market broke down (metaorders, seeds)."""
        return np.isnan(self.traded)

    @property
    def peak(self) -> np.ndarray:
        """Impact at the metaorder's end (bp, (metaorders, seeds))."""
        return self._mean_over(self.duration_s)

    @property
    def at_1x(self) -> np.ndarray:
        """Impact one duration after the end."""
        return self._mean_over(2 * self.duration_s)

    @property
    def at_2x(self) -> np.ndarray:
        """Impact two durations after the end."""
        return self._mean_over(3 * self.duration_s)

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.paths.shape[2]) * self.grid_s


def metaorder_runs(
    market: MarketLike,
    metaorders: Sequence[Metaorder],
    seeds: Sequence[int] | int,
    duration_s: float = 300.0,
    *,
    interval_s: float = 10.0,
    grid_s: float = 1.0,
    reach_bp: float = 10.0,
    workers: int = 1,
    progress: bool = False,
) -> MetaorderRuns:
    """Every metaorder on every seed of ``market``, from its window start (see the module doc). Same
    seeds, same numbers, for any ``workers``."""
    market = as_market(market)
    seeds = seed_list(seeds)
    metaorders = tuple(metaorders)
    if not metaorders:
        raise ValueError("need at least one metaorder")
    if not reach_bp >= 0:
        raise ValueError(f"reach_bp must be non-negative, got {reach_bp}")
    if not (duration_s >= interval_s > 0 and duration_s >= grid_s > 0):
        raise ValueError(
            f"need duration_s >= interval_s, grid_s > 0, got {duration_s}, {interval_s}, {grid_s}"
        )
    task = _MetaorderTask(metaorders, float(duration_s), float(interval_s), float(grid_s), float(reach_bp))
    rows = run_seeds(
        task, market, seeds, workers=workers, progress=progress, desc=f"metaorders {market.name}"
    )
    paths = np.stack([p for p, _ in rows], axis=1)
    traded = np.stack([t for _, t in rows], axis=1)
    return MetaorderRuns(
        market.name, metaorders, tuple(seeds), float(duration_s), float(grid_s), paths, traded
    )


@dataclass(frozen=True)
class DailyScale:
    """A market's daily volume V_D (shares) and volatility sigma_D (bp), and how they were measured."""

    daily_volume: float
    sigma_bp: float
    source: str


def daily_scale(market: MarketLike, seeds: Sequence[int] = (0, 1, 2)) -> DailyScale:
    """V_D and sigma_D of ``market``, medians over ``seeds``: the traded volume, and the standard deviation
    of 1-minute mid returns scaled by sqrt(minutes). An agent-based market (preset or config) is measured
    on its own full days (its session run to 16:00); a model that only exists over its window (a
    generator) on that window, volume scaled by ``DAY_MINUTES`` / the window's minutes."""
    market = as_market(market)
    if isinstance(market.spec, (str, WorldConfig)) and not is_world_agent_file(market.spec):
        config = resolve_config(market.spec, end="16:00")
        days = [simulate(config, seed).lobster for seed in seeds]
        source = f"full days {config.start}-{config.end}, seeds {list(seeds)}"
    else:
        window = market.window_ns(market.background(0))
        start, end = (format_time_of_day(t) for t in window)
        days = [market_session(Market(market.name, market.spec), seed, start, end) for seed in seeds]
        source = f"{start}-{end} windows scaled to a {DAY_MINUTES}-minute day, seeds {list(seeds)}"
    volumes, sigmas, minutes = [], [], []
    for data in days:
        buy, sell = executed_volume(data)
        volumes.append(float(buy + sell))
        returns = mid_log_returns(data, 60 * NS_PER_SECOND)
        sigmas.append(float(np.std(returns, ddof=1)) * 1e4)
        minutes.append((data.end_ns - data.start_ns) / (60 * NS_PER_SECOND))
    minutes_median = float(np.median(minutes))
    scale = DAY_MINUTES / minutes_median if "scaled" in source else 1.0
    return DailyScale(
        float(np.median(volumes)) * scale, float(np.median(sigmas)) * np.sqrt(minutes_median * scale), source
    )
