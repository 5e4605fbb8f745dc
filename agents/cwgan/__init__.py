"""The cWGAN world agent: a conditional Wasserstein GAN (with gradient penalty) that generates the next
background order from the recent market-state history, after Coletta et al. 2022 ("Learning to simulate
realistic limit order book markets from data as a World Agent").

It is the baseline of the INTAGS-trained generator: the same order action and state features
(``intags_env.generator.spec``), the same training data (``bc_dataset``), and the same background
(``GeneratorBackground``), so every environment runs on it (``make_background("model.pt", ...)``: the
``.pt`` loader is registered in the ``intags_env.world_agents`` entry-point group).

G sees its inputs held inside the training data's 0.5-99.5 % band of each feature: closed loop, and
above all after a trader's market orders, the spread, returns and order-sign imbalance leave the data,
where a ReLU network extrapolates linearly, and G used to fall into same-timestamp cancel loops that
cancelled nothing (the session stopped: a runaway). With the band no session of the fidelity and realism
benchmarks runs away.

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
