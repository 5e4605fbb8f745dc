"""A market's message log as the generator's actions: the behaviour-cloning targets and their states.

The world-agent generator acts one order at a time (:mod:`intags_env.generator.spec`: type, side,
level, size, delay). :func:`order_stream` turns a LOBSTER message log into that action sequence, each
paired with the market state just before it, so a policy can be cloned from real or simulated data:

* a new resting order (type 1) is a LIMIT on its own side (direction +1 -> BUY, -1 -> SELL), its level
  the price's bucket in ticks behind the own side's touch *before* the message (book row ``i - 1``):
  ``(best_bid - price) / tick`` for a buy, ``(price - best_ask) / tick`` for a sell, bucketed by
  ``LEVEL_EDGES`` (inside the spread -> 0, at the touch -> 1, ...). With the own side empty before the
  message (or no book before message 0) the level is 1, "at the touch";
* a run of visible executions (type 4) with the same time and the same resting direction is ONE market
  order of the summed size, on the aggressor's side (the opposite of the resting orders'), level 0
  (ignored by the decoder). Skipped rows (see below) inside such a run do not break it: a market order
  that hits a hidden order between two visible ones at the same nanosecond is still one order;
* a type-1 row right after such a run, at the same time and on the aggressor's side, is the unfilled rest
  of a marketable limit order. It is emitted as its own LIMIT action (levelled as above, typically 0, as
  it rests inside the old spread); its delay is 0 because it shares the run's time. It is flagged in
  :attr:`OrderStream.marketable_rest`;
* a partial cancel or delete (types 2, 3) is a CANCEL on its side, levelled by the cancelled price as
  above, its size bucket from the cancelled size (the decoder ignores it, the label is kept);
* hidden executions, crosses and halts (types 5, 6, 7) are skipped and counted.

The size bucket is ``bucket_of(size, SIZE_EDGES)``; the delay bucket is ``bucket_of(seconds since the
previous action, DELAY_EDGES_S)``, the first action's delay measured from ``data.start_ns``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from intags_env.data.lobster import NS_PER_SECOND, LobsterData
from intags_env.generator.features import lobster_features, stack_history
from intags_env.generator.spec import (
    BUY,
    CANCEL,
    DELAY_EDGES_S,
    HISTORY,
    LEVEL_EDGES,
    LIMIT,
    MARKET,
    SELL,
    SIZE_EDGES,
    bucket_of,
)

__all__ = ["OrderStream", "action_stats", "grouped", "order_stream"]

#: Column of each action field in :attr:`OrderStream.actions` (the order of ``spec.ACTION_NVEC``).
TYPE, SIDE, LEVEL, SIZE, DELAY = range(5)
#: The level of an order whose own side is empty before it: "at the touch".
EMPTY_SIDE_LEVEL = 1
_USED_TYPES = (1, 2, 3, 4)


@dataclass(frozen=True, eq=False)
class OrderStream:
    """The generator's actions in a message log, with the market state before each.

    Attributes:
        states: ``(A, F)`` float32, the features (``spec.FEATURE_NAMES``) just before each action: after
            the last message preceding the action's first message; all zeros (``DEFAULT_STATE``) for an
            action at message 0.
        actions: ``(A, 5)`` int64 in spec's encoding: type, side, level, size bucket, delay bucket.
        times: ``(A,)`` int64, ns after midnight of each action's first message.
        message_index: ``(A,)`` int64, the index of each action's first message in the log.
        marketable_rest: ``(A,)`` bool, True for the LIMIT that is the unfilled rest of a marketable
            limit order (right after its executions, same time).
        skipped: messages not turned into actions (types 5, 6, 7).
        message_states: ``(N, F)`` float32, the features after every message of the log (for
            :meth:`observations`).
    """

    states: np.ndarray
    actions: np.ndarray
    times: np.ndarray
    message_index: np.ndarray
    marketable_rest: np.ndarray
    skipped: int
    message_states: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        """Number of actions."""
        return len(self.actions)

    def observations(self, history: int = HISTORY) -> np.ndarray:
        """``(A, history * F)`` float32: the last ``history`` message-states before each action, oldest first.

        For the action at message ``i`` these are the states after messages ``i - history .. i - 1``
        (:func:`~intags_env.generator.features.stack_history` of the per-message states, taken at row
        ``i - 1``), zeros before the start of the log; the last block equals :attr:`states`.
        """
        return stack_history(self.message_states, history, rows=self.message_index - 1)


def order_stream(data: LobsterData) -> OrderStream:
    """Turn ``data``'s message log into the generator's actions (see the module docstring for the rules)."""
    messages = data.messages
    n = len(messages)
    types = messages["type"].astype(np.int64)
    directions = messages["direction"].astype(np.int64)
    times = messages["time"]
    sizes = messages["size"]
    prices = messages["price"]

    used = np.isin(types, _USED_TYPES)
    skipped = int(n - used.sum())

    # execution runs: consecutive (skipping unused rows) type-4 rows with the same time and direction
    rows = np.flatnonzero(used)  # indices of the used rows, in order
    u_type, u_time, u_dir = types[rows], times[rows], directions[rows]
    is_exec = u_type == 4
    continues = np.zeros(len(rows), dtype=bool)  # this row extends the previous used row's run
    continues[1:] = is_exec[1:] & is_exec[:-1] & (u_time[1:] == u_time[:-1]) & (u_dir[1:] == u_dir[:-1])
    run_start = is_exec & ~continues
    run_end = is_exec & ~np.append(continues[1:], False)
    exec_cumsum = np.concatenate([[0], np.cumsum(np.where(is_exec, sizes[rows], 0))])
    run_sizes = exec_cumsum[np.flatnonzero(run_end) + 1] - exec_cumsum[np.flatnonzero(run_start)]

    rest = np.zeros(len(rows), dtype=bool)  # type 1 right after a run, same time, aggressor's direction
    rest[1:] = (u_type[1:] == 1) & run_end[:-1] & (u_time[1:] == u_time[:-1]) & (u_dir[1:] == -u_dir[:-1])

    is_action = (u_type != 4) | run_start
    index = rows[is_action]
    a_type_raw = u_type[is_action]
    a_dir = u_dir[is_action]
    is_market = a_type_raw == 4

    action_type = np.where(is_market, MARKET, np.where(a_type_raw == 1, LIMIT, CANCEL))
    aggressor_buys = is_market & (a_dir == -1)  # executions of resting sells are buyer-initiated
    passive_buys = ~is_market & (a_dir == 1)
    side = np.where(aggressor_buys | passive_buys, BUY, SELL)

    a_size = sizes[index].copy()
    a_size[is_market] = run_sizes
    level = _levels(data, index, prices[index], a_dir)
    level[is_market] = 0

    a_times = times[index].astype(np.int64)
    delays_s = np.diff(a_times, prepend=data.start_ns) / NS_PER_SECOND
    actions = np.stack(
        [
            action_type,
            side,
            level,
            bucket_of(a_size, SIZE_EDGES),
            bucket_of(np.maximum(delays_s, 0.0), DELAY_EDGES_S),
        ],
        axis=1,
    ).astype(np.int64)

    message_states = lobster_features(data)
    states = stack_history(message_states, 1, rows=index - 1)  # zeros (DEFAULT_STATE) before message 0
    return OrderStream(
        states=states,
        actions=actions,
        times=a_times,
        message_index=index.astype(np.int64),
        marketable_rest=rest[is_action],
        skipped=skipped,
        message_states=message_states,
    )


def _levels(data: LobsterData, index: np.ndarray, prices: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Level bucket of each order at ``prices`` relative to its own side's touch in the book before it."""
    book = data.book
    before = index - 1
    has_book = before >= 0
    row = np.maximum(before, 0)
    buy = directions == 1
    touch_price = np.where(buy, book[row, 2], book[row, 0])
    touch_size = np.where(buy, book[row, 3], book[row, 1])
    own_side = has_book & (touch_size > 0)
    ticks_behind = np.where(buy, touch_price - prices, prices - touch_price) / data.tick_size
    level = bucket_of(np.where(own_side, ticks_behind, 0.0), LEVEL_EDGES)
    return np.where(own_side, level, EMPTY_SIDE_LEVEL).astype(np.int64)


