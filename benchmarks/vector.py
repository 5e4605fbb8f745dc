"""Many markets per call: steps per second of N worlds stepped one by one vs one ``WorldBatch`` call.

The foundation of the vectorized environments (issue 14): ``intags_env.world.batch.WorldBatch`` advances
N independent ``rmsc04`` worlds (own seeds) to their next decision in one Numba call; the baseline, in
the same run, is the same N worlds stepped by ``World.participant_step`` one after the other (what N
single environments pay). A step = 1 s of market time after a 5-minute warm-up, no participant orders.
For scale, ``single_steps_per_s`` is ``Execution-v0`` with random actions and 1-s decisions (the whole
environment step: orders, accounting, observation, reward), the figure the vector environments are to
beat. Timings are medians over repeats.

Run: ``python benchmarks/vector.py [--worlds 64] [--steps 300]`` or ``--quick`` (8 worlds, 50 steps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import gymnasium as gym
import numpy as np

import intags_env  # noqa: F401  (registers the ids)
from intags_env.exchange import MESSAGE_DTYPE
from intags_env.world import World
from intags_env.world.batch import WorldBatch
from intags_env.world.config import NS_PER_SECOND

WARMUP_NS = 300 * NS_PER_SECOND
LEVELS = 5


def one_by_one(n: int, steps: int) -> float:
    """World steps per second of ``n`` worlds stepped one ``World.participant_step`` call each."""
    worlds = [World("rmsc04", n_external=1) for _ in range(n)]
    for seed, world in enumerate(worlds):
        world.reset(seed)
        world.run_until(world.config.start_ns + WARMUP_NS)
    empty, book = np.zeros(0, MESSAGE_DTYPE), np.zeros((2, 2, LEVELS), np.int64)
    t = worlds[0].clock
    started = time.perf_counter()
    for _ in range(steps):
        t += NS_PER_SECOND
        for world in worlds:
            world.participant_step(empty, -1, t, book)
    return n * steps / (time.perf_counter() - started)


def batched(n: int, steps: int) -> float:
    """World steps per second of ``n`` worlds stepped by one ``WorldBatch.participant_step`` call."""
    batch = WorldBatch("rmsc04", n, n_external=1)
    batch.reset(list(range(n)))
    batch.run_until(np.full(n, batch.config.start_ns + WARMUP_NS))
    msgs, counts = np.zeros((n, 0), MESSAGE_DTYPE), np.zeros(n, np.int64)
    cancel, book = np.full(n, -1), np.zeros((n, 2, 2, LEVELS), np.int64)
    t = np.full(n, batch.worlds[0].clock)
    started = time.perf_counter()
    for _ in range(steps):
        t += NS_PER_SECOND
        batch.participant_step(msgs, counts, cancel, t, book)
    return n * steps / (time.perf_counter() - started)


def single_env(steps: int) -> float:
    """Steps per second of one ``Execution-v0`` (random actions, 1-s decisions, resets included)."""
    env = gym.make("intags_env/Execution-v0", decision_interval_s=1.0, horizon_s=1200.0, warmup_s=300.0)
    env.reset(seed=0)
    env.action_space.seed(0)
    started = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worlds", type=int, default=64)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n, steps, repeats = (8, 50, 1) if args.quick else (args.worlds, args.steps, args.repeats)
    batched(2, 2), one_by_one(2, 2), single_env(10)  # compile (cached kernels) and warm up
    rows = {"one by one": [], "batch": [], "Execution-v0 single": []}
    for _ in range(repeats):
        rows["one by one"].append(one_by_one(n, steps))
        rows["batch"].append(batched(n, steps))
        rows["Execution-v0 single"].append(single_env(steps * 4))
    median = {name: statistics.median(values) for name, values in rows.items()}
    print(f"{n} rmsc04 worlds, {steps} steps of 1 s each, median of {repeats}")
    print(f"{'':<22}{'steps/s':>12}")
    for name, value in median.items():
        print(f"{name:<22}{value:>12,.0f}")
    speedup = median["batch"] / median["one by one"]
    print(f"batch over one by one: {speedup:.2f}x")
    print(
        json.dumps(
            {
                "world_steps_per_s_1": median["one by one"],
                f"world_steps_per_s_{n}": median["batch"],
                "world_batch_speedup": speedup,
                "single_steps_per_s": median["Execution-v0 single"],
            }
        )
    )


if __name__ == "__main__":
    main()
