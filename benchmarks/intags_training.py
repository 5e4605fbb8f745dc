"""The world-agent generator trained by INTAGS: does fine-tuning on -MMD beat behaviour cloning alone?

Runs ``intags train`` with its default settings (or ``--quick``) on fixed seeds and reports, on held-out
seeds: the causal-feedback MMD^2 to the real market after pretraining only and after INTAGS
fine-tuning, the real-vs-real floor, permutation p-values, the reduction with its bootstrap 95%
interval (the test: fine-tuning helps beyond noise when the interval is above 0), the background's
buy/sell imbalance, the wall time and the trained generator's speed (orders per second when it runs as
a background on its own).

Run: ``python benchmarks/intags_training.py [--quick] [--out out/intags_training] [--steps N]``
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from intags_env.generator.background import GeneratorBackground
from intags_env.generator.train import TrainSettings, train_generator


def generator_orders_per_s(model: str, seeds: range) -> float:
    """Orders per second of the trained generator running a whole session as a background."""
    background = GeneratorBackground.from_model(model, n_external=0)
    background.reset(seeds[0])  # loads caches
    orders, wall = 0, 0.0
    for seed in seeds:
        background.reset(seed)
        started = time.perf_counter()
        background.run_until(background.config.end_ns)
        wall += time.perf_counter() - started
        orders += background.n_orders
    return orders / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="out/intags_training")
    ap.add_argument("--steps", type=int, default=None, help="PPO steps (default: the settings')")
    args = ap.parse_args()
    settings = TrainSettings.quick() if args.quick else TrainSettings()
    if args.steps is not None:
        settings = replace(settings, steps=args.steps)
    report = train_generator(settings, args.out, progress=True)
    speed = generator_orders_per_s(f"{args.out}/generator.zip", range(3))

    pre, fine, floor = report["pretrained"], report["intags"], report["floor"]
    reduction = report["mmd_reduction"]
    print(f"\nINTAGS generator ({'quick' if args.quick else 'default'} settings), {settings.real} as real")
    print(f"held-out: {settings.final_episodes} generator and real episodes per side")
    print(f"{'':<30}{'MMD^2':>10}{'p':>8}{'|imbalance|':>13}")
    for name, row in (
        ("behaviour cloning only", pre),
        ("+ INTAGS fine-tuning", fine),
        ("real vs real", floor),
    ):
        print(f"{name:<30}{row['mmd2']:>10.4f}{row['p_value']:>8.3f}{row['imbalance_abs_mean']:>13.3f}")
    print(f"real market |imbalance|: {report['real_imbalance_abs_mean']:.3f}")
    print(
        f"MMD^2 reduction by fine-tuning: {reduction['observed']:+.4f}, bootstrap 95% CI "
        f"[{reduction['ci95_low']:+.4f}, {reduction['ci95_high']:+.4f}] "
        f"({'beyond noise' if reduction['ci95_low'] > 0 else 'not beyond noise'})"
    )
    print(f"training wall time {report['train_minutes']:.1f} min; generator {speed:,.0f} orders/s")
    print(f"curve, plots and models in {args.out}/")
    figures = {
        "mmd_pretrained": pre["mmd2"],
        "mmd_intags": fine["mmd2"],
        "mmd_floor": floor["mmd2"],
        "p_value_intags": fine["p_value"],
        "p_value_pretrained": pre["p_value"],
        "mmd_reduction_ci95_low": reduction["ci95_low"],
        "mmd_reduction_ci95_high": reduction["ci95_high"],
        "imbalance_intags": fine["imbalance_abs_mean"],
        "imbalance_real": report["real_imbalance_abs_mean"],
        "generator_orders_per_s": speed,
        "train_minutes": report["train_minutes"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
