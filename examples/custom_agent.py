"""Your own trading agent in ten lines: trade inside the background of an environment, and on the
benchmark harness's leaderboard next to the reference agents.

Run: ``python examples/custom_agent.py``
"""

from __future__ import annotations

import numpy as np

from intags_env.bench import benchmark, leaderboard_table
from intags_env.envs import ExecutionEnv, MarketView, Order


class Sniper:
    """Buys a slice at the ask whenever the book leans towards the bids (a toy signal)."""

    name, interval_s = "sniper", 10.0

    def reset(self, seed=None): ...
    def on_fills(self, fills): ...

    def decide(self, view: MarketView):
        lean = view.bid_sizes.sum() - view.ask_sizes.sum()
        return ([Order(+1, 100, view.best_ask, tif="ioc")] if lean > 0 and view.best_ask else []), True


def main() -> None:
    # 1. as a participant inside the background while a learner (here: passive TWAP actions) trades
    env = ExecutionEnv(background_agents=[Sniper()])
    env.reset(seed=0)
    done = False
    while not done:
        _, _, done, _, _ = env.step(np.array([2, 2]))
    sniper = env.session.accounts[1]
    mark = env.last_mid  # the last known mid (cents): a side of the book can be empty at the very end
    print(f"the sniper ended with {sniper.inventory} shares, P&L {sniper.pnl(mark) / 100:.2f} USD")

    # 2. on the leaderboard, on the same seeds as the reference agents (it works the same parent order)
    board, _ = benchmark("intags_env/Execution-v0", [Sniper(), "twap", "random_actions"], seeds=10)
    print(leaderboard_table(board))


if __name__ == "__main__":
    main()
