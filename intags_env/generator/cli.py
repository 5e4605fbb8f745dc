"""``intags train``: the command line of the generator's training (``intags_env.generator.train``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_train_parser"]


def add_train_parser(sub: Any) -> None:
    """``intags train``: the None defaults are ``TrainSettings``' (full or ``--quick``), stated in words."""
    train = sub.add_parser(
        "train",
        help="train a world-agent generator: behaviour cloning, then INTAGS fine-tuning (CMA-ES or PPO)",
    )
    train.add_argument("--real", default="rmsc04", help="the real market (preset name)")
    train.add_argument(
        "--pretrain-steps",
        type=int,
        default=None,
        help="behaviour-cloning epochs (default: 8; --quick: 3)",
    )
    train.add_argument(
        "--pretrain-lobster",
        default=None,
        help="clone a LOBSTER file's order stream (default: simulated sessions of --real)",
    )
    train.add_argument(
        "--method",
        choices=("es", "ppo"),
        default="es",
        help="es: CMA-ES on the clone's logit adapter; ppo: PPO with a leash to the clone",
    )
    train.add_argument(
        "--generations", type=int, default=None, help="ES generations (default: 14; --quick: 4)"
    )
    train.add_argument(
        "--steps",
        type=int,
        default=None,
        help="PPO steps, generated orders (default: 250000; --quick: 2048)",
    )
    train.add_argument("--quick", action="store_true", help="a minutes-long end-to-end run")
    train.add_argument("--seed", type=int, default=0, help="random seed of the training")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints")
    train.add_argument("--out", default="out/generator", help="output directory (models, report, plots)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .train import TrainSettings, train_generator

    settings = TrainSettings.quick() if args.quick else TrainSettings()
    changes = {
        "real": args.real,
        "seed": args.seed,
        "pretrain_lobster": args.pretrain_lobster,
        "method": args.method,
    }
    if args.pretrain_steps is not None:
        changes["pretrain_epochs"] = args.pretrain_steps
    if args.steps is not None:
        changes["steps"] = args.steps
    if args.generations is not None:
        changes["generations"] = args.generations
    settings = replace(settings, **changes)
    if args.resume:
        _check_resume(Path(args.out), settings.method)
    report = train_generator(settings, args.out, resume=args.resume, progress=not args.quiet)
    names = {
        "pretrained": "pretrained (behaviour cloning)",
        "intags": "INTAGS fine-tuned",
        "floor": "real vs real (floor)",
    }
    if settings.method == "es":
        print(f"\nheld-out episodes ({settings.final_episodes} per side) against held-out real episodes")
        print(
            f"{'generator':<32}"
            + "".join(f"{h:>16}" for h in ("paper MMD^2 (p)", "rich MMD^2 (p)", "facts MMD^2 (p)"))
            + f"{'facts KS':>10}{'|buy-sell|':>12}"
        )
        for key, name in names.items():
            r = report[key]
            cells = "".join(
                f"{r[f'{k}_mmd2']:>9.4f} ({r[f'{k}_p_value']:.2f})" for k in ("paper", "rich", "facts")
            )
            print(
                f"{name:<32}{cells}{r.get('facts_ks', float('nan')):>10.3f}{r['imbalance_abs_mean']:>12.3f}"
            )
        for kind in ("paper", "rich", "facts"):
            red = report[f"{kind}_reduction"]
            print(
                f"{kind} MMD^2 reduction clone -> INTAGS: {red['observed']:+.4f} "
                f"(95% CI {red['ci95_low']:+.4f} .. {red['ci95_high']:+.4f})"
            )
    else:
        print(f"\ncausal-feedback MMD^2 to held-out real episodes ({settings.final_episodes} per side)")
        print(f"{'generator':<32}{'MMD^2':>10}{'p':>8}{'|buy-sell| share':>18}")
        for key, name in names.items():
            r = report[key]
            print(f"{name:<32}{r['mmd2']:>10.4f}{r['p_value']:>8.3f}{r['imbalance_abs_mean']:>18.3f}")
    print(f"real market |buy-sell| share: {report['real_imbalance_abs_mean']:.3f}")
    evaluation = report.get("evaluation_minutes")
    timing = f"train time {report['train_minutes']:.1f} min"
    if evaluation is not None:
        timing += f" (+ {evaluation:.1f} min held-out evaluation)"
    print(f"{timing}; report, plots and models in {args.out}/")
    return 0


def _check_resume(out: Path, method: str) -> None:
    """``train --resume``: refuse a folder with nothing to resume (training would silently start from
    scratch), and name a truncated or damaged model or checkpoint there before any work starts. What a
    method resumes from: ES the clone (``pretrained.zip``) and the CMA state (``checkpoints/es_state.pkl``),
    PPO the latest ``checkpoints/generator_*_steps.zip``."""
    import pickle

    from ..sb3_files import check_sb3_file
    from .train import _latest_checkpoint

    pretrained = out / "pretrained.zip"
    if method == "es":
        latest, wanted = (pretrained if pretrained.is_file() else None), "pretrained.zip"
    else:
        latest, wanted = _latest_checkpoint(out), "checkpoints/generator_*_steps.zip"
    if latest is None:
        raise FileNotFoundError(
            f"--resume: nothing to resume in {out} (no {wanted} of a {method} run); "
            "drop --resume to start a new run"
        )
    for path in dict.fromkeys([latest, *([pretrained] if pretrained.is_file() else [])]):
        try:
            check_sb3_file(path, "model checkpoint")
        except ValueError as err:
            raise ValueError(f"--resume: {err}; delete it to resume from the step before it") from None
    es_state = out / "checkpoints" / "es_state.pkl"
    if method == "es" and es_state.is_file():
        try:
            pickle.loads(es_state.read_bytes())
        except Exception as err:  # pickle raises many kinds for a truncated file
            raise ValueError(
                f"--resume: {es_state} is not a readable ES checkpoint (a truncated or damaged file: "
                f"{err!r}); delete it to restart the ES from the clone"
            ) from None
