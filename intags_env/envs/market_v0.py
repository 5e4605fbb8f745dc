"""``intags_env.envs.market_v0``: several learning traders in one market, as a PettingZoo environment.

``parallel_env(...)`` is the native ``ParallelEnv``; ``env(...)`` its AEC form (PettingZoo's conversion).
Each learner plays a *role* — the very same observation, action and reward logic as the single-learner
Gymnasium environment of that role, seated at its own participant of one shared ``TradingSession``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from ..exchange import Exchange
from ..world import World, WorldConfig
from ..world.config import NS_PER_SECOND, format_time_of_day
from .arguments import integer_arg, real_arg
from .base import TraderEnv, valid_action
from .execution import ExecutionEnv
from .market_making import MarketMakingEnv
from .market_seats import CompiledSeats
from .protocol import TradingAgent
from .session import TradingSession
from .trading import TradingEnv

__all__ = ["ROLES", "MarketParallelEnv", "env", "parallel_env", "raw_env"]

#: Role name -> the single-learner environment whose logic a seat of that role uses.
ROLES: dict[str, type[TraderEnv]] = {
    "market_maker": MarketMakingEnv,
    "execution": ExecutionEnv,
    "trader": TradingEnv,
}

DEFAULT_ROLES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("market_maker_0", "market_maker", {}),
    ("market_maker_1", "market_maker", {}),
)


class MarketParallelEnv(ParallelEnv):
    """Several learners trade in one background market; all act at the same decision times.

    **Agents and roles.** ``roles`` is a sequence of ``(agent name, role, role arguments)``; the role is
    one of ``ROLES`` — ``market_maker`` (``MarketMaking-v0``'s quotes and reward), ``execution``
    (``Execution-v0``'s parent order and shortfall reward) or ``trader`` (``Trading-v0``'s buy / hold /
    sell). Spaces are per role, so a mixed population has heterogeneous spaces (documented per role in
    those environments' docstrings); ``observation_space(agent)`` and ``action_space(agent)`` return the
    same cached objects on every call. Default: two market makers (homogeneous).

    **A cycle.** Every agent's action becomes orders (each role cancels its resting orders first); all
    are sent at the decision time in the order of ``possible_agents``; the market — background and
    ``scripted`` ``TradingAgent`` players — runs to the next decision; each agent then gets its own
    fills, reward, observation and ``info`` (P&L, inventory, fills, plus the role's extras).

    **Speed.** On the agent-based background without ``scripted`` players, the seats' orders, fills,
    rewards and observations of a cycle are computed in Numba for all seats at once
    (:mod:`.market_seats`), bit-identical to the Python seats that run otherwise (or with
    ``compiled_seats=False``, e.g. to compare).

    **Episode end.** After ``max_cycles`` decisions every remaining agent is truncated (the roles' end of
    horizon: an execution agent's rest is force-executed). An execution agent that completes its parent
    order terminates early and leaves ``agents``. ``step`` once ``agents`` is empty raises
    ``RuntimeError``: call ``reset``.

    **Arguments**: ``roles``, ``background`` (preset name, ``WorldConfig`` or ``Background``),
    ``scripted`` (``TradingAgent``s), ``decision_interval_s``, ``max_cycles``, ``warmup_s``, ``fee_bps``,
    ``render_mode`` ('ansi', 'rgb_array', or 'human' = print the ansi text), ``compiled_seats``.

    **Version history**: v0 — first version.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "intags_market_v0",
        "render_modes": ["ansi", "rgb_array", "human"],
        "is_parallelizable": True,
        "render_fps": 4,
    }

    def __init__(
        self,
        roles: Sequence[tuple[str, str, dict[str, Any]]] = DEFAULT_ROLES,
        background: str | WorldConfig | World = "rmsc04",
        scripted: Sequence[TradingAgent] = (),
        *,
        decision_interval_s: float = 10.0,
        max_cycles: int = 60,
        warmup_s: float = 300.0,
        fee_bps: float = 0.0,
        render_mode: str | None = None,
        compiled_seats: bool = True,
    ) -> None:
        names = [name for name, _, _ in roles]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"roles need distinct agent names, got {names}")
        for name, role, _ in roles:
            if role not in ROLES:
                raise ValueError(f"agent {name!r}: unknown role {role!r}; roles: {sorted(ROLES)}")
        max_cycles = integer_arg("max_cycles", max_cycles)
        decision_interval_s = real_arg("decision_interval_s", decision_interval_s, strict=True)
        warmup_s = real_arg("warmup_s", warmup_s)
        fee_bps = real_arg("fee_bps", fee_bps)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.render_mode = render_mode
        self.session = TradingSession(background, n_learners=len(roles), scripted=scripted, fee_bps=fee_bps)
        self.warmup = int(warmup_s * NS_PER_SECOND)
        self.max_cycles = int(max_cycles)
        horizon_s = max_cycles * decision_interval_s
        self.seats: dict[str, TraderEnv] = {}
        for participant, (name, role, kwargs) in enumerate(roles):
            try:
                self.seats[name] = ROLES[role](
                    session=self.session,
                    participant=participant,
                    decision_interval_s=decision_interval_s,
                    horizon_s=horizon_s,
                    warmup_s=warmup_s,
                    **kwargs,
                )
            except (TypeError, ValueError) as err:
                raise type(err)(f"agent {name!r} ({role}): {err}") from err
        self.roles = {name: role for name, role, _ in roles}
        self.possible_agents = names
        self.agents: list[str] = []
        self._observation_spaces = {a: seat.observation_space for a, seat in self.seats.items()}
        self._action_spaces = {a: seat.action_space for a, seat in self.seats.items()}
        self._rng = np.random.default_rng()
        # the compiled seats need the agent-based World's arrays and no Python player between cycles
        self._compiled = (
            CompiledSeats(self.session, list(self.seats.values()))
            if compiled_seats and not scripted and isinstance(self.session.world, World)
            else None
        )
        self._row = {name: i for i, name in enumerate(names)}

    def observation_space(self, agent: str) -> gym.spaces.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gym.spaces.Space:
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            for i, space in enumerate(self._action_spaces.values()):
                space.seed(seed + i)
        session = self.session
        session.reset(int(self._rng.integers(0, 2**63 - 1)))
        session.advance(session.start_ns + self.warmup)
        self.agents = list(self.possible_agents)
        if self._compiled is not None:
            first, infos_list = self._compiled.start()
            return dict(zip(self.agents, first)), dict(zip(self.agents, infos_list))
        observations, infos = {}, {}
        for agent in self.agents:
            observations[agent], infos[agent] = self.seats[agent].start_episode()
        return observations, infos

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError(
                "market_v0 step() called with no agent playing: every agent's episode ended (or reset() "
                "was never called); call reset() to start a new episode"
            )
        for agent in self.agents:
            if agent not in actions:
                raise ValueError(f"no action for agent {agent!r}")
            if not valid_action(self._action_spaces[agent], actions[agent]):
                space = self._action_spaces[agent]
                raise ValueError(f"invalid action {actions[agent]!r} for agent {agent!r}: not in {space}")
        unknown = set(actions) - set(self.agents)
        if unknown:
            raise ValueError(f"actions for agents that are not playing: {sorted(unknown)}")
        if self._compiled is not None:
            return self._step_compiled(actions)
        batch = []
        for agent in self.agents:
            seat = self.seats[agent]
            orders, cancel = seat._orders(actions[agent])
            seat._on_sent(orders)
            batch.append((seat.participant, orders, cancel))
        self.session.step_many(batch, self.seats[self.agents[0]].next_decision_time())
        observations, rewards, terminations, truncations, infos = {}, {}, {}, {}, {}
        for agent in self.agents:
            seat = self.seats[agent]
            obs, reward, ended, _, info = seat.finish_step()
            out_of_time = seat.k >= seat.n_steps or self.session.done
            observations[agent], rewards[agent], infos[agent] = obs, reward, info
            truncations[agent] = ended and out_of_time
            terminations[agent] = ended and not out_of_time
        self.agents = [a for a in self.agents if not (terminations[a] or truncations[a])]
        return observations, rewards, terminations, truncations, infos

    def _step_compiled(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        agents = self.agents
        results = self._compiled.step([self._row[a] for a in agents], [actions[a] for a in agents])
        observations, rewards, terminations, truncations, infos = {}, {}, {}, {}, {}
        for agent, (obs, reward, terminated, truncated, info) in zip(agents, results):
            observations[agent], rewards[agent], infos[agent] = obs, reward, info
            terminations[agent], truncations[agent] = terminated, truncated
        self.agents = [a for a in agents if not (terminations[a] or truncations[a])]
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            return None
        if self.render_mode == "rgb_array":
            return next(iter(self.seats.values()))._render_picture()
        text = self._render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def _render_text(self) -> str:
        s = self.session
        lines = [f"market_v0 {format_time_of_day(s.clock)}"]
        for agent, seat in self.seats.items():
            acc = seat.account
            lines.append(
                f"  {agent:<16} {self.roles[agent]:<13} inventory {acc.inventory:>7} "
                f"P&L {acc.pnl(seat.last_mid if hasattr(seat, 'last_mid') else None) / 100:>12,.2f} USD"
            )
        book = Exchange.view(s.world.book, min_price=s.config.min_price).snapshot(5)
        return "\n".join(lines) + "\n" + str(book) + "\n"

    def close(self) -> None:
        """Nothing to release: the session holds only arrays."""


def parallel_env(**kwargs: Any) -> MarketParallelEnv:
    """The native parallel environment (see ``MarketParallelEnv`` for the arguments)."""
    return MarketParallelEnv(**kwargs)


def raw_env(**kwargs: Any):
    """The AEC form, by PettingZoo's conversion of ``parallel_env(**kwargs)``."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any):
    """The AEC form with PettingZoo's order-enforcing wrapper (step before reset is an error)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
