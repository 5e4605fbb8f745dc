"""What keeps PPO fine-tuning of a cloned generator near its clone: a value warm-up and a per-order KL
penalty (``intags train --method ppo``).

* **Value warm-up** (:func:`frozen_actor`): the critic starts untrained, and its first value estimates
  are noise. The actor is frozen for the first updates so that only the critic (its own feature
  extractor, ``share_features_extractor=False``) learns; PPO's advantages are then measured against a
  baseline that has seen the episode rewards, and the clone is not moved by an arbitrary critic.
* **Per-order KL penalty** (:class:`CloneKLPenalty`): each order's reward gets
  ``-weight * (log pi(a|s) - log pi_clone(a|s))``, the sampled estimate of ``KL(pi || pi_clone)`` used as
  a per-token penalty in RL fine-tuning of language models. SB3 computes returns and advantages before
  the rollout-end callback, so the callback shifts the rewards and computes them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from torch import nn

__all__ = ["CloneKLPenalty", "actor_parameters", "frozen_actor"]


def actor_parameters(policy: nn.Module) -> list[nn.Parameter]:
    """The parameters of an SB3 actor-critic policy's actor: its feature extractor, policy MLP and action
    head (not the critic's)."""
    if getattr(policy, "share_features_extractor", True):
        raise ValueError(
            "the policy shares its feature extractor between actor and critic: cannot freeze one"
        )
    modules = (policy.pi_features_extractor, policy.mlp_extractor.policy_net, policy.action_net)
    return [p for module in modules for p in module.parameters()]


@contextmanager
def frozen_actor(policy: nn.Module) -> Iterator[None]:
    """Within the block, the actor's parameters take no gradient (PPO updates only the critic)."""
    params = actor_parameters(policy)
    saved = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, saved, strict=True):
            p.requires_grad_(flag)


class CloneKLPenalty(BaseCallback):
    """Each rollout's rewards minus ``weight`` times the per-order log-ratio of the policy to the clone
    (see the module doc); logs the rollout's mean log-ratio (an estimate of the KL per order) as
    ``intags/clone_kl``.

    Args:
        clone: the cloned generator's policy (kept frozen).
        weight: the penalty per unit of log-ratio, per order (an episode has ~1,800 orders).
    """

    def __init__(self, clone: nn.Module, weight: float) -> None:
        super().__init__()
        if not weight >= 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.clone = clone.eval()
        for p in self.clone.parameters():
            p.requires_grad_(False)
        self.weight = weight
        self.last_kl = float("nan")

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        n_steps, n_envs = buffer.rewards.shape
        obs = torch.as_tensor(buffer.observations.reshape(n_steps * n_envs, -1), dtype=torch.float32)
        actions = torch.as_tensor(buffer.actions.reshape(n_steps * n_envs, -1)).long()
        with torch.no_grad():
            _, clone_log_prob, _ = self.clone.evaluate_actions(obs, actions)
        ratio = buffer.log_probs - clone_log_prob.numpy().reshape(n_steps, n_envs)
        self.last_kl = float(np.mean(ratio))
        self.logger.record("intags/clone_kl", self.last_kl)
        if self.weight == 0:
            return
        buffer.rewards -= self.weight * ratio.astype(buffer.rewards.dtype)
        values: Any = self.locals["values"]
        buffer.compute_returns_and_advantage(last_values=values, dones=self.locals["dones"])
