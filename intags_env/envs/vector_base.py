"""What the Numba-stepped vector environments share: N markets in a ``WorldBatch``, the learner's
accounts and fills booked in a kernel, the market features of the observation, seeding, and Gymnasium's
autoreset. A subclass (``vector_execution``, ``vector_trading``) adds what its single environment adds:
the orders an action sends, the reward, the episode end and the extra features, each computed so that
sub-environment ``i`` is its single environment seeded ``seed + i``, bit for bit.

Supported: a preset name or ``WorldConfig`` background, no ``background_agents`` (scripted agents need
Python at their decision times: use ``gymnasium.make_vec(..., vectorization_mode="sync")``). ``infos`` is
empty but for same-step autoreset's ``final_obs`` (the single environments' ``info`` would cost a Python
dict per sub-environment and step).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numba import njit

from ..exchange.types import MESSAGE_DTYPE
from ..world import WorldBatch, WorldConfig
from ..world.layout import W_N_TRADES
from ..world.world import depth_both
from .base import CLIP, MARKET_FEATURES, TraderEnv
from .session import DEPTH_LEVELS

__all__ = ["TraderVectorEnv"]

#: Columns of the per-world account array (as ``session.Account``).
CASH, FEES, INVENTORY, TRADED = range(4)
#: Columns of the per-world fill state: signed progress along ``side``, cost against ``mid0`` (cents),
#: shares filled since the step began, shares bought and sold since the subclass last cleared them.
FILLED, COST, STEP_QTY, BOUGHT, SOLD = range(5)


@njit(cache=True)
def collect(worlds, which, owner, trades_seen, volume_mark, fee_rate, side, mid0, acc, state):
    """Book the new trades of worlds ``which`` as ``TradingSession._collect`` does (and, for an execution,
    ``ExecutionEnv._book``), trade by trade in the same order, so that the floats agree bit for bit."""
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
                acc[i, CASH] -= own_side * notional + fee_rate * notional
                acc[i, FEES] += fee_rate * notional
                acc[i, INVENTORY] += own_side * qty
                acc[i, TRADED] += qty
                state[i, FILLED] += qty * own_side * side
                state[i, COST] += own_side * (price - mid0[i]) * qty
                state[i, STEP_QTY] += qty
                state[i, BOUGHT if own_side > 0 else SOLD] += qty
        trades_seen[i] = n


@njit(cache=True)
def market_features(o, book, base, k, n_steps, last_mid, mid0, volume, volume_scale, inventory, inv_scale):
    """``TraderEnv._observe``'s market features of one sub-environment into ``o[:7]`` (not yet clipped)."""
    bid, ask = book[0, 0, 0], book[1, 0, 0]
    o[0] = 1.0 - k / n_steps
    o[1] = 1e3 * math.log(last_mid / mid0)
    o[2] = CLIP if bid < 0 or ask < 0 else ((ask + base) - (bid + base)) / 10.0
    b1, a1 = book[0, 1, 0], book[1, 1, 0]
    o[3] = 0.0 if b1 + a1 <= 0 else (b1 - a1) / (b1 + a1)
    b5, a5 = book[0, 1].sum(), book[1, 1].sum()
    o[4] = 0.0 if b5 + a5 <= 0 else (b5 - a5) / (b5 + a5)
    o[5] = volume / volume_scale
    o[6] = inventory / inv_scale


@njit(cache=True)
def clip(o):
    for j in range(o.shape[0]):
        o[j] = min(max(o[j], -CLIP), CLIP)


def _autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    """An ``AutoresetMode`` from itself, its value ('SameStep') or its name ('same_step'); next or same
    step only."""
    if isinstance(mode, AutoresetMode):
        found = mode
    else:
        by_name = {m.name.lower(): m for m in AutoresetMode} | {m.value.lower(): m for m in AutoresetMode}
        found = by_name.get(str(mode).lower())
    if found not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
        raise ValueError(f"autoreset_mode must be 'next_step' or 'same_step', got {mode!r}")
    return found


