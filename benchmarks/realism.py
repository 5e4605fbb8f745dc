"""Realism benchmark: the INTAGS generator against a cWGAN world agent and the behaviour-cloned
generator, measured against the real market (``rmsc04``) on the same seeds.

Run: ``python benchmarks/realism.py`` (defaults: trains what is missing in ``--out``/models — INTAGS
generator ~20 min, cWGAN, a reference PPO trader — then measures; under an hour on 2 cores) or
``--quick`` (minutes; undertrained models: the pipeline, not the result). ``--generator-dir`` /
``--cwgan`` / ``--ppo`` reuse trained models. Writes realism.json, realism.md and plots to ``--out``.

Prints the table, then as last line the JSON figures: ``mmd_cwgan``, ``mmd_intags``, ``mmd_floor``,
``imbalance_*`` (mean |buy - sell| / volume per episode), ``exploit_pnl_*`` (bp of notional of a
flow-following trader), ``policy_rank_corr_*`` (Spearman vs the real market's ranking), and more.
"""

from __future__ import annotations

import argparse
import json
import time

from intags_env.realism.facts_distance import DISTRIBUTIONS
from intags_env.realism.pipeline import realism_benchmark
from intags_env.realism.report import markdown_table


def figures(report: dict) -> dict[str, float]:
    """The benchmark's headline numbers, named as the issue asks (plus the cloned generator's); null
    for a market that could not be measured (its error is in the table)."""
    m = report["markets"]
    nan = float("nan")

    def get(name: str, *keys: str) -> float:
        value = m[name]
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return nan
            value = value[key]
        return float(value)

    def ks_mean(name: str) -> float:
        facts = m[name]["facts"]
        return (
            sum(facts[d]["ks"] for d in DISTRIBUTIONS) / len(DISTRIBUTIONS) if "error" not in facts else nan
        )

    out = {"mmd_floor": get("real", "causal", "mmd2"), "facts_ks_mean_floor": ks_mean("real")}
    for name in ("cwgan", "intags", "cloned"):
        out[f"mmd_{name}"] = get(name, "causal", "mmd2")
        out[f"energy_{name}"] = get(name, "causal", "energy")
        out[f"policy_rank_corr_{name}"] = get(name, "policy_rank_corr")
        out[f"impact_rmse_bps_{name}"] = get(name, "impact_rmse_to_real_bps")
        out[f"facts_ks_mean_{name}"] = ks_mean(name)
    for name in ("cwgan", "intags", "real", "cloned"):
        out[f"imbalance_{name}"] = get(name, "causal", "imbalance_abs_mean")
        out[f"exploit_pnl_{name}"] = get(name, "exploit", "mean")
    out["benchmark_minutes"] = report["total_minutes"]
    return {k: round(v, 4) if v == v else None for k, v in out.items()}  # NaN -> null (valid JSON)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="minutes-long run with undertrained models")
    parser.add_argument("--out", default=None, help="output directory (default out/realism[_quick])")
    parser.add_argument("--generator-dir", default=None, help="an `intags train` output to reuse")
    parser.add_argument("--cwgan", default=None, help="a trained cWGAN .pt to reuse")
    parser.add_argument("--ppo", default=None, help="a reference PPO trader .zip to reuse")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out = args.out or ("out/realism_quick" if args.quick else "out/realism")
    started = time.perf_counter()
    report = realism_benchmark(
        out,
        quick=args.quick,
        generator_dir=args.generator_dir,
        cwgan=args.cwgan,
        ppo=args.ppo,
        workers=args.workers,
    )
    report["total_minutes"] = (time.perf_counter() - started) / 60.0
    print()
    print(markdown_table(report))
    print(f"plots: {', '.join(report['plots'])}")
    print(f"total {report['total_minutes']:.1f} min (measurement {report['minutes']:.1f} min)")
    print(json.dumps(figures(report)))


if __name__ == "__main__":
    main()
