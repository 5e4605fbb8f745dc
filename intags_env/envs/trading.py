"""``intags_env/Trading-v0``: an investor that buys, sells or holds, within a position limit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from .arguments import integer_arg
from .base import TraderEnv
from .protocol import Fill, Order

ACTIONS = ("sell", "hold", "buy")  # action i trades side i - 1


class TradingEnv(TraderEnv):
    """Trade one stock for profit: every ``decision_interval_s`` seconds buy, sell or hold ``trade_size``.

    **Episode.** ``reset`` runs the background for ``warmup_s`` seconds. Every ``decision_interval_s``
    (default 30 s) the agent may buy or sell ``trade_size`` shares with a **market order**, which takes
    the best prices available at once (walking the book if the touch is thinner than ``trade_size``;
    what the whole opposite side cannot fill is dropped). The episode ends at the horizon (``horizon_s``,
    default 1200 s: 40 decisions); the position is **not** liquidated then: it is marked at the mid.

    **Action** ``Discrete(3)``:

    | action | meaning |
    | --- | --- |
    | 0 | sell ``trade_size`` shares (market order) |
    | 1 | hold (send nothing) |
    | 2 | buy ``trade_size`` shares (market order) |

    **Position limit.** A buy or sell that would take ``|position|`` beyond ``max_position`` is valid but
    **not sent** (nothing trades this step) and ``info['limited']`` is True. Fills never exceed the order,
    so ``|position| <= max_position`` always holds for action-driven episodes.

    **Observation** ``Box(-10, 10, (9,), float32)``: the shared market features (``MARKET_FEATURES``:
    time left, mid return since the start in 10 bps, spread / 10 ticks, L1 and L5 imbalance, market
    volume / ``volume_scale``, position / ``inventory_scale``), then

    | feature | meaning |
    | --- | --- |
    | ``position_limit`` | position / ``max_position``, in [-1, 1] |
    | ``last_return`` | mid log-return over the last decision interval, in bps (clipped to +-10) |

    **Reward** per step, in dollars: the change of the mark-to-market P&L (cash + position x mid), fees of
    ``fee_bps`` on every fill's notional included. An episode's rewards sum to its final P&L. When the book
    has no mid (an empty side) the last known mid marks the position.

    **Arguments**: ``background`` (preset name, ``WorldConfig`` or ``Background``), ``trade_size`` (shares,
    default 100), ``max_position`` (shares, default 1000), ``decision_interval_s`` (default 30),
    ``horizon_s`` (default 1200; with ``warmup_s`` it must fit in the background's session), ``warmup_s``
    (default 300), ``fee_bps``, ``background_agents`` (``TradingAgent``s trading alongside),
    ``volume_scale``, ``inventory_scale``, ``render_mode`` ('ansi' or 'rgb_array').

    **Info**: ``pnl`` (dollars, marked at the mid), ``cash``, ``inventory`` (the position), ``fees``,
    ``traded``, ``mid``, ``fills`` (this step's ``Fill``s), ``trade`` (the ``Order`` sent this step or
    None), ``limited`` (True if the action's trade was withheld by the position limit), ``max_position``.

    **Version history**: v0 — first version.
    """

    extra_features = ("position_limit", "last_return")

    def __init__(
        self,
        background: Any = "rmsc04",
        *,
        trade_size: int = 100,
        max_position: int = 1_000,
        decision_interval_s: float = 30.0,
        horizon_s: float = 1_200.0,
        **kwargs: Any,
    ) -> None:
        trade_size = integer_arg("trade_size", trade_size)
        max_position = integer_arg("max_position", max_position, minimum=trade_size)
        super().__init__(background, horizon_s=horizon_s, decision_interval_s=decision_interval_s, **kwargs)
        self.trade_size = int(trade_size)
        self.max_position = int(max_position)
        self.action_space = gym.spaces.Discrete(len(ACTIONS))

    def _on_reset(self) -> None:
        self.last_pnl = 0.0
        self.prev_mid = self.last_mid
        self.trade: Order | None = None
        self.limited = False
        self._limited_next = False

    def _orders(self, action: Any) -> tuple[list[Order], bool]:
        side = int(action) - 1
        if side == 0:
            return [], True
        if side * self.account.inventory + self.trade_size > self.max_position:
            self._limited_next = True
            return [], True
        return [Order(side, self.trade_size)], True

    def _on_sent(self, orders: Sequence[Order]) -> None:
        """Remember what this step sends (for ``info``)."""
        self.trade = orders[0] if orders else None
        self.limited, self._limited_next = self._limited_next, False

    def _reward(self, fills: list[Fill], final: bool) -> float:
        pnl = self.account.pnl(self.last_mid) / 100.0
        change, self.last_pnl = pnl - self.last_pnl, pnl
        return change

    def _extra(self, out: np.ndarray) -> None:
        out[0] = self.account.inventory / self.max_position
        out[1] = 1e4 * math.log(self.last_mid / self.prev_mid)
        self.prev_mid = self.last_mid  # read once: the next observation measures the next interval

    def _info(self) -> dict[str, Any]:
        info = super()._info()
        info.update(trade=self.trade, limited=self.limited, max_position=self.max_position)
        return info
