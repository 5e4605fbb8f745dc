"""``intags realism``: the command line of the realism benchmark (``intags_env.realism.pipeline``)."""

from __future__ import annotations

import argparse
from typing import Any

from ..envs.arguments import positive_int

__all__ = ["add_realism_parser"]


def add_realism_parser(sub: Any) -> None:
    """``intags realism``: a model not given is reused from, or trained into, ``OUT/models``."""
    realism = sub.add_parser(
        "realism",
        help="compare the INTAGS generator, a cWGAN and the cloned generator with the real market",
    )
    realism.add_argument("--quick", action="store_true", help="minutes-long run with undertrained models")
    realism.add_argument(
        "--generator-dir",
        default=None,
        help="an `intags train` output to reuse (default: OUT/models/intags, trained if missing)",
    )
    realism.add_argument(
        "--cwgan",
        default=None,
        help="a trained cWGAN .pt to reuse (default: OUT/models/cwgan/cwgan.pt, trained if missing)",
    )
    realism.add_argument(
        "--ppo",
        default=None,
        help="a reference PPO trader .zip to reuse "
        "(default: OUT/models/ppo/ppo_reference.zip, trained if missing)",
    )
    realism.add_argument("--workers", type=positive_int, default=2, help="worker processes")
    realism.add_argument("--out", default="out/realism", help="output directory (report, JSON, plots)")
    realism.add_argument("--quiet", action="store_true", help="no progress bars")
    realism.set_defaults(func=_realism)


def _realism(args: argparse.Namespace) -> int:
    from .pipeline import realism_benchmark
    from .report import markdown_table

    report = realism_benchmark(
        args.out,
        quick=args.quick,
        generator_dir=args.generator_dir,
        cwgan=args.cwgan,
        ppo=args.ppo,
        workers=args.workers,
        progress=not args.quiet,
    )
    print(markdown_table(report))
    print(f"report, JSON and plots in {args.out}/ ({report['minutes']:.1f} min of measurement)")
    return 0
