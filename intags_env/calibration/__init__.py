"""Calibration of the agent-based background to a real market's stylized facts (``intags calibrate``).

:mod:`.facts` defines the ten-fact table (one function for real and simulated markets), the per-fact
comparison and the loss; :mod:`.space` the searched parameters; :mod:`.search` the optimiser (Sobol
sample, then a (1+1) evolution strategy or Nelder-Mead, common random numbers); :mod:`.report` the
before/after table, JSON and plot; :mod:`.cli` the ``calibrate`` subcommand. The shipped result for
AMZN is the ``amzn`` preset.

The names below are imported on first use, so building the command line stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "DEFAULT_SPACE",
    "FACT_NAMES",
    "FACT_SCALES",
    "CalibrationError",
    "CalibrationResult",
    "Comparison",
    "Parameter",
    "ParameterSpace",
    "SearchTrace",
    "Target",
    "base_config",
    "calibrate",
    "calibration_facts",
    "closer",
    "compare",
    "fact_gap",
    "facts_loss",
    "load_target",
    "mean_facts",
    "minimize_unit_cube",
    "plot_comparison",
    "simulated_facts",
    "target_from_data",
    "top_levels_view",
    "write_json",
]

_HOMES = {
    "FACT_NAMES": ".facts",
    "FACT_SCALES": ".facts",
    "calibration_facts": ".facts",
    "closer": ".facts",
    "fact_gap": ".facts",
    "facts_loss": ".facts",
    "mean_facts": ".facts",
    "top_levels_view": ".facts",
    "simulated_facts": ".objective",
    "Comparison": ".report",
    "compare": ".report",
    "plot_comparison": ".report",
    "write_json": ".report",
    "CalibrationResult": ".search",
    "SearchTrace": ".search",
    "calibrate": ".search",
    "minimize_unit_cube": ".search",
    "DEFAULT_SPACE": ".space",
    "Parameter": ".space",
    "ParameterSpace": ".space",
    "base_config": ".space",
    "CalibrationError": ".target",
    "Target": ".target",
    "load_target": ".target",
    "target_from_data": ".target",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
