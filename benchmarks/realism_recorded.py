"""Realism against a recorded NASDAQ day: simulators of AMZN (2012-06-21, LOBSTER sample) compared with
the day itself on observational causal feedback and stylized facts.

The real side is data, so the feedback is observational (the IPW effect of each 10-s bin's net aggressor
side on the mid; see ``intags_env.intags.observational``). The generator (behaviour-cloned) and the cWGAN
learn from the day's order stream before ``--split`` (12:45) and are compared with the day's 10-minute
windows after it, with ``rmsc04`` (uncalibrated) and the ``amzn`` preset (calibrated by ``intags
calibrate`` on the whole day's level-1 file: in sample for the afternoon, unlike the learned models).
Both learned models start each session from the ``amzn`` preset's book. The floor compares the
afternoon's even windows with its odd ones. Models are trained into ``--out``/models when missing.

Run: ``python benchmarks/realism_recorded.py`` (~15 min on 2 cores, ``--quick`` ~3 min). Needs the data
in ``../shared/data/lobster/`` (or ``--data``). Last line: JSON figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from intags_env.data import read_lobster, write_lobster
from intags_env.data.lobster import LobsterData
from intags_env.generator.train import TrainSettings, clone_generator
from intags_env.realism.facts_distance import DISTRIBUTIONS
from intags_env.realism.markets import Market
from intags_env.realism.recorded import recorded_comparison
from intags_env.realism.report import plot_distributions
from intags_env.world.config import parse_time_of_day

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
)
WINDOW = {"real": "amzn", "start": "09:35", "end": "09:45"}


def split_day(day: LobsterData, split: str) -> tuple[LobsterData, LobsterData]:
    """The recorded day before and after ``split`` (the training and the test part)."""
    cut = parse_time_of_day(split)
    if not day.start_ns < cut < day.end_ns:
        raise ValueError(f"--split {split} is outside the recording")
    before = day.messages["time"] < cut
    return replace(day.select(before), end_ns=cut), replace(day.select(~before), start_ns=cut)


def prepare_models(data: Path, out: Path, quick: bool) -> dict[str, Path]:
    """The generator cloned from ``data`` and the cWGAN trained on it (reused when already in ``out``)."""
    cloned = out / "models" / "cloned" / "pretrained.zip"
    if not cloned.exists():
        settings = replace(TrainSettings(), **WINDOW, pretrain_lobster=str(data))
        clone_generator(replace(settings, pretrain_epochs=2) if quick else settings, cloned.parent)
    cwgan = out / "models" / "cwgan" / "cwgan.pt"
    if not cwgan.exists():
        from intags_agents.cwgan.training import CWGANSettings, train_cwgan

        settings = CWGANSettings.quick() if quick else CWGANSettings()
        train_cwgan(replace(settings, **WINDOW, lobster=str(data)), cwgan.parent)
    return {"cloned": cloned, "cwgan": cwgan}


def table(report: dict) -> str:
    head = ["market", "obs. feedback MMD²", "p"] + [f"KS {d}" for d in DISTRIBUTIONS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = [("day even vs odd (floor)", report["floor"]), *report["markets"].items()]
    for name, row in rows:
        if "error" in row:
            lines.append(f"| {name} | could not run: {row['error']} |")
            continue
        causal = row.get("causal") or {"mmd2": float("nan"), "p_value": float("nan")}
        cells = [name, f"{causal['mmd2']:.3f}", f"{causal['p_value']:.3f}"]
        cells += [f"{row['facts'][d]['ks']:.3f}" for d in DISTRIBUTIONS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="a LOBSTER file of the real day")
    parser.add_argument("--split", default="12:45", help="train before, compare after (HH:MM)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sessions", type=int, default=None, help="sessions per market (60; quick 8)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    data = Path(args.data)
    if not data.exists():
        print(
            f"no LOBSTER data at {data}: pass --data (see ../shared/data/lobster/README.md)", file=sys.stderr
        )
        return 2
    out = Path(args.out or ("out/realism_recorded_quick" if args.quick else "out/realism_recorded"))
    started = time.perf_counter()
    morning, afternoon = split_day(read_lobster(data), args.split)
    training_file, _ = write_lobster(morning, out / "models" / "training_data")
    models = prepare_models(training_file, out, args.quick)
    markets = [
        Market("rmsc04", "rmsc04"),
        Market("amzn preset", "amzn"),
        Market("cloned", str(models["cloned"])),
        Market("cwgan", str(models["cwgan"])),
    ]
    report, pools = recorded_comparison(
        afternoon,
        markets,
        start=WINDOW["start"],
        end=WINDOW["end"],
        sessions=args.sessions or (8 if args.quick else 60),
        permutations=100 if args.quick else 500,
        workers=args.workers,
        progress=True,
    )
    report["minutes"] = (time.perf_counter() - started) / 60.0
    out.mkdir(parents=True, exist_ok=True)
    (out / "realism_recorded.json").write_text(json.dumps(report, indent=1, default=float))
    plot = plot_distributions(pools, out / "facts_distributions.png")
    text = table(report)
    (out / "realism_recorded.md").write_text(text + "\n")
    print(text)
    print(
        f"{report['usable_windows']} of the day's {report['windows']} windows give feedback; "
        f"{report['minutes']:.1f} min; report in {out}/, plot {plot}"
    )
    figures = {"mmd_floor": report["floor"]["causal"]["mmd2"]}
    for name, row in report["markets"].items():
        key = name.replace(" ", "_")
        if "error" in row:
            continue
        figures[f"mmd_{key}"] = row["causal"]["mmd2"] if row.get("causal") else float("nan")
        figures[f"facts_ks_mean_{key}"] = sum(d["ks"] for d in row["facts"].values()) / len(DISTRIBUTIONS)
    figures["minutes"] = report["minutes"]
    print(json.dumps({k: round(float(v), 4) if v == v else None for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
