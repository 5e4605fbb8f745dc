"""Property tests of the exchange: the Numba engine against the pure-Python reference book.

Random streams mix all five message kinds; cancels, reduces and modifies mostly name live orders of their
sender, sometimes dead or unknown ids or the wrong owner. A few owners make self-trades common; books are
small (20-40 ticks) so levels empty and refill, or larger and sparse (150 and 300 ticks, prices spread
over the engine's blocks of 64 levels, so the search for the next best level skips empty blocks); some
fields are invalid (side, qty, price, kind, flags, time going backwards).

The engine must write the same events as the reference and hold the same book after every message, and
its views of the book must agree with each other (level sizes and counts from ``depth`` with the queues
from ``level_orders``, best prices and order counts with both, order look-ups by id with the queues). The
book must not cross, queues must keep arrival order, and the quantity identity checked after every
message, per side ``s``, is

    lots resting on side s == sum over events of side s of
        ACCEPTED.qty - (FILL + PARTIAL_FILL).qty - CANCELLED.qty - REDUCED.qty

(each trade writes one fill event per party, so the fills of both parties are counted, each on its side;
a market order's lots leave by fills and its ``NO_LIQUIDITY`` cancel, netting 0). The same balance per
order id gives the exact set of resting orders and their remaining sizes.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_book import BUY, SELL, ReferenceBook, ReferenceCapacityError

from intags_env.exchange import (
    EVENT_DTYPE,
    MESSAGE_DTYPE,
    CapacityError,
    EventKind,
    Exchange,
    Flag,
    MsgKind,
    Stp,
    UnknownOrderError,
    events_needed,
    new_book,
    process_batch,
)

PROPERTY_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_MESSAGES = 60
ROOMY = 64  # max_orders of the streams that never hit the capacity
Event = namedtuple("Event", EVENT_DTYPE.names)
FILLS = (EventKind.FILL, EventKind.PARTIAL_FILL)


# --- random streams --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """The raw random numbers behind one message; ``build_messages`` turns them into its fields."""

    kind: int  # index into KINDS
    side: int  # 0 buy, 1 sell
    offset: int  # price relative to the middle of the book
    wide: int  # below the stream's ``wide`` share: a price anywhere in the book
    qty: int  # 1..10 lots, 11 and 12 sweep several levels
    owner: int
    tif: int  # index into TIFS; for a modify, < 5 keeps the price
    target_mode: int  # which order a cancel/reduce/modify names, see ``_target``
    target: int
    dt: int  # time step
    fault: int  # < len(FAULTS): one invalid field, see FAULTS


DRAWS = st.builds(
    Draw,
    kind=st.integers(0, 19),
    side=st.integers(0, 1),
    offset=st.integers(-6, 6),
    wide=st.integers(0, 9),
    qty=st.integers(1, 12),
    owner=st.integers(1, 3),
    tif=st.integers(0, 9),
    target_mode=st.integers(0, 9),
    target=st.integers(0, 1000),
    dt=st.integers(0, 3),
    fault=st.integers(0, 39),
)
KINDS = (
    [MsgKind.LIMIT] * 9
    + [MsgKind.MARKET] * 2
    + [MsgKind.CANCEL] * 4
    + [MsgKind.REDUCE] * 2
    + [MsgKind.MODIFY] * 3
)
TIFS = [Flag.GTC] * 7 + [Flag.IOC] * 2 + [Flag.POST_ONLY]
FAULTS = ["kind", "side", "qty", "price", "flags", "time"]


def _target(d: Draw, ref: ReferenceBook):
    """(order_id, owner, live order or None) named by a cancel/reduce/modify."""
    live = sorted(ref.orders)
    if d.target_mode < 8 and live:
        order = ref.orders[live[d.target % len(live)]]
        owner = order.owner if d.target_mode < 7 else order.owner % 3 + 1  # mode 7: the wrong owner
        return order.order_id, owner, order
    if d.target_mode == 9:
        return ref.next_id + d.target % 4, d.owner, None  # not issued yet
    dead = [i for i in range(1, ref.next_id) if i not in ref.orders] + [0, -5]
    return dead[d.target % len(dead)], d.owner, None


def _price(d: Draw, ref: ReferenceBook, n_levels: int, wide: int, target) -> int:
    if target is not None and d.tif < 5:
        return target.price  # a modify that keeps the price
    if d.wide < wide:
        return d.target % n_levels
    bid, ask = ref.best(BUY), ref.best(SELL)
    if bid is not None and ask is not None:
        middle = (bid + ask) // 2
    else:
        middle = bid if bid is not None else ask if ask is not None else n_levels // 2
    return min(max(middle + d.offset, 0), n_levels - 1)


def _qty(d: Draw, kind, target, same_price: bool) -> int:
    lots = {11: 25, 12: 40}.get(d.qty, d.qty)
    if target is None:
        return lots
    if kind == MsgKind.REDUCE and target.remaining > 1:
        return 1 + d.qty % (target.remaining - 1)
    if kind == MsgKind.MODIFY and same_price and d.side == 0:
        return 1 + d.qty % target.remaining  # smaller, or the same (NO_CHANGE)
    return lots


def build_messages(draws: list[Draw], n_levels: int, max_orders: int, stp: int, wide: int = 1) -> np.ndarray:
    """Turn draws into messages, aiming cancels/reduces/modifies at the orders live at that point.
    ``wide`` in 10 prices are anywhere in the book, the others around its middle."""
    scratch = ReferenceBook(n_levels, max_orders, stp)
    messages = np.zeros(len(draws), MESSAGE_DTYPE)
    latest = 0
    for i, d in enumerate(draws):
        kind = KINDS[d.kind]
        if kind >= MsgKind.CANCEL and not scratch.orders and d.target_mode < 8:
            kind = MsgKind.LIMIT  # nothing to name yet: build the book instead
        order_id, owner, target = 0, d.owner, None
        if kind >= MsgKind.CANCEL:
            order_id, owner, target = _target(d, scratch)
        side = BUY if d.side == 0 else SELL
        price = _price(d, scratch, n_levels, wide, target)
        qty = _qty(d, kind, target, target is not None and price == target.price)
        flags = TIFS[d.tif] if kind == MsgKind.LIMIT else 0
        latest += d.dt
        time = latest
        fault = FAULTS[d.fault] if d.fault < len(FAULTS) else None
        if fault == "kind":
            kind = [0, 6, -3, 127][d.target % 4]
        elif fault == "side":
            side = [0, 2, -2][d.target % 3]
        elif fault == "qty":
            qty = [0, -1, -7][d.target % 3] if kind != MsgKind.REDUCE or target is None else target.remaining
        elif fault == "price":
            price = [-1, n_levels, n_levels + 5, -40][d.target % 4]
        elif fault == "flags":
            flags = [3, -1, 7][d.target % 3] if kind == MsgKind.LIMIT else 1 + d.target % 2
        elif fault == "time":
            time = latest - 1 - d.dt  # before the clock (unless a rejected kind held the clock back)
        messages[i] = (time, order_id, price, qty, owner, kind, side, flags)
        try:
            scratch.process(messages[i : i + 1])
        except ReferenceCapacityError:
            pass  # the message is dropped, as a sender resuming after CapacityError would
    return messages


class Stream:
    """A random message stream and the book it runs on (min_price 0, tick size 1: prices are ticks)."""

    def __init__(self, n_levels: int, max_orders: int, stp: int, messages: np.ndarray) -> None:
        self.n_levels, self.max_orders, self.stp, self.messages = n_levels, max_orders, stp, messages

    def exchange(self) -> Exchange:
        return Exchange(self.n_levels, self.max_orders, stp=self.stp)

    def reference(self) -> ReferenceBook:
        return ReferenceBook(self.n_levels, self.max_orders, self.stp)

    def __repr__(self) -> str:
        rows = "\n".join(f"    {i}: {describe(m)}" for i, m in enumerate(self.messages))
        return (
            f"Stream(n_levels={self.n_levels}, max_orders={self.max_orders}, stp={Stp(self.stp).name}, "
            f"messages=\n{rows})"
        )

    def _repr_pretty_(self, printer, cycle) -> None:  # what Hypothesis shows for a failing example
        printer.text(repr(self))


def describe(m) -> str:
    kind = int(m["kind"])
    kind = MsgKind(kind).name if kind in set(MsgKind) else f"kind={kind}"
    return (
        f"{kind} t={m['time']} id={m['order_id']} side={m['side']} price={m['price']} qty={m['qty']} "
        f"owner={m['owner']} flags={m['flags']}"
    )


@st.composite
def streams(draw, max_orders: st.SearchStrategy[int] | None = None) -> Stream:
    """A random stream; ``max_orders`` draws the book's capacity (default: roomier than any stream)."""
    n_levels = draw(st.sampled_from([20, 25, 32, 40, 150, 300]))
    wide = 8 if n_levels > 64 and draw(st.booleans()) else 1  # sparse books: the engine skips empty blocks
    stp = draw(st.sampled_from([int(s) for s in Stp]))
    cap = ROOMY if max_orders is None else draw(max_orders)
    n = draw(st.integers(1, MAX_MESSAGES))
    draws = draw(st.lists(DRAWS, min_size=n, max_size=n))
    return Stream(n_levels, cap, stp, build_messages(draws, n_levels, cap, stp, wide))


