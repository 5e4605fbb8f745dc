"""Policy benchmarking: every contestant on the same seeds (common random numbers), a leaderboard with
confidence intervals, a JSON and plots.

A contestant is a ``TradingAgent`` (an instance, or a name from the ``intags_env.agents`` entry-point
group), ``"random_actions"`` (uniform random valid actions), or a Stable-Baselines3 model (``.zip`` path or
object with ``predict``). Trading agents act through ``env.step_orders``, so they are scored by exactly
the environment's reward; they are built with the environment's ``quantity`` / ``side`` when they take
such arguments, so a TWAP works the same parent order as the learner. A registered agent's name may carry
its constructor's arguments, ``pov(participation=0.2,side=-1)`` (values in JSON; a bare word is a string);
they override the environment's, and the contestant is listed under that text.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from scipy import stats

from .envs.protocol import TradingAgent
from .envs.registry import GROUP, available_agents, load_agent

__all__ = [
    "EpisodeResult",
    "Standing",
    "benchmark",
    "benchmark_population",
    "check_env_kwargs",
    "env_arguments",
    "leaderboard_table",
    "load_sb3_model",
    "parse_contestant",
    "resolve_env_id",
    "split_contestants",
]

#: What a contestant name may be besides a registered trading agent (for help texts and errors).
OTHER_CONTESTANTS = "'random_actions' (uniform random valid actions) or an SB3 model .zip path"

#: How a trading agent's arguments are written in a contestant name (for help texts and errors).
AGENT_ARGUMENTS_SYNTAX = (
    "NAME(KEY=VALUE,...), e.g. 'pov(participation=0.2,side=-1)'; "
    'values are JSON (numbers, true/false, "strings"), a bare word is a string'
)

#: A contestant name with arguments: ``name(...)``.
_WITH_ARGUMENTS = re.compile(r"([A-Za-z_]\w*)\s*\((.*)\)", re.DOTALL)

#: A bare word taken as a string argument (``side=sell``), not a mistyped JSON value (``0.2x``).
_BARE_WORD = re.compile(r"[A-Za-z_][\w.-]*")

#: Keyword arguments ``gymnasium.make`` takes itself, next to the environment's.
_MAKE_ARGUMENTS = ("max_episode_steps", "disable_env_checker")


@dataclass(frozen=True)
class EpisodeResult:
    agent: str
    seed: int
    reward: float  # the episode's return
    pnl: float  # dollars, inventory marked at the mid
    shortfall_bps: float  # NaN where the environment has no parent order
    inventory_risk: float  # standard deviation of the inventory over the episode (shares)
    steps: int


@dataclass(frozen=True)
class Standing:
    agent: str
    episodes: int
    reward_mean: float
    reward_ci95: float  # half-width of the 95% t-interval of the mean
    pnl_mean: float
    shortfall_bps_mean: float
    inventory_risk_mean: float


class _Policy:
    def __init__(self, name: str) -> None:
        self.name = name

    def reset(self, env: gym.Env, seed: int) -> None: ...

    def step(self, env: gym.Env, obs: np.ndarray) -> tuple:
        raise NotImplementedError


class _RandomActions(_Policy):
    def reset(self, env: gym.Env, seed: int) -> None:
        env.action_space.seed(seed)

    def step(self, env: gym.Env, obs: np.ndarray) -> tuple:
        return env.step(env.action_space.sample())


class _AgentPolicy(_Policy):
    def __init__(self, agent: TradingAgent) -> None:
        super().__init__(agent.name)
        self.agent = agent

    def reset(self, env: gym.Env, seed: int) -> None:
        self.agent.reset(seed)

    def step(self, env: gym.Env, obs: np.ndarray) -> tuple:
        base = env.unwrapped
        orders, cancel = self.agent.decide(base.view())
        out = base.step_orders(orders, cancel)
        self.agent.on_fills(out[4]["fills"])
        return out


class _ModelPolicy(_Policy):
    def __init__(self, model: Any, name: str) -> None:
        super().__init__(name)
        self.model = model

    def step(self, env: gym.Env, obs: np.ndarray) -> tuple:
        action, _ = self.model.predict(obs, deterministic=True)
        return env.step(action)


def load_sb3_model(path: str) -> Any:
    """A model saved by Stable-Baselines3 (PPO, A2C, DQN or SAC — whichever loads it). A missing,
    truncated or damaged file is named first (``sb3_files.check_sb3_file``), not reported as each
    algorithm's failure."""
    from stable_baselines3 import A2C, DQN, PPO, SAC

    from .sb3_files import check_sb3_file

    check_sb3_file(path)
    errors = []
    for algo in (PPO, A2C, DQN, SAC):
        try:
            return algo.load(path, device="cpu")
        except Exception as err:
            errors.append(f"{algo.__name__}: {err}")
    raise ValueError(f"could not load {path} as a Stable-Baselines3 model: " + "; ".join(errors))


