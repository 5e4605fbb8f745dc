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
        self._signs = np.zeros(0, dtype=np.int64)  # the last <= SIGN_WINDOW signs
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

        out = np.empty((n, N_FEATURES), dtype=np.float64)
        mid, two_sided = _book_features(book, self.tick_size, out)

        signs = message_signs(types, directions)
        combined = np.concatenate([self._signs, signs])
        out[:, _COL["sign_imbalance"]] = _window_means(combined, n)
        self._signs = combined[-SIGN_WINDOW:]

        carried = _carry_forward(mid, self._last_mid)
        self._window.extend(times, carried)
        window_times, window_mids = self._window.times, self._window.mids
        for name, seconds in _RETURN_HORIZONS_S.items():
            j = np.searchsorted(window_times, times - seconds * NS_PER_SECOND, side="right") - 1
            then = np.where(j >= 0, window_mids[np.maximum(j, 0)], np.nan)
            out[:, _COL[name]] = _log_return_bp_per_10(carried, then)
        self._window.drop_before(times[-1] - _LONGEST_HORIZON_NS)

        out[:, _COL["time_of_day"]] = (times - _OPEN_NS) / _SESSION_NS
        gaps_ns = np.diff(times, prepend=previous)
        out[:, _COL["log_gap_s"]] = np.log10(gaps_ns / NS_PER_SECOND + _GAP_FLOOR_S)
        burst = _burst_lengths(gaps_ns == 0, self._burst if self._last_time is not None else -1)
        out[:, _COL["log_burst"]] = np.log1p(burst)
        out[:, _COL["two_sided"]] = two_sided

        result = out.astype(np.float32)
        self._current = result[-1].copy()
        self._last_time = int(times[-1])
        self._last_mid = float(carried[-1])
        self._n_messages += n
        self._burst = int(burst[-1])
        return result


# --------------------------------------------------------------------------- per-message formulas
def _burst_lengths(same_time: np.ndarray, carried: int) -> np.ndarray:
    """For each message, the earlier messages at its timestamp: ``same_time[i]`` says message ``i``
    shares the previous one's time, ``carried`` is the count of the message before the chunk (-1: none,
    the chunk starts the market)."""
    n = len(same_time)
    idx = np.arange(n)
    same = same_time.copy()
    if carried < 0:
        same[0] = False
    starts = np.maximum.accumulate(np.where(same, -1, idx))  # the last message starting a timestamp
    return np.where(starts >= 0, idx - starts, idx + 1 + carried).astype(np.int64)


def _book_features(book: np.ndarray, tick_size: int, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill the book columns of ``out``; return the level-1 mid (NaN if one-sided) and the two-sided flag."""
    levels = min(book.shape[1] // 4, FEATURE_LEVELS)
    ask_1, bid_1 = book[:, 1], book[:, 3]
    ask_5 = book[:, 1 : 4 * levels : 4].sum(axis=1)
    bid_5 = book[:, 3 : 4 * levels : 4].sum(axis=1)
    out[:, _COL["imbalance_l1"]] = _imbalance(bid_1, ask_1)
    out[:, _COL["imbalance_l5"]] = _imbalance(bid_5, ask_5)
    out[:, _COL["log_volume_l1"]] = np.log1p(bid_1 + ask_1)
    out[:, _COL["log_volume_l5"]] = np.log1p(bid_5 + ask_5)

    two_sided = (ask_1 > 0) & (bid_1 > 0)
    ask_px, bid_px = book[:, 0], book[:, 2]
    # dummy prices are +-9999999999, so these int64 sums and differences cannot overflow
    spread_ticks = np.maximum(ask_px - bid_px, 0) / tick_size  # a crossed book (never valid) counts as 0
    out[:, _COL["log_spread_ticks"]] = np.where(two_sided, np.log1p(spread_ticks), 0.0)
    mid = np.where(two_sided, (ask_px + bid_px) / 2.0, np.nan)
    return mid, two_sided.astype(np.float64)


def _imbalance(bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    total = bid + ask
    return np.where(total > 0, (bid - ask) / np.maximum(total, 1), 0.0)


def _window_means(signs: np.ndarray, n_new: int) -> np.ndarray:
    """Mean of the last ``SIGN_WINDOW`` entries up to each of the last ``n_new`` entries of ``signs``.

    ``signs`` holds the (at most ``SIGN_WINDOW``) previous signs followed by the new ones; when fewer
    than ``SIGN_WINDOW`` are available (the start of the market) the mean is over those.
    """
    cumulative = np.concatenate([[0], np.cumsum(signs)])
    end = np.arange(len(signs) - n_new, len(signs)) + 1  # exclusive ends of the new entries' windows
    start = np.maximum(end - SIGN_WINDOW, 0)
    return (cumulative[end] - cumulative[start]) / (end - start)


def _carry_forward(mid: np.ndarray, last: float) -> np.ndarray:
    """``mid`` with NaNs replaced by the last defined value before them (``last`` before the first)."""
    values = np.concatenate([[last], mid])
    defined = ~np.isnan(values)
    defined[0] = True
    source = np.maximum.accumulate(np.where(defined, np.arange(len(values)), 0))
    return values[source][1:]


def _log_return_bp_per_10(now: np.ndarray, then: np.ndarray) -> np.ndarray:
    """``1e4 * log(now / then) / 10`` (log-return in basis points, scaled by 1/10); 0 where undefined."""
    ok = np.isfinite(now) & np.isfinite(then) & (now > 0) & (then > 0)
    ratio = np.where(ok, now, 1.0) / np.where(ok, then, 1.0)
    return np.where(ok, 1e4 * np.log(ratio) / 10, 0.0)


class _TimeMidBuffer:
    """A growable FIFO of (time, carried mid) pairs with O(1) amortised append and drop-from-front."""

    def __init__(self, capacity: int = 256) -> None:
        self._t = np.empty(capacity, dtype=np.int64)
        self._m = np.empty(capacity, dtype=np.float64)
        self._lo = 0
        self._hi = 0

    @property
    def times(self) -> np.ndarray:
        return self._t[self._lo : self._hi]

    @property
    def mids(self) -> np.ndarray:
        return self._m[self._lo : self._hi]

    def __len__(self) -> int:
        return self._hi - self._lo

    def extend(self, times: np.ndarray, mids: np.ndarray) -> None:
        n = len(times)
        if self._hi + n > len(self._t):
            live = len(self)
            capacity = len(self._t)
            while live + n > capacity // 2:
                capacity *= 2
            new_t = np.empty(capacity, dtype=np.int64)
            new_m = np.empty(capacity, dtype=np.float64)
            new_t[:live] = self.times
            new_m[:live] = self.mids
            self._t, self._m, self._lo, self._hi = new_t, new_m, 0, live
        self._t[self._hi : self._hi + n] = times
        self._m[self._hi : self._hi + n] = mids
        self._hi += n

    def drop_before(self, cutoff_ns: int) -> None:
        """Drop entries no future lookup can need: all before the last one with ``time <= cutoff_ns``.

        Future lookups ask for the last entry at or before ``t - horizon`` with ``t`` at least the last
        time seen, hence at or after ``cutoff_ns = last time - longest horizon``.
        """
        last_old = int(np.searchsorted(self.times, cutoff_ns, side="right")) - 1
        if last_old > 0:
            self._lo += last_old
