"""``Execution-v0`` as a Gymnasium ``VectorEnv``: N execution episodes stepped by one Numba call per step.

Sub-environment ``i`` is exactly ``ExecutionEnv`` seeded ``seed + i`` (``reset(seed=...)``, Gymnasium's
convention) and given the same actions: the same orders, fills, rewards and observations, bit for bit
(tested). The N markets advance in one ``WorldBatch`` call, and the orders, fills, accounts, rewards and
observations of all N are computed in Numba (:mod:`.vector_base`); the per-episode work stays in Python:
the reset with its warm-up, and the force-execution at the horizon.

Autoreset follows Gymnasium's default (``AutoresetMode.NEXT_STEP``): the step after a sub-environment
terminated resets it, ignores its action and returns its first observation with reward 0. With
``autoreset_mode="same_step"`` (what Stable-Baselines3 expects, see :mod:`.sb3_vec`) the terminating step
returns the new episode's first observation and ``infos["final_obs"]`` (rows where ``infos["_final_obs"]``)
the last one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from .execution import PRICE_CHOICES, SIZE_MULTIPLIERS, ExecutionEnv
from .vector_base import COST, FEES, FILLED, INVENTORY, STEP_QTY, TraderVectorEnv, clip, market_features

__all__ = ["ExecutionVectorEnv"]

_MULTIPLIERS = np.asarray(SIZE_MULTIPLIERS)
_MARKET, _CROSS, _JOIN = (PRICE_CHOICES.index(c) for c in ("market", "cross", "join"))
_KIND_MARKET, _KIND_LIMIT = int(MsgKind.MARKET), int(MsgKind.LIMIT)
_GTC, _IOC = int(Flag.GTC), int(Flag.IOC)


@njit(cache=True)
def execution_order(msgs, j, size_i, price_i, left, steps_left, side, bid, ask, base, mid0, multipliers):
    """``ExecutionEnv._orders`` of one decision into ``msgs[j]`` (kind, price, flags, qty, side); returns
    how many orders it wrote (0 or 1). ``bid``/``ask`` in ticks, -1 for an empty side."""
    qty = min(left, np.int64(np.rint(multipliers[size_i] * left / steps_left)))
    if qty <= 0:
        return 0
    own, other = (bid, ask) if side > 0 else (ask, bid)
    m = msgs[j]
    m["qty"] = qty
    m["side"] = side
    if price_i == _MARKET or (price_i == _CROSS and other < 0):
        m["kind"], m["price"], m["flags"] = _KIND_MARKET, 0, 0
    elif price_i == _CROSS:
        m["kind"], m["price"], m["flags"] = _KIND_LIMIT, other, _IOC
    else:
        if own >= 0:
            touch = own + base
        elif other >= 0:
            touch = other + base - side
        else:
            touch = np.int64(mid0)
        price = touch if price_i == _JOIN else touch - side
        m["kind"], m["price"], m["flags"] = _KIND_LIMIT, max(1, price) - base, _GTC
    return 1


@njit(cache=True)
def execution_extra(o, quantity, filled, cost_and_fees, mid0):
    """``ExecutionEnv._extra``: the fraction left and the shortfall so far (10 bps), into ``o[7:9]``."""
    o[7] = (quantity - filled) / quantity
    o[8] = cost_and_fees / (quantity * mid0) * 1e3


@njit(cache=True)
def _orders_kernel(
    actions, live, quantity, state, k, n_steps, side, book, base, mid0, multipliers, msgs, counts
):
    """``ExecutionEnv._orders`` of every live sub-environment, into ``msgs[i, 0]`` (``counts[i]`` 0 or 1)."""
    for i in live:
        left = quantity - np.int64(state[i, FILLED])
        counts[i] = execution_order(msgs[i], 0, actions[i, 0], actions[i, 1], left, max(1, n_steps - k[i]),
                                    side, book[i, 0, 0, 0], book[i, 1, 0, 0], base, mid0[i],
                                    multipliers)  # fmt: skip


@njit(cache=True)
def _observe(
    which, book, base, k, n_steps, last_mid, mid0, volume, volume_scale, acc, inv_scale, quantity, state, out
):
    """The observations of sub-environments ``which`` (``TraderEnv._observe``, ``ExecutionEnv._extra``)."""
    for i in which:
        o = out[i]
        market_features(o, book[i], base, k[i], n_steps, last_mid[i], mid0[i], volume[i], volume_scale,
                        acc[i, INVENTORY], inv_scale)  # fmt: skip
        execution_extra(o, quantity, state[i, FILLED], state[i, COST] + acc[i, FEES], mid0[i])
        clip(o)


class ExecutionVectorEnv(TraderVectorEnv):
    """``num_envs`` ``intags_env/Execution-v0`` environments in one (see the module doc); the other
    arguments are ``ExecutionEnv``'s."""

    single = ExecutionEnv
    n_extra = 2

    def _allocate(self) -> None:
        self.side = self.template.side
        self._filled_before = np.zeros(self.num_envs)
        self._cost_before = np.zeros(self.num_envs)

    def _orders(self, actions: np.ndarray, live: np.ndarray) -> np.ndarray:
        t = self.template
        counts = np.zeros(self.num_envs, np.int64)
        _orders_kernel(actions, live, t.quantity, self._state, self._k, t.n_steps, t.side, self._book,
                       self.base, self._mid0, _MULTIPLIERS, self._msgs, counts)  # fmt: skip
        return counts

    def _before_step(self) -> None:
        self._cost_before = self._state[:, COST] + self._acc[:, FEES]
        self._filled_before[:] = self._state[:, FILLED]

    def _rewards(self, live: np.ndarray) -> np.ndarray:
        t = self.template
        after = self._state[live, COST] + self._acc[live, FEES]
        return -(after - self._cost_before[live]) / (t.quantity * self._mid0[live]) * 1e4

    def _task_done(self, live: np.ndarray) -> np.ndarray:
        return self._state[live, FILLED] >= self.template.quantity

    def _finish(self, i: int) -> None:
        """``ExecutionEnv._finish`` for sub-environment ``i``: cancel what rests, force-execute what is left
        with a market order, charge what even that cannot fill at the mid plus the penalty."""
        t = self.template
        left = t.quantity - int(self._filled_before[i]) - int(self._state[i, STEP_QTY])  # as ExecutionEnv
        resting = self.batch.worlds[i].open_orders(self.owner)
        msgs = np.zeros(len(resting) + (1 if left > 0 else 0), MESSAGE_DTYPE)
        msgs["owner"] = self.owner
        msgs["kind"][: len(resting)] = MsgKind.CANCEL
        msgs["order_id"][: len(resting)] = resting
        if left > 0:
            msgs["kind"][-1], msgs["side"][-1], msgs["qty"][-1] = MsgKind.MARKET, t.side, left
        step_qty = self._state[i, STEP_QTY]
        self._submit(i, msgs)
        left -= int(self._state[i, STEP_QTY] - step_qty)
        if left > 0:  # ExecutionEnv's synthetic fill (order id -1): booked as a fill, not in the account
            price = int(round(self._last_mid[i] * (1 + t.side * t.unfilled_penalty_bps * 1e-4)))
            self._state[i, FILLED] += left * t.side * t.side
            self._state[i, COST] += t.side * (price - self._mid0[i]) * left

    def _observe(self, which: np.ndarray) -> None:
        t = self.template
        _observe(which, self._book, self.base, self._k, t.n_steps, self._last_mid, self._mid0, self._volume,
                 t.volume_scale, self._acc, t.inventory_scale, t.quantity, self._state,
                 self._obs)  # fmt: skip
