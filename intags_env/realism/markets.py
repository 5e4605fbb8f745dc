"""The markets a realism comparison lines up: the real one and the simulators that imitate it.

A ``Market`` is a name and a spec: an agent-based preset or ``WorldConfig`` (the "real" market, simulated
from its own opening so its book at the window's start is the one it has built), or a saved world-agent
generator (an SB3 ``.zip`` or a cWGAN ``.pt``: anything :func:`intags_env.envs.background.make_background`
takes; such a model continues the real book from the window's start, see
:class:`intags_env.generator.background.GeneratorBackground`). Every comparison runs all markets on the
same seeds and in the same window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..data.lobster import LobsterData
from ..envs.background import make_background
from ..envs.world_agents import is_world_agent_file
from ..generator.background import GeneratorBackground, trained_window
from ..generator.batch import GeneratorBatch
from ..generator.evaluate import EpisodeStats, batch_episode_stats, episode_stats
from ..intags.experiment import ConfoundedTrader
from ..world import WorldConfig, resolve_config, simulate
from ..world.config import NS_PER_SECOND
from ..world.world import WorldError

__all__ = ["Market", "causal_episode", "causal_episodes", "market_session"]


@dataclass(frozen=True)
class Market:
    """One market of a comparison. ``spec``: a preset name, a ``WorldConfig`` or a model path."""

    name: str
    spec: str | WorldConfig

    @property
    def is_model(self) -> bool:
        return is_world_agent_file(self.spec)

    def check(self, real: str | WorldConfig, start: str, end: str) -> None:
        """A model must exist and have been trained for this real market and window: a generator compared
        outside its window would be judged on a market it never saw."""
        if not self.is_model:
            resolve_config(self.spec)  # an unknown preset raises here, naming the known ones
            return
        path = Path(str(self.spec))
        if not path.exists():
            raise FileNotFoundError(f"market {self.name!r}: no model at {path}")
        trained = trained_window(path)
        real_name = real if isinstance(real, str) else real.name
        wanted = {"real": real_name, "start": start, "end": end}
        window = {key: trained.get(key) for key in wanted}
        if window != wanted:
            raise ValueError(f"market {self.name!r} was trained for {window}, the comparison is {wanted}")


_BACKGROUNDS: dict[tuple[str, int, str, str], GeneratorBackground] = {}


def _model_background(path: str, n_external: int, start: str, end: str) -> GeneratorBackground:
    """A generator's background, loaded once per process (loading a model costs more than an episode's
    start; a background is reset for every session)."""
    key = (path, n_external, start, end)
    if key not in _BACKGROUNDS:
        _BACKGROUNDS.clear()
        _BACKGROUNDS[key] = make_background(path, n_external, start=start, end=end)
    return _BACKGROUNDS[key]


def market_session(market: Market, seed: int, start: str, end: str) -> LobsterData:
    """The market's messages and book over ``start``-``end`` for ``seed``, with no one else trading (for
    a generator, the orders it generated: the copy of the real book it starts from is not its flow)."""
    if not market.is_model:
        config = resolve_config(market.spec, end=end)
        start_ns = resolve_config(config, start=start).start_ns
        data = simulate(config, seed).lobster
        return replace(data.select(data.messages["time"] >= start_ns), start_ns=start_ns)
    background = _model_background(str(market.spec), 0, start, end)
    background.reset(seed)
    background.run_until(background.config.end_ns)
    return background.generated_lobster()  # without the orders that copy the real book at the start


def causal_episode(
    market: Market, trader: ConfoundedTrader, seed: int, start: str, end: str, horizons: int
) -> EpisodeStats:
    """One session with the experimental trader over the window: its IPW feedback and the background's
    buy and sell aggressor volume (see :func:`intags_env.generator.evaluate.episode_stats`)."""
    if market.is_model:
        background = _model_background(str(market.spec), 1, start, end)
        return episode_stats(background, trader, seed, horizons, warmup_s=0.0)
    config = resolve_config(market.spec, end=end)
    warmup_s = (resolve_config(config, start=start).start_ns - config.start_ns) / NS_PER_SECOND
    return episode_stats(config, trader, seed, horizons, warmup_s)


_BATCHES: dict[tuple[str, str, str, int], GeneratorBatch] = {}


def causal_episodes(
    market: Market, trader: ConfoundedTrader, seeds: tuple[int, ...], start: str, end: str, horizons: int
) -> list[EpisodeStats | str]:
    """:func:`causal_episode` for each seed, or the error of a session that broke down; a generator's
    sessions run together as one :class:`~intags_env.generator.batch.GeneratorBatch` (each exactly as
    alone)."""
    if not market.is_model:
        out: list[EpisodeStats | str] = []
        for seed in seeds:
            try:
                out.append(causal_episode(market, trader, seed, start, end, horizons))
            except WorldError as err:
                out.append(str(err))
        return out
    key = (str(market.spec), start, end, len(seeds))
    if key not in _BATCHES:
        if len(_BATCHES) >= 2:
            _BATCHES.clear()
        background = make_background(str(market.spec), 1, start=start, end=end)
        _BATCHES[key] = GeneratorBatch.like(background, len(seeds))
    batch = _BATCHES[key]
    stats = batch_episode_stats(batch, trader, seeds, horizons)
    return [str(batch.errors[i]) if i in batch.errors else row for i, row in enumerate(stats)]
