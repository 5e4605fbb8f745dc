"""LOBSTER structure, reader and writer: round trips, strict errors, and the real AMZN sample files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from intags_env.data import (
    ASK_DUMMY_PRICE,
    BID_DUMMY_PRICE,
    LOBSTER_MESSAGE_DTYPE,
    LobsterData,
    LobsterFormatError,
    empty_book,
    format_time,
    make_messages,
    parse_time,
    read_lobster,
    write_lobster,
)

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_1 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
STEM = "AMZN_2012-06-21_34200000_57600000"
needs_real_data = pytest.mark.skipif(
    not (ZIP_1.is_file() and ZIP_5.is_file()),
    reason=f"real LOBSTER sample files not found in {LOBSTER_DIR} (repo must be a sibling of shared/)",
)


# --------------------------------------------------------------------------------------------- toy data
def toy_data(levels: int = 2) -> LobsterData:
    """Six messages with awkward times (whole seconds, 1 ns, 9 decimals), a halt, and empty levels."""
    messages = make_messages(
        time=[
            34_200_000_000_000,
            34_200_000_000_001,
            34_200_189_607_670,
            34_200_189_607_670,
            34_201_500_000_000,
            36_000_000_000_000,
        ],
        type=[1, 1, 4, 3, 7, 1],
        order_id=[11, 12, 11, 12, 0, 13],
        size=[100, 50, 100, 50, 0, 7],
        price=[2_238_100, 2_239_600, 2_238_100, 2_239_600, -1, 2_238_000],
        direction=[1, -1, 1, -1, -1, 1],
    )
    book = empty_book(len(messages), levels)
    book[0, 2:4] = (2_238_100, 100)
    book[1, 0:4] = (2_239_600, 50, 2_238_100, 100)
    book[2, 0:2] = (2_239_600, 50)
    book[5, 2:4] = (2_238_000, 7)
    return LobsterData(messages, book, levels, "AMZN", "2012-06-21", 34_200_000_000_000, 57_600_000_000_000)


def write_toy(directory: Path, data: LobsterData | None = None) -> tuple[Path, Path]:
    return write_lobster(toy_data() if data is None else data, directory)


def replace_line(path: Path, line: int, text: str | None) -> None:
    """Replace 1-based ``line`` of ``path`` by ``text`` (None deletes it)."""
    lines = path.read_text().splitlines()
    if text is None:
        del lines[line - 1]
    else:
        lines[line - 1] = text
    path.write_text("".join(f"{x}\n" for x in lines))


# --------------------------------------------------------------------------------------------- structure
def test_structure_properties() -> None:
    data = toy_data()
    assert len(data) == data.n_messages == 6
    assert data.messages.dtype == LOBSTER_MESSAGE_DTYPE
    np.testing.assert_array_equal(data.mid[:2], [np.nan, (2_239_600 + 2_238_100) / 2])
    assert np.isnan(data.mid[[0, 2, 3, 4, 5]]).all()
    assert data.spread_ticks[1] == 15
    np.testing.assert_array_equal(data.bid_depth_1, [100, 100, 0, 0, 0, 7])
    np.testing.assert_array_equal(data.ask_depth_1, [0, 50, 50, 0, 0, 0])
    assert data.ask_price(2)[0] == ASK_DUMMY_PRICE and data.bid_price(2)[0] == BID_DUMMY_PRICE
    assert data.file_stem == STEM


def test_structure_is_frozen_and_validated() -> None:
    data = toy_data()
    with pytest.raises(ValueError):
        data.messages["size"][0] = 1
    with pytest.raises(AttributeError):
        data.ticker = "X"  # type: ignore[misc]
    with pytest.raises(TypeError, match="LOBSTER_MESSAGE_DTYPE"):
        LobsterData(np.zeros(6), data.book, 2, "AMZN", "2012-06-21", 0, 1)
    with pytest.raises(ValueError, match="shape"):
        LobsterData(data.messages, data.book[:, :4], 2, "AMZN", "2012-06-21", 0, 1)
    with pytest.raises(ValueError, match="date"):
        LobsterData(data.messages, data.book, 2, "AMZN", "21/06/2012", 0, 1)
    backwards = np.array(data.messages[::-1])
    with pytest.raises(ValueError, match="backwards"):
        LobsterData(backwards, data.book, 2, "AMZN", "2012-06-21", 0, 1)


def test_select_keeps_metadata() -> None:
    data = toy_data()
    part = data.select(slice(1, 4))
    assert len(part) == 3 and part.metadata() == data.metadata()
    assert part.messages[0] == data.messages[1]


# --------------------------------------------------------------------------------------------- time text
@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("34200", 34_200_000_000_000),
        ("34200.18960767", 34_200_189_607_670),
        ("34200.017459617", 34_200_017_459_617),
        ("0.000000001", 1),
        ("43002.632812672004", 43_002_632_812_672),  # LOBSTER's float noise: rounded to the ns
        ("1.9999999996", 2_000_000_000),
    ],
)
def test_parse_time(text: str, ns: int) -> None:
    assert parse_time(text) == ns


def test_time_text_round_trip() -> None:
    rng = np.random.default_rng(0)
    values = [0, 1, 10**9, 34_200_004_241_176, *rng.integers(0, 86_400 * 10**9, 1000).tolist()]
    for ns in values:
        assert parse_time(format_time(ns)) == ns
    assert format_time(34_200_004_241_176) == "34200.004241176"
    assert format_time(34_200_100_000_000) == "34200.1"
    assert format_time(34_200_000_000_000) == "34200"


# --------------------------------------------------------------------------------------------- round trips
def test_round_trip_toy(tmp_path: Path) -> None:
    data = toy_data()
    message_path, book_path = write_toy(tmp_path)
    assert message_path.name == f"{STEM}_message_2.csv" and book_path.name == f"{STEM}_orderbook_2.csv"
    assert message_path.read_text().splitlines()[:3] == [
        "34200,1,11,100,2238100,1",
        "34200.000000001,1,12,50,2239600,-1",
        "34200.18960767,4,11,100,2238100,1",
    ]
    assert book_path.read_text().splitlines()[0] == "9999999999,0,2238100,100,9999999999,0,-9999999999,0"
    back = read_lobster(message_path)
    assert back == data
    assert back.metadata() == data.metadata()


def test_round_trip_empty(tmp_path: Path) -> None:
    data = toy_data().select(slice(0, 0))
    write_lobster(data, tmp_path)
    assert read_lobster(tmp_path) == data


def test_zip_equals_directory_and_file_paths(tmp_path: Path) -> None:
    message_path, book_path = write_toy(tmp_path / "dir")
    archive = tmp_path / "pair.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(message_path, f"inner/{message_path.name}")
        z.write(book_path, f"inner/{book_path.name}")
        z.writestr("README.txt", "not a LOBSTER file")
    from_dir = read_lobster(tmp_path / "dir")
    assert read_lobster(archive) == from_dir
    assert read_lobster(message_path) == from_dir
    assert read_lobster(book_path) == from_dir
    assert read_lobster(message_path, tick_size=1).tick_size == 1


def test_locating_pairs(tmp_path: Path) -> None:
    write_toy(tmp_path)
    write_lobster(toy_data(levels=1), tmp_path)
    with pytest.raises(ValueError, match="several LOBSTER pairs"):
        read_lobster(tmp_path)
    assert read_lobster(tmp_path, levels=1).levels == 1
    with pytest.raises(ValueError, match="levels=3"):
        read_lobster(tmp_path / f"{STEM}_message_2.csv", levels=3)
    with pytest.raises(FileNotFoundError):
        read_lobster(tmp_path, levels=4)
    (tmp_path / f"{STEM}_orderbook_1.csv").unlink()
    with pytest.raises(FileNotFoundError, match="orderbook_1"):
        read_lobster(tmp_path / f"{STEM}_message_1.csv")
    (tmp_path / "prices.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match="not a LOBSTER file name"):
        read_lobster(tmp_path / "prices.csv")


def test_writer_needs_whole_ms_bounds(tmp_path: Path) -> None:
    data = toy_data()
    odd = LobsterData(
        data.messages, data.book, 2, "AMZN", "2012-06-21", 34_200_000_000_001, 57_600_000_000_000
    )
    with pytest.raises(ValueError, match="whole ms"):
        write_lobster(odd, tmp_path)


# --------------------------------------------------------------------------------------------- bad files
MESSAGE_CASES = [
    (3, "34200.18960767,4,11,100,2238100", "expected 6 comma-separated columns"),
    (3, "34200.18960767,4,11,100,2238100,1,9", "found 7"),
    (2, "34200.000000001,1,abc,50,2239600,-1", "column order_id: 'abc' is not an integer"),
    (2, "34200.000000001,1,12,5.5,2239600,-1", "column size: '5.5' is not an integer"),
    (4, "34200.1x,3,12,50,2239600,-1", "column time"),
    (4, "34200..1,3,12,50,2239600,-1", "column time"),
    (4, "34200.1,3,12, 50,2239600,-1", "' 50' is not an integer"),
    (5, "34201.5,8,0,0,-1,-1", "unknown type code 8"),
    (6, "36000,1,13,7,2238000,0", "direction 0 is not -1 or 1"),
    (6, "36000,1,13,-7,2238000,1", "negative size -7"),
    (5, "34199,7,0,0,-1,-1", "time 34199 is before the previous line's"),
    (3, "", "empty line"),
]


@pytest.mark.parametrize(("line", "text", "problem"), MESSAGE_CASES)
def test_malformed_message_rows(tmp_path: Path, line: int, text: str, problem: str) -> None:
    message_path, _ = write_toy(tmp_path)
    replace_line(message_path, line, text)
    with pytest.raises(LobsterFormatError) as info:
        read_lobster(tmp_path)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.line == line and error.file == str(message_path)
    assert f"{message_path.name}, line {line}:" in str(error) and problem in str(error)


BOOK_CASES = [
    (2, "2239600,50,2238100", "expected 8 comma-separated columns"),
    (4, "9999999999,0,-9999999999,0,9999999999,0,-9999999999,x", "column bid_sz_2: 'x' is not an integer"),
    (3, "2239600,50,-9999999999,0,9999999999,-1,-9999999999,0", "negative size in column ask_sz_2"),
]


@pytest.mark.parametrize(("line", "text", "problem"), BOOK_CASES)
def test_malformed_orderbook_rows(tmp_path: Path, line: int, text: str, problem: str) -> None:
    _, book_path = write_toy(tmp_path)
    replace_line(book_path, line, text)
    with pytest.raises(LobsterFormatError, match=problem) as info:
        read_lobster(tmp_path)
    assert info.value.line == line and info.value.file == str(book_path)
    assert f"{book_path.name}, line {line}:" in str(info.value)


def test_row_counts_differ(tmp_path: Path) -> None:
    message_path, book_path = write_toy(tmp_path)
    replace_line(book_path, 6, None)
    with pytest.raises(
        LobsterFormatError, match="row counts differ: 6 message rows but 5 orderbook rows"
    ) as info:
        read_lobster(tmp_path)
    assert info.value.file == str(message_path) and info.value.line == 6


def test_earliest_bad_line_is_reported(tmp_path: Path) -> None:
    message_path, _ = write_toy(tmp_path)
    replace_line(message_path, 5, "34201.5,9,0,0,-1,-1")  # unknown type, later line
    replace_line(message_path, 3, "34200.18960767,4,11,100,2238100,0")  # bad direction, earlier line
    with pytest.raises(LobsterFormatError, match="line 3: direction 0"):
        read_lobster(tmp_path)


def test_crlf_line_ends_are_accepted(tmp_path: Path) -> None:
    message_path, book_path = write_toy(tmp_path)
    for path in (message_path, book_path):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert read_lobster(tmp_path) == toy_data()


def test_error_inside_zip_names_member(tmp_path: Path) -> None:
    message_path, book_path = write_toy(tmp_path)
    replace_line(message_path, 2, "34200.000000001,1,12,50,2239600,2")
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(message_path, message_path.name)
        z.write(book_path, book_path.name)
    with pytest.raises(LobsterFormatError, match=r"bad\.zip:.*_message_2\.csv, line 2: direction 2"):
        read_lobster(archive)


def test_a_damaged_zip_is_reported_as_damaged_not_as_a_file_name(tmp_path: Path) -> None:
    message_path, book_path = write_toy(tmp_path / "dir")
    archive = tmp_path / "pair.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.write(message_path, message_path.name)
        z.write(book_path, book_path.name)
    data = archive.read_bytes()
    (tmp_path / "truncated.zip").write_bytes(data[: len(data) // 2])  # no central directory left
    (tmp_path / "renamed.bin").write_bytes(data[: len(data) // 2])  # a zip whatever its name
    for name in ("truncated.zip", "renamed.bin"):
        with pytest.raises(ValueError, match=rf"{name}: unreadable, a damaged or truncated zip") as err:
            read_lobster(tmp_path / name)
        assert "not a LOBSTER file name" not in str(err.value)
    flipped = bytearray(data)
    flipped[data.index(b"34200.000000001")] ^= 0x01  # a member's bytes, not its CRC
    (tmp_path / "flipped.zip").write_bytes(bytes(flipped))
    with pytest.raises(
        ValueError, match=r"flipped\.zip:.*_message_2\.csv: unreadable, the zip archive is damaged"
    ):
        read_lobster(tmp_path / "flipped.zip")


# --------------------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def amzn1() -> LobsterData:
    return read_lobster(ZIP_1)


@pytest.fixture(scope="module")
def amzn5() -> LobsterData:
    return read_lobster(ZIP_5)


@needs_real_data
def test_real_row_counts_and_first_rows(amzn1: LobsterData, amzn5: LobsterData) -> None:
    assert len(amzn1) == 57_515 and len(amzn5) == 155_935
    first = (34_200_017_459_617, 5, 0, 1, 2_238_200, -1)
    assert amzn1.messages[0].tolist() == first and amzn5.messages[0].tolist() == first
    assert amzn1.book[0].tolist() == [2_239_500, 100, 2_231_800, 100]
    assert amzn5.book[0, :8].tolist() == [2_239_500, 100, 2_231_800, 100, 2_239_900, 100, 2_230_700, 200]
    for data, levels in ((amzn1, 1), (amzn5, 5)):
        assert data.metadata() == {
            "levels": levels,
            "ticker": "AMZN",
            "date": "2012-06-21",
            "start_ns": 34_200_000_000_000,
            "end_ns": 57_600_000_000_000,
            "tick_size": 100,
        }
    # line 67823 of the level-5 file holds float noise beyond the ns: 43002.632812672004
    assert amzn5.messages["time"][67_822] == 43_002_632_812_672


@needs_real_data
def test_real_books_sane(amzn1: LobsterData, amzn5: LobsterData) -> None:
    for data in (amzn1, amzn5):
        assert (data.has_ask & data.has_bid).all()
        assert (data.ask_price(1) > data.bid_price(1)).all()
        for level in range(1, data.levels + 1):
            for price in (data.ask_price(level), data.bid_price(level)):
                occupied = np.abs(price) != ASK_DUMMY_PRICE
                assert ((price[occupied] > 200 * 10_000) & (price[occupied] < 250 * 10_000)).all()
        assert np.isin(data.messages["type"], [1, 2, 3, 4, 5, 6, 7]).all()


@needs_real_data
def test_real_level1_is_level5_subsequence(amzn1: LobsterData, amzn5: LobsterData) -> None:
    """Every level-1 message appears, in order, in the level-5 file, with the same level-1 book."""
    level1 = amzn1.messages.tolist()
    matched, j = [], 0
    for i, message in enumerate(amzn5.messages.tolist()):
        if j < len(level1) and message == level1[j]:
            matched.append(i)
            j += 1
    assert j == len(level1)
    np.testing.assert_array_equal(amzn5.book[matched, :4], amzn1.book)


@needs_real_data
def test_real_level1_written_byte_for_byte(amzn1: LobsterData, tmp_path: Path) -> None:
    message_path, book_path = write_lobster(amzn1, tmp_path)
    with zipfile.ZipFile(ZIP_1) as z:
        assert message_path.read_bytes() == z.read(f"{STEM}_message_1.csv")
        assert book_path.read_bytes() == z.read(f"{STEM}_orderbook_1.csv")


@needs_real_data
def test_real_slice_round_trip_and_zip_equals_directory(amzn5: LobsterData, tmp_path: Path) -> None:
    part = amzn5.select(slice(67_000, 69_000))
    write_lobster(part, tmp_path / "slice")
    assert read_lobster(tmp_path / "slice") == part
    with zipfile.ZipFile(ZIP_1) as z:
        z.extractall(tmp_path / "l1")
    assert read_lobster(tmp_path / "l1") == read_lobster(ZIP_1)
