"""``SB3Agent``: any Stable-Baselines3 model trained on an intags-env environment, as a ``TradingAgent``.

The model keeps seeing exactly the observations it was trained on: a *translator* instance of its
environment class computes them from the ``MarketView`` the agent is given (through a small adapter that
answers the environment's market-data questions from the view), and turns the model's actions into
``Order``s with the environment's own action logic. So a trained policy can trade as a scripted
participant in another environment's background, as a scripted player, or in the harness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from intags_env.envs.base import TraderEnv
from intags_env.envs.protocol import Fill, MarketView, Order
from intags_env.envs.session import imbalance

__all__ = ["SB3Agent"]


@dataclass
class _ViewAccount:
    inventory: int
    cash: float
    fees: float = 0.0
    traded: int = 0

    def pnl(self, mark: float | None) -> float:
        return self.cash + (self.inventory * mark if mark is not None else 0.0)


class _ViewSession:
    """Answers a ``TraderEnv``'s market-data questions from one ``MarketView``."""

    def __init__(self, view: MarketView, config: Any) -> None:
        self.view = view
        self.config = config
        self.clock = view.time
        self.start_ns, self.end_ns = view.start, view.end
        self.accounts = [_ViewAccount(view.inventory, float(view.cash))]

    def top_of_book(self) -> tuple[int | None, int | None]:
        return self.view.best_bid, self.view.best_ask

    def mid(self) -> float | None:
        return self.view.mid

    def book_summary(self) -> tuple[int | None, int | None, float, float]:
        bids, asks = self.view.bid_sizes.tolist(), self.view.ask_sizes.tolist()
        return (
            self.view.best_bid,
            self.view.best_ask,
            imbalance(bids[0], asks[0]),
            imbalance(sum(bids), sum(asks)),
        )

    def depth(self, side: int) -> np.ndarray:
        return self.view.bid_sizes if side > 0 else self.view.ask_sizes

    def market_volume_since_last(self, participant: int) -> int:
        return self.view.volume


class SB3Agent:
    """A trained SB3 ``model`` acting through ``env``'s observation and action logic.

    Args:
        model: a Stable-Baselines3 model (anything with ``predict(obs, deterministic)``).
        env: an instance (or id) of the environment the model was trained on, with the same arguments;
            it is used as a translator only and never stepped.
        name: the agent's name on leaderboards.
    """

    def __init__(self, model: Any, env: TraderEnv | str, name: str = "sb3", **env_kwargs: Any) -> None:
        translator = gym.make(env, **env_kwargs).unwrapped if isinstance(env, str) else env
        if not isinstance(translator, TraderEnv):
            raise TypeError(f"SB3Agent needs an intags-env TraderEnv, got {type(translator).__name__}")
        self.model = model
        self.translator = translator
        self.name = name
        self.interval_s = translator.interval / 1e9
        self._config = translator.session.config
        self._started = False

    @classmethod
    def load(cls, path: str, env: TraderEnv | str, name: str | None = None, **env_kwargs: Any) -> SB3Agent:
        """Load a model saved by SB3 (PPO, A2C, DQN or SAC) from ``path``."""
        from intags_env.bench import load_sb3_model

        return cls(load_sb3_model(path), env, name or "sb3", **env_kwargs)

    def reset(self, seed: int | None = None) -> None:
        self._started = False

    def decide(self, view: MarketView) -> tuple[list[Order], bool]:
        tr = self.translator
        tr.session = _ViewSession(view, self._config)  # type: ignore[assignment]
        if not self._started:
            tr.t0, tr.k = view.time, 0
            tr.mid0 = view.mid or float(self._config.oracle.r_bar)
            tr.last_mid = tr.mid0
            tr._on_reset()
            self._started = True
        else:
            tr.k = min(tr.n_steps - 1, tr.k + 1)
            if view.mid is not None:
                tr.last_mid = view.mid
        action, _ = self.model.predict(tr._observe(), deterministic=True)
        return tr._orders(action)

    def on_fills(self, fills: list[Fill]) -> None:
        if self._started and fills:
            self.translator._reward(fills, False)  # books the fills into the translator's episode state
