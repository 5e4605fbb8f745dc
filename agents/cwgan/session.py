"""One generated session of a cWGAN world agent: its speed as a background and its stylized facts
against the real market's same window (as ``intags_env.generator.train.facts_comparison`` does for the
SB3 generator)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from intags_env.data.lobster import LobsterData
from intags_env.generator.spec import N_FIELDS
from intags_env.metrics import facts_report, stylized_facts
from intags_env.seeds import TRAIN_FACTS
from intags_env.world import WorldError, resolve_config
from intags_env.world.simulate import simulate

from .agent import CWGANWorldAgent

__all__ = [
    "ClosedLoop",
    "GeneratedSession",
    "closed_loop",
    "facts_comparison",
    "generated_session",
    "real_window_orders",
]


@dataclass(frozen=True)
class GeneratedSession:
    lobster: LobsterData  # the messages of the session (the real book's snapshot orders included)
    orders: int  # orders the generator placed
    seconds: float  # wall time of the generation (the real book at the start excluded)

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else float("nan")


def generated_session(agent: CWGANWorldAgent, seed: int = TRAIN_FACTS) -> GeneratedSession:
    """Run the agent's background over its whole training window with no other participant."""
    background = agent.background(n_external=0)
    background.reset(seed)
    started = time.perf_counter()
    background.run_until(background.config.end_ns)
    seconds = time.perf_counter() - started
    return GeneratedSession(background.generated_lobster(), background.n_orders, seconds)


@dataclass(frozen=True)
class ClosedLoop:
    observations: np.ndarray  # (n, OBS_DIM): what the agent saw before each of its orders
    actions: np.ndarray  # (n, N_FIELDS): the orders it placed (spec encoding, other types' fields 0)
    truncated: bool  # the session was cut at max_orders or broke down (see ``breakdown``)
    breakdown: str = ""  # the WorldError that stopped a runaway session (a burst, the live-order capacity)

    @property
    def two_sided_share(self) -> float:
        """Share of the agent's decisions taken with orders on both sides of its book (the real stream:
        ~0.99); a generator that drains one side of its own market drives this down."""
        return float(self.observations[:, -1].mean()) if len(self.observations) else float("nan")


class _EnoughOrders(Exception):
    pass


def closed_loop(agent: CWGANWorldAgent, seed: int, max_orders: int = 4_000) -> ClosedLoop:
    """The agent's orders in its own market (its background over its window): the states it saw and the
    orders it chose, where held-out-state evaluation cannot see compounding errors. A session is cut
    (``truncated``) after ``max_orders`` orders (a real 10-minute window has ~1,000), or when the
    generator runs away into the background's guards (its capacity of live orders); ``breakdown`` names
    why, and the orders up to there are kept."""
    observations: list[np.ndarray] = []
    actions: list[np.ndarray] = []

    def recording(observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if len(actions) >= max_orders:
            raise _EnoughOrders
        action = agent(observation, rng)
        observations.append(observation)
        actions.append(action)
        return action

    background = agent.background(n_external=0)
    background.policy = recording
    background.reset(seed)
    breakdown = ""
    try:
        background.run_until(background.config.end_ns)
        truncated = False
    except _EnoughOrders:
        truncated, breakdown = True, f"order cap: more than {max_orders} orders (a real window has ~1,000)"
    except WorldError as error:
        truncated, breakdown = True, str(error)
    n = len(actions)
    return ClosedLoop(
        np.array(observations, np.float32).reshape(n, -1),
        np.array(actions, np.int64).reshape(n, N_FIELDS),
        truncated,
        breakdown,
    )


def real_window_orders(real: str, start: str, end: str, seed: int) -> np.ndarray:
    """``(n, N_FIELDS)``: the real market's orders in the window (simulated with ``seed`` from its
    opening), in the generator's encoding: the closed-loop figures' real-vs-real reference."""
    from intags_env.generator.orderstream import order_stream

    stream = order_stream(simulate(real, seed, end=end).lobster)
    in_window = stream.times >= resolve_config(real, start=start).start_ns
    return stream.actions[in_window]


def facts_comparison(
    agent: CWGANWorldAgent, session: GeneratedSession, seed: int = TRAIN_FACTS, out: str | Path | None = None
) -> tuple[dict[str, float], dict[str, float], str]:
    """(real facts, generated facts, markdown table) of ``session`` against the real market simulated
    with ``seed`` over the same window (from its opening, messages before the window's start dropped);
    the table also goes to ``out/facts.md`` when ``out`` is given."""
    window = agent.window
    start_ns = resolve_config(window["real"], start=window["start"]).start_ns
    real = simulate(window["real"], seed, end=window["end"]).lobster
    real = replace(real.select(real.messages["time"] >= start_ns), start_ns=start_ns)
    real_facts, generated_facts = stylized_facts(real), stylized_facts(session.lobster)
    table = facts_report(real_facts, generated_facts, names=("real", "cWGAN"))
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "facts.md").write_text(table + "\n")
    return real_facts, generated_facts, table
