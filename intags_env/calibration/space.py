"""The searched parameter vector: which knobs of a :class:`~intags_env.world.WorldConfig` calibration moves,
over which ranges, and the map between a point of the unit cube and a config.

Every parameter lives on ``[0, 1]`` for the optimiser and maps to its range linearly or on a log scale
(rates, sizes, intervals and volatilities, whose plausible values span orders of magnitude); integers are
rounded. What stays fixed: the session, ``r_bar`` (the data's price level), the fundamental's mean
reversion (negligible within a day), the round-lot weights of the order-size mixture and the latency.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from intags_env.world import BookConfig, LatencyConfig, MarketMakerConfig, OracleConfig, WorldConfig

__all__ = ["DEFAULT_SPACE", "NS_PER_HOUR", "Parameter", "ParameterSpace", "base_config"]

NS_PER_HOUR = 3600 * 1_000_000_000


@dataclass(frozen=True)
class Parameter:
    """One searched knob: ``section.field`` of the config (``"value.count"``), its range and scale.

    ``unit`` names how the range reads when it differs from the config's field: ``"per_hour"`` (the
    config holds a rate per ns, the range is per hour), ``"interval_s"`` (the config holds a rate per ns,
    the range is a mean interval in seconds)."""

    path: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    unit: str = ""
    doc: str = ""

    def __post_init__(self) -> None:
        if "." not in self.path:
            raise ValueError(f"parameter path must be 'section.field', got {self.path!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"{self.path}: need finite low < high, got {self.low}, {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.path}: a log-scale range needs low > 0, got {self.low}")
        if self.unit not in ("", "per_hour", "interval_s"):
            raise ValueError(f"{self.path}: unknown unit {self.unit!r}")

    def from_unit(self, u: float) -> float | int:
        """The parameter's value (range units) at ``u`` in [0, 1] (clipped into it)."""
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return round(value) if self.integer else value

    def to_unit(self, value: float) -> float:
        """Inverse of :meth:`from_unit` (values outside the range map outside [0, 1])."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def to_config_value(self, value: float) -> Any:
        """Range units -> the config field's units."""
        if self.unit == "per_hour":
            return value / NS_PER_HOUR
        if self.unit == "interval_s":
            return 1.0 / (value * 1_000_000_000)
        return value

    def from_config_value(self, value: Any) -> float:
        """The config field's units -> range units."""
        if self.unit == "per_hour":
            return float(value) * NS_PER_HOUR
        if self.unit == "interval_s":
            return 1.0 / (float(value) * 1_000_000_000)
        return float(value)


