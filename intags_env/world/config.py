"""Validated configuration of the background world: the agent population, the fundamental and the session.

Units follow the engine: prices in cents (one tick), sizes in shares (one lot), times in nanoseconds.
Rates are per nanosecond, as ABIDES states them; intervals are in seconds where that reads better.
Every dataclass checks its fields on construction and names the bad one.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from typing import Any

NS_PER_SECOND = 1_000_000_000


class ConfigError(ValueError):
    """An invalid world configuration parameter."""


def parse_time_of_day(value: str | int, name: str = "time of day") -> int:
    """'09:30', '09:30:00' or '09:30:00.5' (or nanoseconds after midnight) → nanoseconds after midnight.
    ``name`` (the field being read, e.g. ``end``) names the value in the ``ConfigError`` of a bad one."""
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be 'HH:MM[:SS[.fff]]' or ns after midnight, got {value!r}")
    if isinstance(value, int):
        ns = value
    else:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?", str(value).strip())
        if not m:
            raise ConfigError(f"{name} must look like '09:30' or '09:30:00', got {value!r}")
        h, mi, s, frac = m.groups()
        if int(mi) >= 60 or int(s or 0) >= 60:  # '09:75' would otherwise be read as 10:15
            raise ConfigError(f"{name} must have minutes and seconds below 60, got {value!r}")
        ns = ((int(h) * 60 + int(mi)) * 60 + int(s or 0)) * NS_PER_SECOND + int((frac or "0").ljust(9, "0"))
    if not 0 <= ns <= 24 * 3600 * NS_PER_SECOND:
        raise ConfigError(f"{name} must be within 00:00-24:00, got {value!r}")
    return ns


def format_time_of_day(ns: int) -> str:
    s, frac = divmod(int(ns), NS_PER_SECOND)
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    return text + (f".{frac:09d}".rstrip("0") if frac else "")


def _check(cond: bool, name: str, value: Any, requirement: str) -> None:
    if not cond:
        raise ConfigError(f"{name} must be {requirement}, got {value!r}")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _count(name: str, v: Any) -> None:
    _check(isinstance(v, int) and not isinstance(v, bool) and v >= 0, name, v, "a non-negative integer")


def _positive(name: str, v: Any) -> None:
    _check(_finite(v) and v > 0, name, v, "a positive number")


def _non_negative(name: str, v: Any) -> None:
    _check(_finite(v) and v >= 0, name, v, "a non-negative number")


def _probability(name: str, v: Any) -> None:
    _check(_finite(v) and 0 <= v <= 1, name, v, "a probability in [0, 1]")


@dataclass(frozen=True)
class OrderSizeConfig:
    """ABIDES' order-size mixture: log-normal(mu, sigma) with ``lognormal_weight``, else round lots of
    100, 200, ... with ``lot_weights`` (relative weights; they are normalised together with the first)."""

    lognormal_weight: float = 0.2
    mu: float = 2.9
    sigma: float = 1.2
    lot_weights: tuple[float, ...] = (0.7, 0.06, 0.004, 0.0329, 0.001, 0.0006, 0.0004, 0.0005, 0.0003, 0.0003)
    lot: int = 100

    def __post_init__(self) -> None:
        _non_negative("order_size.lognormal_weight", self.lognormal_weight)
        _check(_finite(self.mu), "order_size.mu", self.mu, "finite")
        _positive("order_size.sigma", self.sigma)
        _check(len(self.lot_weights) <= 16, "order_size.lot_weights", self.lot_weights, "at most 16 weights")
        for w in self.lot_weights:
            _non_negative("order_size.lot_weights[i]", w)
        _check(
            self.lognormal_weight + sum(self.lot_weights) > 0,
            "order_size weights",
            self.lot_weights,
            "not all zero",
        )
        _check(isinstance(self.lot, int) and self.lot >= 1, "order_size.lot", self.lot, "a positive integer")


@dataclass(frozen=True)
class OracleConfig:
    """Fundamental value: Ornstein-Uhlenbeck around ``r_bar`` with rare Poisson megashocks (ABIDES'
    sparse mean-reverting oracle).

    ``flow_impact`` > 0 (not in ABIDES) makes the value the agents observe respond to order flow: every
    aggressive order (its trades together) revises it by ``flow_impact * side * (shares / 100) **
    flow_exponent`` cents, of which ``flow_permanent`` stays and the rest decays with time constant
    ``flow_memory_s`` (never, if None). This is the propagator picture of price formation (Bouchaud,
    Gefen, Potters & Wyart 2004, "Fluctuations and response in financial markets: the subtle nature of
    'random' price changes", Quant. Finance 4; Kyle 1985 for the permanent, information-revealing part)
    with the concave single-order impact measured by Lillo, Farmer & Mantegna 2003 ("Master curve for
    price-impact function", Nature 421): value traders revise their fair value from signed order flow,
    so a metaorder moves what they believe, not just the book. The default, 0, leaves every run as it
    was."""

    r_bar: int = 100_000  # cents
    kappa: float = 1.67e-16  # mean reversion per ns
    fund_vol: float = 5e-5  # volatility (cents per sqrt(ns))
    megashock_rate: float = 2.77778e-18  # arrivals per ns
    megashock_mean: float = 1_000.0  # cents; the sign is random
    megashock_var: float = 50_000.0  # cents^2
    flow_impact: float = 0.0  # cents of revision per aggressive order of 100 shares; 0: none (ABIDES)
    flow_exponent: float = 0.5  # the revision grows as (order size / 100) ** flow_exponent
    flow_memory_s: float | None = None  # the transient part's decay time; None: every revision stays
    flow_permanent: float = 1.0  # share of each revision that never decays

    def __post_init__(self) -> None:
        _check(
            isinstance(self.r_bar, int) and self.r_bar > 0, "oracle.r_bar", self.r_bar, "a positive integer"
        )
        _positive("oracle.kappa", self.kappa)
        _non_negative("oracle.fund_vol", self.fund_vol)
        _non_negative("oracle.megashock_rate", self.megashock_rate)
        _non_negative("oracle.megashock_mean", self.megashock_mean)
        _non_negative("oracle.megashock_var", self.megashock_var)
        _non_negative("oracle.flow_impact", self.flow_impact)
        _check(_finite(self.flow_exponent) and 0 <= self.flow_exponent <= 1, "oracle.flow_exponent",
               self.flow_exponent, "in [0, 1]")  # fmt: skip
        if self.flow_memory_s is not None:
            _positive("oracle.flow_memory_s", self.flow_memory_s)
        _probability("oracle.flow_permanent", self.flow_permanent)


@dataclass(frozen=True)
class NoiseConfig:
    """Zero-intelligence agents: each wakes once in [wake_start, wake_end) and sends one limit order at the
    opposite touch (a buy at the best ask, a sell at the best bid, a fair coin) of a mixture size.

    ``wake_distribution`` 'u_quadratic' is ABIDES' (density ~ (x - 1/2)^2 over the window: most agents
    wake near its ends); 'uniform' spreads them evenly. Agents due before the session act at its open
    (into an empty book: nothing), as in ABIDES."""

    count: int = 1000
    wake_start: str | int = "09:00"
    wake_end: str | int = "16:00"
    wake_distribution: str = "u_quadratic"

    def __post_init__(self) -> None:
        _count("noise.count", self.count)
        _check(
            parse_time_of_day(self.wake_start, "noise.wake_start")
            < parse_time_of_day(self.wake_end, "noise.wake_end"),
            "noise.wake_end",
            self.wake_end,
            "after noise.wake_start",
        )
        _check(
            self.wake_distribution in ("u_quadratic", "uniform"),
            "noise.wake_distribution",
            self.wake_distribution,
            "'u_quadratic' or 'uniform'",
        )


@dataclass(frozen=True)
class ValueConfig:
    """Value agents: Poisson wake-ups (the first one after the open); each cancels its orders, observes the
    fundamental with noise, updates ABIDES' Bayesian estimate of the session-end value and sends one limit
    order towards it.

    ``sweep_margin`` (not in ABIDES; None keeps ABIDES' rule): an agent whose forecast lies more than
    ``sweep_margin`` ticks beyond the opposite touch (above the best ask for a buyer, below the best bid
    for a seller) prices its order at the forecast itself, so it takes every level up to its valuation
    and rests any remainder there. ABIDES' agents only ever price off the touch, so a moving fundamental
    moves the quotes by one-sided passive orders rather than by trades, which makes the per-minute
    volume and |return| uncorrelated or negatively correlated, unlike real markets."""

    count: int = 102
    arrival_rate: float = 5.7e-12  # wake-ups per ns (mean interval ~175 s)
    obs_noise_var: float | None = None  # sigma_n; None = r_bar / 100
    kappa: float = 1.67e-15  # the agents' belief of mean reversion, per ns
    sigma_s: float = 100_000.0  # the agents' belief of the fundamental's variance rate
    percent_aggressive: float = 0.1  # probability of an order at the opposite touch
    depth_spread: float = 2.0  # passive orders are placed up to depth_spread * spread from the touch
    sweep_margin: float | None = None  # ticks; None: never trade through the touch (ABIDES)

    def __post_init__(self) -> None:
        _count("value.count", self.count)
        _positive("value.arrival_rate", self.arrival_rate)
        if self.obs_noise_var is not None:
            _positive("value.obs_noise_var", self.obs_noise_var)
        _check(_finite(self.kappa) and 0 < self.kappa < 1, "value.kappa", self.kappa, "in (0, 1)")
        _non_negative("value.sigma_s", self.sigma_s)
        _probability("value.percent_aggressive", self.percent_aggressive)
        _non_negative("value.depth_spread", self.depth_spread)
        if self.sweep_margin is not None:
            _non_negative("value.sweep_margin", self.sweep_margin)


@dataclass(frozen=True)
class MarketMakerConfig:
    """Adaptive market makers (ABIDES' AdaptiveMarketMakerAgent): at each wake-up, cancel all quotes and
    post a ladder of ``num_ticks`` levels per side, each sized ``pov`` x the volume traded over the last
    ``wake_interval_s``, centred on the mid skewed by the trade imbalance, ``level_spacing`` x an EWMA of
    the spread apart. They also post an extra ladder whenever the book's volume imbalance crosses
    ``imbalance_threshold`` (ABIDES' book-imbalance subscription). As in ABIDES, a market maker whose first
    cycle finds a one-sided book never quotes (``revive`` = True changes that)."""

    count: int = 2
    pov: float = 0.025
    num_ticks: int = 10
    level_spacing: float = 5.0
    spread_alpha: float = 0.75
    price_skew: float = 4.0
    skew_beta: float = 0.0
    min_order_size: int = 1
    wake_interval_s: float = 60.0
    poisson: bool = True
    window_size: int | None = None  # None: adaptive (spread EWMA); else a fixed window in ticks
    initial_spread: float = 50.0  # ticks, the adaptive window's starting value (ABIDES' INITIAL_SPREAD_VALUE)
    backstop_quantity: int = 0
    imbalance_threshold: float = 0.9  # > 1 disables the imbalance-triggered ladders
    revive: bool = False

    def __post_init__(self) -> None:
        _count("market_makers.count", self.count)
        _probability("market_makers.pov", self.pov)
        _check(
            isinstance(self.num_ticks, int) and 1 <= self.num_ticks <= 50,
            "market_makers.num_ticks",
            self.num_ticks,
            "an integer in [1, 50]",
        )
        _positive("market_makers.level_spacing", self.level_spacing)
        _probability("market_makers.spread_alpha", self.spread_alpha)
        _non_negative("market_makers.price_skew", self.price_skew)
        _non_negative("market_makers.skew_beta", self.skew_beta)
        _check(
            isinstance(self.min_order_size, int) and self.min_order_size >= 1,
            "market_makers.min_order_size",
            self.min_order_size,
            "a positive integer",
        )
        _positive("market_makers.wake_interval_s", self.wake_interval_s)
        if self.window_size is not None:
            _check(
                isinstance(self.window_size, int) and self.window_size >= 1,
                "market_makers.window_size",
                self.window_size,
                "None (adaptive) or a positive integer",
            )
        _positive("market_makers.initial_spread", self.initial_spread)
        _count("market_makers.backstop_quantity", self.backstop_quantity)
        _non_negative("market_makers.imbalance_threshold", self.imbalance_threshold)


@dataclass(frozen=True)
class MomentumConfig:
    """Momentum agents: Poisson wake-ups; record the mid; once more than ``long_window`` mids are known,
    buy at the ask if the short moving average is at or above the long one, else sell at the bid.
    Sizes from the order-size mixture (as in ABIDES' RMSC04), or uniform in [min_size, max_size] when
    ``size_from_model`` is False."""

    count: int = 12
    wake_interval_s: float = 37.0
    min_size: int = 1
    max_size: int = 10
    size_from_model: bool = True
    short_window: int = 20
    long_window: int = 50
    poisson: bool = True

    def __post_init__(self) -> None:
        _count("momentum.count", self.count)
        _positive("momentum.wake_interval_s", self.wake_interval_s)
        _check(
            isinstance(self.min_size, int) and self.min_size >= 1,
            "momentum.min_size",
            self.min_size,
            "a positive integer",
        )
        _check(
            isinstance(self.max_size, int) and self.max_size >= self.min_size,
            "momentum.max_size",
            self.max_size,
            "an integer >= min_size",
        )
        _check(
            isinstance(self.short_window, int) and self.short_window >= 1,
            "momentum.short_window",
            self.short_window,
            "a positive integer",
        )
        _check(
            isinstance(self.long_window, int) and self.short_window < self.long_window <= 1024,
            "momentum.long_window",
            self.long_window,
            "an integer in (short_window, 1024]",
        )


@dataclass(frozen=True)
class LatencyConfig:
    """One-way message delay between each agent and the exchange.

    'none': instant. 'fixed': ``fixed_ns`` for every agent. 'line': ABIDES' deterministic model, agents
    and the exchange at uniform positions on a ``line_length_m`` line, delay = distance / speed of light.
    An agent acts on the book as it was when its query reached the exchange, and its orders arrive two
    delays after that (a round trip), as in ABIDES' query-response-order cycle."""

    model: str = "none"
    fixed_ns: int = 0
    line_length_m: float = 3_866_660.0

    def __post_init__(self) -> None:
        _check(
            self.model in ("none", "fixed", "line"), "latency.model", self.model, "'none', 'fixed' or 'line'"
        )
        _count("latency.fixed_ns", self.fixed_ns)
        _positive("latency.line_length_m", self.line_length_m)


@dataclass(frozen=True)
class BookConfig:
    """The exchange's capacities and what the record keeps.

    A background agent's order priced off the book's grid (possible only after some participant drained a
    side of the book, so that spreads and ladder spacings explode) is not sent; ``SimulationResult``'s
    ``n_skipped_orders`` counts them. A participant's order off the grid is an error."""

    n_levels: int = 1 << 17  # ticks around r_bar: prices r_bar - n_levels/2 .. r_bar + n_levels/2 - 1
    max_orders: int = 1 << 16
    record_levels: int = 10  # book levels recorded after each message (LOBSTER's L)

    def __post_init__(self) -> None:
        _check(
            isinstance(self.n_levels, int) and self.n_levels >= 64,
            "book.n_levels",
            self.n_levels,
            "an integer >= 64",
        )
        _check(
            isinstance(self.max_orders, int) and self.max_orders >= 16,
            "book.max_orders",
            self.max_orders,
            "an integer >= 16",
        )
        _check(
            isinstance(self.record_levels, int) and 1 <= self.record_levels <= 50,
            "book.record_levels",
            self.record_levels,
            "an integer in [1, 50]",
        )


@dataclass(frozen=True)
class WorldConfig:
    """A whole background market. ``start``/``end`` bound the session (default 09:30-10:00)."""

    name: str = "custom"
    start: str | int = "09:30"
    end: str | int = "10:00"
    oracle: OracleConfig = field(default_factory=OracleConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    value: ValueConfig = field(default_factory=ValueConfig)
    market_makers: MarketMakerConfig = field(default_factory=MarketMakerConfig)
    momentum: MomentumConfig = field(default_factory=MomentumConfig)
    order_size: OrderSizeConfig = field(default_factory=OrderSizeConfig)
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    book: BookConfig = field(default_factory=BookConfig)
    ticker: str = "ABM"
    date: str = "2026-01-02"

    def __post_init__(self) -> None:
        start, end = parse_time_of_day(self.start, "start"), parse_time_of_day(self.end, "end")
        _check(start < end, "end", self.end, f"after start ({self.start})")
        _check(end <= 16 * 3600 * NS_PER_SECOND, "end", self.end, "at or before 16:00")
        _check(
            start % 1_000_000 == 0 and end % 1_000_000 == 0,
            "start/end",
            (self.start, self.end),
            "whole milliseconds (LOBSTER file names hold ms)",
        )
        _check(bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date)), "date", self.date, "'YYYY-MM-DD'")
        _check(bool(re.fullmatch(r"[A-Za-z0-9.]+", self.ticker)), "ticker", self.ticker, "alphanumeric")
        _check(
            self.oracle.r_bar > self.book.n_levels // 2,
            "book.n_levels",
            self.book.n_levels,
            f"at most 2 * r_bar ({2 * self.oracle.r_bar}) so every tick is a positive price",
        )

    @cached_property
    def start_ns(self) -> int:
        return parse_time_of_day(self.start)

    @cached_property
    def end_ns(self) -> int:
        return parse_time_of_day(self.end)

    @cached_property
    def n_agents(self) -> int:
        return self.noise.count + self.value.count + self.market_makers.count + self.momentum.count

    @cached_property
    def min_price(self) -> int:
        """Price in cents of tick 0 of the book."""
        return self.oracle.r_bar - self.book.n_levels // 2

    def with_session(self, start: str | int | None = None, end: str | int | None = None) -> WorldConfig:
        return replace(
            self, start=self.start if start is None else start, end=self.end if end is None else end
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorldConfig:
        """Inverse of ``to_dict``; unknown keys are an error (a typo must not pass silently)."""
        parts = {f.name: f for f in fields(cls)}
        sub = {
            "oracle": OracleConfig,
            "noise": NoiseConfig,
            "value": ValueConfig,
            "market_makers": MarketMakerConfig,
            "momentum": MomentumConfig,
            "order_size": OrderSizeConfig,
            "latency": LatencyConfig,
            "book": BookConfig,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in parts:
                raise ConfigError(f"unknown world config key {key!r}; known: {sorted(parts)}")
            if key in sub:
                known = {f.name for f in fields(sub[key])}
                bad = set(value) - known
                if bad:
                    raise ConfigError(f"unknown {key} config key(s) {sorted(bad)}; known: {sorted(known)}")
                if key == "order_size" and "lot_weights" in value:
                    value = {**value, "lot_weights": tuple(value["lot_weights"])}
                kwargs[key] = sub[key](**value)
            else:
                kwargs[key] = value
        return cls(**kwargs)
