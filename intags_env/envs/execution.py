"""``intags_env/Execution-v0``: work a parent order within a horizon."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .arguments import integer_arg, real_arg
from .base import TraderEnv
from .protocol import Fill, Order

SIZE_MULTIPLIERS = (0.0, 0.5, 1.0, 1.5, 2.0)
PRICE_CHOICES = ("market", "cross", "join", "behind")


class ExecutionEnv(TraderEnv):
    """Buy (or sell) ``quantity`` shares within ``horizon_s`` seconds, against a live background market.

    **Episode.** ``reset`` runs the background for ``warmup_s`` seconds, then records the arrival price
    (the mid). Every ``decision_interval_s`` the agent chooses how much to trade and how aggressively;
    any resting order of the previous step is cancelled first (cancel-and-replace). The episode ends
    when the parent order is complete, or at the horizon, where what is left is **force-executed** with a
    market order (its cost counts; what even that cannot fill is charged at the mid plus
    ``unfilled_penalty_bps``).

    **Action** ``MultiDiscrete([5, 4])``:

    | index | meaning |
    | --- | --- |
    | 0 | size: 0, 0.5, 1, 1.5 or 2 x the TWAP slice (left / decisions left), at most what is left |
    | 1 | price: 0 market order; 1 IOC limit at the opposite touch; 2 limit joining the own-side best |
    |   | (passive); 3 limit one tick behind it |

    **Observation** ``Box(-10, 10, (9,), float32)``: the shared market features (``MARKET_FEATURES``:
    time left, mid return since arrival in 10 bps, spread / 10 ticks, L1 and L5 imbalance, market
    volume / ``volume_scale``, inventory / ``inventory_scale``), then ``remaining`` (fraction of the parent
    order left) and ``shortfall`` (implementation shortfall so far, in 10 bps of the arrival notional).

    **Reward** per step: minus the implementation shortfall of that step's fills against the arrival
    price, in basis points of the parent order's arrival notional, fees included:
    ``-side * sum((fill price - arrival) * qty) / (quantity * arrival) * 1e4``. An episode's rewards sum
    to minus its total shortfall.

    **Which market.** The default ``rmsc04`` barely answers a trader (a metaorder's impact is a fraction
    of a basis point and fades within minutes), so trading fast costs little there. For execution
    research use ``background="amzn_responsive"``: its impact follows the square-root law and mostly stays
    (``python benchmarks/impact.py``). There an immediate market order for the whole parent costs ~7 bp
    more than TWAP; random actions cost ~3 bp *less* than a market-order TWAP, because half of them rest
    passive orders (40 seeds, paired; ``intags bench intags_env/Execution-v0 --agents
    twap,pov,immediate,random_actions --env-kwargs '{"background": "amzn_responsive"}'``). Split by
    price choice (100 seeds, paired, 95 % half-widths): random sizes with market or IOC orders cost what
    TWAP costs (-0.28 ± 0.71 bp), random passive ones 3.7 ± 1.5 bp less, a TWAP that joins the bid
    3.6 ± 1.1 bp less. Know the market's limit here: its fair value revises only on aggressive orders, so
    a passive buyer's fills count as selling and it ends 2.9 ± 1.8 bp *below* doing nothing (a
    market-order TWAP: 5.1 ± 1.4 bp above), where real passive metaorders move the price their way
    (Said, Bel Hadj Ayed, Husson & Abergel 2018). Passive execution is therefore cheaper here than it
    should be.

    **Arguments**: ``background`` (preset name, ``WorldConfig`` or ``Background``), ``side`` ('buy'/'sell'),
    ``quantity``, ``horizon_s``, ``decision_interval_s``, ``warmup_s``, ``fee_bps``, ``background_agents``
    (``TradingAgent``s trading alongside), ``render_mode`` ('ansi' or 'rgb_array').

    **Info**: ``pnl``, ``cash``, ``inventory``, ``fees``, ``fills`` (this step's ``Fill``s), ``filled``,
    ``remaining``, ``arrival_price``, ``shortfall_bps``, ``vwap`` (None before the first fill).

    **Version history**: v0 — first version.
    """

    extra_features = ("remaining", "shortfall")

    def __init__(
        self,
        background: Any = "rmsc04",
        *,
        side: str = "buy",
        quantity: int = 2_000,
        horizon_s: float = 600.0,
        decision_interval_s: float = 10.0,
        unfilled_penalty_bps: float = 100.0,
        **kwargs: Any,
    ) -> None:
        if side not in ("buy", "sell"):
            raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
        quantity = integer_arg("quantity", quantity)
        unfilled_penalty_bps = real_arg("unfilled_penalty_bps", unfilled_penalty_bps)
        kwargs.setdefault("inventory_scale", float(quantity))
        super().__init__(background, horizon_s=horizon_s, decision_interval_s=decision_interval_s, **kwargs)
        self.side = 1 if side == "buy" else -1
        self.quantity = int(quantity)
        self.unfilled_penalty_bps = unfilled_penalty_bps
        self.action_space = gym.spaces.MultiDiscrete([len(SIZE_MULTIPLIERS), len(PRICE_CHOICES)])

    def _on_reset(self) -> None:
        self.filled = 0
        self.cost = 0.0  # side * sum((price - arrival) * qty) + fees, cents
        self.cost_fees = 0.0  # the account's fees at the last booking (not the previous episode's)

    def _remaining(self) -> int:
        return self.quantity - self.filled

    def _orders(self, action: Any) -> tuple[list[Order], bool]:
        size_i, price_i = int(action[0]), int(action[1])
        left = self._remaining()
        steps_left = max(1, self.n_steps - self.k)
        qty = min(left, int(round(SIZE_MULTIPLIERS[size_i] * left / steps_left)))
        if qty <= 0:
            return [], True
        bid, ask = self.session.top_of_book()
        touch_own, touch_other = (bid, ask) if self.side > 0 else (ask, bid)
        choice = PRICE_CHOICES[price_i]
        if choice == "market" or (choice == "cross" and touch_other is None):
            return [Order(self.side, qty)], True
        if choice == "cross":
            return [Order(self.side, qty, touch_other, tif="ioc")], True
        if touch_own is None:  # nothing to join: post one tick inside the other side
            touch_own = (touch_other - self.side) if touch_other is not None else int(self.mid0)
        price = touch_own if choice == "join" else touch_own - self.side
        return [Order(self.side, qty, max(1, price))], True

    def _book(self, fills: list[Fill]) -> None:
        for f in fills:  # a fill against the parent's side (a two-way agent in the seat) undoes progress
            self.filled += f.qty * f.side * self.side
            self.cost += f.side * (f.price - self.mid0) * f.qty
        self.cost_fees = self.account.fees

    def _finish(self, fills: list[Fill]) -> list[Fill]:
        """Cancel what rests and force-execute the rest with a market order; what the book cannot absorb is
        charged at the mid plus ``unfilled_penalty_bps`` (a synthetic fill, flagged with order id -1)."""
        left = self._remaining() - sum(f.qty for f in fills)
        self.session.submit(self.participant, [Order(self.side, left)] if left > 0 else [], cancel_all=True)
        forced = self.session.take_fills(self.participant)
        left -= sum(f.qty for f in forced)
        if left > 0:
            price = int(round(self.last_mid * (1 + self.side * self.unfilled_penalty_bps * 1e-4)))
            forced.append(Fill(self.session.clock, self.side, price, left, -1, True))
        return forced

    def _reward(self, fills: list[Fill], final: bool) -> float:
        before = self.cost + getattr(self, "cost_fees", 0.0)
        self._book(fills)
        after = self.cost + self.cost_fees
        return -(after - before) / (self.quantity * self.mid0) * 1e4

    def _task_done(self) -> bool:
        return self._remaining() <= 0

    def _extra(self, out: np.ndarray) -> None:
        out[0] = self._remaining() / self.quantity
        out[1] = (self.cost + getattr(self, "cost_fees", 0.0)) / (self.quantity * self.mid0) * 1e3

    def _info(self) -> dict[str, Any]:
        info = super()._info()
        bought = sum(f.qty for f in self._step_fills)
        info.update(
            filled=self.filled,
            remaining=self._remaining(),
            arrival_price=self.mid0 / 100.0,
            shortfall_bps=(self.cost + getattr(self, "cost_fees", 0.0)) / (self.quantity * self.mid0) * 1e4,
            vwap=(self.mid0 + self.cost / self.filled * self.side) / 100.0 if self.filled else None,
            step_qty=bought,
        )
        return info
