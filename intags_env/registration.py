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


#: Ids with a vector form stepped in Numba (``gymnasium.make_vec(id, num_envs=64,
#: vectorization_mode="vector_entry_point")``); the others vectorise with Gymnasium's sync/async wrappers.
VECTOR_ENVIRONMENTS = {
    "intags_env/Execution-v0": "intags_env.envs.vector_execution:ExecutionVectorEnv",
    "intags_env/MarketMaking-v0": "intags_env.envs.vector_market_making:MarketMakingVectorEnv",
    "intags_env/Trading-v0": "intags_env.envs.vector_trading:TradingVectorEnv",
    "intags_env/WorldAgent-v0": "intags_env.generator.vector_env:WorldAgentVectorEnv",
}


def register_environments() -> None:
    for env_id, entry_point in ENVIRONMENTS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id, entry_point=entry_point, vector_entry_point=VECTOR_ENVIRONMENTS.get(env_id)
            )
