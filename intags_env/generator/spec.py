"""What a world-agent generator sees and does: its state features and its order action.

The **action** is one order, factorised by type: the ``type`` field first, then the fields of that type
only (``FIELDS_OF_TYPE``); the other types' fields are ignored (by the decoder, by the cloning loss and
by a policy's sampler). A cancel's level, say, therefore follows the cancels' distribution, not the
limits', and a market order has an inter-arrival time of its own. ``ACTION_NVEC`` holds all 13 fields
side by side, an SB3 ``MultiDiscrete`` action:

==================  =================================================================================
field               values
==================  =================================================================================
type                0 limit, 1 market, 2 cancel
limit_side          0 buy, 1 sell
limit_price         ``LIMIT_PRICE``: inside the spread by 1, 2, 3, 4-7, 8+ ticks from the own touch or
                    from the opposite touch (the nearer; the opposite one at equal distance), at the own
                    touch, 1..10 ticks behind it exactly, then wider
                    buckets out to 200 ticks (a limit order never crosses: a crossing order is a market
                    order followed by the limit order of its unfilled rest)
limit_size          ``SIZE_EDGES`` bucket, shares (round lots 100, 200, 300, 1000 exact)
limit_delay         ``DELAY_EDGES_NS`` bucket: time from the previous message; bucket 0 is *exactly 0*
                    (the same timestamp: two thirds of a real stream's messages)
market_side         0 buy, 1 sell (the aggressor's side)
market_size         relative to the shares resting at the opposite touch (``market_size_bucket``): a
                    tenth of them (0: up to 10%, ..., 9: 90% to not quite all), exactly all of them
                    (``SWEEP_TOUCH``), or all of them and ``SIZE_EDGES`` bucket k more
                    (``SWEEP_TOUCH + 1 + k``)
market_delay        ``DELAY_EDGES_NS`` bucket
cancel_side         the side of the order to cancel
cancel_level        ``CANCEL_LEVEL``: ticks behind the own touch, 0..10 exactly, then wider buckets
cancel_queue        which own order at that price: the newest, 2nd or 3rd newest, the oldest, 2nd or
                    3rd oldest, or one in between (``QUEUE_NAMES``)
cancel_amount       0 the whole order; k > 0 a partial cancel of ``SIZE_EDGES`` bucket k - 1 shares
cancel_delay        ``DELAY_EDGES_NS`` bucket
==================  =================================================================================

Why a market order's size is relative to the touch: 44% of a real stream's market orders end on an
order boundary and a third take exactly the touch. A size in shares, drawn inside its bucket, leaves
remnants of orders the real stream filled whole (nobody cancels them: the depth at the touch doubles
over ten minutes of open-loop replay) or eats into the next level; a fraction of the touch does neither.
Measured on 20 held-out ``rmsc04`` windows replayed in buckets: KS mean 0.098 -> 0.019 (L1 depth 518 ->
218 shares, real 210), with the tie of an inside price given to the opposite touch (a market maker
refilling a swept touch quotes off the other side) spread KS 0.057 -> 0.020.

A bucket is the policy's choice; the exact value inside it (ticks, shares, nanoseconds, queue index) is
drawn by the decoder with the session's seeded generator — or given exactly (``EXACT_COLUMNS``), which is
how an encoded real stream replays losslessly (:mod:`.orderstream` encodes, :mod:`.background` decodes).

The **state** is ``FEATURE_NAMES`` (after Coletta et al.'s world agent), computed after each message of
the market, from the book (5 levels) and the recent messages; the observation stacks the last
``HISTORY`` states. :mod:`intags_env.generator.features` computes them identically from a LOBSTER
record (behaviour cloning) and from a live market.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTION_NVEC",
    "BUY",
    "CANCEL",
    "CANCEL_LEVEL_LO",
    "DELAY_EDGES_NS",
    "EXACT_COLUMNS",
    "FEATURE_NAMES",
    "FIELDS_OF_TYPE",
    "FIELD_MASK",
    "FIELD_NAMES",
    "HISTORY",
    "LIMIT",
    "LIMIT_PRICE_LO",
    "LIMIT_PRICE_REF",
    "MARKET",
    "N_FIELDS",
    "QUEUE_NAMES",
    "SELL",
    "SIZE_EDGES",
    "SWEEP_TOUCH",
    "bucket_of",
    "cancel_level_bucket",
    "delay_bucket",
    "describe",
    "virtual_touches",
    "limit_price_bucket",
    "market_size_bucket",
    "queue_bucket",
]

LIMIT, MARKET, CANCEL = 0, 1, 2
BUY, SELL = 0, 1
TYPE_NAMES = ("limit", "market", "cancel")

FIELD_NAMES = (
    "type",
    "limit_side",
    "limit_price",
    "limit_size",
    "limit_delay",
    "market_side",
    "market_size",
    "market_delay",
    "cancel_side",
    "cancel_level",
    "cancel_queue",
    "cancel_amount",
    "cancel_delay",
)
N_FIELDS = len(FIELD_NAMES)
F = {name: i for i, name in enumerate(FIELD_NAMES)}

#: The fields each order type uses, in the order (side, ..., delay); ``FIELDS_OF_TYPE[t][0]`` is the side.
FIELDS_OF_TYPE = {
    LIMIT: (F["limit_side"], F["limit_price"], F["limit_size"], F["limit_delay"]),
    MARKET: (F["market_side"], F["market_size"], F["market_delay"]),
    CANCEL: (F["cancel_side"], F["cancel_level"], F["cancel_queue"], F["cancel_amount"], F["cancel_delay"]),
}
SIDE_FIELD = {t: fields[0] for t, fields in FIELDS_OF_TYPE.items()}
DELAY_FIELD = {t: fields[-1] for t, fields in FIELDS_OF_TYPE.items()}

#: ``(3, N_FIELDS)`` bool: the fields an order of each type uses (the type field always).
FIELD_MASK = np.zeros((3, N_FIELDS), dtype=bool)
for _t, _fields in FIELDS_OF_TYPE.items():
    FIELD_MASK[_t, 0] = True
    FIELD_MASK[_t, list(_fields)] = True

# --- limit prices ---------------------------------------------------------------------------------
OWN, OPPOSITE = 0, 1
_INSIDE = [(1, 1), (2, 2), (3, 3), (4, 7), (8, 10**9)]  # ticks inside, from the reference touch
_BEHIND = [(k, k) for k in range(11)] + [
    (11, 15),
    (16, 20),
    (21, 30),
    (31, 40),
    (41, 50),
    (51, 70),
    (71, 100),
    (101, 200),
]
#: Each limit-price bucket's reference touch (``OWN`` / ``OPPOSITE``) and inclusive range of the
#: offset from it in ticks: for ``OWN`` the ticks *behind* the own touch (negative: improving it),
#: for ``OPPOSITE`` the ticks inside from the opposite touch (>= 1). The last behind bucket is open.
LIMIT_PRICE_REF = np.array([OWN] * 5 + [OWN] * len(_BEHIND) + [OPPOSITE] * 5)
LIMIT_PRICE_LO = np.array([-hi for _, hi in _INSIDE] + [lo for lo, _ in _BEHIND] + [lo for lo, _ in _INSIDE])
LIMIT_PRICE_HI = np.array([-lo for lo, _ in _INSIDE] + [hi for _, hi in _BEHIND] + [hi for _, hi in _INSIDE])
_AT_TOUCH = 5  # the bucket "at the own touch"

# --- cancels --------------------------------------------------------------------------------------
#: Ticks behind the own touch per cancel-level bucket, inclusive ranges (the last open).
CANCEL_LEVEL_LO = np.array([lo for lo, _ in _BEHIND])
CANCEL_LEVEL_HI = np.array([hi for _, hi in _BEHIND[:-1]] + [10**9])
QUEUE_NAMES = ("newest", "2nd newest", "3rd newest", "oldest", "2nd oldest", "3rd oldest", "between")

# --- sizes and delays -----------------------------------------------------------------------------
#: Shares per size bucket: ``[lo, hi)``; the last bucket's upper edge bounds what the decoder draws.
SIZE_EDGES = np.array(
    [1, 2, 5, 10, 15, 20, 30, 40, 50, 60, 80, 100, 101, 150, 200, 201, 300, 301, 500, 1000, 1001, 3001]
)
#: Nanoseconds per inter-arrival bucket: ``[lo, hi)``; bucket 0 is exactly 0 (the same timestamp).
DELAY_EDGES_NS = np.array(
    [0, 1, 10_000, 100_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000]
    + [int(s * 1e9) for s in (0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0, 60.0)]
)
N_SIZES = len(SIZE_EDGES) - 1
N_DELAYS = len(DELAY_EDGES_NS) - 1
#: Market-order sizes below the whole touch, in tenths of the shares resting there.
N_TOUCH_FRACTIONS = 10
#: The ``market_size`` of a market order taking exactly the opposite touch's resting shares; the values
#: above it take the touch and ``SIZE_EDGES`` bucket ``value - SWEEP_TOUCH - 1`` shares more.
SWEEP_TOUCH = N_TOUCH_FRACTIONS
N_MARKET_SIZES = N_TOUCH_FRACTIONS + 1 + N_SIZES

ACTION_NVEC = np.array(
    [
        3,  # type
        2,
        len(LIMIT_PRICE_REF),
        N_SIZES,
        N_DELAYS,  # limit
        2,
        N_MARKET_SIZES,
        N_DELAYS,  # market
        2,
        len(CANCEL_LEVEL_LO),
        len(QUEUE_NAMES),
        1 + N_SIZES,
        N_DELAYS,  # cancel
    ]
)

#: Columns of an order's exact values (an ``(A, 4)`` int64 array beside the actions): the price offset
#: from the bucket's reference touch (limits) or the ticks behind the own touch (cancels); the shares
#: (limits, markets — a market order's shares, whatever its bucket; for a cancel the shares removed,
#: 0 = the whole order); the cancelled order's queue
#: index among the own orders at its price, front (oldest) first; the delay in ns.
EXACT_COLUMNS = ("offset_ticks", "qty", "queue_index", "delay_ns")
X_OFFSET, X_QTY, X_QUEUE, X_DELAY = range(4)

FEATURE_NAMES = (
    "imbalance_l1",  # (bid - ask) / (bid + ask) volume at the best level
    "imbalance_l5",  # the same over the best 5 levels
    "log_volume_l1",  # log1p(bid + ask volume at the best level)
    "log_volume_l5",  # log1p(bid + ask volume over 5 levels)
    "log_spread_ticks",  # log1p(spread in ticks); 0 with a one-sided book
    "sign_imbalance",  # mean order sign over the last SIGN_WINDOW messages (buy-side pressure > 0)
    "return_10s_bp",  # mid log-return over the last 10 s, basis points / 10
    "return_60s_bp",  # over the last 60 s, basis points / 10
    "time_of_day",  # (t - 09:30) / 6.5 h
    "log_gap_s",  # log10(seconds since the previous message + 1 us): -6 for the same timestamp
    "log_burst",  # log1p(earlier messages at this message's timestamp): how long the burst has run
    "two_sided",  # 1 when both sides have orders
)
HISTORY = 4
SIGN_WINDOW = 50


def bucket_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bucket index of each value for ``[lo, hi)`` edges (below the first edge: 0, at or above the last:
    the last bucket)."""
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def delay_bucket(delay_ns: np.ndarray) -> np.ndarray:
    """The inter-arrival bucket of each delay (ns)."""
    return bucket_of(np.maximum(np.asarray(delay_ns, dtype=np.int64), 0), DELAY_EDGES_NS)


