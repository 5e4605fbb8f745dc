"""The realism comparison: facts distances, markets and their sessions, the causal and recorded-day
comparisons, and the report (the probes have their own tests)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from intags_env.intags.observational import observational_feedback, observational_trajectory, session_feedback
from intags_env.realism import compare
from intags_env.realism import markets as realism_markets
from intags_env.realism.compare import CausalResult, Window, causal_comparison, facts_comparison
from intags_env.realism.facts_distance import DISTRIBUTIONS, facts_distances, pooled_samples
from intags_env.realism.markets import Market, market_session
from intags_env.realism.recorded import day_windows, recorded_comparison
from intags_env.realism.report import markdown_table
from intags_env.world import WorldError, simulate
from intags_env.world.config import parse_time_of_day

WINDOW = Window(real="small", start="09:32", end="09:36")


@pytest.fixture(scope="module")
def small_day():
    return simulate("small", seed=3).lobster


def test_facts_distances_are_zero_for_identical_samples_and_measure_a_shift():
    rng = np.random.default_rng(0)
    real = {name: rng.exponential(size=2000) for name in DISTRIBUTIONS}
    same = facts_distances(real, real)
    assert all(d["ks"] == 0.0 and d["w1"] == 0.0 for d in same.values())
    shifted = facts_distances(real, {name: x + 0.5 for name, x in real.items()})
    for d in shifted.values():
        assert d["w1"] == pytest.approx(0.5)
        assert d["ks"] > 0.2 and d["ks_p"] < 1e-6


def test_facts_distances_name_a_missing_or_empty_distribution():
    real = {name: np.arange(5.0) for name in DISTRIBUTIONS}
    with pytest.raises(KeyError, match="spread_ticks"):
        facts_distances(real, {k: v for k, v in real.items() if k != "spread_ticks"})
    with pytest.raises(ValueError, match="no finite samples of 'order_size'"):
        facts_distances(real, {**real, "order_size": np.array([np.nan])})
    with pytest.raises(ValueError, match="at least one session"):
        pooled_samples([])


def test_pooled_samples_concatenate_sessions(small_day):
    one = pooled_samples([small_day])
    two = pooled_samples([small_day, small_day])
    assert set(one) == set(DISTRIBUTIONS)
    for name in DISTRIBUTIONS:
        assert one[name].size > 0 and np.isfinite(one[name]).all()
        assert two[name].size == 2 * one[name].size
    assert (one["spread_ticks"] >= 1).all() and (one["order_size"] >= 1).all()


def test_a_preset_session_is_its_window_of_a_session_from_the_open():
    market = Market("real", "small")
    data = market_session(market, 5, "09:32", "09:36")
    assert data.start_ns == parse_time_of_day("09:32")
    times = data.messages["time"]
    assert times.min() >= parse_time_of_day("09:32") and times.max() <= parse_time_of_day("09:36")
    again = market_session(market, 5, "09:32", "09:36")
    assert np.array_equal(data.messages, again.messages)
    assert not np.array_equal(market_session(market, 6, "09:32", "09:36").messages, data.messages)


def test_market_check_names_what_is_wrong(tmp_path):
    with pytest.raises(Exception, match="unknown world preset"):
        Market("x", "no_such_preset").check("small", "09:32", "09:36")
    with pytest.raises(FileNotFoundError, match="no model at"):
        Market("g", str(tmp_path / "missing.zip")).check("small", "09:32", "09:36")
    model = tmp_path / "g.zip"
    model.write_bytes(b"")
    model.with_suffix(".json").write_text(json.dumps({"real": "small", "start": "09:35", "end": "09:45"}))
    with pytest.raises(ValueError, match="was trained for"):
        Market("g", str(model)).check("small", "09:32", "09:36")
    Market("g", str(model)).check("small", "09:35", "09:45")  # its own window: fine


def test_the_real_market_against_its_own_reference_is_a_noise_floor():
    results, reference = causal_comparison([Market("real", "small")], WINDOW, episodes=16, permutations=50)
    real = results["real"]
    assert len(reference) == 16 and real.failed_episodes == 0
    assert real.error is None and real.feedback.shape == (16, 5)
    assert abs(real.mmd2) < 0.2 and real.p_value > 0.05
    assert 0.0 <= real.imbalance_abs_mean <= 1.0
    again, _ = causal_comparison([Market("real", "small")], WINDOW, episodes=16, permutations=50)
    assert again["real"].mmd2 == real.mmd2


def test_a_market_that_breaks_is_reported_not_fatal(monkeypatch):
    original = realism_markets.causal_episode

    def causal_episode(market, trader, seed, *args):
        if market.name == "broken" or (market.name == "flaky" and seed % 2):
            raise WorldError("capacity exceeded: the generator has 4096 live orders")
        return original(market, trader, seed, *args)

    def market_session_(market, *args):
        raise WorldError("capacity exceeded")

    monkeypatch.setattr(realism_markets, "causal_episode", causal_episode)
    markets = [Market("real", "small"), Market("broken", "small"), Market("flaky", "small")]
    results, _ = causal_comparison(markets, WINDOW, episodes=4, permutations=20)
    assert results["broken"].error.startswith("capacity exceeded") and np.isnan(results["broken"].mmd2)
    assert np.isfinite(results["real"].mmd2) and results["real"].broken_episodes == 0
    flaky = results["flaky"]  # the sessions that ran are measured, the broken ones counted and named
    assert flaky.broken_episodes == 2 and flaky.feedback.shape == (2, 5) and np.isfinite(flaky.mmd2)
    assert flaky.error.startswith("2 of 4 sessions broke down: capacity exceeded")
    monkeypatch.setattr(compare, "market_session", market_session_)
    with pytest.raises(WorldError):  # the real reference itself cannot run: nothing to compare with
        facts_comparison(markets, WINDOW, sessions=2)


def test_session_feedback_is_the_one_window_of_all_usable_bins(small_day):
    actions, _, _ = observational_trajectory(small_day, 10.0, 3)
    whole = observational_feedback(small_day, 10.0, 3, window_s=10.0 * len(actions))
    assert whole.shape == (1, 3)
    assert np.allclose(session_feedback(small_day, 10.0, 3), whole[0])


def test_day_windows_cut_a_recording_into_equal_windows(small_day):
    windows = day_windows(small_day, 60.0, skip_open_s=120.0)
    assert len(windows) == 8  # 09:32-09:40 in minutes
    for i, w in enumerate(windows):
        assert w.start_ns == parse_time_of_day("09:32") + i * 60 * 10**9
        assert w.end_ns - w.start_ns == 60 * 10**9
        times = w.messages["time"]
        assert times.min() >= w.start_ns and times.max() < w.end_ns
    with pytest.raises(ValueError, match="too few"):
        day_windows(small_day, 200.0)
    with pytest.raises(ValueError, match="window_s must be positive"):
        day_windows(small_day, 0.0)


def test_recorded_comparison_scores_markets_against_the_day_and_its_floor():
    day = simulate("small", seed=11, end="10:10").lobster
    report, pools = recorded_comparison(
        day, [Market("small", "small")], start="09:32", end="09:36", sessions=6, permutations=30
    )
    assert report["windows"] == 8 and report["usable_windows"] >= 4
    assert set(report["floor"]["facts"]) == set(DISTRIBUTIONS)
    row = report["markets"]["small"]
    assert np.isfinite(row["causal"]["mmd2"]) and 0 < row["causal"]["p_value"] <= 1
    assert all(0 <= d["ks"] <= 1 for d in row["facts"].values())
    assert set(pools) == {"recorded day", "small"} and pools["small"]["order_size"].size > 0


def test_markdown_table_reports_a_broken_market():
    facts = {name: {"ks": 0.1, "ks_p": 0.5, "w1": 1.0} for name in DISTRIBUTIONS}
    good = {"causal": CausalResult(0.01, 0.3, 0.1, 0.08, 0.0, 0, np.zeros((0, 5)), np.zeros(0)).as_dict()}
    report = {
        "markets": {
            "real": {**good, "facts": facts, "exploit": {"mean": -1.5, "se": 0.3}, "policy_rank_corr": 1.0},
            "cwgan": {
                "causal": CausalResult.broken("capacity exceeded").as_dict(),
                "facts": {"error": "capacity exceeded"},
                "error": "capacity exceeded",
            },
        }
    }
    table = markdown_table(report)
    assert "| real | 0.0100 | 0.300 |" in table and "-1.50 ± 0.30" in table
    assert "| cwgan | — |" in table
    assert "cwgan could not be measured in full** (broken sessions are left out): capacity" in table
