"""The search: a derivative-free minimiser over the unit cube, and ``calibrate`` wiring it to a target.

The minimiser spends ``init_fraction`` of the budget on a scrambled Sobol sample of the cube (global
exploration, plus any given start points), then refines the best point found until the budget is spent:
``"es"`` (default), a (1+1) evolution strategy with the 1/5th success rule (a Gaussian step around the
best point, kept if it lowers the loss; the step grows on success and shrinks on failure), which copes
with the rugged loss of discrete-event simulations in ~20 dimensions; or ``"nelder-mead"`` (scipy's,
bounded), which suits smooth low-dimensional problems. Every candidate is simulated with the same seeds
(common random numbers), so two candidates differ by their parameters, not by luck, and the loss
surface is deterministic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from intags_env.world import WorldConfig

from ..progress import tqdm
from .facts import facts_loss
from .objective import simulated_facts
from .space import DEFAULT_SPACE, ParameterSpace, base_config
from .target import CalibrationError, Target

__all__ = ["CalibrationResult", "SearchTrace", "calibrate", "minimize_unit_cube"]


@dataclass
class SearchTrace:
    """Every evaluated point with its loss (in evaluation order) and the best one."""

    points: list[np.ndarray] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)

    @property
    def best_index(self) -> int:
        if not self.losses:
            raise ValueError("no point evaluated yet")
        return int(np.nanargmin(np.where(np.isfinite(self.losses), self.losses, np.inf)))

    @property
    def best_point(self) -> np.ndarray:
        return self.points[self.best_index]

    @property
    def best_loss(self) -> float:
        return self.losses[self.best_index]

    def best_so_far(self) -> np.ndarray:
        """Running minimum of the loss (for the progress plot)."""
        return np.minimum.accumulate(np.where(np.isfinite(self.losses), self.losses, np.inf))


class _BudgetSpent(Exception):
    pass


def minimize_unit_cube(
    loss: Callable[[np.ndarray], float],
    dim: int,
    budget: int,
    *,
    init_fraction: float = 0.3,
    seed: int = 0,
    start_points: Sequence[np.ndarray] = (),
    progress: bool = True,
    method: str = "es",
    step: float = 0.1,
    on_evaluation: Callable[[np.ndarray, float], None] | None = None,
) -> SearchTrace:
    """Minimise ``loss`` over ``[0, 1]^dim`` with exactly ``budget`` evaluations (Sobol, then ``method``,
    "es" or "nelder-mead", starting ``step`` wide). Seeded by ``seed``.

    A non-finite loss counts as worse than any finite one. Returns the :class:`SearchTrace`.
    """
    if method not in ("es", "nelder-mead"):
        raise CalibrationError(f"method must be 'es' or 'nelder-mead', got {method!r}")
    if not 0 < step <= 1:
        raise CalibrationError(f"step must be in (0, 1], got {step!r}")
    if not isinstance(budget, int) or budget < 2:
        raise CalibrationError(f"budget must be an integer >= 2 evaluations, got {budget!r}")
    if not 0 < init_fraction < 1:
        raise CalibrationError(f"init_fraction must be in (0, 1), got {init_fraction!r}")
    trace = SearchTrace()
    bar = tqdm(total=budget, desc="calibrating", unit="cand", disable=not progress)

    def evaluate(u: np.ndarray, phase: str) -> float:
        if len(trace.losses) >= budget:
            raise _BudgetSpent
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        value = float(loss(u))
        trace.points.append(u)
        trace.losses.append(value)
        trace.phases.append(phase)
        if on_evaluation is not None:
            on_evaluation(u, value)
        bar.update(1)
        bar.set_postfix(best=f"{trace.best_loss:.3g}", phase=phase)
        return value if math.isfinite(value) else 1e12

    n_init = max(1, min(budget - 1, round(budget * init_fraction)))
    starts = [np.clip(np.asarray(p, dtype=float), 0, 1) for p in start_points][:n_init]
    sobol = qmc.Sobol(dim, scramble=True, seed=seed)
    sample = sobol.random(2 ** math.ceil(math.log2(max(2, n_init - len(starts)))))[: n_init - len(starts)]
    try:
        for u in [*starts, *sample]:
            evaluate(u, "sample")
        if method == "es":
            _evolution_strategy(evaluate, trace, dim, step, np.random.default_rng(seed))
        else:
            x0 = trace.best_point
            simplex = np.vstack(
                [x0]
                + [np.clip(x0 + step * np.eye(dim)[i] * (1 if x0[i] < 0.5 else -1), 0, 1) for i in range(dim)]
            )
            minimize(
                lambda u: evaluate(u, "refine"),
                x0,
                method="Nelder-Mead",
                bounds=[(0.0, 1.0)] * dim,
                options={"initial_simplex": simplex, "maxfev": budget, "xatol": 1e-4, "fatol": 1e-6},
            )
    except _BudgetSpent:
        pass
    finally:
        bar.close()
    return trace


def _evolution_strategy(
    evaluate: Callable[[np.ndarray, str], float],
    trace: SearchTrace,
    dim: int,
    step: float,
    rng: np.random.Generator,
) -> None:
    """(1+1)-ES from the trace's best point until ``evaluate`` raises ``_BudgetSpent``."""
    best = trace.best_point
    best_loss = trace.best_loss if math.isfinite(trace.best_loss) else math.inf
    sigma = step
    while True:
        candidate = np.clip(best + sigma * rng.standard_normal(dim), 0.0, 1.0)
        value = evaluate(candidate, "refine")
        if value < best_loss:
            best, best_loss = candidate, value
            sigma = min(0.5, sigma * 1.5)
        else:
            sigma = max(1e-3, sigma * 1.5 ** (-0.25))


