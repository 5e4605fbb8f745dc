"""The generator's state features (:data:`~intags_env.generator.spec.FEATURE_NAMES`), from a record or live.

The world-agent generator is trained by behaviour cloning on a recorded market (a :class:`LobsterData`)
and then run inside a live market, so its state must be computed *identically* in both places. One
implementation serves both: :class:`FeatureTracker` consumes the message stream in chunks of any size
with bounded memory, and :func:`lobster_features` is that tracker fed a whole record in one chunk. The
per-message formulas are vectorised numpy, so a full trading day (~10^5-10^6 messages) takes seconds.

Row ``i`` of the features is the market state right after message ``i``: the book after it (row ``i`` of
``LobsterData.book``) and the messages ``0..i``. The definitions (see the comments of ``FEATURE_NAMES``):

* ``imbalance_l1`` / ``imbalance_l5``: ``(bid - ask) / (bid + ask)`` shares at the best 1 / 5 levels
  (fewer when the book has fewer levels); 0 when both are 0;
* ``log_volume_l1`` / ``log_volume_l5``: ``log1p(bid + ask)`` over the same levels;
* ``log_spread_ticks``: ``log1p((ask_px_1 - bid_px_1) / tick)`` when both sides have orders, else 0;
* ``sign_imbalance``: mean message sign over the last :data:`SIGN_WINDOW` messages (fewer at the start),
  see :func:`message_signs`;
* ``return_10s_bp`` / ``return_60s_bp``: ``1e4 * log(mid_i / mid_j) / 10`` where ``j`` is the last message
  at least 10 s (60 s) older than ``i`` and ``mid`` is the level-1 mid carried forward through one-sided
  books; 0 when there is no such ``j`` or a mid is still undefined;
* ``time_of_day``: ``(t - 09:30) / 6.5 h``;
* ``log_gap_s``: ``log10(seconds since the previous message + 1 us)`` (``-6`` for the first);
* ``log_burst``: ``log1p(k)`` with ``k`` the earlier messages at the same timestamp (0 for the first of a
  timestamp): a real stream's bursts end (at most ~40 messages), and without it a generator only
  sees "the last gap was 0" and cannot tell the 2nd message of a burst from the 500th;
* ``two_sided``: 1 when both sides have orders at level 1, else 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from intags_env.data.lobster import NS_PER_SECOND, LobsterData
from intags_env.generator.spec import FEATURE_NAMES, SIGN_WINDOW

__all__ = [
    "DEFAULT_STATE",
    "FeatureTracker",
    "lobster_features",
    "message_signs",
    "stack_history",
]

N_FEATURES = len(FEATURE_NAMES)
_COL = {name: k for k, name in enumerate(FEATURE_NAMES)}
C_IMBALANCE_L1, C_IMBALANCE_L5 = _COL["imbalance_l1"], _COL["imbalance_l5"]
C_VOLUME_L1, C_VOLUME_L5 = _COL["log_volume_l1"], _COL["log_volume_l5"]
C_SPREAD, C_TWO_SIDED, C_SIGN = _COL["log_spread_ticks"], _COL["two_sided"], _COL["sign_imbalance"]
C_RETURN_10S, C_RETURN_60S = _COL["return_10s_bp"], _COL["return_60s_bp"]
C_TIME, C_GAP, C_BURST = _COL["time_of_day"], _COL["log_gap_s"], _COL["log_burst"]
#: Book levels used by the ``_l5`` features.
FEATURE_LEVELS = 5
#: Return horizons (feature name -> seconds).
_RETURN_HORIZONS_S = {"return_10s_bp": 10, "return_60s_bp": 60}
_LONGEST_HORIZON_NS = max(_RETURN_HORIZONS_S.values()) * NS_PER_SECOND
_OPEN_NS = 34_200 * NS_PER_SECOND  # 09:30
_SESSION_NS = 6.5 * 3600 * NS_PER_SECOND  # 09:30-16:00
_GAP_FLOOR_S = 1e-6  # so the same timestamp (-6) stands apart from a 1 ms gap (-3)

#: The state before any message: all zeros (in particular ``two_sided = 0``). It is also the zero row that
#: :func:`stack_history` pads with, so "no market yet" looks the same in both places.
DEFAULT_STATE = np.zeros(N_FEATURES, dtype=np.float32)
DEFAULT_STATE.flags.writeable = False


def message_signs(types: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Order-flow sign of each message (+1 buy-side pressure, -1 sell-side), int64.

    A new resting order (type 1) counts as its own side (``+direction``); an execution (type 4) as its
    aggressor's side (``-direction``: the resting order's opposite); a cancel or delete (types 2, 3) as
    pressure away from its side (``-direction``); anything else (hidden executions, crosses, halts) as 0.
    """
    types = np.asarray(types)
    directions = np.asarray(directions, dtype=np.int64)
    signs = np.zeros(types.shape, dtype=np.int64)
    new = types == 1
    signs[new] = directions[new]
    away = (types == 2) | (types == 3) | (types == 4)
    signs[away] = -directions[away]
    return signs


