"""Train the cWGAN world agent on a real order stream (WGAN-GP, Gulrajani et al. 2017; the conditional
order generator of Coletta et al. 2022).

Data: exactly the behaviour-cloning pairs of the SB3 generator (``intags_env.generator.train.bc_dataset``:
(last ``HISTORY`` market states, next order) of simulated ``rmsc04`` sessions, or of a LOBSTER file).
The last ``holdout`` share of the pairs (the last sessions, or the end of the LOBSTER day) is held out
for evaluation; the rest is the training set.

One iteration = ``n_critic`` critic updates, then one generator update (the literature's choices, kept
as defaults):

* critic loss ``D(s, G(s, z)) - D(s, a) + lambda * GP`` on minibatches of real pairs (s, a), the
  generated order conditioned on the same states; lambda = 10; the Wasserstein estimate logged is
  ``mean D(s, a) - mean D(s, G(s, z))``;
* generator loss ``-D(s, G(s, z))``, through the straight-through Gumbel-softmax (temperature ``tau``);
  the critic sees real and generated orders masked by type (the type and that type's fields only,
  ``networks.mask_by_type``);
* Adam, lr 1e-4, betas (0.5, 0.9), for both networks.

G's weights are averaged along training (Polyak / exponential moving average, ``ema``; Yazici et al.
2019): the averaged generator is the one evaluated and saved, it smooths the oscillation of GAN training.

Every ``eval_every`` iterations the averaged generator is evaluated:

* open loop: the per-field total-variation (TV) distance between the marginals of generated orders (one
  per held-out state) and of the held-out real orders, a type's fields over the orders of that type only
  (:func:`marginal_distances`; the real-vs-real floor is the same distance between the training and the
  held-out real orders);
* closed loop (``closed_loop_sessions`` > 0): the generator runs as the background over its window
  (``session.closed_loop``), so its orders change the states it sees next; the TV of those orders'
  marginals against the held-out real ones, the share of two-sided states, orders per session. This is
  where compounding errors show (a generator can match the held-out marginals state by state and still
  drift into a market unlike the real one), so it is the selection criterion: ``cwgan.pt`` is the
  evaluated generator with the lowest closed-loop mean TV (validation-based checkpoint selection, as
  FID-based selection of image GANs), and its closed-loop figures are re-measured on fresh seeds.
  A session that runs away (cut at ``max_orders``, or stopped by the background's burst or capacity
  guard) adds to the score, so the selected model is the best of those that run away least: GAN
  checkpoints differ widely there (0 to 100% of sessions, measured along one run).

TensorBoard scalars go to ``out/tb``, checkpoints (both networks, both optimisers, the average, the
selection, the random state) to ``out/checkpoints`` every ``checkpoint_every`` iterations and at the
end; ``resume=True`` continues from the last one, reproducing the uninterrupted run. All randomness
comes from ``seed`` (torch's global generator for the initial weights, a private ``torch.Generator``
for minibatches and noise, fixed seeds for the evaluation sessions), and torch runs on one thread, so
the same seed gives the same model.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from intags_env.progress import tqdm
from intags_env.seeds import CWGAN_REPORT, CWGAN_SELECTION

from .agent import CWGANConfig, CWGANWorldAgent, check_actions
from .networks import (
    FIELD_NAMES,
    OBS_DIM,
    OrderCritic,
    generated_orders,
    gradient_penalty,
    one_hot_actions,
    order_nll,
)
from .session import closed_loop, real_window_orders

__all__ = [
    "CWGANSettings",
    "latest_checkpoint",
    "marginal_distances",
    "real_pairs",
    "split_holdout",
    "train_cwgan",
    "train_for_window",
]

#: Seeds of the closed-loop sessions that select the checkpoint (a block of their own, intags_env.seeds).
CLOSED_LOOP_SEED = CWGAN_SELECTION
#: Seeds of the final closed-loop figures of the selected model (never used in selection).
FRESH_SEED = CWGAN_REPORT
#: Selection is lexicographic in the runaway share for up to this many closed-loop sessions.
_RUNAWAY_WEIGHT = 1_000.0
#: Settings that may change between a run and its resumption (the schedule, not the model or data).
_RESUMABLE = {"steps", "eval_every", "log_every", "checkpoint_every"}


@dataclass(frozen=True)
class CWGANSettings:
    """Everything a cWGAN training run depends on (saved in ``report.json`` and the checkpoints)."""

    real: str = "rmsc04"  # the real market preset (its sessions are the data, unless ``lobster``)
    start: str = "09:35"  # the session the trained model's background runs (as the SB3 generator's)
    end: str = "09:45"
    sessions: int = 16  # simulated real sessions behind the data (bc_dataset's seeds)
    lobster: str | None = None  # or a LOBSTER file (zip / message file)
    holdout: float = 0.1  # last share of the pairs held out for evaluation
    steps: int = 2_500  # generator iterations
    n_critic: int = 5
    batch_size: int = 128
    noise_dim: int = 16
    hidden: int = 128
    critic_hidden: int = 128
    learning_rate: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.9
    gp_weight: float = 10.0
    tau: float = 1.0  # Gumbel-softmax temperature of the generator's gradient
    mle_weight: float = 1.0  # weight of the real orders' negative log-likelihood in G's loss (0: pure WGAN)
    ema: float = 0.999  # the saved generator is this exponential moving average of G's weights (0: off)
    # G's inputs are held in the training data's [q, 1 - q] quantile band of each feature (0: off): closed
    # loop (a trader's market orders above all) the returns, spread and order-sign features leave the data,
    # where the ReLU network extrapolates linearly into zero-delay cancel loops (runaways)
    clip_quantile: float = 0.005
    closed_loop_sessions: int = 6  # generated sessions per evaluation (0: none), see session.closed_loop
    eval_every: int = 250
    log_every: int = 50
    checkpoint_every: int = 500
    seed: int = 0

    @classmethod
    def quick(cls) -> CWGANSettings:
        """A run of well under a minute: the pipeline, not a good model."""
        return cls(sessions=3, steps=400, eval_every=200, checkpoint_every=200, closed_loop_sessions=1)

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout < 1.0:
            raise ValueError(f"holdout must be in (0, 1), got {self.holdout}")
        for name in ("sessions", "steps", "n_critic", "batch_size", "eval_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be positive, got {self.checkpoint_every}")
        if self.mle_weight < 0:
            raise ValueError(f"mle_weight must be >= 0, got {self.mle_weight}")
        if not 0.0 <= self.clip_quantile < 0.5:
            raise ValueError(f"clip_quantile must be in [0, 0.5), got {self.clip_quantile}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")
        if self.closed_loop_sessions < 0:
            raise ValueError(f"closed_loop_sessions must be >= 0, got {self.closed_loop_sessions}")

    @property
    def window(self) -> dict[str, str]:
        return {"real": self.real, "start": self.start, "end": self.end}


def real_pairs(settings: CWGANSettings, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(observations ``(n, OBS_DIM)``, orders ``(n, N_FIELDS)``) of the real order stream: the
    behaviour-cloning dataset of the SB3 generator for the same market, sessions or LOBSTER file."""
    from intags_env.generator.train import TrainSettings, bc_dataset

    bc = TrainSettings(
        real=settings.real,
        pretrain_sessions=settings.sessions,
        pretrain_lobster=settings.lobster,
        orders_per_step=1,
    )
    return bc_dataset(bc, progress)


