"""``intags --help`` and ``--version`` (issue 16, item 8): every option of every command has a help text
that says its default, the preset choices come from the preset registry, help is plain text (no RST),
and ``--version`` prints the installed version."""

from __future__ import annotations

import argparse
from importlib.metadata import version

import pytest

import intags_env
from intags_env.cli import build_parser, main


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name."""
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """A parser's arguments, but ``--help``."""
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]


def test_there_are_commands() -> None:
    assert {"simulate", "facts", "bench", "distance", "train", "realism", "calibrate"} <= set(commands())


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_argument_has_help(name: str) -> None:
    missing = [a.dest for a in options(commands()[name]) if not (a.help or "").strip()]
    assert not missing, f"intags {name}: arguments without help: {missing}"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_says_its_default(name: str) -> None:
    """An option's help, as shown, names its default: the value, or in words where it is None. Only
    on/off switches (off by default) and required options need not."""
    parser = commands()[name]
    formatter = parser._get_formatter()
    silent = [
        a.dest
        for a in options(parser)
        if a.option_strings and not a.required and a.default is not False
        if "default" not in formatter._get_help_string(a)
    ]
    assert not silent, f"intags {name}: options whose help hides the default: {silent}"


def test_a_default_is_shown_with_its_value(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "random seed of the session (default: 0)" in text  # a zero default is a default too
    assert "(default: rmsc04)" in text and "(default: 0.1)" in text
    assert "(default: None)" not in text and "(default: False)" not in text


def test_simulate_offers_every_preset() -> None:
    from intags_env.world import PRESETS

    (preset,) = [a for a in commands()["simulate"]._actions if a.dest == "preset"]
    assert list(preset.choices) == sorted(PRESETS) and "amzn" in preset.choices
    assert "amzn" in commands()["simulate"].format_help()


@pytest.mark.parametrize("name", ["", *sorted(commands())])
def test_help_is_plain_text(name: str) -> None:
    parser = commands()[name] if name else build_parser()
    text = parser.format_help()
    for markup in ("``", ":func:", ":mod:", ":class:", ":meth:"):
        assert markup not in text, f"intags {name} --help shows RST markup {markup!r}"


def test_calibrate_help_keeps_its_paragraphs() -> None:
    text = commands()["calibrate"].format_help()
    assert "Fit the agent-based background" in text and "\n\nWrites to OUT" in text


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"intags {version('intags-env')}"
    assert version("intags-env") == intags_env.__version__


def test_training_defaults_in_help_are_the_settings() -> None:
    """``train`` and ``train-cwgan`` state their settings' defaults in words (a None default means "the
    settings'"): they must be the settings' actual values."""
    from intags_agents.cwgan.training import CWGANSettings

    from intags_env.generator.train import TrainSettings

    def help_of(command: str, dest: str) -> str:
        (action,) = [a for a in commands()[command]._actions if a.dest == dest]
        return action.help

    full, quick = TrainSettings(), TrainSettings.quick()
    for dest, field in (
        ("pretrain_steps", "pretrain_epochs"),
        ("generations", "generations"),
        ("steps", "steps"),
    ):
        expected = f"(default: {getattr(full, field)}; --quick: {getattr(quick, field)})"
        assert expected in help_of("train", dest)
    expected = f"(default: {CWGANSettings().steps}; --quick: {CWGANSettings.quick().steps})"
    assert expected in help_of("train-cwgan", "steps")
