"""Generator fidelity benchmark: can the order representation say what the real market says, and do the
models that speak it (the behaviour-cloned SB3 generator, the cWGAN) stay close to the real market?

On held-out seeds (``intags_env.seeds.FIDELITY_*``), each against the real market's reference windows
with the real-vs-real floor: (a) the real stream replayed open loop through the decoder, exact values
and buckets only; (b) the cloned generator closed loop; (c) the cWGAN closed loop. KS of 10-s returns,
spread, L1 depth, new-order sizes and inter-arrival times, the one-tick spread share, buy/sell imbalance
and runaway sessions (see ``intags_env.realism.fidelity``).

Run: ``python benchmarks/generator_fidelity.py`` (trains what is missing into ``--out``/models: cloning
~2 min, cWGAN ~10 min; then 300 sessions per model) or ``--quick``. ``--clone`` / ``--cwgan`` reuse
models. Prints the table, then as last line the JSON figures (``replay_ks_spread``, ``replay_ks_mean``,
``clone_ks_mean``, ``cwgan_ks_mean``, ``floor_ks_mean``, ``clone_runaway_rate``, ...).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from intags_env.realism.facts_distance import DISTRIBUTIONS
from intags_env.realism.fidelity import fidelity_figures, run_sessions
from intags_env.seeds import FIDELITY_REFERENCE, FIDELITY_SESSIONS

SHORT = {
    "return_10s_bp": "ret10s",
    "spread_ticks": "spread",
    "depth_l1": "L1",
    "order_size": "size",
    "interarrival_s": "gap",
}


def train_missing(args: argparse.Namespace, models: Path) -> tuple[str, str]:
    """The cloned generator and the cWGAN for the benchmark's window, trained when not given."""
    clone, cwgan = args.clone, args.cwgan
    if clone is None:
        from intags_env.generator.train import TrainSettings, clone_generator

        settings = TrainSettings.quick() if args.quick else TrainSettings()
        settings = replace(settings, real=args.real, start=args.start, end=args.end)
        path = models / "clone" / "pretrained.zip"
        clone = str(path if path.exists() else clone_generator(settings, path.parent))
    if cwgan is None:
        from intags_agents.cwgan import CWGANSettings, train_cwgan

        settings = CWGANSettings.quick() if args.quick else CWGANSettings()
        settings = replace(settings, real=args.real, start=args.start, end=args.end)
        path = models / "cwgan" / "cwgan.pt"
        if not path.exists():
            train_cwgan(settings, path.parent)
        cwgan = str(path)
    return clone, cwgan


def plot(spreads: dict[str, np.ndarray], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.arange(0.5, 21.5)
    for name, values in spreads.items():
        ax.hist(np.clip(values, 1, 20), bins=bins, density=True, histtype="step", lw=1.5, label=name)
    ax.set(xlabel="spread (ticks, 20 = 20 or more)", ylabel="share of messages", yscale="log")
    ax.set_title("Spread after each message: real vs replayed vs generated")
    ax.legend()
    fig.tight_layout()
    path = out / "spread_distributions.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few sessions and undertrained models")
    parser.add_argument("--out", default="out/generator_fidelity")
    parser.add_argument("--clone", help="a cloned generator (.zip) for the window (default: train one)")
    parser.add_argument("--cwgan", help="a cWGAN world agent (.pt) for the window (default: train one)")
    parser.add_argument("--sessions", type=int, help="held-out sessions per kind (default 300; quick 6)")
    parser.add_argument("--real", default="rmsc04")
    parser.add_argument("--start", default="09:35")
    parser.add_argument("--end", help="default 09:45 (quick 09:40)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    args.end = args.end or ("09:40" if args.quick else "09:45")
    n = args.sessions or (6 if args.quick else 300)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    clone, cwgan = train_missing(args, out / "models")
    trained = time.perf_counter()

    window = {"real": args.real, "start": args.start, "end": args.end, "workers": args.workers}
    held_out = range(FIDELITY_SESSIONS, FIDELITY_SESSIONS + n)
    reference = run_sessions("real", args.real, range(FIDELITY_REFERENCE, FIDELITY_REFERENCE + n), **window)
    kinds = {
        "real (floor)": ("real", args.real),
        "replay exact": ("replay_exact", ""),
        "replay": ("replay", ""),
        "clone": ("model", clone),
        "cwgan": ("model", cwgan),
    }
    rows, spreads = {}, {}
    for name, (kind, spec) in kinds.items():
        outcomes = run_sessions(kind, spec, held_out, **window, progress=True)
        rows[name] = fidelity_figures(reference, outcomes)
        kept = [o["samples"]["spread_ticks"] for o in outcomes if not o["runaway"]]
        if kept:
            spreads[name] = np.concatenate(kept)
    plot_path = plot(spreads, out)

    head = "| kind | " + " | ".join(f"KS {SHORT[d]}" for d in DISTRIBUTIONS) + " | KS mean | 1-tick share"
    head += " | spread mean | imbalance | runaway | messages |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, r in rows.items():
        ks = " | ".join(f"{r.get(f'ks_{d}', float('nan')):.3f}" for d in DISTRIBUTIONS)
        lines.append(
            f"| {name} | {ks} | {r['ks_mean']:.3f} | {r.get('one_tick_share', float('nan')):.3f} | "
            f"{r.get('spread_ticks_mean', float('nan')):.2f} | {r.get('imbalance', float('nan')):.3f} | "
            f"{r['runaway_rate']:.3f} | {r.get('messages_mean', float('nan')):.0f} |"
        )
    table = "\n".join(lines)
    print(f"\n{args.real} {args.start}-{args.end}, {n} held-out sessions per kind vs {n} reference windows\n")
    print(table)
    print(f"\nplot: {plot_path}")
    (out / "generator_fidelity.md").write_text(table + "\n")
    (out / "generator_fidelity.json").write_text(json.dumps(rows, indent=1))

    real_ref = fidelity_figures(reference, reference)
    figures = {
        "replay_ks_spread": rows["replay"]["ks_spread_ticks"],
        "replay_ks_interarrival": rows["replay"]["ks_interarrival_s"],
        "replay_ks_mean": rows["replay"]["ks_mean"],
        "replay_exact_ks_mean": rows["replay exact"]["ks_mean"],
        "clone_ks_spread": rows["clone"].get("ks_spread_ticks", float("nan")),
        "clone_ks_mean": rows["clone"]["ks_mean"],
        "cwgan_ks_mean": rows["cwgan"]["ks_mean"],
        "cwgan_ks_spread": rows["cwgan"].get("ks_spread_ticks", float("nan")),
        "floor_ks_mean": rows["real (floor)"]["ks_mean"],
        "clone_runaway_rate": rows["clone"]["runaway_rate"],
        "cwgan_runaway_rate": rows["cwgan"]["runaway_rate"],
        "clone_spread_ticks_mean": rows["clone"].get("spread_ticks_mean", float("nan")),
        "cwgan_spread_ticks_mean": rows["cwgan"].get("spread_ticks_mean", float("nan")),
        "real_spread_ticks_mean": real_ref["spread_ticks_mean"],
        "clone_imbalance": rows["clone"].get("imbalance", float("nan")),
        "cwgan_imbalance": rows["cwgan"].get("imbalance", float("nan")),
        "real_imbalance": real_ref["imbalance"],
        "train_minutes": (trained - started) / 60,
        "benchmark_minutes": (time.perf_counter() - started) / 60,
    }
    print(json.dumps({k: round(v, 4) if v == v else None for k, v in figures.items()}))


if __name__ == "__main__":
    main()
