"""Train PPO (Stable-Baselines3) on intags_env/Execution-v0, then benchmark it against TWAP and random
actions on the same held-out seeds with the harness.

Run: ``python examples/train_ppo_execution.py`` (about 3 minutes on 2 cores; ``--total-timesteps`` to
change). Needs the ``train`` extra (``pip install torch==2.13.0 && pip install -e ".[train]"``).
TensorBoard logs go to ``OUT/tb``; the model to ``OUT/ppo_execution.zip``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path

import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import intags_env  # noqa: F401  (registers the ids)
from intags_env.bench import benchmark, leaderboard_table


@dataclass
class Args:
    env_id: str = "intags_env/Execution-v0"
    total_timesteps: int = 150_000
    n_envs: int = 4
    seed: int = 0
    quantity: int = 6_000  # ~3/4 of the market's volume over the horizon: execution quality matters
    horizon_s: float = 300.0
    decision_interval_s: float = 10.0
    eval_seeds: int = 30
    out: str = "out/ppo_execution"


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Args):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    return Args(**vars(parser.parse_args()))


def main(args: Args) -> None:
    env_kwargs = {
        "quantity": args.quantity,
        "horizon_s": args.horizon_s,
        "decision_interval_s": args.decision_interval_s,
    }
    out = Path(args.out)
    vec_env = make_vec_env(lambda: gym.make(args.env_id, **env_kwargs), n_envs=args.n_envs, seed=args.seed)
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=256,
        batch_size=256,
        learning_rate=3e-4,
        gamma=1.0,
        ent_coef=0.01,
        seed=args.seed,
        verbose=0,
        tensorboard_log=str(out / "tb"),
        device="cpu",
    )
    model.learn(total_timesteps=args.total_timesteps, progress_bar=True)
    model.save(out / "ppo_execution")

    held_out = range(10_000, 10_000 + args.eval_seeds)  # never seen in training
    board, _ = benchmark(
        args.env_id, [model, "twap", "random_actions"], held_out, env_kwargs, out_dir=out, progress=True
    )
    print(leaderboard_table(board))
    scores = {s.agent: s for s in board}
    ppo, rnd = scores["PPO"], scores["random_actions"]
    verdict = (
        "beats"
        if ppo.reward_mean - ppo.reward_ci95 > rnd.reward_mean + rnd.reward_ci95
        else "does not clearly beat"
    )
    print(
        f"PPO {verdict} random actions on {args.eval_seeds} held-out seeds: "
        f"{ppo.reward_mean:.2f} ± {ppo.reward_ci95:.2f} vs {rnd.reward_mean:.2f} ± {rnd.reward_ci95:.2f} "
        "(return = minus implementation shortfall, bps)"
    )


if __name__ == "__main__":
    main(parse_args())
