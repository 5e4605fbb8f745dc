"""Probe 3: does the market rank trading policies as the real one does? Policy scores and their rank
correlation, and a reference PPO trained on the real market.

``policy_scores`` runs every policy on the same seeds of an environment whose background is the market,
through the benchmark harness's episode runner (:mod:`intags_env.bench`), inside the market's window: the
environment's warm-up ends at the window start and its horizon is the rest of the window, so on a
generator the policies trade inside the generator's session and on the real market in the same clock
window. Two markets are compared by the Spearman rank correlation of their scores (``rank_correlation``).

**Environment.** The default is ``intags_env/Trading-v0`` (buy / hold / sell, reward = P&L change), the
environment where every reference policy applies. ``Execution-v0`` (working a parent order) ranks
policies with much less noise — P&L is dominated by the market's drift — and is what the realism
benchmark uses, but it only takes policies that work an order (TWAP, POV, random actions, a model
trained on it); asking it for a two-way policy (momentum, market maker) raises an error.

**Policies** (a sequence, or a mapping label -> policy):

- ``"twap"``, ``"pov"``, ``"momentum"``, ``"random"``, ``"market_maker"`` or any name registered under
  the ``intags_env.agents`` entry points: built with the environment's decision interval, and with its
  parent order (Execution-v0: ``quantity``, ``side``) or its position limit (Trading-v0: a TWAP / POV
  buys up to ``max_position``; momentum trades ``trade_size`` within ``max_position``);
- ``"random_actions"``: uniform random valid actions (seeded per episode);
- a Stable-Baselines3 model (``.zip`` path or object with ``predict``): deterministic actions;
- a ``TradingAgent`` instance.

"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from scipy import stats

from .. import bench
from ..envs.background import Background
from ..envs.protocol import TradingAgent
from ..envs.registry import GROUP, available_agents, load_agent
from ..progress import sb3_progress
from ..world.config import NS_PER_SECOND
from .probes_market import (
    REAL_MARKET,
    MarketLike,
    SeedTask,
    as_market,
    one_torch_thread,
    run_seeds,
    seed_list,
)

__all__ = [
    "DEFAULT_ENV",
    "REFERENCE_POLICIES",
    "env_settings",
    "policy_returns",
    "policy_scores",
    "rank_correlation",
    "train_reference_ppo",
]

DEFAULT_ENV = "intags_env/Trading-v0"
DEFAULT_DECISION_S = 10.0
#: Reference policies of the realism benchmark.
REFERENCE_POLICIES = ("twap", "pov", "momentum", "random_actions")


def env_settings(
    background: Background, window: tuple[int, int], env_kwargs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Environment arguments that put the episode in the market's window: ``background``, ``warmup_s``
    (from the session start to the window start), ``horizon_s`` (the rest of the window, unless given)
    and ``decision_interval_s`` (10 s unless given)."""
    kwargs = dict(env_kwargs or {})
    for fixed in ("background", "warmup_s"):
        if fixed in kwargs:
            raise ValueError(f"env_kwargs may not set {fixed!r}: the market's window decides it")
    start, end = window
    kwargs["background"] = background
    kwargs["warmup_s"] = (start - background.config.start_ns) / NS_PER_SECOND
    kwargs.setdefault("decision_interval_s", DEFAULT_DECISION_S)
    kwargs.setdefault("horizon_s", (end - start) / NS_PER_SECOND)
    return kwargs


# --- contestants --------------------------------------------------------------------------------------


