"""Stylized facts on hand-made markets with known answers, the report/plot helpers, and real AMZN data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from intags_env.data import (
    ASK_DUMMY_PRICE,
    NS_PER_SECOND,
    LobsterData,
    empty_book,
    make_messages,
    read_lobster,
)
from intags_env.metrics import (
    autocorrelation,
    fact_series,
    facts_from_json,
    facts_report,
    facts_to_json,
    interval_sums,
    mid_log_returns,
    mid_on_grid,
    pearson,
    plot_facts,
    price_impact_bps,
    stylized_facts,
)

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_1 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
ZIP_5 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
needs_real_data = pytest.mark.skipif(
    not (ZIP_1.is_file() and ZIP_5.is_file()),
    reason=f"real LOBSTER sample files not found in {LOBSTER_DIR} (repo must be a sibling of shared/)",
)

START = 34_200 * NS_PER_SECOND
SEC = NS_PER_SECOND
MIN = 60 * SEC


def market(
    times: list[int] | np.ndarray,
    asks: list[int] | np.ndarray,
    bids: list[int] | np.ndarray,
    *,
    types: list[int] | None = None,
    sizes: list[int] | np.ndarray | None = None,
    directions: list[int] | None = None,
    ask_sizes: int | list[int] = 100,
    bid_sizes: int | list[int] = 100,
    end_ns: int | None = None,
    start_ns: int = START,
) -> LobsterData:
    """A one-level market: message i leaves ask ``asks[i]`` and bid ``bids[i]`` (sizes as given)."""
    n = len(times)
    messages = make_messages(
        time=np.asarray(times, dtype=np.int64),
        type=[1] * n if types is None else types,
        order_id=np.arange(1, n + 1),
        size=[100] * n if sizes is None else sizes,
        price=bids,
        direction=[1] * n if directions is None else directions,
    )
    book = empty_book(n, 1)
    book[:, 0], book[:, 1], book[:, 2], book[:, 3] = asks, ask_sizes, bids, bid_sizes
    end = int(np.max(times)) if end_ns is None else end_ns
    return LobsterData(messages, book, 1, "TEST", "2024-01-02", start_ns, end)


def minute_path(n: int = 60, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Integer bids whose mids follow a fat-tailed random walk: ``(bids, mids)`` at n + 1 minutes."""
    rng = np.random.default_rng(seed)
    bids = np.round(2_000_000 * np.exp(np.cumsum(np.r_[0.0, 2e-3 * rng.standard_t(3, n)]))).astype(np.int64)
    return bids, bids + 100.0


# --------------------------------------------------------------------------------------------- returns
def test_minute_returns_match_scipy_and_numpy() -> None:
    """Messages exactly at each minute set the mid; decoys at +30 s must not leak into 1-min returns."""
    n = 60
    bids, mids = minute_path(n)
    decoys = bids[:-1] + 5_000
    times = np.sort(np.r_[START + MIN * np.arange(n + 1), START + MIN * np.arange(n) + 30 * SEC])
    all_bids = np.empty(2 * n + 1, dtype=np.int64)
    all_bids[0::2], all_bids[1::2] = bids, decoys
    data = market(times, all_bids + 200, all_bids, end_ns=START + n * MIN)
    r = np.diff(np.log(mids))

    np.testing.assert_allclose(mid_log_returns(data, MIN), r, rtol=0, atol=1e-15)
    facts = stylized_facts(data)
    assert facts["n_returns_1min"] == n
    assert facts["return_excess_kurtosis_1min"] == pytest.approx(stats.kurtosis(r, fisher=True), abs=1e-9)
    assert facts["return_acf1_1min"] == pytest.approx(np.corrcoef(r[:-1], r[1:])[0, 1], abs=1e-12)
    a = np.abs(r)
    clustering = np.mean([np.corrcoef(a[:-k], a[k:])[0, 1] for k in range(1, 11)])
    assert facts["abs_return_acf_mean_1_10_1min"] == pytest.approx(clustering, abs=1e-12)
    assert facts["return_std_bp_1min"] == pytest.approx(1e4 * np.std(r), rel=1e-12)

    # 10 s grid: per minute the mid is m_k at +0, +10, +20 s and the decoy at +30, +40, +50 s
    ten = np.r_[np.repeat(np.c_[mids[:-1], decoys + 100.0], 3, axis=1).ravel(), mids[-1]]
    np.testing.assert_allclose(mid_log_returns(data, 10 * SEC), np.diff(np.log(ten)), atol=1e-15)
    assert facts["n_returns_10s"] == 6 * n