def lobster_features(data: LobsterData) -> np.ndarray:
    """The state features after every message of ``data``: float32 array ``(len(data), len(FEATURE_NAMES))``.

    Row ``i`` uses book row ``i`` and messages ``0..i``. Computed by a fresh :class:`FeatureTracker` fed
    the whole record at once, so it is by construction what a live market produces message by message.
    """
    tracker = FeatureTracker(tick_size=data.tick_size)
    messages = data.messages
    return tracker.update(messages["time"], messages["type"], messages["direction"], data.book)


def stack_history(features: np.ndarray, history: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Stack each row with its ``history - 1`` predecessors: ``(N, F) -> (N, history * F)``, oldest first.

    Row ``i`` of the result is ``[f_{i-history+1}, ..., f_i]`` flattened, with zeros (the
    :data:`DEFAULT_STATE`) for indices before 0. This is the observation a policy sees, built here for
    behaviour cloning from a whole record at once.

    Args:
        features: ``(N, F)`` per-message states, e.g. from :func:`lobster_features`.
        history: number of states per observation (``spec.HISTORY``), at least 1.
        rows: optional indices of the rows wanted (default: all ``N``); ``-1`` (or any negative index)
            means "before the first message" and gives an all-zero observation.
    """
    if history < 1:
        raise ValueError(f"history must be at least 1, got {history}")
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-d (N, F), got shape {features.shape}")
    n, width = features.shape
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.size and rows.max() >= n:
        raise IndexError(f"row {rows.max()} outside 0..{n - 1}")
    out = np.zeros((len(rows), history, width), dtype=features.dtype)
    for back in range(history):
        source = rows - back
        valid = source >= 0
        out[valid, history - 1 - back] = features[source[valid]]
    return out.reshape(len(rows), history * width)


class FeatureTracker:
    """The state features of a live market, updated with the messages since the last update.

    Feed it the market's messages in order, in chunks of any size (empty chunks are fine), with the
    book after each message; :meth:`current` is then the feature vector after the last message, equal
    to ``lobster_features(data)[k]`` after ``data``'s first ``k + 1`` messages. Before any message it
    is :data:`DEFAULT_STATE` (all zeros).

    Memory is bounded: the last :data:`SIGN_WINDOW` message signs and the (time, mid) of the messages of
    the last 60 s (plus the one just before), and an update costs O(chunk) (amortised, plus a log-factor
    search), whatever the length of the market.
    """

    def __init__(self, tick_size: int = 100) -> None:
        """Args: tick_size: the price tick in LOBSTER price units (100 = one cent), for the spread."""
        if tick_size <= 0:
            raise ValueError(f"tick_size must be positive, got {tick_size}")
        self.tick_size = int(tick_size)
        self.reset()

    def reset(self) -> None:
        """Forget every message: back to the state before the market opens."""
        self._current = DEFAULT_STATE.copy()
        self._last_time: int | None = None
        self._last_mid = np.nan  # the carried-forward mid after the last message
        self._signs = np.zeros(SIGN_WINDOW + 3, dtype=np.int64)  # ring of the last signs; next, count, sum
        self._window = _TimeMidBuffer()
        self._n_messages = 0
        self._burst = 0  # earlier messages at the last message's timestamp

    @property
    def n_messages(self) -> int:
        """Messages seen since the last reset."""
        return self._n_messages

    def current(self) -> np.ndarray:
        """The feature vector after the last message given (float32, a copy); all zeros before any."""
        return self._current.copy()

    def update(
        self,
        times: np.ndarray,
        types: np.ndarray,
        directions: np.ndarray,
        book_rows: np.ndarray,
    ) -> np.ndarray:
        """Take the new messages since the last update; return their feature rows ``(n, F)`` float32.

        Args:
            times: ns after midnight, non-decreasing and not before the last message already given.
            types: LOBSTER message types.
            directions: +1 buy / -1 sell, the side of the order concerned.
            book_rows: ``(n, 4 * L)`` books after each message in LOBSTER's column order (any ``L >= 1``;
                only the first 5 levels are used). A single row may be given 1-d when ``n == 1``.
        """
        times = np.asarray(times, dtype=np.int64).reshape(-1)
        n = len(times)
        if n == 0:
            return np.zeros((0, N_FEATURES), dtype=np.float32)
        types = np.asarray(types).reshape(-1)
        directions = np.asarray(directions).reshape(-1)
        book = np.asarray(book_rows, dtype=np.int64).reshape(n, -1)
        if len(types) != n or len(directions) != n:
            raise ValueError(
                f"times, types and directions differ in length: {n}, {len(types)}, {len(directions)}"
            )
        if book.shape[1] < 4 or book.shape[1] % 4:
            raise ValueError(f"book rows must have 4 * levels columns, got {book.shape[1]}")
        previous = times[0] if self._last_time is None else self._last_time
        if times[0] < previous or (n > 1 and np.any(np.diff(times) < 0)):
            raise ValueError("message times must be non-decreasing across updates")

        self._window.reserve(n)
        window = self._window
        state = np.array(
            [window.lo, window.hi, self._burst if self._last_time is not None else -1, previous], np.int64
        )
        result = np.empty((n, N_FEATURES), dtype=np.float32)
        self._last_mid = _update(
            times,
            np.asarray(types, dtype=np.int64),
            np.asarray(directions, dtype=np.int64),
            book,
            self.tick_size,
            self._signs,
            state,
            self._last_mid,
            window.t,
            window.m,
            result,
        )
        window.lo, window.hi, self._burst = int(state[0]), int(state[1]), int(state[2])
        self._current = result[-1].copy()
        self._last_time = int(times[-1])
        self._n_messages += n
        return result


# --------------------------------------------------------------------------- per-message formulas
@njit(cache=True)
def _imbalance(bid: int, ask: int) -> float:
    total = bid + ask
    return (bid - ask) / max(total, 1) if total > 0 else 0.0


@njit(cache=True)
def _log_return_bp_per_10(now: float, then: float) -> float:
    """``1e4 * log(now / then) / 10`` (log-return in basis points, scaled by 1/10); 0 where undefined."""
    if np.isfinite(now) and np.isfinite(then) and now > 0 and then > 0:
        return 1e4 * np.log(now / then) / 10
    return 0.0


@njit(cache=True)
def _update(times, types, directions, book, tick_size, signs, state, last_mid, window_t, window_m, out):
    """The features of each message in turn (the module doc's definitions) into ``out``; returns the last
    carried mid. Carried between calls: ``signs`` (a ring of the last ``SIGN_WINDOW`` signs, then its
    next slot, count and sum), ``state`` (window lo and hi, the last message's burst or -1 before the
    first message, the previous message's time) and the (time, carried mid) window, whose capacity the
    caller has reserved. A message's return looks back to the last message at least the horizon older."""
    levels = min(book.shape[1] // 4, FEATURE_LEVELS)
    lo, hi, burst, previous = state[0], state[1], state[2], state[3]
    for i in range(len(times)):
        t = times[i]
        row = book[i]
        ask_1, bid_1 = row[1], row[3]
        ask_5, bid_5 = 0, 0
        for k in range(levels):
            ask_5 += row[4 * k + 1]
            bid_5 += row[4 * k + 3]
        out[i, C_IMBALANCE_L1] = _imbalance(bid_1, ask_1)
        out[i, C_IMBALANCE_L5] = _imbalance(bid_5, ask_5)
        out[i, C_VOLUME_L1] = np.log1p(float(bid_1 + ask_1))
        out[i, C_VOLUME_L5] = np.log1p(float(bid_5 + ask_5))
        two_sided = ask_1 > 0 and bid_1 > 0
        # dummy prices are +-9999999999, so these int64 sums and differences cannot overflow
        spread_ticks = max(row[0] - row[2], 0) / tick_size  # a crossed book (never valid) counts as 0
        out[i, C_SPREAD] = np.log1p(spread_ticks) if two_sided else 0.0
        out[i, C_TWO_SIDED] = 1.0 if two_sided else 0.0
        if two_sided:
            last_mid = (row[0] + row[2]) / 2.0  # the mid, carried forward through one-sided books

        kind, direction = types[i], directions[i]
        sign = direction if kind == 1 else (-direction if kind == 2 or kind == 3 or kind == 4 else 0)
        slot, count = signs[SIGN_WINDOW], signs[SIGN_WINDOW + 1]
        if count == SIGN_WINDOW:
            signs[SIGN_WINDOW + 2] -= signs[slot]
        else:
            count += 1
        signs[slot] = sign
        signs[SIGN_WINDOW + 2] += sign
        signs[SIGN_WINDOW] = (slot + 1) % SIGN_WINDOW
        signs[SIGN_WINDOW + 1] = count
        out[i, C_SIGN] = signs[SIGN_WINDOW + 2] / count

        window_t[hi] = t
        window_m[hi] = last_mid
        hi += 1
        for c, horizon in ((C_RETURN_10S, 10 * NS_PER_SECOND), (C_RETURN_60S, 60 * NS_PER_SECOND)):
            j = lo + np.searchsorted(window_t[lo:hi], t - horizon, side="right") - 1
            out[i, c] = _log_return_bp_per_10(last_mid, window_m[j]) if j >= lo else 0.0
        # drop what no later lookup can need: all before the last entry at or before t - 60 s
        last_old = np.searchsorted(window_t[lo:hi], t - _LONGEST_HORIZON_NS, side="right") - 1
        if last_old > 0:
            lo += last_old

        out[i, C_TIME] = (t - _OPEN_NS) / _SESSION_NS
        gap = t - previous
        out[i, C_GAP] = np.log10(gap / NS_PER_SECOND + _GAP_FLOOR_S)
        burst = burst + 1 if gap == 0 and burst >= 0 else 0
        out[i, C_BURST] = np.log1p(float(burst))
        previous = t
    state[0], state[1], state[2], state[3] = lo, hi, burst, previous
    return last_mid


class _TimeMidBuffer:
    """A growable FIFO of (time, carried mid) pairs: ``t[lo:hi]``, ``m[lo:hi]``. The kernel appends at
    ``hi`` and drops from the front by moving ``lo``; :meth:`reserve` makes room first."""

    def __init__(self, capacity: int = 256) -> None:
        self.t = np.empty(capacity, dtype=np.int64)
        self.m = np.empty(capacity, dtype=np.float64)
        self.lo = 0
        self.hi = 0

    def __len__(self) -> int:
        return self.hi - self.lo

    @property
    def times(self) -> np.ndarray:
        """The live entries' times (a view)."""
        return self.t[self.lo : self.hi]

    def reserve(self, n: int) -> None:
        """Room for ``n`` more entries at the end (live entries move to the front, capacity doubles as
        needed: amortised O(1) per entry)."""
        if self.hi + n <= len(self.t):
            return
        live = len(self)
        capacity = len(self.t)
        while live + n > capacity // 2:
            capacity *= 2
        new_t = np.empty(capacity, dtype=np.int64)
        new_m = np.empty(capacity, dtype=np.float64)
        new_t[:live] = self.t[self.lo : self.hi]
        new_m[:live] = self.m[self.lo : self.hi]
        self.t, self.m, self.lo, self.hi = new_t, new_m, 0, live
