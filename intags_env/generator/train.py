"""Train a world-agent generator: behaviour cloning on a real order stream, then INTAGS fine-tuning.

The default method is CMA-ES on the clone's logit adapter (:mod:`.train_es`); ``method="ppo"`` runs the
pipeline below.

1. The real feedback set of the training reward (cached on disk) and held-out real sets for evaluation
   and for the real-vs-real floor are collected from the real market in the generator's window.
2. Pretraining: maximum likelihood of the orders of simulated real-market sessions (or a LOBSTER file).
3. Fine-tuning: SB3 PPO on ``WorldAgentEnv`` (episode reward = the episode's share of -MMD^2), with
   callbacks that save checkpoints and periodically measure the MMD of the current generator against
   the held-out real set (with its permutation p-value), all logged to TensorBoard.
4. A report: the MMD curve, pretrained vs fine-tuned vs the real-vs-real floor, buy/sell balance,
   stylized facts of one generated session against the real one, and plots.

``train_generator(settings, out)``; resumable from ``out/checkpoints``.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, CheckpointCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

from ..data import read_lobster
from ..metrics import facts_report, plot_facts, stylized_facts
from ..progress import sb3_progress, tqdm
from ..seeds import CLONING_SESSIONS, TRAIN_EVALUATION, TRAIN_FACTS, TRAIN_FLOOR, TRAIN_HELD_OUT
from ..world import resolve_config
from ..world.simulate import simulate
from .env import DEFAULT_CACHE, WorldAgentEnv, default_trader, real_feedback
from .evaluate import Evaluation, evaluate_generator, mmd_difference_ci, real_episode_stats, summarise
from .orderstream import grouped, order_stream
from .policy import (
    SPREAD_EDGES,
    GeneratorPolicy,
    behaviour_cloning,
    generator_policy_kwargs,
    load_generator,
)
from .ppo_leash import CloneKLPenalty, frozen_actor
from .reward import FeedbackReward
from .saved import load_saved_generator
from .spec import ACTION_NVEC, FEATURE_NAMES, HISTORY
from .train_es import train_es

__all__ = ["TrainSettings", "bc_dataset", "clone_generator", "train_generator"]


@dataclass(frozen=True)
class TrainSettings:
    """Everything a training run depends on (saved next to its results)."""

    real: str = "rmsc04"
    start: str = "09:35"
    end: str = "09:45"
    method: str = "es"  # "es": CMA-ES on the clone's logit adapter (.es); "ppo": SB3 PPO on WorldAgent-v0
    horizons: int = 5
    real_episodes: int = 200  # reward's real feedback set
    eval_episodes: int = 40  # generator episodes per evaluation along training
    final_episodes: int = 300  # held-out real set, and generator episodes of the final comparison
    pretrain_sessions: int = 16  # simulated real sessions behind behaviour cloning
    pretrain_lobster: str | None = None  # or a LOBSTER file (zip / message file) instead
    pretrain_epochs: int = 8
    steps: int = 250_000  # PPO environment steps (orders_per_step orders each)
    eval_every: int = 62_500
    n_envs: int = 2
    orders_per_step: int = 1  # orders per PPO step (see WorldAgentEnv; > 1 is faster, clones worse)
    learning_rate: float = 1e-4
    n_steps: int = 4096  # per env: with 2 envs an update sees ~4 whole episodes (~1,800 orders each)
    batch_size: int = 512
    n_epochs: int = 4
    clip_range: float = 0.1
    ent_coef: float = 0.0
    value_warmup_steps: int = 16_384  # PPO steps at the start that train only the critic (actor frozen)
    ppo_kl_weight: float = 1e-3  # per-order penalty on log pi - log pi_clone (an episode: ~1,800 orders)
    seed: int = 0
    workers: int = 2
    # --- method "es" (see .es): generations x popsize x es_episodes generator episodes
    adapter: str = "logits"  # what ES moves: "logits" (adapter.LogitAdapter) or "network" (ablation)
    spread_edges: tuple[int, ...] = SPREAD_EDGES  # the logit adapter's spread buckets (policy.SPREAD_EDGES)
    generations: int = 14
    popsize: int = 12
    es_episodes: int = 8  # episodes per candidate, on seeds common to the generation
    facts_episodes: int = 4  # > 0: also that many trader-free sessions per candidate, for the facts terms
    sigma0: float = 0.3  # initial step size, logits
    es_real_episodes: int = 200  # real episodes behind the objective's real sets
    check_episodes: int = 32  # fixed check episodes that pick the kept adapter
    check_every: int = 2
    facts_weight: float = 1.0
    ks_weight: float = 1.0  # pooled facts distributions (spread, sizes, inter-arrival, ...): mean KS
    kl_weight: float = 0.5
    imbalance_weight: float = 2.0  # |mean |buy - sell| share - the real one|, sessions with the trader

    def __post_init__(self) -> None:
        if self.method not in ("es", "ppo"):
            raise ValueError(f"method must be 'es' or 'ppo', got {self.method!r}")
        if self.adapter not in ("logits", "network"):
            raise ValueError(f"adapter must be 'logits' or 'network', got {self.adapter!r}")
        least = {"generations": 1, "popsize": 2, "es_episodes": 2, "es_real_episodes": 2, "check_episodes": 2}
        if self.facts_episodes and not 2 <= self.facts_episodes <= min(self.es_episodes, self.check_episodes):
            raise ValueError(
                "facts_episodes must be 0 or in [2, min(es_episodes, check_episodes)], "
                f"got {self.facts_episodes}"
            )
        for name, low in least.items():
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if self.check_every < 1 or not self.sigma0 > 0:
            raise ValueError(
                f"check_every and sigma0 must be positive, got {self.check_every}, {self.sigma0}"
            )
        weights = {
            "facts_weight": self.facts_weight,
            "ks_weight": self.ks_weight,
            "kl_weight": self.kl_weight,
            "imbalance_weight": self.imbalance_weight,
        }
        for name, value in weights.items():
            if not value >= 0:  # NaN fails too
                raise ValueError(f"{name} must be >= 0, got {value}")
        edges = tuple(self.spread_edges)
        if not edges or edges[0] != 1 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"spread_edges must rise strictly from 1 (ticks), got {self.spread_edges}")
        if self.value_warmup_steps < 0:
            raise ValueError(f"value_warmup_steps must be >= 0, got {self.value_warmup_steps}")

    @classmethod
    def quick(cls) -> TrainSettings:
        """A minutes-long end-to-end run: the pipeline, not a good generator."""
        return cls(
            start="09:35",
            end="09:40",
            real_episodes=40,
            eval_episodes=12,
            final_episodes=12,
            pretrain_sessions=3,
            pretrain_epochs=3,
            steps=2048,
            eval_every=2048,
            n_envs=1,
            n_steps=2048,
            value_warmup_steps=2048,
            generations=4,
            popsize=6,
            es_episodes=4,
            facts_episodes=2,
            es_real_episodes=40,
            check_episodes=8,
        )


def bc_dataset(settings: TrainSettings, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(observations, actions) of the real order stream: simulated sessions of the real market (seeds far
    from the evaluation's), or the LOBSTER file."""
    if settings.pretrain_lobster:
        streams = [order_stream(read_lobster(settings.pretrain_lobster))]
    else:
        seeds = range(CLONING_SESSIONS, CLONING_SESSIONS + settings.pretrain_sessions)
        it = tqdm(seeds, desc="real order streams", unit="session", disable=not progress, leave=False)
        streams = [order_stream(simulate(settings.real, seed).lobster) for seed in it]
    pairs = [grouped(s.observations(), s.actions, settings.orders_per_step) for s in streams]
    return np.concatenate([o for o, _ in pairs]), np.concatenate([a for _, a in pairs])


