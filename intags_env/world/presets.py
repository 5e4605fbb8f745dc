"""Named background populations.

``rmsc04`` is ABIDES' RMSC04 reference market (1000 noise, 102 value, 2 adaptive market makers,
12 momentum agents, 09:30-10:00); ``small`` is a quick market for tests and examples; ``amzn`` is the
population calibrated to a real NASDAQ day (AMZN, 2012-06-21, LOBSTER sample) by ``intags calibrate``;
``rmsc04_responsive`` is rmsc04 whose market makers answer trading (the INTAGS response experiment);
``amzn_responsive`` is ``amzn`` whose value traders revise their fair value from order flow, so it
answers a metaorder with square-root impact that mostly stays (execution research).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

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
)


def rmsc04() -> WorldConfig:
    return WorldConfig(name="rmsc04", latency=LatencyConfig(model="line"))


def rmsc04_responsive() -> WorldConfig:
    """rmsc04 whose two market makers size their quotes at 20% of the volume they see traded (rmsc04:
    2.5%): they deepen the book when someone trades. Its passive flow looks like rmsc04's; an experimental
    trader's trades reveal the difference (``benchmarks/metric_power.py``, the response pair). The "real"
    market of the INTAGS response experiment (``benchmarks/intags_training.py``): a clone learns only its
    passive flow, INTAGS also sees how it answers."""
    base = rmsc04()
    return replace(base, name="rmsc04_responsive", market_makers=replace(base.market_makers, pov=0.2))


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


def amzn() -> WorldConfig:
    """The background population calibrated to AMZN on 2012-06-21 (NASDAQ, LOBSTER's free sample, the
    level-1 file ``LOBSTER_SampleFile_AMZN_2012-06-21_1.zip``), 09:30-16:00, price level $222.62.

    Found by ``intags calibrate``'s search (:mod:`intags_env.calibration`: the ten-fact loss of
    ``calibration.facts``, common seeds per candidate, a Sobol sample then local search). Three
    searches, each started from the previous winner: 120 candidates on 2 seeds (Sobol + Nelder-Mead,
    equal weights), 250 on 3 seeds ((1+1) evolution strategy, equal weights), then 300 on 3 seeds with
    the 1-minute return autocorrelation and the volume-|return| correlation weighted 2. Before the third
    the market makers were moved to the touch by hand (a fixed 9-tick window, 2 levels, 100 shares,
    re-quoting every ~2 s) and ``revive`` was set (see ``calibration.space.base_config``); values
    rounded to 3-4 digits. To refine it::

        intags calibrate --data LOBSTER_SampleFile_AMZN_2012-06-21_1.zip --init amzn --budget 150 \\
            --seeds 4 --explore 0.1 --weight ret_acf1_1min=2 --weight vol_absret_corr_1min=2

    ``python benchmarks/calibration.py`` measures it against the data and ``rmsc04`` on held-out seeds:
    closer on 7 of the 10 facts, among them a 1-minute return autocorrelation near 0 and a positive
    volume-|return| correlation. These come from value agents that trade through the touch up to their
    valuation when it is far from the book (``sweep_margin``), a jumpy fundamental (frequent small
    megashocks) and market makers that re-quote at the touch every ~2 s. Known gaps: the spread is ~4
    ticks (AMZN: 13.6), |return| clustering is absent, and the volume-|return| correlation (~0.18) is
    about half AMZN's.
    """
    return WorldConfig(
        name="amzn",
        start="09:30",
        end="16:00",
        ticker="AMZN",
        date="2012-06-21",
        oracle=OracleConfig(
            r_bar=22_262,
            fund_vol=1.84e-5,
            megashock_rate=1.45e-11,  # ~52 per hour
            megashock_mean=1.48,
            megashock_var=500.0,
        ),
        noise=NoiseConfig(count=859),
        value=ValueConfig(
            count=104,
            arrival_rate=1.119e-11,  # one wake-up per ~89 s each
            obs_noise_var=46.9,
            percent_aggressive=0.2,
            depth_spread=0.2186,
            sweep_margin=37.7,
        ),
        market_makers=MarketMakerConfig(
            count=2,
            pov=0.0211,
            num_ticks=2,
            level_spacing=0.888,
            min_order_size=102,
            wake_interval_s=2.02,
            window_size=9,
            revive=True,
        ),
        momentum=MomentumConfig(count=18, wake_interval_s=136.0),
        order_size=OrderSizeConfig(lognormal_weight=0.2692, mu=2.113, sigma=0.3788),
        latency=LatencyConfig(model="none"),
        book=BookConfig(n_levels=1 << 15),
    )


def amzn_responsive() -> WorldConfig:
    """``amzn`` whose value traders revise their fair value from signed order flow
    (``OracleConfig.flow_impact``: each aggressive order moves it by 0.75 cents x (shares / 100) ** 0.72,
    60 % for good and 40 % fading over 5 minutes). ``amzn`` answers a metaorder with ~0.5 bp that is gone
    ten minutes later; this market answers like the square-root law, I ≈ Y sigma_D sqrt(Q / V_D).

    Measured by ``python benchmarks/impact.py`` (POV at 2-40 % and TWAP of 500-4,000 shares over 5
    minutes, buy and sell, 50 seeds, common random numbers; see its docstring): β 0.45 (95 % CI 0.38-0.55;
    the square-root law: 0.5), Y 0.55 (of order 1), 67 % of the peak left two durations after the end
    (real markets: about two thirds), buys and sells alike within noise. The flow also moves the price
    between trades, so the 1-minute volatility rises from ~9 to ~11 bp (AMZN: 7.3), while
    ``benchmarks/calibration.py --config`` finds it closer to the AMZN day than rmsc04 on 8 of 10 facts
    (``amzn``: 7) with a lower loss (1.06 against 1.12): the volume-|return| correlation gains (0.21
    against 0.18; AMZN 0.33). The flow parameters were chosen by a sweep of the exponent (0.5-1.0) and
    the size (0.5-1.0 cents) against those three targets, not by the calibration search."""
    base = amzn()
    oracle = replace(
        base.oracle, flow_impact=0.75, flow_exponent=0.72, flow_memory_s=300.0, flow_permanent=0.6
    )
    return replace(base, name="amzn_responsive", oracle=oracle)


PRESETS: dict[str, Callable[[], WorldConfig]] = {
    "rmsc04": rmsc04,
    "rmsc04_responsive": rmsc04_responsive,
    "small": small,
    "amzn": amzn,
    "amzn_responsive": amzn_responsive,
}


def get_preset(name: str) -> WorldConfig:
    """The preset called ``name``; an unknown name is an error listing the known ones."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise ConfigError(f"unknown world preset {name!r}; known presets: {sorted(PRESETS)}") from None


