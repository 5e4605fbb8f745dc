"""Hand-written LOBSTER logs for the generator's feature and order-stream tests."""

from __future__ import annotations

import numpy as np

from intags_env.data import ASK_DUMMY_PRICE, BID_DUMMY_PRICE, NS_PER_SECOND, LobsterData, make_messages

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


def reference_book(rows: list[tuple], levels: int) -> np.ndarray:
    """The LOBSTER book row after each message ``(t, type, order id, size, price, direction)``, from a plain
    dictionary book (an oracle independent of the exchange): type 1 adds, 2 and 4 take shares off, 3
    deletes; hidden executions (5) and orders it never saw arrive change nothing."""
    orders: dict[int, list[int]] = {}  # id -> [price, remaining, direction]
    out = np.zeros((len(rows), 4 * levels), np.int64)
    out[:, 0::4], out[:, 2::4] = ASK_DUMMY_PRICE, BID_DUMMY_PRICE
    for i, (_, kind, oid, size, price, direction) in enumerate(rows):
        if kind == 1:
            orders[oid] = [price, size, direction]
        elif kind in (2, 4) and oid in orders:
            orders[oid][1] -= size
        elif kind == 3 and oid in orders:
            orders[oid][1] = 0
        if oid in orders and orders[oid][1] <= 0:
            del orders[oid]
        for side, col in ((-1, 0), (1, 2)):
            volume: dict[int, int] = {}
            for p, q, d in orders.values():
                if d == side:
                    volume[p] = volume.get(p, 0) + q
            best = sorted(volume, reverse=side == 1)[:levels]
            for k, p in enumerate(best):
                out[i, 4 * k + col], out[i, 4 * k + col + 1] = p, volume[p]
    return out


def hand_stream(rows: list[tuple], levels: int = 2, open_ns: int = OPEN) -> LobsterData:
    """A LobsterData from rows ``(seconds after open_ns, type, order id, size, price, direction)``, its
    book rows from :func:`reference_book`; the data starts at ``open_ns``."""
    times = np.array([open_ns + round(r[0] * NS_PER_SECOND) for r in rows], dtype=np.int64)
    columns = [np.array([r[k] for r in rows]) for k in range(1, 6)]
    messages = make_messages(times, *columns)
    book = reference_book(rows, levels)
    return LobsterData(messages, book, levels, "TEST", "2020-01-02", open_ns, open_ns + 3600 * NS_PER_SECOND)
