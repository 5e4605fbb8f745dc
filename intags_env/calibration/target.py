"""The calibration target: a real market's facts, its price level, session and depth of view."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from intags_env.data import LobsterData, read_lobster
from intags_env.world import format_time_of_day, parse_time_of_day

from .facts import calibration_facts

__all__ = ["CalibrationError", "Target", "load_target", "target_from_data"]


class CalibrationError(ValueError):
    """Calibration cannot proceed (unreadable data, an empty window, a bad argument)."""


@dataclass(frozen=True)
class Target:
    """What the search aims at. ``r_bar`` is the data's median mid in cents (the simulated fundamental's
    mean), ``levels`` the depth of the data's book (simulated markets are viewed at the same depth),
    ``start``/``end`` the session as 'HH:MM:SS'."""

    name: str
    facts: dict[str, float]
    levels: int
    r_bar: int
    start: str
    end: str
    n_messages: int


def target_from_data(
    data: LobsterData, name: str = "data", start: str | None = None, end: str | None = None
) -> Target:
    """The :class:`Target` of ``data``, optionally cut to the window ``[start, end]`` ('HH:MM[:SS]')."""
    start_ns = data.start_ns if start is None else parse_time_of_day(start)
    end_ns = data.end_ns if end is None else parse_time_of_day(end)
    if not data.start_ns <= start_ns < end_ns <= data.end_ns:
        raise CalibrationError(
            f"window {format_time_of_day(start_ns)}-{format_time_of_day(end_ns)} is not inside the data's "
            f"session {format_time_of_day(data.start_ns)}-{format_time_of_day(data.end_ns)}"
        )
    if (start_ns, end_ns) != (data.start_ns, data.end_ns):
        time = data.messages["time"]
        rows = np.flatnonzero((time >= start_ns) & (time <= end_ns))
        data = replace(data.select(rows), start_ns=start_ns, end_ns=end_ns)
    if len(data) < 100:
        raise CalibrationError(f"{name}: only {len(data)} messages in the window; need at least 100")
    mid = data.mid
    mid = mid[np.isfinite(mid)]
    if mid.size == 0:
        raise CalibrationError(f"{name}: the book never has both sides, so there is no price level")
    r_bar = round(float(np.median(mid)) / 100.0)  # LOBSTER price units (USD x 1e4) -> cents
    return Target(
        name=name,
        facts=calibration_facts(data),
        levels=data.levels,
        r_bar=int(r_bar),
        start=format_time_of_day(start_ns),
        end=format_time_of_day(end_ns),
        n_messages=len(data),
    )


def load_target(path: str | Path, start: str | None = None, end: str | None = None) -> Target:
    """Read a LOBSTER zip, directory or message CSV and make its :class:`Target`; an unreadable path is a
    :class:`CalibrationError` naming it."""
    path = Path(path)
    if not path.exists():
        raise CalibrationError(f"no LOBSTER data at {path} (expected a zip, a directory or a message CSV)")
    try:
        data = read_lobster(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise CalibrationError(f"cannot read LOBSTER data at {path}: {error}") from error
    return target_from_data(data, name=path.name, start=start, end=end)
