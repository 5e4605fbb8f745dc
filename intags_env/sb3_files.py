"""Checking a saved Stable-Baselines3 model file before SB3 reads it (SB3's own errors for a damaged
file do not name the problem). Below every layer that loads models: the generator, the policy
benchmark and the CLI's checkpoints all check through here."""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["check_sb3_file"]


def check_sb3_file(path: str | Path, what: str = "Stable-Baselines3 model") -> Path:
    """``path`` if it holds a complete SB3 model: a zip archive whose members all pass their CRC check,
    with SB3's ``data`` and ``policy.pth`` in it. Else ``FileNotFoundError`` (no such file) or a
    ``ValueError`` naming the file and saying what is wrong with it.

    Why: SB3 itself reports a truncated or damaged file as a bare ``AssertionError: No data found in the
    saved file`` or "wasn't a zip-file", and a missing ``x.zip`` as a missing ``x.zip.zip`` (it retries
    with the suffix added)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    problem = None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            damaged = archive.testzip()
        missing = sorted({"data", "policy.pth"} - names)
        if damaged is not None:
            problem = f"its member {damaged} fails its CRC check"
        elif missing:
            problem = f"it lacks SB3's {' and '.join(missing)}"
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:  # zipfile raises all of these
        problem = f"not a zip archive ({err})"
    if problem is not None:
        raise ValueError(
            f"{path} is not a readable, complete {what} ({problem}): a truncated or damaged file (an "
            "interrupted save or copy) or not an SB3 model"
        )
    return path