def limit_price_bucket(behind_own: np.ndarray, inside_from_opposite: np.ndarray) -> np.ndarray:
    """The limit-price bucket of orders ``behind_own`` ticks behind the own touch (negative: inside the
    spread) and ``inside_from_opposite`` ticks from the opposite touch (used for inside prices only;
    a huge value when the opposite side is empty). Inside prices take the nearer touch as reference
    (the opposite one on a tie: a one-tick spread refilled after a sweep stays one tick in a wider
    spread)."""
    behind = np.asarray(behind_own, dtype=np.int64)
    opposite = np.asarray(inside_from_opposite, dtype=np.int64)
    inside = behind < 0
    own_ref = inside & (-behind < opposite)
    out = np.empty(behind.shape, np.int64)
    # behind or at the touch: bucket _AT_TOUCH + index among _BEHIND
    behind_lo = LIMIT_PRICE_LO[_AT_TOUCH : _AT_TOUCH + len(_BEHIND)]
    out[~inside] = _AT_TOUCH + np.searchsorted(behind_lo, behind[~inside], side="right") - 1
    inside_lo = np.array([lo for lo, _ in _INSIDE])
    out[own_ref] = np.searchsorted(inside_lo, -behind[own_ref], side="right") - 1
    opp = inside & ~own_ref
    out[opp] = _AT_TOUCH + len(_BEHIND) + np.searchsorted(inside_lo, opposite[opp], side="right") - 1
    return out


