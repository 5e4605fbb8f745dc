"""``intags_env/MarketMaking-v0``: quote a bid and an ask, earn the spread, control the inventory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from .arguments import integer_arg, real_arg
from .base import TraderEnv
from .protocol import Fill, Order

#: Ticks (cents) behind the own side's best price: 0 joins the best bid (ask), 4 quotes four ticks behind.
OFFSETS = (0, 1, 2, 3, 4)
#: Quote sizes in shares; 0 = no quote on that side.
QUOTE_SIZES = (0, 50, 100, 200)
SIDE_NAMES = {1: "bid", -1: "ask"}


class MarketMakingEnv(TraderEnv):
    """Make a market: quote a bid and an ask every ``decision_interval_s`` seconds against a live background.

    **Episode.** ``reset`` runs the background for ``warmup_s`` seconds. Every ``decision_interval_s`` the
    agent's resting quotes are cancelled and the new bid and ask of its action are posted as limit (GTC)
    orders (cancel-and-replace: a re-posted quote joins the back of its price level's queue). Quotes
    trade when the background's orders reach them. The episode ends at the horizon (``horizon_s``); the
    inventory is **not** liquidated then: it is marked at the mid, like at every step.

    **Action** ``MultiDiscrete([5, 5, 4, 4])``:

    | index | meaning |
    | --- | --- |
    | 0 | bid offset: post the bid 0, 1, 2, 3 or 4 ticks (cents) below the best bid (0 = join the best) |
    | 1 | ask offset: post the ask 0, 1, 2, 3 or 4 ticks above the best ask (0 = join the best) |
    | 2 | bid size: 0 (no bid), 50, 100 or 200 shares |
    | 3 | ask size: 0 (no ask), 50, 100 or 200 shares |

    Offsets count from the best price of the quote's own side as it is at the decision. If that side of
    the book is empty they count from one tick inside the other side (best ask - 1 for a bid, best bid + 1
    for an ask); if both sides are empty, from the nearest tick strictly below (bid) or above (ask) the
    last known mid. A quote never crosses the spread, so it never takes liquidity.

    **Inventory limit.** A side whose quote, if filled completely, would take ``|inventory|`` beyond
    ``max_inventory`` is **not sent** for this step (the bid if ``inventory + bid size > max_inventory``,
    the ask if ``inventory - ask size < -max_inventory``); the other side is unaffected and the sizes are
    never reduced. ``info['blocked_side']`` reports it. So ``|inventory| <= max_inventory`` always holds.

    **Observation** ``Box(-10, 10, (10,), float32)``: the shared market features (``MARKET_FEATURES``:
    time left, mid return since the start in 10 bps, spread / 10 ticks, L1 and L5 imbalance, market
    volume / ``volume_scale``, inventory / ``inventory_scale``), then

    | feature | meaning |
    | --- | --- |
    | ``bid_filled`` | shares the agent bought over the last interval / 200 (the largest quote size) |
    | ``ask_filled`` | shares the agent sold over the last interval / 200 |
    | ``inventory_limit`` | inventory / ``max_inventory``, in [-1, 1] |

    **Reward** per step, in dollars: the change of the mark-to-market P&L (cash + inventory x mid, fees
    of ``fee_bps`` included) minus ``inventory_penalty`` x ``|inventory|`` (dollars per share per step,
    inventory after the step). An episode's rewards sum to its final P&L minus the penalties charged
    (``info['penalty']``). When the book has no mid (an empty side) the last known mid marks the inventory.

    **Arguments**: ``background`` (preset name, ``WorldConfig`` or ``Background``), ``max_inventory``
    (shares, default 2000), ``inventory_penalty`` (default 0.001), ``decision_interval_s`` (default 5),
    ``horizon_s`` (default 600), ``warmup_s`` (default 300), ``fee_bps``, ``background_agents``
    (``TradingAgent``s trading alongside), ``volume_scale``, ``inventory_scale``, ``render_mode`` ('ansi'
    or 'rgb_array').

    **Info**: ``pnl`` (dollars, marked at the mid), ``cash``, ``inventory``, ``fees``, ``traded``, ``mid``,
    ``fills`` (this step's ``Fill``s), ``quotes`` (``{'bid': Order | None, 'ask': Order | None}``, what this
    step posted; the first order of each side when stepped with ``step_orders``), ``blocked_side`` (None,
    'bid', 'ask' or 'both': sides the inventory limit kept from being quoted this step), ``penalty``
    (inventory penalties charged so far, dollars), ``max_inventory``.

    **Version history**: v0 — first version.
    """

    extra_features = ("bid_filled", "ask_filled", "inventory_limit")

    def __init__(
        self,
        background: Any = "rmsc04",
        *,
        max_inventory: int = 2_000,
        inventory_penalty: float = 0.001,
        decision_interval_s: float = 5.0,
        horizon_s: float = 600.0,
        **kwargs: Any,
    ) -> None:
        max_inventory = integer_arg("max_inventory", max_inventory)
        inventory_penalty = real_arg("inventory_penalty", inventory_penalty)
        super().__init__(background, horizon_s=horizon_s, decision_interval_s=decision_interval_s, **kwargs)
        self.max_inventory = int(max_inventory)
        self.inventory_penalty = float(inventory_penalty)
        self.action_space = gym.spaces.MultiDiscrete([len(OFFSETS), len(OFFSETS), *[len(QUOTE_SIZES)] * 2])

    def _on_reset(self) -> None:
        self.last_pnl = 0.0
        self.penalty = 0.0
        self.filled = {1: 0, -1: 0}  # shares bought / sold since the last observation
        self.quotes: dict[str, Order | None] = {"bid": None, "ask": None}
        self.blocked_side: str | None = None
        self._blocked_next: str | None = None

    # --- action -> quotes ----------------------------------------------------------------------------

    def _reference(self, side: int) -> int:
        """The price (cents) a ``side`` quote's offset counts from."""
        bid, ask = self.session.top_of_book()
        own, other = (bid, ask) if side > 0 else (ask, bid)
        if own is not None:
            return own
        if other is not None:
            return other - side
        mid = self.last_mid
        return math.ceil(mid) - 1 if side > 0 else math.floor(mid) + 1

    def _orders(self, action: Any) -> tuple[list[Order], bool]:
        inventory = self.account.inventory
        orders, blocked = [], []
        for side, offset_i, size_i in ((1, action[0], action[2]), (-1, action[1], action[3])):
            size = QUOTE_SIZES[int(size_i)]
            if size == 0:
                continue
            if side * inventory + size > self.max_inventory:  # a full fill would pass the limit
                blocked.append(SIDE_NAMES[side])
                continue
            price = max(1, self._reference(side) - side * OFFSETS[int(offset_i)])
            orders.append(Order(side, size, price))
        self._blocked_next = "both" if len(blocked) == 2 else (blocked[0] if blocked else None)
        return orders, True

    def _on_sent(self, orders: Sequence[Order]) -> None:
        """Remember what this step sends (for ``info``)."""
        self.quotes = {
            name: next((o for o in orders if o.side == side), None) for side, name in SIDE_NAMES.items()
        }
        self.blocked_side, self._blocked_next = self._blocked_next, None

    # --- reward, features, info ----------------------------------------------------------------------

    def _reward(self, fills: list[Fill], final: bool) -> float:
        for f in fills:
            self.filled[f.side] += f.qty
        acc = self.account
        pnl = acc.pnl(self.last_mid) / 100.0
        penalty = self.inventory_penalty * abs(acc.inventory)
        change, self.last_pnl = pnl - self.last_pnl, pnl
        self.penalty += penalty
        return change - penalty

    def _extra(self, out: np.ndarray) -> None:
        largest = max(QUOTE_SIZES)
        out[0] = self.filled[1] / largest
        out[1] = self.filled[-1] / largest
        out[2] = self.account.inventory / self.max_inventory
        self.filled = {1: 0, -1: 0}  # read once: the next observation counts the next interval's fills

    def _info(self) -> dict[str, Any]:
        info = super()._info()
        info.update(
            quotes=dict(self.quotes),
            blocked_side=self.blocked_side,
            penalty=self.penalty,
            max_inventory=self.max_inventory,
        )
        return info

    def _render_text(self) -> str:
        def show(order: Order | None) -> str:
            return "-" if order is None else f"{order.qty} @ {order.price / 100:,.2f}"

        blocked = f"  (blocked: {self.blocked_side})" if self.blocked_side else ""
        return (
            super()._render_text()
            + f"quotes: bid {show(self.quotes['bid'])}  ask {show(self.quotes['ask'])}{blocked}\n"
        )
