"""A participant that drains the book must not crash the background: background orders priced off the
book's grid are skipped and counted; a participant's own off-grid order is a clear error."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from intags_env.exchange import MESSAGE_DTYPE, MsgKind
from intags_env.world import BookConfig, World, WorldError, get_preset
from intags_env.world.config import NS_PER_SECOND


def test_draining_the_book_skips_off_grid_background_orders_instead_of_crashing() -> None:
    config = replace(get_preset("rmsc04"), book=BookConfig(n_levels=1 << 12))  # a narrow price grid
    world = World(config, n_external=1)
    world.reset(seed=0)
    me = config.n_agents
    msg = np.zeros(1, MESSAGE_DTYPE)
    msg["kind"], msg["side"], msg["owner"], msg["qty"] = MsgKind.MARKET, 1, me, 2_000
    t = config.start_ns + 120 * NS_PER_SECOND
    while t < config.end_ns:
        world.run_until(t)
        world.submit(msg)  # sweeps the asks every 5 s
        t += 5 * NS_PER_SECOND
    world.run()
    result = world.result()
    assert result.n_skipped_orders > 0
    assert len(result) > 0 and world.done


def test_a_participant_order_off_the_grid_is_an_error_naming_the_range() -> None:
    world = World("small", n_external=1)
    world.reset(seed=0)
    world.run_until(world.config.start_ns + 60 * NS_PER_SECOND)
    msg = np.zeros(1, MESSAGE_DTYPE)
    msg["kind"], msg["side"], msg["owner"], msg["qty"] = MsgKind.LIMIT, 1, world.first_external, 10
    msg["price"] = world.config.book.n_levels + 5
    with pytest.raises(WorldError, match="range"):
        world.submit(msg)