def test_grid_mid_is_nan_before_first_message_and_on_empty_side() -> None:
    times = [START + 30 * SEC, START + 90 * SEC, START + 150 * SEC]
    data = market(times, [2_000_200, ASK_DUMMY_PRICE, 2_000_300], [2_000_000] * 3, end_ns=START + 4 * MIN)
    grid, mid = mid_on_grid(data, MIN)
    np.testing.assert_array_equal(grid, START + MIN * np.arange(5))
    np.testing.assert_array_equal(mid, [np.nan, 2_000_100, np.nan, 2_000_150, 2_000_150])
    np.testing.assert_array_equal(mid_log_returns(data, MIN), [0.0])


def test_autocorrelation_skips_nan_pairs() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 3.0, 5.0, 7.0, 6.0])
    keep = np.isfinite(x[:-1]) & np.isfinite(x[1:])
    expected = np.corrcoef(x[:-1][keep], x[1:][keep])[0, 1]
    assert autocorrelation(x, [1])[0] == pytest.approx(expected)
    assert np.isnan(autocorrelation(np.ones(10), [1])[0])


# --------------------------------------------------------------------------------------------- book facts
def test_constant_spread() -> None:
    times = START + SEC * np.arange(6)
    bids = np.array([2_000_000, 2_000_100, 2_000_300, 2_000_000, 1_999_900, 2_000_000])
    asks = bids + 300
    asks[2] = ASK_DUMMY_PRICE  # an empty ask side is left out
    facts = stylized_facts(market(times, asks, bids))
    for name in ("mean", "median", "q05", "q25", "q75", "q95"):
        assert facts[f"spread_ticks_{name}"] == 3
    assert facts["spread_share_1tick"] == 0


def test_spread_distribution() -> None:
    bids = np.full(4, 2_000_000)
    facts = stylized_facts(market(START + SEC * np.arange(4), bids + np.array([100, 100, 200, 400]), bids))
    assert (facts["spread_ticks_mean"], facts["spread_ticks_median"]) == (2, 1.5)
    assert facts["spread_share_1tick"] == 0.5
    assert facts["spread_ticks_q95"] == pytest.approx(np.quantile([1, 1, 2, 4], 0.95))


def test_depth_level1_and_level5() -> None:
    times = START + SEC * np.arange(3)
    data = market(times, [2_000_100] * 3, [2_000_000] * 3, ask_sizes=[5, 5, 100], bid_sizes=[10, 20, 30])
    facts = stylized_facts(data)
    assert (facts["depth_l1_bid_median"], facts["depth_l1_ask_median"]) == (20, 5)
    assert "depth_l5_bid_median" not in facts

    book = empty_book(3, 5)
    for level in range(5):
        book[:, 4 * level : 4 * level + 4] = (
            2_000_100 + 100 * level,
            10 * (level + 1),
            2_000_000 - 100 * level,
            7,
        )
    book[2, 16:20] = (ASK_DUMMY_PRICE, 0, -ASK_DUMMY_PRICE, 0)  # level 5 empty on the last row
    five = LobsterData(data.messages, book, 5, "TEST", "2024-01-02", START, START + 2 * SEC)
    facts = stylized_facts(five)
    assert facts["depth_l5_ask_median"] == 150 and facts["depth_l5_bid_median"] == 35


