"""Generator fidelity: can the order representation, and the models that speak it, say what the real
market says?

Three kinds of window are compared with the real market's (``rmsc04`` by default), each on the same
held-out seeds, against the real-vs-real floor (the real windows of those seeds against a disjoint real
reference set):

* **replay**: the real window's own order stream, encoded
  (:func:`~intags_env.generator.orderstream.order_stream`) and placed open loop through the generator's
  decoder from the same starting book — either with its exact values (``replay_exact``: must give the
  real window back, message for message) or with the buckets only, every exact value drawn again inside
  its bucket (``replay``: what a perfect model of the buckets would do without looking at the market);
* **models** (a cloned SB3 generator ``.zip``, a cWGAN ``.pt``): the model driving its own market closed
  loop. A session in which the model runs away — exceeds its live-order capacity (``WorldError``) or sends
  more than ``max_orders`` orders — is counted as a runaway and left out of the facts.

Per kind: KS of the pooled distributions of :data:`~intags_env.realism.facts_distance.DISTRIBUTIONS`
(10-s returns, spread, L1 depth, new-order sizes, inter-arrival times), the share of one-tick spreads,
the mean spread, |buy - sell| / volume of the executed volume per session, and the runaway rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.lobster import LobsterData
from ..generator.background import GeneratorBackground
from ..generator.orderstream import order_stream
from ..workers import parallel_map
from ..world.world import WorldError
from .facts_distance import DISTRIBUTIONS, facts_distances, pooled_samples
from .markets import Market, _model_background, market_session

__all__ = ["SessionOutcome", "fidelity_figures", "run_sessions", "session_outcome"]

_CHUNK_NS = 10 * 10**9  # a closed-loop session checks its order count every 10 s of market time


class SessionOutcome(dict):
    """One window: ``samples`` (pooled-facts samples), ``imbalance``, ``n_messages``, ``runaway`` and,
    for a replay, the decoder's counters."""


def _imbalance(data: LobsterData) -> float:
    m = data.messages
    executed = m["type"] == 4
    buy = int(m["size"][executed & (m["direction"] == -1)].sum())  # a resting sell hit by a buyer
    sell = int(m["size"][executed & (m["direction"] == 1)].sum())
    return abs(buy - sell) / (buy + sell) if buy + sell else float("nan")


def _outcome(data: LobsterData | None, **extra: Any) -> SessionOutcome:
    if data is None:
        return SessionOutcome(samples=None, imbalance=float("nan"), n_messages=0, runaway=True, **extra)
    return SessionOutcome(
        samples=pooled_samples([data]),
        imbalance=_imbalance(data),
        n_messages=len(data.messages),
        runaway=False,
        **extra,
    )


_REPLAYERS: dict[tuple, GeneratorBackground] = {}


def session_outcome(job: tuple) -> SessionOutcome:
    """One window of one kind (a picklable job for the worker pool): ``(kind, spec, real, start, end,
    seed, max_orders)`` with kind ``"real"`` (spec: the preset), ``"replay"`` / ``"replay_exact"`` or
    ``"model"`` (spec: the model path)."""
    kind, spec, real, start, end, seed, max_orders = job
    if kind == "real":
        return _outcome(market_session(Market(str(spec), spec), seed, start, end))
    if kind in ("replay", "replay_exact"):
        key = (real, start, end)
        if key not in _REPLAYERS:
            _REPLAYERS.clear()
            _REPLAYERS[key] = GeneratorBackground(None, real=real, start=start, end=end, n_external=0)
        bg = _REPLAYERS[key]
        bg.reset(seed)
        stream = order_stream(bg.real_lobster(seed), start_ns=bg.config.start_ns)
        bg.replay(stream.actions, stream.exact if kind == "replay_exact" else None)
        bg.world.run_until(bg.config.end_ns)
        d = bg.decoder
        counters = {"clipped": d.clipped, "noop_cancels": d.noop_cancels, "inexact": d.inexact_cancels}
        return _outcome(bg.generated_lobster(), **counters)
    if kind == "model":
        bg = _model_background(str(spec), 0, start, end)
        bg.reset(seed)
        try:
            t = bg.clock
            while not bg.done:
                t = min(t + _CHUNK_NS, bg.config.end_ns)
                bg.run_until(t)
                if bg.n_orders > max_orders:
                    return _outcome(None)
                if t >= bg.config.end_ns:
                    break
        except WorldError:
            return _outcome(None)
        return _outcome(bg.generated_lobster())
    raise ValueError(f"unknown session kind {kind!r}: expected real, replay, replay_exact or model")


def run_sessions(
    kind: str,
    spec: str,
    seeds: Sequence[int],
    *,
    real: str = "rmsc04",
    start: str = "09:35",
    end: str = "09:45",
    max_orders: int = 20_000,
    workers: int = 1,
    progress: bool = False,
) -> list[SessionOutcome]:
    """The outcome of each seed's window of one kind (see :func:`session_outcome`)."""
    jobs = [(kind, spec, real, start, end, int(s), max_orders) for s in seeds]
    return parallel_map(session_outcome, jobs, workers, desc=f"{kind} {spec}"[:40], progress=progress)


def _pool(outcomes: Sequence[SessionOutcome]) -> dict[str, np.ndarray]:
    kept = [o["samples"] for o in outcomes if not o["runaway"]]
    if not kept:
        raise ValueError("every session ran away: no facts to compare")
    return {name: np.concatenate([k[name] for k in kept]) for name in DISTRIBUTIONS}


def fidelity_figures(
    reference: Sequence[SessionOutcome], outcomes: Sequence[SessionOutcome]
) -> dict[str, float]:
    """KS per distribution (``ks_<name>``) and their mean ``ks_mean``, ``one_tick_share`` and its
    absolute difference from the reference's, ``spread_ticks_mean``, ``imbalance`` (mean over sessions),
    ``runaway_rate``, ``messages_mean``; NaN figures for a kind whose every session ran away."""
    out: dict[str, float] = {
        "runaway_rate": float(np.mean([o["runaway"] for o in outcomes])),
        "sessions": float(len(outcomes)),
    }
    try:
        pool = _pool(outcomes)
    except ValueError:
        return {**out, "ks_mean": float("nan")}
    ref = _pool(reference)
    distances = facts_distances(ref, pool)
    for name in DISTRIBUTIONS:
        out[f"ks_{name}"] = distances[name]["ks"]
    out["ks_mean"] = float(np.mean([distances[name]["ks"] for name in DISTRIBUTIONS]))
    spread = pool["spread_ticks"]
    out["spread_ticks_mean"] = float(np.mean(spread))
    out["one_tick_share"] = float(np.mean(spread == 1))
    out["one_tick_gap"] = abs(out["one_tick_share"] - float(np.mean(ref["spread_ticks"] == 1)))
    kept = [o for o in outcomes if not o["runaway"]]
    out["imbalance"] = float(np.nanmean([o["imbalance"] for o in kept]))
    out["messages_mean"] = float(np.mean([o["n_messages"] for o in kept]))
    for counter in ("clipped", "noop_cancels", "inexact"):
        if counter in kept[0]:
            out[f"{counter}_mean"] = float(np.mean([o[counter] for o in kept]))
    return out
