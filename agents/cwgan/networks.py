"""The cWGAN's two networks and the pieces of its loss.

* :class:`OrderGenerator` G(state history, noise z) -> one logit vector per order field, all
  ``N_FIELDS`` = 13 of them side by side (``intags_env.generator.spec``: the type, then the fields of
  each type, ``ACTION_NVEC``; ``N_ONE_HOT`` logits in all). The fields are categorical, so G's output is
  made a (relaxed) one-hot vector by a straight-through Gumbel-softmax (:func:`straight_through_one_hot`):
  the forward pass is an exact categorical draw (a hard one-hot, the same kind of vector the critic sees
  for real orders, so it cannot tell them apart by softness) and the backward pass is the Gumbel-softmax
  gradient. The noise z makes the fields dependent on each other, which per-field heads alone could not.
* **Masking by type** (:func:`mask_by_type`): the action is factorised by type, so an order is its type
  and the fields of that type only; the other types' fields mean nothing (the decoder ignores them).
  The one-hot vector the critic sees keeps the type block and the blocks of the fields of the order's
  type, and is zero in the other types' blocks — for real orders (:func:`one_hot_actions`) and for
  generated ones alike, so the critic cannot tell real from fake by fields that do not matter. For a
  generated order the mask is differentiable: the block of field j is multiplied by the component of
  the straight-through type one-hot for the type owning j. Forward, that component is exactly 1 for
  the sampled type and 0 for the others (a hard mask); backward, it carries the Gumbel-softmax gradient
  of the type, so the critic's judgement of a type's fields also trains the type logits (how good a
  cancel G would draw here pushes the probability of a cancel), not only the fields' logits.
  :func:`generated_orders` is the straight-through draw followed by the mask, what the critic is given.
* :class:`OrderCritic` D(state history, masked one-hot order) -> a scalar score.
* :func:`gradient_penalty`: the WGAN-GP penalty ``E[(||grad_a D(s, a_hat)||_2 - 1)^2]`` on interpolates
  ``a_hat = eps a_real + (1 - eps) a_fake`` of the (masked) order part (the conditioning state is
  shared by the real and generated order of a pair, so it is not interpolated and the gradient is taken
  w.r.t. the order only).
* :func:`field_argmax`: the numpy sampler's decision, an action of the spec: the type, the fields of
  that type, zeros in the other types' fields.

Both networks are small MLPs over the flattened history (``HISTORY`` x 12 features = 48 floats, which
G standardises with the training data's mean and standard deviation kept as buffers); the critic has no
batch normalisation (the gradient penalty is per sample).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from intags_env.generator.spec import ACTION_NVEC, FEATURE_NAMES, FIELD_MASK, FIELD_NAMES, HISTORY, N_FIELDS

__all__ = [
    "FIELD_NAMES",
    "N_ONE_HOT",
    "OBS_DIM",
    "OrderCritic",
    "OrderGenerator",
    "field_argmax",
    "generated_orders",
    "gradient_penalty",
    "mask_by_type",
    "numpy_forward",
    "one_hot_actions",
    "split_fields",
    "straight_through_one_hot",
]

OBS_DIM = HISTORY * len(FEATURE_NAMES)
N_ONE_HOT = int(ACTION_NVEC.sum())
N_TYPES = int(ACTION_NVEC[0])
_SIZES = [int(n) for n in ACTION_NVEC]
_STARTS = np.cumsum([0, *_SIZES[:-1]])
#: ``(N_ONE_HOT,)`` the field of each one-hot column.
_COLUMN_FIELD = np.repeat(np.arange(N_FIELDS), _SIZES)
#: ``(N_TYPES, N_ONE_HOT)`` 1 where a column belongs to a field of that type (the type block excluded).
_TYPE_COLUMNS = FIELD_MASK[:, _COLUMN_FIELD].astype(np.float32)
_TYPE_COLUMNS[:, _COLUMN_FIELD == 0] = 0.0
#: ``(N_ONE_HOT,)`` 1 in the type block.
_TYPE_BLOCK = (_COLUMN_FIELD == 0).astype(np.float32)


def split_fields(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The per-field blocks of a ``(..., N_ONE_HOT)`` tensor (logits or one-hot vectors)."""
    return torch.split(x, _SIZES, dim=-1)


