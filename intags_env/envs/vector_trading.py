"""``Trading-v0`` as a Gymnasium ``VectorEnv`` stepped in Numba: sub-environment ``i`` is ``TradingEnv``
seeded ``seed + i``, bit for bit (tested). Autoreset, supported backgrounds and ``infos``: as
:mod:`.vector_base` and :mod:`.vector_execution` describe."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..exchange.types import MsgKind
from .trading import TradingEnv
from .vector_base import INVENTORY, TraderVectorEnv, clip, market_features

__all__ = ["TradingVectorEnv"]

_KIND_MARKET = int(MsgKind.MARKET)


@njit(cache=True)
def trade_order(msgs, j, action, inventory, trade_size, max_position):
    """``TradingEnv._orders`` of one decision into ``msgs[j]``: a market order of ``trade_size`` on side
    ``action - 1``, unless it would take the position beyond ``max_position``. Returns (orders written,
    1 if the position limit withheld the trade)."""
    side = action - 1
    if side == 0:
        return 0, 0
    if side * inventory + trade_size > max_position:
        return 0, 1
    m = msgs[j]
    m["kind"], m["price"], m["flags"], m["qty"], m["side"] = _KIND_MARKET, 0, 0, trade_size, side
    return 1, 0


@njit(cache=True)
def trading_extra(o, inventory, max_position, last_mid, prev_mid, i):
    """``TradingEnv._extra`` into ``o[7:9]``; ``prev_mid[i]`` is read once (the next observation measures
    the next interval)."""
    o[7] = inventory / max_position
    o[8] = 1e4 * math.log(last_mid / prev_mid[i])
    prev_mid[i] = last_mid


@njit(cache=True)
def _orders_kernel(actions, live, acc, trade_size, max_position, msgs, counts):
    """``trade_order`` of every live sub-environment, into ``msgs[i, 0]``."""
    for i in live:
        counts[i], _ = trade_order(msgs[i], 0, actions[i], acc[i, INVENTORY], trade_size, max_position)


@njit(cache=True)
def _observe(
    which, book, base, k, n_steps, last_mid, mid0, prev_mid, volume, vol_scale, acc, inv_scale, max_pos, out
):
    """The observations of sub-environments ``which`` (``TraderEnv._observe``, ``TradingEnv._extra``)."""
    for i in which:
        o = out[i]
        market_features(o, book[i], base, k[i], n_steps, last_mid[i], mid0[i], volume[i], vol_scale,
                        acc[i, INVENTORY], inv_scale)  # fmt: skip
        trading_extra(o, acc[i, INVENTORY], max_pos, last_mid[i], prev_mid, i)
        clip(o)


class TradingVectorEnv(TraderVectorEnv):
    """``num_envs`` ``intags_env/Trading-v0`` environments in one; the other arguments are
    ``TradingEnv``'s."""

    single = TradingEnv
    n_extra = 2

    def _allocate(self) -> None:
        self._prev_mid = np.zeros(self.num_envs)

    def _on_reset(self, i: int) -> None:
        self._prev_mid[i] = self._last_mid[i]

    def _orders(self, actions: np.ndarray, live: np.ndarray) -> np.ndarray:
        t = self.template
        counts = np.zeros(self.num_envs, np.int64)
        _orders_kernel(actions, live, self._acc, t.trade_size, t.max_position, self._msgs, counts)
        return counts

    def _rewards(self, live: np.ndarray) -> np.ndarray:
        return self._pnl_change(live)

    def _observe(self, which: np.ndarray) -> None:
        t = self.template
        _observe(which, self._book, self.base, self._k, t.n_steps, self._last_mid, self._mid0, self._prev_mid,
                 self._volume, t.volume_scale, self._acc, t.inventory_scale, t.max_position,
                 self._obs)  # fmt: skip
