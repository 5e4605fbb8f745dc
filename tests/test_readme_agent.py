"""The README's "Write your own trading agent" section runs as written, and what it says holds: the agent
trades in the background, its account is where the README says, it plays beside market_v0's learners."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _agent_section() -> str:
    text = README.read_text()
    section = text.split("### Write your own trading agent", 1)[1].split("\n### ", 1)[0]
    return section


def _run_the_readme_example() -> dict:
    code = re.search(r"```python\n(.*?)```", _agent_section(), re.S)
    assert code, "the section lost its Python example"
    namespace: dict = {"__name__": "readme_agent"}
    exec(compile(code.group(1), str(README), "exec"), namespace)  # our own README
    return namespace


def test_the_readme_agent_runs_and_its_account_matches_its_fills(capsys) -> None:
    ns = _run_the_readme_example()
    agent, account = ns["agent"], ns["account"]
    assert agent.bought > 0, "the example agent never traded: the README's example shows nothing"
    # it only buys: its inventory is the fills it heard plus those it hears at its next decision
    assert account.inventory == agent.bought + sum(f.qty for f in account.pending_fills)
    printed = capsys.readouterr().out.split()
    assert int(printed[0]) == agent.bought and printed[-1] == "USD"


def test_the_readme_agent_plays_beside_market_v0_learners() -> None:
    ns = _run_the_readme_example()
    market = ns["market_v0"].parallel_env(
        scripted=[ns["LeanTaker"]()], background="small", warmup_s=60, max_cycles=12
    )
    market.reset(seed=0)
    while market.agents:
        market.step({a: market.action_space(a).sample() for a in market.agents})
    scripted_account = market.session.accounts[len(market.possible_agents)]
    assert scripted_account.traded > 0 and np.isfinite(scripted_account.pnl(1.0))


def test_the_registration_snippet_names_the_entry_point_group_the_registry_reads() -> None:
    from intags_env.envs.registry import GROUP

    assert f'[project.entry-points."{GROUP}"]' in _agent_section()
