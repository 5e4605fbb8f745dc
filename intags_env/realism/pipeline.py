"""The realism benchmark end to end: train what is missing (the INTAGS generator with its behaviour-cloned
starting point, the cWGAN world agent, a reference PPO trader), then compare them with the real market.

Used by ``benchmarks/realism.py`` and ``intags realism``. Models found in the output directory (or
given) are reused, so a second run only measures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..envs.world_agents import world_agent_trainer
from ..generator.background import trained_window
from .compare import Window
from .markets import Market
from .probes import MarketWindow, train_reference_ppo
from .run import EXECUTION_POLICIES, RealismSettings, run_realism

__all__ = ["BenchmarkModels", "realism_benchmark"]


@dataclass(frozen=True)
class BenchmarkModels:
    """Where the compared models are: an ``intags train`` output directory (``pretrained.zip``,
    ``generator.zip``), a cWGAN ``.pt`` and the reference PPO trader's ``.zip``."""

    generator_dir: Path
    cwgan: Path
    ppo: Path

    @property
    def cloned(self) -> Path:
        return self.generator_dir / "pretrained.zip"

    @property
    def intags(self) -> Path:
        return self.generator_dir / "generator.zip"


def prepare_models(
    out: Path,
    quick: bool,
    *,
    generator_dir: str | Path | None = None,
    cwgan: str | Path | None = None,
    ppo: str | Path | None = None,
    progress: bool = True,
) -> BenchmarkModels:
    """The models to compare: those given, else those already in ``out/models``, else trained there with
    the default (or quick) settings of their own commands."""
    models = out / "models"
    gen_dir = Path(generator_dir) if generator_dir else models / "intags"
    if not (gen_dir / "generator.zip").exists():
        if generator_dir:
            raise FileNotFoundError(f"no generator.zip in {gen_dir} (an `intags train --out` directory)")
        from ..generator.train import TrainSettings, train_generator

        settings = TrainSettings.quick() if quick else TrainSettings()
        # the benchmark measures the models itself: training's own final comparison can be small
        settings = replace(settings, final_episodes=settings.eval_episodes)
        train_generator(settings, gen_dir, progress=progress)
    window = trained_window(gen_dir / "generator.zip")
    cwgan_path = Path(cwgan) if cwgan else models / "cwgan" / "cwgan.pt"
    if not cwgan_path.exists():
        if cwgan:
            raise FileNotFoundError(f"no cWGAN model at {cwgan_path}")
        world_agent_trainer("cwgan")(cwgan_path.parent, window, quick=quick, progress=progress)
    ppo_path = Path(ppo) if ppo else models / "ppo" / "ppo_reference.zip"
    if not ppo_path.exists():
        if ppo:
            raise FileNotFoundError(f"no PPO model at {ppo_path}")
        real = MarketWindow(window["real"], start=window["start"], end=window["end"], label="real")
        ppo_path = train_reference_ppo(
            ppo_path.parent,
            2_048 if quick else 30_000,
            market=real,
            env_id=RealismSettings.policy_env,
            progress=progress,
        )
    return BenchmarkModels(gen_dir, cwgan_path, ppo_path)


def realism_benchmark(
    out: str | Path,
    *,
    quick: bool = False,
    generator_dir: str | Path | None = None,
    cwgan: str | Path | None = None,
    ppo: str | Path | None = None,
    workers: int = 2,
    progress: bool = True,
) -> dict[str, Any]:
    """Prepare the models, then :func:`run_realism` on the real market, the behaviour-cloned generator,
    the cWGAN and the INTAGS generator, all in the INTAGS generator's window. Returns the report."""
    out = Path(out)
    models = prepare_models(out, quick, generator_dir=generator_dir, cwgan=cwgan, ppo=ppo, progress=progress)
    w = trained_window(models.intags)
    window = Window(real=w["real"], start=w["start"], end=w["end"])
    markets = [
        Market("real", window.real),
        Market("cloned", str(models.cloned)),
        Market("cwgan", str(models.cwgan)),
        Market("intags", str(models.intags)),
    ]
    settings = replace(RealismSettings.quick() if quick else RealismSettings(), workers=workers)
    policies = [*EXECUTION_POLICIES, str(models.ppo)]
    report = run_realism(markets, window, settings, out, policies=policies, progress=progress)
    report["models"] = {name: str(path) for name, path in vars(models).items()}
    return report
