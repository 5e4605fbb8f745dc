"""Matching-engine throughput on a realistic mixed order flow, against the pure-Python reference book.

The flow: a latent mid price random-walks; limit orders are placed at geometric distances from it (most
activity at and near the touch, some marketable), cancels and partial cancels mostly hit live orders,
a few market orders and modifies; sizes are heavy-tailed (RMSC04's mixture of log-normal and round lots).
The whole stream goes through ``Exchange.process`` in batches (the batch interface), a prefix of it
through the reference book in the same run.

Run: ``python benchmarks/exchange.py [--messages 10000000] [--repeats 5]`` or ``--quick`` (200,000
messages, 2 repeats, a 20,000-message reference prefix).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

from intags_env.exchange import (
    EVENT_DTYPE,
    MESSAGE_DTYPE,
    EventKind,
    Exchange,
    MsgKind,
    find_slot,
    new_book,
    process_message,
)
from intags_env.exchange.book import NEXT_ID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

N_LEVELS = 1 << 16
MAX_ORDERS = 1 << 18


@njit(cache=True)
def _size(u, z):
    """RMSC04 order-size mixture: log-normal(2.9, 1.2) w.p. 0.2, else round lots of 100..1000."""
    if u < 0.2:
        return max(1, int(np.exp(2.9 + 1.2 * z)))
    lots = np.array([0.7, 0.06, 0.004, 0.0329, 0.001, 0.0006, 0.0004, 0.0005, 0.0003, 0.0003])
    r = (u - 0.2) / 0.8 * lots.sum()
    acc = 0.0
    for k in range(10):
        acc += lots[k]
        if r <= acc:
            return 100 * (k + 1)
    return 1000


@njit(cache=True)
def _fill_stream(out, seed, sc, lv, bk, od, ht):
    """Draw the stream while running it through a book, so cancels can target orders that are live."""
    np.random.seed(seed)  # the benchmark's own generator, not an environment: Numba's global RNG is fine here
    n_levels = lv.shape[0]
    max_orders = od.shape[0]
    ev = np.zeros(20_000, EVENT_DTYPE)
    n = out.shape[0]
    live = np.zeros(max_orders, np.int64)  # ids of resting orders, in no particular order
    where = np.full(n + 1, -1, np.int64)  # id -> index in live
    n_live = 0
    mid = n_levels // 2
    t = 0
    for i in range(n):
        m = out[i]
        t += 1 + int(np.random.exponential(50_000.0))
        m.time = t
        m.flags = 0
        m.order_id = 0
        if np.random.random() < 0.01:
            mid += 1 if np.random.random() < 0.5 else -1
        side = 1 if np.random.random() < 0.5 else -1
        m.side = side
        u = np.random.random()
        if u < 0.47 or n_live < 50:  # limit add: mostly at and near the touch, some marketable
            m.kind = MsgKind.LIMIT
            m.qty = _size(np.random.random(), np.random.normal())
            if np.random.random() < 0.06:
                m.price = mid + side * np.random.geometric(0.5)
            else:
                m.price = mid - side * (np.random.geometric(0.3) - 1) - (1 if side > 0 else 0)
        elif u < 0.50:  # market order
            m.kind = MsgKind.MARKET
            m.qty = _size(np.random.random(), np.random.normal())
            m.price = 0
        else:  # cancel (mostly), partial cancel or modify of a live order; 1% refer to a dead one
            j = np.random.randint(0, n_live)
            m.order_id = live[j] if np.random.random() < 0.99 else max(1, live[j] - np.random.randint(1, 100))
            v = np.random.random()
            if v < 0.92:
                m.kind = MsgKind.CANCEL
                m.qty = 0
            elif v < 0.96:
                m.kind = MsgKind.REDUCE
                m.qty = 1
            else:
                m.kind = MsgKind.MODIFY
                m.price = mid - side * np.random.geometric(0.3)
                m.qty = _size(np.random.random(), np.random.normal())
        # 200 owners; an order's owner follows from its id, so cancels come from the right owner
        new_id = sc[NEXT_ID]
        m.owner = (m.order_id if m.kind >= MsgKind.CANCEL else new_id) % 200
        _, n_ev = process_message(
            sc, lv, bk, od, ht, m.kind, m.side, m.owner, m.order_id, m.price, m.qty, m.flags, m.time, ev, 0, i
        )
        for k in range(n_ev):
            e = ev[k]
            gone = e.kind == EventKind.CANCELLED or (e.kind == EventKind.FILL and e.order_id != new_id)
            if gone and where[e.order_id] >= 0:
                last = live[n_live - 1]
                live[where[e.order_id]] = last
                where[last] = where[e.order_id]
                where[e.order_id] = -1
                n_live -= 1
        if m.kind == MsgKind.MODIFY and find_slot(sc, ht, m.order_id) >= 0 and where[m.order_id] < 0:
            live[n_live] = m.order_id
            where[m.order_id] = n_live
            n_live += 1
        if m.kind == MsgKind.LIMIT and find_slot(sc, ht, new_id) >= 0:
            live[n_live] = new_id
            where[new_id] = n_live
            n_live += 1


def make_stream(n: int, seed: int = 0) -> np.ndarray:
    out = np.zeros(n, MESSAGE_DTYPE)
    _fill_stream(out, seed, *new_book(N_LEVELS, MAX_ORDERS))
    return out


def run_engine(stream: np.ndarray, batch: int, copy: bool = False) -> tuple[float, np.ndarray]:
    """Seconds to push the stream through a fresh exchange in batches; event counts by kind."""
    ex = Exchange(N_LEVELS, MAX_ORDERS)
    counts = np.zeros(8, np.int64)
    elapsed = 0.0
    for start in range(0, len(stream), batch):
        t0 = time.perf_counter()
        ev = ex.process(stream[start : start + batch], copy=copy)
        elapsed += time.perf_counter() - t0
        counts += np.bincount(ev["kind"], minlength=8)[:8]
    return elapsed, counts


def run_reference(stream: np.ndarray) -> float:
    from reference_book import ReferenceBook  # tests/reference_book.py

    ref = ReferenceBook(N_LEVELS, MAX_ORDERS)
    t0 = time.perf_counter()
    ref.process(stream)
    return time.perf_counter() - t0


COLD_START = """
import time, numpy as np
t0 = time.perf_counter()
from intags_env.exchange import Exchange, MESSAGE_DTYPE
ex = Exchange(1 << 16, 1 << 16)
m = np.zeros(3, MESSAGE_DTYPE)
m['kind'] = [1, 1, 2]; m['side'] = [1, -1, 1]; m['price'] = [100, 101, 0]; m['qty'] = [5, 5, 3]
ex.process(m)
print(time.perf_counter() - t0)
"""


def cold_start() -> float:
    """Seconds for a fresh process to import the engine and process a first batch (warm Numba cache)."""
    subprocess.run([sys.executable, "-c", COLD_START], check=True, capture_output=True)  # warm the cache
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD_START], check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short stream and prefix (a smoke run)")
    ap.add_argument("--messages", type=int, help="stream length (10,000,000; quick 200,000)")
    ap.add_argument("--repeats", type=int, help="timed passes over the stream (5; quick 2)")
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--reference-messages", type=int, help="reference book prefix (200,000; quick 20,000)")
    args = ap.parse_args()
    args.messages = args.messages or (200_000 if args.quick else 10_000_000)
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.reference_messages = args.reference_messages or (20_000 if args.quick else 200_000)

    stream = make_stream(args.messages)
    run_engine(stream[:10_000], args.batch)  # compile / load the cache outside the timings
    times = []
    counts = None
    for _ in range(args.repeats):
        wall, counts = run_engine(stream, args.batch)
        times.append(wall)
    engine_s = statistics.median(times)
    ns_per_msg = engine_s / len(stream) * 1e9

    n_ref = min(args.reference_messages, len(stream))
    prefix_engine = statistics.median(run_engine(stream[:n_ref], args.batch)[0] for _ in range(3))
    ref_s = run_reference(stream[:n_ref])
    speedup = ref_s / prefix_engine
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cold = cold_start()

    kinds = {k.name: int(counts[k]) for k in EventKind}
    print(f"stream: {len(stream):,} messages ({stream.nbytes / 1e6:.0f} MB), batches of {args.batch:,}")
    print("events: " + ", ".join(f"{k.lower()} {v:,}" for k, v in kinds.items()))
    print()
    print(f"{'measure':<42}{'value':>16}")
    print(f"{'engine ns/message (median of ' + str(args.repeats) + ')':<42}{ns_per_msg:>16.1f}")
    print(f"{'engine messages/s':<42}{1e9 / ns_per_msg:>16,.0f}")
    print(f"{'reference ns/message (' + format(n_ref, ',') + ' msgs)':<42}{ref_s / n_ref * 1e9:>16.1f}")
    print(f"{'engine ns/message on that prefix':<42}{prefix_engine / n_ref * 1e9:>16.1f}")
    print(f"{'speed-up over reference':<42}{speedup:>16.1f}")
    print(f"{'peak memory (MB, incl. stream)':<42}{peak_mb:>16.0f}")
    print(f"{'cold start s (import + first batch)':<42}{cold:>16.2f}")
    print(
        json.dumps(
            {
                "ns_per_msg": round(ns_per_msg, 2),
                "msgs_per_s": round(1e9 / ns_per_msg),
                "speedup_vs_reference": round(speedup, 1),
                "cold_start_s": round(cold, 3),
                "peak_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
