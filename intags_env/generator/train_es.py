"""The default INTAGS training pipeline: behaviour cloning, then CMA-ES on the clone's logit adapter.

1. Clone the generator on the real order stream (:func:`~.train.clone_generator`'s data and loss).
2. Real sets from the real market in the generator's window, each on seeds of its own
   (:mod:`intags_env.seeds`): the objective's (rich feedback and summary facts), the held-out set of the
   final comparison and the real-vs-real floor.
3. :func:`~.es.run_es`: candidates scored on common fresh seeds, the kept adapter picked on check seeds.
4. ``generator.zip``: the clone with the kept adapter, an SB3 model like any other.
5. The report: on the same held-out generator seeds, the clone and the INTAGS generator against the
   held-out real set on the paper's feedback and the rich feedback (MMD^2, permutation p-values,
   bootstrap intervals of the reductions), the summary facts, the buy/sell balance; plots.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..intags.rich import rich_feedback_names
from ..metrics.facts import SUMMARY_FACTS
from ..seeds import (
    TRAIN_ES_CHECK,
    TRAIN_ES_GENERATIONS,
    TRAIN_ES_REAL,
    TRAIN_EVALUATION,
    TRAIN_FLOOR,
    TRAIN_HELD_OUT,
)
from .adapter import CloneKL, make_adapter
from .env import default_trader
from .es import Objective, facts_pool, pooled_facts_ks, run_es, score_candidates
from .evaluate import EpisodeStats, mmd_and_p, mmd_difference_ci, real_episode_stats
from .policy import load_generator
from .reward import FeedbackReward

__all__ = ["train_es"]

_KL_STATES = 4096  # real states the KL leash is measured on


def train_es(
    settings: Any, out: str | Path, *, resume: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Run the ES pipeline (see the module doc) into ``out``; returns the report (also ``report.json``).
    Worker processes are spawned: scripts calling this need the ``if __name__ == "__main__":`` guard."""
    from stable_baselines3.common.logger import configure

    from .train import bc_dataset, clone_on, facts_comparison, save_generator

    out = Path(out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    started = time.perf_counter()
    s = settings
    trader = default_trader()
    window = {"real": s.real, "start": s.start, "end": s.end, "trader": trader, "horizons": s.horizons}

    pretrained = out / "pretrained.zip"
    observations, actions = bc_dataset(s, progress)
    if not (resume and pretrained.exists()):
        clone_on(s, observations, actions, out, progress)
    model = load_generator(pretrained)
    states = observations[np.random.default_rng(s.seed).permutation(len(observations))[:_KL_STATES]]
    kl = CloneKL(model.policy, states)
    adapter = make_adapter(s.adapter, model.policy)

    def real_stats(first: int, n: int, with_trader: bool = True) -> list[EpisodeStats]:
        return real_episode_stats(
            s.real,
            s.start,
            s.end,
            trader if with_trader else None,
            range(first, first + n),
            s.horizons,
            s.workers,
            progress,
        )

    real_free = None
    if s.facts_episodes:  # the facts terms on trader-free sessions, the real market's too
        real_free = real_stats(TRAIN_ES_REAL, s.es_real_episodes, with_trader=False)
    objective = Objective(
        real_stats(TRAIN_ES_REAL, s.es_real_episodes),
        kl,
        real_facts=real_free,
        facts_weight=s.facts_weight,
        ks_weight=s.ks_weight,
        kl_weight=s.kl_weight,
        imbalance_weight=s.imbalance_weight,
    )
    logger = configure(str(out / "tb" / "es"), ["tensorboard", "csv"])
    result = run_es(
        pretrained,
        objective,
        adapter,
        **window,
        generations=s.generations,
        popsize=s.popsize,
        episodes=s.es_episodes,
        sigma0=s.sigma0,
        first_seed=TRAIN_ES_GENERATIONS,
        check_seeds=range(TRAIN_ES_CHECK, TRAIN_ES_CHECK + s.check_episodes),
        check_every=s.check_every,
        workers=s.workers,
        out=out,
        facts_episodes=s.facts_episodes,
        seed=s.seed,
        logger=logger,
        progress=progress,
    )
    adapter.apply(model.policy, result.theta)
    save_generator(model, out / "generator.zip", s)
    theta = {"kind": s.adapter, "theta": result.theta.tolist(), "dim": adapter.dim}
    (out / "adapter.json").write_text(json.dumps(theta))
    train_minutes = (time.perf_counter() - started) / 60.0
    started = time.perf_counter()

    held_out = real_stats(TRAIN_HELD_OUT, s.final_episodes)
    floor = real_stats(TRAIN_FLOOR, s.final_episodes)
    clone_stats, intags_stats = score_candidates(
        pretrained,
        [adapter.candidate(np.zeros(adapter.dim)), adapter.candidate(result.theta)],
        range(TRAIN_EVALUATION, TRAIN_EVALUATION + s.final_episodes),
        **window,
        workers=s.workers,
        progress=progress,
        desc="final episodes",
    )
    report = {
        "settings": asdict(s),
        **held_out_comparison(held_out, {"pretrained": clone_stats, "intags": intags_stats, "floor": floor}),
        "adapter": {
            "dim": adapter.dim,
            "norm": float(np.linalg.norm(result.theta)),
            "kind": s.adapter,
            "kl": kl(adapter.candidate(result.theta)),
        },
        "check": {"clone": result.clone_check_objective, "kept": result.check_objective},
        "curve": result.curve,
        "train_minutes": train_minutes,  # cloning, the objective's real sets and the search
        "evaluation_minutes": (time.perf_counter() - started) / 60.0,  # the held-out comparison
    }
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float))
    plot_es(report, out)
    facts_comparison(out / "generator.zip", s, out)
    return report


