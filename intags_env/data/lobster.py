"""The one in-memory form of a market's message stream: LOBSTER's message and order-book files.

Simulated markets and real NASDAQ data (LOBSTER) are compared through :class:`LobsterData`, so every
downstream tool (stylized facts, plots, calibration) reads a single structure whatever the source.

Units follow LOBSTER exactly, so a file round trip is lossless:

* ``time``: int64 nanoseconds after midnight (LOBSTER writes seconds after midnight with up to nine
  decimals; :mod:`intags_env.data.lobster_io` converts as text, never through a float);
* ``price``: int64 USD x 10000 (``911400`` is $91.14); the tick is ``tick_size`` of these units
  (100 = one cent);
* ``size``: int64 shares;
* ``direction``: -1 sell limit order, +1 buy limit order. An execution of a sell (buy) limit order is a
  buyer- (seller-) initiated trade.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np

__all__ = [
    "ASK_DUMMY_PRICE",
    "BID_DUMMY_PRICE",
    "LOBSTER_MESSAGE_DTYPE",
    "NS_PER_MS",
    "NS_PER_SECOND",
    "LobsterData",
    "MessageType",
    "empty_book",
    "make_messages",
]

NS_PER_SECOND = 1_000_000_000
NS_PER_MS = 1_000_000

#: LOBSTER's price of an unoccupied ask level (its size is 0).
ASK_DUMMY_PRICE = 9_999_999_999
#: LOBSTER's price of an unoccupied bid level (its size is 0).
BID_DUMMY_PRICE = -9_999_999_999

#: One row per LOBSTER message, in the message file's column order.
LOBSTER_MESSAGE_DTYPE = np.dtype(
    [
        ("time", np.int64),
        ("type", np.int8),
        ("order_id", np.int64),
        ("size", np.int64),
        ("price", np.int64),
        ("direction", np.int8),
    ]
)


class MessageType(IntEnum):
    """LOBSTER's event type codes (column 2 of the message file)."""

    NEW = 1  # submission of a new limit order
    PARTIAL_CANCEL = 2  # cancellation: partial deletion of a limit order
    DELETE = 3  # deletion: total deletion of a limit order
    EXECUTE_VISIBLE = 4  # execution of a visible limit order
    EXECUTE_HIDDEN = 5  # execution of a hidden limit order
    CROSS = 6  # cross trade (auction)
    HALT = 7  # trading halt indicator


VALID_TYPES = tuple(int(t) for t in MessageType)