def resolve_env_id(env_id: str) -> str:
    """``env_id`` as registered. An intags-env id may be given without its ``intags_env/`` namespace
    (``Execution-v0``), as users type it; an unknown id is a ValueError listing intags-env's ids."""
    if env_id in gym.registry:
        return env_id
    namespaced = f"intags_env/{env_id}"
    if "/" not in env_id and namespaced in gym.registry:
        return namespaced
    ours = sorted(k for k in gym.registry if k.startswith("intags_env/"))
    raise ValueError(f"no environment {env_id!r}; intags-env's are: {', '.join(ours)}")


def env_arguments(env_id: str) -> list[str] | None:
    """The keyword arguments ``gym.make(env_id, ...)`` accepts: the environment's constructor's and, where
    it passes ``**kwargs`` on, its base classes'; plus ``gym.make``'s own. None when that cannot be told
    (an entry point taking ``**kwargs`` all the way down)."""
    from gymnasium.envs.registration import load_env_creator

    entry = gym.spec(env_id).entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    if inspect.isclass(creator):
        inits = [vars(c)["__init__"] for c in creator.__mro__ if c is not object and "__init__" in vars(c)]
    else:
        inits = [creator]
    names: list[str] = []
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for init in inits:
        params = list(inspect.signature(init).parameters.values())
        names += [q.name for q in params if q.kind in keyword and q.name != "self" and q.name not in names]
        if not any(q.kind == inspect.Parameter.VAR_KEYWORD for q in params):
            return names + list(_MAKE_ARGUMENTS)
    return None


def check_env_kwargs(env_id: str, env_kwargs: dict[str, Any], option: str = "env_kwargs") -> None:
    """A ValueError naming ``option``, the unknown keys and the arguments ``env_id`` takes, if
    ``env_kwargs`` holds a key the environment does not take (instead of Gymnasium's ``TypeError`` from
    deep in the constructor chain, naming a base class the user never wrote)."""
    accepted = env_arguments(env_id)
    unknown = [k for k in env_kwargs if accepted is not None and k not in accepted]
    if unknown:
        raise ValueError(
            f"{option}: {env_id} takes no argument {', '.join(map(repr, unknown))}; "
            f"its arguments: {', '.join(accepted)}"
        )


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses and double-quoted strings, pieces stripped; a
    ValueError if a parenthesis or quote is left open."""
    pieces, start, depth, quoted = [], 0, 0, False
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and char == ",":
            pieces.append(text[start:i].strip())
            start = i + 1
        if depth < 0:
            break
    if depth or quoted:
        raise ValueError(f"unbalanced {'quote' if quoted else 'parentheses'} in {text!r}")
    return [*pieces, text[start:].strip()]


def split_contestants(text: str) -> list[str]:
    """A comma-separated list of contestants (``intags bench --agents``) split into names; the commas
    inside an agent's arguments do not split, so ``"twap,pov(participation=0.2,side=-1)"`` is two."""
    return [piece for piece in _split_top_level(text) if piece]