# --- looking into the engine -----------------------------------------------------------------------
# Through the public door (the streams use min_price=0, tick_size=1, so prices are ticks): ``snapshot``
# reads the level arrays through ``depth``, ``level`` walks a level's queue through ``level_orders`` and
# looks every order up by id (``find_slot``). All three must agree.


def engine_dump(ex: Exchange) -> dict:
    """The engine's book in ``ReferenceBook.dump`` form; checks each level's size and count on the way."""
    snap = ex.snapshot(ex.n_levels)
    dump = {}
    for name, side, prices, sizes, counts in (
        ("bids", BUY, snap.bid_prices, snap.bid_sizes, snap.bid_counts),
        ("asks", SELL, snap.ask_prices, snap.ask_sizes, snap.ask_counts),
    ):
        levels = []
        for price, size, count in zip(prices.tolist(), sizes.tolist(), counts.tolist()):
            orders = ex.level(price)
            assert len(orders) == count, f"level {price}: count {count}, {len(orders)} orders queued"
            assert sum(o.remaining for o in orders) == size, f"level {price}: size {size} != sum of queue"
            assert all(o.price == price and o.side == side and o.remaining > 0 for o in orders)
            levels.append((price, [(o.order_id, o.owner, o.remaining) for o in orders]))
        dump[name] = levels
    return dump