def split_holdout(
    observations: np.ndarray, actions: np.ndarray, holdout: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train obs, train orders, held-out obs, held-out orders): the last ``holdout`` share is held out."""
    if len(observations) != len(actions):
        raise ValueError(f"need as many observations as orders, got {len(observations)}, {len(actions)}")
    n_test = int(round(len(actions) * holdout))
    if n_test < 1 or len(actions) - n_test < 1:
        raise ValueError(f"{len(actions)} pairs are too few to hold out a share of {holdout}")
    cut = len(actions) - n_test
    return observations[:cut], actions[:cut], observations[cut:], actions[cut:]


def marginal_distances(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Total-variation distance ``0.5 sum |p - q|`` between the marginal distributions of each order
    field (keys ``FIELD_NAMES``) of two sets of orders, and their ``mean`` over the fields.

    The type's marginal is over all orders; the marginal of a field of type t is over the orders of type
    t only (the other orders do not have that field). A type that only one of the sets has is as far as
    can be in its fields (TV 1: the other set's distribution of them is not even there); a type neither
    has is 0 in its fields."""
    from intags_env.generator.spec import ACTION_NVEC, FIELDS_OF_TYPE

    generated, real = np.asarray(generated), np.asarray(real)

    def tv(a: np.ndarray, b: np.ndarray, n: int) -> float:
        if len(a) == 0 or len(b) == 0:
            return float(len(a) != len(b))
        p, q = np.bincount(a, minlength=n) / len(a), np.bincount(b, minlength=n) / len(b)
        return float(0.5 * np.abs(p - q).sum())

    out = {FIELD_NAMES[0]: tv(generated[:, 0], real[:, 0], int(ACTION_NVEC[0]))}
    for kind, fields in FIELDS_OF_TYPE.items():
        gen_of, real_of = generated[generated[:, 0] == kind], real[real[:, 0] == kind]
        for i in fields:
            out[FIELD_NAMES[i]] = tv(gen_of[:, i], real_of[:, i], int(ACTION_NVEC[i]))
    out["mean"] = float(np.mean([out[name] for name in FIELD_NAMES]))
    return out


