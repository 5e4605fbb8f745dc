"""The realism comparison as a markdown table and plots (from the report dict of :mod:`.run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .facts_distance import DISTRIBUTIONS

__all__ = ["markdown_table", "plot_distributions", "plot_report"]


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(report: dict[str, Any]) -> str:
    """One row per market: causal MMD² (p), energy distance, |buy - sell| share, the flow-following
    exploit's P&L, each facts distribution's KS statistic, and the policy-ranking correlation."""
    markets = list(report["markets"])
    head = ["market", "MMD² causal", "p", "energy", "|buy-sell|", "exploit P&L (bp)"]
    head += [f"KS {name}" for name in DISTRIBUTIONS] + ["rank corr"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in markets:
        m = report["markets"][name]
        causal, facts = m["causal"], m["facts"]
        exploit = m.get("exploit", {})
        row = [
            name,
            _fmt(causal["mmd2"]),
            _fmt(causal["p_value"], 3),
            _fmt(causal["energy"], 3),
            _fmt(causal["imbalance_abs_mean"], 3),
            _pm(exploit.get("mean"), exploit.get("se")),
        ]
        row += [_fmt(_ks(facts, d), 3) for d in DISTRIBUTIONS]
        row.append(_fmt(m.get("policy_rank_corr"), 2))
        lines.append("| " + " | ".join(row) + " |")
    broken = {name: m["error"] for name, m in report["markets"].items() if m.get("error")}
    for name, error in broken.items():
        lines.append(f"\n**{name} could not be measured in full** (broken sessions are left out): {error}")
    lines.append("")
    lines.append(
        "MMD² and energy distance of the IPW causal feedback against a held-out real set (the real row is "
        "the real-vs-real floor); KS: two-sample Kolmogorov-Smirnov statistic of the pooled distribution "
        "against held-out real sessions; rank corr: Spearman correlation of the policies' scores with "
        "their scores in the real market."
    )
    if report.get("impact"):
        lines += ["", "Price impact of a POV buyer at the end of the window (bp, mean ± se):", ""]
        rates = report["impact_rates"]
        lines.append("| market | " + " | ".join(f"{r:g}" for r in rates) + " |")
        lines.append("|" + "---|" * (len(rates) + 1))
        for name, curve in report["impact"].items():
            cells = [_pm(m, s) for m, s in zip(curve["mean_bps"], curve["se_bps"], strict=True)]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if report.get("policy_scores"):
        policies = list(next(iter(report["policy_scores"].values())))
        lines += ["", "Policy scores (mean episode reward) per market:", ""]
        lines.append("| market | " + " | ".join(policies) + " |")
        lines.append("|" + "---|" * (len(policies) + 1))
        for name, scores in report["policy_scores"].items():
            lines.append(f"| {name} | " + " | ".join(_fmt(scores[p], 3) for p in policies) + " |")
    return "\n".join(lines) + "\n"


def _ks(facts: dict[str, Any], name: str) -> float:
    """A distribution's KS statistic, NaN for a market whose sessions could not run."""
    return facts[name]["ks"] if name in facts else float("nan")


def _pm(mean: float | None, se: float | None) -> str:
    if mean is None:
        return "—"
    return f"{mean:+.2f} ± {se:.2f}" if se is not None else f"{mean:+.2f}"


def plot_report(
    report: dict[str, Any], pools: dict[str, dict[str, np.ndarray]], out: str | Path
) -> list[Path]:
    """Bar charts of the distances, the imbalance histograms, the impact curves and the facts
    distributions of every market against the real reference; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    markets = list(report["markets"])
    written = []

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    mmd = [report["markets"][m]["causal"]["mmd2"] for m in markets]
    axes[0].bar(markets, mmd, color="C0")
    axes[0].set(title="causal-feedback MMD² to real", ylabel="MMD²")
    ks = np.array([[_ks(report["markets"][m]["facts"], d) for d in DISTRIBUTIONS] for m in markets])
    width = 0.8 / len(markets)
    for i, m in enumerate(markets):
        axes[1].bar(np.arange(len(DISTRIBUTIONS)) + i * width, ks[i], width, label=m)
    axes[1].set_xticks(np.arange(len(DISTRIBUTIONS)) + 0.4 - width / 2, list(DISTRIBUTIONS), rotation=20)
    axes[1].set(title="stylized facts: KS to real", ylabel="KS statistic")
    axes[1].legend(fontsize=8)
    for m in markets:
        imbalance = np.asarray(report["markets"][m]["causal_imbalance"])
        axes[2].hist(imbalance, bins=20, range=(-1, 1), histtype="step", label=m)
    axes[2].set(title="buy/sell imbalance per episode", xlabel="(buy - sell) / volume")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, out / "realism_summary.png"))

    if report.get("impact"):
        fig, ax = plt.subplots(figsize=(6, 4))
        rates = report["impact_rates"]
        for name, curve in report["impact"].items():
            ax.errorbar(rates, curve["mean_bps"], yerr=curve["se_bps"], marker="o", capsize=3, label=name)
        ax.set(xlabel="POV participation rate", ylabel="price impact (bp)", title="impact of a POV buyer")
        ax.legend()
        fig.tight_layout()
        written.append(_save(fig, out / "impact_curves.png"))

    written.append(plot_distributions(pools, out / "facts_distributions.png"))
    return written


def plot_distributions(pools: dict[str, dict[str, np.ndarray]], path: str | Path) -> Path:
    """The complementary CDF of every facts distribution, one line per market (pools of samples)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DISTRIBUTIONS), figsize=(3.2 * len(DISTRIBUTIONS), 3.4))
    for ax, name in zip(axes, DISTRIBUTIONS, strict=True):
        for market, pool in pools.items():
            x = np.sort(pool[name][np.isfinite(pool[name])])
            if x.size:
                ax.plot(x, 1.0 - np.arange(x.size) / x.size, label=market)
        ax.set(title=name, xlabel=DISTRIBUTIONS[name], ylabel="P(X ≥ x)")
        if name != "return_10s_bp":
            ax.set_xscale("symlog")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, Path(path))


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
