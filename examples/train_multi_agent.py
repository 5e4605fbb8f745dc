"""Independent learners in the multi-agent market: a market maker and a buyer trained with SB3 PPO,
each in its own seat while the rest of the population acts at random, then compared with the multi-agent
harness against the all-random population on the same held-out seeds.

Run: ``python examples/train_multi_agent.py`` (a few minutes on 2 cores). Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

from stable_baselines3 import PPO

from intags_env.bench import benchmark_population
from intags_env.envs import market_v0
from intags_env.envs.single_seat import SingleSeat

ROLES = (
    ("market_maker_0", "market_maker", {}),
    ("buyer_0", "execution", {"quantity": 3_000}),
    ("trader_0", "trader", {"trade_size": 50}),
)
LEARNERS = ("market_maker_0", "buyer_0")


@dataclass
class Args:
    timesteps_per_learner: int = 60_000
    max_cycles: int = 30
    decision_interval_s: float = 10.0
    seed: int = 0
    eval_seeds: int = 20
    out: str = "out/multi_agent"


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Args):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    return Args(**vars(parser.parse_args()))


def main(args: Args) -> None:
    make = partial(
        market_v0.parallel_env,
        roles=ROLES,
        max_cycles=args.max_cycles,
        decision_interval_s=args.decision_interval_s,
    )
    out = Path(args.out)
    policies = {}
    for learner in LEARNERS:  # independent learners: each trains in its seat, the others act at random
        env = SingleSeat(make, learner)
        model = PPO(
            "MlpPolicy",
            env,
            n_steps=240,
            batch_size=240,
            gamma=1.0,
            ent_coef=0.01,
            seed=args.seed,
            tensorboard_log=str(out / "tb"),
            device="cpu",
            verbose=0,
        )
        model.learn(total_timesteps=args.timesteps_per_learner, progress_bar=True, tb_log_name=learner)
        model.save(out / learner)
        policies[learner] = lambda obs, m=model: m.predict(obs, deterministic=True)[0]

    held_out = range(10_000, 10_000 + args.eval_seeds)
    boards = benchmark_population(make, {"trained": policies, "random": {}}, held_out)
    print(f"{'agent':<16}{'population':>12}{'return':>12}{'95% CI':>10}{'P&L $':>12}{'inv. risk':>11}")
    for agent, _, _ in ROLES:
        for label, board in boards.items():
            s = next(s for s in board if s.agent == agent)
            print(
                f"{agent:<16}{label:>12}{s.reward_mean:>12.3f}{s.reward_ci95:>10.3f}{s.pnl_mean:>12.2f}"
                f"{s.inventory_risk_mean:>11.1f}"
            )
    for learner in LEARNERS:
        trained = next(s for s in boards["trained"] if s.agent == learner)
        rand = next(s for s in boards["random"] if s.agent == learner)
        print(
            f"{learner}: trained {trained.reward_mean:.3f} ± {trained.reward_ci95:.3f} vs random "
            f"{rand.reward_mean:.3f} ± {rand.reward_ci95:.3f}"
        )


if __name__ == "__main__":
    main(parse_args())