def engine_market_data(ex: Exchange) -> dict:
    last = ex.last_trade
    return {
        "clock": ex.clock,
        "last_trade": None if last is None else tuple(int(x) for x in last),
        "volume": ex.volume,
        "best": (ex.best_bid, ex.best_ask),
        "n_resting": ex.n_resting,
    }


def reference_market_data(ref: ReferenceBook) -> dict:
    return {
        "clock": ref.clock,
        "last_trade": ref.last_trade,
        "volume": (ref.volume[BUY], ref.volume[SELL]),
        "best": (ref.best(BUY), ref.best(SELL)),
        "n_resting": len(ref.orders),
    }


def check_book_shape(dump: dict, ex: Exchange) -> None:
    """Not crossed; the best prices and the order count the engine reports are those of its queues."""
    bids, asks = dump["bids"], dump["asks"]
    if bids and asks:
        assert bids[0][0] < asks[0][0], "crossed book"
    assert ex.best_bid == (bids[0][0] if bids else None)
    assert ex.best_ask == (asks[0][0] if asks else None)
    assert ex.n_resting == sum(len(queue) for _, queue in bids + asks)
    prices = [p for p, _ in bids]
    assert prices == sorted(prices, reverse=True) and len(set(prices)) == len(prices)
    prices = [p for p, _ in asks]
    assert prices == sorted(prices) and len(set(prices)) == len(prices)


def assert_same_state(ex: Exchange, ref: ReferenceBook) -> dict:
    dump = engine_dump(ex)
    assert dump == ref.dump()
    assert engine_market_data(ex) == reference_market_data(ref)
    check_book_shape(dump, ex)
    return dump


