"""Experimental traders and feedback rollouts on a market."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.intags.experiment import ConfoundedTrader, collect_feedback, rollout


def test_a_randomised_trader_has_constant_propensity_and_a_confounded_one_follows_the_state() -> None:
    rct = rollout("small", ConfoundedTrader(beta=0.0, size=20, interval_s=5.0), seed=1, warmup_s=60.0)
    assert len(rct.actions) > 40 and np.all(rct.propensities == 0.5)
    confounded = rollout("small", ConfoundedTrader(beta=2.0, size=20, interval_s=5.0), seed=1, warmup_s=60.0)
    p, z = confounded.propensities, confounded.states
    assert p.std() > 0
    assert np.all(np.diff(p[np.argsort(z)]) >= -1e-12)  # increasing in the state
    assert len(confounded.mids) == len(confounded.actions) + 1


def test_feedback_is_deterministic_per_seed_whatever_the_worker_count() -> None:
    trader = ConfoundedTrader(beta=1.0, size=20, interval_s=10.0)
    one = collect_feedback("small", trader, seeds=[3, 4, 5], horizons=3, warmup_s=60.0)
    two = collect_feedback("small", trader, seeds=[3, 4, 5], horizons=3, warmup_s=60.0, workers=2)
    assert one.shape == (3, 3) and np.isfinite(one).all()
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one[0], one[1])


def test_buying_pushes_the_mid_up_one_decision_ahead() -> None:
    # a 300-share market order moves the thin `small` book: the average effect at h=1 is positive
    trader = ConfoundedTrader(beta=0.0, size=300, interval_s=10.0)
    f = collect_feedback("small", trader, seeds=range(8), horizons=1, warmup_s=60.0)
    assert f[:, 0].mean() > 0


def test_a_large_move_keeps_the_propensity_inside_zero_one() -> None:
    # a 1000-share order moves the `small` mid by hundreds of return_scale units; the clipped state keeps
    # e(s) in [sigmoid(-beta*z_clip), sigmoid(beta*z_clip)] instead of overflowing or rounding to 0 / 1
    trader = ConfoundedTrader(beta=3.0, size=1000, interval_s=5.0, z_clip=4.0)
    traj = rollout("small", trader, seed=2, warmup_s=60.0)
    bound = 1.0 / (1.0 + np.exp(-12.0))
    assert np.abs(traj.states).max() == 4.0
    assert np.all((traj.propensities >= 1.0 - bound - 1e-12) & (traj.propensities <= bound + 1e-12))


def test_an_imbalance_confounded_trader_buys_when_the_touch_is_bid_heavy() -> None:
    trader = ConfoundedTrader(beta=2.0, size=20, interval_s=5.0, feature="imbalance", imbalance_scale=0.5)
    traj = rollout("small", trader, seed=3, warmup_s=60.0)
    assert np.all(np.abs(traj.states) <= 2.0 + 1e-12)  # |imbalance| <= 1, over the 0.5 scale
    assert traj.states.std() > 0
    np.testing.assert_allclose(traj.propensities, 1.0 / (1.0 + np.exp(-2.0 * traj.states)))
    assert traj.states[traj.actions == 1].mean() > traj.states[traj.actions == 0].mean()


def test_bad_trader_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConfoundedTrader(size=0)
    with pytest.raises(ValueError, match="feature"):
        ConfoundedTrader(feature="spread")


def test_feedback_sets_are_cached_by_configuration(tmp_path) -> None:
    trader = ConfoundedTrader(beta=1.0, size=20, interval_s=10.0)
    first = collect_feedback("small", trader, seeds=[1, 2], horizons=2, warmup_s=60.0, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("feedback-*.npy"))) == 1
    again = collect_feedback("small", trader, seeds=[1, 2], horizons=2, warmup_s=60.0, cache_dir=tmp_path)
    np.testing.assert_array_equal(first, again)
    collect_feedback("small", trader, seeds=[1, 3], horizons=2, warmup_s=60.0, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("feedback-*.npy"))) == 2  # other seeds, another key


def test_cli_distance_prints_both_comparisons(capsys) -> None:
    from intags_env.cli import main

    code = main(
        [
            "distance",
            "--real",
            "small",
            "--synthetic",
            "small",
            "--episodes",
            "4",
            "--horizons",
            "2",
            "--size",
            "20",
            "--permutations",
            "50",
            "--workers",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "real vs small" in out and "real vs real (floor)" in out and "MMD^2" in out
