"""LOBSTER's file naming, and finding a message/orderbook pair in a directory, beside a CSV, or in a zip.

LOBSTER names its files ``TICKER_YYYY-MM-DD_START_END_message_L.csv`` and
``TICKER_YYYY-MM-DD_START_END_orderbook_L.csv``: START and END are the session bounds in milliseconds
after midnight, L the number of book levels. The name is the only place these facts are stored, so the
reader takes them from it and the writer puts them back.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CsvSource", "LobsterName", "locate_pair"]

_NAME_RE = re.compile(
    r"^(?P<ticker>.+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)"
    r"_(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv$"
)


@dataclass(frozen=True)
class LobsterName:
    """The facts a LOBSTER file name carries."""

    ticker: str
    date: str
    start_ms: int
    end_ms: int
    levels: int

    @classmethod
    def parse(cls, file_name: str) -> tuple[LobsterName, str] | None:
        """``(name, kind)`` with kind ``"message"`` or ``"orderbook"``; None if not a LOBSTER name."""
        match = _NAME_RE.match(file_name)
        if match is None:
            return None
        name = cls(
            ticker=match["ticker"],
            date=match["date"],
            start_ms=int(match["start"]),
            end_ms=int(match["end"]),
            levels=int(match["levels"]),
        )
        return name, match["kind"]

    @property
    def stem(self) -> str:
        """``TICKER_DATE_START_END``."""
        return f"{self.ticker}_{self.date}_{self.start_ms}_{self.end_ms}"

    def file_name(self, kind: str) -> str:
        """The file name of the ``"message"`` or ``"orderbook"`` file."""
        return f"{self.stem}_{kind}_{self.levels}.csv"


@dataclass(frozen=True)
class CsvSource:
    """One CSV, on disk (``zip_path`` None) or a member of a zip; ``label`` names it in error messages."""

    label: str
    member: str
    zip_path: Path | None = None

    def read_bytes(self) -> bytes:
        """The raw file content (a zip member is decompressed in memory, never extracted to disk)."""
        if self.zip_path is None:
            return Path(self.member).read_bytes()
        try:
            with zipfile.ZipFile(self.zip_path) as archive, archive.open(self.member) as stream:
                return stream.read()
        except _ZIP_ERRORS as err:
            raise ValueError(f"{self.label}: unreadable, the zip archive is damaged ({err})") from err


def locate_pair(path: str | Path, levels: int | None = None) -> tuple[LobsterName, CsvSource, CsvSource]:
    """Find the message and orderbook files that ``path`` designates.

    ``path`` is a directory, a message (or orderbook) CSV, or a zip holding both. ``levels`` picks one
    pair when several are present and must match the file's level otherwise.
    Returns ``(name, message_source, orderbook_source)``.
    """
    path = Path(path)
    if path.is_dir():
        return _from_candidates(path, [p.name for p in path.iterdir() if p.is_file()], levels, None)
    if not path.is_file():
        raise FileNotFoundError(f"no such file or directory: {path}")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
        except _ZIP_ERRORS as err:
            raise ValueError(f"{path}: unreadable, the zip archive is damaged ({err})") from err
        return _from_candidates(path, members, levels, path)
    if path.suffix.lower() == ".zip" or _starts_like_a_zip(path):
        # a truncated zip loses its central directory (at the end), so is_zipfile says no: not a CSV either
        raise ValueError(f"{path}: unreadable, a damaged or truncated zip archive (no zip directory found)")
    return _from_csv(path, levels)


#: What zipfile raises for a damaged archive or member (bad CRC, truncated deflate stream, ...).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)


def _starts_like_a_zip(path: Path) -> bool:
    """Whether the file begins with a zip local-file header (whatever its name)."""
    with path.open("rb") as file:
        return file.read(4) == b"PK\x03\x04"


def _from_csv(path: Path, levels: int | None) -> tuple[LobsterName, CsvSource, CsvSource]:
    parsed = LobsterName.parse(path.name)
    if parsed is None:
        raise ValueError(
            f"{path}: not a LOBSTER file name (expected TICKER_YYYY-MM-DD_START_END_message_L.csv)"
        )
    name, _ = parsed
    _check_levels(name, levels, path)
    message, orderbook = (path.with_name(name.file_name(kind)) for kind in ("message", "orderbook"))
    for file in (message, orderbook):
        if not file.is_file():
            raise FileNotFoundError(f"{path}: the matching LOBSTER file {file.name} is not beside it")
    return name, CsvSource(str(message), str(message)), CsvSource(str(orderbook), str(orderbook))


def _from_candidates(
    container: Path, members: list[str], levels: int | None, zip_path: Path | None
) -> tuple[LobsterName, CsvSource, CsvSource]:
    """Pair LOBSTER files among ``members`` (names relative to ``container``) and pick exactly one pair."""
    pairs: dict[tuple[str, LobsterName], dict[str, str]] = {}
    for member in members:
        folder, _, base = member.rpartition("/")
        parsed = LobsterName.parse(base)
        if parsed is not None:
            name, kind = parsed
            pairs.setdefault((folder, name), {})[kind] = member
    if levels is not None:
        pairs = {key: files for key, files in pairs.items() if key[1].levels == levels}
    complete = {key: files for key, files in pairs.items() if len(files) == 2}
    wanted = f" with {levels} levels" if levels is not None else ""
    if not complete:
        lonely = sorted(m for files in pairs.values() for m in files.values())
        hint = f" (unpaired: {', '.join(lonely)})" if lonely else ""
        raise FileNotFoundError(f"{container}: no LOBSTER message/orderbook pair{wanted}{hint}")
    if len(complete) > 1:
        found = ", ".join(sorted(files["message"] for files in complete.values()))
        raise ValueError(f"{container}: several LOBSTER pairs{wanted} ({found}); pass levels= or a file path")
    (_, name), files = next(iter(complete.items()))
    return name, *(_source(container, files[kind], zip_path) for kind in ("message", "orderbook"))


def _source(container: Path, member: str, zip_path: Path | None) -> CsvSource:
    if zip_path is None:
        file = container / member
        return CsvSource(str(file), str(file))
    return CsvSource(f"{zip_path}:{member}", member, zip_path)


def _check_levels(name: LobsterName, levels: int | None, path: Path) -> None:
    if levels is not None and levels != name.levels:
        raise ValueError(f"{path}: file holds {name.levels} levels, but levels={levels} was asked for")
