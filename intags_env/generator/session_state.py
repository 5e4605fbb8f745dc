"""A generator session's state (see :mod:`.kernels`): a tuple of arrays whose scalars are the ``G_*`` slots,
and the step outcomes the session kernels return."""

from __future__ import annotations

import numpy as np

from ..exchange.types import MESSAGE_DTYPE
from ..world.layout import MAX_OPEN_ORDERS
from .spec import (
    FEATURE_NAMES,
    HISTORY,
    N_FIELDS,
    SIGN_WINDOW,
)

# --- the generator's scalars (``state[0]``) ----------------------------------------------------------
G_SLOT = 0  # the owner slot the next new order tries first
G_N_ORDERS = 1  # actions acted on this session
G_N_CAPPED = 2  # zero delays moved past the burst cap
G_LAST_DUE = 3  # due time of the last order placed (-1: none)
G_BURST = 4  # earlier own orders at that due time
G_RECENT_POS = 5  # ring of the last MAX_BURST due times: next slot, entries
G_RECENT_N = 6
G_ANCHOR = 7  # the last two-sided mid (ticks), and the records it has looked at
G_ANCHOR_SEEN = 8
G_SEEN = 9  # records fed to the features
G_N_PLANNED = 10  # orders of the current plan, and the next one to place
G_NEXT = 11
G_CLIPPED = 12  # decoder counters (see OrderDecoder)
G_NOOP_CANCELS = 13
G_INEXACT = 14
G_PARTIAL = 15
G_NOOP_MARKETS = 16
G_OWNER_LO = 17  # the generator's exchange owners: G_OWNER_LO .. + G_N_SLOTS - 1
G_N_SLOTS = 18
G_N_LEVELS = 19
G_MIN_PRICE = 20
G_BURST_CAP = 21  # the burst contract (background.BURST_CAP, MAX_BURST, RUNAWAY_SPAN_NS)
G_MAX_BURST = 22
G_RUNAWAY_NS = 23
G_SIZE = 24

# --- step outcomes (world statuses are 0..9) ---------------------------------------------------------
NEED_ACTION = 10  # no order planned: the history is current, the policy decides next
AT_LIMIT = 11  # the next order is due after the limit; the market is at the limit
IDLE = 12  # left alone this call
RUNAWAY = 13  # MAX_BURST orders within RUNAWAY_SPAN_NS
CAPACITY = 14  # every owner slot holds MAX_OPEN_ORDERS live orders
WINDOW_FULL = 15  # the feature window must grow (Python), then call again
PLAN_FULL = 16  # an action of more orders than the plan arrays hold (Python makes room)

_N_FEATURES = len(FEATURE_NAMES)
_SIGN_SLOTS = SIGN_WINDOW + 3


def new_state(
    owner_lo: int,
    n_slots: int,
    n_levels: int,
    min_price: int,
    burst_cap: int,
    max_burst: int,
    runaway_ns: int,
    max_plan: int = 1,
) -> tuple:
    """A session's generator state: scalars, the plan (orders, due times), the ring of recent due times,
    the feature history and the feature tracker's arrays, and the decoder's scratch."""
    capacity = n_slots * MAX_OPEN_ORDERS + 1
    gi = np.zeros(G_SIZE, np.int64)
    gi[G_OWNER_LO], gi[G_N_SLOTS], gi[G_N_LEVELS], gi[G_MIN_PRICE] = owner_lo, n_slots, n_levels, min_price
    gi[G_BURST_CAP], gi[G_MAX_BURST], gi[G_RUNAWAY_NS] = burst_cap, max_burst, runaway_ns
    return (
        gi,
        np.zeros((max_plan, N_FIELDS), np.int64),  # planned orders
        np.zeros(max_plan, np.int64),  # their due times
        np.zeros(max_burst, np.int64),  # recent due times
        np.zeros((HISTORY, _N_FEATURES), np.float32),  # the last HISTORY states, oldest first
        np.zeros(_SIGN_SLOTS, np.int64),  # feature tracker: ring of signs, next slot, count, sum
        np.zeros(4, np.int64),  # feature tracker: window lo, hi, burst, previous time
        np.full(1, np.nan),  # feature tracker: carried mid
        np.empty(256, np.int64),  # feature window times
        np.empty(256, np.float64),  # feature window mids
        np.zeros(capacity, np.int64),  # decoder scratch: own levels (ticks behind), orders there
        np.zeros(capacity, np.int64),
        np.zeros(3, np.int64),  # decoder scratch: id, owner, remaining
        np.zeros(1, MESSAGE_DTYPE),  # the message being sent
    )


def reset_state(g: tuple, anchor: int) -> None:
    """The state of a session before its first order (``anchor``: the mid a book empty on both sides
    starts from)."""
    gi = g[0]
    keep = gi[G_OWNER_LO : G_MIN_PRICE + 1].copy(), gi[G_BURST_CAP : G_RUNAWAY_NS + 1].copy()
    gi[:] = 0
    gi[G_OWNER_LO : G_MIN_PRICE + 1], gi[G_BURST_CAP : G_RUNAWAY_NS + 1] = keep
    gi[G_LAST_DUE] = -1
    gi[G_ANCHOR] = anchor
    g[4][:] = 0
    g[5][:] = 0
    g[6][:] = 0
    g[6][2] = -1
    g[7][0] = np.nan


def grow_window(g: tuple, n: int) -> tuple:
    """``g`` with a feature window large enough for ``n`` more entries (live ones moved to the front)."""
    state, t, m = g[6], g[8], g[9]
    lo, hi = int(state[0]), int(state[1])
    live, capacity = hi - lo, len(t)
    while live + n > capacity // 2:
        capacity *= 2
    new_t, new_m = np.empty(capacity, np.int64), np.empty(capacity, np.float64)
    new_t[:live], new_m[:live] = t[lo:hi], m[lo:hi]
    state[0], state[1] = 0, live
    return (*g[:8], new_t, new_m, *g[10:])
