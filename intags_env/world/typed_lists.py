"""Typed-list operations as cached Numba functions.

Called from Python, a ``numba.typed.List`` compiles its append and setitem for each item type in every
new process (~4 s for the tuples of arrays the batch kernels take, measured); compiled here they are
cached on disk like the kernels, and a new process only loads them.
"""

from __future__ import annotations

from typing import Any

from numba import njit
from numba.typed import List

__all__ = ["append", "list_of", "set_item"]


@njit(cache=True)
def list_of(item: Any) -> List:  # pragma: no cover - compiled
    """A typed List holding ``item``."""
    items = List()
    items.append(item)
    return items


@njit(cache=True)
def append(items: List, item: Any) -> None:  # pragma: no cover - compiled
    items.append(item)


@njit(cache=True)
def set_item(items: List, i: int, item: Any) -> None:  # pragma: no cover - compiled
    items[i] = item
