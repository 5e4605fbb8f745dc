"""Simulated facts of a config (averaged over common seeds) and the loss of a config against a target."""

from __future__ import annotations

import math
from collections.abc import Sequence

from intags_env.world import WorldConfig, WorldError, simulate

from .facts import FACT_NAMES, calibration_facts, mean_facts

__all__ = ["simulated_facts"]


def simulated_facts(
    config: WorldConfig, seeds: Sequence[int], levels: int | None = None, *, strict: bool = False
) -> dict[str, float]:
    """:func:`~intags_env.calibration.facts.calibration_facts` of ``config`` simulated with each seed, viewed
    at ``levels`` book levels (the data's), averaged fact by fact over the seeds.

    A session that breaks down on any seed (``WorldError``: the book drained off its price range, ...)
    makes every fact NaN, so a search treats the candidate as far from any data; ``strict`` re-raises.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("simulated_facts needs at least one seed")
    tables = []
    for seed in seeds:
        try:
            result = simulate(config, seed=seed)
        except WorldError:
            if strict:
                raise
            return dict.fromkeys(FACT_NAMES, math.nan)
        tables.append(calibration_facts(result.lobster, levels))
    return mean_facts(tables)
