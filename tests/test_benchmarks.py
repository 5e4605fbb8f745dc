"""Every script in ``benchmarks/`` runs in its ``--quick`` mode, so an API change cannot silently break it.

Each benchmark runs in a fresh process from the repository root, writing its outputs under ``tmp_path``
and using one worker; it must exit 0 and print, as its last stdout line, a JSON object of figures, of
which a few key ones must be finite numbers. A new file in ``benchmarks/`` without an entry in
``BENCHMARKS`` fails ``test_every_benchmark_is_run``; one without a ``--quick`` mode fails
``test_every_benchmark_has_a_quick_mode``. A benchmark whose ``--quick`` run takes more than ~40 s on the
2-core machine is marked ``slow`` (deselected by ``-m "not slow"``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK_DIR = ROOT / "benchmarks"
TIMEOUT_S = 1800


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]  # "{out}" is replaced by a directory under tmp_path
    keys: tuple[str, ...]  # figures in the last-line JSON that must be finite numbers
    slow: bool = False  # --quick takes more than ~40 s on the 2-core machine


QUICK = ("--quick", "--out", "{out}", "--workers", "1")

BENCHMARKS = {
    # no outputs, no workers: --quick alone
    "calibration": Case(("--quick",), ("facts_won", "loss_rmsc04", "loss_preset")),
    "envs": Case(
        ("--quick",),
        (
            "execution_steps_per_s",
            "market_making_steps_per_s",
            "trading_steps_per_s",
            "world_agent_steps_per_s",
            "world_agent_vec2_steps_per_s",
            "cold_start_s",
        ),
    ),
    "exchange": Case(("--quick",), ("ns_per_msg", "msgs_per_s", "speedup_vs_reference", "cold_start_s")),
    "impact": Case(
        QUICK, ("y_factor", "y_factor_rmsc04", "beta_rmsc04", "remaining_1x_rmsc04", "facts_matched")
    ),
    "multi_agent": Case(
        ("--quick",),
        (
            "cycles_per_s_2",
            "cycles_per_s_4",
            "cycles_per_s_8",
            "cycles_per_s_4_python_seats",
            "compiled_seats_speedup",
        ),
    ),
    "soak": Case(
        ("--quick",),
        ("episodes", "rss_start_mb", "rss_end_mb", "rss_growth_kb_per_episode", "nan_count", "exceptions"),
    ),
    "world": Case(("--quick",), ("full_day_s", "msgs_per_s", "peak_mb")),
    "vector": Case(
        ("--quick",),
        (
            "single_steps_per_s",
            "vector_speedup",
            "ppo_steps_per_s",
            "world_batch_speedup",
            "generator_orders_per_s_1",
            "generator_orders_per_s_8",
            "world_agent_steps_per_s_8",
            "cycles_per_s_4",
        ),
    ),
    # outputs under --out
    "generator_fidelity": Case(
        QUICK, ("replay_ks_mean", "floor_ks_mean", "clone_runaway_rate", "cwgan_runaway_rate")
    ),
    "intags_training": Case(
        ("--quick", "--out", "{out}"),
        ("mmd_pretrained", "mmd_intags", "rich_ci_low", "facts_ks_intags", "response_mmd_intags"),
    ),
    "metric_power": Case(
        (*QUICK, "--cache", "{out}/feedback-cache"),
        (
            "false_positive_rate",
            "power_response_causal",
            "ipw_bias_ratio",
            "feedback_episodes_per_s",
            "compiled_trader_speedup",
        ),
    ),
    "realism": Case(QUICK, ("mmd_floor", "mmd_intags", "mmd_cloned", "imbalance_real"), slow=True),
    "realism_recorded": Case(
        QUICK, ("mmd_floor", "mmd_rmsc04", "mmd_amzn_preset", "facts_ks_mean_rmsc04"), slow=True
    ),
}


def benchmark_scripts() -> list[str]:
    return sorted(p.stem for p in BENCHMARK_DIR.glob("*.py") if not p.name.startswith("_"))


def _tail(text: str, lines: int = 40) -> str:
    """The end of a log, progress bars (carriage returns) split into lines."""
    return "\n".join(text.replace("\r", "\n").strip().splitlines()[-lines:])


def test_every_benchmark_is_run() -> None:
    assert benchmark_scripts() == sorted(BENCHMARKS), (
        "every script in benchmarks/ needs an entry in tests/test_benchmarks.py:BENCHMARKS"
    )


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_every_benchmark_has_a_quick_mode(name: str) -> None:
    assert '"--quick"' in (BENCHMARK_DIR / f"{name}.py").read_text()
    assert "--quick" in BENCHMARKS[name].args


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=pytest.mark.slow if case.slow else ()) for name, case in BENCHMARKS.items()],
)
def test_benchmark_runs_and_reports_its_figures(name: str, tmp_path: Path) -> None:
    case = BENCHMARKS[name]
    out = tmp_path / "out"
    args = [arg.replace("{out}", str(out)) for arg in case.args]
    done = subprocess.run(
        [sys.executable, str(BENCHMARK_DIR / f"{name}.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    code = done.returncode  # not the CompletedProcess, whose repr would repeat the whole log
    assert code == 0, f"benchmarks/{name}.py {' '.join(args)} exited {code}; stderr:\n{_tail(done.stderr)}"
    lines = done.stdout.strip().splitlines()
    assert lines, f"benchmarks/{name}.py printed nothing"
    try:
        figures = json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"benchmarks/{name}.py: the last stdout line is not JSON: {lines[-1][:500]!r}")
    assert isinstance(figures, dict), f"the last line is not a JSON object: {lines[-1][:500]!r}"
    for key, value in figures.items():
        assert value is None or isinstance(value, (int, float)), f"figure {key} = {value!r} is not a number"
    for key in case.keys:
        assert key in figures, f"no figure {key!r} in {sorted(figures)}"
        value = figures[key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), (
            f"figure {key} = {value!r} is not a finite number"
        )
