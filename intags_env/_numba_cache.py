"""Numba's on-disk kernel cache, keyed by the source of everything the kernels compile in.

Numba invalidates a cached kernel when the file that defines it changes, not when a file it calls into
or takes constants from does: after an edit to the agents (``world/agents/``) or to an array layout
(``world/layout.py``), the cached event loop (``world/loop.py``) would silently keep running the old code.
So the cache lives in a directory named after a hash of the exchange and world packages and of every
module with a Numba kernel: any edit there compiles afresh (about a minute and a half), and switching
back to a source already compiled reuses its cache.

The directory is ``$XDG_CACHE_HOME/intags_env/numba/<hash>`` (``~/.cache`` by default); ``NUMBA_CACHE_DIR``
set by the user wins, and an unwritable cache directory leaves Numba's default (``__pycache__``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_ALWAYS = ("exchange", "world")  # kernels and the constants (layouts, enums) they compile in


def kernel_source_hash() -> str:
    """A short hash of every source file whose change can change a compiled kernel."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        relative = path.relative_to(_PACKAGE)
        if relative.parts[0] in _ALWAYS or b"njit" in text:
            digest.update(relative.as_posix().encode() + b"\0" + text + b"\0")
    return digest.hexdigest()[:16]


def configure_numba_cache() -> Path | None:
    """Point Numba's cache at the directory of this source (before any kernel module is imported);
    returns it, or None when the user's ``NUMBA_CACHE_DIR`` or Numba's default stays in charge."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "intags_env" / "numba" / kernel_source_hash()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(target)  # read when numba is imported; worker processes inherit it
    notice = first_compile_notice(target)
    if notice:
        print(notice, file=sys.stderr, flush=True)
    numba = sys.modules.get("numba")
    if numba is not None:  # imported already: its config was read then
        numba.config.CACHE_DIR = str(target)
    return target


def first_compile_notice(cache_dir: Path) -> str | None:
    """The one-time word printed when ``cache_dir`` holds no compiled event loop for this checkout yet:
    the first run then sits for minutes in Numba's compiler, and a progress bar at 0 % with an ETA of hours
    says nothing about it. Numba files a source's kernels under a name of its folder's absolute path, so
    another checkout of the same source compiles afresh and is told so. Worker processes inherit
    ``NUMBA_CACHE_DIR`` and never reach this, so it prints once per run."""
    if any(world_cache_path(cache_dir).glob("*.nbi")):
        return None
    return (
        "intags-env: first run of this checkout: compiling the Numba kernels as they are first used "
        f"(1-4 minutes on 2 cores, once; cached in {cache_dir})"
    )


def world_cache_path(cache_dir: Path) -> Path:
    """Where Numba keeps the compiled world kernels (``world/loop.py``, the heaviest) under ``cache_dir``."""
    from numba.core.caching import UserProvidedCacheLocator

    return cache_dir / UserProvidedCacheLocator.get_suitable_cache_subpath(
        str(_PACKAGE / "world" / "loop.py")
    )
