"""Named background populations.

``rmsc04`` is ABIDES' RMSC04 reference market (1000 noise, 102 value, 2 adaptive market makers,
12 momentum agents, 09:30-10:00); ``small`` is a quick market for tests and examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .config import (
    ConfigError,
    LatencyConfig,
    MarketMakerConfig,
    MomentumConfig,
    NoiseConfig,
    ValueConfig,
    WorldConfig,
)


def rmsc04() -> WorldConfig:
    return WorldConfig(name="rmsc04", latency=LatencyConfig(model="line"))


def small() -> WorldConfig:
    return WorldConfig(
        name="small",
        start="09:30",
        end="09:40",
        noise=NoiseConfig(count=300),
        value=ValueConfig(count=25),
        market_makers=MarketMakerConfig(count=1),
        momentum=MomentumConfig(count=3, long_window=10, short_window=4),
    )


PRESETS: dict[str, Callable[[], WorldConfig]] = {"rmsc04": rmsc04, "small": small}


def get_preset(name: str) -> WorldConfig:
    """The preset called ``name``; an unknown name is an error listing the known ones."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise ConfigError(f"unknown world preset {name!r}; known presets: {sorted(PRESETS)}") from None


def resolve_config(
    preset_or_config: str | WorldConfig, start: str | int | None = None, end: str | int | None = None
) -> WorldConfig:
    """A preset name or a config, with the session optionally replaced."""
    if isinstance(preset_or_config, WorldConfig):
        config = preset_or_config
    elif isinstance(preset_or_config, str):
        config = get_preset(preset_or_config)
    else:
        raise ConfigError(f"expected a preset name or a WorldConfig, got {type(preset_or_config).__name__}")
    if start is None and end is None:
        return config
    return replace(
        config, start=config.start if start is None else start, end=config.end if end is None else end
    )
