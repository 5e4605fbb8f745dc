"""A user's mistakes on the command line get a one-line error naming the option or file, with exit
status 2 and no traceback (issue 16, items 4 and 7)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import intags_env  # noqa: F401  (registers the ids)
from intags_env.cli import main

FAST = {
    "background": "small",
    "warmup_s": 60.0,
    "horizon_s": 20.0,
    "decision_interval_s": 10.0,
    "quantity": 100,
}


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``intags argv``, expect the exit status 2 of a user error (returned or argparse's), and
    return stderr, checked to hold no traceback."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "error:" in err
    return err


def damaged_model(path: Path) -> Path:
    """A zip that SB3 would read as "No data found in the saved file" (an AssertionError): what an
    interrupted save leaves behind."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_stable_baselines3_version", "2.0")
    return path


def test_bench_takes_an_env_id_without_its_namespace(tmp_path, capsys) -> None:
    argv = ["bench", "Execution-v0", "--agents", "twap", "--seeds", "1", "--quiet", "--out", str(tmp_path)]
    assert main([*argv, "--env-kwargs", json.dumps(FAST)]) == 0
    assert "twap" in capsys.readouterr().out
    assert json.loads((tmp_path / "bench.json").read_text())["env"] == "intags_env/Execution-v0"


def test_bench_names_an_unknown_env_id_and_lists_ours(capsys) -> None:
    err = fails(["bench", "Nope-v0", "--seeds", "1", "--quiet"], capsys)
    assert "Nope-v0" in err and "intags_env/Execution-v0" in err


def test_a_wrong_env_kwargs_key_is_named_with_the_accepted_arguments(capsys) -> None:
    err = fails(["bench", "intags_env/Execution-v0", "--quiet", "--env-kwargs", '{"quantiti": 5}'], capsys)
    assert "--env-kwargs" in err and "'quantiti'" in err
    assert "quantity" in err and "horizon_s" in err and "TraderEnv" not in err


def test_a_json_error_names_its_option(capsys) -> None:
    err = fails(["bench", "intags_env/Execution-v0", "--env-kwargs", "{quantity: 5}"], capsys)
    assert "--env-kwargs" in err and "JSON" in err
    err = fails(["bench", "intags_env/Execution-v0", "--env-kwargs", "[1, 2]"], capsys)
    assert "--env-kwargs" in err and "JSON object" in err


