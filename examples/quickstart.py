"""Quickstart: make an environment, reset, step with random actions, render.

Run: ``python examples/quickstart.py``
"""

from __future__ import annotations

import gymnasium as gym

import intags_env  # noqa: F401  (registers the ids)


def main() -> None:
    env = gym.make(
        "intags_env/Execution-v0", quantity=2_000, horizon_s=600, decision_interval_s=10, render_mode="ansi"
    )
    obs, info = env.reset(seed=0)
    env.action_space.seed(0)  # reproducible random actions
    print(f"arrival price {info['arrival_price']:.2f} USD; observation {obs.round(3)}")
    total = 0.0
    terminated = truncated = False
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        total += reward
    print(env.render())
    print(
        f"bought {info['filled']} shares at VWAP {info['vwap']:.4f} USD; implementation shortfall "
        f"{info['shortfall_bps']:.2f} bps (return {total:.2f})"
    )


if __name__ == "__main__":
    main()
