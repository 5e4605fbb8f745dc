"""The before/after report of a calibration: a markdown table with the winner per fact, JSON and a plot."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .facts import FACT_NAMES, FACT_SCALES, closer, fact_gap, facts_loss

__all__ = ["Comparison", "compare", "plot_comparison", "write_json"]


@dataclass(frozen=True)
class Comparison:
    """Two markets' facts (``before``, ``after``) against the data's, fact by fact.

    ``winners[name]`` is ``"after"``, ``"before"`` or ``"tie"`` (equally close, e.g. both NaN);
    ``wins_after`` counts the facts where ``after`` is strictly closer to the data."""

    data_name: str
    before_name: str
    after_name: str
    data: dict[str, float]
    before: dict[str, float]
    after: dict[str, float]
    winners: dict[str, str]

    @property
    def wins_after(self) -> int:
        return sum(w == "after" for w in self.winners.values())

    @property
    def wins_before(self) -> int:
        return sum(w == "before" for w in self.winners.values())

    @property
    def loss_before(self) -> float:
        return facts_loss(self.before, self.data)

    @property
    def loss_after(self) -> float:
        return facts_loss(self.after, self.data)

    def markdown(self) -> str:
        """The before/after table (one row per fact, the closer value's market named) and a summary."""
        header = f"| fact | {self.data_name} | {self.before_name} | {self.after_name} | closer |"
        lines = [header, "|---|---:|---:|---:|---|"]
        for name in FACT_NAMES:
            winner = {"after": self.after_name, "before": self.before_name}.get(self.winners[name], "tie")
            lines.append(
                f"| {name} | {_fmt(self.data[name])} | {_fmt(self.before[name])} | "
                f"{_fmt(self.after[name])} | {winner} |"
            )
        lines.append(
            f"\n{self.after_name} is closer to {self.data_name} on {self.wins_after} of {len(FACT_NAMES)} "
            f"facts ({self.before_name}: {self.wins_before}); loss {self.loss_before:.3f} -> "
            f"{self.loss_after:.3f}."
        )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_name": self.data_name,
            "before_name": self.before_name,
            "after_name": self.after_name,
            "data": self.data,
            "before": self.before,
            "after": self.after,
            "winners": self.winners,
            "wins_after": self.wins_after,
            "wins_before": self.wins_before,
            "facts_total": len(FACT_NAMES),
            "loss_before": self.loss_before,
            "loss_after": self.loss_after,
        }


def compare(
    data: Mapping[str, float],
    before: Mapping[str, float],
    after: Mapping[str, float],
    names: tuple[str, str, str] = ("data", "before", "after"),
) -> Comparison:
    """Fact-by-fact winner between ``before`` and ``after`` by closeness to ``data`` (see
    :func:`~intags_env.calibration.facts.closer`)."""
    winners = {}
    for name in FACT_NAMES:
        if closer(name, after[name], before[name], data[name]):
            winners[name] = "after"
        elif closer(name, before[name], after[name], data[name]):
            winners[name] = "before"
        else:
            winners[name] = "tie"
    return Comparison(
        data_name=names[0],
        before_name=names[1],
        after_name=names[2],
        data={k: float(data[k]) for k in FACT_NAMES},
        before={k: float(before[k]) for k in FACT_NAMES},
        after={k: float(after[k]) for k in FACT_NAMES},
        winners=winners,
    )


def write_json(payload: Mapping[str, Any], path: str | Path) -> Path:
    """``payload`` as indented JSON (NaN written as null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(payload), indent=2) + "\n")
    return path


def plot_comparison(comparison: Comparison, path: str | Path, best_so_far: np.ndarray | None = None) -> Path:
    """A PNG: each fact's miss (|gap| / scale) for both markets, and the search's best loss so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_panels = 2 if best_so_far is not None else 1
    fig, axes = plt.subplots(1, n_panels, figsize=(6.5 * n_panels, 4.2), squeeze=False)
    ax = axes[0, 0]
    y = np.arange(len(FACT_NAMES))
    for offset, (label, facts) in zip(
        (-0.2, 0.2), ((comparison.before_name, comparison.before), (comparison.after_name, comparison.after))
    ):
        miss = [abs(fact_gap(k, facts[k], comparison.data[k])) / FACT_SCALES[k] for k in FACT_NAMES]
        ax.barh(y + offset, np.nan_to_num(miss, nan=0.0), height=0.4, label=label)
    ax.set_yticks(y, FACT_NAMES, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("miss vs data (|gap| / scale; 0 = equal)")
    ax.set_title(f"distance to {comparison.data_name} per fact")
    ax.legend()
    if best_so_far is not None:
        ax = axes[0, 1]
        ax.plot(np.arange(1, len(best_so_far) + 1), best_so_far)
        ax.set_yscale("log")
        ax.set_xlabel("candidates evaluated")
        ax.set_ylabel("best loss so far")
        ax.set_title("search progress")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return obj
