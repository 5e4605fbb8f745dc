"""INTAGS in one file: clone a background order generator from a real order stream, fine-tune it by PPO on
the negative MMD of causal feedback (intags_env/WorldAgent-v0), then trade against it.

Run: ``python examples/train_world_agent.py`` (a few minutes on 2 cores). Needs the ``train`` extra.
``intags train`` is the full pipeline (evaluation callbacks, checkpoints, report); this file shows the
pieces.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO

import intags_env  # noqa: F401  (registers the ids)
from intags_env.generator.background import GeneratorBackground
from intags_env.generator.env import default_trader, real_feedback
from intags_env.generator.orderstream import order_stream
from intags_env.generator.policy import (
    GeneratorPolicy,
    SB3OrderPolicy,
    behaviour_cloning,
    generator_policy_kwargs,
)
from intags_env.generator.reward import FeedbackReward
from intags_env.intags.experiment import rollout_feedback
from intags_env.world.simulate import simulate


@dataclass
class Args:
    real: str = "rmsc04"
    start: str = "09:35"
    end: str = "09:40"
    clone_sessions: int = 4
    ppo_steps: int = 20_000
    eval_episodes: int = 20
    seed: int = 0
    out: str = "out/world_agent"


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Args):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    return Args(**vars(parser.parse_args()))


def generator_mmd(model: PPO, reference: FeedbackReward, args: Args) -> float:
    """MMD^2 of the generator's causal feedback against held-out real feedback."""
    background = GeneratorBackground(SB3OrderPolicy(model), real=args.real, start=args.start, end=args.end)
    synthetic = [
        rollout_feedback(background, default_trader(), seed, warmup_s=0.0)
        for seed in range(10_000, 10_000 + args.eval_episodes)
    ]
    return reference.mmd2(np.array(synthetic))


def main(args: Args) -> None:
    window = {"start": args.start, "end": args.end}
    # 1. the real market's causal feedback: the training reward's set and a held-out one
    train_set = real_feedback(args.real, **window, episodes=100, workers=2, progress=True)
    held_out = FeedbackReward(real_feedback(args.real, **window, episodes=args.eval_episodes, first_seed=500))

    # 2. the generator's environment and policy
    env = gym.make("intags_env/WorldAgent-v0", real=args.real, real_set=train_set, **window)
    model = PPO(
        GeneratorPolicy,
        env,
        policy_kwargs=generator_policy_kwargs(),
        gamma=1.0,
        gae_lambda=1.0,
        learning_rate=1e-4,
        clip_range=0.1,
        seed=args.seed,
        device="cpu",
        tensorboard_log=f"{args.out}/tb",
    )

    # 3. behaviour cloning on simulated sessions of the real market
    streams = [order_stream(simulate(args.real, seed).lobster) for seed in range(args.clone_sessions)]
    observations = np.concatenate([s.observations() for s in streams])
    actions = np.concatenate([s.actions for s in streams])
    behaviour_cloning(model, observations, actions, epochs=5)
    print(f"after behaviour cloning: MMD^2 = {generator_mmd(model, held_out, args):.4f}")

    # 4. INTAGS fine-tuning: each episode's reward is its share of -MMD^2
    model.learn(args.ppo_steps, progress_bar=True)
    print(f"after INTAGS fine-tuning: MMD^2 = {generator_mmd(model, held_out, args):.4f}")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    model.save(f"{args.out}/generator.zip")

    # 5. the generator as the background of a trading environment
    trading = gym.make(
        "intags_env/Execution-v0",
        background=GeneratorBackground(SB3OrderPolicy(model), **window),
        warmup_s=10.0,
        horizon_s=240.0,
        quantity=1_000,
    )
    trading.reset(seed=0)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = trading.step(trading.action_space.sample())
        total += reward
        done = terminated or truncated
    print(f"a random execution policy against the learned market: return {total:.2f}")


if __name__ == "__main__":
    main(parse_args())
