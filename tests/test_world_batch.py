"""``WorldBatch``: world i of a batch is bit-identical to a ``World`` with the same seed and messages,
through record growth and per-world resets; bad input and a world that cannot go on are named."""

from __future__ import annotations

import numpy as np
import pytest

from intags_env.exchange import MESSAGE_DTYPE, MsgKind
from intags_env.world import World, WorldError
from intags_env.world.batch import WorldBatch
from intags_env.world.config import NS_PER_SECOND
from intags_env.world.state import build_world

SEEDS = [11, 12, 13]
LEVELS = 3


def _orders(rng: np.random.Generator, world: World, k: int) -> np.ndarray:
    """Up to ``k`` random participant orders near the touch (limit and market, both sides)."""
    msgs = np.zeros(k, MESSAGE_DTYPE)
    book = world.exchange
    mid = (book.best_bid or 0) + (book.best_ask or 0)
    centre = (
        mid // 2 - world.config.min_price
        if book.best_bid and book.best_ask
        else world.config.book.n_levels // 2
    )
    for j in range(k):
        side = 1 if rng.random() < 0.5 else -1
        market = rng.random() < 0.3
        msgs[j]["kind"] = MsgKind.MARKET if market else MsgKind.LIMIT
        msgs[j]["side"] = side
        msgs[j]["qty"] = int(rng.integers(1, 300))
        msgs[j]["owner"] = world.first_external
        msgs[j]["price"] = 0 if market else int(centre - side * rng.integers(0, 4))
    return msgs


def _small_records(world: World, seed: int) -> None:
    """Reset ``world`` with record buffers of 64 rows, so that stepping must grow them."""
    world.rng = np.random.default_rng(seed)
    world.seed = seed
    world.arrays = build_world(world.config, world.rng, world.n_external, record_capacity=64)


@pytest.mark.parametrize("small_records", [False, True])
def test_each_world_of_a_batch_is_the_single_world_bit_for_bit(small_records: bool) -> None:
    batch = WorldBatch("small", len(SEEDS), n_external=1)
    batch.reset(SEEDS)
    singles = [World("small", n_external=1) for _ in SEEDS]
    for i, (world, seed) in enumerate(zip(singles, SEEDS)):
        world.reset(seed)
        if small_records:
            _small_records(world, seed)
            _small_records(batch.worlds[i], seed)
            batch._sync(i)
    rng = np.random.default_rng(0)
    t = batch.config.start_ns + 30 * NS_PER_SECOND
    book_batch = np.zeros((len(SEEDS), 2, 2, LEVELS), np.int64)
    book_single = np.zeros((2, 2, LEVELS), np.int64)
    for step in range(40):
        t += NS_PER_SECOND
        k = int(rng.integers(0, 4))
        msgs = np.zeros((len(SEEDS), 4), MESSAGE_DTYPE)
        counts = np.zeros(len(SEEDS), np.int64)
        cancel = np.where(rng.random(len(SEEDS)) < 0.3, singles[0].first_external, -1)
        for i, world in enumerate(singles):
            orders = _orders(rng, world, k)
            msgs[i, :k], counts[i] = orders, k
            world.participant_step(orders, int(cancel[i]), t, book_single)
            if i == 0:
                first_book = book_single.copy()
        batch.participant_step(msgs, counts, cancel, np.full(len(SEEDS), t), book_batch)
        assert np.array_equal(book_batch[0], first_book)
        if step == 20:  # an environment's autoreset of one world
            batch.reset_world(1, 99)
            singles[1].reset(99)
            t_reset = batch.config.start_ns + 30 * NS_PER_SECOND
            batch.worlds[1].run_until(t_reset)
            singles[1].run_until(t_reset)
    for world, single in zip(batch.worlds, singles):
        assert world.n_records == single.n_records
        assert np.array_equal(world.records_since(0), single.records_since(0))
        assert np.array_equal(world.trades_since(0), single.trades_since(0))
        assert world.clock == single.clock
    assert batch.worlds[0].n_trades > 0
    if small_records:  # the records grew past the first capacity, in the kernel's step and in Python
        assert batch.worlds[0].n_records > 64 and len(batch.worlds[0].arrays.rec) > 64


def test_run_until_advances_every_world_to_its_own_time() -> None:
    batch = WorldBatch("small", 2)
    batch.reset([0, 1])
    start = batch.config.start_ns
    batch.run_until([start + 5 * NS_PER_SECOND, start + 9 * NS_PER_SECOND])
    assert [w.clock for w in batch.worlds] == [start + 5 * NS_PER_SECOND, start + 9 * NS_PER_SECOND]
    single = World("small")
    single.reset(1)
    single.run_until(start + 9 * NS_PER_SECOND)
    assert np.array_equal(single.records_since(0), batch.worlds[1].records_since(0))


def test_a_world_that_cannot_go_on_is_named_with_its_seed() -> None:
    batch = WorldBatch("small", 2, n_external=1)
    batch.reset([5, 6])
    msgs = np.zeros((2, 1), MESSAGE_DTYPE)
    msgs["kind"], msgs["side"], msgs["qty"], msgs["owner"] = (
        MsgKind.LIMIT,
        1,
        10,
        batch.worlds[0].first_external,
    )
    msgs["price"][1, 0] = batch.config.book.n_levels + 5  # off the book's grid
    t = batch.config.start_ns + 10 * NS_PER_SECOND
    with pytest.raises(WorldError, match=r"world 1 of the batch \(seed 6\).*range"):
        batch.participant_step(msgs, [0, 1], [-1, -1], [t, t], np.zeros((2, 2, 2, 1), np.int64))


def test_bad_input_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        WorldBatch("small", 0)
    batch = WorldBatch("small", 2)
    with pytest.raises(RuntimeError, match="reset"):
        batch.run_until([1, 1])
    with pytest.raises(ValueError, match="one seed per world"):
        batch.reset([1])
    batch.reset([1, 2])
    book = np.zeros((2, 2, 2, 1), np.int64)
    t = [batch.config.start_ns + NS_PER_SECOND] * 2
    with pytest.raises(TypeError, match="MESSAGE_DTYPE"):
        batch.participant_step(np.zeros(2, MESSAGE_DTYPE), [0, 0], [-1, -1], t, book)
    with pytest.raises(ValueError, match="cancel_owner must have one entry per world"):
        batch.participant_step(np.zeros((2, 1), MESSAGE_DTYPE), [0, 0], [-1], t, book)
    with pytest.raises(ValueError, match="n_messages"):
        batch.participant_step(np.zeros((2, 1), MESSAGE_DTYPE), [0, 2], [-1, -1], t, book)
