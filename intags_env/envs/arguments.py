"""Checks of the environments' constructor arguments: a wrong value is refused at once, by name.

Why not plain comparisons: ``nan < 0`` is False, so NaN slipped through ``if x < 0`` checks and turned
observations into NaN (or crashed at the horizon); ``inf`` seconds overflowed later as integer
nanoseconds; ``True`` is an ``int`` to Python and was taken as a quantity of 1.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

__all__ = ["integer_arg", "real_arg"]


def real_arg(name: str, value: Any, *, minimum: float = 0.0, strict: bool = False) -> float:
    """``value`` as a float if it is a finite real number ``>= minimum`` (``> minimum`` if ``strict``);
    else a ``ValueError`` (``TypeError`` for a non-number or a bool) naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    bound_ok = x > minimum if strict else x >= minimum
    if not math.isfinite(x) or not bound_ok:
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {relation} {minimum:g}, got {value!r}")
    return x


def integer_arg(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer (``int`` or NumPy integer, not a bool) ``>= minimum``;
    else a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def positive_int(text: str) -> int:
    """argparse type of a count (episodes, seeds, workers, ...): an integer >= 1; argparse names the option
    in its error (``--workers 0`` would otherwise run, ``--episodes 0`` fail late and obscurely)."""
    import argparse

    try:
        return integer_arg("count", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer (at least 1), got {text!r}") from None
