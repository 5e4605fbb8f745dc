"""Strict, fast parsing of LOBSTER CSV text into arrays, and LOBSTER's time format.

Fast path: cheap vectorised checks on the raw bytes (allowed characters, columns per line, no empty line),
then ``numpy.loadtxt`` (C speed). Only when a character or field is refused does a slow line-by-line scan
run, to name the exact line and field. Value checks (type codes, directions, signs, time order) are
vectorised. Syntax errors are reported before value errors, each at its earliest line. Nothing is ever
skipped or clipped: any malformed row raises :class:`LobsterFormatError`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import NoReturn

import numpy as np

from intags_env.data.lobster import LOBSTER_MESSAGE_DTYPE, NS_PER_SECOND, VALID_TYPES

__all__ = [
    "MESSAGE_COLUMNS",
    "LobsterFormatError",
    "book_columns",
    "format_time",
    "parse_book",
    "parse_messages",
    "parse_time",
]

MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")

_ALLOWED = b"0123456789-.,\n"
_INT_RE = re.compile(r"-?[0-9]+")
_TIME_RE = re.compile(r"[0-9]+(\.[0-9]+)?")
_INT64_MAX = np.iinfo(np.int64).max
_MAX_SECONDS_DIGITS = 9  # keeps seconds * 1e9 inside int64
_TIME_WIDTH = 32  # widest time text numpy reads; longer ones go to the line-by-line scan


class LobsterFormatError(ValueError):
    """A LOBSTER file breaks the format. ``file`` and 1-based ``line`` (None: whole file) locate it."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


def book_columns(levels: int) -> tuple[str, ...]:
    """LOBSTER's orderbook column names: ask_px_1, ask_sz_1, bid_px_1, bid_sz_1, ask_px_2, ..."""
    return tuple(
        f"{name}_{lvl}" for lvl in range(1, levels + 1) for name in ("ask_px", "ask_sz", "bid_px", "bid_sz")
    )


# --------------------------------------------------------------------------------------------- time
def parse_time(text: str) -> int:
    """Seconds after midnight as LOBSTER writes them (``"34200.18960767"``) -> int ns, exactly.

    Parsed as text, never through a float. Digits beyond the ninth decimal (LOBSTER sometimes writes
    floating-point noise such as ``43002.632812672004``) are rounded to the nearest nanosecond.
    """
    if not _TIME_RE.fullmatch(text) or len(text.partition(".")[0]) > _MAX_SECONDS_DIGITS:
        raise ValueError(f"not a LOBSTER time (seconds after midnight): {text!r}")
    seconds, _, frac = text.partition(".")
    return int(seconds) * NS_PER_SECOND + int(frac[:9].ljust(9, "0")) + int(frac[9:10] >= "5")


def format_time(ns: int) -> str:
    """Int ns after midnight -> LOBSTER's seconds text with just the decimals needed (lossless)."""
    seconds, frac = divmod(int(ns), NS_PER_SECOND)
    return f"{seconds}.{frac:09d}".rstrip("0") if frac else str(seconds)


def _parse_times(texts: np.ndarray) -> np.ndarray | None:
    """Vectorised :func:`parse_time`; None if any entry is malformed (the caller then scans lines)."""
    head, dot, frac = (np.asarray(part) for part in np.char.partition(texts, ".").T)
    ok = np.char.isdigit(head) & (np.char.str_len(head) <= _MAX_SECONDS_DIGITS)
    ok &= (dot == "") | np.char.isdigit(frac)
    ok &= np.char.str_len(texts) < _TIME_WIDTH
    if not ok.all():
        return None
    ns = head.astype(np.int64) * NS_PER_SECOND
    if texts.size:
        ns += np.char.ljust(frac, 9, "0").astype("U9").astype(np.int64)
    for i in np.flatnonzero(np.char.str_len(frac) > 9):  # rare: round digits beyond the ns
        ns[i] += int(str(frac[i])[9] >= "5")
    return ns


# --------------------------------------------------------------------------------------------- messages
def parse_messages(raw: bytes, label: str) -> np.ndarray:
    """Parse a LOBSTER message file's bytes into a :data:`LOBSTER_MESSAGE_DTYPE` array.

    ``label`` names the file in errors. Raises :class:`LobsterFormatError` on the first malformed line.
    """
    text, n_rows = _prepared_text(raw, label, MESSAGE_COLUMNS)
    out = np.empty(n_rows, dtype=LOBSTER_MESSAGE_DTYPE)
    if n_rows == 0:
        return out
    try:
        ints = _loadtxt(text, np.int64, usecols=range(1, 6)).reshape(n_rows, 5)
        texts = _loadtxt(text, f"U{_TIME_WIDTH}", usecols=0).reshape(n_rows)
    except ValueError as exc:
        _scan_fields(text, label, MESSAGE_COLUMNS, exc)
    times = _parse_times(texts)
    if times is None:
        _scan_fields(text, label, MESSAGE_COLUMNS, None)
    _check_messages(times, ints, label)
    out["time"] = times
    for j, name in enumerate(MESSAGE_COLUMNS[1:]):
        out[name] = ints[:, j]
    return out


