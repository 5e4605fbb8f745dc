"""Price impact of a percentage-of-volume (POV) trader: the same market and seed, with and without it.

The trader wakes every ``interval_s`` and buys (or sells) ``participation`` x the volume the market traded
since its last wake-up, with an immediate-or-cancel limit order at the opposite touch. Both runs share
the seed, so the background is identical until the trader's first fill; the gap between the two mid
paths is the trader's impact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world import World, WorldConfig
from ..world.config import NS_PER_SECOND
from .impact import price_impact_bps
from .series import mid_on_grid


@dataclass(frozen=True)
class ImpactResult:
    """Mid paths on a common grid (LOBSTER price units) and the impact path (bps, positive in the trader's
    direction)."""

    grid_ns: np.ndarray
    mid_with: np.ndarray
    mid_without: np.ndarray
    impact_bps: np.ndarray
    traded: int  # lots the POV trader got
    participation: float

    @property
    def final_bps(self) -> float:
        """Mean impact over the last tenth of the session (a less noisy end point than the last sample)."""
        tail = self.impact_bps[-max(1, len(self.impact_bps) // 10) :]
        return float(np.nanmean(tail)) if np.isfinite(tail).any() else float("nan")


def _run(config: WorldConfig, seed: int | None, participation: float, side: int, interval_ns: int):
    world = World(config, n_external=1 if participation > 0 else 0)
    world.reset(seed)
    me = config.n_agents
    traded = 0
    seen_trades = 0
    t = config.start_ns
    msg = np.zeros(1, MESSAGE_DTYPE)
    while t < config.end_ns:
        t = min(t + interval_ns, config.end_ns)
        world.run_until(t)
        if participation <= 0 or world.done:
            continue
        recent = world.trades_since(seen_trades)
        others = recent[(recent["maker_owner"] != me) & (recent["taker_owner"] != me)]
        mine = recent[(recent["maker_owner"] == me) | (recent["taker_owner"] == me)]
        traded += int(mine["qty"].sum())
        seen_trades = world.n_trades
        qty = int(round(participation * others["qty"].sum()))
        touch = world.exchange.best_ask if side > 0 else world.exchange.best_bid
        if qty <= 0 or touch is None:
            continue
        msg["kind"], msg["side"], msg["owner"], msg["qty"], msg["flags"] = (
            MsgKind.LIMIT,
            side,
            me,
            qty,
            Flag.IOC,
        )
        msg["price"] = touch - config.min_price
        world.submit(msg)
    mine = world.trades_since(seen_trades)
    traded += int(mine[(mine["maker_owner"] == me) | (mine["taker_owner"] == me)]["qty"].sum())
    return world.result().lobster, traded


def pov_impact(
    config: WorldConfig,
    seed: int | None = 0,
    participation: float = 0.1,
    side: int = 1,
    interval_s: float = 10.0,
    grid_s: float = 1.0,
) -> ImpactResult:
    """Run the market with and without a POV trader on the same seed; return both mid paths and the impact."""
    if not 0 < participation <= 1:
        raise ValueError(f"participation must be in (0, 1], got {participation}")
    if side not in (1, -1):
        raise ValueError(f"side must be +1 (buy) or -1 (sell), got {side}")
    interval = int(interval_s * NS_PER_SECOND)
    with_trader, traded = _run(config, seed, participation, side, interval)
    without, _ = _run(config, seed, 0.0, side, interval)
    grid, mid_with = mid_on_grid(with_trader, int(grid_s * NS_PER_SECOND))
    _, mid_without = mid_on_grid(without, int(grid_s * NS_PER_SECOND))
    return ImpactResult(
        grid, mid_with, mid_without, price_impact_bps(mid_with, mid_without, side), traded, participation
    )
