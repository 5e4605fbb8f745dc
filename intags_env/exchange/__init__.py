"""The limit order book: integer ticks and lots, price-time priority, batch Numba kernels.

``Exchange`` is the door for people; ``process_batch``/``process_message`` over a ``BookState`` are the
doors for code (the background world calls ``process_message`` from inside Numba). The message and
event contract is documented in ``intags_env.exchange.types``.
"""

from .book import BookState, copy_book, new_book
from .facade import (
    BookSnapshot,
    CapacityError,
    Exchange,
    ExchangeError,
    ForeignOrderError,
    InvalidOrderError,
    OrderInfo,
    OrderRejectedError,
    Report,
    UnknownOrderError,
)
from .kernels import depth, events_needed, find_slot, level_orders, process_batch, process_message
from .types import (
    BUY,
    EVENT_DTYPE,
    MAX_QTY,
    MESSAGE_DTYPE,
    SELL,
    EventKind,
    Flag,
    MsgKind,
    Reason,
    Side,
    Status,
    Stp,
)

__all__ = [
    "BUY",
    "EVENT_DTYPE",
    "MAX_QTY",
    "MESSAGE_DTYPE",
    "SELL",
    "BookSnapshot",
    "BookState",
    "CapacityError",
    "EventKind",
    "Exchange",
    "ExchangeError",
    "Flag",
    "ForeignOrderError",
    "InvalidOrderError",
    "MsgKind",
    "OrderInfo",
    "OrderRejectedError",
    "Reason",
    "Report",
    "Side",
    "Status",
    "Stp",
    "UnknownOrderError",
    "copy_book",
    "depth",
    "events_needed",
    "find_slot",
    "level_orders",
    "new_book",
    "process_batch",
    "process_message",
]
