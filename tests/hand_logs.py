"""Hand-written LOBSTER logs for the generator's feature and order-stream tests."""

from __future__ import annotations

import numpy as np

from intags_env.data import NS_PER_SECOND, LobsterData, make_messages

OPEN = 34_200 * NS_PER_SECOND  # 09:30


def hand_log(rows: list[tuple], levels: int = 2, start_ns: int = OPEN) -> LobsterData:
    """A LobsterData from rows ``(seconds after 09:30, type, size, price, direction, book row)``."""
    times = np.array([OPEN + round(r[0] * NS_PER_SECOND) for r in rows], dtype=np.int64)
    messages = make_messages(
        times,
        np.array([r[1] for r in rows]),
        np.arange(len(rows)),
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
        np.array([r[4] for r in rows]),
    )
    book = np.array([r[5] for r in rows], dtype=np.int64).reshape(len(rows), 4 * levels)
    return LobsterData(messages, book, levels, "TEST", "2020-01-02", start_ns, OPEN + 3600 * NS_PER_SECOND)
