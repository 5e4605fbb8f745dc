"""The level-L view (what a LOBSTER file of L levels holds of a record): LOBSTER's own files are their
own view, a simulated session's view drops the deep messages only, and the CLI writes and compares views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from intags_env.cli import main
from intags_env.data import read_lobster
from intags_env.data.lobster import MessageType
from intags_env.data.views import top_levels_view
from intags_env.world import simulate

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_1 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
needs_real_data = pytest.mark.skipif(not ZIP_5.exists(), reason=f"no LOBSTER sample files in {LOBSTER_DIR}")

FAST = ["--preset", "small", "--start", "09:30", "--end", "09:40", "--quiet", "--no-plots"]


@needs_real_data
def test_the_5_level_file_viewed_at_one_level_is_the_1_level_file() -> None:
    five, one = read_lobster(ZIP_5), read_lobster(ZIP_1)
    assert top_levels_view(five, 1) == one  # message for message, book row for book row
    assert top_levels_view(five, 5) == five


@pytest.fixture(scope="module")
def session():
    return simulate("small", seed=3, start="09:30", end="09:40")


@pytest.mark.parametrize("levels", [1, 2, 5])
def test_a_simulated_view_keeps_exactly_the_messages_at_its_levels(session, levels: int) -> None:
    full = session.lobster
    view = session.level_view(levels)
    assert view.levels == levels and view.book.shape == (len(view), 4 * levels)
    assert len(view) < len(full)
    assert top_levels_view(view, levels) == view  # idempotent
    m = full.messages
    executions = np.isin(m["type"], [MessageType.EXECUTE_VISIBLE, MessageType.EXECUTE_HIDDEN])
    kept_times = set(zip(view.messages["time"].tolist(), view.messages["order_id"].tolist()))
    assert all((t, o) in kept_times for t, o in zip(m["time"][executions], m["order_id"][executions]))
    # every dropped message lies behind the L-th level of its side, before and after it
    dropped = ~np.isin(np.arange(len(full)), _kept_rows(full, view))
    k = 4 * (levels - 1)
    before = np.vstack([full.book[:1] * 0 - 1, full.book[:-1]])
    for i in np.flatnonzero(dropped)[:500]:
        price, side = m["price"][i], m["direction"][i]
        col = k + 2 if side == 1 else k
        worse = (lambda p, lvl: p < lvl) if side == 1 else (lambda p, lvl: p > lvl)
        assert worse(price, full.book[i, col]) and (i == 0 or worse(price, before[i, col]))


def _kept_rows(full, view) -> np.ndarray:
    """Row indices of ``full`` that the view kept (the view keeps rows in order)."""
    key = full.messages[["time", "order_id", "type", "size", "price"]]
    wanted = view.messages[["time", "order_id", "type", "size", "price"]]
    rows, j = [], 0
    for i in range(len(full)):
        if j < len(wanted) and key[i] == wanted[j]:
            rows.append(i)
            j += 1
    assert j == len(wanted)
    return np.asarray(rows)


@pytest.mark.parametrize("levels", [0, -1, 2.0, True])
def test_a_bad_depth_is_refused_by_name(session, levels) -> None:
    with pytest.raises(ValueError, match="levels must be a positive integer"):
        top_levels_view(session.lobster, levels)
    with pytest.raises(ValueError, match="shallower"):
        top_levels_view(session.level_view(1), 2)


def test_simulate_levels_writes_the_level_view(tmp_path, capsys) -> None:
    assert main(["simulate", *FAST, "--out", str(tmp_path / "full")]) == 0
    assert main(["simulate", *FAST, "--levels", "1", "--out", str(tmp_path / "one")]) == 0
    assert "the level-1 view" in capsys.readouterr().out
    full, one = read_lobster(tmp_path / "full"), read_lobster(tmp_path / "one")
    assert one.levels == 1 and list((tmp_path / "one").glob("*_message_1.csv"))
    assert one == top_levels_view(full, 1)


def test_facts_compare_views_both_records_at_the_shallower_depth(tmp_path, capsys) -> None:
    assert main(["simulate", *FAST, "--out", str(tmp_path / "full")]) == 0
    assert main(["simulate", *FAST, "--levels", "1", "--out", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    assert main(["facts", str(tmp_path / "full"), "--compare", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    assert "compared like with like: both as a 1-level LOBSTER file holds them" in out
    n_one = len(read_lobster(tmp_path / "one"))
    assert f"{n_one:,} of {n_one:,} messages (1-level record)" in out  # a view's own view is itself
