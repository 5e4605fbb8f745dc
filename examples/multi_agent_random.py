"""A loop over the PettingZoo parallel market: two market makers, a buyer, a seller and a directional
trader with random actions, next to a scripted POV player.

Run: ``python examples/multi_agent_random.py``
"""

from __future__ import annotations

from intags_env.envs import market_v0
from intags_env.envs.registry import load_agent

ROLES = (
    ("market_maker_0", "market_maker", {}),
    ("market_maker_1", "market_maker", {}),
    ("buyer_0", "execution", {"quantity": 1_500}),
    ("seller_0", "execution", {"quantity": 1_500, "side": "sell"}),
    ("trader_0", "trader", {"trade_size": 50}),
)


def main() -> None:
    env = market_v0.parallel_env(
        roles=ROLES, scripted=[load_agent("pov", quantity=1_000)], max_cycles=60, render_mode="ansi"
    )
    env.reset(seed=0)
    returns = dict.fromkeys(env.possible_agents, 0.0)
    while env.agents:
        actions = {agent: env.action_space(agent).sample() for agent in env.agents}
        _, rewards, _, _, _ = env.step(actions)
        for agent, reward in rewards.items():
            returns[agent] += reward
    print(env.render())
    for agent in env.possible_agents:
        account = env.seats[agent].account
        print(
            f"{agent:<16} return {returns[agent]:>10.3f}  inventory {account.inventory:>6}  "
            f"traded {account.traded:>6}"
        )


if __name__ == "__main__":
    main()
