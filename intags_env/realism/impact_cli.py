"""``intags impact MARKET...``: how markets answer metaorders (square-root fit, decay, symmetry, plots)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_impact_parser", "run_impact"]

DESCRIPTION = (
    "Run POV (5 participation rates) and TWAP (4 sizes) metaorders, buying and selling, on each market "
    "with common random numbers, and report the peak impact against Q/V_D (exponent beta with a bootstrap "
    "CI, prefactor Y of the square-root law), the impact left one and two durations after the end, and "
    "the buy-sell gap. MARKET: a preset name, a WorldConfig JSON, a generator .zip or a cWGAN .pt."
)


def add_impact_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``impact`` subcommand to an ``argparse`` subparsers object; returns its parser."""
    parser = subparsers.add_parser("impact", help="metaorder impact and the square-root law, per market",
                                   description=DESCRIPTION)  # fmt: skip
    parser.add_argument("markets", nargs="+", metavar="MARKET", help="markets to measure")
    parser.add_argument("--seeds", type=_positive_int, default=50, help="seeds per market")
    parser.add_argument("--duration", type=float, default=300.0, help="metaorder seconds (a model: at most a "
                        "third of its window)")  # fmt: skip
    parser.add_argument(
        "--start", default=None, help="metaorder start HH:MM (default 09:35; a model: its window)"
    )
    parser.add_argument("--workers", type=_positive_int, default=2, help="worker processes")
    parser.add_argument("--out", default="out/impact", help="output directory (impact.json, plots)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_impact)
    return parser


def run_impact(args: argparse.Namespace) -> int:
    """Measure every market the parsed ``args`` name; print the tables; write JSON and plots."""
    from .impact_report import impact_window, measure_impact, plot_impact

    if not args.duration > 0:
        raise ValueError(f"--duration must be positive, got {args.duration}")
    results = []
    for spec in args.markets:
        market = impact_window(spec, args.duration, args.start)
        report, runs = measure_impact(market, args.seeds, args.duration, workers=args.workers,
                                      progress=not args.quiet)  # fmt: skip
        results.append((report, runs))
        print(report.table(), "\n")
    out = Path(args.out)
    paths = plot_impact(results, out)
    payload = {
        r.market: {"figures": r.figures(), "rows": r.rows, "scale": r.scale.source} for r, _ in results
    }
    (out / "impact.json").write_text(json.dumps(payload, indent=2, default=float))
    print(f"impact.json and plots in {out}/: {', '.join(p.name for p in paths)}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value
