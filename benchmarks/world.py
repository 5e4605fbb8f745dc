"""Full-day (09:30-16:00) background-market runs: wall time, messages, throughput and memory.

The seeds run one after another in one fresh process, after a one-minute warm-up run that loads the
Numba cache (that one-off load is reported separately as the cold start). Peak memory is the process's.
For scale, ABIDES runs this population's full day in 17-25 s on this machine.

Run: ``python benchmarks/world.py [--seeds 5] [--preset rmsc04] [--end 16:00]`` or ``--quick`` (2 seeds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

RUNS = """
import json, resource, time
t0 = time.perf_counter()
from intags_env.world import simulate
simulate({preset!r}, seed=0, end="09:31")
cold = time.perf_counter() - t0
rows = []
for seed in range({seeds}):
    t0 = time.perf_counter()
    r = simulate({preset!r}, seed=seed, end={end!r})
    rows.append({{"wall": time.perf_counter() - t0, "messages": len(r), "sent": r.n_exchange_messages,
                 "trades": len(r.trades)}})
    del r
print(json.dumps({{"cold": cold, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(preset: str, seeds: int, end: str) -> dict:
    code = RUNS.format(preset=preset, seeds=seeds, end=end)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="rmsc04")
    ap.add_argument("--quick", action="store_true", help="2 seeds (a smoke run)")
    ap.add_argument("--seeds", type=int, help="full days run (5; quick 2)")
    ap.add_argument("--end", default="16:00")
    args = ap.parse_args()
    args.seeds = args.seeds or (2 if args.quick else 5)

    run(args.preset, 0, "09:31")  # make sure the Numba cache exists before measuring
    measured = run(args.preset, args.seeds, args.end)
    rows = measured["rows"]
    print(f"{args.preset}, 09:30-{args.end}, {args.seeds} seeds in one process")
    print(f"{'seed':>4} {'wall s':>8} {'messages':>9} {'sent':>8} {'trades':>7} {'msgs/s':>11}")
    for seed, r in enumerate(rows):
        print(
            f"{seed:>4} {r['wall']:>8.3f} {r['messages']:>9,} {r['sent']:>8,} {r['trades']:>7,} "
            f"{r['messages'] / r['wall']:>11,.0f}"
        )
    wall = statistics.median(r["wall"] for r in rows)
    msgs = statistics.median(r["messages"] for r in rows)
    peak = measured["peak_mb"]
    print(
        f"median wall {wall:.3f} s, median messages {msgs:,.0f}, peak memory {peak:.0f} MB, cold start "
        f"(import + cache load + 1-minute run) {measured['cold']:.2f} s; ABIDES: 17-25 s per full day here"
    )
    print(
        json.dumps(
            {
                "full_day_s": round(wall, 4),
                "msgs_per_s": round(msgs / wall),
                "peak_mb": round(peak, 1),
                "cold_start_s": round(measured["cold"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
