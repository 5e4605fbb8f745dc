"""The world-agent generator of INTAGS: a learned background order flow (an SB3 policy), its environment
``intags_env/WorldAgent-v0`` (reward: the episode's share of -MMD^2 of causal feedback against the real
market), behaviour cloning, INTAGS fine-tuning, and its use as the background of every environment.
A session runs in Numba (:mod:`.kernels`); :class:`GeneratorBatch` runs many in one call."""

from .background import GeneratorBackground
from .batch import GeneratorBatch
from .reward import FeedbackReward

__all__ = ["FeedbackReward", "GeneratorBackground", "GeneratorBatch"]
