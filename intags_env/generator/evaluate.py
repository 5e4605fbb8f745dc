"""How close a generator is to the real market: causal feedback MMD (with a permutation p-value) and the
buy/sell balance of its order flow, on held-out seeds, in worker processes."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..data.lobster import LobsterData
from ..envs.background import Background
from ..envs.session import TradingSession, advance_sessions
from ..envs.world_agents import load_world_agent
from ..intags.distances import mmd2, permutation_test
from ..intags.experiment import ConfoundedTrader, advance_to_end, trajectory, trajectory_feedback
from ..intags.rich import background_flow, rich_feedback, rich_feedback_names
from ..metrics.facts import (
    DISTRIBUTIONS,
    QUANTILE_POINTS,
    SUMMARY_FACTS,
    distribution_quantiles,
    distribution_samples,
    fact_series,
    summary_facts,
)
from ..progress import tqdm
from ..world import WorldConfig, resolve_config
from ..world.config import NS_PER_SECOND
from .background import trained_window
from .batch import GeneratorBatch
from .reward import FeedbackReward

__all__ = [
    "EpisodeStats",
    "Evaluation",
    "episode_stats",
    "evaluate_generator",
    "generator_feedback",
    "mmd_and_p",
    "mmd_difference_ci",
    "real_episode_stats",
]


@dataclass(frozen=True)
class EpisodeStats:
    """One session with the experimental trader: its causal feedback and the background's facts."""

    feedback: np.ndarray  # (H,) the paper's mid-only IPW feedback, NaN when it cannot be computed
    buy_volume: int  # background aggressor volume, the experimental trader's trades left out
    sell_volume: int
    rich: np.ndarray | None = None  # (H + 5,) intags.rich feedback (Hajek), NaN when not computable
    facts: np.ndarray | None = None  # metrics.facts.SUMMARY_FACTS of the window
    quantiles: np.ndarray | None = None  # metrics.facts.distribution_quantiles of the window

    @property
    def imbalance(self) -> float:
        total = self.buy_volume + self.sell_volume
        return (self.buy_volume - self.sell_volume) / total if total else 0.0


def episode_stats(
    market: str | WorldConfig | Background,
    trader: ConfoundedTrader | None,
    seed: int,
    horizons: int,
    warmup_s: float,
) -> EpisodeStats:
    """One session with the experimental trader from ``warmup_s`` after the start: its feedback (paper's
    and rich), the background's buy and sell aggressor volume over the trader's window, and the window's
    summary facts and distribution quantiles. ``trader=None``: the market alone (its facts and volumes;
    the feedback is NaN), what a background looks like without anyone probing it."""
    session = TradingSession(market, n_learners=0, scripted=[] if trader is None else [trader])
    start = session.start_ns + int(warmup_s * NS_PER_SECOND)
    session.reset(seed, scripted_from=start)
    advance_to_end(session)
    return _session_stats(session, trader, start, horizons)


def batch_episode_stats(
    batch: GeneratorBatch, trader: ConfoundedTrader | None, seeds: Sequence[int], horizons: int
) -> list[EpisodeStats]:
    """:func:`episode_stats` of ``len(batch)`` generator sessions run together (session ``i`` with
    ``seeds[i]`` and its own copy of ``trader``, from the session start), each exactly as alone; a
    session whose generator runs away (``WorldError``) gives NaN stats."""
    traders = [None if trader is None else copy.deepcopy(trader) for _ in seeds]
    sessions = [
        TradingSession(bg, n_learners=0, scripted=[] if tr is None else [tr])
        for bg, tr in zip(batch.backgrounds, traders, strict=True)
    ]
    if len(seeds) != len(batch):
        raise ValueError(f"need one seed per session ({len(batch)}), got {len(seeds)}")
    for session, seed in zip(sessions, seeds, strict=True):
        session.reset(int(seed), scripted_from=session.start_ns)  # resets its background
    batch.refresh()
    advance_sessions(sessions, batch.run_until, batch.end_ns)
    return [
        _failed_stats(horizons) if i in batch.errors else _session_stats(s, tr, s.start_ns, horizons)
        for i, (s, tr) in enumerate(zip(sessions, traders, strict=True))
    ]


