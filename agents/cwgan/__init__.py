"""The cWGAN world agent: a conditional Wasserstein GAN (with gradient penalty) that generates the next
background order from the recent market-state history, after Coletta et al. 2022 ("Learning to simulate
realistic limit order book markets from data as a World Agent").

It is the baseline of the INTAGS-trained generator: the same order action and state features
(``intags_env.generator.spec``), the same training data (``bc_dataset``), and the same background
(``GeneratorBackground``), so every environment runs on it (``make_background("model.pt", ...)``).

* :mod:`.networks`: G, the critic, the straight-through Gumbel-softmax, the masking of an order's
  one-hot by its type (the critic sees the type and that type's fields only) and the gradient penalty;
* :mod:`.agent`: ``CWGANWorldAgent`` (order policy, save / load, ``background()``);
* :mod:`.training`: ``train_cwgan`` (progress, TensorBoard, checkpoints, resume);
* :mod:`.session`: one generated session's speed and stylized facts against the real market;
* :mod:`.cli`: ``intags train-cwgan``.

Needs torch (the ``train`` extra); the names below are imported on first use, so ``import
intags_agents.cwgan.cli`` (building the command line) does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["CWGANConfig", "CWGANSettings", "CWGANWorldAgent", "marginal_distances", "train_cwgan"]

_HOMES = {
    "CWGANConfig": ".agent",
    "CWGANWorldAgent": ".agent",
    "CWGANSettings": ".training",
    "marginal_distances": ".training",
    "train_cwgan": ".training",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
