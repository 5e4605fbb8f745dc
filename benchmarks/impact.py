"""Does a market answer a trader like a real one? Metaorder impact against the square-root law.

For each market: POV metaorders at 5 participation rates and TWAP metaorders of 4 sizes, buying and
selling, each for ``--duration`` seconds from the window start and watched for two durations after,
on ``--seeds`` seeds with common random numbers (every run of a seed shares its market; the impact is
the gap to the seed's run without a metaorder). Per market: the exponent β of peak impact against
Q/V_D (bootstrap 95 % CI over seeds), the prefactor Y of I = Y sigma_D sqrt(Q/V_D) (V_D and sigma_D
from the market's own full days, or its window scaled to a day for a generator), the share of the
peak left one and two durations after the end, and the buy-minus-sell peak gap.

Markets: ``--preset`` (default ``amzn_responsive``, the market built to answer like a real one; its
unsuffixed keys), ``--baseline`` (default ``amzn``, the day it was built from: keys ``_amzn``, or ``_NAME``),
``rmsc04``, and the cloned generator ``--clone PATH`` and the INTAGS generator ``--intags PATH`` if given
(``.zip`` files of ``intags train``, e.g. ``--real amzn_responsive``'s pretrained.zip and generator.zip:
keys ``_clone`` / ``_intags``; their 09:35-09:45 window fits shorter metaorders). Writes impact.json,
impact_vs_size.png and impact_decay.png to ``--out``.

Run: ``python benchmarks/impact.py [--seeds 50] [--workers 2] [--clone A.zip] [--intags B.zip]``, or
``--quick`` (6 seeds, 2 POV rates and 2 TWAP sizes, shorter metaorders, one day for V_D and sigma_D: the
pipeline, not the result).
``facts_matched`` / ``facts_matched_amzn``: on how many of the calibration benchmark's 10 facts the preset /
the baseline is closer to the AMZN day than rmsc04 (``benchmarks/calibration.py``'s rule, held-out
seeds; null without the LOBSTER file). ``twap_minus_random_bp`` / ``twap_minus_market_bp`` (and ``_ci``, the
95 % half-width): on ``Execution-v0`` over the preset (the bench harness, ``--bench-seeds`` seeds, each
contestant on the same seeds), random actions' and an immediate market order's implementation shortfall
minus TWAP's, paired by seed: positive = TWAP cheaper.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from intags_env.bench import benchmark
from intags_env.calibration import CalibrationError, compare, load_target, simulated_facts
from intags_env.realism.impact_report import impact_window, measure_impact, plot_impact, recipes
from intags_env.world import get_preset

DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
)


def execution_gaps(preset: str, seeds: int) -> dict[str, float]:
    """Shortfall (bp) of random actions and of an immediate market order minus TWAP's on Execution-v0
    over ``preset``, paired by seed, with 95 % half-widths."""
    _, episodes = benchmark("intags_env/Execution-v0", ["twap", "immediate", "random_actions"], seeds,
                            env_kwargs={"background": preset})  # fmt: skip
    shortfall = {(e.agent, e.seed): e.shortfall_bps for e in episodes}
    out = {}
    for other, key in (("random_actions", "twap_minus_random_bp"), ("immediate", "twap_minus_market_bp")):
        gaps = np.array([shortfall[(other, s)] - shortfall[("twap", s)] for s in range(seeds)])
        out[key] = float(gaps.mean())
        out[f"{key}_ci"] = float(1.96 * gaps.std(ddof=1) / np.sqrt(seeds))
        gap, ci = out[key], out[f"{key}_ci"]
        print(f"Execution-v0 on {preset}: {other} costs {gap:+.2f} ± {ci:.2f} bp more than TWAP")
    return out


def facts_matched(presets: list[str], n_seeds: int) -> dict[str, float]:
    """Per preset: facts of the AMZN day it is closer to than rmsc04 (NaN without the data file)."""
    try:
        target = load_target(str(DATA))
    except (CalibrationError, FileNotFoundError) as error:
        print(f"facts: {error}")
        return {name: float("nan") for name in presets}
    seeds = range(1000, 1000 + n_seeds)  # held out, as benchmarks/calibration.py
    session = (target.start, target.end)
    before = simulated_facts(get_preset("rmsc04").with_session(*session), seeds, target.levels)
    out = {}
    for name in presets:
        after = simulated_facts(get_preset(name).with_session(*session), seeds, target.levels)
        out[name] = float(compare(target.facts, before, after).wins_after)
        print(f"{name}: closer to the AMZN day than rmsc04 on {out[name]:.0f} of 10 facts")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 seeds, 4 recipes per side, 120-s metaorders")
    ap.add_argument("--seeds", type=int, help="seeds per market (50; quick 6)")
    ap.add_argument(
        "--preset", default="amzn_responsive", help="the market whose figures are the unsuffixed keys"
    )
    ap.add_argument("--baseline", default="amzn", help="a second preset, keys suffixed _NAME")
    ap.add_argument("--clone", help="a cloned generator (.zip) to measure too")
    ap.add_argument("--intags", help="an INTAGS-trained generator (.zip) to measure too")
    ap.add_argument("--duration", type=float, help="metaorder seconds (300; quick 120; the clone: 200)")
    ap.add_argument("--bench-seeds", type=int, help="Execution-v0 episodes per contestant (40; quick 4)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="out/impact")
    args = ap.parse_args()
    seeds = args.seeds or (6 if args.quick else 50)
    duration = args.duration or (120.0 if args.quick else 300.0)
    metaorders = recipes((0.05, 0.2), (500, 2_000)) if args.quick else recipes()
    boot = 300 if args.quick else 2000
    scale_seeds = (0,) if args.quick else (0, 1, 2)
    markets = [("", impact_window(args.preset, duration), duration),
               (f"_{args.baseline}", impact_window(args.baseline, duration), duration),
               ("_rmsc04", impact_window("rmsc04", duration), duration)]  # fmt: skip
    for suffix, path in (("_clone", args.clone), ("_intags", args.intags)):
        if path:
            label = suffix[1:]
            markets.append((suffix, impact_window(path, 200.0, label=label), min(duration, 200.0)))
    started = time.perf_counter()
    figures: dict[str, float | None] = {}
    results = []
    for suffix, market, seconds in markets:
        report, runs = measure_impact(market, seeds, seconds, metaorders, scale_seeds=scale_seeds,
                                      workers=args.workers, progress=True, n_boot=boot)  # fmt: skip
        results.append((report, runs))
        print(report.table(), "\n")
        figures.update(report.figures(suffix))
    out = Path(args.out)
    paths = plot_impact(results, out)
    matched = facts_matched([args.preset, args.baseline], 2 if args.quick else 8)
    figures["facts_matched"] = matched[args.preset]
    figures[f"facts_matched_{args.baseline}"] = matched[args.baseline]
    figures.update(execution_gaps(args.preset, args.bench_seeds or (4 if args.quick else 40)))
    for key in ("beta_clone", "y_factor_clone", "beta_intags", "y_factor_intags"):
        figures.setdefault(key, float("nan"))
    figures["minutes"] = (time.perf_counter() - started) / 60
    clean = {
        k: (round(v, 4) if isinstance(v, float) and math.isfinite(v) else None) for k, v in figures.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "impact.json").write_text(
        json.dumps({"figures": clean, "rows": {r.market: r.rows for r, _ in results}})
    )
    print(f"plots: {', '.join(str(p) for p in paths)}")
    print(json.dumps(clean))


if __name__ == "__main__":
    main()
