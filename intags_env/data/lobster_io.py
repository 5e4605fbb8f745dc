"""Read and write LOBSTER files (message + orderbook CSV pair) as :class:`LobsterData`.

The round trip ``read_lobster(write_lobster(data, d)[0])`` gives back ``data`` exactly (arrays and
metadata), except ``tick_size``, which LOBSTER files do not store: it is a reader argument.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from intags_env.data.lobster import NS_PER_MS, LobsterData
from intags_env.data.naming import LobsterName, locate_pair
from intags_env.data.parse import LobsterFormatError, format_time, parse_book, parse_messages

__all__ = ["read_lobster", "write_lobster"]


def read_lobster(path: str | Path, levels: int | None = None, *, tick_size: int = 100) -> LobsterData:
    """Read a LOBSTER message/orderbook pair.

    Args:
        path: a directory holding the pair, the message CSV (the orderbook CSV is found beside it by
            LOBSTER's naming; the orderbook CSV's path works too), or a zip holding both (read in memory,
            never extracted).
        levels: which pair to read when several are present; if given it must match the file name.
        tick_size: the tick in LOBSTER price units (100 = one cent); LOBSTER files do not record it.

    Raises:
        LobsterFormatError: a malformed row (named by file and 1-based line) or a row-count mismatch.
        FileNotFoundError / ValueError: no (or several, or a mismatching) LOBSTER pair at ``path``.
    """
    name, message_source, book_source = locate_pair(path, levels)
    messages = parse_messages(message_source.read_bytes(), message_source.label)
    book = parse_book(book_source.read_bytes(), book_source.label, name.levels)
    _check_row_counts(len(messages), len(book), message_source.label, book_source.label)
    return LobsterData(
        messages=messages,
        book=book,
        levels=name.levels,
        ticker=name.ticker,
        date=name.date,
        start_ns=name.start_ms * NS_PER_MS,
        end_ns=name.end_ms * NS_PER_MS,
        tick_size=tick_size,
    )


def write_lobster(data: LobsterData, directory: str | Path) -> tuple[Path, Path]:
    """Write ``data`` as LOBSTER's ``..._message_L.csv`` and ``..._orderbook_L.csv`` in ``directory``.

    Exact LOBSTER format: no header, comma-separated, ``\\n`` line ends; time as seconds after midnight
    with just the decimals needed to be lossless (``34200.004241176``); integers elsewhere. The
    session bounds go into the file name in ms, so they must be whole milliseconds. Existing files of
    the same name are overwritten. Returns ``(message_path, orderbook_path)``.
    """
    name = _lobster_name(data)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    message_path = directory / name.file_name("message")
    book_path = directory / name.file_name("orderbook")
    message_path.write_text(_message_text(data.messages), encoding="ascii", newline="\n")
    book_path.write_text(_book_text(data.book), encoding="ascii", newline="\n")
    return message_path, book_path


def _lobster_name(data: LobsterData) -> LobsterName:
    for field in ("start_ns", "end_ns"):
        if getattr(data, field) % NS_PER_MS:
            raise ValueError(f"{field}={getattr(data, field)} is not whole ms: LOBSTER file names hold ms")
    return LobsterName(
        data.ticker, data.date, data.start_ns // NS_PER_MS, data.end_ns // NS_PER_MS, data.levels
    )


def _message_text(messages: np.ndarray) -> str:
    columns = [messages[name].tolist() for name in ("type", "order_id", "size", "price", "direction")]
    times = [format_time(t) for t in messages["time"].tolist()]
    return "".join(f"{t},{a},{b},{c},{d},{e}\n" for t, a, b, c, d, e in zip(times, *columns))


def _book_text(book: np.ndarray) -> str:
    return "".join(",".join(map(str, row)) + "\n" for row in book.tolist())


def _check_row_counts(n_messages: int, n_book: int, message_label: str, book_label: str) -> None:
    if n_messages == n_book:
        return
    longer, shorter = (message_label, book_label) if n_messages > n_book else (book_label, message_label)
    raise LobsterFormatError(
        longer,
        min(n_messages, n_book) + 1,
        f"row counts differ: {n_messages} message rows but {n_book} orderbook rows "
        f"({shorter} ends before this line)",
    )