def market_size_bucket(qty: np.ndarray, touch_qty: np.ndarray) -> np.ndarray:
    """The ``market_size`` of market orders of ``qty`` shares against ``touch_qty`` shares resting at the
    opposite touch (> 0): the tenth of the touch below it, ``SWEEP_TOUCH``, or above it by the extra
    shares' ``SIZE_EDGES`` bucket."""
    qty = np.asarray(qty, dtype=np.int64)
    touch = np.asarray(touch_qty, dtype=np.int64)
    if np.any(touch <= 0) or np.any(qty <= 0):
        raise ValueError("market_size_bucket needs positive sizes and a non-empty opposite touch")
    tenth = np.ceil(qty * N_TOUCH_FRACTIONS / touch).astype(np.int64) - 1
    out = np.where(qty < touch, np.minimum(tenth, N_TOUCH_FRACTIONS - 1), SWEEP_TOUCH)
    extra = qty > touch
    out[extra] = SWEEP_TOUCH + 1 + bucket_of(qty[extra] - touch[extra], SIZE_EDGES)
    return out


def cancel_level_bucket(behind_own: np.ndarray) -> np.ndarray:
    """The cancel-level bucket of orders ``behind_own`` (>= 0) ticks behind the own touch."""
    return np.searchsorted(CANCEL_LEVEL_LO, np.asarray(behind_own, dtype=np.int64), side="right") - 1