def load_config(path: str | Path) -> WorldConfig:
    """A ``WorldConfig`` saved as JSON (``config.to_dict()``, e.g. ``intags calibrate``'s config.json).
    A missing file is ``FileNotFoundError``; a file that is not such a config, a ``ConfigError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no world config at {path}")
    try:
        return WorldConfig.from_dict(json.loads(path.read_text()))
    except (json.JSONDecodeError, ConfigError, TypeError, AttributeError) as err:
        raise ConfigError(f"{path} is not a world config (WorldConfig.to_dict() as JSON): {err}") from None


def resolve_config(
    preset_or_config: str | WorldConfig, start: str | int | None = None, end: str | int | None = None
) -> WorldConfig:
    """A preset name, a config or a config's JSON file (:func:`load_config`), with the session optionally
    replaced."""
    if isinstance(preset_or_config, WorldConfig):
        config = preset_or_config
    elif isinstance(preset_or_config, str) and preset_or_config.endswith(".json"):
        config = load_config(preset_or_config)
    elif isinstance(preset_or_config, str):
        config = get_preset(preset_or_config)
    else:
        raise ConfigError(f"expected a preset name or a WorldConfig, got {type(preset_or_config).__name__}")
    if start is None and end is None:
        return config
    return replace(
        config, start=config.start if start is None else start, end=config.end if end is None else end
    )
