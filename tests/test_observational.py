"""INTAGS feedback from recorded markets (treatment = the bin's net aggressor side)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from intags_env.data import read_lobster
from intags_env.intags.observational import observational_feedback, observational_trajectory
from intags_env.world import simulate

AMZN = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "lobster"
    / ("LOBSTER_SampleFile_AMZN_2012-06-21_1.zip")
)


@pytest.fixture(scope="module")
def day():
    return simulate("rmsc04", seed=0, end="12:00").lobster


def test_trajectory_shapes_and_treatment(day) -> None:
    actions, confounders, outcomes = observational_trajectory(day, bin_s=10.0, horizons=3)
    assert actions.ndim == 1 and set(np.unique(actions)) == {0, 1}
    assert confounders.shape == (len(actions), 2) and outcomes.shape == (len(actions), 3)
    assert np.isfinite(confounders).all() and np.isfinite(outcomes).all()
    assert np.all(np.abs(confounders[:, 1]) <= 1)  # depth imbalance


def test_net_buying_moves_the_simulated_mid_up(day) -> None:
    feedback = observational_feedback(day, bin_s=10.0, horizons=3, window_s=1800.0)
    assert feedback.shape[0] >= 3 and feedback.shape[1] == 3  # 09:30-12:00: 900 bins, 180 per window
    assert np.all(feedback[:, 0] > 0)  # executions at the touch move the mid with the flow


def test_bad_arguments(day) -> None:
    with pytest.raises(ValueError, match="bin_s"):
        observational_trajectory(day, bin_s=0)
    with pytest.raises(ValueError, match="too few"):
        observational_trajectory(day, bin_s=3000.0, horizons=5)


@pytest.mark.skipif(not AMZN.exists(), reason=f"real LOBSTER sample not found at {AMZN}")
def test_amzn_day_gives_one_positive_feedback_vector_per_half_hour() -> None:
    feedback = observational_feedback(read_lobster(AMZN), bin_s=10.0, horizons=5)
    assert feedback.shape == (8, 5)
    assert np.all(feedback > 0)  # AMZN's mid follows its net order flow at every horizon
