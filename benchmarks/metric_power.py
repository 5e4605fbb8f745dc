"""Does the INTAGS metric tell markets apart? Ground truth, calibration, power and speed of the feedback.

1. Ground truth (rmsc04): the effect of the experimental trade measured by a randomised trader (constant
   propensity: an RCT) against the IPW estimate under a strongly confounded trader (it buys with
   probability sigmoid(2 z), z the touch depth imbalance / 0.25, and the imbalance predicts the next mid
   move) and the naive difference in means of the same confounded runs. ``ipw_bias_ratio`` = sum over
   horizons of |IPW - RCT| / sum of |naive - RCT| (small: IPW removes the bias that naive keeps).
2. Calibration: real-vs-real permutation tests (two disjoint random seed sets of rmsc04 per trial) at
   alpha = 0.05; ``false_positive_rate`` is the share of trials that reject.
3. Power against episodes per side, for markets that differ from rmsc04 in one named respect at two
   magnitudes, for the causal feedback (MMD^2 of f(T)) and for an MMD on plain stylized facts of passive
   runs of the same markets (1-minute and 10-second return std, 1-minute return autocorrelation, mean
   spread): no experimental trader, no causal step.
4. The paper's point: two markets whose passive facts match but whose response to trading differs.
   Market makers that size their quotes from the volume they see traded (pov = 0.2: they deepen when
   someone trades) against market makers with a fixed quote size (420 shares, chosen so the passive
   return and spread facts match). Only an experimental trader's trades reveal the difference.
5. Speed: feedback episodes per second with the worker processes given, the experimental trader's
   sessions compiled (``intags_env.intags.compiled_trader``) and, as the baseline in the same run, from
   Python (``compiled=False``: the same episodes).

Each trial standardises both samples by their pooled standard deviation per feature (a function of the
pooled sample, so the permutation test stays exact) and uses the median-heuristic Gaussian MMD^2.

Run: ``python benchmarks/metric_power.py [--quick] [--workers 2] [--out out/metric_power]``
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from intags_env.intags.distances import mmd2, permutation_test
from intags_env.intags.experiment import ConfoundedTrader, collect_feedback, rollout
from intags_env.intags.feedback import ipw_effect, naive_effect, outcomes_from_path
from intags_env.metrics.facts import return_facts, spread_facts
from intags_env.world import WorldConfig, resolve_config
from intags_env.world.simulate import simulate

ALPHA = 0.05
HORIZONS = 5
TRADER = ConfoundedTrader(beta=1.0, size=200, interval_s=10.0)
# ground truth: buys when the touch is bid-heavy, which also predicts an up-move: strong confounding
CONFOUNDED = replace(TRADER, beta=2.0, feature="imbalance", imbalance_scale=0.25)
FACT_NAMES = ("return_std_bp_1min", "return_std_bp_10s", "return_acf1_1min", "spread_ticks_mean")


def market_makers(**changes: float) -> WorldConfig:
    """rmsc04 with its market makers' parameters changed."""
    base = resolve_config("rmsc04")
    return replace(base, name="rmsc04*", market_makers=replace(base.market_makers, **changes))


@dataclass(frozen=True)
class Contrast:
    """Two markets to tell apart; ``key`` names the power figure reported in the JSON."""

    name: str
    key: str
    real: WorldConfig
    other: WorldConfig


def contrasts() -> list[Contrast]:
    rmsc04 = resolve_config("rmsc04")
    value_agents = rmsc04.value
    return [
        Contrast("MM level spacing 5 -> 7", "mm_spacing_small", rmsc04, market_makers(level_spacing=7.0)),
        Contrast("MM level spacing 5 -> 10", "mm_spread", rmsc04, market_makers(level_spacing=10.0)),
        Contrast(
            "value agents 102 -> 70",
            "value_small",
            rmsc04,
            replace(rmsc04, value=replace(value_agents, count=70)),
        ),
        Contrast(
            "value agents 102 -> 40",
            "value_large",
            rmsc04,
            replace(rmsc04, value=replace(value_agents, count=40)),
        ),
        Contrast(
            "MM quote size: pov 0.2 vs fixed 420",
            "response",
            market_makers(pov=0.2),
            market_makers(pov=0.0, min_order_size=420),
        ),
    ]