def _argument_value(name: str, key: str, text: str) -> Any:
    """An agent argument's value: JSON (``0.2``, ``-1``, ``true``, ``"sell"``), or a bare word as a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if _BARE_WORD.fullmatch(text):
            return text
        raise ValueError(
            f"agent {name!r}: argument {key}={text!r} is not a JSON value (a number, true/false, null or a "
            '"quoted string")'
        ) from None


def parse_contestant(spec: str) -> tuple[str, dict[str, Any]]:
    """A contestant name and the arguments written after it: ``"pov(participation=0.2)"`` ->
    ``("pov", {"participation": 0.2})``; a name without parentheses has none. A ValueError names the
    agent and the malformed argument."""
    match = _WITH_ARGUMENTS.fullmatch(spec.strip())
    if match is None:
        return spec.strip(), {}
    name, body = match.groups()
    arguments: dict[str, Any] = {}
    for item in split_contestants(body):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key.isidentifier() or not value:
            raise ValueError(f"agent {name!r}: expected KEY=VALUE, got {item!r} ({AGENT_ARGUMENTS_SYNTAX})")
        if key in arguments:
            raise ValueError(f"agent {name!r}: argument {key!r} given twice")
        arguments[key] = _argument_value(name, key, value)
    return name, arguments


def _check_agent_arguments(name: str, factory: Any, arguments: dict[str, Any]) -> None:
    """A ValueError naming the agent, the arguments it does not take and those it does, if ``arguments``
    holds a key its constructor lacks (instead of a ``TypeError`` from deep in the harness)."""
    params = inspect.signature(factory).parameters.values()
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
        return
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = [p.name for p in params if p.kind in keyword]
    unknown = [k for k in arguments if k not in accepted]
    if unknown:
        raise ValueError(
            f"agent {name!r} takes no argument {', '.join(map(repr, unknown))}; "
            f"its arguments: {', '.join(accepted) or 'none'}"
        )


def _agent_policy(spec: str, name: str, arguments: dict[str, Any], env: gym.Env) -> _Policy:
    """The registered trading agent ``name`` built with the environment's ``interval_s`` (and
    ``quantity`` / ``side`` where it takes them), overridden by the ``arguments`` written in ``spec``."""
    base = env.unwrapped
    target = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not target:
        raise KeyError(
            f"no trading agent named {name!r}: a contestant is a registered trading agent "
            f"({', '.join(sorted(available_agents()))}), {OTHER_CONTESTANTS}"
        )
    factory = target[0].load()
    _check_agent_arguments(name, factory, arguments)
    params = inspect.signature(factory).parameters
    kwargs: dict[str, Any] = {"interval_s": base.interval / 1e9}
    for key in ("quantity", "side"):
        if key in params and hasattr(base, key):
            kwargs[key] = getattr(base, key)
    kwargs = {k: v for k, v in kwargs.items() if k in params} | arguments
    try:
        agent = load_agent(name, **kwargs)
    except ValueError as err:  # the agent's own validation, e.g. participation out of range
        raise ValueError(f"agent {spec!r}: {err}") from None
    except TypeError as err:
        if not arguments:
            raise
        raise ValueError(f"agent {spec!r}: its arguments {arguments} are not accepted: {err}") from None
    policy = _AgentPolicy(agent)
    if arguments:  # two settings of one agent are two contestants
        policy.name = spec.strip()
    return policy


def _policy(contestant: Any, env: gym.Env) -> _Policy:
    if isinstance(contestant, _Policy):
        return contestant
    if isinstance(contestant, TradingAgent):
        return _AgentPolicy(contestant)
    if hasattr(contestant, "predict"):
        return _ModelPolicy(contestant, type(contestant).__name__)
    if not isinstance(contestant, str):
        raise TypeError(
            f"a contestant is a TradingAgent, an agent name, 'random_actions' or an SB3 model; "
            f"got {type(contestant).__name__}"
        )
    if contestant.endswith(".zip"):
        return _ModelPolicy(load_sb3_model(contestant), Path(contestant).stem)
    name, arguments = parse_contestant(contestant)
    if name == "random_actions":
        if arguments:
            raise ValueError(f"'random_actions' takes no arguments, got {contestant!r}")
        return _RandomActions(name)
    return _agent_policy(contestant, name, arguments, env)


def run_episode(env: gym.Env, policy: _Policy, seed: int) -> EpisodeResult:
    obs, info = env.reset(seed=seed)
    policy.reset(env, seed)
    total, steps, inventory = 0.0, 0, [info["inventory"]]
    done = False
    while not done:
        obs, reward, terminated, truncated, info = policy.step(env, obs)
        total += reward
        steps += 1
        inventory.append(info["inventory"])
        done = terminated or truncated
    return EpisodeResult(
        policy.name,
        seed,
        total,
        float(info["pnl"]),
        float(info.get("shortfall_bps", np.nan)),
        float(np.std(inventory)),
        steps,
    )


def _stand(name: str, rows: list[EpisodeResult]) -> Standing:
    rewards = np.array([r.reward for r in rows])
    half = float(stats.t.ppf(0.975, len(rows) - 1) * stats.sem(rewards)) if len(rows) > 1 else float("nan")
    return Standing(
        name,
        len(rows),
        float(rewards.mean()),
        half,
        float(np.mean([r.pnl for r in rows])),
        float(np.mean([r.shortfall_bps for r in rows])),
        float(np.mean([r.inventory_risk for r in rows])),
    )


def benchmark(
    env_id: str,
    contestants: Sequence[Any],
    seeds: Sequence[int] | int = 20,
    env_kwargs: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
    progress: bool = False,
) -> tuple[list[Standing], list[EpisodeResult]]:
    """Run every contestant on the same seeds of ``env_id``; returns the leaderboard (best mean reward
    first) and every episode. With ``out_dir``: ``bench.json`` and ``rewards.png`` there."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValueError("need at least one seed")
    env_id = resolve_env_id(env_id)
    check_env_kwargs(env_id, env_kwargs or {})
    env = gym.make(env_id, **(env_kwargs or {}))
    policies = [_policy(c, env) for c in contestants]
    names = [p.name for p in policies]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # their episodes would be pooled into one standing
        raise ValueError(f"contestant {', '.join(map(repr, twice))} given twice; each must have its own name")
    episodes: list[EpisodeResult] = []
    bar = None
    if progress:
        from .progress import tqdm

        bar = tqdm(total=len(policies) * len(seed_list), desc=f"bench {env_id}", unit="episode")
    for policy in policies:
        for seed in seed_list:
            episodes.append(run_episode(env, policy, seed))
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    env.close()
    board = sorted(
        (_stand(p.name, [e for e in episodes if e.agent == p.name]) for p in policies),
        key=lambda s: -s.reward_mean,
    )
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.json").write_text(
            json.dumps(
                {
                    "env": env_id,
                    "seeds": seed_list,
                    "leaderboard": [asdict(s) for s in board],
                    "episodes": [asdict(e) for e in episodes],
                },
                indent=2,
            )
        )
        _plot(board, episodes, out / "rewards.png", env_id)
    return board, episodes


