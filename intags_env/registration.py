"""Gymnasium ids of intags-env, registered when ``intags_env`` is imported (entry points as strings, so
nothing heavy is imported until ``gymnasium.make``)."""

from __future__ import annotations

import gymnasium

ENVIRONMENTS = {
    "intags_env/Execution-v0": "intags_env.envs.execution:ExecutionEnv",
    "intags_env/MarketMaking-v0": "intags_env.envs.market_making:MarketMakingEnv",
    "intags_env/Trading-v0": "intags_env.envs.trading:TradingEnv",
    "intags_env/WorldAgent-v0": "intags_env.generator.env:WorldAgentEnv",
}


def register_environments() -> None:
    for env_id, entry_point in ENVIRONMENTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)