def market_key(config: WorldConfig) -> str:
    return json.dumps(config.to_dict(), sort_keys=True, default=str)


def markets_to_pool() -> list[WorldConfig]:
    """Every distinct market of the contrasts, once."""
    distinct: dict[str, WorldConfig] = {}
    for c in contrasts():
        distinct.setdefault(market_key(c.real), c.real)
        distinct.setdefault(market_key(c.other), c.other)
    return list(distinct.values())


# ------------------------------------------------------------------------------------------ per episode
def passive_facts(args: tuple[WorldConfig, int]) -> np.ndarray:
    """The plain stylized facts of one passive session (no experimental trader)."""
    config, seed = args
    data = simulate(config, seed).lobster
    facts = {**return_facts(data), **spread_facts(data)}
    return np.array([facts[name] for name in FACT_NAMES])


def confounded_estimates(seed: int) -> np.ndarray:
    """(IPW, naive) effect estimates, shape (2, H), of one rmsc04 session with a beta = 2 trader."""
    traj = rollout("rmsc04", CONFOUNDED, seed)
    outcomes = outcomes_from_path(traj.mids, np.arange(len(traj.actions)), HORIZONS)
    return np.vstack(
        [ipw_effect(traj.actions, outcomes, traj.propensities), naive_effect(traj.actions, outcomes)]
    )


def parallel_map(fn, jobs: list, workers: int, desc: str) -> np.ndarray:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return np.stack(list(tqdm(pool.map(fn, jobs, chunksize=4), total=len(jobs), desc=desc, unit="ep")))


# ------------------------------------------------------------------------------------------------ tests
def rejects(x: np.ndarray, y: np.ndarray, seed: int, permutations: int) -> bool:
    scale = np.vstack([x, y]).std(axis=0)
    scale[scale == 0] = 1.0
    _, p = permutation_test(x / scale, y / scale, mmd2, n_permutations=permutations, seed=seed)
    return p < ALPHA


def power(x_pool: np.ndarray, y_pool: np.ndarray, n: int, trials: int, permutations: int, seed: int) -> float:
    """Share of trials rejecting H0, ``n`` episodes per side drawn (without replacement) from the pools."""
    rng = np.random.default_rng(seed)
    hits = 0
    for k in range(trials):
        ix = rng.choice(len(x_pool), n, replace=False)
        iy = rng.choice(len(y_pool), n, replace=False)
        hits += rejects(x_pool[ix], y_pool[iy], seed + k, permutations)
    return hits / trials


def false_positive_rate(pool: np.ndarray, n: int, trials: int, permutations: int, seed: int) -> float:
    """Real vs real: each trial splits 2n distinct seeds of the same market into two sets."""
    rng = np.random.default_rng(seed)
    hits = 0
    for k in range(trials):
        idx = rng.choice(len(pool), 2 * n, replace=False)
        hits += rejects(pool[idx[:n]], pool[idx[n:]], seed + k, permutations)
    return hits / trials


def mean_ci(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=0), 1.96 * x.std(axis=0, ddof=1) / np.sqrt(len(x))