def mask_by_type(one_hot: torch.Tensor) -> torch.Tensor:
    """``(B, N_ONE_HOT)`` one-hot orders (all fields) -> the same with each field's block multiplied by
    the type block's component for the type owning the field: the type block and the fields of the
    order's type kept, the other types' fields zero. Differentiable in the type block (see the module
    doc), so a straight-through type one-hot passes the fields' gradient on to the type logits."""
    types = one_hot[:, :N_TYPES]
    weights = types @ torch.as_tensor(_TYPE_COLUMNS, dtype=one_hot.dtype, device=one_hot.device)
    return one_hot * (weights + torch.as_tensor(_TYPE_BLOCK, dtype=one_hot.dtype, device=one_hot.device))


def one_hot_actions(actions: torch.Tensor) -> torch.Tensor:
    """``(B, N_FIELDS)`` integer orders -> ``(B, N_ONE_HOT)`` float one-hot vectors, the fields side by
    side, masked by type (:func:`mask_by_type`: the other types' fields are zero whatever their values)."""
    parts = [nn.functional.one_hot(actions[:, i], n) for i, n in enumerate(_SIZES)]
    return mask_by_type(torch.cat(parts, dim=1).float())


def straight_through_one_hot(logits: torch.Tensor, gumbel: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """Per field: the hard one-hot of ``argmax(logits + gumbel)`` (an exact draw from the softmax when
    ``gumbel`` is standard Gumbel noise) in the forward pass, the gradient of
    ``softmax((logits + gumbel) / tau)`` in the backward pass. Every field is drawn (not masked)."""
    out = []
    for part in split_fields((logits + gumbel) / tau):
        soft = torch.softmax(part, dim=-1)
        hard = nn.functional.one_hot(part.argmax(dim=-1), part.shape[-1]).to(soft.dtype)
        out.append(hard - soft.detach() + soft)
    return torch.cat(out, dim=-1)


def generated_orders(logits: torch.Tensor, gumbel: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """G's orders as the critic sees them: :func:`straight_through_one_hot`, then :func:`mask_by_type`."""
    return mask_by_type(straight_through_one_hot(logits, gumbel, tau))


def order_nll(logits: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of ``orders`` (``(B, N_ONE_HOT)``, :func:`one_hot_actions`: masked by
    type) under the per-field softmax of ``logits``: the type and that type's fields."""
    log_p = torch.cat([torch.log_softmax(part, dim=-1) for part in split_fields(logits)], dim=-1)
    return -(orders * log_p).sum(dim=1).mean()


#: ``(N_FIELDS, max field size)`` column of each field's value in a ``N_ONE_HOT`` vector (-1: padding).
_FIELD_COLUMNS = np.full((N_FIELDS, max(_SIZES)), -1)
for _i, (_lo, _n) in enumerate(zip(_STARTS, _SIZES)):
    _FIELD_COLUMNS[_i, :_n] = np.arange(_lo, _lo + _n)


def field_argmax(scores: np.ndarray) -> np.ndarray:
    """``(n, N_ONE_HOT)`` scores -> ``(n, N_FIELDS)`` int64 actions: the index of the highest score of the
    type block, and of each field of that type (``spec.FIELD_MASK``); the other types' fields are 0."""
    padded = np.where(_FIELD_COLUMNS >= 0, scores[:, _FIELD_COLUMNS], -np.inf)
    best = padded.argmax(axis=2).astype(np.int64)
    return np.where(FIELD_MASK[best[:, 0]], best, 0)


def _mlp(sizes: list[int], activation: Callable[[], nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class OrderGenerator(nn.Module):
    """G(state history, z) -> per-field order logits ``(B, N_ONE_HOT)``.

    Args:
        noise_dim: size of the standard normal noise z.
        hidden: width of the two hidden layers.
        obs_mean, obs_std: the standardisation of the ``OBS_DIM`` observation (training data's).
    """

    def __init__(
        self,
        noise_dim: int = 16,
        hidden: int = 128,
        obs_mean: np.ndarray | None = None,
        obs_std: np.ndarray | None = None,
        obs_low: np.ndarray | None = None,
        obs_high: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        mean = np.zeros(OBS_DIM) if obs_mean is None else obs_mean
        std = np.ones(OBS_DIM) if obs_std is None else obs_std
        low = np.full(OBS_DIM, -np.inf) if obs_low is None else obs_low
        high = np.full(OBS_DIM, np.inf) if obs_high is None else obs_high
        self.register_buffer("obs_mean", torch.as_tensor(mean, dtype=torch.float32).reshape(OBS_DIM))
        self.register_buffer("obs_std", torch.as_tensor(std, dtype=torch.float32).reshape(OBS_DIM))
        # the training data's range of each input (a quantile band, see CWGANSettings.clip_quantile): a
        # ReLU network extrapolates linearly outside its data, so inputs are held inside it (-inf/inf: off)
        self.register_buffer("obs_low", torch.as_tensor(low, dtype=torch.float32).reshape(OBS_DIM))
        self.register_buffer("obs_high", torch.as_tensor(high, dtype=torch.float32).reshape(OBS_DIM))
        self.net = _mlp([OBS_DIM + noise_dim, hidden, hidden, N_ONE_HOT], nn.ReLU)

    def normalise(self, observations: torch.Tensor) -> torch.Tensor:
        """Standardised observations, held inside the training range ``[obs_low, obs_high]`` first (also
        what the critic is given)."""
        clipped = torch.minimum(torch.maximum(observations, self.obs_low), self.obs_high)
        return (clipped - self.obs_mean) / self.obs_std

    def forward(self, observations: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([self.normalise(observations), noise], dim=1))


class OrderCritic(nn.Module):
    """D(standardised state history, one-hot order) -> ``(B,)`` scores (higher = more real)."""

    def __init__(self, hidden: int = 256) -> None:
        super().__init__()
        self.net = _mlp([OBS_DIM + N_ONE_HOT, hidden, hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, observations: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([observations, orders], dim=1)).squeeze(1)


def gradient_penalty(
    critic: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    observations: torch.Tensor,
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor,
) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): the mean over the batch of ``(||grad_a D(s, a_hat)|| - 1)^2``
    at ``a_hat = eps * real + (1 - eps) * fake`` (``eps``: ``(B,)`` in [0, 1]); differentiable, so it is
    added to the critic's loss (times lambda)."""
    e = eps.reshape(-1, 1)
    mixed = (e * real + (1 - e) * fake).requires_grad_(True)
    scores = critic(observations, mixed)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def numpy_forward(generator: OrderGenerator, observations: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``generator(observations, noise)`` computed with numpy on its weights (float32): the same numbers
    up to float rounding, ~10x faster than torch for one order at a time (a background's decisions).

    It reads the parameters through ``Tensor.numpy()`` views each call, so it always sees the current
    weights (also while training updates them in place)."""
    x = np.clip(observations, generator.obs_low.numpy(), generator.obs_high.numpy())
    x = (x - generator.obs_mean.numpy()) / generator.obs_std.numpy()
    x = np.concatenate([x, noise], axis=1)
    for layer in generator.net:
        if isinstance(layer, nn.Linear):
            x = x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
        elif isinstance(layer, nn.ReLU):
            x = np.maximum(x, 0.0)
        else:  # pragma: no cover - the architecture is fixed above
            raise TypeError(f"numpy_forward does not know layer {layer}")
    return x
