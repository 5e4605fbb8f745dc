"""``MarketMaking-v0`` as a Gymnasium ``VectorEnv`` stepped in Numba: sub-environment ``i`` is
``MarketMakingEnv`` seeded ``seed + i``, bit for bit (tested). Autoreset, supported backgrounds and
``infos``: as :mod:`.vector_base` and :mod:`.vector_execution` describe."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..exchange.types import Flag, MsgKind
from .market_making import OFFSETS, QUOTE_SIZES, MarketMakingEnv
from .vector_base import BOUGHT, INVENTORY, SOLD, TraderVectorEnv, clip, market_features

__all__ = ["MarketMakingVectorEnv"]

_OFFSETS, _SIZES, _LARGEST = np.asarray(OFFSETS), np.asarray(QUOTE_SIZES), max(QUOTE_SIZES)
_KIND_LIMIT, _GTC = int(MsgKind.LIMIT), int(Flag.GTC)


@njit(cache=True)
def quote_orders(msgs, j, action, inventory, max_inventory, bid, ask, base, last_mid, offsets, sizes):
    """``MarketMakingEnv._orders`` of one decision into ``msgs[j:]``: the bid, then the ask, each unless
    its full fill would pass the inventory limit; offsets count from the quote's own best price
    (``_reference``). Returns (orders written, blocked sides: bit 1 the bid, bit 2 the ask)."""
    n = 0
    blocked = 0
    for leg in range(2):
        side = 1 if leg == 0 else -1
        size = sizes[action[2 + leg]]
        if size == 0:
            continue
        if side * inventory + size > max_inventory:
            blocked |= 1 << leg
            continue
        own, other = (bid, ask) if side > 0 else (ask, bid)  # ticks, -1: an empty side
        if own >= 0:
            reference = own + base
        elif other >= 0:
            reference = other + base - side
        elif side > 0:
            reference = np.int64(math.ceil(last_mid)) - 1
        else:
            reference = np.int64(math.floor(last_mid)) + 1
        m = msgs[j + n]
        price = max(1, reference - side * offsets[action[leg]])
        m["kind"], m["price"], m["flags"], m["qty"], m["side"] = _KIND_LIMIT, price - base, _GTC, size, side
        n += 1
    return n, blocked


@njit(cache=True)
def quote_extra(o, state, i, inventory, max_inventory):
    """``MarketMakingEnv._extra`` into ``o[7:10]``; the fills counted in ``state[i]`` are read once (the
    next observation counts the next interval's)."""
    o[7] = state[i, BOUGHT] / _LARGEST
    o[8] = state[i, SOLD] / _LARGEST
    o[9] = inventory / max_inventory
    state[i, BOUGHT] = 0.0
    state[i, SOLD] = 0.0


@njit(cache=True)
def _orders_kernel(actions, live, acc, max_inventory, book, base, last_mid, offsets, sizes, msgs, counts):
    """``quote_orders`` of every live sub-environment, into ``msgs[i]``."""
    for i in live:
        counts[i], _ = quote_orders(msgs[i], 0, actions[i], acc[i, INVENTORY], max_inventory,
                                    book[i, 0, 0, 0], book[i, 1, 0, 0], base, last_mid[i], offsets,
                                    sizes)  # fmt: skip


@njit(cache=True)
def _observe(
    which, book, base, k, n_steps, last_mid, mid0, volume, vol_scale, acc, inv_scale, state, max_inv, out
):
    """The observations of sub-environments ``which`` (``TraderEnv._observe``, ``MarketMakingEnv._extra``)."""
    for i in which:
        o = out[i]
        market_features(o, book[i], base, k[i], n_steps, last_mid[i], mid0[i], volume[i], vol_scale,
                        acc[i, INVENTORY], inv_scale)  # fmt: skip
        quote_extra(o, state, i, acc[i, INVENTORY], max_inv)
        clip(o)


class MarketMakingVectorEnv(TraderVectorEnv):
    """``num_envs`` ``intags_env/MarketMaking-v0`` environments in one; the other arguments are
    ``MarketMakingEnv``'s."""

    single = MarketMakingEnv
    n_extra = 3
    max_orders = 2

    def _orders(self, actions: np.ndarray, live: np.ndarray) -> np.ndarray:
        counts = np.zeros(self.num_envs, np.int64)
        _orders_kernel(actions, live, self._acc, self.template.max_inventory, self._book, self.base,
                       self._last_mid, _OFFSETS, _SIZES, self._msgs, counts)  # fmt: skip
        return counts

    def _rewards(self, live: np.ndarray) -> np.ndarray:
        """The change of the P&L marked at the last mid, minus the inventory penalty, in dollars."""
        penalty = self.template.inventory_penalty * np.abs(self._acc[live, INVENTORY])
        return self._pnl_change(live) - penalty

    def _observe(self, which: np.ndarray) -> None:
        t = self.template
        _observe(which, self._book, self.base, self._k, t.n_steps, self._last_mid, self._mid0, self._volume,
                 t.volume_scale, self._acc, t.inventory_scale, self._state, t.max_inventory,
                 self._obs)  # fmt: skip
