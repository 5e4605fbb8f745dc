"""Cycles per second of the PettingZoo market with 2, 4 and 8 learning agents on the ``rmsc04`` background.

A cycle = every live agent acts once and the market runs to the next decision (1-second decisions,
random actions drawn beforehand, a mixed population: market makers, buyers, sellers and directional
traders); resets are included. The baseline, in the same run: the same 4 seats computed in Python
(``compiled_seats=False``, the path scripted players take). Also PettingZoo's own
``performance_benchmark`` on the AEC form.

Run: ``python benchmarks/multi_agent.py [--cycles 3000]`` or ``--quick`` (200 cycles; the PettingZoo
benchmark always runs its own 5 s).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time

from pettingzoo.test import performance_benchmark

from intags_env.envs import market_v0

KINDS = (
    ("market_maker", {}),
    ("execution", {"quantity": 2_000}),
    ("trader", {"trade_size": 20}),
    ("execution", {"quantity": 2_000, "side": "sell"}),
)


def roles(n: int) -> tuple:
    return tuple(
        (f"{role}_{i}", role, kwargs) for i, (role, kwargs) in enumerate(KINDS[j % 4] for j in range(n))
    )


def cycles_per_second(n_agents: int, cycles: int, repeats: int = 3, compiled: bool = True) -> float:
    env = market_v0.parallel_env(
        roles=roles(n_agents), decision_interval_s=1.0, max_cycles=1200, compiled_seats=compiled
    )
    env.reset(seed=0)
    env.step({a: env.action_space(a).sample() for a in env.agents})  # load the Numba cache
    drawn = [{a: env.action_space(a).sample() for a in env.possible_agents} for _ in range(cycles)]
    rates = []
    for r in range(repeats):
        env.reset(seed=r + 1)
        t0 = time.perf_counter()
        for actions in drawn:
            if not env.agents:
                env.reset()
            env.step({a: actions[a] for a in env.agents})
        rates.append(cycles / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 cycles per population (a smoke run)")
    ap.add_argument("--cycles", type=int, help="timed cycles per repeat (3000; quick 200)")
    args = ap.parse_args()
    args.cycles = args.cycles or (200 if args.quick else 3000)
    figures = {}
    print(f"{'learning agents':<18}{'cycles/s':>12}{'agent-steps/s':>16}")
    for n in (2, 4, 8):
        rate = cycles_per_second(n, args.cycles)
        figures[f"cycles_per_s_{n}"] = round(rate)
        print(f"{n:<18}{rate:>12,.0f}{rate * n:>16,.0f}")
    python = cycles_per_second(4, args.cycles, compiled=False)
    figures["cycles_per_s_4_python_seats"] = round(python)
    figures["compiled_seats_speedup"] = round(figures["cycles_per_s_4"] / python, 2)
    print(f"{'4, Python seats':<18}{python:>12,.0f}{python * 4:>16,.0f}")
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        performance_benchmark(market_v0.env(roles=roles(4), decision_interval_s=1.0, max_cycles=1200))
    print("PettingZoo performance_benchmark (AEC, 4 agents):", " ".join(captured.getvalue().split()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
