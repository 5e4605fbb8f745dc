"""``intags_env/WorldAgent-v0``: the world-agent generator is the learner, rewarded by the INTAGS metric.

Each step the learner emits the next background order (:mod:`.spec`: its type, then that type's side,
price or level, size and inter-arrival buckets), or the next ``orders_per_step`` orders; the market
clock moves by each order's inter-arrival time, the experimental trader (a ``ConfoundedTrader``)
acts at its own decision times on the way, then the order is placed.
The observation is the last ``HISTORY`` market states.

The reward is 0 until the session ends. Then the env computes the episode's causal feedback f(T) (the
IPW effect of the experimental trader's buys vs sells on the mid at horizons 1..H) and rewards it with
``FeedbackReward``: the episode's share of -MMD^2 against the real feedback set (the MMD witness
split, see :mod:`.reward`). The real set is collected once from the real market in the same window
with the same trader and cached on disk. An episode whose feedback cannot be computed (the trader never
saw a two-sided book, or never both bought and sold) gets -2, the largest possible MMD^2 of a Gaussian
kernel. ``max_orders`` truncates a generator that floods the market with near-zero delays; a truncated
episode is rewarded on the part of the session it reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from ..envs.session import TradingSession
from ..intags.experiment import ConfoundedTrader, collect_feedback, trajectory, trajectory_feedback
from ..world import WorldConfig, WorldError, resolve_config
from .background import GeneratorBackground
from .batch import GeneratorBatch
from .reward import FeedbackReward
from .session_state import AT_LIMIT
from .spec import ACTION_NVEC, FEATURE_NAMES, HISTORY, N_FIELDS

__all__ = ["WorldAgentEnv", "default_trader", "place_orders", "real_feedback"]

WORST_REWARD = -2.0
DEFAULT_CACHE = Path.home() / ".cache" / "intags_env"


def default_trader() -> ConfoundedTrader:
    """The experimental trader of the INTAGS training loop: 100 shares every 5 s, confounded by the
    last return."""
    return ConfoundedTrader(beta=1.0, size=100, interval_s=5.0)


def real_feedback(
    real: str | WorldConfig = "rmsc04",
    *,
    start: str | int = "09:35",
    end: str | int = "09:45",
    trader: ConfoundedTrader | None = None,
    horizons: int = 5,
    episodes: int = 200,
    first_seed: int = 0,
    workers: int = 1,
    cache_dir: str | Path | None = DEFAULT_CACHE,
    progress: bool = False,
) -> np.ndarray:
    """Feedback of the real market in the generator's window: the real session runs from its opening
    (so the book at ``start`` is the real one) and the trader acts from ``start`` to ``end``."""
    trader = trader or default_trader()
    config = resolve_config(real, end=end)
    window = resolve_config(config, start=start)
    warmup_s = (window.start_ns - config.start_ns) / 1e9
    return collect_feedback(
        config,
        trader,
        range(first_seed, first_seed + episodes),
        horizons,
        workers,
        cache_dir=cache_dir,
        progress=progress,
        warmup_s=warmup_s,
    )


class WorldAgentEnv(gym.Env):
    """The generator's environment (see the module doc).

    Args:
        real: the real market (a preset or ``WorldConfig``): the source of the starting book and of the
            real feedback set.
        start, end: the episode's market session.
        trader: the experimental trader (default: :func:`default_trader`).
        horizons: feedback horizons H.
        real_set: the real feedback set; collected (and cached in ``cache_dir``) when None.
        real_episodes: size of the collected real set.
        reward_buffer: how many recent synthetic episodes form the reward's synthetic term.
        max_orders: orders after which an episode is truncated.
        orders_per_step: orders per action (k): the action is k orders' fields one after the other, drawn
            together from the same state and placed in sequence (each its delay after the previous);
            k > 1 divides the policy's and the learner's per-order cost by k, at the price of orders that
            do not see the market move between them.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        real: str | WorldConfig = "rmsc04",
        *,
        start: str | int = "09:35",
        end: str | int = "09:45",
        trader: ConfoundedTrader | None = None,
        horizons: int = 5,
        real_set: np.ndarray | None = None,
        real_episodes: int = 200,
        reward_buffer: int = 64,
        max_orders: int = 20_000,
        orders_per_step: int = 1,
        cache_dir: str | Path | None = DEFAULT_CACHE,
        workers: int = 1,
    ) -> None:
        if max_orders < 1 or orders_per_step < 1:
            raise ValueError(
                f"max_orders and orders_per_step must be positive, got {max_orders}, {orders_per_step}"
            )
        self.trader = trader or default_trader()
        self.horizons = horizons
        if real_set is None:
            real_set = real_feedback(
                real,
                start=start,
                end=end,
                trader=self.trader,
                horizons=horizons,
                episodes=real_episodes,
                workers=workers,
                cache_dir=cache_dir,
            )
        if real_set.ndim != 2 or real_set.shape[1] != horizons:
            raise ValueError(f"real_set must have shape (n, {horizons}), got {real_set.shape}")
        self.real_set = real_set
        self.reward_fn = FeedbackReward(real_set, buffer=reward_buffer)
        self.background = GeneratorBackground(None, real=real, start=start, end=end, n_external=1)
        self.session = TradingSession(self.background, n_learners=0, scripted=[self.trader])
        self._batch = GeneratorBatch.of([self.background])  # the session kernel's view of it
        self._batch_stale = True  # refreshed at the first step after a reset (a vector env has its own)
        self.runaway: WorldError | None = None  # why the generator broke down this episode, if it did
        self.max_orders = max_orders
        dim = HISTORY * len(FEATURE_NAMES)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32)
        self.orders_per_step = orders_per_step
        self.action_space = gym.spaces.MultiDiscrete(np.tile(ACTION_NVEC, orders_per_step))
        self._episode_over = True  # no episode until reset; again once one ends

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        session_seed = int(self.np_random.integers(2**63 - 1)) if seed is None else seed
        self.session.reset(session_seed, scripted_from=self.session.start_ns)
        self._batch_stale = True
        self.runaway = None
        self._orders = 0
        self._episode_over = False
        return self.background.observation(), {}

    def step(self, action: np.ndarray):
        """Place the action's orders and advance the market. After a step that returned ``terminated`` or
        ``truncated`` (or before the first ``reset``) it raises ``RuntimeError``: the generator would keep
        trading past the session's end and its episode be scored (and enter the reward's buffer) again."""
        action = self.check_action(action)
        if self._batch_stale:
            self._batch.refresh()
            self._batch_stale = False
        place_orders([self], self._batch, [0], action[None])
        return self.finish_step()

    def check_action(self, action: np.ndarray) -> np.ndarray:
        """The first half of a step: the action checked (``ValueError`` naming it), as int64. Its
        orders are then placed by :func:`place_orders`, each its inter-arrival time after the previous."""
        if self._episode_over:
            raise RuntimeError(
                f"{type(self).__name__}.step() called after the episode ended (terminated or truncated) "
                "or before the first reset(); call reset() to start a new episode"
            )
        nvec = self.action_space.nvec
        a = np.asarray(action)
        if a.shape != nvec.shape or not np.all((a >= 0) & (a < nvec)):
            raise ValueError(
                f"invalid action {action!r}: expected {len(nvec)} ints ({self.orders_per_step} orders of "
                f"the {N_FIELDS} fields of intags_env.generator.spec) in [0, {list(ACTION_NVEC)})"
            )
        return a.astype(np.int64).reshape(-1)

    def finish_step(self) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """The second half of a step, once :func:`place_orders` placed the orders: observation, reward
        and the episode's end. A generator that ran away (``MAX_BURST`` orders within
        ``RUNAWAY_SPAN_NS``) truncates its episode, as ``max_orders`` does."""
        self._orders = self.background.n_orders
        runaway = self.runaway
        terminated = self.session.done and runaway is None
        truncated = not terminated and (self._orders >= self.max_orders or runaway is not None)
        reward, info = 0.0, {}
        if terminated or truncated:
            self._episode_over = True
            reward, info = self._episode_reward()
            if runaway is not None:
                info["runaway"] = str(runaway)
        return self.background.observation(), reward, terminated, truncated, info

    def _episode_reward(self) -> tuple[float, dict[str, Any]]:
        info: dict[str, Any] = {"orders": self._orders, "noop_cancels": self.background.n_noop_cancels}
        try:
            f = trajectory_feedback(trajectory(self.trader, self.session.mid()), self.horizons)
        except ValueError as err:  # no decision, or only buys / only sells
            info["feedback_error"] = str(err)
            return WORST_REWARD, info
        if not np.isfinite(f).all():
            info["feedback_error"] = "feedback is not finite (too few decisions for the horizons)"
            return WORST_REWARD, info
        info["feedback"] = f
        return self.reward_fn(f), info


def place_orders(
    envs: Sequence[WorldAgentEnv], batch: GeneratorBatch, indices: Sequence[int], actions: np.ndarray
) -> None:
    """The orders of ``actions[i]`` (checked, int64, one row per env) placed for ``envs[i]``, ``i`` in
    ``indices`` (``batch`` holds their backgrounds in order): each market advanced together with the
    others, stopping for the experimental trader's decisions on the way; a market whose session ends
    first places no more."""
    active = list(indices)
    rows: np.ndarray | None = np.full_like(actions, -1)
    rows[active] = actions[active]
    while active:
        limits = np.full(len(batch), -1, np.int64)
        for i in active:
            limits[i] = envs[i].session.next_stop(envs[i].session.end_ns)
        status = batch.advance(limits, rows)
        rows = None  # planned once
        still = []
        for i in active:
            session = envs[i].session
            envs[i].runaway = batch.errors.get(i)
            if status[i] == AT_LIMIT and session.scripted_due(session.end_ns):
                session.scripted_turn()
                still.append(i)
            else:  # its orders placed, or the session over, or the generator broke down
                session.market_moved()
        active = still