# --------------------------------------------------------------------------------------------- flow facts
def test_order_sizes_interarrival_and_mix() -> None:
    times = START + SEC * np.array([0, 1, 1, 4, 4, 6, 6, 7])
    types = [1, 1, 2, 3, 4, 5, 7, 1]
    sizes = [10, 20, 999, 999, 999, 999, 0, 40]
    data = market(
        times, [2_000_100] * 8, [2_000_000] * 8, types=types, sizes=sizes, end_ns=START + 3600 * SEC
    )
    facts = stylized_facts(data)
    assert (facts["order_size_mean"], facts["order_size_median"]) == (pytest.approx(70 / 3), 20)
    assert facts["order_size_q05"] == pytest.approx(np.quantile([10, 20, 40], 0.05))
    gaps = np.array([1, 0, 3, 0, 2, 0, 1], dtype=float)
    assert facts["interarrival_mean_s"] == pytest.approx(gaps.mean())
    assert facts["interarrival_median_s"] == 1
    assert facts["interarrival_cv"] == pytest.approx(gaps.std() / gaps.mean())
    assert (facts["share_new"], facts["share_cancel"], facts["share_execution"]) == (3 / 8, 2 / 8, 2 / 8)
    assert (facts["n_messages"], facts["messages_per_30min"]) == (8, 4)


def test_execution_imbalance() -> None:
    """Executions of sell limit orders (-1) are buys: buy 300 + 100, sell 200 -> imbalance 1/3."""
    times = START + SEC * np.array([1, 2, 3, 70, 80])
    data = market(
        times,
        [2_000_100] * 5,
        [2_000_000] * 5,
        types=[4, 5, 4, 1, 3],
        sizes=[300, 100, 200, 5_000, 5_000],
        directions=[-1, -1, 1, -1, -1],
        end_ns=START + 2 * MIN,
    )
    facts = stylized_facts(data)
    assert (facts["exec_volume_buy"], facts["exec_volume_sell"], facts["exec_volume_total"]) == (
        400,
        200,
        600,
    )
    assert facts["exec_imbalance"] == pytest.approx(1 / 3)
    assert facts["n_executions"] == 3
    minute = fact_series(data).minute_imbalance
    np.testing.assert_array_equal(minute, [1 / 3, np.nan])


def test_volume_proportional_to_abs_return_gives_correlation_one() -> None:
    n = 40
    bids, mids = minute_path(n, seed=7)
    r = np.diff(np.log(mids))
    quotes = START + MIN * np.arange(n + 1)
    trades = START + MIN * np.arange(n) + 30 * SEC  # inside (t_k, t_k+1]: the book is unchanged
    times = np.sort(np.r_[quotes, trades])
    all_bids = np.repeat(bids, 2)[:-1]
    sizes = np.full(2 * n + 1, 100)
    sizes[1::2] = np.round(1e12 * np.abs(r))
    types = np.ones(2 * n + 1, dtype=int)
    types[1::2] = 4
    data = market(times, all_bids + 200, all_bids, types=list(types), sizes=sizes, end_ns=START + n * MIN)
    assert stylized_facts(data)["volume_volatility_corr_1min"] == pytest.approx(1.0, abs=1e-9)
    assert pearson(np.abs(r), 3.0 * np.abs(r)) == pytest.approx(1.0, abs=1e-12)


def test_interval_sums_boundaries() -> None:
    grid = np.array([0, 10, 20])
    times = np.array([0, 1, 10, 11, 20, 21])
    np.testing.assert_array_equal(interval_sums(times, np.ones(6), grid), [2, 2])


