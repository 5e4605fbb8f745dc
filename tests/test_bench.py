"""The benchmark harness: common seeds, leaderboard statistics, outputs, contestant errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import intags_env  # noqa: F401  (registers the ids)
from intags_env.bench import benchmark, leaderboard_table
from intags_env.cli import main

ENV = "intags_env/Execution-v0"
FAST = {
    "background": "small",
    "warmup_s": 60.0,
    "horizon_s": 120.0,
    "decision_interval_s": 10.0,
    "quantity": 300,
}


def test_every_contestant_plays_the_same_seeds_and_the_board_is_sorted(tmp_path) -> None:
    board, episodes = benchmark(
        ENV, ["twap", "random_actions"], seeds=[3, 4, 5], env_kwargs=FAST, out_dir=tmp_path
    )
    assert [s.agent for s in board] == sorted(
        {"twap", "random_actions"}, key=lambda a: -next(s.reward_mean for s in board if s.agent == a)
    )
    for name in ("twap", "random_actions"):
        assert [e.seed for e in episodes if e.agent == name] == [3, 4, 5]
    for s in board:
        rewards = np.array([e.reward for e in episodes if e.agent == s.agent])
        assert s.reward_mean == pytest.approx(rewards.mean())
        assert s.reward_ci95 > 0
        # in Execution-v0 the return is minus the shortfall
        assert s.shortfall_bps_mean == pytest.approx(-s.reward_mean)
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["seeds"] == [3, 4, 5] and len(saved["episodes"]) == 6
    assert (tmp_path / "rewards.png").stat().st_size > 0
    assert "twap" in leaderboard_table(board)


def test_same_seeds_give_the_same_scores() -> None:
    first = benchmark(ENV, ["twap"], seeds=2, env_kwargs=FAST)[1]
    again = benchmark(ENV, ["twap"], seeds=2, env_kwargs=FAST)[1]
    assert first == again


def test_unknown_contestants_are_errors() -> None:
    with pytest.raises(KeyError, match="no trading agent named"):
        benchmark(ENV, ["not_an_agent"], seeds=1, env_kwargs=FAST)
    with pytest.raises(TypeError, match="contestant"):
        benchmark(ENV, [3.14], seeds=1, env_kwargs=FAST)


def test_cli_bench(tmp_path, capsys) -> None:
    code = main(
        [
            "bench",
            ENV,
            "--agents",
            "twap,pov",
            "--seeds",
            "2",
            "--quiet",
            "--out",
            str(tmp_path),
            "--env-kwargs",
            json.dumps(FAST),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "twap" in out and "pov" in out and (tmp_path / "bench.json").exists()


def test_a_pov_agent_in_the_learners_seat_sees_the_market_volume_and_trades_along() -> None:
    import gymnasium as gym

    from intags_env.bench import _policy, run_episode

    env = gym.make(ENV, **{**FAST, "quantity": 3_000})
    views = []
    policy = _policy("pov", env)
    decide = policy.agent.decide
    policy.agent.decide = lambda view: views.append(view) or decide(view)
    result = run_episode(env, policy, seed=3)
    assert sum(v.volume for v in views) > 0  # the env's observation must not swallow the view's volume
    # POV works the parent order along the market's volume, not all of it at the forced end
    assert len([v for v in views[:-1] if v.inventory != 0]) > len(views) // 2
    assert result.steps == len(views)
