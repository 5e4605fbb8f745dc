"""``simulate``: run one whole session of a background market and return its record."""

from __future__ import annotations

from ..progress import tqdm
from .config import NS_PER_SECOND, WorldConfig
from .world import SimulationResult, World


def simulate(
    preset_or_config: str | WorldConfig = "rmsc04",
    seed: int | None = 0,
    start: str | int | None = None,
    end: str | int | None = None,
    *,
    progress: bool = False,
) -> SimulationResult:
    """Simulate a session (default: the preset's, e.g. 09:30-10:00) with a fresh ``Generator(seed)``.

    The same seed gives an identical result. ``progress`` shows a bar over simulated minutes.
    """
    world = World(preset_or_config, start=start, end=end)
    world.reset(seed)
    c = world.config
    if not progress:
        world.run()
        return world.result(copy=False)
    minute = 60 * NS_PER_SECOND
    minutes = -(-(c.end_ns - c.start_ns) // minute)
    with tqdm(total=minutes, unit="min", desc=f"simulating {c.name}") as bar:
        for k in range(1, minutes + 1):
            world.run_until(min(c.start_ns + k * minute, c.end_ns))
            bar.update(1)
    return world.result(copy=False)