def leaderboard_table(board: Sequence[Standing]) -> str:
    """The leaderboard as aligned text, one agent a row (the name column fits names with arguments)."""
    width = max([20, *(len(s.agent) + 2 for s in board)])
    rows = [
        f"{'agent':<{width}}{'episodes':>9}{'reward':>12}{'95% CI':>10}{'P&L $':>12}{'shortfall bp':>14}"
        f"{'inv. risk':>11}"
    ]
    for s in board:
        rows.append(
            f"{s.agent:<{width}}{s.episodes:>9}{s.reward_mean:>12.3f}{s.reward_ci95:>10.3f}"
            f"{s.pnl_mean:>12.2f}{s.shortfall_bps_mean:>14.3f}{s.inventory_risk_mean:>11.1f}"
        )
    return "\n".join(rows)


def _plot(board: Sequence[Standing], episodes: Sequence[EpisodeResult], path: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    names = [s.agent for s in board]
    ax.boxplot([[e.reward for e in episodes if e.agent == n] for n in names], tick_labels=names)
    ax.set_ylabel("episode return")
    ax.set_title(f"{title}: same seeds for every agent")
    fig.tight_layout()
    fig.savefig(path)


def benchmark_population(
    make_parallel: Any, populations: dict[str, dict[str, Any]], seeds: Sequence[int] | int = 20
) -> dict[str, list[Standing]]:
    """The multi-agent harness: each named population (agent -> policy ``obs -> action``; a missing agent
    acts at random) plays the same seeds of ``make_parallel()``; returns each agent's standing per
    population (mean return with its 95% CI, P&L, inventory risk)."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if len(seed_list) < 2:
        raise ValueError("need at least two seeds for confidence intervals")
    out: dict[str, list[Standing]] = {}
    for label, policies in populations.items():
        env = make_parallel()
        episodes: dict[str, list[EpisodeResult]] = {a: [] for a in env.possible_agents}
        for seed in seed_list:
            obs, infos = env.reset(seed=seed)
            totals = dict.fromkeys(env.possible_agents, 0.0)
            inventories: dict[str, list[int]] = {a: [infos[a]["inventory"]] for a in env.possible_agents}
            last = dict(infos)
            while env.agents:
                actions = {
                    a: (policies[a](obs[a]) if a in policies else env.action_space(a).sample())
                    for a in env.agents
                }
                obs, rewards, _, _, infos = env.step(actions)
                for a, r in rewards.items():
                    totals[a] += r
                    inventories[a].append(infos[a]["inventory"])
                    last[a] = infos[a]
            for a in env.possible_agents:
                episodes[a].append(
                    EpisodeResult(
                        a,
                        seed,
                        totals[a],
                        float(last[a]["pnl"]),
                        float(last[a].get("shortfall_bps", np.nan)),
                        float(np.std(inventories[a])),
                        len(inventories[a]) - 1,
                    )
                )
        out[label] = [_stand(a, rows) for a, rows in episodes.items()]
    return out
