"""The background market: an agent population (noise, value, adaptive market makers, momentum) and its
event loop, all in Numba, around the exchange. ``simulate`` runs a session; ``World`` steps one."""

from .batch import WorldBatch
from .config import (
    BookConfig,
    ConfigError,
    LatencyConfig,
    MarketMakerConfig,
    MomentumConfig,
    NoiseConfig,
    OracleConfig,
    OrderSizeConfig,
    ValueConfig,
    WorldConfig,
    format_time_of_day,
    parse_time_of_day,
)
from .layout import RECORD_DTYPE, TRADE_DTYPE, AgentType
from .presets import PRESETS, get_preset, load_config, resolve_config
from .simulate import simulate
from .world import SimulationResult, World, WorldError

__all__ = [
    "PRESETS",
    "RECORD_DTYPE",
    "TRADE_DTYPE",
    "AgentType",
    "BookConfig",
    "ConfigError",
    "LatencyConfig",
    "MarketMakerConfig",
    "MomentumConfig",
    "NoiseConfig",
    "OracleConfig",
    "OrderSizeConfig",
    "SimulationResult",
    "ValueConfig",
    "World",
    "WorldBatch",
    "WorldConfig",
    "WorldError",
    "format_time_of_day",
    "get_preset",
    "load_config",
    "parse_time_of_day",
    "resolve_config",
    "simulate",
]
