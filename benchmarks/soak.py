"""Soak test: many ``Execution-v0`` episodes in one process with random actions — memory, NaN, exceptions.

A long-running training job resets its environment tens of thousands of times, so a few kilobytes kept
per episode add up to gigabytes. This runs ``--episodes`` seeded episodes (random valid actions) one after
another in one process and reads the resident set size (RSS) after each. The growth per episode is the
slope of a least-squares line through RSS over the episode index, fitted after a warm-up (the first 10%
of the episodes, at least 20: caches, Numba's first calls and the allocator's pools settle there), so
one-off jumps do not count and a steady leak does. It also counts non-finite observations or rewards and
exceptions (an exception ends its episode; the run goes on with the next).

RSS comes from ``psutil`` if installed, else ``/proc/self/status`` (Linux), else the peak RSS of
``resource`` (a rising peak is a lower bound of the growth).

Run: ``python benchmarks/soak.py [--episodes 10000] [--seed 0]`` or ``--quick`` (300 episodes, about
half a minute). The last line is a JSON object: ``episodes``, ``rss_start_mb``, ``rss_end_mb`` (RSS after
the warm-up and at the end), ``rss_growth_kb_per_episode``, ``nan_count``, ``exceptions``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np

import intags_env  # noqa: F401  (registers the ids)

ENV_ID = "intags_env/Execution-v0"
QUICK_EPISODES = 300
MIN_WARMUP = 20


def rss_reader() -> tuple[str, Callable[[], float]]:
    """(source name, a function returning the process's RSS in bytes)."""
    try:
        import psutil

        process = psutil.Process()
        return "psutil", lambda: float(process.memory_info().rss)
    except ImportError:
        pass
    status = Path("/proc/self/status")
    if status.exists():

        def from_proc() -> float:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return float(line.split()[1]) * 1024.0  # kB
            raise RuntimeError("no VmRSS line in /proc/self/status")

        return "/proc/self/status", from_proc
    import resource
    import sys

    scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, kB elsewhere

    return "resource (peak)", lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def growth_per_episode(rss: np.ndarray, warmup: int) -> float:
    """Slope (bytes per episode) of a least-squares line through ``rss[warmup:]`` over the episode index."""
    tail = rss[warmup:]
    if len(tail) < 2:
        return 0.0
    return float(np.polyfit(np.arange(warmup, len(rss), dtype=np.float64), tail, 1)[0])


def run_episode(env: gym.Env, seed: int) -> tuple[int, int]:
    """One seeded episode with random actions: (steps, non-finite observations or rewards)."""
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    bad = int(not np.all(np.isfinite(obs)))
    steps = 0
    done = False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        bad += int(not np.all(np.isfinite(obs))) + int(not math.isfinite(reward))
        steps += 1
        done = terminated or truncated
    return steps, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_EPISODES} episodes (a smoke run)")
    ap.add_argument("--episodes", type=int, help=f"episodes to run (default 10000; quick {QUICK_EPISODES})")
    ap.add_argument("--seed", type=int, default=0, help="episode i is seeded seed + i (default 0)")
    args = ap.parse_args()
    episodes = args.episodes or (QUICK_EPISODES if args.quick else 10_000)
    if episodes < 2:
        ap.error(f"--episodes must be at least 2, got {episodes}")
    warmup = min(episodes - 2, max(MIN_WARMUP, episodes // 10))
    source, read_rss = rss_reader()

    env = gym.make(ENV_ID)
    rss = np.zeros(episodes)
    nan_count = exceptions = steps = 0
    first_error = ""
    report_every = max(1, episodes // 10)
    print(f"{ENV_ID}: {episodes:,} episodes, random actions, RSS from {source}, warm-up {warmup} episodes")
    print(f"{'episode':>8} {'RSS MB':>9} {'steps':>10} {'NaN':>5} {'errors':>6} {'episodes/s':>11}")
    t0 = time.perf_counter()
    for i in range(episodes):
        try:
            n, bad = run_episode(env, args.seed + i)
            steps += n
            nan_count += bad
        except Exception as err:  # counted and reported: the soak goes on
            exceptions += 1
            first_error = first_error or f"episode {i}: {type(err).__name__}: {err}"
        rss[i] = read_rss()
        if (i + 1) % report_every == 0 or i + 1 == episodes:
            rate = (i + 1) / (time.perf_counter() - t0)
            mb = rss[i] / 2**20
            print(f"{i + 1:>8,} {mb:>9.1f} {steps:>10,} {nan_count:>5} {exceptions:>6} {rate:>11.1f}")
    env.close()

    slope = growth_per_episode(rss, warmup)
    print(
        f"RSS {rss[warmup] / 2**20:.1f} MB after the warm-up -> {rss[-1] / 2**20:.1f} MB at the end; "
        f"fitted growth {slope / 1024:.3f} KB per episode; {nan_count} non-finite values; "
        f"{exceptions} exceptions"
    )
    if first_error:
        print(f"first exception: {first_error}")
    print(
        json.dumps(
            {
                "episodes": episodes,
                "rss_start_mb": round(rss[warmup] / 2**20, 2),
                "rss_end_mb": round(rss[-1] / 2**20, 2),
                "rss_growth_kb_per_episode": round(slope / 1024, 4),
                "nan_count": nan_count,
                "exceptions": exceptions,
            }
        )
    )


if __name__ == "__main__":
    main()