def _finite_reference(real: np.ndarray) -> FeedbackReward:
    return FeedbackReward(real[np.isfinite(real).all(axis=1)])


def _figures(reference: FeedbackReward, synthetic: np.ndarray) -> dict[str, float]:
    """MMD^2 and its permutation p-value of the finite rows of ``synthetic`` (NaN with fewer than two)."""
    ok = synthetic[np.isfinite(synthetic).all(axis=1)]
    if len(ok) < 2:
        return {"mmd2": float("nan"), "p_value": float("nan")}
    value, p = mmd_and_p(reference, ok)
    return {"mmd2": value, "p_value": p}


def held_out_comparison(
    held_out: list[EpisodeStats], markets: dict[str, list[EpisodeStats]]
) -> dict[str, Any]:
    """Each market's episodes against the held-out real episodes: paper feedback, rich feedback and
    summary facts (MMD^2, p), mean facts, the facts distributions' mean KS, buy/sell imbalance; and the
    reductions pretrained -> intags with bootstrap 95% intervals (above 0: INTAGS closer to real beyond
    noise)."""
    real = {
        "paper": np.array([e.feedback for e in held_out]),
        "rich": np.array([e.rich for e in held_out]),
        "facts": np.array([e.facts for e in held_out]),
    }
    references = {kind: _finite_reference(x) for kind, x in real.items()}  # scale, bandwidth fixed once
    real_pool = facts_pool(held_out)
    out: dict[str, Any] = {
        "feedback_names": {
            "paper": [f"mid_h{h}" for h in range(1, real["paper"].shape[1] + 1)],
            "rich": rich_feedback_names(real["paper"].shape[1]),
            "facts": list(SUMMARY_FACTS),
        },
        "real_facts_mean": np.nanmean(real["facts"], axis=0).tolist(),
        "real_imbalance_abs_mean": float(np.mean([abs(e.imbalance) for e in held_out])),
    }
    for name, episodes in markets.items():
        row: dict[str, Any] = {}
        for kind in ("paper", "rich", "facts"):
            synthetic = np.array([getattr(e, "feedback" if kind == "paper" else kind) for e in episodes])
            row.update({f"{kind}_{k}": v for k, v in _figures(references[kind], synthetic).items()})
        row["facts_ks"] = pooled_facts_ks(real_pool, episodes)
        facts = np.array([e.facts for e in episodes])
        row["facts_mean"] = np.nanmean(facts, axis=0).tolist()
        row["failed_episodes"] = int(
            (~np.isfinite(np.array([e.feedback for e in episodes])).all(axis=1)).sum()
        )
        row["imbalance_abs_mean"] = float(np.mean([abs(e.imbalance) for e in episodes]))
        out[name] = row
    if "pretrained" in markets and "intags" in markets:
        for kind, attr in (("paper", "feedback"), ("rich", "rich"), ("facts", "facts")):
            a = np.array([getattr(e, attr) for e in markets["pretrained"]])
            b = np.array([getattr(e, attr) for e in markets["intags"]])
            diff, low, high = mmd_difference_ci(references[kind], a, b)
            out[f"{kind}_reduction"] = {"observed": diff, "ci95_low": low, "ci95_high": high}
    return out


def plot_es(report: dict[str, Any], out: Path) -> Path:
    """``mmd_curve.png``: the ES objective along training (generation medians, and the check score of the
    search's mean after each check), with the clone's check score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = report["curve"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    gens = [c["generation"] for c in curve if "median_objective" in c]
    axes[0].plot(
        gens,
        [c["median_objective"] for c in curve if "median_objective" in c],
        "o-",
        label="generation median",
    )
    checked = [c for c in curve if "check_objective" in c]
    axes[0].plot(
        [c["generation"] for c in checked],
        [c["check_objective"] for c in checked],
        "s-",
        label="search mean, check seeds",
    )
    axes[0].axhline(report["check"]["clone"], color="grey", ls="--", label="clone, check seeds")
    axes[0].set(xlabel="generation", ylabel="objective (lower is closer to real)", title="INTAGS by CMA-ES")
    axes[0].legend()
    names = ("pretrained", "intags", "floor")
    x = np.arange(3)
    for k, kind in enumerate(("paper", "rich", "facts")):
        axes[1].bar(
            x + (k - 1) * 0.27, [report[n][f"{kind}_mmd2"] for n in names], 0.27, label=f"{kind} MMD^2"
        )
    axes[1].set_xticks(x, ["clone", "INTAGS", "real vs real"])
    axes[1].set(title="held-out episodes vs held-out real", ylabel="MMD^2")
    axes[1].legend()
    fig.tight_layout()
    path = out / "mmd_curve.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
