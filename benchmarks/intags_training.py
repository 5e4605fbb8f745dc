"""Does INTAGS training make the cloned world-agent generator more realistic?

Two experiments, each a full ``intags train`` (behaviour cloning, then CMA-ES on the clone's logit adapter,
:mod:`intags_env.generator.train_es`) and a comparison on held-out seeds:

1. ``rmsc04`` as the real market: the clone vs the INTAGS generator against held-out real episodes on
   the paper's causal feedback (mid only) and the rich causal feedback (mid, spread, touch imbalance,
   background flow), MMD^2 with permutation p-values and bootstrap 95% intervals of the reductions; the
   stylized facts of closed-loop sessions without a trader (mean KS of returns, spread, L1 depth, sizes and
   inter-arrival times, against the real-vs-real floor); the background's buy/sell imbalance.
2. The response experiment: the real market is ``rmsc04_responsive`` (market makers that deepen when
   someone trades). Cloning sees only its passive flow; INTAGS sees how it answers a trader. Reported:
   the rich-feedback MMD^2 of the clone, the INTAGS generator and (with ``--cwgan``) a cWGAN trained on
   the same passive stream.

Ablations (``--ablations facts0,kl0,network,ppo``: no facts terms, no KL leash, CMA-ES on the whole
actor network instead of the adapter, PPO instead of ES) are rows of the table and the plot, and
``ablation_<name>_mmd`` / ``ablation_<name>_rich_mmd`` in the JSON.
Run: ``python benchmarks/intags_training.py [--quick]``; ``--reuse-rmsc04 DIR`` /
``--reuse-responsive DIR`` take finished ``intags train`` outputs instead of training. The plot goes to
``--out``/intags_training.png; the last line is the JSON of figures.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from intags_env.generator.env import default_trader
from intags_env.generator.evaluate import real_episode_stats
from intags_env.generator.saved import load_saved_generator
from intags_env.generator.train import TrainSettings, train_generator
from intags_env.generator.train_es import held_out_comparison
from intags_env.realism.fidelity import fidelity_figures, run_sessions
from intags_env.seeds import FIDELITY_REFERENCE, FIDELITY_SESSIONS, TRAIN_EVALUATION, TRAIN_HELD_OUT

ABLATIONS = {
    "facts0": {"facts_weight": 0.0, "ks_weight": 0.0},
    "kl0": {"kl_weight": 0.0},
    "network": {"adapter": "network"},
    "ppo": {"method": "ppo"},
}


def trained(settings: TrainSettings, out: Path, reuse: str | None) -> tuple[dict[str, Any], Path]:
    """The report and folder of a training run: reused when given and finished, else run now."""
    folder = Path(reuse) if reuse else out
    if reuse and (folder / "report.json").exists():
        return json.loads((folder / "report.json").read_text()), folder
    return train_generator(settings, folder, progress=True), folder


def facts_ks(folder: Path, settings: TrainSettings, sessions: int, workers: int) -> dict[str, float]:
    """Mean KS of the closed-loop facts (no trader) of the clone and the INTAGS generator, and the floor."""
    window = {"real": settings.real, "start": settings.start, "end": settings.end, "workers": workers}
    held = range(FIDELITY_SESSIONS, FIDELITY_SESSIONS + sessions)
    reference = run_sessions(
        "real", settings.real, range(FIDELITY_REFERENCE, FIDELITY_REFERENCE + sessions), **window
    )
    out = {"floor": fidelity_figures(reference, run_sessions("real", settings.real, held, **window))}
    for name, model in (("pretrained", "pretrained.zip"), ("intags", "generator.zip")):
        out[name] = fidelity_figures(
            reference, run_sessions("model", str(folder / model), held, **window, progress=True)
        )
    return {name: row["ks_mean"] for name, row in out.items()} | {
        f"{name}_runaway": row["runaway_rate"] for name, row in out.items()
    }


def cwgan_response(path: str, settings: TrainSettings, workers: int) -> float:
    """Rich-feedback MMD^2 of a cWGAN world agent against the held-out real set of the response market."""
    from intags_env.generator.evaluate import _generator_episode
    from intags_env.workers import parallel_map

    trader = default_trader()
    seeds = range(TRAIN_EVALUATION, TRAIN_EVALUATION + settings.final_episodes)
    jobs = [(path, settings.real, settings.start, settings.end, trader, s, settings.horizons) for s in seeds]
    stats = parallel_map(_generator_episode, jobs, workers, desc="cWGAN episodes", progress=True)
    held = real_episode_stats(
        settings.real,
        settings.start,
        settings.end,
        trader,
        range(TRAIN_HELD_OUT, TRAIN_HELD_OUT + settings.final_episodes),
        settings.horizons,
        workers,
    )
    return held_out_comparison(held, {"cwgan": stats})["cwgan"]["rich_mmd2"]


def generator_orders_per_s(model: str, seeds: range) -> float:
    """Orders per second of a generator running a whole session as a background (one process)."""
    import torch

    torch.set_num_threads(1)  # batch-1 inference: more threads contend (98 vs 272 orders/s here)
    background = load_saved_generator(model).background(n_external=0)
    background.reset(seeds[0])
    orders, wall = 0, 0.0
    for seed in seeds:
        background.reset(seed)
        started = time.perf_counter()
        background.run_until(background.config.end_ns)
        wall += time.perf_counter() - started
        orders += background.n_orders
    return orders / wall


def plot(rows: dict[str, dict[str, Any]], response: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    names = list(rows)
    x = np.arange(len(names))
    for k, kind in enumerate(("paper", "rich", "facts")):
        axes[0].bar(x + (k - 1) * 0.27, [rows[n][f"{kind}_mmd2"] for n in names], 0.27, label=f"{kind} MMD^2")
    axes[0].set_xticks(x, names, rotation=20)
    axes[0].set(title="rmsc04: held-out episodes vs held-out real", ylabel="MMD^2")
    axes[0].legend()
    labels = list(response)
    axes[1].bar(labels, [response[k] for k in labels], color="tab:purple")
    axes[1].set(title="response market (rmsc04_responsive): rich MMD^2", ylabel="MMD^2")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="out/intags_training")
    ap.add_argument("--reuse-rmsc04", help="a finished `intags train` output on rmsc04")
    ap.add_argument("--reuse-responsive", help="a finished `intags train --real rmsc04_responsive` output")
    ap.add_argument("--cwgan", help="a cWGAN .pt trained on rmsc04_responsive (its response row)")
    ap.add_argument("--ablations", default="", help=f"comma-separated, of {sorted(ABLATIONS)}")
    ap.add_argument("--facts-sessions", type=int, help="closed-loop sessions of the facts KS (default 100)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = replace(TrainSettings.quick() if args.quick else TrainSettings(), workers=args.workers)
    n_facts = args.facts_sessions or (6 if args.quick else 100)

    report, folder = trained(settings, out / "rmsc04", args.reuse_rmsc04)
    ks = facts_ks(folder, settings, n_facts, args.workers)
    rows = {"clone": report["pretrained"], "INTAGS (ES)": report["intags"], "real vs real": report["floor"]}
    for name in [a for a in args.ablations.split(",") if a]:
        ablation, _ = trained(replace(settings, **ABLATIONS[name]), out / f"ablation_{name}", None)
        if "paper_mmd2" in ablation["intags"]:
            rows[f"ablation {name}"] = ablation["intags"]
        else:  # the PPO pipeline reports the paper feedback only
            rows[f"ablation {name}"] = {
                "paper_mmd2": ablation["intags"]["mmd2"],
                "paper_p_value": ablation["intags"]["p_value"],
                "rich_mmd2": float("nan"),
                "rich_p_value": float("nan"),
                "facts_mmd2": float("nan"),
                "facts_p_value": float("nan"),
                "imbalance_abs_mean": ablation["intags"]["imbalance_abs_mean"],
            }

    responsive = replace(settings, real="rmsc04_responsive")
    response_report, _ = trained(responsive, out / "responsive", args.reuse_responsive)
    response = {
        "clone": response_report["pretrained"]["rich_mmd2"],
        "INTAGS": response_report["intags"]["rich_mmd2"],
        "real vs real": response_report["floor"]["rich_mmd2"],
    }
    if args.cwgan:
        response["cWGAN"] = cwgan_response(args.cwgan, responsive, args.workers)
    speed = generator_orders_per_s(str(folder / "generator.zip"), range(3))

    print(
        f"\nrmsc04 as real ({'quick' if args.quick else 'default'} settings), "
        f"{settings.final_episodes} held-out episodes per side"
    )
    print(f"{'':<22}{'paper MMD^2 (p)':>18}{'rich MMD^2 (p)':>18}{'facts MMD^2 (p)':>18}{'|imbalance|':>13}")
    for name, r in rows.items():
        cells = "".join(
            f"{r[f'{k}_mmd2']:>10.4f} ({r[f'{k}_p_value']:.2f})" for k in ("paper", "rich", "facts")
        )
        print(f"{name:<22}{cells}{r['imbalance_abs_mean']:>13.3f}")
    print(f"{'real market':<76}{report['real_imbalance_abs_mean']:>13.3f}")
    for kind in ("paper", "rich", "facts"):
        red = report[f"{kind}_reduction"]
        print(
            f"{kind} MMD^2 reduction clone -> INTAGS {red['observed']:+.4f}, 95% CI "
            f"[{red['ci95_low']:+.4f}, {red['ci95_high']:+.4f}]"
        )
    print(
        f"closed-loop facts, mean KS ({n_facts} sessions): clone {ks['pretrained']:.3f}, "
        f"INTAGS {ks['intags']:.3f}, floor {ks['floor']:.3f}"
    )
    print("\nresponse market (rmsc04_responsive): rich-feedback MMD^2 to held-out real")
    for name, value in response.items():
        print(f"  {name:<14}{value:.4f}")
    red = response_report["rich_reduction"]
    interval = f"[{red['ci95_low']:+.4f}, {red['ci95_high']:+.4f}]"
    print(f"  reduction clone -> INTAGS {red['observed']:+.4f}, 95% CI {interval}")
    print(f"training {report['train_minutes']:.1f} min (rmsc04); generator {speed:,.0f} orders/s")
    plot(rows, response, out / "intags_training.png")
    print(f"plots and models in {out}/")
    figures = {
        "mmd_pretrained": report["pretrained"]["paper_mmd2"],
        "mmd_intags": report["intags"]["paper_mmd2"],
        "mmd_floor": report["floor"]["paper_mmd2"],
        "mmd_ci_low": report["paper_reduction"]["ci95_low"],
        "mmd_ci_high": report["paper_reduction"]["ci95_high"],
        "p_pretrained": report["pretrained"]["paper_p_value"],
        "rich_mmd_pretrained": report["pretrained"]["rich_mmd2"],
        "rich_mmd_intags": report["intags"]["rich_mmd2"],
        "rich_ci_low": report["rich_reduction"]["ci95_low"],
        "rich_ci_high": report["rich_reduction"]["ci95_high"],
        "rich_p_pretrained": report["pretrained"]["rich_p_value"],
        "facts_ks_pretrained": ks["pretrained"],
        "facts_ks_intags": ks["intags"],
        "facts_ks_floor": ks["floor"],
        "imbalance_pretrained": report["pretrained"]["imbalance_abs_mean"],
        "imbalance_intags": report["intags"]["imbalance_abs_mean"],
        "imbalance_real": report["real_imbalance_abs_mean"],
        "train_minutes": report["train_minutes"],
        "response_mmd_clone": response["clone"],
        "response_mmd_intags": response["INTAGS"],
        "response_ci_low": red["ci95_low"],
        "response_mmd_cwgan": response.get("cWGAN", float("nan")),
        "generator_orders_per_s": speed,
    }
    for name, row in rows.items():
        if name.startswith("ablation "):
            key = name.removeprefix("ablation ")
            figures[f"ablation_{key}_mmd"] = row["paper_mmd2"]
            figures[f"ablation_{key}_rich_mmd"] = row["rich_mmd2"]
    print(json.dumps({k: (v if np.isfinite(v) else None) for k, v in figures.items()}))  # null: not run


if __name__ == "__main__":
    main()