class TraderVectorEnv(VectorEnv):
    """Base class: ``num_envs`` copies of ``single`` (a ``TraderEnv`` class) in one; see the module doc."""

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
    single: ClassVar[type[TraderEnv]]
    n_extra: ClassVar[int] = 0  # features after the market's
    max_orders: ClassVar[int] = 1  # orders an action sends at most

    def __init__(
        self,
        num_envs: int = 64,
        background: str | WorldConfig = "rmsc04",
        *,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **kwargs: Any,
    ) -> None:
        """``num_envs`` markets; ``autoreset_mode`` 'next_step' (Gymnasium's default) or 'same_step'; the
        other arguments are the single environment's."""
        name = type(self).__name__
        self.autoreset_mode = _autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        if kwargs.get("background_agents"):
            raise ValueError(
                f"{name} cannot run background_agents (scripted agents need Python at their decision "
                'times); use gymnasium.make_vec(..., vectorization_mode="sync")'
            )
        if not isinstance(background, (str, WorldConfig)):
            kind = type(background).__name__
            raise TypeError(f"background must be a preset name or a WorldConfig, got {kind}")
        if kwargs.get("render_mode") is not None:
            raise ValueError(f"{name} does not render")
        kwargs.pop("background_agents", None)
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.template = self.single(background, **kwargs)  # validates the arguments; holds the constants
        self.num_envs = n = int(num_envs)
        t = self.template
        self.batch = WorldBatch(t.session.config, n, n_external=1)
        self.single_observation_space = t.observation_space
        self.single_action_space = t.action_space
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.owner = self.batch.config.n_agents  # the learner: the first external participant
        self.base = self.batch.config.min_price
        self.fee_rate = t.session.fee_rate
        self.side = 1  # the side that ``state[:, FILLED]`` and ``state[:, COST]`` are measured along
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._book = np.zeros((n, 2, 2, DEPTH_LEVELS), np.int64)
        self._msgs = np.zeros((n, self.max_orders), MESSAGE_DTYPE)
        self._msgs["owner"] = self.owner
        self._cancel_all = np.full(n, self.owner)  # every step cancels the learner's resting orders
        self._obs = np.zeros((n, len(MARKET_FEATURES) + self.n_extra), np.float32)
        self._acc = np.zeros((n, 4))
        self._state = np.zeros((n, 5))
        self._trades_seen = np.zeros(n, np.int64)
        self._volume_mark = np.zeros(n, np.int64)
        self._last_volume = np.zeros(n, np.int64)
        self._volume = np.zeros(n, np.int64)
        self._k = np.zeros(n, np.int64)
        self._t0 = np.zeros(n, np.int64)
        self._mid0 = np.zeros(n)
        self._last_mid = np.zeros(n)
        self._ended = np.zeros(n, bool)
        self._last_pnl = np.zeros(n)  # dollars, for the rewards that are P&L changes
        self._all = np.arange(n)
        self._allocate()

    # --- the subclass's part ------------------------------------------------------------------------

    def _allocate(self) -> None:
        """Allocate the subclass's own per-sub-environment arrays (``self.num_envs`` rows)."""

    def _orders(self, actions: np.ndarray, live: np.ndarray) -> np.ndarray:
        """Write the live sub-environments' orders into ``self._msgs``; return the counts per world."""
        raise NotImplementedError

    def _before_step(self) -> None:
        """Remember what the reward needs from before the step."""

    def _finish(self, i: int) -> None:
        """Sub-environment ``i`` reached its horizon (its single env's ``_finish``)."""

    def _rewards(self, live: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _task_done(self, live: np.ndarray) -> np.ndarray:
        return np.zeros(len(live), bool)

    def _on_reset(self, i: int) -> None:
        """Sub-environment ``i``'s single env's ``_on_reset``."""

    def _observe(self, which: np.ndarray) -> None:
        """The observations of sub-environments ``which`` into ``self._obs`` (once per observation: a
        feature may remember what it read, as ``Trading-v0``'s last return does)."""
        raise NotImplementedError

    # --- Gymnasium VectorEnv API --------------------------------------------------------------------

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        n = self.num_envs
        if seed is None:
            seeds: list[int | None] = [None] * n
        elif isinstance(seed, (int, np.integer)):
            seeds = [int(seed) + i for i in range(n)]
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
        self._observe(self._all)
        return self._obs.copy(), {}

    def step(self, actions: np.ndarray):
        actions = np.asarray(actions)
        whole = actions.dtype != bool and np.issubdtype(actions.dtype, np.number) and np.all(actions % 1 == 0)
        if not whole or not self.action_space.contains(actions.astype(np.int64)):
            raise ValueError(f"invalid actions {actions!r}: not in {self.action_space}")
        t = self.template
        rewards = np.zeros(self.num_envs)
        restarting = self._ended.copy()
        for i in np.flatnonzero(restarting):
            self._reset_one(i)
        live = np.flatnonzero(~restarting)
        counts = self._orders(actions.astype(np.int64), live)
        when = np.minimum(self._t0 + (self._k + 1) * t.interval, self.batch.config.end_ns)
        when[restarting] = -1  # left alone this step: their first observation is that of the reset
        self._before_step()
        self._state[:, STEP_QTY] = 0.0
        self.batch.participant_step(self._msgs, counts, self._cancel_all, when, self._book)
        self._collect(live)
        self._k[live] += 1
        final = live[(self._k[live] >= t.n_steps) | (when[live] >= self.batch.config.end_ns)]
        for i in final:
            self._finish(i)
        mids = self._mids()
        have = ~np.isnan(mids)
        self._last_mid[have] = mids[have]
        rewards[live] = self._rewards(live)
        terminated = np.zeros(self.num_envs, bool)
        terminated[live] = (self._k[live] >= t.n_steps) | self._task_done(live)
        terminated[final] = True
        self._ended = terminated.copy()
        self._volume_since_last(self._all)
        self._observe(self._all)
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP and terminated.any():
            infos = {"final_obs": self._obs.copy(), "_final_obs": terminated.copy()}
            done = np.flatnonzero(terminated)
            for i in done:
                self._reset_one(i)
            self._volume_since_last(done)
            self._observe(done)
        return self._obs.copy(), rewards, terminated, np.zeros(self.num_envs, bool), infos

    # --- what TraderEnv and TradingSession do, for all sub-environments -----------------------------

    def _reset_one(self, i: int) -> None:
        """Sub-environment ``i``'s ``reset``: a session seeded from its generator, the warm-up, the start."""
        world = self.batch.worlds[i]
        self.batch.reset_world(i, int(self._rngs[i].integers(0, 2**63 - 1)))
        world.run_until(world.config.start_ns + self.template.warmup)
        self.batch._sync(i)
        self._trades_seen[i] = 0
        self._volume_mark[i] = 0
        self._last_volume[i] = 0
        self._acc[i] = 0.0
        self._state[i] = 0.0
        self._collect(np.array([i]))
        depth_both(world.arrays, self._book[i])
        self._t0[i] = world.clock
        self._k[i] = 0
        mid = self._mids()[i]
        self._mid0[i] = float(world.config.oracle.r_bar) if np.isnan(mid) else mid
        self._last_mid[i] = self._mid0[i]
        self._ended[i] = False
        self._last_pnl[i] = 0.0
        self._on_reset(i)

    def _pnl_change(self, live: np.ndarray) -> np.ndarray:
        """The change of each live sub-environment's P&L (``Account.pnl`` marked at the last mid, dollars)
        since the last call."""
        inventory = self._acc[live, INVENTORY]
        marked = np.where(inventory != 0, inventory * self._last_mid[live], 0.0)
        pnl = (self._acc[live, CASH] + marked) / 100.0
        change = pnl - self._last_pnl[live]
        self._last_pnl[live] = pnl
        return change

    def _collect(self, which: np.ndarray) -> None:
        collect(self.batch._arrays, which, self.owner, self._trades_seen, self._volume_mark, self.fee_rate,
                self.side, self._mid0, self._acc, self._state)  # fmt: skip

    def _submit(self, i: int, msgs: np.ndarray) -> None:
        """Messages of sub-environment ``i``'s learner sent now (outside a step), then booked."""
        if len(msgs):
            self.batch.worlds[i].submit(msgs)
            self.batch._sync(i)
        self._collect(np.array([i]))
        depth_both(self.batch.worlds[i].arrays, self._book[i])

    def _mids(self) -> np.ndarray:
        """Every sub-environment's mid in cents (NaN where a side is empty)."""
        bid, ask = self._book[:, 0, 0, 0], self._book[:, 1, 0, 0]
        mid = ((bid + self.base) + (ask + self.base)) / 2
        return np.where((bid >= 0) & (ask >= 0), mid, np.nan)

    def _volume_since_last(self, which: np.ndarray) -> None:
        """The market's volume since each sub-environment last observed (``market_volume_since_last``)."""
        self._volume[which] = self._volume_mark[which] - self._last_volume[which]
        self._last_volume[which] = self._volume_mark[which]
