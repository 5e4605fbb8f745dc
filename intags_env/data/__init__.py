"""Market data in LOBSTER form: the shared structure (:class:`LobsterData`) and its reader/writer.

Simulated markets and real NASDAQ (LOBSTER) data both become a :class:`LobsterData`, so the stylized facts
in :mod:`intags_env.metrics` run the same way on either.
"""

from intags_env.data.lobster import (
    ASK_DUMMY_PRICE,
    BID_DUMMY_PRICE,
    LOBSTER_MESSAGE_DTYPE,
    NS_PER_MS,
    NS_PER_SECOND,
    LobsterData,
    MessageType,
    empty_book,
    make_messages,
)
from intags_env.data.lobster_io import read_lobster, write_lobster
from intags_env.data.parse import LobsterFormatError, format_time, parse_time
from intags_env.data.views import top_levels_view

__all__ = [
    "ASK_DUMMY_PRICE",
    "BID_DUMMY_PRICE",
    "LOBSTER_MESSAGE_DTYPE",
    "NS_PER_MS",
    "NS_PER_SECOND",
    "LobsterData",
    "LobsterFormatError",
    "MessageType",
    "empty_book",
    "format_time",
    "make_messages",
    "parse_time",
    "top_levels_view",
    "read_lobster",
    "write_lobster",
]
