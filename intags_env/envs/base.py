"""``TraderEnv``: what the single-learner environments share — the session, the clock, features, render.

A subclass defines its action space and what an action means (``_orders``), its extra features and its
reward (``_reward``). Everything else — seeding, warm-up, stepping the market to the next decision,
accounting, ``info``, rendering — lives here, once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from ..exchange import Exchange
from ..world import World, WorldConfig
from ..world.config import NS_PER_SECOND, format_time_of_day
from .arguments import real_arg
from .protocol import Fill, MarketView, Order, TradingAgent
from .session import TradingSession

__all__ = ["MARKET_FEATURES", "TraderEnv", "is_boolean", "valid_action"]

#: Market features every environment's observation starts with (all float32, normalised as stated).
MARKET_FEATURES = (
    "time_left",  # fraction of the episode left, in [0, 1]
    "mid_return",  # mid log-return since the episode's start, in units of 10 bps (clipped to +-10)
    "spread",  # bid-ask spread in ticks / 10 (clipped to 10; 10 if a side is empty)
    "imbalance_l1",  # (bid size - ask size) / (bid size + ask size) at the touch, in [-1, 1]
    "imbalance_l5",  # the same over the best 5 levels
    "volume",  # lots the market traded since the last decision / volume_scale (clipped to 10)
    "inventory",  # own inventory / inventory_scale (clipped to +-10)
)
CLIP = 10.0


class TraderEnv(gym.Env):
    """Base class; see the subclasses' docstrings for the manuals."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}
    extra_features: tuple[str, ...] = ()

    def __init__(
        self,
        background: str | WorldConfig | World = "rmsc04",
        *,
        decision_interval_s: float = 10.0,
        horizon_s: float = 600.0,
        warmup_s: float = 300.0,
        fee_bps: float = 0.0,
        background_agents: Sequence[TradingAgent] = (),
        volume_scale: float = 1_000.0,
        inventory_scale: float = 1_000.0,
        render_mode: str | None = None,
        session: TradingSession | None = None,
        participant: int = 0,
    ) -> None:
        decision_interval_s = real_arg("decision_interval_s", decision_interval_s, strict=True)
        horizon_s = real_arg("horizon_s", horizon_s, strict=True)
        warmup_s = real_arg("warmup_s", warmup_s)
        fee_bps = real_arg("fee_bps", fee_bps)
        volume_scale = real_arg("volume_scale", volume_scale, strict=True)  # divisors of observations
        inventory_scale = real_arg("inventory_scale", inventory_scale, strict=True)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.render_mode = render_mode
        # ``session``/``participant``: play one seat of a session someone else owns and steps (the
        # multi-agent market); by default the environment owns a session with one learner, participant 0
        self.owns_session = session is None
        self.session = session or TradingSession(
            background, n_learners=1, scripted=background_agents, fee_bps=fee_bps
        )
        if not 0 <= participant < self.session.n_learners:
            raise ValueError(
                f"participant must be a learner seat 0..{self.session.n_learners - 1}, got {participant}"
            )
        self.participant = participant
        self.interval = int(decision_interval_s * NS_PER_SECOND)
        if self.interval < 1:
            raise ValueError(f"decision_interval_s must be at least 1 ns, got {decision_interval_s!r}")
        self.n_steps = max(1, int(round(horizon_s / decision_interval_s)))
        self.warmup = int(warmup_s * NS_PER_SECOND)
        start = self.session.start_ns + self.warmup
        if start + self.n_steps * self.interval > self.session.end_ns:
            raise ValueError(
                f"warm-up ({warmup_s} s) + horizon ({horizon_s} s) end after the background's session "
                f"({format_time_of_day(self.session.start_ns)}-{format_time_of_day(self.session.end_ns)})"
            )
        self.volume_scale = volume_scale
        self._decision_volume = 0  # market volume since the previous decision (observation and view)
        self.inventory_scale = inventory_scale
        n_obs = len(MARKET_FEATURES) + len(self.extra_features)
        self.observation_space = gym.spaces.Box(-CLIP, CLIP, shape=(n_obs,), dtype=np.float32)
        self._obs = np.zeros(n_obs, np.float32)
        self._path: list[tuple[int, float]] = []
        self._episode_over = True  # no episode until reset (start_episode); again once one ends

    # --- the subclass's part -----------------------------------------------------------------------

    def _orders(self, action: Any) -> tuple[list[Order], bool]:
        """The orders an action sends now, and whether to cancel resting orders first."""
        raise NotImplementedError

    def _extra(self, out: np.ndarray) -> None:
        """Write the subclass's features into ``out``."""

    def _reward(self, fills: list[Fill], final: bool) -> float:
        raise NotImplementedError

    def _on_reset(self) -> None:
        """Called after the warm-up, before the first observation."""

    def _on_sent(self, orders: Sequence[Order]) -> None:
        """Called with the orders about to be sent this step (e.g. to report them in ``info``)."""

    def _finish(self, fills: list[Fill]) -> list[Fill]:
        """At the end of the horizon (``fills``: the last step's, not yet booked): e.g. force-execute what
        is left. Returns the fills it caused."""
        return []

    # --- gymnasium API -----------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if not self.owns_session:
            raise RuntimeError("this environment plays a seat of a shared session: its owner resets it")
        session = self.session
        session.reset(int(self.np_random.integers(0, 2**63 - 1)))
        session.advance(session.start_ns + self.warmup)
        return self.start_episode()

    def start_episode(self) -> tuple[np.ndarray, dict]:
        """Begin the episode at the session's current time (after the warm-up): the first observation."""
        session = self.session
        session.take_fills(self.participant)
        self.t0 = session.clock
        self.k = 0
        self.mid0 = session.mid() or float(session.config.oracle.r_bar)
        self.last_mid = self.mid0
        self._path = [(self.t0, self.mid0)]
        self._step_fills: list[Fill] = []
        self._episode_over = False
        self._on_reset()
        return self._observe(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Send the action's orders and advance the market to the next decision. After a step that
        returned ``terminated`` (or before the first ``reset``) it raises ``RuntimeError``: call ``reset``."""
        self._require_running()
        if not valid_action(self.action_space, action):
            raise ValueError(
                f"invalid action {action!r} for {type(self).__name__}: not in {self.action_space}"
                + (" (booleans are not actions)" if is_boolean(action) else "")
            )
        return self.step_orders(*self._orders(action))

    def _require_running(self) -> None:
        """Refuse a step outside an episode: before ``reset`` or after it ended (the market would keep
        trading past the horizon, or past a completed task)."""
        if self._episode_over:
            raise RuntimeError(
                f"{type(self).__name__}.step() called after the episode ended (terminated or truncated) "
                "or before the first reset(); call reset() to start a new episode"
            )

    def step_orders(
        self, orders: Sequence[Order], cancel_all: bool = True
    ) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Step with orders instead of an action (how scripted ``TradingAgent``s are benchmarked on the very
        same reward): send them (after cancelling resting orders), advance to the next decision."""
        if not self.owns_session:
            raise RuntimeError("this environment plays a seat of a shared session: its owner steps it")
        self._require_running()
        self._on_sent(orders)
        self.session.step(self.participant, orders, cancel_all, self.next_decision_time())
        return self.finish_step()

    def next_decision_time(self) -> int:
        return self.t0 + (self.k + 1) * self.interval

    def finish_step(self) -> tuple[np.ndarray, float, bool, bool, dict]:
        """After the market reached the next decision: book this seat's fills; observation, reward, info."""
        session = self.session
        self.k += 1
        fills = session.take_fills(self.participant)
        final = self.k >= self.n_steps or session.done
        if final:
            fills += self._finish(fills)
        mid = session.mid()
        if mid is not None:
            self.last_mid = mid
        self._path.append((session.clock, self.last_mid))
        self._step_fills = fills
        reward = float(self._reward(fills, final))
        terminated = final or self._task_done()
        self._episode_over = terminated
        return self._observe(), reward, terminated, False, self._info()

    def _task_done(self) -> bool:
        return False

    def view(self) -> MarketView:
        """The learner's ``MarketView`` now, bounded by this episode (start = after the warm-up, end = the
        horizon): what a ``TradingAgent`` playing in the learner's seat decides on. Its ``volume`` is the
        market's volume since the previous decision, as in the observation."""
        return replace(
            self.session.view(self.participant),
            start=self.t0,
            end=self.t0 + self.n_steps * self.interval,
            volume=self._decision_volume,
        )

    @property
    def account(self) -> Any:
        """This seat's ``Account`` (cash, inventory, fees, fills)."""
        return self.session.accounts[self.participant]

    # --- observation and info ------------------------------------------------------------------------

    def _observe(self) -> np.ndarray:
        s = self.session
        o = self._obs
        bid, ask, imbalance_l1, imbalance_l5 = s.book_summary()
        o[0] = 1.0 - self.k / self.n_steps
        o[1] = 1e3 * math.log(self.last_mid / self.mid0)
        o[2] = CLIP if bid is None or ask is None else (ask - bid) / 10.0
        o[3] = imbalance_l1
        o[4] = imbalance_l5
        self._decision_volume = s.market_volume_since_last(self.participant)  # view() reports it too
        o[5] = self._decision_volume / self.volume_scale
        o[6] = self.account.inventory / self.inventory_scale
        self._extra(o[len(MARKET_FEATURES) :])
        np.minimum(o, CLIP, out=o)
        np.maximum(o, -CLIP, out=o)
        return o.copy()

    def _info(self) -> dict[str, Any]:
        acc = self.account
        return {
            "time": self.session.clock,
            "pnl": acc.pnl(self.last_mid) / 100.0,  # dollars, inventory marked at the mid
            "cash": acc.cash / 100.0,
            "inventory": acc.inventory,
            "fees": acc.fees / 100.0,
            "traded": acc.traded,
            "mid": self.last_mid / 100.0,
            "fills": list(self._step_fills),
        }

    # --- rendering -----------------------------------------------------------------------------------

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "rgb_array":
            return self._render_picture()
        return None

    def _render_text(self) -> str:
        s = self.session
        ex = Exchange.view(s.world.book, min_price=s.config.min_price)  # a read view, in cents
        acc = self.account
        head = (
            f"{type(self).__name__} {format_time_of_day(s.clock)}  step {self.k}/{self.n_steps}  "
            f"inventory {acc.inventory}  cash {acc.cash / 100:,.2f}  P&L {acc.pnl(self.last_mid) / 100:,.2f}"
        )
        return head + "\n" + str(ex.snapshot(5)) + "\n"

    def _render_picture(self) -> np.ndarray:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3), dpi=80)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        t, mid = zip(*self._path)
        ax.plot((np.asarray(t) - self.t0) / NS_PER_SECOND, np.asarray(mid) / 100.0, lw=1.0)
        ax.set_xlabel("seconds since start")
        ax.set_ylabel("mid (USD)")
        ax.set_title(f"{type(self).__name__}: inventory {self.account.inventory}")
        fig.tight_layout()
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def is_boolean(action: Any) -> bool:
    """A bool, a NumPy bool, a boolean array or a list/tuple holding a bool: not a quantity, though
    Python and Gymnasium's ``contains`` take ``True`` for 1."""
    if isinstance(action, (bool, np.bool_)):
        return True
    if isinstance(action, np.ndarray):
        return action.dtype == np.bool_
    if isinstance(action, (list, tuple)):
        return any(is_boolean(a) for a in action)
    return False


def valid_action(space: gym.spaces.Space, action: Any) -> bool:
    """``space.contains(action)``, with fast paths for the integer actions of these environments (the
    generic check costs more than a market step); booleans are refused (``is_boolean``)."""
    if (
        isinstance(space, gym.spaces.MultiDiscrete)
        and isinstance(action, np.ndarray)
        and action.dtype.kind in "iu"
    ):
        if action.shape != space.nvec.shape:
            return False
        return all(0 <= a < n for a, n in zip(action.tolist(), space.nvec.tolist()))
    if (
        isinstance(space, gym.spaces.Discrete)
        and isinstance(action, (int, np.integer))
        and not isinstance(action, bool)
    ):
        return int(space.start) <= int(action) < int(space.start + space.n)
    if is_boolean(action):
        return False
    return bool(space.contains(action))
