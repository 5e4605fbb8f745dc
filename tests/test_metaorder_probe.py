"""intags_env.realism.probes_metaorder and impact_report: common random numbers, the recipes' sizes,
buy/sell symmetry, the report, errors."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.cli import main
from intags_env.envs.session import TradingSession
from intags_env.realism.impact_report import impact_window, measure_impact, recipes
from intags_env.realism.probes_metaorder import Metaorder, metaorder_path, metaorder_runs
from intags_env.world.config import parse_time_of_day

START = parse_time_of_day("09:35")


def test_runs_share_the_market_until_the_metaorder_trades() -> None:
    session = TradingSession("rmsc04", n_learners=1)
    args = (START, None, 60.0, 10.0, 1.0)
    first, _ = metaorder_path(session, 4, *args)
    again, traded = metaorder_path(session, 4, *args)
    assert np.array_equal(first, again, equal_nan=True) and traded == 0
    assert len(first) == 3 * 60 + 1
    buy, bought = metaorder_path(session, 4, START, Metaorder("twap", 600), 60.0, 10.0, 1.0)
    assert np.array_equal(buy[:10], first[:10], equal_nan=True)  # nothing sent before the first decision
    assert 0 < bought <= 600
    assert not np.array_equal(buy, first, equal_nan=True)


def test_recipes_and_bad_metaorders() -> None:
    every = recipes()
    assert len(every) == 18 and sum(m.side > 0 for m in every) == 9
    assert {m.kind for m in every} == {"pov", "twap"}
    assert Metaorder("pov", 0.2, -1).label == "POV 20% sell"
    for kind, size, side, message in (
        ("vwap", 0.1, 1, "'pov' or 'twap'"),
        ("pov", 1.5, 1, r"\(0, 1\]"),
        ("twap", 10.5, 1, "whole number"),
        ("twap", 100, 0, "side"),
    ):
        with pytest.raises(ValueError, match=message):
            Metaorder(kind, size, side)
    with pytest.raises(ValueError, match="do not fit the window"):
        metaorder_runs(impact_window("rmsc04", 60.0), [Metaorder("pov", 0.1)], 1, duration_s=600.0)


def test_buys_and_sells_mirror_each_other_within_noise() -> None:
    market = impact_window("rmsc04", 120.0)
    assert (market.start, market.end) == ("09:35:00", "09:42:00")
    report, runs = measure_impact(market, 8, 120.0, recipes((0.2,), (1_500,)), scale_seeds=(0,), n_boot=200)
    assert runs.paths.shape == (4, 8, 3 * 120 + 1) and runs.traded.shape == (4, 8)
    assert (runs.traded > 0).all()
    assert np.isfinite(report.mirror_gap_se) and abs(report.mirror_gap_bp) <= 3 * report.mirror_gap_se + 0.05
    peaks = {row["metaorder"]: row["peak_bp"] for row in report.rows}
    assert peaks["TWAP 1,500 buy"] > 0 and peaks["TWAP 1,500 sell"] > 0  # both push the price their way
    assert report.scale.daily_volume > 1e5 and report.scale.sigma_bp > 0
    assert np.isfinite(report.fit.y_factor) and "beta" in report.table()


def test_the_cli_names_a_bad_duration(capsys) -> None:
    assert main(["impact", "rmsc04", "--duration", "0"]) == 2
    assert "--duration must be positive" in capsys.readouterr().err


def test_amzn_responsive_answers_a_metaorder_and_keeps_most_of_it() -> None:
    """The same seeds and metaorders (TWAP 3,000 shares over 2 minutes, buy and sell) on ``amzn`` and on
    ``amzn_responsive``, which differs only in the value traders' revision from order flow."""
    peaks, kept = {}, {}
    for preset in ("amzn_responsive", "amzn"):
        report, _ = measure_impact(impact_window(preset, 120.0), 8, 120.0, recipes((), (3_000,)),
                                   scale_seeds=(0,), n_boot=50)  # fmt: skip
        peaks[preset] = np.mean([row["peak_bp"] for row in report.rows])
        kept[preset] = report.remaining_2x
    assert peaks["amzn_responsive"] > 2 * peaks["amzn"] > 0
    assert kept["amzn_responsive"] > 0.4 and kept["amzn"] < 0.3


def test_a_market_that_breaks_down_is_left_out_and_counted(monkeypatch) -> None:
    """A run that raises WorldError (a generator running away) is NaN and counted, not fatal; a seed
    whose run without a metaorder breaks down is left out whole."""
    from intags_env.realism import probes_metaorder
    from intags_env.world.world import WorldError

    real_path = probes_metaorder.metaorder_path

    def breaking(session, seed, start, metaorder, *args):
        if (seed == 1 and metaorder is not None and metaorder.side < 0) or (seed == 2 and metaorder is None):
            raise WorldError("runaway generator: a test")
        return real_path(session, seed, start, metaorder, *args)

    monkeypatch.setattr(probes_metaorder, "metaorder_path", breaking)
    market = impact_window("rmsc04", 60.0)
    report, runs = measure_impact(
        market, [0, 1, 2, 3], 60.0, recipes((0.2,), (800,)), scale_seeds=(0,), n_boot=50
    )
    assert runs.failed.sum(axis=1).tolist() == [1, 1, 2, 2]  # buys: seed 2; sells: seeds 1 and 2
    assert report.broken_runs == 6 and "6 runs broke down" in report.table()
    assert all(np.isfinite(row["shares"]) and np.isfinite(row["peak_bp"]) for row in report.rows)
    assert [row["broken_runs"] for row in report.rows] == [1, 1, 2, 2]
