"""``Execution-v0`` as a Gymnasium ``VectorEnv``: N execution episodes stepped by one Numba call per step.

Sub-environment ``i`` is exactly ``ExecutionEnv`` seeded ``seed + i`` (``reset(seed=...)``, Gymnasium's
convention) and given the same actions: the same orders, fills, rewards and observations, bit for bit
(tested). What differs is where the work happens: the N markets advance in one ``WorldBatch`` call, and
the fills, accounts, rewards and observations of all N are computed in Numba, so a step costs one Python
round trip for all N instead of N. The rare per-episode work stays in Python: the reset with its warm-up,
and the force-execution at the horizon.

Autoreset follows Gymnasium's default (``AutoresetMode.NEXT_STEP``): the step after a sub-environment
terminated resets it, ignores its action and returns its first observation with reward 0. With
``autoreset_mode="same_step"`` (what Stable-Baselines3 expects, see :mod:`.sb3_vec`) the terminating step
returns the new episode's first observation and ``infos["final_obs"]`` (rows where ``infos["_final_obs"]``)
the last one. ``infos`` is otherwise empty (the single environment's ``info`` per step would cost a
Python dict per sub-environment).
Supported: a preset name or ``WorldConfig`` background, no ``background_agents`` (scripted agents need
Python at their decision times: use ``gymnasium.make_vec(..., vectorization_mode="sync")``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numba import njit

from ..exchange.types import MESSAGE_DTYPE, Flag, MsgKind
from ..world import WorldBatch, WorldConfig
from ..world.layout import W_N_TRADES
from ..world.world import depth_both
from .base import CLIP, MARKET_FEATURES
from .execution import PRICE_CHOICES, SIZE_MULTIPLIERS, ExecutionEnv
from .session import DEPTH_LEVELS

__all__ = ["ExecutionVectorEnv"]

_MULTIPLIERS = np.asarray(SIZE_MULTIPLIERS)
_MARKET, _CROSS, _JOIN = (PRICE_CHOICES.index(c) for c in ("market", "cross", "join"))
_KIND_MARKET, _KIND_LIMIT = int(MsgKind.MARKET), int(MsgKind.LIMIT)
_GTC, _IOC = int(Flag.GTC), int(Flag.IOC)


@njit(cache=True)
def _collect(worlds, which, owner, trades_seen, volume_mark, fee_rate, side, mid0, acc, state):
    """Book the new trades of worlds ``which`` (as ``TradingSession._collect`` and ``ExecutionEnv._book``
    do, in the same order, so the floats agree bit for bit). ``acc[i]`` = cash, fees, inventory, traded;
    ``state[i]`` = filled, cost, fill qty of this step."""
    for i in which:
        w = worlds[i]
        trades = w[19]
        n = w[8][W_N_TRADES]
        for j in range(trades_seen[i], n):
            t = trades[j]
            qty = t["qty"]
            volume_mark[i] += qty
            price = t["price"]
            notional = float(price) * qty
            for leg in range(2):
                if leg == 0:
                    who, own_side = t["taker_owner"], t["side"]
                else:
                    who, own_side = t["maker_owner"], -t["side"]
                if who != owner:
                    continue
                acc[i, 0] -= own_side * notional + fee_rate * notional
                acc[i, 1] += fee_rate * notional
                acc[i, 2] += own_side * qty
                acc[i, 3] += qty
                state[i, 0] += qty * own_side * side
                state[i, 1] += own_side * (price - mid0[i]) * qty
                state[i, 2] += qty
        trades_seen[i] = n


@njit(cache=True)
def _observe(
    book, base, k, n_steps, last_mid, mid0, volume, volume_scale, acc, inv_scale, quantity, state, out
):
    """The observation of every sub-environment (``TraderEnv._observe`` and ``ExecutionEnv._extra``)."""
    for i in range(out.shape[0]):
        o = out[i]
        bid, ask = book[i, 0, 0, 0], book[i, 1, 0, 0]
        o[0] = 1.0 - k[i] / n_steps
        o[1] = 1e3 * math.log(last_mid[i] / mid0[i])
        o[2] = CLIP if bid < 0 or ask < 0 else ((ask + base) - (bid + base)) / 10.0
        b1, a1 = book[i, 0, 1, 0], book[i, 1, 1, 0]
        o[3] = 0.0 if b1 + a1 <= 0 else (b1 - a1) / (b1 + a1)
        b5, a5 = book[i, 0, 1].sum(), book[i, 1, 1].sum()
        o[4] = 0.0 if b5 + a5 <= 0 else (b5 - a5) / (b5 + a5)
        o[5] = volume[i] / volume_scale
        o[6] = acc[i, 2] / inv_scale
        o[7] = (quantity - state[i, 0]) / quantity
        o[8] = (state[i, 1] + acc[i, 1]) / (quantity * mid0[i]) * 1e3
        for j in range(o.shape[0]):
            o[j] = min(max(o[j], -CLIP), CLIP)


@njit(cache=True)
def _orders_kernel(
    actions, live, quantity, state, k, n_steps, side, book, base, mid0, multipliers, msgs, counts
):
    """``ExecutionEnv._orders`` of every live sub-environment, into ``msgs[i, 0]`` (``counts[i]`` 0 or 1)."""
    for i in live:
        left = quantity - np.int64(state[i, 0])
        steps_left = max(1, n_steps - k[i])
        qty = min(left, np.int64(np.rint(multipliers[actions[i, 0]] * left / steps_left)))
        if qty <= 0:
            continue
        bid, ask = book[i, 0, 0, 0], book[i, 1, 0, 0]
        own, other = (bid, ask) if side > 0 else (ask, bid)  # ticks, -1: an empty side
        price_i = actions[i, 1]
        m = msgs[i, 0]
        m["qty"] = qty
        m["side"] = side
        counts[i] = 1
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
                touch = np.int64(mid0[i])
            price = touch if price_i == _JOIN else touch - side
            m["kind"], m["price"], m["flags"] = _KIND_LIMIT, max(1, price) - base, _GTC


def _autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    """An ``AutoresetMode`` from itself, its value ('SameStep') or its name ('same_step')."""
    if isinstance(mode, AutoresetMode):
        return mode
    by_name = {m.name.lower(): m for m in AutoresetMode} | {m.value.lower(): m for m in AutoresetMode}
    if str(mode).lower() not in by_name:
        raise ValueError(f"autoreset_mode must be 'next_step' or 'same_step', got {mode!r}")
    return by_name[str(mode).lower()]


class ExecutionVectorEnv(VectorEnv):
    """``num_envs`` ``intags_env/Execution-v0`` environments in one (see the module doc); the arguments are
    ``ExecutionEnv``'s."""

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 64,
        background: str | WorldConfig = "rmsc04",
        *,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **kwargs: Any,
    ) -> None:
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode must be 'next_step' or 'same_step', got {autoreset_mode!r}")
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        if kwargs.get("background_agents"):
            raise ValueError(
                "ExecutionVectorEnv cannot run background_agents (scripted agents need Python at their "
                'decision times); use gymnasium.make_vec(..., vectorization_mode="sync")'
            )
        if not isinstance(background, (str, WorldConfig)):
            raise TypeError(
                f"background must be a preset name or a WorldConfig, got {type(background).__name__}"
            )
        kwargs.pop("background_agents", None)
        if kwargs.get("render_mode") is not None:
            raise ValueError("ExecutionVectorEnv does not render")
        self.template = ExecutionEnv(background, **kwargs)  # validates the arguments; its constants
        self.num_envs = int(num_envs)
        t = self.template
        self.batch = WorldBatch(t.session.config, self.num_envs, n_external=1)
        self.single_observation_space = t.observation_space
        self.single_action_space = t.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        n = self.num_envs
        self.owner = self.batch.config.n_agents  # the learner: the first external participant
        self.base = self.batch.config.min_price
        self.fee_rate = t.session.fee_rate
        self._rngs: list[np.random.Generator] = [None] * n  # type: ignore[list-item]
        self._book = np.zeros((n, 2, 2, DEPTH_LEVELS), np.int64)
        self._msgs = np.zeros((n, 1), MESSAGE_DTYPE)
        self._msgs["owner"] = self.owner
        self._obs = np.zeros((n, len(MARKET_FEATURES) + 2), np.float32)
        self._acc = np.zeros((n, 4))  # cash, fees, inventory, traded (as Account)
        self._state = np.zeros((n, 3))  # filled, cost, this step's fill qty
        self._trades_seen = np.zeros(n, np.int64)
        self._volume_mark = np.zeros(n, np.int64)
        self._last_volume = np.zeros(n, np.int64)
        self._k = np.zeros(n, np.int64)
        self._t0 = np.zeros(n, np.int64)
        self._mid0 = np.zeros(n)
        self._last_mid = np.zeros(n)
        self._ended = np.zeros(n, bool)
        self._filled_before = np.zeros(n)
        self._volume = np.zeros(n, np.int64)
        self._all = np.arange(n)

    # --- Gymnasium VectorEnv API ------------------------------------------------------------------

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        n = self.num_envs
        if seed is None:
            seeds: list[int | None] = [None] * n
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(n)]
        else:
            if len(seed) != n:
                raise ValueError(f"need one seed per sub-environment ({n}), got {len(seed)}")
            seeds = list(seed)
        if self.batch._arrays is None:
            self.batch.reset([0] * n)  # allocate; every world is reset with its own seed below
        for i, s in enumerate(seeds):
            if s is not None or self._rngs[i] is None:
                self._rngs[i], _ = seeding.np_random(s)
            self._reset_one(i)
        self._volume_since_last(self._all)
        _observe(*self._observe_args())
        return self._obs.copy(), {}

    def step(self, actions: np.ndarray):
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs, 2) or not self.action_space.contains(actions.astype(np.int64)):
            raise ValueError(f"invalid actions {actions!r}: not in {self.action_space}")
        t = self.template
        rewards = np.zeros(self.num_envs)
        restarting = self._ended.copy()
        for i in np.flatnonzero(restarting):
            self._reset_one(i)
        live = np.flatnonzero(~restarting)
        counts = self._orders(actions, live)
        when = np.minimum(self._t0 + (self._k + 1) * t.interval, self.batch.config.end_ns)
        when[restarting] = -1  # left alone this step: their first observation is that of the reset
        before = self._state[:, 1] + self._acc[:, 1]
        self._filled_before[:] = self._state[:, 0]
        self._state[:, 2] = 0.0
        self.batch.participant_step(self._msgs, counts, np.full(self.num_envs, self.owner), when, self._book)
        _collect(self.batch._arrays, live, self.owner, self._trades_seen, self._volume_mark, self.fee_rate,
                 t.side, self._mid0, self._acc, self._state)  # fmt: skip
        self._k[live] += 1
        final = live[(self._k[live] >= t.n_steps) | (when[live] >= self.batch.config.end_ns)]
        for i in final:
            self._finish(i)
        mids = self._mids()
        have = ~np.isnan(mids)
        self._last_mid[have] = mids[have]
        after = self._state[:, 1] + self._acc[:, 1]
        rewards[live] = -(after[live] - before[live]) / (t.quantity * self._mid0[live]) * 1e4
        terminated = np.zeros(self.num_envs, bool)
        terminated[live] = (self._k[live] >= t.n_steps) | (self._state[live, 0] >= t.quantity)
        terminated[final] = True
        self._ended = terminated.copy()
        self._volume_since_last(self._all)
        _observe(*self._observe_args())
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and terminated.any():
            infos = {"final_obs": self._obs.copy(), "_final_obs": terminated.copy()}
            done = np.flatnonzero(terminated)
            for i in done:
                self._reset_one(i)
            self._volume_since_last(done)
            _observe(*self._observe_args())
        return self._obs.copy(), rewards, terminated, np.zeros(self.num_envs, bool), infos

    # --- what ExecutionEnv does, for all sub-environments ------------------------------------------

    def _reset_one(self, i: int) -> None:
        """Sub-environment ``i``'s ``reset``: a session seeded from its generator, the warm-up, arrival."""
        t = self.template
        world = self.batch.worlds[i]
        self.batch.reset_world(i, int(self._rngs[i].integers(0, 2**63 - 1)))
        world.run_until(world.config.start_ns + t.warmup)
        self.batch._sync(i)
        self._trades_seen[i] = 0
        self._volume_mark[i] = 0
        self._last_volume[i] = 0
        self._acc[i] = 0.0
        self._state[i] = 0.0
        _collect(self.batch._arrays, np.array([i]), self.owner, self._trades_seen, self._volume_mark,
                 self.fee_rate, t.side, self._mid0, self._acc, self._state)  # fmt: skip
        depth_both(world.arrays, self._book[i])
        self._t0[i] = world.clock
        self._k[i] = 0
        mid = self._mids()[i]
        self._mid0[i] = float(world.config.oracle.r_bar) if np.isnan(mid) else mid
        self._last_mid[i] = self._mid0[i]
        self._ended[i] = False

    def _orders(self, actions: np.ndarray, live: np.ndarray) -> np.ndarray:
        """``ExecutionEnv._orders`` of every live sub-environment, into ``self._msgs``; the counts."""
        t = self.template
        counts = np.zeros(self.num_envs, np.int64)
        _orders_kernel(actions.astype(np.int64), live, t.quantity, self._state, self._k, t.n_steps, t.side,
                       self._book, self.base, self._mid0, _MULTIPLIERS, self._msgs, counts)  # fmt: skip
        return counts

    def _finish(self, i: int) -> None:
        """``ExecutionEnv._finish`` for sub-environment ``i``: cancel what rests, force-execute what is left
        with a market order, charge what even that cannot fill at the mid plus the penalty."""
        t = self.template
        world = self.batch.worlds[i]
        left = t.quantity - int(self._filled_before[i]) - int(self._state[i, 2])  # as ExecutionEnv counts
        resting = world.open_orders(self.owner)
        n = len(resting) + (1 if left > 0 else 0)
        if n:
            msgs = np.zeros(n, MESSAGE_DTYPE)
            msgs["owner"] = self.owner
            msgs["kind"][: len(resting)] = MsgKind.CANCEL
            msgs["order_id"][: len(resting)] = resting
            if left > 0:
                msgs["kind"][-1], msgs["side"][-1], msgs["qty"][-1] = MsgKind.MARKET, t.side, left
            world.submit(msgs)
            self.batch._sync(i)
        step_qty = self._state[i, 2]
        _collect(self.batch._arrays, np.array([i]), self.owner, self._trades_seen, self._volume_mark,
                 self.fee_rate, t.side, self._mid0, self._acc, self._state)  # fmt: skip
        left -= int(self._state[i, 2] - step_qty)
        if left > 0:  # ExecutionEnv's synthetic fill (order id -1): booked as a fill, not in the account
            price = int(round(self._last_mid[i] * (1 + t.side * t.unfilled_penalty_bps * 1e-4)))
            self._state[i, 0] += left * t.side * t.side
            self._state[i, 1] += t.side * (price - self._mid0[i]) * left
        depth_both(world.arrays, self._book[i])

    # --- market data ------------------------------------------------------------------------------

    def _mids(self) -> np.ndarray:
        """Every sub-environment's mid in cents (NaN where a side is empty)."""
        bid, ask = self._book[:, 0, 0, 0], self._book[:, 1, 0, 0]
        mid = ((bid + self.base) + (ask + self.base)) / 2
        return np.where((bid >= 0) & (ask >= 0), mid, np.nan)

    def _volume_since_last(self, which: np.ndarray) -> None:
        """The market's volume since each sub-environment last observed (``market_volume_since_last``)."""
        self._volume[which] = self._volume_mark[which] - self._last_volume[which]
        self._last_volume[which] = self._volume_mark[which]

    def _observe_args(self) -> tuple:
        t = self.template
        return (self._book, self.base, self._k, t.n_steps, self._last_mid, self._mid0, self._volume,
                t.volume_scale, self._acc, t.inventory_scale, t.quantity, self._state, self._obs)  # fmt: skip