# ------------------------------------------------------------------------------------------------ plots
def plot_power(curves: dict, sizes: list[int], fpr: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (name, kinds) in enumerate(curves.items()):
        colour = f"C{i}"
        ax.plot(sizes, kinds["causal"], "o-", color=colour, label=f"{name}: causal feedback")
        ax.plot(sizes, kinds["facts"], "s--", color=colour, alpha=0.6, label=f"{name}: plain facts")
    ax.axhline(ALPHA, color="grey", lw=0.8)
    ax.axhline(fpr, color="black", ls=":", lw=1, label=f"real vs real rejection rate ({fpr:.2f})")
    ax.set(xlabel="episodes per side", ylabel=f"power (permutation test, alpha={ALPHA})", ylim=(-0.02, 1.02))
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("INTAGS causal feedback vs plain stylized facts: power to tell two markets apart")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_ground_truth(rct: np.ndarray, ipw: np.ndarray, naive: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = np.arange(1, HORIZONS + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    for offset, (label, x) in zip(
        (-0.1, 0.0, 0.1), (("randomised (RCT)", rct), ("IPW, confounded", ipw), ("naive, confounded", naive))
    ):
        m, ci = mean_ci(1e4 * x)
        ax.errorbar(h + offset, m, yerr=ci, fmt="o-", capsize=3, label=label)
    ax.set(
        xlabel=f"horizon (decisions of {TRADER.interval_s:g} s)", ylabel="effect of buy vs sell on mid (bps)"
    )
    ax.legend()
    ax.set_title(f"rmsc04: effect of a {TRADER.size}-share market order, 95% CI")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small pools and few trials (a smoke run)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="out/metric_power")
    ap.add_argument("--cache", default="out/feedback-cache", help="feedback cache directory ('' for none)")
    args = ap.parse_args()
    quick = args.quick
    real_pool, pool, gt_episodes = (120, 60, 60) if quick else (1000, 400, 300)
    sizes = [10, 25, 50] if quick else [25, 50, 100, 200]
    trials, calib_trials, permutations = (10, 20, 100) if quick else (50, 100, 200)
    calib_n = 50 if quick else 100
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = args.cache or None
    workers = args.workers

    # --- ground truth
    rct = collect_feedback(
        "rmsc04",
        replace(TRADER, beta=0.0),
        range(50_000, 50_000 + gt_episodes),
        HORIZONS,
        workers,
        cache_dir=cache,
        progress=True,
    )
    confounded = parallel_map(
        confounded_estimates, list(range(60_000, 60_000 + gt_episodes)), workers, "confounded episodes"
    )
    ipw, naive = confounded[:, 0], confounded[:, 1]
    (m_rct, ci_rct), (m_ipw, ci_ipw), (m_naive, ci_naive) = mean_ci(rct), mean_ci(ipw), mean_ci(naive)
    ipw_ok = np.abs(m_ipw - m_rct) <= np.hypot(ci_ipw, ci_rct)
    naive_ok = np.abs(m_naive - m_rct) <= np.hypot(ci_naive, ci_rct)
    bias_ratio = float(np.abs(m_ipw - m_rct).sum() / np.abs(m_naive - m_rct).sum())
    plot_ground_truth(rct, ipw, naive, out / "ground_truth.png")

    # --- feedback and facts pools
    speed_n = 20 if quick else 100
    started = time.perf_counter()
    speed_seeds = range(900_000, 900_000 + speed_n)
    fast = collect_feedback("rmsc04", TRADER, speed_seeds, HORIZONS, workers)  # never cached
    episodes_per_s = speed_n / (time.perf_counter() - started)
    started = time.perf_counter()
    slow = collect_feedback("rmsc04", TRADER, speed_seeds, HORIZONS, workers, compiled=False)
    python_per_s = speed_n / (time.perf_counter() - started)
    if not np.array_equal(fast, slow):
        raise AssertionError("the compiled trader's feedback differs from the Python session's")
    real_feedback = collect_feedback(
        "rmsc04", TRADER, range(real_pool), HORIZONS, workers, cache_dir=cache, progress=True
    )
    # one pool per distinct market (rmsc04 is the "real" side of four contrasts)
    rmsc04 = resolve_config("rmsc04")
    feedback_pools: dict[str, np.ndarray] = {}
    fact_pools: dict[str, np.ndarray] = {}
    for i, config in enumerate(markets_to_pool()):
        key = market_key(config)
        size = real_pool if config == rmsc04 else pool
        seeds = range(100_000 * (i + 1), 100_000 * (i + 1) + size)
        feedback_pools[key] = (
            real_feedback
            if config == rmsc04
            else collect_feedback(config, TRADER, seeds, HORIZONS, workers, cache_dir=cache, progress=True)
        )
        fact_pools[key] = parallel_map(passive_facts, [(config, s) for s in seeds], workers, "passive facts")

    # --- calibration
    fpr = false_positive_rate(real_feedback, calib_n, calib_trials, permutations, seed=1)
    fpr_facts = false_positive_rate(
        fact_pools[market_key(rmsc04)], calib_n, calib_trials, permutations, seed=2
    )

    # --- power
    curves: dict[str, dict[str, list[float]]] = {}
    names = {c.key: c.name for c in contrasts()}
    for c in tqdm(contrasts(), desc="power curves"):
        curves[c.key] = {
            kind: [
                power(pools[market_key(c.real)], pools[market_key(c.other)], n, trials, permutations, seed=7)
                for n in sizes
            ]
            for kind, pools in (("causal", feedback_pools), ("facts", fact_pools))
        }
    plot_power({names[k]: v for k, v in curves.items()}, sizes, fpr, out / "power_curves.png")

    # --- report
    print(
        f"\nGround truth, rmsc04 ({gt_episodes} episodes each): buy-vs-sell effect on the mid, bps (95% CI)"
    )
    print(f"{'h':>3} {'RCT':>16} {'IPW, confounded':>16} {'naive, confounded':>18}")
    for h in range(HORIZONS):
        cells = [
            f"{1e4 * m[h]:+.3f}±{1e4 * ci[h]:.3f}"
            for m, ci in ((m_rct, ci_rct), (m_ipw, ci_ipw), (m_naive, ci_naive))
        ]
        print(f"{h + 1:>3} {cells[0]:>16} {cells[1]:>16} {cells[2]:>18}")
    print(
        f"IPW within CI of RCT at all horizons: {bool(ipw_ok.all())}; "
        f"naive within CI at {int(naive_ok.sum())}/{HORIZONS} horizons"
    )
    print(f"ipw_bias_ratio = sum|IPW-RCT| / sum|naive-RCT| = {bias_ratio:.3f}")
    print(
        f"\nCalibration: real vs real, {calib_n} vs {calib_n} episodes, {calib_trials} trials: "
        f"rejection rate {fpr:.3f} (causal), {fpr_facts:.3f} (plain facts)"
    )
    print(
        f"\nPower at alpha={ALPHA} ({trials} trials, {permutations} permutations), episodes per side: {sizes}"
    )
    print(f"{'contrast':<38}{'feature':<9}" + "".join(f"{n:>7}" for n in sizes))
    for key, kinds in curves.items():
        for kind, row in kinds.items():
            print(f"{names[key]:<38}{kind:<9}" + "".join(f"{p:>7.2f}" for p in row))
    print(
        f"\nfeedback episodes per second ({workers} workers): {episodes_per_s:.1f} compiled trader, "
        f"{python_per_s:.1f} from Python (the same episodes); plots in {out}/"
    )
    at = sizes.index(max(sizes))
    figures = {
        "false_positive_rate": fpr,
        "power_mm_spread": curves["mm_spread"]["causal"][at],
        "power_response_causal": curves["response"]["causal"][at],
        "power_response_facts": curves["response"]["facts"][at],
        "ipw_bias_ratio": bias_ratio,
        "ipw_matches_rct": float(ipw_ok.all()),
        "feedback_episodes_per_s": episodes_per_s,
        "feedback_episodes_per_s_python": python_per_s,
        "compiled_trader_speedup": episodes_per_s / python_per_s,
        "episodes_per_side": sizes[at],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
