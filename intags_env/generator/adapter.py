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

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from .policy import GeneratorPolicy
from .spec import ACTION_NVEC, FIELD_MASK, FIELD_NAMES, N_FIELDS

__all__ = ["ADAPTED_FIELDS", "CloneKL", "LogitAdapter"]

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

    n_buckets: int = 2

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
        with torch.no_grad():
            obs = torch.as_tensor(observations, dtype=torch.float32)
            saved = policy.logit_offsets.clone()
            policy.logit_offsets.zero_()
            self.base = policy.action_logits(obs).double()
            policy.logit_offsets.copy_(saved)
            self.bucket = policy.spread_bucket(obs)
        self.splits = [int(n) for n in ACTION_NVEC]

    def __call__(self, offsets: np.ndarray) -> float:
        with torch.no_grad():
            shifted = self.base + torch.as_tensor(offsets, dtype=torch.float64)[self.bucket]
            parts_p = torch.split(torch.log_softmax(shifted, dim=1), self.splits, dim=1)
            parts_q = torch.split(torch.log_softmax(self.base, dim=1), self.splits, dim=1)
            kl = torch.stack(
                [(lp.exp() * (lp - lq)).sum(dim=1) for lp, lq in zip(parts_p, parts_q)], dim=1
            )  # (B, N_FIELDS)
            type_p = parts_p[0].exp()  # (B, 3)
            mask = torch.as_tensor(FIELD_MASK[:, 1:], dtype=torch.float64)  # (3, N_FIELDS - 1)
            fields = (type_p @ mask * kl[:, 1:N_FIELDS]).sum(dim=1)
            return float((kl[:, 0] + fields).mean())