class ParameterSpace:
    """An ordered set of :class:`Parameter` s: ``decode(u)`` makes a config, ``encode(config)`` a point."""

    def __init__(self, parameters: list[Parameter]) -> None:
        paths = [p.path for p in parameters]
        if len(set(paths)) != len(paths):
            raise ValueError(f"duplicate parameter paths in {paths}")
        if not parameters:
            raise ValueError("a parameter space needs at least one parameter")
        self.parameters = tuple(parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    @property
    def names(self) -> list[str]:
        return [p.path for p in self.parameters]

    def values(self, u: np.ndarray) -> dict[str, float | int]:
        """``{path: value}`` in range units at point ``u``."""
        u = self._checked(u)
        return {p.path: p.from_unit(x) for p, x in zip(self.parameters, u)}

    def decode(self, u: np.ndarray, base: WorldConfig) -> WorldConfig:
        """``base`` with every parameter set from point ``u`` of the unit cube (clipped into it)."""
        changes: dict[str, dict[str, Any]] = {}
        for p, x in zip(self.parameters, self._checked(u)):
            section, name = p.path.split(".", 1)
            changes.setdefault(section, {})[name] = p.to_config_value(p.from_unit(x))
        parts = {section: replace(getattr(base, section), **fields) for section, fields in changes.items()}
        return replace(base, **parts)

    def encode(self, config: WorldConfig) -> np.ndarray:
        """The point whose parameters equal ``config``'s (clipped into the cube; None fields map to 1).

        The point decodes to another market when a value lies outside its range or is None (a rule the
        space cannot express, e.g. ``sweep_margin`` None): a warning names each such parameter."""
        u = np.empty(len(self))
        changed = []
        for i, p in enumerate(self.parameters):
            section, name = p.path.split(".", 1)
            value = getattr(getattr(config, section), name)
            u[i] = 1.0 if value is None else p.to_unit(p.from_config_value(value))
            if value is None or not 0.0 <= u[i] <= 1.0:
                changed.append(f"{p.path}={value!r}")
        if changed:
            warnings.warn(
                f"{config.name}: outside the searched ranges, so the search starts from a different market: "
                + ", ".join(changed),
                stacklevel=2,
            )
        return np.clip(u, 0.0, 1.0)

    def _checked(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if u.shape != (len(self),):
            raise ValueError(f"expected a point of {len(self)} coordinates, got shape {u.shape}")
        if not np.isfinite(u).all():
            raise ValueError("a point of the parameter space must be finite")
        return u


def base_config(
    r_bar: int, start: str | int = "09:30", end: str | int = "16:00", **fields: Any
) -> WorldConfig:
    """The fixed part of a calibrated world: ``r_bar`` (cents), the session, a book wide enough around
    ``r_bar``, no latency, and market makers that ``revive`` (start quoting once the book has two sides).
    Without ``revive`` (ABIDES' rule) a market maker whose first wake-up finds the opening book one-sided
    never quotes, so fast-quoting makers die on some seeds and not others and the facts split into two
    regimes. The searched parameters come on top (:meth:`ParameterSpace.decode`)."""
    if not isinstance(r_bar, (int, np.integer)) or r_bar < 64:
        raise ValueError(f"r_bar must be an integer price of at least 64 cents, got {r_bar!r}")
    n_levels = min(1 << 17, 1 << int(math.floor(math.log2(2 * int(r_bar) - 1))))
    return WorldConfig(
        name="calibrated",
        start=start,
        end=end,
        oracle=OracleConfig(r_bar=int(r_bar)),
        latency=LatencyConfig(model="none"),
        market_makers=MarketMakerConfig(revive=True),
        book=BookConfig(n_levels=n_levels),
        **fields,
    )


#: The search space of ``intags calibrate`` (see each ``doc``). The upper ends of the activity ranges
#: keep the costliest candidate's simulated day to a few seconds (at most ~15 value wake-ups and ~3 x 40
#: market-maker quotes per second).
DEFAULT_SPACE = ParameterSpace(
    [
        Parameter("noise.count", 10, 10_000, log=True, integer=True, doc="zero-intelligence takers per day"),
        Parameter("value.count", 10, 300, log=True, integer=True, doc="value (informed) agents"),
        Parameter("value.arrival_rate", 20, 1_000, log=True, unit="interval_s", doc="mean wake interval, s"),
        Parameter("value.obs_noise_var", 1, 1_000, log=True, doc="noise variance of their look, cents^2"),
        Parameter("value.percent_aggressive", 0, 0.5, doc="chance of an order at the opposite touch"),
        Parameter("value.depth_spread", 0.2, 4, log=True, doc="passive orders up to this x spread deep"),
        Parameter("value.sweep_margin", 0, 50, doc="ticks beyond the touch that make them trade through"),
        Parameter("market_makers.count", 0, 3, integer=True, doc="adaptive market makers"),
        Parameter("market_makers.pov", 0.001, 0.3, log=True, doc="size per level / recent volume"),
        Parameter("market_makers.num_ticks", 1, 10, integer=True, doc="ladder levels per side"),
        Parameter("market_makers.level_spacing", 0.05, 5, log=True, doc="ladder step / window"),
        Parameter("market_makers.window_size", 1, 40, log=True, integer=True, doc="quoted spread, ticks"),
        Parameter("market_makers.wake_interval_s", 1, 120, log=True, doc="mean re-quote interval, s"),
        Parameter("market_makers.min_order_size", 1, 300, log=True, integer=True, doc="shares per level"),
        Parameter("momentum.count", 0, 40, integer=True, doc="moving-average momentum takers"),
        Parameter("momentum.wake_interval_s", 5, 300, log=True, doc="their mean wake interval, s"),
        Parameter("oracle.fund_vol", 5e-6, 2e-4, log=True, doc="fundamental diffusion, cents/sqrt(ns)"),
        Parameter("oracle.megashock_rate", 0.1, 60, log=True, unit="per_hour", doc="jumps per hour"),
        Parameter("oracle.megashock_mean", 1, 100, log=True, doc="jump size, cents (random sign)"),
        Parameter("oracle.megashock_var", 1, 1_000, log=True, doc="jump size variance, cents^2"),
        Parameter("order_size.lognormal_weight", 0, 1, doc="share of log-normal (vs round-lot) sizes"),
        Parameter("order_size.mu", 1, 5.5, doc="log-normal sizes: mu of log shares"),
        Parameter("order_size.sigma", 0.2, 2, log=True, doc="log-normal sizes: sigma of log shares"),
    ]
)