def test_agents_are_listed_by_the_names_users_type(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "random_actions" in help_text and "twap" in help_text and "market_maker" in help_text
    err = fails(["bench", "intags_env/Execution-v0", "--agents", "nope", "--quiet"], capsys)
    assert "'nope'" in err and "random_actions" in err and "twap" in err
    assert not err.split("error: ", 1)[1].startswith('"')  # the message, not a KeyError's repr


@pytest.mark.parametrize(
    "argv",
    [
        ["distance", "--synthetic", "small", "--episodes", "0"],
        ["distance", "--synthetic", "small", "--workers", "0"],
        ["realism", "--workers", "0"],
        ["bench", "intags_env/Execution-v0", "--seeds", "0"],
    ],
)
def test_counts_below_one_are_refused_by_option(argv, capsys) -> None:
    err = fails(argv, capsys)
    option = argv[argv.index("0") - 1]
    assert f"argument {option}" in err and "positive integer" in err


def test_a_missing_synthetic_model_is_named_as_typed(tmp_path, capsys) -> None:
    missing = tmp_path / "missing.zip"
    err = fails(["distance", "--synthetic", str(missing), "--episodes", "2", "--quiet"], capsys)
    assert str(missing) in err and "missing.zip.zip" not in err


def test_a_damaged_synthetic_model_is_named(tmp_path, capsys) -> None:
    model = damaged_model(tmp_path / "gen.zip")
    argv = ["distance", "--synthetic", str(model), "--episodes", "2", "--workers", "1", "--quiet"]
    err = fails(argv, capsys)
    assert f"{model} is not a readable, complete generator model" in err


@pytest.mark.parametrize("method", ["es", "ppo"])
def test_resume_with_nothing_to_resume_is_an_error(tmp_path, capsys, monkeypatch, method) -> None:
    from intags_env.generator import train

    started = []
    monkeypatch.setattr(train, "train_generator", lambda *args, **kwargs: started.append(args))
    out = tmp_path / "empty"
    for folder in (out, tmp_path / "new"):  # an empty folder, and one that does not exist
        if folder == out:
            (out / "checkpoints").mkdir(parents=True)
        err = fails(["train", "--resume", "--method", method, "--out", str(folder), "--quiet"], capsys)
        assert "--resume: nothing to resume" in err and str(folder) in err
    assert not started  # it did not silently start from scratch


def test_resume_from_a_damaged_checkpoint_names_it(tmp_path, capsys, monkeypatch) -> None:
    from intags_env.generator import train

    monkeypatch.setattr(train, "train_generator", lambda *args, **kwargs: pytest.fail("trained"))
    (tmp_path / "checkpoints").mkdir()
    damaged_model(tmp_path / "checkpoints" / "generator_1024_steps.zip")
    err = fails(["train", "--resume", "--method", "ppo", "--out", str(tmp_path), "--quiet"], capsys)
    assert "generator_1024_steps.zip is not a readable, complete model checkpoint" in err
    damaged_model(tmp_path / "pretrained.zip")
    err = fails(["train", "--resume", "--out", str(tmp_path), "--quiet"], capsys)
    assert "pretrained.zip is not a readable, complete model checkpoint" in err


def test_train_cwgan_resume_with_nothing_to_resume_is_an_error(tmp_path, capsys, monkeypatch) -> None:
    from intags_agents.cwgan import training

    monkeypatch.setattr(training, "train_cwgan", lambda *args, **kwargs: pytest.fail("trained"))
    err = fails(["train-cwgan", "--resume", "--out", str(tmp_path), "--quiet"], capsys)
    assert "--resume: nothing to resume" in err


def test_a_damaged_lobster_zip_is_reported_as_damaged(tmp_path, capsys) -> None:
    pair = tmp_path / "pair.zip"
    stem = "AMZN_2012-06-21_34200000_57600000"
    with zipfile.ZipFile(pair, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}_message_1.csv", "34200.1,1,1,100,2238100,1\n" * 50)
        archive.writestr(f"{stem}_orderbook_1.csv", "2239600,50,2238100,100\n" * 50)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(pair.read_bytes()[:200])
    err = fails(["facts", str(truncated)], capsys)
    assert str(truncated) in err and "damaged" in err and "not a LOBSTER file name" not in err


def test_an_agents_arguments_are_passed_and_change_its_result(tmp_path, capsys) -> None:
    """``--agents "twap,twap(quantity=7)"``: two contestants, the second built with its argument (issue 16,
    item 8)."""
    argv = ["bench", "Execution-v0", "--seeds", "1", "--quiet", "--out", str(tmp_path)]
    code = main([*argv, "--agents", "twap, twap(quantity=7)", "--env-kwargs", json.dumps(FAST)])
    assert code == 0
    assert "twap(quantity=7)" in capsys.readouterr().out
    rewards = {e["agent"]: e["reward"] for e in json.loads((tmp_path / "bench.json").read_text())["episodes"]}
    assert set(rewards) == {"twap", "twap(quantity=7)"}
    assert rewards["twap"] != rewards["twap(quantity=7)"]  # 7 shares, not the environment's 100


def test_agent_arguments_are_parsed_as_json_and_override_the_environments() -> None:
    import gymnasium as gym

    from intags_env.bench import _policy, split_contestants

    assert split_contestants("twap, pov(participation=0.5,side=-1), random_actions,") == [
        "twap",
        "pov(participation=0.5,side=-1)",
        "random_actions",
    ]
    env = gym.make("intags_env/Execution-v0", **FAST)
    policy = _policy("pov(participation=0.5, side=-1, quantity=42)", env)
    agent = policy.agent
    assert (agent.participation, agent.side, agent.quantity) == (0.5, -1, 42)
    assert policy.name == "pov(participation=0.5, side=-1, quantity=42)"
    assert _policy("pov", env).agent.quantity == FAST["quantity"]  # no arguments: the environment's
    env.close()


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        ("twap,pov(participaton=0.2)", ["agent 'pov' takes no argument 'participaton'", "participation, "]),
        ("pov(participation=2)", ["agent 'pov(participation=2)'", "participation must be in (0, 1]"]),
        ("pov(participation)", ["agent 'pov'", "expected KEY=VALUE", "'participation'"]),
        ("pov(participation=0.2x)", ["agent 'pov'", "participation='0.2x'", "not a JSON value"]),
        ("pov(participation=0.2", ["--agents", "unbalanced parentheses"]),
        ("random_actions(size=3)", ["'random_actions' takes no arguments"]),
        ("twap,twap", ["'twap' given twice"]),
    ],
)
def test_a_bad_agent_argument_is_named(agents, expected, capsys) -> None:
    argv = ["bench", "Execution-v0", "--agents", agents, "--seeds", "1", "--quiet"]
    err = fails([*argv, "--env-kwargs", json.dumps(FAST)], capsys)
    for text in expected:
        assert text in err
