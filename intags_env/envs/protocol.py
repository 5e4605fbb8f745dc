"""What a trading agent is: the ``TradingAgent`` protocol, the market view it decides on, its orders.

One protocol serves three places: a scripted participant inside any environment's background, a scripted
player in the multi-agent environment, and a contestant in the benchmark harness. An agent never touches
the exchange: it returns ``Order``s and hears back ``Fill``s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Fill", "MarketView", "Order", "TradingAgent"]


@dataclass(frozen=True)
class Order:
    """An instruction for this decision. ``price`` None = market order; prices are in cents.

    ``tif`` 'gtc' rests until cancelled, 'ioc' cancels what does not trade at once. ``cancel_all`` first
    cancels every resting order of the agent (the usual cancel-and-replace of a quoting agent).
    """

    side: int  # +1 buy, -1 sell
    qty: int
    price: int | None = None
    tif: str = "gtc"

    def __post_init__(self) -> None:
        if self.side not in (1, -1):
            raise ValueError(f"Order.side must be +1 (buy) or -1 (sell), got {self.side!r}")
        if not isinstance(self.qty, (int, np.integer)) or self.qty <= 0:
            raise ValueError(f"Order.qty must be a positive integer, got {self.qty!r}")
        if self.price is not None and (not isinstance(self.price, (int, np.integer)) or self.price <= 0):
            raise ValueError(f"Order.price must be a positive integer (cents) or None, got {self.price!r}")
        if self.tif not in ("gtc", "ioc"):
            raise ValueError(f"Order.tif must be 'gtc' or 'ioc', got {self.tif!r}")


@dataclass(frozen=True)
class Fill:
    """One execution of one of the agent's orders (prices in cents)."""

    time: int
    side: int
    price: int
    qty: int
    order_id: int
    aggressor: bool  # True if the agent's order took liquidity


@dataclass(frozen=True)
class MarketView:
    """What an agent sees at a decision: the top of the book, recent activity and its own account."""

    time: int  # ns after midnight
    start: int  # session bounds
    end: int
    best_bid: int | None  # cents
    best_ask: int | None
    bid_sizes: np.ndarray  # sizes of the best levels, best first
    ask_sizes: np.ndarray
    last_price: int | None
    volume: int  # lots traded in the market since the previous decision (all participants)
    inventory: int
    cash: int  # cents
    open_orders: int
    history: dict[str, float] = field(default_factory=dict)  # env-specific extras (e.g. parent order)

    @property
    def mid(self) -> float | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return (self.best_bid + self.best_ask) / 2

    @property
    def spread(self) -> int | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return self.best_ask - self.best_bid


@runtime_checkable
class TradingAgent(Protocol):
    """A trading agent: reset at each episode, decides at each of its decision times, hears its fills.

    ``interval_s`` is how often it decides when it runs as a scripted participant. ``decide`` returns
    the orders for now, and whether to cancel its resting orders first.
    """

    name: str
    interval_s: float

    def reset(self, seed: int | None = None) -> None: ...

    def decide(self, view: MarketView) -> tuple[list[Order], bool]: ...

    def on_fills(self, fills: list[Fill]) -> None: ...