def _session_stats(
    session: TradingSession, trader: ConfoundedTrader | None, start: int, horizons: int
) -> EpisodeStats:
    """The stats of a session run to its end (see :func:`episode_stats`)."""
    trades = session.world.trades_since(0)
    f = np.full(horizons, np.nan)
    rich = np.full(len(rich_feedback_names(horizons)), np.nan)
    at = -1 if trader is None else session.owner(0)
    if trader is not None:
        try:
            traj = trajectory(trader, session.mid())
            f = trajectory_feedback(traj, horizons)
            flow = background_flow(trades, at, traj.times, session.end_ns)
            rich = rich_feedback(traj, flow, horizons)
        except ValueError:
            pass  # no decision of the trader: NaN feedback
    background = (trades["taker_owner"] != at) & (trades["maker_owner"] != at) & (trades["time"] >= start)
    side, qty = trades["side"][background], trades["qty"][background]
    window = _window_lobster(session.world, start)
    series = fact_series(window)
    facts = summary_facts(window, series)
    quantiles = distribution_quantiles(distribution_samples(series))
    return EpisodeStats(f, int(qty[side > 0].sum()), int(qty[side < 0].sum()), rich, facts, quantiles)


def _failed_stats(horizons: int) -> EpisodeStats:
    """The stats of a session that could not run (NaN feedback, facts and quantiles)."""
    return EpisodeStats(
        np.full(horizons, np.nan),
        0,
        0,
        np.full(len(rich_feedback_names(horizons)), np.nan),
        np.full(len(SUMMARY_FACTS), np.nan),
        np.full((len(DISTRIBUTIONS), QUANTILE_POINTS), np.nan),
    )


def _window_lobster(world: Any, start: int) -> LobsterData:
    """The session's messages from ``start``: a generator's own flow (without the copy of the real book
    it starts from), or the real market's messages from the window's start."""
    if hasattr(world, "generated_lobster"):
        return world.generated_lobster()
    data = world.result(copy=False).lobster
    return replace(data.select(data.messages["time"] >= start), start_ns=start)


#: The most sessions one batch job runs together (memory: two worlds per session).
MAX_BATCH = 32
_MODELS: dict[str, Any] = {}
_BACKGROUNDS: dict[tuple, Any] = {}
_SAVED: dict[str, Any] = {}  # per model path: its saved logit offsets and actor weights


def _generator_episode(args: tuple) -> EpisodeStats:
    """One episode of a saved generator (a picklable job): ``(path, real, start, end, trader, seed,
    horizons[, candidate])``, as :func:`_generator_episodes` with one seed."""
    path, real, start, end, trader, seed, horizons, *rest = args
    return _generator_episodes((path, real, start, end, trader, (seed,), horizons, *rest))[0]


def _generator_episodes(args: tuple) -> list[EpisodeStats]:
    """Episodes of a saved generator run together (a picklable job): ``(path, real, start, end, trader,
    seeds, horizons[, candidate])``; the candidate, when given, is an ES candidate
    (``adapter.candidate``): logit offsets replacing the SB3 generator's saved ones, or a
    ``WeightDelta`` added to its saved actor weights. The model and its batch of backgrounds are loaded
    once per process and put back to the saved model for a job without a candidate. A session in which
    the generator runs away (``WorldError``) gives NaN feedback, facts and quantiles. Each episode is
    what it would be alone (:class:`.batch.GeneratorBatch`)."""
    path, real, start, end, trader, seeds, horizons, *rest = args
    candidate = rest[0] if rest else None
    if path not in _MODELS:
        import torch

        torch.set_num_threads(1)
        _MODELS.clear()
        _BACKGROUNDS.clear()
        _SAVED.clear()
        _MODELS[path] = _load_policy(path)
    policy = _MODELS[path]
    key = (path, str(real), start, end, len(seeds))
    if key not in _BACKGROUNDS:
        if len(_BACKGROUNDS) >= 2:  # a job's batch and the last, smaller one of a seed list
            _BACKGROUNDS.clear()
        _BACKGROUNDS[key] = GeneratorBatch(policy, len(seeds), real=real, start=start, end=end, n_external=1)
    _set_candidate(path, policy, candidate)
    return batch_episode_stats(_BACKGROUNDS[key], trader, seeds, horizons)


