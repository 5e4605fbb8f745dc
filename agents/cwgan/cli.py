"""``intags train-cwgan``: train the cWGAN world agent and print a short report.

``add_train_cwgan_parser(subparsers)`` adds the sub-command to an ``argparse`` parser (``intags_env.cli``
wires it in); the handler is ``run_train_cwgan(args)``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

__all__ = ["add_train_cwgan_parser", "run_train_cwgan"]


def add_train_cwgan_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``train-cwgan`` to ``subparsers`` (from ``parser.add_subparsers()``) and return its parser."""
    p = subparsers.add_parser(
        "train-cwgan",
        help="train the cWGAN world agent (conditional WGAN-GP) on a real order stream",
        description=(
            "Train a conditional Wasserstein GAN order generator on the (state history, next order) pairs "
            "of simulated sessions of the real market, or of a LOBSTER file; write OUT/cwgan.pt (+ .json), "
            "checkpoints, TensorBoard logs (OUT/tb), report.json and facts.md."
        ),
    )
    p.add_argument(
        "--real",
        default="rmsc04",
        help="the real market preset: its simulated sessions are the data (unless --lobster) and its book "
        "starts the trained background's sessions",
    )
    p.add_argument(
        "--lobster",
        default=None,
        help="train on this LOBSTER file's order stream (default: simulated sessions of --real)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator iterations, 5 critic updates each (default: 2500; --quick: 400)",
    )
    p.add_argument("--quick", action="store_true", help="a run of under a minute (the pipeline only)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the training")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints")
    p.add_argument("--out", default="out/cwgan", help="output directory (model, checkpoints, report)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_train_cwgan)
    return p


def run_train_cwgan(args: argparse.Namespace) -> int:
    """Train, then run one generated session (speed, stylized facts) and print the report."""
    from .agent import CWGANWorldAgent
    from .networks import FIELD_NAMES
    from .session import facts_comparison, generated_session
    from .training import CWGANSettings, latest_checkpoint, train_cwgan

    if args.lobster is not None and not Path(args.lobster).exists():
        raise FileNotFoundError(f"no LOBSTER file at {args.lobster}")
    if args.resume and latest_checkpoint(args.out) is None:  # training would silently start from scratch
        raise FileNotFoundError(
            f"--resume: nothing to resume in {args.out} (no checkpoints/cwgan_*.ckpt); "
            "drop --resume to start a new run"
        )
    settings = CWGANSettings.quick() if args.quick else CWGANSettings()
    changes: dict[str, Any] = {"real": args.real, "lobster": args.lobster, "seed": args.seed}
    if args.steps is not None:
        changes["steps"] = args.steps
    settings = replace(settings, **changes)
    out = Path(args.out)
    report = train_cwgan(settings, out, progress=not args.quiet, resume=args.resume)

    agent = CWGANWorldAgent.load(out / "cwgan.pt")
    session = generated_session(agent)
    _, generated_facts, _ = facts_comparison(agent, session, out=out)
    report["background"] = {"orders": session.orders, "orders_per_s": session.orders_per_second}
    report["generated_facts"] = generated_facts
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float))

    model, floor = report["marginal_tv"], report["real_floor_tv"]
    print(f"\norder-field marginals vs held-out real orders ({report['n_heldout']:,} pairs): total variation")
    print("(a type's fields over the orders of that type)")
    print(f"{'field':<16}{'cWGAN':>8}{'real train set (floor)':>24}")
    for key in (*FIELD_NAMES, "mean"):
        print(f"{key:<16}{model[key]:>8.3f}{floor[key]:>24.3f}")
    print(
        f"{report['iterations']:,} iterations in {report['train_seconds'] / 60:.1f} min; as a background: "
        f"{session.orders:,} orders in {session.seconds:.2f} s ({session.orders_per_second:,.0f} orders/s)"
    )
    print(f"model {out / 'cwgan.pt'}; facts vs real: {out / 'facts.md'}; TensorBoard: {out / 'tb'}")
    return 0
