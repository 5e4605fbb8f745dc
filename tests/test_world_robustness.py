"""A participant that drains the book must not crash the background: background orders priced off the
book's grid are skipped and counted; a participant's own off-grid order is a clear error."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from intags_env.exchange import MESSAGE_DTYPE, MsgKind
from intags_env.world import BookConfig, ConfigError, World, WorldConfig, WorldError, get_preset
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


def test_numba_calls_do_not_keep_the_world_generator_alive() -> None:
    """Numba unboxes a ``Generator`` into a reference-counted handle; a kernel entry point compiled with NRT
    off never releases it, so every call kept one reference (and ~56 bytes) and every episode's Generator
    stayed alive: ~6 KB leaked per episode (issue 16). Each leaked handle shows up as a reference."""
    world = World("small", n_external=1)
    world.reset(seed=0)
    rng = world.rng
    before = sys.getrefcount(rng)
    book = np.zeros((2, 2, 5), np.int64)
    start = world.config.start_ns
    for k in range(1, 11):
        world.run_until(start + k * NS_PER_SECOND)
        world.participant_step(np.zeros(0, MESSAGE_DTYPE), -1, start + (k + 10) * NS_PER_SECOND, book)
    held = sys.getrefcount(rng)  # read outside ``assert``: pytest's rewriting holds temporaries
    assert held == before
    world.reset(seed=1)  # build_world draws the first megashock from the new Generator in Numba
    assert world.rng is not rng
    held = sys.getrefcount(rng)
    assert held == 2  # the world let go: only this test's name (and getrefcount's argument) hold it
    fresh = world.rng
    held = sys.getrefcount(fresh)
    del fresh
    assert held == before


@pytest.mark.parametrize("shape", [(), (2, 1)])
def test_submit_wants_a_one_dimensional_message_array(shape: tuple) -> None:
    world = World("small", n_external=1)
    world.reset(seed=0)
    messages = np.zeros(shape, MESSAGE_DTYPE)
    messages["owner"] = world.first_external
    with pytest.raises(ValueError, match=r"1-D array of shape \(n,\)"):
        world.submit(messages)


@pytest.mark.parametrize("end", ["09:75", "09:59:60", "10:60:00"])
def test_a_time_of_day_with_60_or_more_minutes_or_seconds_is_refused_by_name(end: str) -> None:
    with pytest.raises(ConfigError, match=rf"end must have minutes and seconds below 60, got '{end}'"):
        WorldConfig(end=end)  # '09:75' was read as 10:15
    assert WorldConfig(start="09:30:00", end="09:59:59").end_ns == (9 * 3600 + 59 * 60 + 59) * NS_PER_SECOND