def batched_jobs(seeds: Sequence[int], workers: int, max_batch: int = MAX_BATCH) -> list[tuple[int, ...]]:
    """``seeds`` in consecutive groups run as one batch each: enough groups to keep ``workers`` busy,
    none larger than ``max_batch``."""
    seeds = [int(s) for s in seeds]
    groups = max(-(-len(seeds) // max_batch), min(len(seeds), 2 * max(workers, 1)) if workers > 1 else 1)
    size = -(-len(seeds) // groups) if seeds else 1
    return [tuple(seeds[k : k + size]) for k in range(0, len(seeds), size)]


def _set_candidate(path: str, policy: Any, candidate: Any) -> None:
    """Put the saved model back, then play ``candidate`` on it (see :func:`_generator_episode`)."""
    import torch

    from .adapter import WeightDelta
    from .ppo_leash import actor_parameters

    adapted = getattr(policy, "policy", None)
    offsets = getattr(adapted, "logit_offsets", None)
    if offsets is None:
        if candidate is not None:
            raise ValueError(f"{path} has no logit adapter (not a GeneratorPolicy): retrain it")
        return
    if path not in _SAVED:
        _SAVED[path] = {"offsets": offsets.clone(), "actor": None, "moved": False}
    saved = _SAVED[path]
    if saved["moved"]:  # the last job moved the actor's weights: restore them
        with torch.no_grad():
            for p, w in zip(actor_parameters(adapted), saved["actor"], strict=True):
                p.copy_(w)
        saved["moved"] = False
    if isinstance(candidate, WeightDelta):
        if saved["actor"] is None:
            saved["actor"] = [p.detach().clone() for p in actor_parameters(adapted)]
        offsets.copy_(saved["offsets"])
        candidate.add_to(adapted)
        saved["moved"] = True
    else:
        chosen = saved["offsets"] if candidate is None else torch.as_tensor(candidate, dtype=torch.float32)
        offsets.copy_(chosen)


def _load_policy(path: str) -> Any:
    """The order policy of the world agent saved at ``path`` (an SB3 generator ``.zip``, a cWGAN ``.pt``,
    any registered kind): a copy of its own, since candidates change its parameters."""
    return load_world_agent(path, cached=False).policy


def _real_episode(args: tuple) -> EpisodeStats:
    real, start, end, trader, seed, horizons = args
    config = resolve_config(real, end=end)
    warmup_s = (resolve_config(config, start=start).start_ns - config.start_ns) / NS_PER_SECOND
    return episode_stats(config, trader, seed, horizons, warmup_s)


def _map(fn: Any, jobs: list, workers: int, desc: str, progress: bool) -> list[EpisodeStats]:
    bar = tqdm(total=len(jobs), desc=desc, unit="ep", disable=not progress, leave=False)
    out = []
    if workers <= 1:
        for job in jobs:
            out.append(fn(job))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for row in pool.map(fn, jobs):
                out.append(row)
                bar.update()
    bar.close()
    return out


def real_episode_stats(
    real: str | WorldConfig,
    start: str | int,
    end: str | int,
    trader: ConfoundedTrader | None,
    seeds: range | list[int],
    horizons: int = 5,
    workers: int = 1,
    progress: bool = False,
) -> list[EpisodeStats]:
    """``episode_stats`` of the real market in the generator's window (the session runs from its opening)."""
    jobs = [(real, start, end, trader, s, horizons) for s in seeds]
    return _map(_real_episode, jobs, workers, "real episodes", progress)


@dataclass(frozen=True)
class Evaluation:
    mmd2: float
    p_value: float
    imbalance_mean: float
    imbalance_abs_mean: float
    failed_episodes: int
    feedback: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {
            "mmd2": self.mmd2,
            "p_value": self.p_value,
            "imbalance_mean": self.imbalance_mean,
            "imbalance_abs_mean": self.imbalance_abs_mean,
            "failed_episodes": float(self.failed_episodes),
        }


def evaluate_generator(
    model_path: str | Path,
    reference: FeedbackReward,
    *,
    real: str | WorldConfig,
    start: str | int,
    end: str | int,
    trader: ConfoundedTrader,
    seeds: range | list[int],
    horizons: int = 5,
    workers: int = 1,
    permutations: int = 200,
    progress: bool = False,
) -> Evaluation:
    """MMD^2 (and its permutation p-value) of a saved generator's feedback against ``reference``'s real
    set, on its scale and bandwidth; episodes whose feedback cannot be computed are counted and left out."""
    return summarise(
        _batched_episodes(str(model_path), real, start, end, trader, seeds, horizons, workers, progress),
        reference,
        permutations,
    )


def summarise(stats: list[EpisodeStats], reference: FeedbackReward, permutations: int = 200) -> Evaluation:
    feedback = np.array([s.feedback for s in stats])
    ok = np.isfinite(feedback).all(axis=1)
    imbalance = np.array([s.imbalance for s in stats])
    if ok.sum() < 2:
        return Evaluation(float("nan"), float("nan"), *_imbalance(imbalance), int((~ok).sum()), feedback)
    value, p = mmd_and_p(reference, feedback[ok], permutations)
    return Evaluation(value, p, *_imbalance(imbalance), int((~ok).sum()), feedback)


def mmd_and_p(
    reference: FeedbackReward, synthetic: np.ndarray, permutations: int = 200
) -> tuple[float, float]:
    """MMD^2 of ``synthetic`` (finite rows, unstandardised) against ``reference``'s real set on its scale and
    bandwidth, and its permutation p-value."""
    y = np.asarray(synthetic, float) / reference.scale
    value = mmd2(reference.real, y, bandwidth=reference.bandwidth)
    _, p = permutation_test(
        reference.real, y, mmd2, n_permutations=permutations, seed=0, bandwidth=reference.bandwidth
    )
    return float(value), float(p)


def _imbalance(imbalance: np.ndarray) -> tuple[float, float]:
    return float(imbalance.mean()), float(np.abs(imbalance).mean())


def mmd_difference_ci(
    reference: FeedbackReward,
    feedback_a: np.ndarray,
    feedback_b: np.ndarray,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """MMD^2(a) - MMD^2(b) against the real set, with a percentile bootstrap interval (real episodes and
    each generator's episodes resampled independently, the kernel's bandwidth fixed).

    An interval above 0 says generator ``b`` is closer to the real market than ``a`` beyond the noise of
    the finite episode sets."""
    a = feedback_a[np.isfinite(feedback_a).all(axis=1)] / reference.scale
    b = feedback_b[np.isfinite(feedback_b).all(axis=1)] / reference.scale
    x = reference.real
    bw = reference.bandwidth
    observed = mmd2(x, a, bandwidth=bw) - mmd2(x, b, bandwidth=bw)
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_boot)
    for i in range(n_boot):
        xs = x[rng.integers(0, len(x), len(x))]
        diffs[i] = mmd2(xs, a[rng.integers(0, len(a), len(a))], bandwidth=bw) - mmd2(
            xs, b[rng.integers(0, len(b), len(b))], bandwidth=bw
        )
    low, high = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return float(observed), float(low), float(high)


def generator_feedback(
    model_path: str | Path,
    trader: ConfoundedTrader,
    seeds: range | list[int],
    horizons: int = 5,
    workers: int = 1,
    progress: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Feedback vectors of a saved generator's sessions (its real market and window from
    ``<model>.json``), and that window, so a real set can be collected on the same terms."""
    window = trained_window(model_path)
    real, start, end = window["real"], window["start"], window["end"]
    stats = _batched_episodes(str(model_path), real, start, end, trader, seeds, horizons, workers, progress)
    return np.array([s.feedback for s in stats]), window


def _batched_episodes(
    path: str,
    real: Any,
    start: Any,
    end: Any,
    trader: ConfoundedTrader | None,
    seeds: Sequence[int],
    horizons: int,
    workers: int,
    progress: bool,
) -> list[EpisodeStats]:
    """The generator's episodes for ``seeds`` (in order), in batches spread over the workers."""
    jobs = [(path, real, start, end, trader, group, horizons) for group in batched_jobs(seeds, workers)]
    groups = _map(_generator_episodes, jobs, workers, "generator episode batches", progress)
    return [stats for group in groups for stats in group]
