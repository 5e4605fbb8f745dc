"""Reference trading agents: TWAP, POV, random, momentum and a simple market maker.

Each implements ``intags_env.envs.TradingAgent``: ``reset(seed)``, ``decide(view) -> (orders, cancel_all)``,
``on_fills(fills)``. They run as scripted participants in any environment's background, as scripted
players in the multi-agent environment, and as contestants in the benchmark harness.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from intags_env.envs.protocol import Fill, MarketView, Order

__all__ = ["ImmediateAgent", "MarketMakerAgent", "MomentumAgent", "POVAgent", "RandomAgent", "TWAPAgent"]


class _Base:
    name = "base"

    def __init__(self, interval_s: float = 10.0) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.interval_s = float(interval_s)
        self.rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def on_fills(self, fills: list[Fill]) -> None:
        """Most reference agents read their position from the view; nothing to do here."""


class TWAPAgent(_Base):
    """Trade ``quantity`` shares evenly over the session: at each decision, what is left divided by the
    decisions left, as a market order (or a limit at the opposite touch if ``cross_only``)."""

    name = "twap"

    def __init__(self, quantity: int = 2_000, side: int = 1, interval_s: float = 10.0) -> None:
        super().__init__(interval_s)
        if side not in (1, -1) or quantity <= 0:
            raise ValueError(f"side must be +1/-1 and quantity positive, got {side}, {quantity}")
        self.quantity, self.side = int(quantity), side

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        done = view.inventory * self.side
        left = self.quantity - done
        steps_left = max(1, int((view.end - view.time) / (self.interval_s * 1e9)))
        qty = int(round(left / steps_left))
        return ([Order(self.side, qty)] if qty > 0 else []), True


class ImmediateAgent(TWAPAgent):
    """Trade all ``quantity`` shares at the first decision, as one market order (then nothing): the
    impatient end of execution, what a schedule is measured against."""

    name = "immediate"

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        left = self.quantity - view.inventory * self.side
        return ([Order(self.side, left)] if left > 0 else []), True


class POVAgent(_Base):
    """Participate ``participation`` x the volume the market traded since the last decision, up to
    ``quantity``, with an immediate-or-cancel limit at the opposite touch."""

    name = "pov"

    def __init__(
        self, participation: float = 0.1, quantity: int = 2_000, side: int = 1, interval_s: float = 10.0
    ) -> None:
        super().__init__(interval_s)
        if not 0 < participation <= 1:
            raise ValueError(f"participation must be in (0, 1], got {participation}")
        self.participation, self.quantity, self.side = participation, int(quantity), side

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        left = self.quantity - view.inventory * self.side
        qty = min(left, int(round(self.participation * view.volume)))
        touch = view.best_ask if self.side > 0 else view.best_bid
        if qty <= 0 or touch is None:
            return [], True
        return [Order(self.side, qty, touch, tif="ioc")], True


class RandomAgent(_Base):
    """A coin flip each decision: buy, sell or nothing, ``size`` shares at market (a baseline)."""

    name = "random"

    def __init__(self, size: int = 100, interval_s: float = 10.0) -> None:
        super().__init__(interval_s)
        self.size = int(size)

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        side = int(self.rng.integers(-1, 2))
        return ([Order(side, self.size)] if side else []), True


class MomentumAgent(_Base):
    """Buy when the short moving average of the mid is above the long one, sell when below, keeping the
    position within ``max_position``."""

    name = "momentum"

    def __init__(
        self,
        short: int = 5,
        long: int = 20,
        size: int = 100,
        max_position: int = 1_000,
        interval_s: float = 10.0,
    ) -> None:
        super().__init__(interval_s)
        if not 0 < short < long:
            raise ValueError(f"need 0 < short < long, got {short}, {long}")
        self.short, self.long, self.size, self.max_position = short, long, int(size), int(max_position)
        self.mids: deque[float] = deque(maxlen=long)

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.mids.clear()

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        if view.mid is None:
            return [], True
        self.mids.append(view.mid)
        if len(self.mids) < self.long:
            return [], True
        mids = np.fromiter(self.mids, float)
        signal = mids[-self.short :].mean() - mids.mean()
        side = 1 if signal > 0 else -1 if signal < 0 else 0
        if side == 0 or abs(view.inventory + side * self.size) > self.max_position:
            return [], True
        return [Order(side, self.size)], True


class MarketMakerAgent(_Base):
    """Quote ``size`` at the best bid and ask (``offset`` ticks behind), skewing away from inventory and
    not quoting the side that would take it beyond ``max_inventory``."""

    name = "market_maker"

    def __init__(
        self, size: int = 100, offset: int = 0, max_inventory: int = 1_000, interval_s: float = 5.0
    ) -> None:
        super().__init__(interval_s)
        self.size, self.offset, self.max_inventory = int(size), int(offset), int(max_inventory)

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        if view.best_bid is None or view.best_ask is None:
            return [], True
        skew = int(np.sign(view.inventory)) * (abs(view.inventory) * 2 > self.max_inventory)
        orders = []
        if view.inventory + self.size <= self.max_inventory:
            orders.append(Order(1, self.size, max(1, view.best_bid - self.offset - max(skew, 0))))
        if view.inventory - self.size >= -self.max_inventory:
            orders.append(Order(-1, self.size, view.best_ask + self.offset - min(skew, 0)))
        return orders, True
