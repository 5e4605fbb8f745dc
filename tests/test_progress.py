"""Progress output (issue 16, item 8): one library (tqdm) for all long work, and no ANSI escape codes or
ten-a-second redraws when the output goes to a log file rather than a terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

from intags_env.progress import LOG_INTERVAL_S, sb3_progress, tqdm

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def nested_bars(stream: io.StringIO, updates: int = 3) -> str:
    """What an outer bar with an inner bar per step (``leave=False``, as the evaluations inside
    training draw them) writes to ``stream``."""
    with tqdm(total=updates, desc="outer", file=stream) as outer:
        for _ in range(updates):
            for _ in tqdm(range(5), desc="inner", leave=False, file=stream):
                pass
            outer.update(1)
    return stream.getvalue()


def test_nested_bars_in_a_log_write_no_escape_codes() -> None:
    text = nested_bars(io.StringIO())
    assert "\x1b[" not in text and "inner" not in text
    assert "outer" in text and "3/3" in text


def test_a_bar_in_a_log_redraws_rarely() -> None:
    log = io.StringIO()
    for _ in tqdm(range(10_000), desc="work", file=log, mininterval=0):
        pass
    assert log.getvalue().count("\r") <= 3  # opening, closing (and at most one every LOG_INTERVAL_S)
    assert LOG_INTERVAL_S >= 10


def test_a_terminal_keeps_tqdms_usual_bars() -> None:
    text = nested_bars(Terminal())
    assert "inner" in text  # stacked below the outer bar, as tqdm draws them


def test_sb3_training_reports_through_tqdm_not_rich(capsys) -> None:
    import gymnasium as gym
    from stable_baselines3 import PPO

    assert sb3_progress(False) == []
    model = PPO("MlpPolicy", gym.make("CartPole-v1"), n_steps=64, batch_size=64, n_epochs=1, device="cpu")
    model.learn(128, callback=sb3_progress(True, "PPO test"))
    out, err = capsys.readouterr()
    assert out == ""  # rich drew its bar on stdout, between the commands' tables
    assert "PPO test" in err and "128/128" in err and "\x1b[" not in err


def test_no_module_asks_sb3_for_its_rich_progress_bar() -> None:
    sources = [*(ROOT / "intags_env").rglob("*.py"), *(ROOT / "agents").rglob("*.py")]
    sources.remove(ROOT / "intags_env" / "progress.py")  # which names it, to say why not
    offenders = [
        str(p.relative_to(ROOT)) for p in sources if re.search(r"progress_bar\s*=\s*(?!False)", p.read_text())
    ]
    assert not offenders, f"use intags_env.progress.sb3_progress, not SB3's rich bar: {offenders}"