class IntagsEvalCallback(BaseCallback):
    """Every ``every`` steps: save the generator, measure its MMD to the held-out real set (p-value,
    buy/sell balance) and log it to TensorBoard under ``intags/``; the curve is kept in ``curve.json``."""

    def __init__(self, every: int, evaluate: Any, out: Path, curve: list[dict[str, float]]) -> None:
        super().__init__()
        self.every = every
        self.evaluate = evaluate
        self.out = out
        self.curve = curve
        self._last = curve[-1]["steps"] if curve else 0  # a resumed run evaluates on schedule

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last >= self.every:
            self._last = self.num_timesteps
            self.record()
        return True

    def record(self) -> Evaluation:
        path = self.out / "checkpoints" / f"eval_{self.num_timesteps}.zip"
        self.model.save(path)
        result = self.evaluate(path)
        for key, value in result.as_dict().items():
            self.logger.record(f"intags/{key}", value)
        self.logger.dump(self.num_timesteps)
        self.curve.append({"steps": self.num_timesteps, **result.as_dict()})
        (self.out / "curve.json").write_text(json.dumps(self.curve, indent=1))
        return result


def train_generator(
    settings: TrainSettings, out: str | Path, *, resume: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Run the whole pipeline into ``out`` and return the report (also ``out/report.json``).

    With ``settings.n_envs > 1`` the environments run in worker processes (SB3's ``SubprocVecEnv``), so a
    script calling this needs the ``if __name__ == "__main__":`` guard."""
    if settings.method == "es":
        return train_es(settings, out, resume=resume, progress=progress)
    out = Path(out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # small networks, batch-1 inference: threads only contend with the env workers
    # argument checks of torch distributions cost more than the policy network on this small model
    torch.distributions.Distribution.set_default_validate_args(False)
    started = time.perf_counter()
    s = settings
    trader = default_trader()
    window = {"start": s.start, "end": s.end}
    common = {"trader": trader, "horizons": s.horizons, "workers": s.workers, "progress": progress}
    real_set = real_feedback(s.real, **window, episodes=s.real_episodes, cache_dir=DEFAULT_CACHE, **common)
    n_final = max(s.final_episodes, s.eval_episodes)
    held_out = real_episode_stats(
        s.real,
        s.start,
        s.end,
        trader,
        range(TRAIN_HELD_OUT, TRAIN_HELD_OUT + n_final),
        s.horizons,
        s.workers,
        progress,
    )
    floor_stats = real_episode_stats(
        s.real,
        s.start,
        s.end,
        trader,
        range(TRAIN_FLOOR, TRAIN_FLOOR + n_final),
        s.horizons,
        s.workers,
        progress,
    )
    reference = FeedbackReward(np.array([st.feedback for st in held_out]))
    floor = summarise(floor_stats, reference)

    def evaluate(path: Path, episodes: int | None = None) -> Evaluation:
        return evaluate_generator(
            path,
            reference,
            real=s.real,
            **window,
            trader=trader,
            seeds=range(TRAIN_EVALUATION, TRAIN_EVALUATION + (episodes or s.eval_episodes)),
            horizons=s.horizons,
            workers=s.workers,
            progress=progress,
        )

    def make_env(rank: int) -> Any:
        def build() -> Monitor:
            env = WorldAgentEnv(
                s.real,
                **window,
                trader=default_trader(),
                horizons=s.horizons,
                real_set=real_set,
                orders_per_step=s.orders_per_step,
            )
            env.reset(seed=s.seed * 1000 + rank)
            return Monitor(env)

        return build

    vec_cls = SubprocVecEnv if s.n_envs > 1 else DummyVecEnv
    env = vec_cls([make_env(r) for r in range(s.n_envs)])
    curve_path = out / "curve.json"
    latest = _latest_checkpoint(out) if resume else None
    if latest is not None:
        model = PPO.load(latest, env=env, device="cpu", tensorboard_log=str(out / "tb"))
        curve = json.loads(curve_path.read_text()) if curve_path.exists() else []
    else:
        model = PPO(
            GeneratorPolicy,
            env,
            policy_kwargs=generator_policy_kwargs(s.spread_edges),
            learning_rate=s.learning_rate,
            n_steps=s.n_steps,
            batch_size=s.batch_size,
            n_epochs=s.n_epochs,
            gamma=1.0,
            gae_lambda=1.0,
            clip_range=s.clip_range,
            normalize_advantage=False,  # one reward per episode: normalising rescales noise into signal
            ent_coef=s.ent_coef,
            seed=s.seed,
            device="cpu",
            tensorboard_log=str(out / "tb"),
        )
        observations, actions = bc_dataset(s, progress)
        bc_losses = behaviour_cloning(
            model, observations, actions, epochs=s.pretrain_epochs, progress=progress
        )
        save_generator(model, out / "pretrained.zip", s)
        (out / "bc_losses.json").write_text(json.dumps(bc_losses))
        curve = [{"steps": 0, **evaluate(out / "pretrained.zip").as_dict()}]
    penalty = CloneKLPenalty(load_generator(out / "pretrained.zip").policy, s.ppo_kl_weight)
    fresh = latest is None
    if fresh and s.value_warmup_steps > 0:
        with frozen_actor(model.policy):  # the critic learns the episode rewards before the actor moves
            model.learn(
                s.value_warmup_steps,
                callback=[penalty, *sb3_progress(progress, "value warm-up")],
                tb_log_name="intags",
            )
        fresh = False
    eval_callback = IntagsEvalCallback(s.eval_every, evaluate, out, curve)
    checkpoints = CheckpointCallback(max(s.eval_every // s.n_envs, 1), str(out / "checkpoints"), "generator")
    model.learn(
        total_timesteps=s.steps,
        callback=CallbackList([penalty, checkpoints, eval_callback, *sb3_progress(progress, "INTAGS PPO")]),
        reset_num_timesteps=fresh,
        tb_log_name="intags",
    )
    save_generator(model, out / "generator.zip", s)
    env.close()
    final = evaluate(out / "generator.zip", n_final)
    pretrained = evaluate(out / "pretrained.zip", n_final)  # the same held-out seeds as the final one
    diff, low, high = mmd_difference_ci(reference, pretrained.feedback, final.feedback)
    report = {
        "settings": asdict(s),
        "mmd_reduction": {"observed": diff, "ci95_low": low, "ci95_high": high},
        "pretrained": pretrained.as_dict(),
        "intags": final.as_dict(),
        "floor": floor.as_dict(),
        "real_imbalance_abs_mean": float(np.mean([abs(st.imbalance) for st in held_out])),
        "curve": curve,
        "train_minutes": (time.perf_counter() - started) / 60.0,
    }
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float))
    _plot(report, out)
    facts_comparison(out / "generator.zip", s, out)
    return report


class _OrderSpaces(gym.Env):
    """The observation and action spaces of ``WorldAgent-v0`` and nothing else: a policy that is only
    cloned (never stepped) needs the spaces, not a market and a real feedback set."""

    def __init__(self, orders_per_step: int) -> None:
        dim = HISTORY * len(FEATURE_NAMES)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32)
        self.action_space = gym.spaces.MultiDiscrete(np.tile(ACTION_NVEC, orders_per_step))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError("_OrderSpaces only shapes a cloned policy; train it in WorldAgentEnv")

    def step(self, action: Any) -> Any:
        raise NotImplementedError("_OrderSpaces only shapes a cloned policy; train it in WorldAgentEnv")


def clone_generator(settings: TrainSettings, out: str | Path, *, progress: bool = True) -> Path:
    """Behaviour cloning only, no INTAGS fine-tuning: ``out/pretrained.zip`` (+ ``.json``, and
    ``bc_losses.json``). This is the generator a recorded day gives (a LOBSTER file cannot answer the
    experimental trader, so there is no interactive feedback to fine-tune on); its background starts from
    ``settings.real``'s book."""
    observations, actions = bc_dataset(settings, progress)
    return clone_on(settings, observations, actions, out, progress)


def clone_on(
    settings: TrainSettings,
    observations: np.ndarray,
    actions: np.ndarray,
    out: str | Path,
    progress: bool = True,
) -> Path:
    """Behaviour cloning on given (state history, order) pairs into ``out/pretrained.zip``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    s = settings
    model = PPO(
        GeneratorPolicy,
        DummyVecEnv([lambda: _OrderSpaces(s.orders_per_step)]),
        policy_kwargs=generator_policy_kwargs(s.spread_edges),
        seed=s.seed,
        device="cpu",
    )
    losses = behaviour_cloning(model, observations, actions, epochs=s.pretrain_epochs, progress=progress)
    save_generator(model, out / "pretrained.zip", s)
    (out / "bc_losses.json").write_text(json.dumps(losses))
    return out / "pretrained.zip"


def facts_comparison(model_path: Path, settings: TrainSettings, out: Path, seed: int = TRAIN_FACTS) -> str:
    """Stylized facts of one generated session against the real market's same window (no experimental
    trader): a markdown table in ``out/facts.md`` and the facts plots in ``out/facts/``."""
    start_ns = resolve_config(settings.real, start=settings.start).start_ns
    background = load_saved_generator(model_path).background(n_external=0)
    background.reset(seed)
    background.run_until(background.config.end_ns)
    generated = background.generated_lobster()
    real = simulate(settings.real, seed, end=settings.end).lobster
    real = replace(real.select(real.messages["time"] >= start_ns), start_ns=start_ns)
    table = facts_report(stylized_facts(real), stylized_facts(generated), names=("real", "generator"))
    (out / "facts.md").write_text(table + "\n")
    plot_facts({"real": real, "generator": generated}, out / "facts")
    return table


def save_generator(model: PPO, path: Path, settings: TrainSettings) -> None:
    """SB3's zip plus ``<path>.json`` naming the real market and session it was trained for."""
    model.save(path)
    meta = {"real": settings.real, "start": settings.start, "end": settings.end}
    path.with_suffix(".json").write_text(json.dumps(meta))


def _latest_checkpoint(out: Path) -> Path | None:
    found = sorted(
        (out / "checkpoints").glob("generator_*_steps.zip"), key=lambda p: int(p.stem.split("_")[-2])
    )
    return found[-1] if found else None


def _plot(report: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = report["curve"]
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = [c["steps"] for c in curve]
    ax.plot(steps, [c["mmd2"] for c in curve], "o-", label="generator vs held-out real")
    ax.axhline(report["floor"]["mmd2"], color="grey", ls="--", label="real vs real (floor)")
    ax.set(xlabel="PPO steps (orders)", ylabel="MMD^2 of causal feedback", title="INTAGS fine-tuning")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "mmd_curve.png", dpi=120)
    plt.close(fig)