def latest_checkpoint(out: str | Path) -> Path | None:
    """The checkpoint of the most iterations in ``out/checkpoints``, if any."""
    found = sorted(Path(out, "checkpoints").glob("cwgan_*.ckpt"), key=lambda p: int(p.stem.split("_")[-1]))
    return found[-1] if found else None


class _Trainer:
    """The two networks, their optimisers and the training random state; one ``iteration()`` at a time."""

    def __init__(self, settings: CWGANSettings, train_obs: np.ndarray, train_actions: np.ndarray) -> None:
        s = self.settings = settings
        std = train_obs.std(axis=0)
        mean, std = train_obs.mean(axis=0), np.where(std > 1e-6, std, 1.0)
        low = high = None
        if s.clip_quantile > 0:
            low, high = np.quantile(train_obs, [s.clip_quantile, 1 - s.clip_quantile], axis=0)
        torch.manual_seed(s.seed)
        agent = CWGANWorldAgent.new(self.agent_config, mean, std, obs_low=low, obs_high=high)
        self.generator = agent.generator
        self.agent = CWGANWorldAgent(copy.deepcopy(self.generator), self.agent_config, s.window)
        self.critic = OrderCritic(s.critic_hidden)
        betas = (s.beta1, s.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=s.learning_rate, betas=betas)
        self.opt_d = torch.optim.Adam(self.critic.parameters(), lr=s.learning_rate, betas=betas)
        self.rng = torch.Generator().manual_seed(s.seed)
        self.obs = torch.as_tensor(train_obs, dtype=torch.float32)
        self.obs_normalised = self.generator.normalise(self.obs)
        self.orders = one_hot_actions(torch.as_tensor(train_actions))
        self.iteration = 0
        self.best: dict[str, Any] | None = None  # the selected evaluation: iteration, score, weights

    def offer_best(self, iteration: int, score: float) -> None:
        """Keep the averaged generator's weights if ``score`` is the lowest so far (a NaN score — e.g. a
        closed loop without orders — counts as the worst, so it can neither win nor block later ones)."""
        score = float(score) if np.isfinite(score) else float("inf")
        if self.best is None or score < self.best["score"]:
            weights = {k: v.clone() for k, v in self.agent.generator.state_dict().items()}
            self.best = {"iteration": iteration, "score": float(score), "average": weights}

    def best_agent(self) -> CWGANWorldAgent:
        """The selected model (the current averaged generator when nothing was evaluated)."""
        agent = CWGANWorldAgent(copy.deepcopy(self.agent.generator), self.agent_config, self.settings.window)
        if self.best is not None:
            agent.generator.load_state_dict(self.best["average"])
        return agent

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.obs), (self.settings.batch_size,), generator=self.rng)
        return self.obs[idx], self.obs_normalised[idx], self.orders[idx]

    def _generate(self, obs: torch.Tensor) -> torch.Tensor:
        """G's orders for ``obs`` as the critic sees them."""
        return self._generate_with_logits(obs)[0]

    def _generate_with_logits(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """G's orders for ``obs`` as the critic sees them, and the logits they were drawn from."""
        n = len(obs)
        noise = torch.randn(n, self.settings.noise_dim, generator=self.rng)
        gumbel = -torch.empty(n, self.orders.shape[1]).exponential_(generator=self.rng).log()
        logits = self.generator(obs, noise)
        return generated_orders(logits, gumbel, self.settings.tau), logits

    def iteration_step(self) -> dict[str, float]:
        """``n_critic`` critic updates and one generator update; the last critic update's figures."""
        s = self.settings
        self.generator.train()
        for _ in range(s.n_critic):
            obs, obs_n, real = self._batch()
            with torch.no_grad():
                fake = self._generate(obs)
            d_real, d_fake = self.critic(obs_n, real).mean(), self.critic(obs_n, fake).mean()
            eps = torch.rand(len(obs), generator=self.rng)
            penalty = gradient_penalty(self.critic, obs_n, real, fake, eps)
            loss_d = d_fake - d_real + s.gp_weight * penalty
            self.opt_d.zero_grad()
            loss_d.backward()
            self.opt_d.step()
        obs, obs_n, real = self._batch()
        fake, logits = self._generate_with_logits(obs)
        adversarial = -self.critic(obs_n, fake).mean()
        likelihood = order_nll(logits, real)
        loss_g = adversarial + s.mle_weight * likelihood if s.mle_weight else adversarial
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        self.generator.eval()
        self.iteration += 1
        self._update_average()
        return {
            "critic_loss": loss_d.item(),
            "wasserstein": (d_real - d_fake).item(),
            "gradient_penalty": penalty.item(),
            "generator_loss": loss_g.item(),
            "order_nll": likelihood.item(),
        }

    @property
    def agent_config(self) -> CWGANConfig:
        return CWGANConfig(self.settings.noise_dim, self.settings.hidden)

    def _update_average(self) -> None:
        """Polyak averaging of G (Yazici et al. 2019), with the usual warm-up ``min(ema, (1+t)/(10+t))``
        so the average forgets the random initial weights; a plain copy when ``ema`` is 0."""
        decay = min(self.settings.ema, (1 + self.iteration) / (10 + self.iteration))
        with torch.no_grad():
            for avg, cur in zip(self.agent.generator.parameters(), self.generator.parameters()):
                avg.mul_(decay).add_(cur, alpha=1 - decay)

    def state(self, curve: list[dict[str, float]], seconds: float) -> dict[str, Any]:
        return {
            "iteration": self.iteration,
            "generator": self.generator.state_dict(),
            "average": self.agent.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": self.rng.get_state(),
            "best": self.best,
            "curve": curve,
            "seconds": seconds,
            "settings": asdict(self.settings),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"])
        self.agent.generator.load_state_dict(state["average"])
        self.critic.load_state_dict(state["critic"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.rng.set_state(state["rng"])
        self.iteration = int(state["iteration"])
        self.best = state["best"]


class _Evaluator:
    """The figures of an evaluation of the averaged generator (see the module doc): per-field marginal TV
    on the held-out states, and with ``sessions`` > 0 the same in closed loop plus its health (two-sided
    share, orders per session, truncated share)."""

    def __init__(self, test_obs: np.ndarray, test_act: np.ndarray, seed: int) -> None:
        self.test_obs, self.test_act, self.seed = test_obs, test_act, seed

    def __call__(self, agent: CWGANWorldAgent, sessions: int, first_seed: int = CLOSED_LOOP_SEED) -> dict:
        generated = agent.sample(self.test_obs, np.random.default_rng(self.seed))
        figures = marginal_distances(generated, self.test_act)
        if sessions:
            runs = [closed_loop(agent, seed) for seed in range(first_seed, first_seed + sessions)]
            loop_tv = marginal_distances(np.concatenate([r.actions for r in runs]), self.test_act)
            figures.update({f"closed_loop_{k}": v for k, v in loop_tv.items()})
            figures["closed_loop_two_sided"] = float(np.mean([r.two_sided_share for r in runs]))
            figures["closed_loop_orders"] = float(np.mean([len(r.actions) for r in runs]))
            figures["closed_loop_truncated"] = float(np.mean([r.truncated for r in runs]))
        return figures


def _score(figures: dict[str, float]) -> float:
    """The selection score of an evaluation (lower is better): closed-loop mean TV plus the share of its
    sessions that ran away times ``_RUNAWAY_WEIGHT`` (a TV is at most 1, so a generator that runs away
    in fewer sessions always wins: a model that breaks its market down is unusable however good its
    marginals), else the held-out mean TV."""
    if "closed_loop_mean" not in figures:
        return figures["mean"]
    return figures["closed_loop_mean"] + _RUNAWAY_WEIGHT * figures["closed_loop_truncated"]


def train_cwgan(
    settings: CWGANSettings,
    out: str | Path,
    *,
    progress: bool = True,
    resume: bool = False,
    data: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Train into ``out`` and return the report (also ``out/report.json``).

    Writes ``cwgan.pt`` + ``cwgan.json`` (the selected model: the evaluated averaged generator with the
    lowest closed-loop mean TV, or held-out TV without closed-loop sessions), ``cwgan_last.pt`` (the
    last), ``checkpoints/``, ``tb/``. The report holds the selected model's evaluation, its closed-loop
    figures on fresh sessions (``fresh_closed_loop``, seeds never used in selection), the real-vs-real
    floor and the curve.

    Args:
        settings: the run (see :class:`CWGANSettings`).
        out: the output directory.
        progress: tqdm bars (data collection, iterations).
        resume: continue from the last checkpoint in ``out/checkpoints`` (a fresh run when there is none);
            only the schedule (``steps``, ``eval_every``, ``log_every``, ``checkpoint_every``) may differ
            from the checkpoint's settings.
        data: (observations, orders) to train on instead of ``real_pairs(settings)`` (tests, own data).
    """
    from torch.utils.tensorboard import SummaryWriter

    out = Path(out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # small networks: threads cost more than they bring, and keep runs exact
    observations, actions = data if data is not None else real_pairs(settings, progress)
    observations = np.asarray(observations, dtype=np.float32)
    if observations.ndim != 2 or observations.shape[1] != OBS_DIM:
        raise ValueError(f"observations must have shape (n, {OBS_DIM}), got {observations.shape}")
    train_obs, train_act, test_obs, test_act = split_holdout(
        observations, check_actions(actions), settings.holdout
    )
    trainer = _Trainer(settings, train_obs, train_act)
    evaluate = _Evaluator(test_obs, test_act, settings.seed)
    curve: list[dict[str, float]] = []
    seconds_before = 0.0
    latest = latest_checkpoint(out) if resume else None
    if latest is not None:
        state = _read_checkpoint(latest)
        _check_resumable(state["settings"], settings, latest)
        trainer.restore(state)
        curve, seconds_before = list(state["curve"]), float(state["seconds"])

    writer = SummaryWriter(str(out / "tb"), purge_step=trainer.iteration if latest is not None else None)
    started = time.perf_counter()
    sums: dict[str, float] = {}
    bar = tqdm(total=settings.steps, initial=trainer.iteration, desc="cWGAN", unit="it", disable=not progress)
    while trainer.iteration < settings.steps:
        for key, value in trainer.iteration_step().items():
            sums[key] = sums.get(key, 0.0) + value
        it = trainer.iteration
        bar.update()
        if it % settings.log_every == 0:
            for key, total in sums.items():
                writer.add_scalar(f"train/{key}", total / settings.log_every, it)
            bar.set_postfix(W=f"{sums['wasserstein'] / settings.log_every:.3f}")
            sums = {}
        if it % settings.eval_every == 0 or it == settings.steps:
            figures = evaluate(trainer.agent, settings.closed_loop_sessions)
            curve.append({"iteration": it, **figures})
            trainer.offer_best(it, _score(figures))
            for key, value in figures.items():
                group = "closed_loop" if key.startswith("closed_loop") else "marginal_tv"
                writer.add_scalar(f"{group}/{key.removeprefix('closed_loop_')}", value, it)
        if it % settings.checkpoint_every == 0 or it == settings.steps:
            seconds = seconds_before + time.perf_counter() - started
            torch.save(trainer.state(curve, seconds), out / "checkpoints" / f"cwgan_{it}.ckpt")
    bar.close()
    writer.close()
    seconds = seconds_before + time.perf_counter() - started

    trainer.agent.save(out / "cwgan_last.pt")
    selected = trainer.best_agent()
    selected.save(out / "cwgan.pt")
    selected_iteration = trainer.best["iteration"] if trainer.best else trainer.iteration
    row = next((c for c in curve if c["iteration"] == selected_iteration), None)
    fresh_sessions = 2 * settings.closed_loop_sessions
    report = {
        "settings": asdict(settings),
        "iterations": trainer.iteration,
        "selected_iteration": selected_iteration,
        "train_seconds": seconds,
        "n_train": len(train_act),
        "n_heldout": len(test_act),
        "marginal_tv": row or evaluate(selected, 0),
        "fresh_closed_loop": evaluate(selected, fresh_sessions, FRESH_SEED) if fresh_sessions else None,
        "real_floor_tv": marginal_distances(train_act, test_act),
        "real_window_tv": _real_window_tv(settings, fresh_sessions, test_act),
        "curve": curve,
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return report


def _real_window_tv(settings: CWGANSettings, sessions: int, test_act: np.ndarray) -> dict[str, float] | None:
    """The closed-loop figures' floor: the TV of the real market's own orders in the window (fresh seeds)
    against the held-out real orders; None for LOBSTER data or without closed-loop sessions."""
    if settings.lobster or not sessions:
        return None
    seeds = range(FRESH_SEED, FRESH_SEED + sessions)
    orders = [real_window_orders(settings.real, settings.start, settings.end, seed) for seed in seeds]
    return marginal_distances(np.concatenate(orders), test_act)


def _read_checkpoint(path: Path) -> dict[str, Any]:
    """The training state saved at ``path``; a truncated or damaged file (an interrupted save) is a
    ValueError naming it, not torch's zip-reader error."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several kinds (pickle, zip, runtime) for a damaged file
        raise ValueError(
            f"{path} is not a readable cWGAN checkpoint (a truncated or damaged file: {err}); delete it "
            "to resume from the checkpoint before it"
        ) from err


def _check_resumable(saved: dict[str, Any], settings: CWGANSettings, path: Path) -> None:
    differ = sorted(k for k, v in asdict(settings).items() if k not in _RESUMABLE and saved.get(k) != v)
    if differ:
        changes = ", ".join(f"{k}: {saved.get(k)!r} -> {getattr(settings, k)!r}" for k in differ)
        raise ValueError(f"cannot resume from {path}: settings changed ({changes}); only the schedule may")


def train_for_window(out: str | Path, window: dict[str, Any], *, quick: bool, progress: bool) -> Path:
    """A cWGAN with the default (or quick) settings, trained for ``window`` (``real``, ``start``,
    ``end``) into ``out``; returns the model's path. Registered in the ``intags_env.world_agent_trainers``
    entry-point group (the realism benchmark trains the baseline through it)."""
    settings = CWGANSettings.quick() if quick else CWGANSettings()
    train_cwgan(replace(settings, **window), out, progress=progress)
    return Path(out) / "cwgan.pt"
