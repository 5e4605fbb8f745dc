"""``ConfoundedTrader``: the experimental (AT) trader whose actions INTAGS measures the effect of.

It buys or sells a fixed size at each decision time, with a probability that depends on the previous
market state (that dependence makes the state a confounder), and it logs that probability, so the
propensity is known and the IPW estimate of its effect is unbiased.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..envs.protocol import Fill, MarketView, Order

__all__ = ["ConfoundedTrader"]


@dataclass
class ConfoundedTrader:
    """Buys (a=1) with probability sigmoid(alpha + beta * z), else sells ``size`` at market (beta = 0: a
    randomised trial). The state z is, by ``feature``, the last interval's mid log-return over
    ``return_scale`` ("return") or the touch depth imbalance (bid - ask) / (bid + ask) over
    ``imbalance_scale`` ("imbalance": a strong confounder, since the imbalance predicts the next mid
    move), clipped to ``[-z_clip, z_clip]``. The clip keeps every propensity strictly inside (0, 1) (overlap:
    both actions stay possible in every state, which IPW needs); a large trade can move the mid by
    many ``return_scale`` units, and without it the propensity would round to exactly 0 or 1.

    Implements ``TradingAgent``; the decisions, their propensities and the mids are logged in ``log``.
    """

    alpha: float = 0.0
    beta: float = 1.0
    size: int = 100
    interval_s: float = 10.0
    return_scale: float = 1e-4
    feature: str = "return"
    imbalance_scale: float = 0.25
    z_clip: float = 4.0
    name: str = "confounded"
    log: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.size <= 0 or self.interval_s <= 0 or self.return_scale <= 0 or not self.z_clip > 0:
            raise ValueError("size, interval_s, return_scale and z_clip must be positive")
        if self.feature not in ("return", "imbalance") or not self.imbalance_scale > 0:
            raise ValueError(
                f"feature must be 'return' or 'imbalance' and imbalance_scale positive, got {self.feature!r}"
                f" and {self.imbalance_scale!r}"
            )
        self.reset(None)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.log = {
            "action": [],
            "propensity": [],
            "mid": [],
            "state": [],
            "time": [],
            "spread": [],
            "touch_imbalance": [],
        }
        self._last_mid: float | None = None

    def propensity(self, z: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.alpha + self.beta * z)))

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        mid = view.mid
        if mid is None:
            return [], True
        if self.feature == "imbalance":
            bid, ask = int(view.bid_sizes[0]), int(view.ask_sizes[0])
            z = (bid - ask) / (bid + ask) / self.imbalance_scale
        else:
            z = 0.0 if self._last_mid is None else math.log(mid / self._last_mid) / self.return_scale
        z = min(max(z, -self.z_clip), self.z_clip)
        self._last_mid = mid
        p = self.propensity(z)
        a = int(self.rng.random() < p)
        bid, ask = int(view.bid_sizes[0]), int(view.ask_sizes[0])
        logged = (
            ("action", a),
            ("propensity", p),
            ("mid", mid),
            ("state", z),
            ("time", view.time),
            ("spread", view.spread),
            ("touch_imbalance", (bid - ask) / (bid + ask) if bid + ask else 0.0),
        )
        for key, value in logged:
            self.log[key].append(value)
        return [Order(1 if a else -1, self.size)], True

    def on_fills(self, fills: list[Fill]) -> None:
        """Fills do not change the experiment's decisions."""
