"""Every role draws its sessions from a block of seeds of its own."""

from __future__ import annotations

import itertools

from intags_env import seeds


def test_seed_blocks_are_disjoint_and_cover_the_roles():
    starts = sorted(seeds.ROLES.values())
    assert len(starts) == len(set(starts)) == len(seeds.ROLES) >= 15
    assert all(b - a >= seeds.BLOCK for a, b in itertools.pairwise(starts))
    assert min(starts) >= seeds.BLOCK  # away from the small seeds examples and tests use
