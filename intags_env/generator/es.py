"""INTAGS fine-tuning by evolution strategies on the cloned generator's logit adapter.

Why not PPO: the INTAGS reward arrives once per episode (~1,800 orders), the per-episode reward's noise is
~18x the cloned-vs-real gap and sessions diverge chaotically, so per-order credit learns nothing in a
feasible budget (measured, see the INTAGS-training issue). Parameter-space exploration needs no credit
assignment: each candidate adapter (:mod:`.adapter`, a few dozen numbers on top of the frozen clone) is
scored by whole episodes, all candidates of a generation on the same fresh seeds (common random numbers),
and only the ranking of the scores is used (CMA-ES, the ``cma`` library, diagonal covariance, mirrored
samples).

The objective a candidate minimises, on its episodes:

    J = MMD^2(rich causal feedback, real set)            intags.rich, standardised on the real set
      + facts_weight * MMD^2(per-episode facts, real)     metrics.facts.SUMMARY_FACTS, standardised
      + ks_weight * mean KS(pooled distributions, real)   metrics.facts.DISTRIBUTIONS (spread, sizes,
                                                          inter-arrival, L1 depth, 10-s returns)
      + imbalance_weight * |mean |imbalance| - real's|     the background's buy/sell balance, with the
                                                          trader (EpisodeStats.imbalance)
      + kl_weight * KL(adapted || clone)                  on real states (adapter.CloneKL)
      + runaway_penalty * share of sessions that ran away

Every ``check_every`` generations the search's mean is scored on fixed check seeds and the best adapter
by that check (the clone included, scored first) is the one kept: a run never ends worse than its clone
on the check set. Progress goes to TensorBoard through SB3's logger (``es/...``), ``curve.json`` and the
CMA state to ``checkpoints/es_state.pkl`` after each generation (a resumed run continues it).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from ..intags.experiment import ConfoundedTrader
from ..progress import tqdm
from ..workers import parallel_map
from .adapter import CloneKL, LogitAdapter, NetworkAdapter
from .evaluate import EpisodeStats, _generator_episodes, batched_jobs
from .reward import FeedbackReward

__all__ = ["ESResult", "Objective", "facts_pool", "pooled_facts_ks", "run_es", "score_candidates"]


class Objective:
    """The ES objective of a set of episodes (see the module doc): lower is closer to the real market."""

    def __init__(
        self,
        real: Sequence[EpisodeStats],
        kl: CloneKL,
        *,
        real_facts: Sequence[EpisodeStats] | None = None,
        facts_weight: float = 1.0,
        ks_weight: float = 1.0,
        kl_weight: float = 0.5,
        imbalance_weight: float = 0.0,
        runaway_penalty: float = 1.0,
    ) -> None:
        rich = np.array([s.rich for s in real])
        facts_set = real if real_facts is None else real_facts
        facts = np.array([s.facts for s in facts_set])
        self.rich = FeedbackReward(rich[np.isfinite(rich).all(axis=1)])
        self.facts = FeedbackReward(facts[np.isfinite(facts).all(axis=1)])
        self.real_pool = facts_pool(facts_set)
        if any(x.size == 0 for x in self.real_pool):
            raise ValueError("the real episodes have no finite samples of a facts distribution")
        self.kl = kl
        self.facts_weight = facts_weight
        self.ks_weight = ks_weight
        self.kl_weight = kl_weight
        self.imbalance_weight = imbalance_weight
        self.real_imbalance = float(np.mean([abs(s.imbalance) for s in real]))
        self.runaway_penalty = runaway_penalty

    def __call__(
        self,
        stats: Sequence[EpisodeStats],
        candidate: Any,
        facts_stats: Sequence[EpisodeStats] | None = None,
    ) -> dict[str, float]:
        """The objective of a candidate's episodes (``candidate``: what its adapter gave, for the KL);
        ``facts_stats``: its trader-free sessions, when the facts terms are measured on those (the real
        side then being ``real_facts``)."""
        rich = np.array([s.rich for s in stats])
        facts_set = stats if facts_stats is None else facts_stats
        facts = np.array([s.facts for s in facts_set])
        ok_rich = np.isfinite(rich).all(axis=1)
        ok_facts = np.isfinite(facts).all(axis=1)
        failed = float(np.mean(~np.isfinite(np.array([s.feedback for s in stats])).all(axis=1)))
        if facts_stats is not None:  # a trader-free session that ran away counts too
            failed = (failed * len(stats) + float(np.sum(~ok_facts))) / (len(stats) + len(facts_stats))
        rich_mmd = self.rich.mmd2(rich[ok_rich]) if ok_rich.sum() >= 2 else 1.0
        facts_mmd = self.facts.mmd2(facts[ok_facts]) if ok_facts.sum() >= 2 else 1.0
        kl = self.kl(candidate)
        ks = self.facts_ks(facts_set)
        finished = [s for s in stats if np.isfinite(s.feedback).all()]
        imbalance = float(np.mean([abs(s.imbalance) for s in finished])) if finished else 1.0
        total = (
            rich_mmd
            + self.facts_weight * facts_mmd
            + self.ks_weight * ks
            + self.imbalance_weight * abs(imbalance - self.real_imbalance)
            + self.kl_weight * kl
            + self.runaway_penalty * failed
        )
        return {
            "objective": total,
            "rich_mmd2": rich_mmd,
            "facts_mmd2": facts_mmd,
            "facts_ks": ks,
            "imbalance_abs": imbalance,
            "kl": kl,
            "failed": failed,
        }

    def facts_ks(self, stats: Sequence[EpisodeStats]) -> float:
        """:func:`pooled_facts_ks` of the episodes against the real set."""
        return pooled_facts_ks(self.real_pool, stats)


def facts_pool(stats: Sequence[EpisodeStats]) -> list[np.ndarray]:
    """Per distribution of :data:`~intags_env.metrics.facts.DISTRIBUTIONS`, the finite quantile values
    of every episode (``EpisodeStats.quantiles``), concatenated: equal weight per episode."""
    rows = np.stack([s.quantiles for s in stats], axis=1)  # (distributions, episodes, points)
    return [r[np.isfinite(r)] for r in rows.reshape(rows.shape[0], -1)]


def pooled_facts_ks(real: Sequence[np.ndarray], stats: Sequence[EpisodeStats]) -> float:
    """Mean over the facts distributions of the two-sample KS statistic (scipy, asymptotic: the p-value
    is not used) of the episodes' pooled quantiles against ``real`` (the real episodes'
    :func:`facts_pool`); a distribution the episodes have no finite sample of counts 1."""
    mine = facts_pool(stats)
    return float(
        np.mean(
            [
                float(ks_2samp(r, m, method="asymp").statistic) if m.size else 1.0
                for r, m in zip(real, mine, strict=True)
            ]
        )
    )


@dataclass(frozen=True)
class ESResult:
    theta: np.ndarray  # the kept adapter
    check_objective: float  # its score on the check seeds
    clone_check_objective: float
    curve: list[dict[str, float]]


class _Normal:
    """CMA's sampler drawing from our own generator (picklable, so the search state can be saved)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape)


