"""Many markets per call: the vector ``Execution-v0`` against the single one, and the worlds beneath.

``vector_steps_per_s_N``: ``ExecutionVectorEnv`` (``gymnasium.make_vec("intags_env/Execution-v0",
num_envs=N, vectorization_mode="vector_entry_point")``), random actions, 1-s decisions on ``rmsc04``;
``single_steps_per_s``: one ``Execution-v0``, the same; ``vector_speedup`` is their ratio, same run.
Beneath: ``WorldBatch`` (N worlds advanced by one Numba call) against the same N worlds stepped by
``World.participant_step`` one after the other (a step = 1 s of market time after a 5-minute warm-up,
no participant orders). Timings are medians over repeats.

Generator sessions: ``generator_orders_per_s_N`` is the orders a behaviour-cloned generator places per
second of wall time in INTAGS episodes (``rmsc04`` 09:35-09:45, the default experimental trader every
5 s): ``_1`` one session after another, ``_N`` a ``GeneratorBatch`` of N run together
(``batch_episode_stats``; the sessions' resets, which simulate the real market's morning, are timed
apart as ``generator_episode_reset_s``). The generator is cloned here first (``--model`` to use one).

``world_agent_steps_per_s_1`` / ``_N``: ``WorldAgent-v0`` (the generator as the learner) alone and in its
vector form, random orders. ``cycles_per_s_4``: ``market_v0`` with 4 seats, as ``benchmarks/multi_agent.py``
measures it (its compiled seats).

Run: ``python benchmarks/vector.py [--worlds 64] [--steps 300]`` or ``--quick`` (8 worlds, 50 steps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from multi_agent import cycles_per_second  # benchmarks/multi_agent.py (this script's folder is on the path)

import intags_env  # noqa: F401  (registers the ids)
from intags_env.exchange import MESSAGE_DTYPE
from intags_env.world import World
from intags_env.world.batch import WorldBatch
from intags_env.world.config import NS_PER_SECOND

WARMUP_NS = 300 * NS_PER_SECOND
KWARGS = {"decision_interval_s": 1.0, "horizon_s": 1200.0, "warmup_s": 300.0}
LEVELS = 5
GEN_1 = "generator one by one (orders/s)"


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
    env = gym.make("intags_env/Execution-v0", **KWARGS)
    env.reset(seed=0)
    env.action_space.seed(0)
    started = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - started)


def vector_env(n: int, steps: int, env_id: str = "intags_env/Execution-v0") -> float:
    """Sub-environment steps per second of ``env_id``'s vector form (random actions, autoresets included)."""
    vec = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **KWARGS)
    vec.reset(seed=0)
    vec.action_space.seed(0)
    actions = [vec.action_space.sample() for _ in range(steps)]
    started = time.perf_counter()
    for action in actions:
        vec.step(action)
    return n * steps / (time.perf_counter() - started)


def ppo(n: int, n_steps: int, rollouts: int) -> float:
    """Timesteps per second of SB3 PPO (``MlpPolicy``, CPU) learning on the vector env through
    ``intags_env.envs.sb3_vec`` (collection and updates; 4 epochs of minibatches of 512)."""
    from stable_baselines3 import PPO

    from intags_env.envs.sb3_vec import sb3_vec_env

    vec = sb3_vec_env("intags_env/Execution-v0", n, **KWARGS)
    model = PPO("MlpPolicy", vec, n_steps=n_steps, batch_size=min(512, n * n_steps), device="cpu", seed=0)
    model.learn(n * n_steps)  # first rollout and update: warm-up
    started = time.perf_counter()
    model.learn(n * n_steps * rollouts, reset_num_timesteps=False)
    return n * n_steps * rollouts / (time.perf_counter() - started)


def cloned_generator(quick: bool, out: Path) -> Path:
    """A generator cloned on simulated ``rmsc04`` sessions (small: the speed, not the realism, counts)."""
    from intags_env.generator.train import TrainSettings, clone_generator

    settings = TrainSettings(pretrain_sessions=1 if quick else 3, pretrain_epochs=1 if quick else 3)
    return clone_generator(settings, out, progress=False)


def generator_sessions(model: Path, n: int, episodes: int, end: str) -> tuple[float, float]:
    """(orders per second while the sessions run, seconds per session reset): ``episodes`` INTAGS
    episodes in batches of ``n``."""
    from intags_env.envs.session import TradingSession, advance_sessions
    from intags_env.generator.batch import GeneratorBatch
    from intags_env.generator.env import default_trader
    from intags_env.generator.policy import SB3OrderPolicy, load_generator

    policy = SB3OrderPolicy(load_generator(model))
    batch = GeneratorBatch(policy, n, real="rmsc04", start="09:35", end=end, n_external=1)
    orders, running, resetting = 0, 0.0, 0.0
    for first in range(0, episodes, n):
        sessions = [TradingSession(bg, n_learners=0, scripted=[default_trader()]) for bg in batch.backgrounds]
        started = time.perf_counter()
        for k, session in enumerate(sessions):
            session.reset(1000 + first + k, scripted_from=session.start_ns)
        batch.refresh()
        resetting += time.perf_counter() - started
        started = time.perf_counter()
        advance_sessions(sessions, batch.run_until, batch.end_ns)
        running += time.perf_counter() - started
        orders += sum(bg.n_orders for bg in batch.backgrounds)
    return orders / running, resetting / episodes


