"""The background agents' decisions, in Numba: what each type does when it acts.

An agent *wakes* (its own schedule), its query reaches the exchange one latency later and it *acts* on
the book as it is then; its orders reach the exchange two latencies after that (zero latency: all at
once). Cancels sent at the wake arrive just before the query, so they are applied when it acts.
Behaviour follows ABIDES' RMSC04 agents; each function's docstring states its rule.

The package holds one module per agent family (``noise``, ``value``, ``market_maker``, ``momentum``) and
what they share (``common``: sizes, scheduling, sending, cancelling); the event loop (``world/loop.py``)
calls the families' ``*_act`` kernels.
"""

from __future__ import annotations

from .common import cancel_all, flush, randint, sample_order_size, schedule_act, schedule_wake, send
from .market_maker import market_maker_act, market_maker_ladder
from .momentum import momentum_act
from .noise import noise_act
from .value import value_act

__all__ = [
    "cancel_all",
    "flush",
    "market_maker_act",
    "market_maker_ladder",
    "momentum_act",
    "noise_act",
    "randint",
    "sample_order_size",
    "schedule_act",
    "schedule_wake",
    "send",
    "value_act",
]