def _labelled(policies: Sequence[Any] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, policy) pairs; a name, path or object is labelled like the harness names it."""
    if isinstance(policies, Mapping):
        pairs = [(str(k), v) for k, v in policies.items()]
    elif isinstance(policies, (str, bytes)):
        raise TypeError("policies must be a sequence or a mapping of policies, not one string")
    else:
        pairs = []
        for p in policies:
            if isinstance(p, str):
                label = Path(p).stem if p.endswith(".zip") else p
            elif isinstance(p, TradingAgent):
                label = p.name
            else:
                label = type(p).__name__
            pairs.append((label, p))
    if not pairs:
        raise ValueError("need at least one policy")
    labels = [label for label, _ in pairs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"policy labels must be unique, got {labels}; pass a mapping label -> policy")
    known = {"random_actions", *available_agents()}
    for label, p in pairs:
        if isinstance(p, str):
            if p.endswith(".zip"):
                if not Path(p).exists():
                    raise FileNotFoundError(f"policy {label!r}: no model at {p}")
            elif p not in known:
                raise ValueError(f"unknown policy {p!r}; known names: {sorted(known)}, or an SB3 .zip path")
        elif not isinstance(p, TradingAgent) and not hasattr(p, "predict"):
            raise TypeError(
                f"policy {label!r}: expected a name, an SB3 model (.zip path or object with predict) or a "
                f"TradingAgent, got {type(p).__name__}"
            )
    return pairs


def _agent_from_name(name: str, env: gym.Env) -> TradingAgent:
    """A registered agent built for ``env``: its decision interval, and its parent order or position
    limit (see the module doc)."""
    base = env.unwrapped
    cls = next(ep for ep in entry_points(group=GROUP) if ep.name == name).load()
    params = inspect.signature(cls).parameters
    offered: dict[str, Any] = {"interval_s": base.interval / NS_PER_SECOND}
    if hasattr(base, "quantity"):  # a parent order: the agent must work it
        if "side" not in params:
            raise ValueError(
                f"policy {name!r} trades both ways, but {base.spec.id if base.spec else type(base).__name__} "
                "books every fill as working its parent order; use intags_env/Trading-v0"
            )
        offered.update(quantity=base.quantity, side=base.side)
    elif hasattr(base, "max_position"):
        offered.update(quantity=base.max_position, side=1, max_position=base.max_position)
        offered["size"] = base.trade_size
    return load_agent(name, **{k: v for k, v in offered.items() if k in params})


def _contestant(label: str, policy: Any, env: gym.Env) -> bench._Policy:
    if isinstance(policy, str) and policy in available_agents():
        policy = _agent_from_name(policy, env)
    contestant = bench._policy(policy, env)  # trading agents, random actions, SB3 models
    contestant.name = label
    return contestant


class _PolicyTask(SeedTask):
    """Every policy's episode return on one seed. The environment and the contestants are built once per
    background (worker processes build their own)."""

    n_participants = 1

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], policies: list[tuple[str, Any]]) -> None:
        self.env_id, self.env_kwargs, self.policies = env_id, env_kwargs, policies
        self.needs_torch = any(
            (isinstance(p, str) and p.endswith(".zip")) or hasattr(p, "predict") for _, p in policies
        )
        self._built: tuple[Background, gym.Env, list[bench._Policy]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_built": None}

    def run(self, background: Background, window: tuple[int, int], seed: int) -> list[float]:
        if self._built is None or self._built[0] is not background:
            env = gym.make(self.env_id, **env_settings(background, window, self.env_kwargs))
            self._built = (background, env, [_contestant(label, p, env) for label, p in self.policies])
        _, env, contestants = self._built
        return [bench.run_episode(env, c, seed).reward for c in contestants]


def policy_returns(
    market: MarketLike,
    policies: Sequence[Any] | Mapping[str, Any] = REFERENCE_POLICIES,
    seeds: Sequence[int] | int = 20,
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    workers: int = 1,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Each policy's episode return on every seed (arrays in seed order) of ``env_id`` over ``market``
    in its window (see the module doc), keyed by label in the order given: for standard errors and
    paired comparisons; ``policy_scores`` gives their means.

    Same seeds, same numbers (for any ``workers``; with ``workers > 1`` call it under
    ``if __name__ == "__main__":``, and pass policies that pickle: names, paths).
    """
    market = as_market(market)
    seeds = seed_list(seeds)
    pairs = _labelled(policies)
    task = _PolicyTask(env_id, dict(env_kwargs or {}), pairs)
    rows = run_seeds(task, market, seeds, workers=workers, progress=progress, desc=f"policies {market.name}")
    returns = np.asarray(rows, dtype=float)  # (seeds, policies)
    return {label: returns[:, i].copy() for i, (label, _) in enumerate(pairs)}


def policy_scores(
    market: MarketLike,
    policies: Sequence[Any] | Mapping[str, Any] = REFERENCE_POLICIES,
    seeds: Sequence[int] | int = 20,
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    workers: int = 1,
    progress: bool = False,
) -> dict[str, float]:
    """Mean episode return of each policy on the same seeds of ``env_id`` over ``market`` (in its
    window; see the module doc), keyed by label in the order given (``policy_returns``, averaged)."""
    returns = policy_returns(market, policies, seeds, env_id, env_kwargs, workers=workers, progress=progress)
    return {label: float(r.mean()) for label, r in returns.items()}


def rank_correlation(scores_a: Mapping[str, float], scores_b: Mapping[str, float]) -> float:
    """Spearman's rho between two markets' scores of the same policies (``scipy.stats.spearmanr``)."""
    if set(scores_a) != set(scores_b):
        raise ValueError(f"the score sets name different policies: {sorted(scores_a)} vs {sorted(scores_b)}")
    names = sorted(scores_a)
    if len(names) < 2:
        raise ValueError(f"a rank correlation needs at least two policies, got {names}")
    a = np.array([scores_a[n] for n in names], dtype=float)
    b = np.array([scores_b[n] for n in names], dtype=float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scores must be finite")
    for label, x in (("scores_a", a), ("scores_b", b)):
        if np.ptp(x) == 0:
            raise ValueError(f"{label} are all equal: the rank correlation is undefined")
    return float(stats.spearmanr(a, b).statistic)


def train_reference_ppo(
    out: str | Path,
    timesteps: int = 30_000,
    seed: int = 0,
    *,
    market: MarketLike = REAL_MARKET,
    env_id: str = DEFAULT_ENV,
    env_kwargs: Mapping[str, Any] | None = None,
    n_envs: int = 2,
    progress: bool = False,
) -> Path:
    """Train a small PPO (Stable-Baselines3, CPU) on ``env_id`` over ``market`` in its window (the
    environment ``policy_scores`` builds), save it to ``out/ppo_reference.zip`` with the settings beside
    it (``ppo_reference.json``) and return the model's path. The default (30k steps) takes about a minute
    on two cores. Needs the ``train`` extra."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    if not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"timesteps must be a positive integer, got {timesteps!r}")
    market = as_market(market)
    kwargs = dict(env_kwargs or {})

    def make_env() -> gym.Env:
        background = market.background(1)
        return gym.make(env_id, **env_settings(background, market.window_ns(background), kwargs))

    vec_env = make_vec_env(make_env, n_envs=n_envs, seed=seed)
    n_steps = 256
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=n_steps,
        batch_size=n_steps,
        learning_rate=3e-4,
        gamma=1.0,
        ent_coef=0.01,
        seed=seed,
        verbose=0,
        device="cpu",
    )
    with one_torch_thread():  # a small MLP: one thread is faster, and leaves the other core alone
        model.learn(total_timesteps=timesteps, callback=sb3_progress(progress, "reference PPO"))
    vec_env.close()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "ppo_reference.zip"
    model.save(path)
    meta = {
        "market": market.name,
        "start": market.start,
        "end": market.end,
        "env_id": env_id,
        "env_kwargs": kwargs,
        "timesteps": timesteps,
        "seed": seed,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))
    return path
