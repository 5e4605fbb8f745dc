"""A small adapter of a cloned generator: a few dozen numbers that shift its order heads' logits.

INTAGS fine-tunes the cloned policy in parameter space (evolution strategies, :mod:`.es`): one reward per
episode, episodes that diverge chaotically, a gap to the real market far smaller than the per-episode
noise. Exploring the whole network (~20k weights) is hopeless there; exploring a few interpretable
directions is not (one logit offset on the inside-the-spread price buckets moves the one-tick spread share
0.17 -> 0.24, seen with ~20 paired episodes). The adapter's vector ``theta`` maps linearly onto
:class:`~.policy.GeneratorPolicy`'s ``logit_offsets`` (one row per spread bucket), per bucket:

=====================  ================================================================================
parameters             effect on the logits of that bucket
=====================  ================================================================================
``type`` (3)           an offset per order type (limit, market, cancel)
``<side field>`` (1)   +theta/2 on sell, -theta/2 on buy (limit, market and cancel sides)
``<ordinal field>``    ``theta_1 z + theta_2 (z^2 - mean z^2)`` over the field's values, ``z`` the
(2 each)               standardised value index: shifts the price level, size, delay, market size, cancel
                       level and cancel amount towards one end, and widens or narrows them
=====================  ================================================================================

``theta = 0`` is the clone. The KL divergence of the adapted policy from the clone on a fixed set of
states (:class:`CloneKL`) is the objective's leash.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from .policy import SPREAD_EDGES, GeneratorPolicy
from .ppo_leash import actor_parameters
from .spec import ACTION_NVEC, FIELD_MASK, FIELD_NAMES, N_FIELDS

__all__ = ["ADAPTED_FIELDS", "CloneKL", "LogitAdapter", "NetworkAdapter", "WeightDelta", "make_adapter"]

_SIDES = ("limit_side", "market_side", "cancel_side")
_ORDINAL = (
    "limit_price",
    "limit_size",
    "limit_delay",
    "market_size",
    "market_delay",
    "cancel_level",
    "cancel_amount",
    "cancel_delay",
)
#: The fields the adapter moves (``cancel_queue`` is left as cloned: its values are not ordered).
ADAPTED_FIELDS = ("type", *_SIDES, *_ORDINAL)


@dataclass(frozen=True)
class LogitAdapter:
    """The linear map from an adapter vector ``theta`` to a policy's ``logit_offsets`` (see module doc)."""

    n_buckets: int = len(SPREAD_EDGES)

    def __post_init__(self) -> None:
        if self.n_buckets < 1:
            raise ValueError(f"n_buckets must be positive, got {self.n_buckets}")

    @cached_property
    def basis(self) -> np.ndarray:
        """``(n_buckets * sum(nvec), dim)``: column k is the offsets of ``theta = e_k``."""
        starts = np.concatenate([[0], np.cumsum(ACTION_NVEC)[:-1]])
        width = int(ACTION_NVEC.sum())
        columns: list[np.ndarray] = []
        for bucket in range(self.n_buckets):
            row0 = bucket * width

            def column(field: str, values: np.ndarray, row0: int = row0) -> None:
                col = np.zeros(self.n_buckets * width)
                i = FIELD_NAMES.index(field)
                col[row0 + starts[i] : row0 + starts[i] + ACTION_NVEC[i]] = values
                columns.append(col)

            for kind in range(int(ACTION_NVEC[0])):
                column("type", np.eye(int(ACTION_NVEC[0]))[kind])
            for field in _SIDES:
                column(field, np.array([-0.5, 0.5]))
            for field in _ORDINAL:
                n = int(ACTION_NVEC[FIELD_NAMES.index(field)])
                z = np.arange(n) - (n - 1) / 2.0
                z /= z.std()
                column(field, z)
                column(field, z**2 - np.mean(z**2))
        return np.stack(columns, axis=1)

    @property
    def dim(self) -> int:
        return self.n_buckets * (int(ACTION_NVEC[0]) + len(_SIDES) + 2 * len(_ORDINAL))

    def offsets(self, theta: np.ndarray) -> np.ndarray:
        """``(n_buckets, sum(nvec))`` logit offsets of ``theta``."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},), got {theta.shape}")
        if not np.isfinite(theta).all():
            raise ValueError("theta contains NaN or inf")
        return (self.basis @ theta).reshape(self.n_buckets, -1)

    def candidate(self, theta: np.ndarray) -> np.ndarray:
        """What a worker needs to play ``theta``: its logit offsets."""
        return self.offsets(theta)

    def apply(self, policy: GeneratorPolicy, theta: np.ndarray) -> None:
        """Set ``policy``'s logit offsets to those of ``theta`` (in place)."""
        if len(policy.spread_edges) != self.n_buckets:
            raise ValueError(
                f"the policy has {len(policy.spread_edges)} spread buckets, the adapter {self.n_buckets}"
            )
        offsets = torch.as_tensor(self.offsets(theta), dtype=torch.float32)
        if offsets.shape != policy.logit_offsets.shape:
            raise ValueError(
                f"the policy's offsets have shape {tuple(policy.logit_offsets.shape)}, the adapter's "
                f"{tuple(offsets.shape)} (a several-orders-per-step policy cannot be adapted)"
            )
        policy.logit_offsets.copy_(offsets)