def world_agent(n: int, steps: int) -> float:
    """``WorldAgent-v0`` steps per second: random orders (delays under 0.3 s), ``n`` envs (1: the
    single environment, else its vector form), rmsc04 09:35-09:45, after 50 warm-up steps."""
    from intags_env.generator.env import WorldAgentEnv
    from intags_env.generator.spec import ACTION_NVEC, F

    real = np.random.default_rng(0).normal(size=(40, 5)) * 2e-5
    kwargs = {"real_set": real, "start": "09:35", "end": "09:45"}
    rng = np.random.default_rng(0)
    actions = rng.integers(0, ACTION_NVEC, size=(steps + 50, n, len(ACTION_NVEC)))
    for field in ("limit_delay", "market_delay", "cancel_delay"):
        actions[..., F[field]] = rng.integers(0, 10, size=(steps + 50, n))
    if n == 1:
        env = WorldAgentEnv(**kwargs)
        env.reset(seed=0)
        step = lambda a: env.step(a[0])[2:4]  # noqa: E731
    else:
        env = gym.make_vec(
            "intags_env/WorldAgent-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs
        )
        env.reset(seed=0)
        step = lambda a: env.step(a)[2:4]  # noqa: E731
    for a in actions[:50]:
        step(a)
    started = time.perf_counter()
    for a in actions[50:]:
        terminated, truncated = step(a)
        if n == 1 and (terminated or truncated):
            env.reset()
    return n * steps / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worlds", type=int, default=64)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", type=Path, help="a generator .zip (default: clone one here)")
    args = ap.parse_args()
    n, steps, repeats = (8, 50, 1) if args.quick else (args.worlds, args.steps, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or cloned_generator(args.quick, Path(tmp))
        end = "09:37" if args.quick else "09:45"
        generator_sessions(model, 2, 2, "09:36")  # compile (cached) and warm up
        one = [generator_sessions(model, 1, 2 if args.quick else 8, end) for _ in range(repeats)]
        many = [generator_sessions(model, n, n, end) for _ in range(repeats)]
    world_agent(1, 5), world_agent(2, 5)  # compile and warm up
    rows_world_agent = {
        "WorldAgent-v0 single": [world_agent(1, steps * 4) for _ in range(repeats)],
        f"WorldAgent-v0 vector x{n}": [world_agent(n, steps) for _ in range(repeats)],
    }
    batched(2, 2), one_by_one(2, 2), single_env(10), vector_env(2, 2)  # compile (cached) and warm up
    rows = {
        "Execution-v0 single": [],
        f"Execution-v0 vector x{n}": [],
        f"SB3 PPO on vector x{n}": [],
        f"MarketMaking-v0 vector x{n}": [],
        f"Trading-v0 vector x{n}": [],
        "worlds one by one": [],
        "WorldBatch": [],
    }
    for _ in range(repeats):
        rows["Execution-v0 single"].append(single_env(steps * 20))  # ~0.6 s: shorter windows are noise
        rows[f"Execution-v0 vector x{n}"].append(vector_env(n, steps))
        rows[f"SB3 PPO on vector x{n}"].append(ppo(n, 16 if args.quick else 64, 2))
        rows[f"MarketMaking-v0 vector x{n}"].append(vector_env(n, steps, "intags_env/MarketMaking-v0"))
        rows[f"Trading-v0 vector x{n}"].append(vector_env(n, steps, "intags_env/Trading-v0"))
        rows["worlds one by one"].append(one_by_one(n, steps))
        rows["WorldBatch"].append(batched(n, steps))
    rows.update(rows_world_agent)
    rows["market_v0, 4 seats (cycles/s)"] = [cycles_per_second(4, 300 if args.quick else 3000, repeats)]
    gen_n = f"GeneratorBatch x{n} (orders/s)"
    rows[GEN_1] = [r[0] for r in one]
    rows[gen_n] = [r[0] for r in many]
    median = {name: statistics.median(values) for name, values in rows.items()}
    print(f"{n} rmsc04 worlds, {steps} steps of 1 s each, median of {repeats}")
    print(f"{'':<30}{'steps/s':>12}")
    for name, value in median.items():
        print(f"{name:<30}{value:>12,.0f}")
    speedup = median[f"Execution-v0 vector x{n}"] / median["Execution-v0 single"]
    world_speedup = median["WorldBatch"] / median["worlds one by one"]
    generator_speedup = median[gen_n] / median[GEN_1]
    reset_s = statistics.median([r[1] for r in one + many])
    print(f"vector over single: {speedup:.2f}x; WorldBatch over one by one: {world_speedup:.2f}x")
    print(f"GeneratorBatch over one by one: {generator_speedup:.2f}x; a session's reset: {reset_s:.3f} s")
    print(
        json.dumps(
            {
                "single_steps_per_s": median["Execution-v0 single"],
                f"vector_steps_per_s_{n}": median[f"Execution-v0 vector x{n}"],
                "vector_speedup": speedup,
                "ppo_steps_per_s": median[f"SB3 PPO on vector x{n}"],
                f"market_making_vector_steps_per_s_{n}": median[f"MarketMaking-v0 vector x{n}"],
                f"trading_vector_steps_per_s_{n}": median[f"Trading-v0 vector x{n}"],
                "world_steps_per_s_1": median["worlds one by one"],
                f"world_steps_per_s_{n}": median["WorldBatch"],
                "world_batch_speedup": world_speedup,
                "world_agent_steps_per_s_1": median["WorldAgent-v0 single"],
                f"world_agent_steps_per_s_{n}": median[f"WorldAgent-v0 vector x{n}"],
                "generator_orders_per_s_1": median[GEN_1],
                f"generator_orders_per_s_{n}": median[gen_n],
                "generator_batch_speedup": generator_speedup,
                "generator_episode_reset_s": reset_s,
                "cycles_per_s_4": median["market_v0, 4 seats (cycles/s)"],
            }
        )
    )


if __name__ == "__main__":
    main()