def _check_messages(times: np.ndarray, ints: np.ndarray, label: str) -> None:
    """Type codes, directions, sizes and time order; the first offence raises with its line number."""
    type_, _, size, _, direction = ints.T
    backwards = np.concatenate(([False], np.diff(times) < 0))
    _raise_earliest(
        label,
        (~np.isin(type_, VALID_TYPES), lambda i: f"unknown type code {type_[i]}"),
        (np.abs(direction) != 1, lambda i: f"direction {direction[i]} is not -1 or 1"),
        (size < 0, lambda i: f"negative size {size[i]}"),
        (backwards, lambda i: f"time {format_time(times[i])} is before the previous line's"),
    )


# --------------------------------------------------------------------------------------------- book
def parse_book(raw: bytes, label: str, levels: int) -> np.ndarray:
    """Parse a LOBSTER orderbook file's bytes into an int64 ``N x 4*levels`` array.

    Raises :class:`LobsterFormatError` on the first malformed line or negative size.
    """
    columns = book_columns(levels)
    text, n_rows = _prepared_text(raw, label, columns)
    if n_rows == 0:
        return np.empty((0, len(columns)), dtype=np.int64)
    try:
        book = _loadtxt(text, np.int64).reshape(n_rows, len(columns))
    except ValueError as exc:
        _scan_fields(text, label, columns, exc)
    negative = book[:, 1::2] < 0
    rows = negative.any(axis=1)

    def problem(i: int) -> str:
        column = columns[2 * int(np.argmax(negative[i])) + 1]
        return f"negative size in column {column}"

    _raise_earliest(label, (rows, problem))
    return book


# --------------------------------------------------------------------------------------------- helpers
def _prepared_text(raw: bytes, label: str, columns: tuple[str, ...]) -> tuple[str, int]:
    """Normalise line ends, check characters, empty lines and columns per line; return text and row count."""
    raw = raw.replace(b"\r\n", b"\n")
    if raw and not raw.endswith(b"\n"):
        raw += b"\n"
    text = raw.decode("latin-1")
    if raw.translate(None, _ALLOWED):
        _scan_fields(text, label, columns, None)
    if not raw:
        return text, 0
    buf = np.frombuffer(raw, dtype=np.uint8)
    line_ends = np.flatnonzero(buf == ord("\n"))
    line_starts = np.concatenate(([0], line_ends[:-1] + 1))
    commas = np.searchsorted(np.flatnonzero(buf == ord(",")), line_ends)
    n_cols = np.diff(np.concatenate(([0], commas))) + 1
    _raise_earliest(
        label,
        (line_ends == line_starts, lambda i: "empty line"),
        (n_cols != len(columns), lambda i: _column_count_problem(columns, n_cols[i])),
    )
    return text, len(line_ends)


def _column_count_problem(columns: tuple[str, ...], found: int) -> str:
    shown = ", ".join(columns[:6]) + (", ..." if len(columns) > 6 else "")
    return f"expected {len(columns)} comma-separated columns ({shown}), found {found}"


def _loadtxt(text: str, dtype: object, usecols: range | int | None = None) -> np.ndarray:
    return np.loadtxt(io.StringIO(text), delimiter=",", dtype=dtype, usecols=usecols, comments=None, ndmin=1)


def _raise_earliest(label: str, *checks: tuple[np.ndarray, Callable[[int], str]]) -> None:
    """Raise for the earliest row flagged by any ``(bad_mask, problem)`` check (row i is line i + 1).

    On one row, the first check listed wins.
    """
    firsts = [(int(hits[0]), k) for k, (bad, _) in enumerate(checks) if (hits := np.flatnonzero(bad)).size]
    if firsts:
        row, k = min(firsts)
        raise LobsterFormatError(label, row + 1, checks[k][1](row))


def _scan_fields(text: str, label: str, columns: tuple[str, ...], cause: Exception | None) -> NoReturn:
    """Slow path: find the first line with a wrong column count or a field that is not a number."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines, start=1):
        if not line:
            raise LobsterFormatError(label, lineno, "empty line")
        fields = line.split(",")
        if len(fields) != len(columns):
            raise LobsterFormatError(label, lineno, _column_count_problem(columns, len(fields)))
        for column, field in zip(columns, fields):
            problem = _field_problem(column, field)
            if problem:
                raise LobsterFormatError(label, lineno, f"column {column}: {problem}")
    raise LobsterFormatError(label, None, f"could not parse the file ({cause})")


def _field_problem(column: str, field: str) -> str | None:
    """Why ``field`` is not a valid value of ``column`` (None if it is)."""
    if column == "time":
        try:
            parse_time(field)
        except ValueError:
            return f"{field!r} is not seconds after midnight (digits, optionally '.' and decimals)"
        return None
    if not _INT_RE.fullmatch(field):
        return f"{field!r} is not an integer"
    if abs(int(field)) > _INT64_MAX:
        return f"{field} is out of the int64 range"
    return None
