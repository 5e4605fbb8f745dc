"""Tables and JSON for stylized-fact dicts (side-by-side comparison of real and simulated markets)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["facts_from_json", "facts_report", "facts_to_json"]


def facts_report(
    facts_a: Mapping[str, float],
    facts_b: Mapping[str, float] | None = None,
    names: Sequence[str] = ("real", "sim"),
) -> str:
    """A markdown table: one row per fact, one column per dataset (``names``), plus ``b/a`` for two.

    Rows follow ``facts_a``'s order, then facts only ``facts_b`` has; a fact missing from a dataset
    shows as ``-``; NaN shows as ``nan``.
    """
    datasets = [facts_a] if facts_b is None else [facts_a, facts_b]
    if len(names) < len(datasets):
        raise ValueError(f"need {len(datasets)} names, got {list(names)}")
    header = ["fact", *names[: len(datasets)]] + (["b/a"] if facts_b is not None else [])
    rows = [header, ["---"] + ["---:"] * (len(header) - 1)]
    for name in _ordered_names(datasets):
        values = [d.get(name) for d in datasets]
        row = [f"`{name}`", *(_format(v) for v in values)]
        if facts_b is not None:
            row.append(_format(_ratio(values[1], values[0])))
        rows.append(row)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def facts_to_json(facts: Mapping[str, float], path: str | Path | None = None) -> str:
    """Strict JSON of ``facts`` (NaN and infinities become ``null``); also written to ``path`` if given."""
    clean = {name: (float(v) if math.isfinite(v) else None) for name, v in facts.items()}
    text = json.dumps(clean, indent=2, allow_nan=False) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def facts_from_json(source: str | Path) -> dict[str, float]:
    """Read facts written by :func:`facts_to_json` (a path or the JSON text); ``null`` becomes NaN."""
    text = source if isinstance(source, str) and source.lstrip().startswith("{") else Path(source).read_text()
    return {name: (float("nan") if v is None else float(v)) for name, v in json.loads(text).items()}


def _ordered_names(datasets: list[Mapping[str, float]]) -> list[str]:
    seen: dict[str, None] = {}
    for facts in datasets:
        seen.update(dict.fromkeys(facts))
    return list(seen)


def _ratio(b: float | None, a: float | None) -> float | None:
    if a is None or b is None or a == 0 or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return b / a


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e12:
        return f"{int(value)}"
    return f"{value:.4g}"
