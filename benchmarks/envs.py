"""Steps per second of each environment on the ``rmsc04`` background, single and vectorised, and cold start.

Random valid actions; 1-second decisions so every step advances the market. ``WorldAgent-v0`` has no
decision interval: a step is one background order (random fields, so a random inter-arrival bucket) in
its default window (09:35-09:45); its real feedback set is collected once beforehand (the env's default
200 real episodes), outside the timings. ``SubprocVecEnv`` runs N envs in N processes (2 cores here).
Cold start: a fresh process imports, makes, resets and steps once (warm Numba cache). For scale,
ABIDES-Gym's environments run 17-26 steps/s on this machine.

Run: ``python benchmarks/envs.py [--steps 5000] [--vec 2]`` or ``--quick`` (500 steps, 20 real episodes,
one timed cold start).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np

import intags_env  # noqa: F401  (registers the ids)
from intags_env.registration import ENVIRONMENTS

KWARGS = {"decision_interval_s": 1.0, "horizon_s": 1200.0, "warmup_s": 300.0}  # the trading envs
WORLD_AGENT = "intags_env/WorldAgent-v0"
KEYS = {
    "intags_env/Execution-v0": "execution_steps_per_s",
    "intags_env/MarketMaking-v0": "market_making_steps_per_s",
    "intags_env/Trading-v0": "trading_steps_per_s",
    WORLD_AGENT: "world_agent_steps_per_s",
}

COLD = """
import time
t0 = time.perf_counter()
import gymnasium as gym, intags_env
env = gym.make("intags_env/Execution-v0")
env.reset(seed=0)
env.step(env.action_space.sample())
print(time.perf_counter() - t0)
"""


def env_kwargs(env_id: str, real_episodes: int) -> dict:
    """What ``gym.make`` gets: the trading envs' 1-second decisions, or the world agent's real set."""
    if env_id != WORLD_AGENT:
        return KWARGS
    from intags_env.generator.env import real_feedback

    # the env's default market, window and trader; collected here once, not in every (vec) env
    return {"real_set": real_feedback(episodes=real_episodes, cache_dir=None)}


def steps_per_second(env_id: str, kwargs: dict, steps: int, repeats: int = 3) -> float:
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=0)
    env.step(actions[0])  # load the Numba cache outside the timing
    rates = []
    for _ in range(repeats):
        env.reset(seed=int(rng.integers(1 << 30)))
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates)


def vec_steps_per_second(env_id: str, kwargs: dict, n_envs: int, steps: int) -> float:
    from stable_baselines3.common.vec_env import SubprocVecEnv

    vec = SubprocVecEnv([lambda: gym.make(env_id, **kwargs) for _ in range(n_envs)])
    vec.seed(0)
    vec.reset()
    actions = np.array([[vec.action_space.sample() for _ in range(n_envs)] for _ in range(steps)])
    vec.step(actions[0])
    t0 = time.perf_counter()
    for a in actions:
        vec.step(a)
    rate = steps * n_envs / (time.perf_counter() - t0)
    vec.close()
    return rate


def cold_start(repeats: int = 3) -> float:
    subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short timings (a smoke run)")
    ap.add_argument("--steps", type=int, help="timed steps per repeat (5000; quick 500)")
    ap.add_argument("--vec", type=int, default=2, help="envs in SubprocVecEnv")
    ap.add_argument("--real-episodes", type=int, help="WorldAgent-v0's real feedback set (200; quick 20)")
    args = ap.parse_args()
    args.steps = args.steps or (500 if args.quick else 5000)
    args.real_episodes = args.real_episodes or (20 if args.quick else 200)
    figures: dict[str, float] = {}
    print(f"{'environment':<30}{'steps/s':>12}{f'SubprocVecEnv x{args.vec} (total)':>32}")
    for env_id in ENVIRONMENTS:
        try:
            kwargs = env_kwargs(env_id, args.real_episodes)
            single = steps_per_second(env_id, kwargs, args.steps)
        except (ImportError, gym.error.Error) as err:  # an id whose module is not built yet
            print(f"{env_id:<30}{'n/a':>12}  ({err})")
            continue
        vec = vec_steps_per_second(env_id, kwargs, args.vec, args.steps // 2)
        print(f"{env_id:<30}{single:>12,.0f}{vec:>32,.0f}")
        figures[KEYS[env_id]] = round(single)
        figures[KEYS[env_id].replace("steps_per_s", f"vec{args.vec}_steps_per_s")] = round(vec)
    cold = cold_start(1 if args.quick else 3)
    print(
        f"cold start (fresh process: import + make + reset + first step): {cold:.2f} s "
        "(ABIDES-Gym: 17-26 steps/s here)"
    )
    figures["cold_start_s"] = round(cold, 3)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
