"""The generator as a Stable-Baselines3 policy, its behaviour cloning, and its use as a background.

The policy is :class:`GeneratorPolicy`, SB3's ``ActorCriticPolicy`` (PPO / A2C) with
``OrderHistoryExtractor`` over the state history and fixed per-spread-bucket logit offsets (zero after
cloning; INTAGS fine-tuning by evolution strategies moves only those, see :mod:`.adapter`). SB3 turns the
``MultiDiscrete`` action into one categorical head per field on top of the shared features. The action is
factorised by type (:mod:`.spec`): the type head picks the order type and each type has heads of its own
for side, price, size, delay, ... so, given the state, a cancel's level follows the cancels' distribution
and a market order's delay the market orders'. Behaviour cloning maximises the likelihood of the type and
of the fields of that type only (``spec.FIELD_MASK``); the sampler draws the type, then that type's
fields (the others are 0, ignored by the decoder). Models are saved and loaded with SB3's own
``save``/``load``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from ..progress import tqdm
from ..sb3_files import check_sb3_file
from .spec import ACTION_NVEC, FEATURE_NAMES, FIELD_MASK, HISTORY, N_FIELDS

__all__ = [
    "GeneratorPolicy",
    "OrderHistoryExtractor",
    "masked_log_likelihood",
    "SB3OrderPolicy",
    "behaviour_cloning",
    "check_sb3_file",
    "generator_policy_kwargs",
    "load_generator",
]


class OrderHistoryExtractor(BaseFeaturesExtractor):
    """Encodes each of the ``HISTORY`` market states with a shared layer, then mixes them over time."""

    def __init__(
        self, observation_space: gym.spaces.Box, state_dim: int = 32, features_dim: int = 64
    ) -> None:
        super().__init__(observation_space, features_dim)
        self.n_features = len(FEATURE_NAMES)
        self.history = observation_space.shape[0] // self.n_features
        self.per_state = torch.nn.Sequential(torch.nn.Linear(self.n_features, state_dim), torch.nn.Tanh())
        self.over_time = torch.nn.Sequential(
            torch.nn.Linear(self.history * state_dim, features_dim), torch.nn.Tanh()
        )

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        states = observations.reshape(-1, self.history, self.n_features)
        return self.over_time(self.per_state(states).flatten(start_dim=1))


#: Spread buckets of the logit adapter (lower edges, ticks): 1 tick, 2, 3-4, 5 or more (or a one-sided
#: book). The trader-free market sits at 1 tick (73% of the time in rmsc04), a market being traded
#: against spends its time wider: separate buckets let the adapter fit both (see TrainSettings).
SPREAD_EDGES = (1, 2, 3, 5)
_SPREAD = (HISTORY - 1) * len(FEATURE_NAMES) + FEATURE_NAMES.index("log_spread_ticks")
_TWO_SIDED = (HISTORY - 1) * len(FEATURE_NAMES) + FEATURE_NAMES.index("two_sided")


class GeneratorPolicy(ActorCriticPolicy):
    """SB3's actor-critic policy plus a logit adapter: ``logit_offsets[b]`` (a buffer of shape
    ``(len(spread_edges), sum(nvec))``, zeros by default) is added to the action logits in a state whose
    spread falls in bucket ``b`` (``spread_edges``: lower edges in ticks; a one-sided book counts as the
    widest bucket). A clone has zero offsets and is exactly SB3's policy; fine-tuning the offsets alone
    moves the generator in a few dozen interpretable directions while the cloned network stays intact.
    Saved and loaded with the model (``PPO.save`` / ``PPO.load``)."""

    def __init__(self, *args: Any, spread_edges: tuple[int, ...] = SPREAD_EDGES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spread_edges = tuple(int(e) for e in spread_edges)
        width = int(np.sum(self.action_space.nvec))
        self.register_buffer("logit_offsets", torch.zeros(len(self.spread_edges), width))
        self.register_buffer("_edges", torch.as_tensor(self.spread_edges, dtype=torch.float32))

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "spread_edges": self.spread_edges}

    def spread_bucket(self, observations: torch.Tensor) -> torch.Tensor:
        """``(B,)`` adapter bucket of each observation (its latest state's spread)."""
        obs = observations.reshape(len(observations), -1)
        ticks = torch.round(torch.expm1(obs[:, _SPREAD]))
        bucket = torch.searchsorted(self._edges, ticks.contiguous(), right=True) - 1
        bucket = bucket.clamp(0, len(self.spread_edges) - 1)
        return torch.where(obs[:, _TWO_SIDED] > 0.5, bucket, len(self.spread_edges) - 1)

    def _latents(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.extract_features(obs)
        if self.share_features_extractor:
            return self.mlp_extractor(features)
        pi_features, vf_features = features
        return self.mlp_extractor.forward_actor(pi_features), self.mlp_extractor.forward_critic(vf_features)

    def _adapted_distribution(self, obs: torch.Tensor, latent_pi: torch.Tensor) -> Any:
        logits = self.action_net(latent_pi) + self.logit_offsets[self.spread_bucket(obs.float())]
        return self.action_dist.proba_distribution(action_logits=logits)

    # the three SB3 paths that build the action distribution (acting, PPO's loss, predict), adapted

    def forward(
        self, obs: torch.Tensor, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        latent_pi, latent_vf = self._latents(obs)
        distribution = self._adapted_distribution(obs, latent_pi)
        actions = distribution.get_actions(deterministic=deterministic)
        log_prob = distribution.log_prob(actions)
        return actions.reshape((-1, *self.action_space.shape)), self.value_net(latent_vf), log_prob

    def evaluate_actions(
        self, obs: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        latent_pi, latent_vf = self._latents(obs)
        distribution = self._adapted_distribution(obs, latent_pi)
        return self.value_net(latent_vf), distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: torch.Tensor) -> Any:
        return self.action_dist.proba_distribution(action_logits=self.action_logits(obs))

    def action_logits(self, observations: torch.Tensor) -> torch.Tensor:
        """``(B, sum(nvec))`` adapted action logits (all fields side by side), without distributions."""
        features = BasePolicy.extract_features(self, observations, self.pi_features_extractor)
        latent = self.mlp_extractor.forward_actor(features)
        return self.action_net(latent) + self.logit_offsets[self.spread_bucket(observations)]


def generator_policy_kwargs(spread_edges: tuple[int, ...] = SPREAD_EDGES) -> dict[str, Any]:
    """``policy_kwargs`` of the generator's :class:`GeneratorPolicy` (pass the class as the policy). The
    critic has a feature extractor of its own: PPO's value loss on unpredictable episode returns would
    otherwise retrain the cloned actor's features. ``spread_edges``: the logit adapter's spread buckets."""
    return {
        "features_extractor_class": OrderHistoryExtractor,
        "net_arch": {"pi": [64], "vf": [64]},
        "share_features_extractor": False,
        "spread_edges": tuple(int(e) for e in spread_edges),
    }


class SB3OrderPolicy:
    """A trained SB3 generator as ``policy(observation, rng) -> action`` for ``GeneratorBackground``.

    Samples with the caller's numpy generator (not torch's), so a background is reproducible per seed.
    """

    def __init__(self, model: Any) -> None:
        from .numpy_actor import numpy_actor

        self.model = model
        self.policy = model.policy
        self.policy.set_training_mode(False)
        nvec = np.asarray(self.policy.action_space.nvec)
        self._splits = np.cumsum(nvec)[:-1]
        self._starts = np.concatenate([[0], self._splits])
        self._bounds = list(zip(self._starts.tolist(), np.cumsum(nvec).tolist(), strict=True))
        self._field_of = np.repeat(np.arange(len(nvec)), nvec)
        self._actor = numpy_actor(self.policy)  # None: another architecture, torch evaluates it

    def logits(self, observation: np.ndarray) -> np.ndarray:
        """The policy's (adapted) action logits in this state, all fields side by side, float64."""
        if self._actor is not None:
            return self._actor.logits(observation)
        policy = self.policy
        with torch.no_grad():
            obs = torch.as_tensor(observation, dtype=torch.float32).reshape(1, -1)
            if isinstance(policy, GeneratorPolicy):
                return policy.action_logits(obs)[0].numpy().astype(np.float64)
            latent = policy.mlp_extractor.forward_actor(
                policy.extract_features(obs, policy.pi_features_extractor)
            )
            return policy.action_net(latent)[0].numpy().astype(np.float64)

    def probabilities(self, observation: np.ndarray) -> list[np.ndarray]:
        """The probabilities of each order field's values in this state (the policy's action logits,
        split per field and soft-maxed; the same numbers as ``policy.get_distribution`` without building
        torch distribution objects, which would cost more than the network itself)."""
        logits = self.logits(observation)
        e = np.exp(logits - np.maximum.reduceat(logits, self._starts)[self._field_of])
        p = e / np.add.reduceat(e, self._starts)[self._field_of]
        return [p[a:b] for a, b in self._bounds]

    def __call__(self, observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One action: the fields of one order (its type first, then that type's fields; the other
        types' fields 0), or of several for a several-orders-per-step policy. A uniform is drawn for
        every field, then each value by inverse CDF (the compiled actor draws exactly so)."""
        if self._actor is not None:
            return self._actor.sample(observation, rng)
        probabilities = self.probabilities(observation)
        u = rng.random(len(probabilities))
        out = np.zeros(len(probabilities), np.int64)
        for start in range(0, len(probabilities), N_FIELDS):
            out[start] = _draw(probabilities[start], u[start])
            for i in np.flatnonzero(FIELD_MASK[out[start]])[1:]:
                out[start + i] = _draw(probabilities[start + i], u[start + i])
        return out

    @property
    def compiled_actor(self) -> Any:
        """The Numba actor (:class:`.numpy_actor.NumpyActor`) a session kernel can sample from without
        returning to Python, or None (another architecture: called from Python)."""
        return self._actor


def _draw(p: np.ndarray, u: float) -> int:
    c = np.cumsum(p)
    return min(int(np.searchsorted(c, u * c[-1], side="right")), len(p) - 1)


def masked_log_likelihood(policy: Any, observations: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """``(B,)`` log-likelihood of each action under ``policy``, summed over the fields its orders use
    (``spec.FIELD_MASK`` of each order's type; several orders per action when the action is tiled)."""
    distribution = policy.get_distribution(observations).distribution
    per_field = torch.stack([d.log_prob(actions[:, i]) for i, d in enumerate(distribution)], dim=1)
    orders = actions.reshape(len(actions), -1, N_FIELDS)
    mask = torch.as_tensor(FIELD_MASK)[orders[:, :, 0]].reshape(len(actions), -1)
    return (per_field * mask).sum(dim=1)


def load_generator(path: str | Path, **kwargs: Any) -> PPO:
    """A generator saved by SB3 (``model.save``), on the CPU. A missing, truncated or damaged file is
    named (:func:`check_sb3_file`); a model whose action or observation space is not today's
    representation (``spec.ACTION_NVEC``, ``HISTORY`` x ``FEATURE_NAMES``: saved before either changed)
    is a ValueError naming both."""
    model = PPO.load(str(check_sb3_file(path, "generator model")), device="cpu", **kwargs)
    nvec = getattr(model.action_space, "nvec", None)
    found = (None if nvec is None else np.asarray(nvec).tolist(), model.observation_space.shape)
    expected = (ACTION_NVEC.tolist(), (HISTORY * len(FEATURE_NAMES),))
    if found != expected:
        raise ValueError(
            f"{path} was saved with another order representation (action nvec, observation shape "
            f"{found}, expected {expected}): retrain it (intags train)"
        )
    return model


def behaviour_cloning(
    model: Any,
    observations: np.ndarray,
    actions: np.ndarray,
    *,
    epochs: int = 5,
    batch_size: int = 512,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Maximum-likelihood pretraining of the policy's order heads on (state history, order) pairs.

    Minimises the negative log-likelihood of the observed orders under the policy: the type and the
    fields of that type (``spec.FIELD_MASK``; the other types' heads are not trained by an order that
    does not use them). The value head is left to the RL phase. Returns the mean loss of each epoch.
    """
    if len(observations) != len(actions) or len(actions) == 0:
        raise ValueError(
            f"need as many observations as actions (> 0), got {len(observations)}, {len(actions)}"
        )
    policy = model.policy
    policy.set_training_mode(True)
    optimizer = torch.optim.Adam(policy.parameters(), lr=learning_rate)
    obs = torch.as_tensor(observations, dtype=torch.float32)
    act = torch.as_tensor(actions, dtype=torch.int64)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for epoch in tqdm(range(epochs), desc="behaviour cloning", unit="epoch", disable=not progress):
        order = torch.randperm(len(obs), generator=generator)
        total, n = 0.0, 0
        for start in range(0, len(obs), batch_size):
            idx = order[start : start + batch_size]
            loss = -masked_log_likelihood(policy, obs[idx], act[idx]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            n += len(idx)
        losses.append(total / n)
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    policy.set_training_mode(False)
    return losses
