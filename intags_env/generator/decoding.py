"""The decoder's kernels (conventions: :mod:`.decoder`): draw a bucket's size or delay, price a limit
order, size a market order, find the generator's own orders and choose the one a cancel names."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..exchange.book import (
    BEST_ASK,
    BEST_BID,
    L_HEAD,
    L_QTY,
    N_ASK_ORDERS,
    N_BID_ORDERS,
    N_LEVELS,
    O_ID,
    O_NEXT,
    O_OWNER,
    O_REMAINING,
)
from ..exchange.kernels import next_ask_level, next_bid_level
from ..exchange.types import MsgKind
from .session_state import (
    G_CLIPPED,
    G_INEXACT,
    G_N_SLOTS,
    G_NOOP_CANCELS,
    G_NOOP_MARKETS,
    G_OWNER_LO,
    G_PARTIAL,
)
from .spec import (
    CANCEL_LEVEL_HI,
    CANCEL_LEVEL_LO,
    DELAY_EDGES_NS,
    FAR_TICKS,
    LIMIT_PRICE_HI,
    LIMIT_PRICE_LO,
    LIMIT_PRICE_REF,
    N_TOUCH_FRACTIONS,
    OPPOSITE,
    SIZE_EDGES,
    SWEEP_TOUCH,
    X_OFFSET,
    X_QTY,
    X_QUEUE,
)

_ONE_SIDED_SPREAD = 16  # the spread the open inside buckets draw in when the opposite side is empty
_OPEN = 10**8  # an upper bound at or above this is open-ended
_CANCEL, _REDUCE = int(MsgKind.CANCEL), int(MsgKind.REDUCE)


# --- draws --------------------------------------------------------------------------------------------
@njit(cache=True)
def draw_qty(rng, bucket):  # pragma: no cover - compiled
    """Shares drawn uniformly in a ``SIZE_EDGES`` bucket."""
    return rng.integers(SIZE_EDGES[bucket], SIZE_EDGES[bucket + 1])


@njit(cache=True)
def draw_delay_ns(rng, bucket):  # pragma: no cover - compiled
    """Nanoseconds drawn log-uniformly in a ``DELAY_EDGES_NS`` bucket (bucket 0: exactly 0)."""
    if bucket == 0:
        return 0
    lo, hi = np.log(DELAY_EDGES_NS[bucket]), np.log(DELAY_EDGES_NS[bucket + 1])
    return int(np.exp(rng.uniform(lo, hi)))


# --- the decoder (see decoder.py for the conventions) -------------------------------------------------
@njit(cache=True)
def limit_price(sc, side, bucket, offset, has_offset, rng, anchor, n_levels, gi):  # pragma: no cover
    """The tick of a limit order of ``side`` (+1 buy) in price ``bucket`` (``offset`` exact when
    ``has_offset``, else drawn in the bucket); never crossing (``gi[G_CLIPPED]`` counts the moved)."""
    bid_ok, ask_ok = sc[N_BID_ORDERS] > 0, sc[N_ASK_ORDERS] > 0
    bid, ask = sc[BEST_BID], sc[BEST_ASK]
    vbid, vask, vbid_ok, vask_ok = bid, ask, bid_ok, ask_ok
    if not bid_ok and not ask_ok:  # the virtual touches of spec.virtual_touches
        vbid, vask, vbid_ok, vask_ok = anchor, anchor + 1, True, True
    if side > 0:
        own, own_ok, opp, opp_ok = vbid, vbid_ok, vask, vask_ok
    else:
        own, own_ok, opp, opp_ok = vask, vask_ok, vbid, vbid_ok
    two_sided = True
    if not own_ok:
        own = opp - side
    elif not opp_ok:
        opp = own + side * (1 + FAR_TICKS)
        two_sided = False
    ref = LIMIT_PRICE_REF[bucket]
    lo, hi = LIMIT_PRICE_LO[bucket], LIMIT_PRICE_HI[bucket]
    spread = abs(opp - own) if two_sided else _ONE_SIDED_SPREAD
    if not has_offset:
        if ref == OPPOSITE:
            if hi >= _OPEN:
                hi = max(lo, (spread - 1) // 2)
        elif lo <= -_OPEN:  # own, 8 or more inside: up to the middle of the spread
            lo = min(hi, -(spread // 2))
        offset = rng.integers(lo, hi + 1)
    if ref == OPPOSITE and two_sided:
        price = opp - side * offset
    elif ref == OPPOSITE:  # no opposite side: so many ticks better than the own touch
        price = own + side * offset
    else:
        price = own - side * offset
    if side > 0 and ask_ok and price >= ask:
        price = ask - 1
        gi[G_CLIPPED] += 1
    elif side < 0 and bid_ok and price <= bid:
        price = bid + 1
        gi[G_CLIPPED] += 1
    if price < 0 or price >= n_levels:
        price = min(max(price, 0), n_levels - 1)
        gi[G_CLIPPED] += 1
    return price


@njit(cache=True)
def market_qty(sc, lv, side, bucket, has_exact, exact_qty, rng, gi):  # pragma: no cover - compiled
    """The shares of a market order of ``side`` in ``market_size`` ``bucket``: 0 (``G_NOOP_MARKETS``)
    into an empty opposite side."""
    if has_exact:
        return exact_qty
    if (side > 0 and sc[N_ASK_ORDERS] == 0) or (side < 0 and sc[N_BID_ORDERS] == 0):
        gi[G_NOOP_MARKETS] += 1
        return 0
    touch = lv[sc[BEST_ASK], L_QTY] if side > 0 else lv[sc[BEST_BID], L_QTY]
    if bucket == SWEEP_TOUCH:
        return touch
    if bucket > SWEEP_TOUCH:
        return touch + draw_qty(rng, bucket - SWEEP_TOUCH - 1)
    lo, hi = bucket / N_TOUCH_FRACTIONS, (bucket + 1) / N_TOUCH_FRACTIONS
    qty = int(np.ceil(rng.uniform(lo, hi) * touch))
    return min(max(qty, 1), max(touch - 1, 1))  # a partial take: at least one share, not the whole


@njit(cache=True)
def own_levels(sc, lv, od, bk, side, owner_lo, owner_hi, out_behind, out_count):  # pragma: no cover
    """The levels of ``side`` holding orders of owners ``owner_lo..owner_hi - 1``, best first: ticks
    behind the touch and the number of such orders at each; returns how many levels."""
    found = 0
    if side > 0:
        if sc[N_BID_ORDERS] == 0:
            return 0
        touch = sc[BEST_BID]
        level = touch
        while level >= 0 and found < out_behind.shape[0]:
            k = _count_own(lv, od, level, owner_lo, owner_hi)
            if k > 0:
                out_behind[found] = touch - level
                out_count[found] = k
                found += 1
            level = next_bid_level(sc, lv, bk, level - 1)
    else:
        if sc[N_ASK_ORDERS] == 0:
            return 0
        touch = sc[BEST_ASK]
        level = touch
        n_levels = sc[N_LEVELS]
        while level < n_levels and found < out_behind.shape[0]:
            k = _count_own(lv, od, level, owner_lo, owner_hi)
            if k > 0:
                out_behind[found] = level - touch
                out_count[found] = k
                found += 1
            level = next_ask_level(sc, lv, bk, level + 1)
    return found


@njit(cache=True)
def _count_own(lv, od, level, owner_lo, owner_hi):  # pragma: no cover - compiled
    slot = lv[level, L_HEAD]
    k = 0
    while slot >= 0:
        owner = od[slot, O_OWNER]
        if owner_lo <= owner < owner_hi:
            k += 1
        slot = od[slot, O_NEXT]
    return k


@njit(cache=True)
def own_order_at(lv, od, level, owner_lo, owner_hi, index, out):  # pragma: no cover - compiled
    """The ``index``-th own order (front first) at ``level``: writes id, owner, remaining to ``out``;
    returns False when there are not that many."""
    slot = lv[level, L_HEAD]
    k = 0
    while slot >= 0:
        owner = od[slot, O_OWNER]
        if owner_lo <= owner < owner_hi:
            if k == index:
                out[0] = od[slot, O_ID]
                out[1] = owner
                out[2] = od[slot, O_REMAINING]
                return True
            k += 1
        slot = od[slot, O_NEXT]
    return False


@njit(cache=True)
def _queue_index(bucket, count, rng):  # pragma: no cover - compiled
    """The queue index (front first) a queue bucket names among ``count`` own orders at a level."""
    if bucket <= 2:
        return max(count - 1 - bucket, 0)
    if bucket <= 5:
        return min(bucket - 3, count - 1)
    if count >= 7:
        return rng.integers(3, count - 3)
    return rng.integers(0, count)


@njit(cache=True)
def cancel(sc, lv, bk, od, side, fields, has_exact, exact, rng, gi, behind, count, chosen_order):
    """The cancel of one own order of ``side`` named by ``fields`` (level, queue, amount buckets) or by
    ``exact``: returns (kind, order id, owner, shares to remove); kind -1 when it names none. ``behind``,
    ``count`` and ``chosen_order`` are scratch."""  # pragma: no cover - compiled
    lo_owner = gi[G_OWNER_LO]
    hi_owner = lo_owner + gi[G_N_SLOTS]
    n = own_levels(sc, lv, od, bk, side, lo_owner, hi_owner, behind, count)
    if n == 0:
        gi[G_NOOP_CANCELS] += 1
        return -1, 0, -1, 0
    touch = sc[BEST_BID] if side > 0 else sc[BEST_ASK]
    chosen, index, named = -1, 0, False
    if has_exact:
        hit = -1
        for j in range(n):
            if behind[j] == exact[X_OFFSET]:
                hit = j
                break
        if hit >= 0 and exact[X_QUEUE] < count[hit]:
            chosen, index, named = hit, exact[X_QUEUE], True
        else:
            gi[G_INEXACT] += 1
    if chosen < 0:
        lo, hi = CANCEL_LEVEL_LO[fields[0]], CANCEL_LEVEL_HI[fields[0]]
        inside = 0
        for j in range(n):
            if lo <= behind[j] <= hi:
                inside += 1
        if inside == 0:
            gi[G_NOOP_CANCELS] += 1
            return -1, 0, -1, 0
        pick = rng.integers(0, inside)
        for j in range(n):
            if lo <= behind[j] <= hi:
                if pick == 0:
                    chosen = j
                    break
                pick -= 1
        index = _queue_index(fields[1], count[chosen], rng)
    level = touch - behind[chosen] if side > 0 else touch + behind[chosen]
    own_order_at(lv, od, level, lo_owner, hi_owner, index, chosen_order)
    if named:
        amount = exact[X_QTY]
    else:
        amount = 0 if fields[2] == 0 else draw_qty(rng, fields[2] - 1)
    if amount >= chosen_order[2]:
        gi[G_PARTIAL] += 1
        amount = 0
    if amount == 0:
        return _CANCEL, chosen_order[0], chosen_order[1], 0
    return _REDUCE, chosen_order[0], chosen_order[1], amount