def queue_bucket(index: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The queue bucket of the order at ``index`` (front first) among ``count`` own orders at its price:
    newest / 2nd / 3rd newest first, then oldest / 2nd / 3rd oldest, else "between"."""
    index = np.asarray(index, dtype=np.int64)
    from_back = np.asarray(count, dtype=np.int64) - 1 - index
    return np.where(from_back <= 2, from_back, np.where(index <= 2, 3 + index, 6)).astype(np.int64)


#: Ticks to the opposite touch when the opposite side is empty (inside prices then measure from the own one).
FAR_TICKS = 10**9


def virtual_touches(buy: bool, bid: int | None, ask: int | None, anchor: int) -> tuple[int, int, bool]:
    """The own and the opposite touch a limit price of a buy (``buy``) or sell is measured from, and
    whether the opposite side has orders. An empty own side is taken as one tick off the opposite
    touch, an empty opposite side as ``FAR_TICKS`` away, a book empty on both sides as a one-tick
    spread above ``anchor`` (the last two-sided mid). The encoder and the decoder share this."""
    if bid is None and ask is None:
        bid, ask = anchor, anchor + 1
    own, opp = (bid, ask) if buy else (ask, bid)
    step = 1 if buy else -1  # towards the asks
    if own is None:
        return opp - step, opp, True
    if opp is None:
        return own, own + step * (1 + FAR_TICKS), False
    return own, opp, True


def describe(action: np.ndarray) -> str:
    """A readable form of one order action (for error messages and reports)."""
    a = np.asarray(action).reshape(-1)
    kind = int(a[0])
    if len(a) != N_FIELDS:
        return f"{len(a)} fields, expected {N_FIELDS}"
    if kind not in FIELDS_OF_TYPE:
        return f"invalid type {kind}"
    parts = [TYPE_NAMES[kind]] + [f"{FIELD_NAMES[i]}={int(a[i])}" for i in FIELDS_OF_TYPE[kind]]
    return " ".join(parts)
