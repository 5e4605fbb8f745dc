"""``CWGANWorldAgent``: a trained cWGAN generator as an order policy and a background market.

It is an ``OrderPolicy`` of :mod:`intags_env.generator.background` (``agent(observation, rng) ->
action``), so ``agent.background()`` — a ``GeneratorBackground`` — puts it behind every environment.
Sampling draws the noise z and the Gumbel noise from the caller's numpy generator and runs G's forward
pass in numpy (``networks.numpy_forward``, the same numbers as torch's up to rounding, ~10x faster for
one order at a time): the same generator state gives the same order, so a background session is
reproducible per seed. ``argmax(logits + Gumbel)`` per field is an exact draw from the field's
softmax, the very draw the straight-through relaxation makes in training; the action keeps the drawn
type and the fields of that type, the other types' fields are 0 (``networks.field_argmax``), as the
decoder expects (``intags_env.generator.spec``).

Files: ``save(path)`` writes ``path`` (a ``torch.save`` dict: format tag, config, G's state dict with
its observation standardisation, the training window) and ``<path>.json`` (the config and the window
``real``/``start``/``end``, as beside SB3 generators, read by ``trained_window``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from intags_env.generator.background import GeneratorBackground
from intags_env.generator.spec import ACTION_NVEC, FIELD_MASK, FIELD_NAMES, N_FIELDS

from .networks import N_ONE_HOT, OBS_DIM, OrderGenerator, field_argmax, numpy_forward, split_fields

__all__ = ["DEFAULT_WINDOW", "FORMAT", "CWGANConfig", "CWGANWorldAgent", "check_actions"]

FORMAT = "intags-cwgan/1"
DEFAULT_WINDOW = {"real": "rmsc04", "start": "09:35", "end": "09:45"}


@dataclass(frozen=True)
class CWGANConfig:
    """The generator's shape (the critic's width is a training setting)."""

    noise_dim: int = 16
    hidden: int = 128

    def __post_init__(self) -> None:
        if self.noise_dim < 1 or self.hidden < 1:
            raise ValueError(f"noise_dim and hidden must be positive, got {self.noise_dim}, {self.hidden}")


class CWGANWorldAgent:
    """A cWGAN order generator (see the module doc).

    Args:
        generator: the trained G.
        config: its shape (as built).
        window: the real market and session it was trained for (``real``, ``start``, ``end``).
    """

    def __init__(
        self, generator: OrderGenerator, config: CWGANConfig, window: dict[str, str] | None = None
    ) -> None:
        self.generator = generator.eval()
        self.config = config
        self.window = {**DEFAULT_WINDOW, **(window or {})}

    @classmethod
    def new(
        cls,
        config: CWGANConfig | None = None,
        obs_mean: np.ndarray | None = None,
        obs_std: np.ndarray | None = None,
        window: dict[str, str] | None = None,
        obs_low: np.ndarray | None = None,
        obs_high: np.ndarray | None = None,
    ) -> CWGANWorldAgent:
        """An untrained agent (torch's global generator initialises the weights); ``obs_low`` /
        ``obs_high``: the band its inputs are held in (``OrderGenerator``; None: unbounded)."""
        config = config or CWGANConfig()
        generator = OrderGenerator(config.noise_dim, config.hidden, obs_mean, obs_std, obs_low, obs_high)
        return cls(generator, config, window)

    # --- the OrderPolicy protocol -----------------------------------------------------------------

    def sample(self, observations: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``(n, N_FIELDS)`` int64 orders, one per row of ``observations`` (``(n, OBS_DIM)``), drawn
        with ``rng``: the type, the fields of that type, zeros in the other types' fields."""
        obs = np.asarray(observations, dtype=np.float32)
        if obs.ndim != 2 or obs.shape[1] != OBS_DIM:
            raise ValueError(f"observations must have shape (n, {OBS_DIM}), got {obs.shape}")
        n = len(obs)
        noise = rng.standard_normal((n, self.config.noise_dim), dtype=np.float32)
        gumbel = rng.gumbel(size=(n, N_ONE_HOT)).astype(np.float32)
        return field_argmax(numpy_forward(self.generator, obs, noise) + gumbel)

    def __call__(self, observation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One order (``N_FIELDS`` ints, ``intags_env.generator.spec``) for one observation of ``OBS_DIM``
        floats."""
        obs = np.asarray(observation, dtype=np.float32)
        if obs.size != OBS_DIM:
            raise ValueError(f"observation must have {OBS_DIM} values, got shape {obs.shape}")
        return self.sample(obs.reshape(1, OBS_DIM), rng)[0]

    def probabilities(self, observation: np.ndarray, noise: np.ndarray) -> list[np.ndarray]:
        """Each of the ``N_FIELDS`` fields' categorical probabilities given the observation and a noise
        vector z (a type's fields: given that type, since G draws them all and the type selects)."""
        obs = torch.as_tensor(np.asarray(observation, np.float32).reshape(1, OBS_DIM))
        z = torch.as_tensor(np.asarray(noise, np.float32).reshape(1, self.config.noise_dim))
        with torch.no_grad():
            logits = self.generator(obs, z)[0]
        return [torch.softmax(part, dim=0).numpy() for part in split_fields(logits)]

    # --- as a background ----------------------------------------------------------------------------

    @property
    def policy(self) -> CWGANWorldAgent:
        """The order policy a background samples from: the agent itself (the ``WorldAgent`` protocol of
        ``intags_env.envs.world_agents``)."""
        return self

    def background(
        self,
        n_external: int = 4,
        start: str | int | None = None,
        end: str | int | None = None,
        real: str | None = None,
    ) -> GeneratorBackground:
        """A ``GeneratorBackground`` driven by this agent; the market and session default to the training
        window."""
        return GeneratorBackground(
            self,
            real=self.window["real"] if real is None else real,
            start=self.window["start"] if start is None else start,
            end=self.window["end"] if end is None else end,
            n_external=n_external,
        )

    # --- files -------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` and its config and window to ``<path>.json``; returns ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "config": asdict(self.config),
            "window": dict(self.window),
            "generator": self.generator.state_dict(),
        }
        torch.save(payload, path)
        meta = {**self.window, "model": "cwgan", "config": asdict(self.config)}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> CWGANWorldAgent:
        """A model written by :meth:`save`. The window is the one saved in the model, overridden by
        ``<path>.json`` when present (so it can be edited like an SB3 generator's)."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no cWGAN model at {path}")
        payload = _read_payload(path)
        try:
            config = CWGANConfig(**payload["config"])
            agent = cls.new(config, window=payload.get("window"))
            state = dict(payload["generator"])
            for key, fill in (("obs_low", -np.inf), ("obs_high", np.inf)):  # models saved before the band
                state.setdefault(key, torch.full((OBS_DIM,), fill))
            agent.generator.load_state_dict(state)
        except (KeyError, TypeError, RuntimeError) as err:
            raise ValueError(f"{path} is not a valid cWGAN model: {err}") from err
        meta_path = path.with_suffix(".json")
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            agent.window.update({k: meta[k] for k in DEFAULT_WINDOW if k in meta})
        agent.generator.eval()
        return agent


def load_cwgan(path: str | Path) -> CWGANWorldAgent:
    """The ``.pt`` loader registered in the ``intags_env.world_agents`` entry-point group."""
    return CWGANWorldAgent.load(path)


def _read_payload(path: Path) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several kinds (pickle, zip, runtime) for a damaged file
        raise ValueError(f"{path} is not a readable cWGAN model (torch.load failed: {err})") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"{path} is not a cWGAN model: expected format {FORMAT!r}, found {found!r}")
    return payload


def check_actions(actions: np.ndarray) -> np.ndarray:
    """``actions`` as ``(n, N_FIELDS)`` int64: every type in range and every field of its type within
    ``ACTION_NVEC`` (else a ValueError naming the first bad one); the other types' fields, which mean
    nothing, are set to 0."""
    a = np.asarray(actions)
    if a.ndim != 2 or a.shape[1] != N_FIELDS:
        raise ValueError(f"actions must have shape (n, {N_FIELDS}), got {a.shape}")
    a = a.astype(np.int64)
    bad_type = (a[:, 0] < 0) | (a[:, 0] >= ACTION_NVEC[0])
    if bad_type.any():
        row = int(np.flatnonzero(bad_type)[0])
        raise ValueError(f"action {row} has type {a[row, 0]}, outside [0, {ACTION_NVEC[0]})")
    used = FIELD_MASK[a[:, 0]]
    bad = used & ((a < 0) | (a >= ACTION_NVEC))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"action {row} has field {col} ({FIELD_NAMES[col]}) = {a[row, col]}, "
            f"outside [0, {ACTION_NVEC[col]})"
        )
    return np.where(used, a, 0)
