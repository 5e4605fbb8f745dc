"""Calibration (``intags_env.calibration``): the fact table on hand-made markets with known answers, the
depth-of-view rule, the loss, the search on a toy problem, the CLI parser and errors, the neutral new
world knob, and the shipped ``amzn`` preset."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from intags_env.calibration import (
    DEFAULT_SPACE,
    FACT_NAMES,
    CalibrationError,
    Parameter,
    ParameterSpace,
    base_config,
    calibrate,
    calibration_facts,
    closer,
    compare,
    fact_gap,
    facts_loss,
    load_target,
    mean_facts,
    minimize_unit_cube,
    simulated_facts,
    target_from_data,
    top_levels_view,
)
from intags_env.calibration.cli import _weights, add_calibrate_parser, run_calibrate
from intags_env.data import NS_PER_SECOND, LobsterData, empty_book, make_messages, write_lobster
from intags_env.world import PRESETS, ConfigError, ValueConfig, WorldConfig, get_preset, simulate

LOBSTER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
ZIP_1 = LOBSTER_DIR / "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
needs_real_data = pytest.mark.skipif(not ZIP_1.is_file(), reason=f"LOBSTER sample not found in {LOBSTER_DIR}")

START = 34_200 * NS_PER_SECOND
MIN = 60 * NS_PER_SECOND
MIDS = np.array([10000, 10010, 10000, 10020, 10010, 10030, 10030, 10050, 10040, 10060, 10050])  # cents


def minute_market() -> LobsterData:
    """One message exactly at each of 11 minutes; the mid (cents) follows ``MIDS``, the spread is 2 ticks,
    100 shares bid and 300 offered; messages 3, 6, 9 are executions of 40, 70, 10 shares."""
    n = len(MIDS)
    types = np.ones(n, dtype=np.int64)
    sizes = np.arange(1, n + 1) * 10
    types[[3, 6, 9]] = 4
    sizes[[3, 6, 9]] = [40, 70, 10]
    bids = (MIDS - 1) * 100
    messages = make_messages(
        time=START + MIN * np.arange(n),
        type=types,
        order_id=np.arange(1, n + 1),
        size=sizes,
        price=bids,
        direction=np.ones(n, dtype=np.int64),
    )
    book = empty_book(n, 1)
    book[:, 0], book[:, 1], book[:, 2], book[:, 3] = (MIDS + 1) * 100, 300, bids, 100
    return LobsterData(messages, book, 1, "TEST", "2024-01-02", START, START + (n - 1) * MIN)


# ----------------------------------------------------------------------------------------- fact table
def test_facts_of_a_hand_made_market_have_known_values() -> None:
    facts = calibration_facts(minute_market())
    assert list(facts) == list(FACT_NAMES)
    r = np.diff(np.log(MIDS.astype(float)))
    a = np.abs(r)
    volume = np.zeros(len(r))
    volume[[2, 5, 8]] = [40, 70, 10]  # the execution at minute k lands in interval (k-1, k]
    assert facts["ret_std_bp_1min"] == pytest.approx(1e4 * np.std(r), rel=1e-12)
    assert facts["ret_acf1_1min"] == pytest.approx(np.corrcoef(r[:-1], r[1:])[0, 1], abs=1e-12)
    clustering = np.mean([np.corrcoef(a[:-k], a[k:])[0, 1] for k in range(1, 8)])  # lags with >= 3 pairs
    assert facts["absret_acf_1min"] == pytest.approx(clustering, abs=1e-12)
    assert facts["vol_absret_corr_1min"] == pytest.approx(np.corrcoef(volume, a)[0, 1], abs=1e-12)
    assert facts["spread_ticks_mean"] == 2.0
    assert facts["depth_l1_median"] == 200.0  # mean of the bid (100) and ask (300) medians
    assert facts["order_size_median"] == np.median([10, 20, 30, 50, 60, 80, 90, 110])
    assert facts["interarrival_mean_s"] == 60.0
    assert facts["share_execution"] == pytest.approx(3 / 11)


def test_top_levels_view_keeps_only_messages_touching_the_first_levels() -> None:
    """Two-level book: a new bid behind the best (level 2) and its cancel are invisible at one level."""
    p = 100
    rows = [  # (type, price, direction, bid1, bid2, ask1)
        (1, 100 * p, 1, 100 * p, -1, 102 * p),  # first bid: level 1
        (1, 99 * p, 1, 100 * p, 99 * p, 102 * p),  # behind the best: level 2 only
        (1, 101 * p, 1, 101 * p, 100 * p, 102 * p),  # improves the bid
        (3, 99 * p, 1, 101 * p, 100 * p, 102 * p),  # cancels the level-3 order (was level 3 before)
        (4, 102 * p, -1, 101 * p, 100 * p, 103 * p),  # execution at the ask
    ]
    n = len(rows)
    messages = make_messages(
        time=START + np.arange(n) * NS_PER_SECOND,
        type=[r[0] for r in rows],
        order_id=np.arange(n),
        size=[100] * n,
        price=[r[1] for r in rows],
        direction=[r[2] for r in rows],
    )
    book = empty_book(n, 2)
    for i, (_, _, _, b1, b2, a1) in enumerate(rows):
        book[i, 0:4] = a1, 100, b1, 100
        if b2 > 0:
            book[i, 6:8] = b2, 100
    data = LobsterData(messages, book, 2, "TEST", "2024-01-02", START, START + n * NS_PER_SECOND)
    view = top_levels_view(data, 1)
    assert view.levels == 1 and view.book.shape == (3, 4)
    assert view.messages["order_id"].tolist() == [0, 2, 4]
    deep = top_levels_view(data, 2)  # the cancel was at level 3 before and after: a 2-level file lacks it
    assert deep.messages["order_id"].tolist() == [0, 1, 2, 4]
    assert top_levels_view(deep, 2) == deep  # a LOBSTER file's own view is itself
    with pytest.raises(ValueError, match="shallower"):
        top_levels_view(data, 3)


def test_simulated_facts_are_deterministic_and_views_reduce_messages() -> None:
    config = get_preset("small")
    a = simulated_facts(config, [0, 1], levels=1)
    b = simulated_facts(config, [0, 1], levels=1)
    assert a == b
    assert all(np.isfinite(a[name]) for name in ("ret_std_bp_1min", "spread_ticks_mean", "share_execution"))
    lobster = simulate(config, seed=0).lobster
    assert len(top_levels_view(lobster, 1)) < len(lobster)
    full, one = calibration_facts(lobster), calibration_facts(lobster, levels=1)
    assert full["ret_std_bp_1min"] == one["ret_std_bp_1min"]  # the touch, hence the mid, is the same
    assert one["interarrival_mean_s"] > full["interarrival_mean_s"]


def test_mean_facts_skips_nan_and_averages() -> None:
    first = dict.fromkeys(FACT_NAMES, 1.0)
    second = {**dict.fromkeys(FACT_NAMES, 3.0), "ret_acf1_1min": math.nan}
    mean = mean_facts([first, second])
    assert mean["ret_std_bp_1min"] == 2.0 and mean["ret_acf1_1min"] == 1.0
    with pytest.raises(ValueError):
        mean_facts([])


# ----------------------------------------------------------------------------------------- comparison
def test_gap_is_log_for_scales_and_plain_for_correlations() -> None:
    assert fact_gap("spread_ticks_mean", 20.0, 10.0) == pytest.approx(math.log(2))
    assert fact_gap("spread_ticks_mean", 5.0, 10.0) == pytest.approx(-math.log(2))
    assert fact_gap("ret_kurtosis_1min", 3.0, 0.0) == pytest.approx(math.log(2))  # log(3 + k)
    assert fact_gap("ret_acf1_1min", 0.3, 0.05) == pytest.approx(0.25)
    assert math.isnan(fact_gap("spread_ticks_mean", 0.0, 10.0))
    assert closer("ret_acf1_1min", 0.0, 0.35, 0.05) and not closer("ret_acf1_1min", 0.35, 0.0, 0.05)
    assert closer("ret_acf1_1min", 0.1, math.nan, 0.05) and not closer("ret_acf1_1min", math.nan, 0.1, 0.05)
    with pytest.raises(KeyError):
        fact_gap("no_such_fact", 1.0, 1.0)


def test_loss_is_zero_for_identical_facts_and_grows_with_distance() -> None:
    target = calibration_facts(minute_market())
    assert facts_loss(target, target) == 0.0
    losses = []
    for shift in (0.05, 0.1, 0.2, 0.4):
        moved = {**target, "ret_acf1_1min": target["ret_acf1_1min"] + shift}
        losses.append(facts_loss(moved, target))
    assert np.all(np.diff(losses) > 0)
    assert losses[1] == pytest.approx(1 / len(FACT_NAMES))  # one unit of miss (0.1) on one of ten facts
    doubled = {**target, "spread_ticks_mean": 2 * target["spread_ticks_mean"]}
    assert facts_loss(doubled, target) == pytest.approx(1 / len(FACT_NAMES))  # a factor 2 is one unit
    broken = {**target, "share_execution": math.nan}
    assert facts_loss(broken, target) == pytest.approx(100 / len(FACT_NAMES))


def test_compare_names_the_closer_market_per_fact() -> None:
    data = dict.fromkeys(FACT_NAMES, 1.0)
    before = dict.fromkeys(FACT_NAMES, 4.0)
    after = {**dict.fromkeys(FACT_NAMES, 1.5), "share_execution": 9.0, "ret_acf1_1min": 4.0}
    comparison = compare(data, before, after, names=("AMZN", "rmsc04", "amzn"))
    assert comparison.winners["share_execution"] == "before"
    assert comparison.winners["ret_acf1_1min"] == "tie"
    assert comparison.wins_after == 8 and comparison.wins_before == 1
    table = comparison.markdown()
    assert "| share_execution | 1 | 4 | 9 | rmsc04 |" in table and "8 of 10" in table
    assert json.loads(json.dumps(comparison.to_dict()))["wins_after"] == 8


# ----------------------------------------------------------------------------------------- space, search
def test_space_decodes_and_encodes_configs() -> None:
    base = base_config(22_263)
    assert base.oracle.r_bar == 22_263 and base.book.n_levels < 2 * 22_263
    u = np.linspace(0.1, 0.9, len(DEFAULT_SPACE))
    config = DEFAULT_SPACE.decode(u, base)
    values = DEFAULT_SPACE.values(u)
    assert config.value.count == values["value.count"] and isinstance(config.value.count, int)
    assert config.value.arrival_rate == pytest.approx(1 / (values["value.arrival_rate"] * 1e9))
    assert config.oracle.r_bar == 22_263 and config.start == base.start
    np.testing.assert_allclose(DEFAULT_SPACE.encode(config)[~_integer_mask()], u[~_integer_mask()], atol=1e-9)
    with pytest.raises(ValueError, match="coordinates"):
        DEFAULT_SPACE.decode(u[:-1], base)
    with pytest.warns(UserWarning, match="value.sweep_margin=None"):  # rmsc04 keeps ABIDES' rule
        DEFAULT_SPACE.encode(get_preset("rmsc04"))
    with pytest.raises(ValueError, match="log-scale"):
        Parameter("value.count", 0, 10, log=True)
    with pytest.raises(ValueError):
        base_config(10)


def _integer_mask() -> np.ndarray:
    return np.array([p.integer for p in DEFAULT_SPACE.parameters])


@pytest.mark.parametrize("method", ["es", "nelder-mead"])
def test_minimizer_improves_a_toy_loss_within_the_budget_and_is_seeded(method: str) -> None:
    optimum = np.array([0.2, 0.7, 0.4])

    def loss(u: np.ndarray) -> float:
        return float(np.sum((u - optimum) ** 2))

    trace = minimize_unit_cube(loss, 3, 60, seed=3, progress=False, method=method)
    assert len(trace.losses) == 60
    sample_best = min(v for v, p in zip(trace.losses, trace.phases) if p == "sample")
    assert trace.best_loss < 0.2 * sample_best and trace.best_loss < 1e-3
    assert "refine" in trace.phases and np.all(np.diff(trace.best_so_far()) <= 0)
    again = minimize_unit_cube(loss, 3, 60, seed=3, progress=False, method=method)
    assert again.losses == trace.losses
    with pytest.raises(CalibrationError, match="budget"):
        minimize_unit_cube(loss, 3, 1, progress=False, method=method)
    with pytest.raises(CalibrationError, match="method"):
        minimize_unit_cube(loss, 3, 10, progress=False, method="bfgs")


def test_calibrate_moves_towards_a_toy_target() -> None:
    """A one-parameter search (value agents' count) on 'small' recovers a market closer to the target's
    facts than its worst candidate."""
    space = ParameterSpace([Parameter("value.count", 5, 200, log=True, integer=True)])
    base = get_preset("small")
    target = target_from_data(simulate(base, seed=11).lobster, name="toy")
    result = calibrate(target, budget=5, seeds=[0], space=space, base=base, progress=False)
    assert result.loss == min(result.trace.losses) < max(result.trace.losses)
    assert result.config.value.count == result.parameters["value.count"]


# ----------------------------------------------------------------------------------------- CLI and errors
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intags")
    add_calibrate_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_parser_defaults_and_options() -> None:
    args = _parser().parse_args(["calibrate", "--data", "x.zip"])
    assert (args.budget, args.seeds, args.start, args.end, args.quiet) == (300, 3, None, None, False)
    assert args.func is run_calibrate
    args = _parser().parse_args(
        [
            "calibrate",
            "--data",
            "d",
            "--budget",
            "7",
            "--seeds",
            "2",
            "--start",
            "10:00",
            "--end",
            "11:00",
            "--out",
            "o",
            "--quiet",
        ]
    )
    assert (args.budget, args.seeds, args.start, args.end, args.out, args.quiet) == (
        7,
        2,
        "10:00",
        "11:00",
        "o",
        True,
    )
    args = _parser().parse_args(
        ["calibrate", "--data", "d", "--weight", "ret_acf1_1min=2", "--weight", "x=1"]
    )
    assert args.weight == ["ret_acf1_1min=2", "x=1"]
    assert _weights(["ret_acf1_1min=2"]) == {"ret_acf1_1min": 2.0}
    with pytest.raises(ValueError, match="FACT=W"):
        _weights(["x=1"])
    with pytest.raises(ValueError, match="non-negative"):
        _weights(["ret_acf1_1min=-1"])
    with pytest.raises(SystemExit):
        _parser().parse_args(["calibrate", "--data", "d", "--budget", "0"])
    with pytest.raises(SystemExit):
        _parser().parse_args(["calibrate"])


def test_malformed_data_paths_give_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(CalibrationError, match="no LOBSTER data"):
        load_target(tmp_path / "missing.zip")
    junk = tmp_path / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
    junk.write_text("not,a,lobster,file\n")
    with pytest.raises(CalibrationError, match="cannot read LOBSTER data"):
        load_target(junk)
    bad_zip = tmp_path / "data.zip"
    bad_zip.write_bytes(b"PK not a zip")
    with pytest.raises(CalibrationError, match="cannot read"):
        load_target(bad_zip)
    assert (
        run_calibrate(_parser().parse_args(["calibrate", "--data", str(tmp_path / "nope"), "--quiet"])) == 2
    )
    assert "no LOBSTER data" in capsys.readouterr().err


def test_window_outside_the_session_is_an_error() -> None:
    with pytest.raises(CalibrationError, match="not inside"):
        target_from_data(minute_market(), start="09:00", end="09:40")


def test_cli_end_to_end_on_a_small_simulated_file(tmp_path: Path) -> None:
    """A LOBSTER file written from a short simulation, calibrated on a tiny budget: every output exists."""
    lobster = simulate(get_preset("small"), seed=5).lobster
    message_path, _ = write_lobster(lobster, tmp_path / "data")
    out = tmp_path / "out"
    args = _parser().parse_args(
        [
            "calibrate",
            "--data",
            str(message_path),
            "--budget",
            "2",
            "--seeds",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert run_calibrate(args) == 0
    payload = json.loads((out / "calibration.json").read_text())
    assert payload["facts_total"] == 10 and len(payload["history_loss"]) == 2
    assert payload["held_out_seeds"] == [1000] and payload["seeds"] == [0]  # the table is out of sample
    assert WorldConfig.from_dict(json.loads((out / "config.json").read_text())).oracle.r_bar > 0
    assert (out / "report.md").read_text().startswith("| fact |") and (
        out / "calibration.png"
    ).stat().st_size > 0


# ----------------------------------------------------------------------------------------- world knob, preset
def test_sweep_margin_default_is_abides_and_validated() -> None:
    assert ValueConfig().sweep_margin is None
    with pytest.raises(ConfigError, match="sweep_margin"):
        ValueConfig(sweep_margin=-1.0)
    config = get_preset("small")
    plain = simulate(config, seed=2).lobster
    never = replace(config, value=replace(config.value, sweep_margin=1e12))
    always = replace(config, value=replace(config.value, sweep_margin=0.0))
    assert simulate(never, seed=2).lobster == plain  # a margin never reached changes nothing
    assert simulate(always, seed=2).lobster != plain


def test_amzn_preset_builds_and_simulates() -> None:
    assert "amzn" in PRESETS and "rmsc04" in PRESETS
    config = get_preset("amzn")
    assert config.name == "amzn" and config.value.sweep_margin is not None
    assert WorldConfig.from_dict(config.to_dict()) == config
    result = simulate(config.with_session("09:30", "09:45"), seed=0)
    facts = calibration_facts(result.lobster, levels=1)
    assert len(result) > 100 and np.isfinite(facts["spread_ticks_mean"])
    assert 15_000 < np.nanmedian(result.lobster.mid) / 100 < 30_000  # AMZN's price level, in cents


@pytest.mark.slow
@needs_real_data
def test_tiny_real_calibration_on_amzn(tmp_path: Path) -> None:
    target = load_target(ZIP_1, start="09:30", end="11:00")
    assert target.levels == 1 and 20_000 < target.r_bar < 24_000
    result = calibrate(target, budget=4, seeds=[0], progress=False)
    assert len(result.trace.losses) == 4 and math.isfinite(result.loss)