def make_messages(
    time: np.ndarray,
    type: np.ndarray,
    order_id: np.ndarray,
    size: np.ndarray,
    price: np.ndarray,
    direction: np.ndarray,
) -> np.ndarray:
    """Build a :data:`LOBSTER_MESSAGE_DTYPE` array from equal-length columns (a convenience for writers)."""
    columns = {
        "time": time,
        "type": type,
        "order_id": order_id,
        "size": size,
        "price": price,
        "direction": direction,
    }
    lengths = {np.shape(col)[0] if np.ndim(col) else -1 for col in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise ValueError("make_messages: all columns must be 1-d and of the same length")
    out = np.empty(lengths.pop(), dtype=LOBSTER_MESSAGE_DTYPE)
    for name, col in columns.items():
        out[name] = col
    return out


def empty_book(n_rows: int, levels: int) -> np.ndarray:
    """An ``n_rows x 4*levels`` book where every level is unoccupied (dummy prices, size 0)."""
    book = np.zeros((n_rows, 4 * levels), dtype=np.int64)
    book[:, 0::4] = ASK_DUMMY_PRICE
    book[:, 2::4] = BID_DUMMY_PRICE
    return book


@dataclass(frozen=True, eq=False)
class LobsterData:
    """A market's message stream and the order book after each message, in LOBSTER's form.

    Attributes:
        messages: structured array of :data:`LOBSTER_MESSAGE_DTYPE`, one row per message, time-sorted.
        book: int64 array ``N x 4*levels`` in LOBSTER's column order (ask_px_1, ask_sz_1, bid_px_1,
            bid_sz_1, ask_px_2, ...); row ``i`` is the book after message ``i``. Unoccupied levels hold
            :data:`ASK_DUMMY_PRICE` / :data:`BID_DUMMY_PRICE` with size 0.
        levels: number of book levels ``L``.
        ticker: instrument name, e.g. ``"AMZN"``.
        date: trading day, ``"YYYY-MM-DD"``.
        start_ns, end_ns: session bounds in ns after midnight (LOBSTER's file name carries them in ms).
        tick_size: price tick in LOBSTER price units (100 = one cent). Not stored in LOBSTER files.

    The arrays are exposed read-only (as views), so the frozen object cannot be changed in place.
    Equality (``==``) compares arrays exactly and all metadata.
    """

    messages: np.ndarray
    book: np.ndarray
    levels: int
    ticker: str
    date: str
    start_ns: int
    end_ns: int
    tick_size: int = 100

    def __post_init__(self) -> None:
        """Check shapes, dtypes and invariants, and freeze the arrays (read-only views)."""
        messages = _checked_messages(self.messages)
        book = _checked_book(self.book, self.levels, len(messages))
        _check_metadata(self)
        for name in ("levels", "start_ns", "end_ns", "tick_size"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "messages", _readonly(messages))
        object.__setattr__(self, "book", _readonly(book))

    # ----------------------------------------------------------------- equality and size
    def __eq__(self, other: object) -> bool:
        """Exact equality of both arrays and of every metadata field."""
        if not isinstance(other, LobsterData):
            return NotImplemented
        return (
            self.metadata() == other.metadata()
            and np.array_equal(self.messages, other.messages)
            and np.array_equal(self.book, other.book)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays: not hashable

    def __len__(self) -> int:
        """Number of messages (= number of book rows)."""
        return len(self.messages)

    @property
    def n_messages(self) -> int:
        """Number of messages."""
        return len(self.messages)

    def metadata(self) -> dict[str, object]:
        """Every field except the arrays (what LOBSTER encodes in the file names, plus the tick)."""
        return {
            "levels": self.levels,
            "ticker": self.ticker,
            "date": self.date,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "tick_size": self.tick_size,
        }

    def select(self, rows: slice | np.ndarray) -> LobsterData:
        """A new ``LobsterData`` with only the given rows (a slice or index/bool array); same metadata."""
        return replace(self, messages=np.array(self.messages[rows]), book=np.array(self.book[rows]))

    # ----------------------------------------------------------------- book columns
    def ask_price(self, level: int = 1) -> np.ndarray:
        """Ask price at ``level`` (1-based) after each message; dummy where unoccupied."""
        return self.book[:, 4 * (self._level_index(level))]

    def ask_size(self, level: int = 1) -> np.ndarray:
        """Ask size at ``level`` (1-based) after each message; 0 where unoccupied."""
        return self.book[:, 4 * self._level_index(level) + 1]

    def bid_price(self, level: int = 1) -> np.ndarray:
        """Bid price at ``level`` (1-based) after each message; dummy where unoccupied."""
        return self.book[:, 4 * self._level_index(level) + 2]

    def bid_size(self, level: int = 1) -> np.ndarray:
        """Bid size at ``level`` (1-based) after each message; 0 where unoccupied."""
        return self.book[:, 4 * self._level_index(level) + 3]

    @property
    def has_ask(self) -> np.ndarray:
        """True where the ask side has at least one occupied level after the message."""
        return self.ask_price(1) != ASK_DUMMY_PRICE

    @property
    def has_bid(self) -> np.ndarray:
        """True where the bid side has at least one occupied level after the message."""
        return self.bid_price(1) != BID_DUMMY_PRICE

    @property
    def mid(self) -> np.ndarray:
        """Level-1 mid price (LOBSTER price units, float) after each message; NaN where a side is empty."""
        both = self.has_ask & self.has_bid
        mid = np.full(len(self), np.nan)
        mid[both] = (self.ask_price(1)[both] + self.bid_price(1)[both]) / 2.0
        return mid

    @property
    def spread(self) -> np.ndarray:
        """Level-1 spread (price units, float) after each message; NaN where a side is empty."""
        both = self.has_ask & self.has_bid
        spread = np.full(len(self), np.nan)
        spread[both] = self.ask_price(1)[both] - self.bid_price(1)[both]
        return spread

    @property
    def spread_ticks(self) -> np.ndarray:
        """Level-1 spread in ticks after each message; NaN where a side is empty."""
        return self.spread / self.tick_size

    @property
    def bid_depth_1(self) -> np.ndarray:
        """Shares at the best bid after each message (0 where the bid side is empty)."""
        return self.bid_size(1)

    @property
    def ask_depth_1(self) -> np.ndarray:
        """Shares at the best ask after each message (0 where the ask side is empty)."""
        return self.ask_size(1)

    def bid_depth(self, levels: int | None = None) -> np.ndarray:
        """Shares on the first ``levels`` bid levels (all levels by default) after each message."""
        return self.book[:, 3 : 4 * self._n_levels(levels) : 4].sum(axis=1)

    def ask_depth(self, levels: int | None = None) -> np.ndarray:
        """Shares on the first ``levels`` ask levels (all levels by default) after each message."""
        return self.book[:, 1 : 4 * self._n_levels(levels) : 4].sum(axis=1)

    @property
    def times_s(self) -> np.ndarray:
        """Message times as float seconds after midnight (for plots; compute with ``messages['time']``)."""
        return self.messages["time"] / NS_PER_SECOND

    @property
    def file_stem(self) -> str:
        """LOBSTER's name stem ``TICKER_DATE_START_END`` (start/end in ms after midnight)."""
        return f"{self.ticker}_{self.date}_{self.start_ns // NS_PER_MS}_{self.end_ns // NS_PER_MS}"

    def _level_index(self, level: int) -> int:
        if not 1 <= level <= self.levels:
            raise IndexError(f"level {level} outside 1..{self.levels}")
        return level - 1

    def _n_levels(self, levels: int | None) -> int:
        if levels is None:
            return self.levels
        return self._level_index(levels) + 1


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _checked_messages(messages: np.ndarray) -> np.ndarray:
    if not isinstance(messages, np.ndarray) or messages.dtype != LOBSTER_MESSAGE_DTYPE:
        raise TypeError(f"messages must be a numpy array of LOBSTER_MESSAGE_DTYPE, got {_describe(messages)}")
    if messages.ndim != 1:
        raise ValueError(f"messages must be 1-d, got shape {messages.shape}")
    bad = np.flatnonzero(~np.isin(messages["type"], VALID_TYPES))
    if bad.size:
        raise ValueError(f"message {bad[0]}: unknown type code {messages['type'][bad[0]]}")
    bad = np.flatnonzero(np.abs(messages["direction"]) != 1)
    if bad.size:
        raise ValueError(f"message {bad[0]}: direction {messages['direction'][bad[0]]} is not -1 or +1")
    bad = np.flatnonzero(messages["size"] < 0)
    if bad.size:
        raise ValueError(f"message {bad[0]}: negative size {messages['size'][bad[0]]}")
    time = messages["time"]
    if time.size and time[0] < 0:
        raise ValueError("message 0: negative time")
    bad = np.flatnonzero(np.diff(time) < 0)
    if bad.size:
        raise ValueError(f"message {bad[0] + 1}: time goes backwards")
    return messages


def _checked_book(book: np.ndarray, levels: int, n_rows: int) -> np.ndarray:
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool) or levels < 1:
        raise ValueError(f"levels must be a positive int, got {levels!r}")
    if not isinstance(book, np.ndarray) or book.dtype != np.int64:
        raise TypeError(f"book must be an int64 numpy array, got {_describe(book)}")
    if book.shape != (n_rows, 4 * levels):
        raise ValueError(
            f"book must have shape ({n_rows}, {4 * levels}) for {levels} levels, got {book.shape}"
        )
    sizes = book[:, 1::2]
    if sizes.size and sizes.min() < 0:
        row = int(np.flatnonzero((sizes < 0).any(axis=1))[0])
        raise ValueError(f"book row {row}: negative size")
    return book


def _check_metadata(data: LobsterData) -> None:
    if not isinstance(data.ticker, str) or not data.ticker or any(ch in data.ticker for ch in "/\\,\n"):
        raise ValueError(f"ticker must be a non-empty name without '/', '\\\\' or ',', got {data.ticker!r}")
    try:
        parsed = _dt.date.fromisoformat(data.date)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.isoformat() != data.date:
        raise ValueError(f"date must be 'YYYY-MM-DD', got {data.date!r}")
    for name in ("start_ns", "end_ns", "tick_size"):
        value = getattr(data, name)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if not 0 <= data.start_ns <= data.end_ns:
        raise ValueError(f"need 0 <= start_ns <= end_ns, got {data.start_ns}, {data.end_ns}")
    if data.tick_size <= 0:
        raise ValueError(f"tick_size must be positive, got {data.tick_size}")


def _describe(obj: object) -> str:
    dtype = getattr(obj, "dtype", None)
    return f"{type(obj).__name__} with dtype {dtype}" if dtype is not None else type(obj).__name__