def assert_same_events(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == EVENT_DTYPE
    assert [Event(*e) for e in actual.tolist()] == [Event(*e) for e in expected.tolist()]


def assert_no_orphans(ex: Exchange, dump: dict) -> None:
    """No tick outside the dump holds orders (``depth`` skipped nothing)."""
    listed = {price for side in dump.values() for price, _ in side}
    assert all(ex.level(tick) == [] for tick in range(ex.n_levels) if tick not in listed)


class Ledger:
    """The book as the event stream alone describes it: per order id its side, price, lots and entry."""

    def __init__(self) -> None:
        self.lots: dict[int, int] = {}
        self.side: dict[int, int] = {}
        self.price: dict[int, int] = {}
        self.entry: dict[int, int] = {}  # rank of its (last) ACCEPTED event: queue priority
        self.side_lots = {BUY: 0, SELL: 0}
        self.traded = 0  # lots of TRADE events
        self.filled = 0  # lots of FILL/PARTIAL_FILL events
        self._accepted = 0

    def apply(self, events: list[Event]) -> None:
        for e in events:
            if e.kind == EventKind.ACCEPTED:
                assert self.lots.get(e.order_id, 0) == 0, "accepted while a version of it still rests"
                assert e.qty == e.remaining > 0
                self.lots[e.order_id] = e.qty
                self.side[e.order_id], self.price[e.order_id] = e.side, e.price
                self.entry[e.order_id] = self._accepted
                self._accepted += 1
                self.side_lots[e.side] += e.qty
            elif e.kind in (*FILLS, EventKind.CANCELLED, EventKind.REDUCED):
                assert e.side == self.side[e.order_id] and e.qty > 0
                self.lots[e.order_id] -= e.qty
                self.side_lots[e.side] -= e.qty
                assert self.lots[e.order_id] == e.remaining >= 0
                if e.kind in FILLS:
                    self.filled += e.qty
                    assert (e.kind == EventKind.FILL) == (e.remaining == 0)
                elif e.kind == EventKind.CANCELLED:
                    assert e.remaining == 0
                else:
                    assert e.remaining > 0
            elif e.kind == EventKind.TRADE:
                self.traded += e.qty

    def resting(self) -> dict[int, tuple[int, int, int]]:
        """order id -> (side, price, lots) of every order that should rest."""
        live = {i: (self.side[i], self.price[i], lots) for i, lots in self.lots.items() if lots > 0}
        assert all(price >= 0 for _, price, _ in live.values()), "a market order rests"
        return live


def check_against_ledger(dump: dict, ledger: Ledger) -> None:
    """Resting orders, their sizes, FIFO order and the per-side lot identity all follow from the events."""
    seen = {}
    for name, side in (("bids", BUY), ("asks", SELL)):
        side_lots = 0
        for price, queue in dump[name]:
            entries = [ledger.entry[order_id] for order_id, _, _ in queue]
            assert entries == sorted(entries), f"FIFO broken at {price}"
            for order_id, _, lots in queue:
                seen[order_id] = (side, price, lots)
                side_lots += lots
        assert side_lots == ledger.side_lots[side]
    assert seen == ledger.resting()
    assert ledger.filled == 2 * ledger.traded


def check_trades(events: list[Event], ledger: Ledger, stp: int) -> None:
    """Each TRADE is followed by the maker's and the taker's fill; maker and taker are on opposite sides;
    it is at the maker's price, inside the taker's limit, and prices only get worse for the taker."""
    trades = [k for k, e in enumerate(events) if e.kind == EventKind.TRADE]
    if not trades:
        return
    accepted = [e for e in events if e.kind == EventKind.ACCEPTED]
    assert len(accepted) == 1
    taker = accepted[0]
    for k in trades:
        trade, maker_fill, taker_fill = events[k : k + 3]
        assert trade.other_id == taker.order_id and trade.other_owner == taker.owner
        assert trade.side == taker.side == ledger.side[trade.other_id] == -ledger.side[trade.order_id]
        assert trade.price == ledger.price[trade.order_id], "trade away from the maker's price"
        if taker.price >= 0:
            assert (trade.price - taker.price) * taker.side <= 0, "trade through the taker's limit"
        if stp != Stp.NONE:
            assert trade.owner != trade.other_owner
        assert maker_fill.kind in FILLS and taker_fill.kind in FILLS
        assert (maker_fill.order_id, maker_fill.owner, maker_fill.other_id, maker_fill.other_owner) == (
            trade.order_id,
            trade.owner,
            trade.other_id,
            trade.other_owner,
        )
        assert (taker_fill.order_id, taker_fill.owner, taker_fill.other_id, taker_fill.other_owner) == (
            trade.other_id,
            trade.other_owner,
            trade.order_id,
            trade.owner,
        )
        assert maker_fill.qty == taker_fill.qty == trade.qty > 0
        assert maker_fill.remaining == trade.remaining
        assert maker_fill.price == taker_fill.price == trade.price
    prices = [events[k].price * taker.side for k in trades]
    assert prices == sorted(prices), "a better price traded after a worse one"


def as_events(array: np.ndarray) -> list[Event]:
    return [Event(*e) for e in array.tolist()]


# --- properties ------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(streams())
def test_batch_door_matches_reference(stream: Stream) -> None:
    engine, ref = stream.exchange(), stream.reference()
    assert_same_events(engine.process(stream.messages), ref.process(stream.messages))
    assert_no_orphans(engine, assert_same_state(engine, ref))


@PROPERTY_SETTINGS
@given(streams())
def test_message_by_message_matches_reference_and_keeps_invariants(stream: Stream) -> None:
    engine, ref, ledger = stream.exchange(), stream.reference(), Ledger()
    one_by_one = []
    for i in range(len(stream.messages)):
        message = stream.messages[i : i + 1]
        events = engine.process(message)
        assert_same_events(events, ref.process(message))
        dump = assert_same_state(engine, ref)
        ledger.apply(as_events(events))
        check_trades(as_events(events), ledger, stream.stp)
        check_against_ledger(dump, ledger)
        for order_id, lots in ledger.lots.items():
            if lots == 0:
                with pytest.raises(UnknownOrderError):
                    engine.order(order_id)
        events["msg_index"] = i
        one_by_one.append(events)
    assert_no_orphans(engine, dump)
    # the whole stream in one call gives the same events: nothing leaks between calls
    assert_same_events(np.concatenate(one_by_one), stream.exchange().process(stream.messages))


def run_resuming(door, messages: np.ndarray, capacity_error: type[Exception]):
    """Process ``messages``; after a capacity stop, skip the message that did not fit and go on.
    Yields (events, index of the stopping message or None) per call."""
    start = 0
    while start < len(messages):
        try:
            events = door.process(messages[start:])
        except capacity_error as err:
            yield err.events, start + err.index
            start += err.index + 1
        else:
            yield events, None
            return


@PROPERTY_SETTINGS
@given(streams(max_orders=st.integers(1, 6)))
def test_capacity_stop_leaves_engine_equal_to_reference(stream: Stream) -> None:
    engine, ref = stream.exchange(), stream.reference()
    engine_runs = run_resuming(engine, stream.messages, CapacityError)
    ref_runs = run_resuming(ref, stream.messages, ReferenceCapacityError)
    for (events, stop), (expected, expected_stop) in zip(engine_runs, ref_runs, strict=True):
        assert stop == expected_stop
        assert_same_events(events, expected)
        assert_same_state(engine, ref)
        assert engine.n_resting <= stream.max_orders


@PROPERTY_SETTINGS
@given(streams())
def test_events_needed_bounds_the_events_of_every_message(stream: Stream) -> None:
    """The batch door makes room for ``events_needed`` events before each message; more would overflow."""
    book = new_book(stream.n_levels, stream.max_orders, stream.stp)
    buffer = np.zeros(4096, EVENT_DTYPE)
    for i, m in enumerate(stream.messages):
        bound = events_needed(book.scalars, m["kind"], m["side"], m["qty"])
        _, _, written = process_batch(*book, stream.messages[i : i + 1], 0, buffer, 0)
        assert written <= bound, f"message {i} ({describe(m)}) wrote {written} events, room for {bound}"
