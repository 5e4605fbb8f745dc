"""Saved world agents load through the ``intags_env.world_agents`` entry-point group: the project's own
kinds (``.zip`` SB3 generator, ``.pt`` cWGAN) and a third party's, registered by a package installed at
test time (a ``.dist-info`` with ``entry_points.txt`` on ``sys.path``, as ``pip install`` leaves it)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import intags_env  # noqa: F401  (registers the environments)
from intags_env.envs import make_background
from intags_env.envs.world_agents import (
    GROUP,
    _entries,
    is_world_agent_file,
    load_world_agent,
    world_agent_suffixes,
    world_agent_trainer,
)
from intags_env.world import World, get_preset
from intags_env.world.config import ConfigError

TOY_MODULE = '''
"""A third-party world agent: its background is the ``small`` preset, its window written in the file."""
import json

from intags_env.world import World, resolve_config


class ToyWorldAgent:
    policy = None

    def __init__(self, window):
        self.window = window

    def background(self, n_external=4, start=None, end=None):
        config = resolve_config("small", start or self.window["start"], end or self.window["end"])
        return World(config, n_external=n_external)


def load(path):
    LOADS.append(path)
    return ToyWorldAgent(json.loads(open(path).read()))


LOADS = []
'''


@pytest.fixture
def toy_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install a package that registers ``.toy`` files as world agents; yields a saved ``.toy`` model."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "toy_world_agent.py").write_text(TOY_MODULE)
    info = site / "toy_world_agent-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-world-agent\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n.toy = toy_world_agent:load\n")
    monkeypatch.syspath_prepend(str(site))
    _entries.cache_clear()
    model = tmp_path / "model.toy"
    model.write_text('{"real": "small", "start": "09:30", "end": "09:40"}')
    yield model
    _entries.cache_clear()
    sys.modules.pop("toy_world_agent", None)


def test_the_project_registers_its_two_kinds() -> None:
    suffixes = world_agent_suffixes()
    assert suffixes[".zip"] == "intags_env.generator.saved:load_saved_generator"
    assert suffixes[".pt"] == "intags_agents.cwgan.agent:load_cwgan"
    assert is_world_agent_file("out/generator.zip") and is_world_agent_file(Path("m.pt"))
    assert not is_world_agent_file("rmsc04") and not is_world_agent_file(3)
    assert callable(world_agent_trainer("cwgan"))


def test_a_third_party_world_agent_runs_behind_an_environment(toy_package: Path) -> None:
    assert world_agent_suffixes()[".toy"] == "toy_world_agent:load"
    background = make_background(str(toy_package), 1)
    assert isinstance(background, World) and background.config.name == "small"
    env = gym.make("intags_env/Execution-v0", background=str(toy_package), horizon_s=60.0, warmup_s=5.0)
    obs, _ = env.reset(seed=0)
    obs, reward, *_ = env.step(env.action_space.sample())
    assert np.all(np.isfinite(obs)) and np.isfinite(reward)
    env.close()


def test_models_are_loaded_once_per_file_version(toy_package: Path) -> None:
    loads = __import__("toy_world_agent").LOADS
    first = load_world_agent(toy_package)
    assert load_world_agent(str(toy_package)) is first and len(loads) == 1
    assert load_world_agent(toy_package, cached=False) is not first and len(loads) == 2
    toy_package.write_text('{"real": "small", "start": "09:30", "end": "09:35"}')
    os.utime(toy_package, ns=(1, 1))  # a new version of the file, whatever the clock's resolution
    assert load_world_agent(toy_package).window["end"] == "09:35"


def test_unknown_specs_are_named_with_what_is_known(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no world-agent loader for \.npz .*\['\.pt', '\.zip'\]"):
        load_world_agent(tmp_path / "model.npz")
    with pytest.raises(ConfigError, match=r"unknown world preset 'model\.npz'.*a file ending in one of"):
        make_background("model.npz", 1)
    with pytest.raises(KeyError, match=r"no world-agent trainer 'gan'.*known: \['cwgan'\]"):
        world_agent_trainer("gan")
    with pytest.raises(FileNotFoundError, match="no generator model"):
        load_world_agent(tmp_path / "missing.zip")


def test_a_loader_that_returns_something_else_is_refused(toy_package: Path, monkeypatch) -> None:
    module = __import__("toy_world_agent")
    monkeypatch.setattr(module, "load", lambda path: object())
    with pytest.raises(TypeError, match="not a WorldAgent"):
        load_world_agent(toy_package, cached=False)


def test_a_world_config_saved_as_json_is_a_background(tmp_path: Path) -> None:
    """``intags calibrate`` writes config.json: every environment takes its path like a preset name."""
    config = get_preset("small")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    background = make_background(str(path), 1)
    assert isinstance(background, World) and background.config == config
    env = gym.make("intags_env/Execution-v0", background=str(path), horizon_s=60.0, warmup_s=5.0)
    env.reset(seed=0)
    env.close()
    (tmp_path / "bad.json").write_text('{"noise": {"count": 3, "typo": 1}}')
    with pytest.raises(ConfigError, match=r"bad\.json is not a world config.*typo"):
        make_background(str(tmp_path / "bad.json"), 1)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.json is not a world config"):
        make_background(str(tmp_path / "broken.json"), 1)
    with pytest.raises(FileNotFoundError, match="no world config at"):
        make_background(str(tmp_path / "missing.json"), 1)


def test_the_agent_based_envs_and_the_command_line_do_not_import_torch() -> None:
    """DESIGN: torch is for training and learned backgrounds only. Looking a spec up in the registry
    reads entry points, it does not load them; the CLI's parsers come from lazy package faces."""
    import subprocess

    code = (
        "import sys, gymnasium as gym, intags_env\n"
        "from intags_env.envs import make_background\n"
        "env = gym.make('intags_env/Execution-v0', horizon_s=60.0, warmup_s=5.0)\n"
        "env.reset(seed=0); env.step(env.action_space.sample())\n"
        "make_background('small', 1)\n"
        "from intags_env.cli import build_parser\n"
        "build_parser()  # every command's parser, the train and realism ones too\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