def score_candidates(
    model_path: str | Path,
    candidates: Sequence[Any],
    seeds: Sequence[int],
    *,
    real: str,
    start: str,
    end: str,
    trader: ConfoundedTrader | None,
    horizons: int,
    workers: int,
    progress: bool = False,
    desc: str = "episodes",
) -> list[list[EpisodeStats]]:
    """The episodes of each candidate (an adapter's ``candidate(theta)``: logit offsets or a weight
    delta) on the same ``seeds`` (common random numbers); ``trader=None``: trader-free sessions."""
    groups = batched_jobs(seeds, 1)  # the candidates keep the workers busy; a candidate's seeds batched
    jobs = [
        (str(model_path), real, start, end, trader, group, horizons, candidate)
        for candidate in candidates
        for group in groups
    ]
    batches = parallel_map(_generator_episodes, jobs, workers, desc=desc, progress=progress)
    stats = [row for batch in batches for row in batch]
    k = len(seeds)
    return [stats[i * k : (i + 1) * k] for i in range(len(candidates))]


def run_es(
    model_path: str | Path,
    objective: Objective,
    adapter: LogitAdapter | NetworkAdapter,
    *,
    real: str,
    start: str,
    end: str,
    trader: ConfoundedTrader,
    horizons: int,
    generations: int,
    popsize: int,
    episodes: int,
    sigma0: float,
    first_seed: int,
    check_seeds: Sequence[int],
    check_every: int,
    workers: int,
    out: Path,
    facts_episodes: int = 0,
    seed: int = 0,
    logger: Any = None,
    progress: bool = True,
    on_check: Callable[[int, np.ndarray], None] | None = None,
) -> ESResult:
    """CMA-ES over the adapter of the generator saved at ``model_path`` (see the module doc); generation
    ``g`` plays seeds ``first_seed + g * episodes ...``; with ``facts_episodes``, every candidate also plays
    that many of those seeds without the trader, and the facts terms are measured on those sessions.
    Resumes from ``out/checkpoints/es_state.pkl``."""
    import cma

    state_path = out / "checkpoints" / "es_state.pkl"
    common = {"real": real, "start": start, "end": end, "trader": trader, "horizons": horizons}

    def scores(candidates: list[Any], seeds: Sequence[int]) -> list[dict[str, float]]:
        per_candidate = score_candidates(model_path, candidates, seeds, **common, workers=workers)
        if facts_episodes:
            free = {**common, "trader": None}
            facts = score_candidates(model_path, candidates, seeds[:facts_episodes], **free, workers=workers)
        else:
            facts = [None] * len(candidates)
        return [objective(*row) for row in zip(per_candidate, candidates, facts, strict=True)]

    def check(theta: np.ndarray) -> dict[str, float]:
        return scores([adapter.candidate(theta)], list(check_seeds))[0]

    if state_path.exists():
        state = pickle.loads(state_path.read_bytes())
        es, curve, best = state["es"], state["curve"], state["best"]
    else:
        rng = np.random.default_rng(seed)
        options = {
            "popsize": popsize,
            "CMA_diagonal": True,
            "CMA_mirrors": 0.5,  # antithetic pairs: theta +- sigma * z
            "CMA_mirrormethod": 0,
            "seed": np.nan,  # leave NumPy's global generator alone; candidates come from ``rng``
            "randn": _Normal(rng),
            "verbose": -9,
        }
        es = cma.CMAEvolutionStrategy(np.zeros(adapter.dim), sigma0, options)
        clone = check(np.zeros(adapter.dim))
        best = {"theta": np.zeros(adapter.dim), "objective": clone["objective"], "clone": clone["objective"]}
        curve = [{"generation": 0, "episodes": 0, **{f"check_{k}": v for k, v in clone.items()}}]
    bar = tqdm(
        total=generations, initial=es.countiter, desc="INTAGS (CMA-ES)", unit="gen", disable=not progress
    )
    while es.countiter < generations:
        g = es.countiter
        thetas = es.ask()
        seeds = list(range(first_seed + g * episodes, first_seed + (g + 1) * episodes))
        scored = scores([adapter.candidate(t) for t in thetas], seeds)
        es.tell(thetas, [s["objective"] for s in scored])
        row: dict[str, float] = {
            "generation": g + 1,
            "episodes": float((g + 1) * episodes * len(thetas)),
            "sigma": float(es.sigma),
        }
        for key in scored[0]:
            row[f"median_{key}"] = float(np.median([s[key] for s in scored]))
        row["best_objective"] = float(min(s["objective"] for s in scored))
        if (g + 1) % check_every == 0 or g + 1 == generations:
            mean = np.asarray(es.mean, float)
            checked = check(mean)
            row.update({f"check_{k}": v for k, v in checked.items()})
            if checked["objective"] < best["objective"]:
                best = {**best, "theta": mean.copy(), "objective": checked["objective"]}
            if on_check is not None:
                on_check(g + 1, best["theta"])
        curve.append(row)
        if logger is not None:
            for key, value in row.items():
                logger.record(f"es/{key}", value)
            logger.dump(g + 1)
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_bytes(pickle.dumps({"es": es, "curve": curve, "best": best}))
        (out / "curve.json").write_text(json.dumps(curve, indent=1, default=float))
        bar.update()
        bar.set_postfix(J=f"{row['median_objective']:.3f}", sigma=f"{es.sigma:.3f}")
    bar.close()
    return ESResult(best["theta"], float(best["objective"]), float(best["clone"]), curve)
