"""A market's message log as the generator's actions: the encoder of the order representation.

The world-agent generator acts one order at a time (:mod:`intags_env.generator.spec`). :func:`order_stream`
turns a LOBSTER message log into that action sequence, each action with its exact values (ticks, shares,
queue index, nanoseconds: ``spec.EXACT_COLUMNS``) and the market state just before it. The decoder
(:meth:`GeneratorBackground.act <intags_env.generator.background.GeneratorBackground.act>`) given the
actions *and* their exact values, starting from the same book, writes the same log again, message for
message and book for book (tested); given the actions alone it draws the exact values inside each bucket.
The rules:

* a new resting order (type 1) is a LIMIT on its own side (direction +1 -> BUY, -1 -> SELL); its price
  is encoded against the book *before* the message (book row ``i - 1``): ticks behind the own touch,
  or, inside the spread, ticks from the nearer touch (``spec.limit_price_bucket``). An empty own side
  is taken as one tick off the opposite touch, a book empty on both sides as the last two-sided mid
  (``reference_tick`` before any);
* a run of visible executions (type 4) with the same time and the same resting direction is ONE market
  order of the summed size, on the aggressor's side (the opposite of the resting orders'), until a fill
  of a resting order already filled in the run or at a better price than the last (that is the next
  taker's). Skipped rows (see below) inside such a run do not break it. Its size is measured against
  the shares at the opposite touch before it (``spec.market_size_bucket``; a run at the log's first
  message, with no book before it, counts as taking exactly the touch);
* a type-1 row right after such a run, at the same time and on the aggressor's side, is the unfilled rest
  of a marketable limit order: its own LIMIT action with delay 0, flagged in
  :attr:`OrderStream.marketable_rest`;
* a delete (type 3) is a CANCEL of the whole order and a partial cancel (type 2) a CANCEL of that many
  shares, on the order's side, at its ticks behind the own touch, naming the order by its queue index
  among the orders resting at that price (front first). The queues are rebuilt from the log's order
  ids; an order the log never saw arrive (it rested before the log's first message) counts as the
  oldest at its price;
* hidden executions, crosses and halts (types 5, 6, 7) are skipped and counted.

Delays are the time since the previous action (the first action's from ``start_ns``). Actions are
emitted for messages at or after ``start_ns``; the queues and the state features use the whole log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from intags_env.data.lobster import LobsterData
from intags_env.generator.features import lobster_features, stack_history
from intags_env.generator.spec import (
    ACTION_NVEC,
    BUY,
    CANCEL,
    DELAY_FIELD,
    HISTORY,
    LIMIT,
    LIMIT_PRICE_LO,
    LIMIT_PRICE_REF,
    MARKET,
    OPPOSITE,
    SELL,
    SIDE_FIELD,
    SIZE_EDGES,
    X_DELAY,
    X_OFFSET,
    X_QTY,
    X_QUEUE,
    F,
    bucket_of,
    cancel_level_bucket,
    delay_bucket,
    limit_price_bucket,
    market_size_bucket,
    queue_bucket,
    virtual_touches,
)

__all__ = ["OrderStream", "action_stats", "grouped", "order_stream"]

_USED_TYPES = (1, 2, 3, 4)


@dataclass(frozen=True, eq=False)
class OrderStream:
    """The generator's actions in a message log, with their exact values and the market state before each.

    Attributes:
        states: ``(A, F)`` float32, the features (``spec.FEATURE_NAMES``) just before each action: after
            the last message preceding the action's first message; all zeros (``DEFAULT_STATE``) for an
            action at message 0.
        actions: ``(A, N_FIELDS)`` int64 in spec's encoding (the fields of other types are 0).
        exact: ``(A, 4)`` int64, the exact values inside the buckets (``spec.EXACT_COLUMNS``).
        times: ``(A,)`` int64, ns after midnight of each action's first message.
        message_index: ``(A,)`` int64, the index of each action's first message in the log.
        marketable_rest: ``(A,)`` bool, True for the LIMIT that is the unfilled rest of a marketable
            limit order (right after its executions, same time).
        skipped: messages not turned into actions (types 5, 6, 7).
        unknown_orders: cancels and executions of orders the log never saw arrive.
        message_states: ``(N, F)`` float32, the features after every message of the log (for
            :meth:`observations`).
    """

    states: np.ndarray
    actions: np.ndarray
    exact: np.ndarray
    times: np.ndarray
    message_index: np.ndarray
    marketable_rest: np.ndarray
    skipped: int
    unknown_orders: int
    message_states: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        """Number of actions."""
        return len(self.actions)

    @property
    def types(self) -> np.ndarray:
        return self.actions[:, 0]

    @property
    def sides(self) -> np.ndarray:
        """BUY / SELL of each action (its type's side field)."""
        return _per_type(self.actions, SIDE_FIELD)

    def observations(self, history: int = HISTORY) -> np.ndarray:
        """``(A, history * F)`` float32: the last ``history`` message-states before each action, oldest first.

        For the action at message ``i`` these are the states after messages ``i - history .. i - 1``
        (:func:`~intags_env.generator.features.stack_history` of the per-message states, taken at row
        ``i - 1``), zeros before the start of the log; the last block equals :attr:`states`.
        """
        return stack_history(self.message_states, history, rows=self.message_index - 1)


def _per_type(actions: np.ndarray, field_of: dict[int, int]) -> np.ndarray:
    out = np.zeros(len(actions), np.int64)
    for kind, col in field_of.items():
        rows = actions[:, 0] == kind
        out[rows] = actions[rows, col]
    return out


def order_stream(
    data: LobsterData, start_ns: int | None = None, reference_tick: int | None = None
) -> OrderStream:
    """Encode ``data``'s message log as the generator's actions (see the module docstring for the rules).

    Args:
        data: the log (simulated or LOBSTER).
        start_ns: the first time that becomes an action (default ``data.start_ns``); the first delay is
            measured from it.
        reference_tick: the price tick (LOBSTER price / tick size) a limit order into a book empty on both
            sides is measured from, before any two-sided book (default: the first message's price).
    """
    m = data.messages
    book = data.book
    tick = data.tick_size
    n = len(m)
    start_ns = data.start_ns if start_ns is None else int(start_ns)
    types = m["type"].astype(np.int64)
    times = m["time"].astype(np.int64)
    ids = m["order_id"].astype(np.int64)
    sizes = m["size"].astype(np.int64)
    ticks = m["price"].astype(np.int64) // tick
    dirs = m["direction"].astype(np.int64)
    ask_t = book[:, 0] // tick
    bid_t = book[:, 2] // tick
    ask_n = book[:, 1]
    bid_n = book[:, 3]
    if reference_tick is None:
        reference_tick = int(ticks[0]) if n else 0

    queues: dict[int, list[int]] = defaultdict(list)  # tick -> order ids, front first
    remaining: dict[int, int] = {}
    rows_action: list[tuple] = []  # (index, kind, side, bucket fields..., exact...)
    skipped = unknown = 0
    anchor = int(reference_tick)
    last_action_time = start_ns
    run_dir = 0  # resting direction of the execution run in progress (0: none)
    run_time = -1
    run_action = -1  # index in rows_action of the run's MARKET action
    run_ids: set[int] = set()  # resting orders the run's taker filled
    run_price = 0  # price of the run's last fill
    after_run = False  # the previous used message ended a run (for the marketable rest)

    def touches(i: int) -> tuple[int | None, int | None]:
        if i < 0:
            return None, None
        return (int(bid_t[i]) if bid_n[i] > 0 else None), (int(ask_t[i]) if ask_n[i] > 0 else None)

    for i in range(n):
        ty = int(types[i])
        if ty not in _USED_TYPES:
            skipped += 1
            continue
        t = int(times[i])
        d = int(dirs[i])
        bid, ask = touches(i - 1)
        if bid is not None and ask is not None:
            anchor = (bid + ask) // 2
        in_window = t >= start_ns
        # one taker fills each resting order at most once, best price first: a repeated order id or a
        # better price at the same time is the next taker's
        continues_run = (
            ty == 4
            and run_dir == d
            and run_time == t
            and int(ids[i]) not in run_ids
            and (ticks[i] - run_price) * d <= 0
        )
        is_rest = ty == 1 and after_run and run_time == t and d == -run_dir
        if ty != 4 or not continues_run:
            after_run = False
        if ty == 4:
            if not _remove(queues, remaining, ids[i], ticks[i], sizes[i]):
                unknown += 1
            if continues_run:
                if run_action >= 0:
                    rows_action[run_action][3] += int(sizes[i])
            else:
                run_dir, run_time = d, t
                run_ids = set()
                run_action = -1
                if in_window:
                    side = SELL if d == 1 else BUY  # a resting buy is hit by a seller
                    touch = int(bid_n[i - 1] if d == 1 else ask_n[i - 1]) if i > 0 else 0
                    rows_action.append(
                        [i, MARKET, side, int(sizes[i]), touch, 0, t - last_action_time, False]
                    )
                    run_action = len(rows_action) - 1
                    last_action_time = t
            run_ids.add(int(ids[i]))
            run_price = int(ticks[i])
            after_run = True
            continue
        run_dir = 0
        side = BUY if d == 1 else SELL
        if ty == 1:
            queues[int(ticks[i])].append(int(ids[i]))
            remaining[int(ids[i])] = int(sizes[i])
            if in_window:
                behind, opposite = _limit_offsets(side, int(ticks[i]), bid, ask, anchor)
                rows_action.append(
                    [i, LIMIT, side, int(sizes[i]), behind, opposite, t - last_action_time, is_rest]
                )
                last_action_time = t
            continue
        # a cancel (2 partial, 3 delete)
        q = queues.get(int(ticks[i]), [])
        oid = int(ids[i])
        if oid in remaining:
            index, count = q.index(oid), len(q)
        else:
            unknown += 1
            index, count = 0, len(q) + 1
        amount = 0 if ty == 3 else int(sizes[i])
        if ty == 3:
            _remove(queues, remaining, ids[i], ticks[i], None)
        else:
            _remove(queues, remaining, ids[i], ticks[i], sizes[i])
        if in_window:
            own = bid if side == BUY else ask
            behind = 0 if own is None else max((own - int(ticks[i])) * (1 if side == BUY else -1), 0)
            rows_action.append([i, CANCEL, side, amount, behind, (index, count), t - last_action_time, False])
            last_action_time = t

    return _assemble(data, rows_action, skipped, unknown)


def _limit_offsets(side: int, price: int, bid: int | None, ask: int | None, anchor: int) -> tuple[int, int]:
    """(ticks behind the own touch, ticks inside from the opposite touch) of a limit order, against
    ``spec.virtual_touches`` for empty sides."""
    own, opp, _ = virtual_touches(side == BUY, bid, ask, anchor)
    direction = 1 if side == BUY else -1
    return direction * (own - price), direction * (opp - price)


def _remove(queues: dict, remaining: dict, oid: int, price_tick: int, qty: int | None) -> bool:
    """Take ``qty`` shares (None: all) off order ``oid``; False if the log never saw it arrive."""
    oid = int(oid)
    if oid not in remaining:
        return False
    left = 0 if qty is None else remaining[oid] - int(qty)
    if left > 0:
        remaining[oid] = left
    else:
        del remaining[oid]
        queues[int(price_tick)].remove(oid)
    return True


def _assemble(data: LobsterData, rows: list, skipped: int, unknown: int) -> OrderStream:
    a = len(rows)
    actions = np.zeros((a, len(ACTION_NVEC)), np.int64)
    exact = np.zeros((a, 4), np.int64)
    index = np.array([r[0] for r in rows], np.int64)
    kinds = np.array([r[1] for r in rows], np.int64)
    sides = np.array([r[2] for r in rows], np.int64)
    qty = np.array([r[3] for r in rows], np.int64)
    delays = np.array([r[6] for r in rows], np.int64)
    rest = np.array([r[7] for r in rows], bool)
    actions[:, 0] = kinds
    exact[:, X_QTY] = qty
    exact[:, X_DELAY] = delays
    for kind in (LIMIT, MARKET, CANCEL):
        sel = kinds == kind
        actions[sel, SIDE_FIELD[kind]] = sides[sel]
        actions[sel, DELAY_FIELD[kind]] = delay_bucket(delays[sel])
    lim = np.flatnonzero(kinds == LIMIT)
    if len(lim):
        behind = np.array([rows[k][4] for k in lim], np.int64)
        opposite = np.array([rows[k][5] for k in lim], np.int64)
        bucket = limit_price_bucket(behind, opposite)
        actions[lim, F["limit_price"]] = bucket
        actions[lim, F["limit_size"]] = bucket_of(qty[lim], SIZE_EDGES)
        exact[lim, X_OFFSET] = np.where(LIMIT_PRICE_REF[bucket] == OPPOSITE, opposite, behind)
    mkt = np.flatnonzero(kinds == MARKET)
    if len(mkt):
        touch = np.array([rows[k][4] for k in mkt], np.int64)
        touch = np.where(touch > 0, touch, qty[mkt])  # unknown before the log's first book row: a sweep
        actions[mkt, F["market_size"]] = market_size_bucket(qty[mkt], touch)
    can = np.flatnonzero(kinds == CANCEL)
    if len(can):
        behind = np.array([rows[k][4] for k in can], np.int64)
        q_index = np.array([rows[k][5][0] for k in can], np.int64)
        q_count = np.array([rows[k][5][1] for k in can], np.int64)
        actions[can, F["cancel_level"]] = cancel_level_bucket(behind)
        actions[can, F["cancel_queue"]] = queue_bucket(q_index, q_count)
        amount = qty[can]
        actions[can, F["cancel_amount"]] = np.where(amount > 0, 1 + bucket_of(amount, SIZE_EDGES), 0)
        exact[can, X_OFFSET] = behind
        exact[can, X_QUEUE] = q_index
    message_states = lobster_features(data)
    states = stack_history(message_states, 1, rows=index - 1)  # zeros (DEFAULT_STATE) before message 0
    return OrderStream(
        states=states,
        actions=actions,
        exact=exact,
        times=data.messages["time"][index].astype(np.int64),
        message_index=index,
        marketable_rest=rest,
        skipped=skipped,
        unknown_orders=unknown,
        message_states=message_states,
    )


def action_stats(stream: OrderStream) -> dict[str, float]:
    """Summary shares and means of a stream's actions, for reports.

    Keys: ``n_actions``, ``skipped``; ``limit_share``, ``market_share``, ``cancel_share`` (of all
    actions); ``buy_share`` (of all actions); ``marketable_rest_share`` (of the limits);
    ``partial_cancel_share`` (of the cancels); ``mean_size`` (exact shares, over limits and markets);
    ``inside_share`` (limits inside the spread); ``same_time_share`` (actions with delay 0);
    ``mean_delay_s``. Shares and means of an empty stream are NaN.
    """
    actions = stream.actions
    kind = actions[:, 0]

    def mean(values: np.ndarray) -> float:
        return float(np.mean(values)) if len(values) else float("nan")

    limits = kind == LIMIT
    cancels = kind == CANCEL
    buckets = actions[limits, F["limit_price"]]
    inside = (LIMIT_PRICE_REF[buckets] == OPPOSITE) | (LIMIT_PRICE_LO[buckets] < 0)
    return {
        "n_actions": float(len(actions)),
        "skipped": float(stream.skipped),
        "limit_share": mean(limits),
        "market_share": mean(kind == MARKET),
        "cancel_share": mean(cancels),
        "buy_share": mean(stream.sides == BUY),
        "marketable_rest_share": mean(stream.marketable_rest[limits]),
        "partial_cancel_share": mean(actions[cancels, F["cancel_amount"]] > 0),
        "mean_size": mean(stream.exact[~cancels, X_QTY]),
        "inside_share": mean(inside),
        "same_time_share": mean(stream.exact[:, X_DELAY] == 0),
        "mean_delay_s": mean(stream.exact[:, X_DELAY] / 1e9),
    }


def grouped(observations: np.ndarray, actions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Behaviour-cloning pairs for a generator that emits ``k`` orders per step: the observation before
    action ``i`` with actions ``i .. i + k - 1`` side by side (``(A - k + 1, N_FIELDS k)``), every
    start ``i``."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    n = len(actions) - k + 1
    if n <= 0:
        return observations[:0], np.zeros((0, actions.shape[1] * k), actions.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(actions, (k, actions.shape[1]))[:, 0]
    return observations[:n], windows.reshape(n, -1).copy()
