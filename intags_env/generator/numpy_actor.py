"""The generator's actor compiled with Numba, one state at a time: the order sampler's hot path.

A generator session draws one order per decision, so each policy call is a batch of one. At that size
torch's per-module dispatch costs far more than the arithmetic (~0.5 ms per order against a few
microseconds for the same four small matrix products compiled), and it was most of a session's time.
:class:`NumpyActor` holds *views* of the policy's own weights and logit offsets (``tensor.numpy()``
shares memory), so an in-place change to the policy (an ES candidate's weight delta, new logit offsets,
``load_state_dict``) is seen at once. Its forward pass and sampler are Numba functions
(:func:`actor_logits`, :func:`actor_sample`) that the session kernels (:mod:`.kernels`) call between
orders, so a policy-driven session runs from one trader decision to the next without returning to
Python. It understands the generator's architecture (``OrderHistoryExtractor``, an MLP of linear layers
and tanh / ReLU, ``action_net``); :func:`numpy_actor` returns None for anything else, and the caller
keeps torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numba import njit, types
from numba.typed import List

from .spec import FIELD_MASK, N_FIELDS

__all__ = ["NumpyActor", "actor_logits", "actor_sample", "no_actor", "numpy_actor"]

OP_LINEAR, OP_TANH, OP_RELU = 0, 1, 2
_ACTIVATIONS = {torch.nn.Tanh: OP_TANH, torch.nn.ReLU: OP_RELU}
PER_STATE, OVER_TIME = 0, 1  # stages: each state alone, then the flattened history


def _ops(module: torch.nn.Module, stage: int, weights: List, biases: List, ops: list) -> bool:
    """Append a ``Sequential`` of linear layers and activations as (stage, op, weight index) rows; False
    when it holds anything else."""
    for layer in module if isinstance(module, torch.nn.Sequential) else [module]:
        if isinstance(layer, torch.nn.Linear) and layer.bias is not None:
            ops.append((stage, OP_LINEAR, len(weights)))
            weights.append(layer.weight.detach().numpy())
            biases.append(layer.bias.detach().numpy())
        elif type(layer) in _ACTIVATIONS:
            ops.append((stage, _ACTIVATIONS[type(layer)], -1))
        else:
            return False
    return True


def _empty_lists() -> tuple[List, List]:
    return List.empty_list(types.float32[:, ::1]), List.empty_list(types.float32[::1])


class NumpyActor:
    """The policy's adapted action logits and its order sampler, compiled (see the module doc).

    ``net`` is the tuple the Numba functions take: the ops, the weights and biases (views of the policy's),
    the logit offsets, the spread edges, the action's ``nvec`` and where each field starts in the logits,
    and the flat indices of the latest state's log spread and two-sided flag.
    """

    def __init__(self, policy: Any, ops: list, weights: List, biases: List) -> None:
        from .policy import _SPREAD, _TWO_SIDED

        extractor = policy.pi_features_extractor
        self.n_features = extractor.n_features
        self.history = extractor.history
        self.offsets = policy.logit_offsets.detach().numpy()
        self.edges = [int(e) for e in policy.spread_edges]
        nvec = np.asarray(policy.action_space.nvec, np.int64)
        starts = np.concatenate([[0], np.cumsum(nvec)[:-1]]).astype(np.int64)
        self.net = (
            np.asarray(ops, np.int64).reshape(-1, 3),
            weights,
            biases,
            self.offsets,
            np.asarray(self.edges, np.int64),
            nvec,
            starts,
            np.array([_SPREAD, _TWO_SIDED], np.int64),
        )
        self._logits = np.zeros(int(nvec.sum()), np.float64)

    def bucket(self, obs: np.ndarray) -> int:
        """The adapter bucket of ``obs`` (as ``GeneratorPolicy.spread_bucket``)."""
        return int(
            spread_bucket(np.ascontiguousarray(obs, dtype=np.float32).reshape(-1), self.net[4], self.net[7])
        )

    def _states(self, observation: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(observation, dtype=np.float32).reshape(self.history, self.n_features)

    def logits(self, observation: np.ndarray) -> np.ndarray:
        """The adapted action logits for one observation, float64."""
        out = np.zeros_like(self._logits)
        actor_logits(self.net, self._states(observation), out)
        return out

    def sample(self, observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One action drawn with ``rng``: the type, then that type's fields (the others 0)."""
        out = np.zeros(len(self.net[5]), np.int64)
        actor_sample(self.net, self._states(observation), rng, self._logits, out)
        return out


def numpy_actor(policy: Any) -> NumpyActor | None:
    """A :class:`NumpyActor` of ``policy``, or None when its architecture is not the generator's."""
    from .policy import GeneratorPolicy, OrderHistoryExtractor

    if not isinstance(policy, GeneratorPolicy):
        return None
    extractor = policy.pi_features_extractor
    if not isinstance(extractor, OrderHistoryExtractor):
        return None
    if any(not t.device.type == "cpu" or t.dtype != torch.float32 for t in policy.parameters()):
        return None
    weights, biases = _empty_lists()
    ops: list = []
    parts = [
        (extractor.per_state, PER_STATE),
        (extractor.over_time, OVER_TIME),
        (policy.mlp_extractor.policy_net, OVER_TIME),
        (policy.action_net, OVER_TIME),
    ]
    if not all(_ops(module, stage, weights, biases, ops) for module, stage in parts):
        return None
    return NumpyActor(policy, ops, weights, biases)


def no_actor() -> tuple:
    """A placeholder ``net`` for the session kernels when the policy is not compiled (never evaluated)."""
    weights, biases = _empty_lists()
    z = np.zeros(1, np.int64)
    return (np.zeros((0, 3), np.int64), weights, biases, np.zeros((1, 1), np.float32), z, z, z, z)


@njit(cache=True)
def _activate(x, op):  # pragma: no cover - compiled
    if op == OP_TANH:
        return np.tanh(x)
    return np.where(x > 0, x, np.float32(0.0))


@njit(cache=True)
def spread_bucket(flat, edges, columns):  # pragma: no cover - compiled
    """The adapter bucket of a flat observation: its latest state's spread in ticks among ``edges``
    (``columns``: where the log spread and the two-sided flag are); a one-sided book is the last."""
    last = edges.shape[0] - 1
    if not flat[columns[1]] > 0.5:
        return last
    ticks = np.round(np.expm1(np.float64(flat[columns[0]])))
    return min(max(np.searchsorted(edges, ticks, side="right") - 1, 0), last)


@njit(cache=True)
def actor_logits(net, states, out):  # pragma: no cover - compiled
    """The adapted logits of one observation (``states``: ``(HISTORY, n_features)`` float32) into
    ``out`` (float64), as ``GeneratorPolicy.action_logits``."""
    ops, weights, biases, offsets, edges = net[0], net[1], net[2], net[3], net[4]
    x2 = states.copy()
    for j in range(ops.shape[0]):
        if ops[j, 0] != PER_STATE:
            continue
        if ops[j, 1] == OP_LINEAR:
            w, b = weights[ops[j, 2]], biases[ops[j, 2]]
            y = np.empty((x2.shape[0], w.shape[0]), np.float32)
            for r in range(x2.shape[0]):
                y[r] = np.dot(w, x2[r]) + b
            x2 = y
        else:
            x2 = _activate(x2, ops[j, 1])
    x = x2.reshape(-1).copy()
    for j in range(ops.shape[0]):
        if ops[j, 0] != OVER_TIME:
            continue
        if ops[j, 1] == OP_LINEAR:
            x = np.dot(weights[ops[j, 2]], x) + biases[ops[j, 2]]
        else:
            x = _activate(x, ops[j, 1])
    bucket = spread_bucket(states.reshape(-1), edges, net[7])
    for k in range(x.shape[0]):
        out[k] = np.float64(x[k] + offsets[bucket, k])


@njit(cache=True)
def _draw(logits, start, n, u):  # pragma: no cover - compiled
    """The value of one field drawn by inverse CDF with uniform ``u`` from its soft-maxed logits."""
    top = logits[start]
    for k in range(1, n):
        top = max(top, logits[start + k])
    total = 0.0
    for k in range(n):
        total += np.exp(logits[start + k] - top)
    target = u * total
    c = 0.0
    for k in range(n):
        c += np.exp(logits[start + k] - top)
        if c > target:
            return k
    return n - 1


@njit(cache=True)
def actor_sample(net, states, rng, logits, out):  # pragma: no cover - compiled
    """One action for ``states`` drawn with ``rng`` into ``out``: a uniform per field, then the type of
    each order and the fields of that type (``spec.FIELD_MASK``; the others 0)."""
    nvec, starts = net[5], net[6]
    actor_logits(net, states, logits)
    u = np.empty(nvec.shape[0])
    for i in range(nvec.shape[0]):
        u[i] = rng.random()
    for first in range(0, nvec.shape[0], N_FIELDS):
        kind = _draw(logits, starts[first], nvec[first], u[first])
        out[first] = kind
        for i in range(1, N_FIELDS):
            f = first + i
            out[f] = _draw(logits, starts[f], nvec[f], u[f]) if FIELD_MASK[kind, i] else 0
