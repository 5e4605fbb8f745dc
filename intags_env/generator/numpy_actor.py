"""The generator's actor evaluated with numpy, one state at a time: the order sampler's hot path.

A generator session draws one order per call, so each call is a batch of one. At that size torch's
per-module dispatch costs far more than the arithmetic (~0.5 ms per order against ~0.03 ms for the same
four small matrix products in numpy), and it was most of a session's time. :class:`NumpyActor` holds
*views* of the policy's own weights and logit offsets (``tensor.numpy()`` shares memory), so an in-place
change to the policy (an ES candidate's weight delta, new logit offsets, ``load_state_dict``) is seen
at once. It understands the generator's architecture (``OrderHistoryExtractor``, an MLP of linear layers
and tanh / ReLU, ``action_net``); :func:`numpy_actor` returns None for anything else, and the caller
keeps torch.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
import torch

__all__ = ["NumpyActor", "numpy_actor"]

_ACTIVATIONS = {torch.nn.Tanh: np.tanh, torch.nn.ReLU: lambda x: np.maximum(x, 0.0)}


def _layers(module: torch.nn.Module) -> list[tuple[np.ndarray, np.ndarray] | Any] | None:
    """A ``Sequential`` of linear layers and activations as numpy steps (None: something else)."""
    steps: list[Any] = []
    for layer in module if isinstance(module, torch.nn.Sequential) else [module]:
        if isinstance(layer, torch.nn.Linear) and layer.bias is not None:
            steps.append((layer.weight.detach().numpy().T, layer.bias.detach().numpy()))
        elif type(layer) in _ACTIVATIONS:
            steps.append(_ACTIVATIONS[type(layer)])
        else:
            return None
    return steps


def _run(steps: list[Any], x: np.ndarray) -> np.ndarray:
    for step in steps:
        x = x @ step[0] + step[1] if isinstance(step, tuple) else step(x)
    return x


class NumpyActor:
    """``logits(observation)``: the policy's adapted action logits for one observation, in float64."""

    def __init__(self, policy: Any, per_state: list[Any], over_time: list[Any], mlp: list[Any]) -> None:
        extractor = policy.pi_features_extractor
        self.n_features = extractor.n_features
        self.history = extractor.history
        self.per_state, self.over_time, self.mlp = per_state, over_time, mlp
        self.head = _layers(policy.action_net)
        self.offsets = policy.logit_offsets.detach().numpy()
        self.edges = [int(e) for e in policy.spread_edges]
        from .policy import _SPREAD, _TWO_SIDED

        self._spread, self._two_sided = _SPREAD, _TWO_SIDED

    def bucket(self, obs: np.ndarray) -> int:
        """The adapter bucket of ``obs`` (as ``GeneratorPolicy.spread_bucket``)."""
        last = len(self.edges) - 1
        if not obs[self._two_sided] > 0.5:
            return last
        ticks = round(math.expm1(float(obs[self._spread])))
        return min(max(bisect.bisect_right(self.edges, ticks) - 1, 0), last)

    def logits(self, observation: np.ndarray) -> np.ndarray:
        obs = np.asarray(observation, dtype=np.float32).reshape(-1)
        states = _run(self.per_state, obs.reshape(self.history, self.n_features))
        latent = _run(self.mlp, _run(self.over_time, states.reshape(-1)))
        return (_run(self.head, latent) + self.offsets[self.bucket(obs)]).astype(np.float64)


def numpy_actor(policy: Any) -> NumpyActor | None:
    """A :class:`NumpyActor` of ``policy``, or None when its architecture is not the generator's."""
    from .policy import GeneratorPolicy, OrderHistoryExtractor

    if not isinstance(policy, GeneratorPolicy):
        return None
    extractor = policy.pi_features_extractor
    if not isinstance(extractor, OrderHistoryExtractor):
        return None
    parts = [
        _layers(extractor.per_state),
        _layers(extractor.over_time),
        _layers(policy.mlp_extractor.policy_net),
    ]
    if any(p is None for p in parts) or _layers(policy.action_net) is None:
        return None
    if any(not t.device.type == "cpu" or t.dtype != torch.float32 for t in policy.parameters()):
        return None
    return NumpyActor(policy, *parts)
