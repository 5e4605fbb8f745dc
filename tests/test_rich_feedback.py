"""Rich causal feedback: known effects on each outcome, the background's flow per decision interval."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.intags.experiment import Trajectory
from intags_env.intags.rich import background_flow, rich_feedback, rich_feedback_names
from intags_env.metrics.facts import (
    DISTRIBUTIONS,
    SUMMARY_FACTS,
    distribution_quantiles,
    distribution_samples,
    fact_series,
    pooled_samples,
    summary_facts,
)
from intags_env.world import TRADE_DTYPE, simulate


def _trajectory(actions: np.ndarray) -> tuple[Trajectory, np.ndarray]:
    """A market where a buy widens the spread by 2 cents and raises the touch imbalance by 0.1 for one
    interval, and the background trades 100 shares with the trader right after; the mid never moves."""
    t = len(actions)
    spreads = 1.0 + np.concatenate([[0.0], 2.0 * actions[:-1]])
    imbalances = np.concatenate([[0.0], 0.1 * actions[:-1]])
    flow = 100.0 * (2 * actions - 1)
    traj = Trajectory(
        actions=actions.astype(np.int8),
        propensities=np.full(t, 0.5),
        mids=np.full(t + 1, 100.0),
        states=np.zeros(t),
        times=np.arange(t, dtype=np.int64) * 10,
        spreads=spreads,
        touch_imbalances=imbalances,
    )
    return traj, flow


def test_rich_feedback_recovers_known_effects() -> None:
    actions = np.random.default_rng(0).integers(0, 2, 400)
    traj, flow = _trajectory(actions)
    f = dict(zip(rich_feedback_names(3), rich_feedback(traj, flow, 3)))
    assert f["mid_h1"] == f["mid_h3"] == 0.0
    # the change from t to t + 1 also undoes the previous action's (independent of a_t): noise of ~0.1
    assert f["spread_h1"] == pytest.approx(2.0, abs=0.25)  # a buy widens by 2, a sell by 0
    assert f["imbalance_h1"] == pytest.approx(0.1, abs=0.0125)
    assert f["flow_h1"] == pytest.approx(200.0)  # +100 after a buy, -100 after a sell
    assert f["flow_h2"] == pytest.approx(200.0, abs=20.0)  # the next interval follows the next action


def test_rich_feedback_names_the_missing_logs() -> None:
    traj, flow = _trajectory(np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="flow intervals"):
        rich_feedback(traj, flow[:-1], 2)


def test_background_flow_bins_strictly_after_each_decision_and_leaves_out_the_trader() -> None:
    trades = np.zeros(6, TRADE_DTYPE)
    rows = [(10, 1, 9, 5), (15, 1, 5, 5), (20, -1, 3, 5), (25, 1, 50, 7), (35, 1, 7, 5), (45, 1, 1, 5)]
    for i, (time, side, qty, owner) in enumerate(rows):
        trades[i]["time"], trades[i]["side"], trades[i]["qty"], trades[i]["taker_owner"] = (
            time,
            side,
            qty,
            owner,
        )
    flow = background_flow(trades, trader_owner=7, times=np.array([10, 20, 30]), end_ns=40)
    np.testing.assert_array_equal(flow, [2.0, 0.0, 7.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        background_flow(trades, 7, np.array([20, 10]), 40)


def test_summary_facts_of_a_simulated_window() -> None:
    data = simulate("rmsc04", 3, end="09:40").lobster
    facts = dict(zip(SUMMARY_FACTS, summary_facts(data)))
    assert facts["spread_ticks_mean"] >= 1.0
    assert 0.0 <= facts["spread_share_1tick"] <= 1.0 and 0.0 <= facts["share_same_timestamp"] <= 1.0
    seconds = (data.end_ns - data.start_ns) / 1e9
    assert facts["log_messages_per_s"] == pytest.approx(np.log(len(data.messages) / seconds))
    assert facts["depth_l1_mean"] > 0 and facts["order_size_mean"] > 0 and facts["return_std_bp_10s"] > 0


def test_distribution_quantiles_keep_real_values_and_mark_empty_distributions() -> None:
    samples = {name: np.array([]) for name in DISTRIBUTIONS}
    samples["spread_ticks"] = np.array([1, 1, 1, 2, np.nan])  # NaN left out
    samples["order_size"] = np.arange(1.0, 101.0)
    q = distribution_quantiles(samples, points=4)
    names = list(DISTRIBUTIONS)
    np.testing.assert_array_equal(q[names.index("spread_ticks")], [1, 1, 1, 2])
    np.testing.assert_array_equal(q[names.index("order_size")], [13, 38, 63, 88])  # inverted CDF
    assert np.isnan(q[names.index("interarrival_s")]).all()


def test_pooled_samples_are_each_sessions_distribution_samples() -> None:
    data = simulate("rmsc04", 3, end="09:40").lobster
    pooled = pooled_samples([data, data])
    one = distribution_samples(fact_series(data))
    for name in DISTRIBUTIONS:
        np.testing.assert_array_equal(pooled[name], np.concatenate([one[name], one[name]]))


def test_a_trader_free_episode_has_facts_and_no_feedback() -> None:
    from intags_env.generator.evaluate import episode_stats
    from intags_env.world import resolve_config

    config = resolve_config("rmsc04", end="09:40")
    stats = episode_stats(config, None, seed=3, horizons=3, warmup_s=300.0)
    assert np.isnan(stats.feedback).all() and np.isnan(stats.rich).all()
    assert np.isfinite(stats.facts).all() and np.isfinite(stats.quantiles).all()
    assert stats.buy_volume + stats.sell_volume > 0  # every trade is the background's