def test_price_impact_bps() -> None:
    impact = price_impact_bps([100.0, 101.0, np.nan, 99.0], [100.0, 100.0, 100.0, 100.0])
    np.testing.assert_allclose(impact, [0.0, 100.0, np.nan, -100.0])
    np.testing.assert_allclose(price_impact_bps([101.0], [100.0], side=-1), [-100.0])
    with pytest.raises(ValueError, match="shape"):
        price_impact_bps([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------------------------- report, plots
def test_report_and_json(tmp_path: Path) -> None:
    a = {"return_excess_kurtosis_1min": 3.25, "n_messages": 100.0, "exec_imbalance": float("nan")}
    b = {"return_excess_kurtosis_1min": 6.5, "n_messages": 50.0, "depth_l5_bid_median": 10.0}
    table = facts_report(a, b, names=("real", "sim"))
    lines = table.strip().splitlines()
    assert lines[0] == "| fact | real | sim | b/a |"
    assert "| `return_excess_kurtosis_1min` | 3.25 | 6.5 | 2 |" in lines
    assert "| `exec_imbalance` | nan | - | - |" in lines
    assert "| `depth_l5_bid_median` | - | 10 | - |" in lines
    assert facts_report(a).splitlines()[0] == "| fact | real |"

    text = facts_to_json(a, tmp_path / "facts.json")
    assert json.loads(text)["exec_imbalance"] is None
    back = facts_from_json(tmp_path / "facts.json")
    assert back["n_messages"] == 100 and np.isnan(back["exec_imbalance"])


def test_plot_facts_writes_pngs(tmp_path: Path) -> None:
    bids, _ = minute_path(30)
    times = START + MIN * np.arange(31)
    one = market(times, bids + 200, bids, sizes=np.arange(1, 32) * 10, end_ns=int(times[-1]))
    two = market(times, bids + 300, bids, types=[1, 4] * 15 + [1], end_ns=int(times[-1]))
    paths = plot_facts({"one": one, "two": two}, tmp_path / "plots")
    assert len(paths) == 8
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_import_does_not_load_matplotlib() -> None:
    code = "import sys, intags_env.metrics; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def real_facts() -> dict[str, dict[str, float]]:
    return {level: stylized_facts(read_lobster(path)) for level, path in (("1", ZIP_1), ("5", ZIP_5))}


@needs_real_data
def test_real_facts(real_facts: dict[str, dict[str, float]]) -> None:
    one, five = real_facts["1"], real_facts["5"]
    assert set(five) - set(one) == {"depth_l5_bid_median", "depth_l5_ask_median"}
    for facts in (one, five):
        assert all(np.isfinite(v) for v in facts.values())
        json.loads(facts_to_json(facts))
        assert facts["return_excess_kurtosis_1min"] > 0  # fat tails
        assert facts["abs_return_acf_mean_1_10_10s"] > 0  # volatility clustering
        assert facts["volume_volatility_corr_1min"] > 0
    # both files hold every level-1 change and every execution: same mid path, same trades
    for name in ("return_excess_kurtosis_1min", "return_acf1_10s", "exec_imbalance", "n_executions"):
        assert one[name] == five[name]
    assert (one["n_messages"], five["n_messages"]) == (57_515, 155_935)


def test_the_calibration_table_and_the_stylized_facts_are_one_computation() -> None:
    """Each fact is computed once (intags_env.metrics.facts): the calibration's table reads the same
    values as the full stylized facts, on a simulated session and on its 1-level view."""
    from intags_env.calibration.facts import calibration_facts
    from intags_env.data.views import top_levels_view
    from intags_env.world import get_preset, simulate

    data = simulate(get_preset("rmsc04").with_session("09:30", "10:00"), 3).lobster
    same = {
        "ret_std_bp_1min": "return_std_bp_1min",
        "ret_kurtosis_1min": "return_excess_kurtosis_1min",
        "ret_acf1_1min": "return_acf1_1min",
        "absret_acf_1min": "abs_return_acf_mean_1_10_1min",
        "vol_absret_corr_1min": "volume_volatility_corr_1min",
        "spread_ticks_mean": "spread_ticks_mean",
        "order_size_median": "order_size_median",
        "share_execution": "share_execution",
    }
    for levels in (None, 1):
        table = calibration_facts(data, levels)
        full = stylized_facts(data, levels)
        assert full == stylized_facts(data if levels is None else top_levels_view(data, levels))
        for ours, theirs in same.items():
            assert table[ours] == pytest.approx(full[theirs], rel=1e-12, nan_ok=True), ours
        depth = (full["depth_l1_bid_median"] + full["depth_l1_ask_median"]) / 2
        assert table["depth_l1_median"] == pytest.approx(depth)
        assert table["interarrival_mean_s"] == pytest.approx(full["interarrival_mean_s"], rel=1e-12)