def action_stats(stream: OrderStream) -> dict[str, float]:
    """Summary shares and means of a stream's actions, for reports.

    Keys: ``n_actions``, ``skipped``; ``limit_share``, ``market_share``, ``cancel_share`` (of all
    actions); ``buy_share`` (of all actions); ``marketable_rest_share`` (of the limits); ``mean_size``
    (shares, over limits and markets, each bucket at its mean ``(lo + hi - 1) / 2``); ``mean_level``
    (over limits and cancels); ``mean_delay_s`` (each delay bucket at its midpoint). Shares and means
    of an empty stream are NaN.
    """
    actions = stream.actions
    n = len(actions)

    def mean(values: np.ndarray) -> float:
        return float(np.mean(values)) if len(values) else float("nan")

    kind = actions[:, TYPE]
    sized = kind != CANCEL
    levelled = kind != MARKET
    size_mid = (SIZE_EDGES[:-1] + SIZE_EDGES[1:] - 1) / 2.0
    delay_mid = (DELAY_EDGES_S[:-1] + DELAY_EDGES_S[1:]) / 2.0
    return {
        "n_actions": float(n),
        "skipped": float(stream.skipped),
        "limit_share": mean(kind == LIMIT),
        "market_share": mean(kind == MARKET),
        "cancel_share": mean(kind == CANCEL),
        "buy_share": mean(actions[:, SIDE] == BUY),
        "marketable_rest_share": mean(stream.marketable_rest[kind == LIMIT]),
        "mean_size": mean(size_mid[actions[sized, SIZE]]),
        "mean_level": mean(actions[levelled, LEVEL]),
        "mean_delay_s": mean(delay_mid[actions[:, DELAY]]),
    }


def grouped(observations: np.ndarray, actions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Behaviour-cloning pairs for a generator that emits ``k`` orders per step: the observation before
    action ``i`` with actions ``i .. i + k - 1`` side by side (``(A - k + 1, 5 k)``), every start ``i``."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    n = len(actions) - k + 1
    if n <= 0:
        return observations[:0], np.zeros((0, actions.shape[1] * k), actions.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(actions, (k, actions.shape[1]))[:, 0]
    return observations[:n], windows.reshape(n, -1).copy()
