"""Before/after: the AMZN LOBSTER day vs ``rmsc04`` vs the shipped ``amzn`` preset, on the ten calibration
facts (``intags_env.calibration.facts``), measured by the same code on all three.

Both simulated markets run the data's session (09:30-16:00) on the same held-out seeds (1000.., not
the seeds the search used), are viewed at the data file's book depth (level 1) and averaged over seeds.
A market *wins* a fact when it is strictly closer to the data (log scale for scale facts). ``--search``
reruns the calibration (``--budget`` candidates) and compares its winner instead of the shipped preset.

Run: ``python benchmarks/calibration.py [--seeds 8] [--data PATH] [--config FILE | --search --budget 300]``
or ``--quick`` (2 seeds, a 20-candidate search: the pipeline, not the result).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from intags_env.calibration import (
    FACT_NAMES,
    CalibrationError,
    calibrate,
    compare,
    load_target,
    simulated_facts,
)
from intags_env.world import WorldConfig, get_preset

DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
)
HELD_OUT_FIRST_SEED = 1000


def _data_label(name: str) -> str:
    """'LOBSTER_SampleFile_AMZN_2012-06-21_1' -> 'AMZN data'; any other file name is kept whole."""
    parts = name.split("_")
    return f"{parts[2]} data" if name.startswith("LOBSTER_SampleFile") and len(parts) > 2 else name


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(DATA), help="LOBSTER file (default: the AMZN level-1 sample)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, a 20-candidate --search (smoke run)")
    parser.add_argument("--seeds", type=int, help="held-out seeds per simulated market (8; quick 2)")
    parser.add_argument("--config", default=None, help="a WorldConfig JSON to compare instead of the preset")
    parser.add_argument("--search", action="store_true", help="rerun the calibration instead of the preset")
    parser.add_argument("--budget", type=int, help="candidates for --search (300; quick 20)")
    args = parser.parse_args()
    args.seeds = args.seeds or (2 if args.quick else 8)
    args.budget = args.budget or (20 if args.quick else 300)
    try:
        target = load_target(args.data)
    except CalibrationError as error:
        print(f"benchmarks/calibration.py: {error}", file=sys.stderr)
        return 2
    seeds = range(HELD_OUT_FIRST_SEED, HELD_OUT_FIRST_SEED + args.seeds)
    t0 = time.perf_counter()
    if args.search:
        after_config = calibrate(
            target, budget=args.budget, seeds=(0, 1, 2), start_configs=[get_preset("amzn")]
        ).config
        after_name = "calibrated"
    elif args.config:
        after_config, after_name = WorldConfig.from_dict(json.loads(Path(args.config).read_text())), "config"
    else:
        after_config, after_name = get_preset("amzn"), "amzn"
    before = simulated_facts(
        get_preset("rmsc04").with_session(target.start, target.end), seeds, target.levels
    )
    after = simulated_facts(after_config.with_session(target.start, target.end), seeds, target.levels)
    comparison = compare(target.facts, before, after, names=(_data_label(target.name), "rmsc04", after_name))
    wall = time.perf_counter() - t0
    print(
        f"{target.name}: {target.start}-{target.end}, {target.levels} level(s); simulated markets "
        f"averaged over seeds {seeds.start}..{seeds.stop - 1}, viewed at {target.levels} level(s)\n"
    )
    print(comparison.markdown())
    summary = {
        "facts_won": comparison.wins_after,
        "facts_lost": comparison.wins_before,
        "facts_total": len(FACT_NAMES),
        "loss_rmsc04": round(comparison.loss_before, 4),
        "loss_preset": round(comparison.loss_after, 4),
        "ret_acf1_data": round(target.facts["ret_acf1_1min"], 4),
        "ret_acf1_rmsc04": round(before["ret_acf1_1min"], 4),
        "ret_acf1_preset": round(after["ret_acf1_1min"], 4),
        "vol_absret_corr_data": round(target.facts["vol_absret_corr_1min"], 4),
        "vol_absret_corr_rmsc04": round(before["vol_absret_corr_1min"], 4),
        "vol_absret_corr_preset": round(after["vol_absret_corr_1min"], 4),
        "seeds": args.seeds,
        "wall_s": round(wall, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