@dataclass(frozen=True)
class CalibrationResult:
    """The outcome of :func:`calibrate`: the best config, its facts and the search's history."""

    target: Target
    config: WorldConfig
    facts: dict[str, float]
    loss: float
    parameters: dict[str, float | int]
    trace: SearchTrace
    seeds: tuple[int, ...]
    wall_s: float


def calibrate(
    target: Target,
    *,
    budget: int = 300,
    seeds: Sequence[int] = (0, 1, 2),
    space: ParameterSpace = DEFAULT_SPACE,
    base: WorldConfig | None = None,
    init_fraction: float = 0.3,
    search_seed: int = 0,
    start_configs: Sequence[WorldConfig] = (),
    method: str = "es",
    weights: Mapping[str, float] | None = None,
    progress: bool = True,
) -> CalibrationResult:
    """Search ``space`` for the background population whose facts are closest to ``target``'s.

    Each candidate is ``base`` (default: :func:`~intags_env.calibration.space.base_config` at the target's
    price level and session) with the searched parameters set, simulated once per seed in ``seeds``
    (common random numbers), viewed at the target's book depth, its facts averaged over the seeds and
    scored by :func:`~intags_env.calibration.facts.facts_loss` (with ``weights`` per fact, default 1).
    ``budget`` candidates in all.
    ``start_configs`` (e.g. a previous result) are evaluated first.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise CalibrationError("calibrate needs at least one seed")
    if base is None:
        base = base_config(target.r_bar, target.start, target.end)
    facts_of: dict[bytes, dict[str, float]] = {}

    def loss(u: np.ndarray) -> float:
        facts = simulated_facts(space.decode(u, base), seeds, target.levels)
        facts_of[u.tobytes()] = facts
        return facts_loss(facts, target.facts, weights)

    t0 = time.perf_counter()
    trace = minimize_unit_cube(
        loss,
        len(space),
        budget,
        init_fraction=init_fraction,
        seed=search_seed,
        start_points=[space.encode(c) for c in start_configs],
        progress=progress,
        method=method,
    )
    best = trace.best_point
    return CalibrationResult(
        target=target,
        config=space.decode(best, base),
        facts=facts_of[best.tobytes()],
        loss=trace.best_loss,
        parameters=space.values(best),
        trace=trace,
        seeds=seeds,
        wall_s=time.perf_counter() - t0,
    )
