"""The level-L view of a LOBSTER record: what a LOBSTER file of ``L`` levels would hold of it.

A LOBSTER file of ``L`` levels keeps only the messages that touch the first ``L`` price levels of the
book, while a simulated record holds every message, however deep. Message counts, the message mix and
inter-arrival times of the two are therefore not comparable until the deeper record is viewed at the
shallower one's depth. :func:`top_levels_view` applies LOBSTER's rule; on a record that already is a
LOBSTER ``L``-level file it changes nothing (checked on the AMZN sample files: the 5-level file viewed at
one level is, message for message and row for row, the 1-level file).
"""

from __future__ import annotations

import numpy as np

from .lobster import ASK_DUMMY_PRICE, BID_DUMMY_PRICE, LobsterData, MessageType

__all__ = ["top_levels_view"]

#: Messages every view keeps whatever their price: trades (the touch moves through them) and halts.
ALWAYS_KEPT = (MessageType.EXECUTE_VISIBLE, MessageType.EXECUTE_HIDDEN, MessageType.CROSS, MessageType.HALT)


def top_levels_view(data: LobsterData, levels: int) -> LobsterData:
    """``data`` as a LOBSTER file of ``levels`` levels would hold it: the messages that touch the first
    ``levels`` price levels of their side (in the book just before or just after the message) and every
    execution, with the book cut to ``levels`` levels.

    A price is within the first ``L`` levels of the bid side if it is at or above the ``L``-th best bid
    (any price is, while fewer than ``L`` bid levels are occupied); likewise for asks. A ValueError for a
    ``levels`` that is not a positive integer or is deeper than the record.
    """
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 1:
        raise ValueError(f"levels must be a positive integer, got {levels!r}")
    if levels > data.levels:
        raise ValueError(f"cannot view {data.levels}-level data at {levels} levels (the record is shallower)")
    m = data.messages
    k = int(levels) - 1
    ask_after = data.book[:, 4 * k]
    bid_after = data.book[:, 4 * k + 2]
    ask_before = np.concatenate(([ASK_DUMMY_PRICE], ask_after[:-1]))
    bid_before = np.concatenate(([BID_DUMMY_PRICE], bid_after[:-1]))
    price = m["price"]
    inside_bid = (price >= bid_after) | (price >= bid_before)
    inside_ask = (price <= ask_after) | (price <= ask_before)
    keep = np.where(m["direction"] == 1, inside_bid, inside_ask) | np.isin(m["type"], ALWAYS_KEPT)
    return LobsterData(
        messages=np.array(m[keep]),
        book=np.ascontiguousarray(data.book[keep, : 4 * int(levels)]),
        levels=int(levels),
        ticker=data.ticker,
        date=data.date,
        start_ns=data.start_ns,
        end_ns=data.end_ns,
        tick_size=data.tick_size,
    )