class CloneKL:
    """Mean KL(adapted || clone) of the whole order distribution over a fixed set of states: the KL of
    the type plus, for each type, its probability times the KL of that type's fields."""

    def __init__(self, policy: GeneratorPolicy, observations: np.ndarray) -> None:
        if len(observations) == 0:
            raise ValueError("CloneKL needs at least one state")
        self.policy = copy.deepcopy(policy)  # a private copy: weight candidates are tried on it
        with torch.no_grad():
            self.obs = torch.as_tensor(observations, dtype=torch.float32)
            self.policy.logit_offsets.zero_()
            self.base = self.policy.action_logits(self.obs).double()
            self.bucket = self.policy.spread_bucket(self.obs)
        self.splits = [int(n) for n in ACTION_NVEC]

    def __call__(self, candidate: np.ndarray | WeightDelta) -> float:
        """The KL of a candidate: logit offsets (``(n_buckets, sum(nvec))``) or a :class:`WeightDelta`."""
        with torch.no_grad():
            if isinstance(candidate, WeightDelta):
                with candidate.applied(self.policy):
                    shifted = self.policy.action_logits(self.obs).double()
            else:
                shifted = self.base + torch.as_tensor(candidate, dtype=torch.float64)[self.bucket]
            parts_p = [torch.log_softmax(x, dim=1) for x in torch.split(shifted, self.splits, dim=1)]
            parts_q = [torch.log_softmax(x, dim=1) for x in torch.split(self.base, self.splits, dim=1)]
            kl = torch.stack(
                [(lp.exp() * (lp - lq)).sum(dim=1) for lp, lq in zip(parts_p, parts_q)], dim=1
            )  # (B, N_FIELDS)
            type_p = parts_p[0].exp()  # (B, 3)
            mask = torch.as_tensor(FIELD_MASK[:, 1:], dtype=torch.float64)  # (3, N_FIELDS - 1)
            fields = (type_p @ mask * kl[:, 1:N_FIELDS]).sum(dim=1)
            return float((kl[:, 0] + fields).mean())


@dataclass(frozen=True)
class WeightDelta:
    """A change of every actor weight of a generator policy (flattened in ``actor_parameters`` order)."""

    delta: np.ndarray

    @contextmanager
    def applied(self, policy: GeneratorPolicy) -> Iterator[None]:
        """Within the block, ``policy``'s actor weights are moved by the delta (restored after)."""
        params = actor_parameters(policy)
        saved = [p.detach().clone() for p in params]
        self.add_to(policy)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, w in zip(params, saved, strict=True):
                    p.copy_(w)

    def add_to(self, policy: GeneratorPolicy) -> None:
        """Move ``policy``'s actor weights by the delta (in place)."""
        params = actor_parameters(policy)
        total = sum(p.numel() for p in params)
        if self.delta.shape != (total,):
            raise ValueError(f"the delta has shape {self.delta.shape}, the actor {total} weights")
        offset = 0
        with torch.no_grad():
            for p in params:
                n = p.numel()
                p.add_(torch.as_tensor(self.delta[offset : offset + n], dtype=p.dtype).reshape(p.shape))
                offset += n


class NetworkAdapter:
    """The whole-network ablation of :class:`LogitAdapter`: ``theta`` moves every weight of the clone's
    actor (feature extractor, policy layer, action head), each in units of the standard deviation of its
    own tensor, so one step means the same relative change in every layer. ``theta = 0`` is the clone.

    Args:
        policy: the cloned generator's policy (its actor must not share the critic's extractor).
    """

    def __init__(self, policy: GeneratorPolicy) -> None:
        params = actor_parameters(policy)
        self.scale = np.concatenate(
            [np.full(p.numel(), max(float(p.detach().std()), 1e-3), np.float32) for p in params]
        )

    @property
    def dim(self) -> int:
        return len(self.scale)

    def candidate(self, theta: np.ndarray) -> WeightDelta:
        """What a worker needs to play ``theta``: the change of every actor weight."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},), got {theta.shape}")
        if not np.isfinite(theta).all():
            raise ValueError("theta contains NaN or inf")
        return WeightDelta((self.scale * theta).astype(np.float32))

    def apply(self, policy: GeneratorPolicy, theta: np.ndarray) -> None:
        """Move ``policy``'s actor weights by ``theta`` (in place)."""
        self.candidate(theta).add_to(policy)


def make_adapter(kind: str, policy: GeneratorPolicy) -> LogitAdapter | NetworkAdapter:
    """The adapter ES searches: ``"logits"`` (the default, :class:`LogitAdapter`) or ``"network"`` (the
    whole-network ablation, :class:`NetworkAdapter`)."""
    if kind == "logits":
        return LogitAdapter(len(policy.spread_edges))
    if kind == "network":
        return NetworkAdapter(policy)
    raise ValueError(f"unknown adapter {kind!r}: expected 'logits' or 'network'")
