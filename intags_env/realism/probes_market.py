"""What the market probes run on: a ``MarketWindow`` (a background spec and the window the probes act in)
and one seeded runner that maps a per-seed task over seeds, in this process or in worker processes.

A market is anything :func:`intags_env.envs.background.make_background` accepts — a preset name, a
``WorldConfig``, a saved generator (``.zip``), any other model path ``make_background`` learns to load, or a
``Background`` object — so the probes never depend on what kind of market they measure. The background
opens at its own session start (a preset at its opening, so the book at the window start is the real
one; a generator at the start it was trained for, from the real book there); the probes act from
``MarketWindow.start`` (default: the session start) to the session end (``MarketWindow.end`` sets it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..envs.background import Background, make_background
from ..workers import worker_pool
from ..world import WorldConfig
from ..world.config import format_time_of_day, parse_time_of_day

__all__ = ["REAL_MARKET", "MarketWindow", "MarketLike", "as_market", "seed_list"]


@dataclass(frozen=True)
class MarketWindow:
    """A market to probe: ``spec`` (anything ``make_background`` accepts) and the probes' window. (Named
    apart from ``realism.markets.Market``, a comparison's name and spec: ``MarketWindow(m.spec, start, end,
    label=m.name)`` probes one of those.)

    ``start``: when the probes begin acting ('09:35' or ns after midnight); None = the background's
    session start. ``end``: the session end passed to ``make_background`` (None = the spec's own: a
    preset's, or the window a generator was trained for). A ``Background`` object keeps its own session,
    so ``end`` must be None for it. ``label`` names the market in reports.
    """

    spec: Any = "rmsc04"
    start: str | int | None = None
    end: str | int | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        if isinstance(self.spec, str):
            return Path(self.spec).name if os.sep in self.spec else self.spec
        if isinstance(self.spec, WorldConfig):
            return self.spec.name
        return type(self.spec).__name__

    def background(self, n_participants: int) -> Background:
        """A background with ``n_participants`` participant slots, reset once (so it can be handed to a
        ``TradingSession`` or an environment): a new one for a preset, config or model path, the object
        itself for a ``Background``."""
        kwargs = {} if self.end is None else {"end": self.end}
        background = make_background(self.spec, n_participants, **kwargs)
        background.reset(0)
        return background

    def window_ns(self, background: Background) -> tuple[int, int]:
        """``(start, end)`` of the probes' window in ns after midnight, checked against the session."""
        open_ns, close_ns = background.config.start_ns, background.config.end_ns
        start = open_ns if self.start is None else parse_time_of_day(self.start)
        if not open_ns <= start < close_ns:
            raise ValueError(
                f"market {self.name}: the probes' start {format_time_of_day(start)} is outside its session "
                f"{format_time_of_day(open_ns)}-{format_time_of_day(close_ns)}"
            )
        return start, close_ns


MarketLike = MarketWindow | str | WorldConfig | Background

#: The benchmark's real market: ``rmsc04`` from its 09:30 opening, probed from 09:35 to 09:45 (the window a
#: generator is trained for by default).
REAL_MARKET = MarketWindow("rmsc04", start="09:35", end="09:45", label="rmsc04")


def as_market(market: MarketLike) -> MarketWindow:
    """``market`` itself if it is a ``MarketWindow``, else a ``MarketWindow`` over the spec's own session."""
    return market if isinstance(market, MarketWindow) else MarketWindow(market)


def seed_list(seeds: Sequence[int] | int) -> list[int]:
    """Seeds as a list (an int n means 0..n-1); an error for none or for non-integers."""
    out = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not out:
        raise ValueError("need at least one seed")
    bad = [s for s in out if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0]
    if bad:
        raise ValueError(f"seeds must be non-negative integers, got {bad[:3]}")
    return [int(s) for s in out]


# --- running a per-seed task ------------------------------------------------------------------------


class SeedTask:
    """A probe's per-seed work: ``run(background, window, seed)``, on a background with
    ``n_participants`` slots. Subclasses are picklable dataclasses (they cross to worker processes)."""

    n_participants: int = 1
    needs_torch: bool = False  # it loads torch models itself (then torch is imported before it runs)

    def run(self, background: Background, window: tuple[int, int], seed: int) -> Any:
        raise NotImplementedError


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """While inside: torch (if a model loaded it) computes on one thread. A generator samples one order
    at a time from a small network, where threads cost more than they bring (and, on a busy machine,
    spin against other processes). The caller's setting is restored on the way out."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_WORKER_BACKGROUNDS: dict[tuple[str, int], tuple[Background, tuple[int, int]]] = {}


def _worker_chunk(args: tuple[MarketWindow, SeedTask, list[int]]) -> list[Any]:
    """Runs in a worker process: the background is built once per process and market (model loads are
    slow), then reused for every seed (each ``reset(seed)`` starts afresh)."""
    market, task, seeds = args
    key = (repr(market), task.n_participants)
    if key not in _WORKER_BACKGROUNDS:
        _WORKER_BACKGROUNDS.clear()
        background = market.background(task.n_participants)
        _WORKER_BACKGROUNDS[key] = (background, market.window_ns(background))
    background, window = _WORKER_BACKGROUNDS[key]
    _import_torch_if(task.needs_torch)
    with one_torch_thread():
        return [task.run(background, window, s) for s in seeds]


def _import_torch_if(needed: bool) -> None:
    """Import torch before a task that loads torch models runs, so ``one_torch_thread`` governs it."""
    if needed:
        import torch  # noqa: F401


def run_seeds(
    task: SeedTask,
    market: MarketWindow,
    seeds: list[int],
    *,
    workers: int = 1,
    progress: bool = False,
    desc: str = "",
) -> list[Any]:
    """``task.run`` on every seed, results in seed order. The numbers do not depend on ``workers``: each
    seed resets the background, whichever process runs it.

    ``workers > 1`` uses spawned worker processes (``concurrent.futures``; each imports the package and
    loads the market once): a script that calls a probe with workers must guard its entry point with
    ``if __name__ == "__main__":``, and the market and task must be picklable.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    from ..progress import tqdm

    bar = tqdm(total=len(seeds), desc=desc or type(task).__name__, unit="seed", disable=not progress)
    out: list[Any] = []
    if workers == 1:
        background = market.background(task.n_participants)
        window = market.window_ns(background)
        _import_torch_if(task.needs_torch)
        with one_torch_thread():
            for seed in seeds:
                out.append(task.run(background, window, seed))
                bar.update()
    else:
        n_chunks = min(len(seeds), 4 * workers)
        chunks = [list(c) for c in np.array_split(np.asarray(seeds), n_chunks)]
        jobs = [(market, task, [int(s) for s in c]) for c in chunks]
        for rows in worker_pool(workers).map(_worker_chunk, jobs):  # spawned, shared by the whole run
            out.extend(rows)
            bar.update(len(rows))
    bar.close()
    return out


def mean_and_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error (``std(ddof=1) / sqrt(n)``; NaN for one value)."""
    x = np.asarray(values, dtype=float)
    se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")
    return float(x.mean()), se


def finite_mean_and_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """:func:`mean_and_se` of the finite values (a NaN marks a run without a value); NaN for none."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    return mean_and_se(x) if len(x) else (float("nan"), float("nan"))
