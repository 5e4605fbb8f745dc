"""``intags``: the command line.

``intags simulate --preset rmsc04 --seed 0 --out DIR``  simulate a session; write LOBSTER files, the
stylized-facts report (JSON + markdown) and plots.
``intags facts PATH [--compare PATH]``  print the stylized facts of one or two datasets side by side
(a LOBSTER zip, directory or message CSV).
``intags bench ENV_ID --agents "twap,pov(participation=0.2),random_actions,model.zip" --seeds 20``  a
leaderboard on common seeds.
``intags distance --real rmsc04 --synthetic PRESET --episodes N``  INTAGS distances with p-values and the
real-vs-real floor.
``intags train``, ``intags train-cwgan``  train world agents (the INTAGS generator, the cWGAN baseline).
``intags realism``  the realism benchmark: generators vs the real market on causal feedback, facts, impact.
``intags calibrate --data LOBSTER_PATH``  fit the agent-based background to a recorded day.
``intags --version``  the installed version.

Every option's help says its default (``intags COMMAND --help``). Other packages add commands through
the ``intags_env.commands`` entry-point group (a function that adds its sub-parser), as ``intags_agents``
adds ``train-cwgan``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .envs.arguments import positive_int
from .generator.cli import add_train_parser
from .realism.cli import add_realism_parser

__all__ = ["COMMANDS", "main"]

#: Entry-point group of commands from other packages: ``name = "module:add_parser"``, where
#: ``add_parser(subparsers)`` adds the command's sub-parser with its handler as ``func``.
COMMANDS = "intags_env.commands"


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every command's help format: an option's help ends with its default, unless the default says
    nothing (None, an off switch, an empty list; the help then says in words what happens without the
    option) or the help already names it; descriptions keep their paragraphs."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        silent = default is None or default is False or default is argparse.SUPPRESS or default == []
        if silent or "default" in text or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
        fill = super()._fill_text  # (a bare super() does not work inside the generator below)
        return "\n\n".join(fill(p, width, indent) for p in paragraphs)


class _Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with :class:`HelpFormatter`, for ``intags`` and its subcommands."""

    def __init__(self, *args: Any, formatter_class: type = HelpFormatter, **kwargs: Any) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def _version() -> str:
    """The installed distribution's version; the package's own where it is not installed (a source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("intags-env")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def _json_object(text: str) -> dict[str, Any]:
    """argparse type of a JSON object of arguments; argparse names the option in its error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err}): {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object of argument names and values, got {text}")
    return value


def _simulate(args: argparse.Namespace) -> int:
    from .data import write_lobster
    from .metrics import facts_report, facts_to_json, plot_facts, stylized_facts
    from .metrics.pov import pov_impact
    from .world import resolve_config, simulate

    config = resolve_config(args.preset, args.start, args.end)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = simulate(config, seed=args.seed, progress=not args.quiet)
    wall = time.perf_counter() - t0
    record = result.lobster if args.levels is None else result.level_view(args.levels)
    message_path, book_path = write_lobster(record, out)
    facts = stylized_facts(record)
    impact = pov_impact(config, seed=args.seed, participation=args.pov)
    facts[f"pov_impact_bps_{args.pov:g}"] = impact.final_bps
    facts["wall_s"] = wall
    facts_to_json(facts, out / "facts.json")
    table = facts_report(facts, names=(f"{config.name} seed {args.seed}",))
    (out / "facts.md").write_text(table)
    plots = [] if args.no_plots else plot_facts({config.name: record}, out / "plots")
    print(table)
    print(f"{len(result):,} messages ({result.n_exchange_messages:,} sent to the exchange) in {wall:.2f} s")
    if args.levels is not None:
        print(f"written: the level-{args.levels} view, {len(record):,} messages (those touching its levels)")
    print(
        f"wrote {message_path.name}, {book_path.name}, facts.json, facts.md"
        + (f" and {len(plots)} plots" if plots else "")
        + f" to {out}"
    )
    return 0


def _load(path: str):
    from .data import read_lobster

    return read_lobster(path)


def _facts(args: argparse.Namespace) -> int:
    from .data.views import top_levels_view
    from .metrics import facts_report, stylized_facts

    first_data = _load(args.path)
    if args.compare is None:
        if args.levels is not None:
            first_data = top_levels_view(first_data, args.levels)
        first = stylized_facts(first_data)
        print(facts_report(first, names=(Path(args.path).name,)))
        if args.json:
            print(json.dumps(first))
        return 0
    second_data = _load(args.compare)
    levels = args.levels or min(first_data.levels, second_data.levels)
    views = [top_levels_view(d, levels) for d in (first_data, second_data)]
    names = (Path(args.path).name, Path(args.compare).name)
    first, second = (stylized_facts(v) for v in views)
    print(facts_report(first, second, names=names))
    print(_views_note(levels, names, (first_data, second_data), views))
    return 0


def _views_note(levels: int, names: tuple[str, str], records: tuple, views: list) -> str:
    """What ``facts --compare`` compared: both records at one depth of view, and what that dropped."""
    parts = [
        f"{name}: {len(view):,} of {len(record):,} messages ({record.levels}-level record)"
        for name, record, view in zip(names, records, views)
    ]
    return (
        f"compared like with like: both as a {levels}-level LOBSTER file holds them (the messages touching "
        f"the first {levels} levels, and every execution); " + "; ".join(parts)
    )


def _bench(args: argparse.Namespace) -> int:
    import intags_env  # noqa: F401  (registers the ids)

    from .bench import benchmark, check_env_kwargs, leaderboard_table, resolve_env_id, split_contestants

    env_id = resolve_env_id(args.env_id)  # "Execution-v0" is taken for "intags_env/Execution-v0"
    env_kwargs = args.env_kwargs or {}
    check_env_kwargs(env_id, env_kwargs, option="--env-kwargs")
    try:
        contestants = split_contestants(args.agents)
    except ValueError as err:
        raise ValueError(f"--agents: {err}") from None
    board, _ = benchmark(
        env_id,
        contestants,
        args.seeds,
        env_kwargs,
        out_dir=args.out,
        progress=not args.quiet,
    )
    print(leaderboard_table(board))
    print(f"wrote bench.json and rewards.png to {args.out}")
    return 0


def _market(spec: str):
    """A preset name, or a path to a JSON ``WorldConfig`` (``WorldConfig.to_dict`` form)."""
    from .world import WorldConfig

    path = Path(spec)
    if spec.endswith(".json") and path.exists():
        return WorldConfig.from_dict(json.loads(path.read_text()))
    return spec


def _distance(args: argparse.Namespace) -> int:
    import numpy as np

    from .intags.distances import energy_distance, mmd2, permutation_test, sliced_wasserstein, wasserstein1
    from .intags.experiment import ConfoundedTrader, collect_feedback

    if args.synthetic.endswith((".zip", ".pt")) and not Path(args.synthetic).is_file():
        raise FileNotFoundError(f"--synthetic: no trained generator at {args.synthetic}")
    trader = ConfoundedTrader(alpha=0.0, beta=args.beta, size=args.size, interval_s=args.interval)
    n = args.episodes
    common = {
        "horizons": args.horizons,
        "workers": args.workers,
        "cache_dir": args.cache,
        "progress": not args.quiet,
    }
    if args.synthetic.endswith((".zip", ".pt")):  # a trained generator: compare in its session window
        from .generator.env import real_feedback
        from .generator.evaluate import generator_feedback

        synthetic, window = generator_feedback(
            args.synthetic, trader, range(n, 2 * n), args.horizons, args.workers, not args.quiet
        )
        synthetic = synthetic[np.isfinite(synthetic).all(axis=1)]
        span = {
            "start": window["start"],
            "end": window["end"],
            "trader": trader,
            "horizons": args.horizons,
            "episodes": n,
            "workers": args.workers,
            "cache_dir": args.cache,
            "progress": not args.quiet,
        }
        real = real_feedback(_market(args.real), **span)
        floor = real_feedback(_market(args.real), first_seed=2 * n, **span)
    else:
        real = collect_feedback(_market(args.real), trader, range(n), **common)
        synthetic = collect_feedback(_market(args.synthetic), trader, range(n, 2 * n), **common)
        floor = collect_feedback(_market(args.real), trader, range(2 * n, 3 * n), **common)
    print(
        f"causal feedback (IPW effect of the experimental trade on the mid, horizons 1..{args.horizons}), "
        f"{n} episodes per side"
    )
    print(f"{'comparison':<28}{'MMD^2':>12}{'p':>8}{'energy':>12}{'p':>8}{'W1 (mean)':>12}{'sliced W1':>12}")
    for label, other in ((f"real vs {args.synthetic}", synthetic), ("real vs real (floor)", floor)):
        m, pm = permutation_test(real, other, mmd2, n_permutations=args.permutations, seed=0)
        e, pe = permutation_test(real, other, energy_distance, n_permutations=args.permutations, seed=0)
        w = float(np.mean(wasserstein1(real, other)))
        sw = sliced_wasserstein(real, other)
        print(f"{label:<28}{m:>12.3e}{pm:>8.3f}{e:>12.3e}{pe:>8.3f}{w:>12.3e}{sw:>12.3e}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``intags`` parser: each subcommand with its options, their help and defaults."""
    parser = _Parser(prog="intags", description="intags-env: LOB market simulation and INTAGS")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_simulate(sub)
    _add_facts(sub)
    _add_bench(sub)
    _add_distance(sub)
    add_train_parser(sub)
    add_realism_parser(sub)

    from .calibration.cli import add_calibrate_parser
    from .realism.impact_cli import add_impact_parser

    add_calibrate_parser(sub)
    add_impact_parser(sub)
    for command in entry_points(group=COMMANDS):  # e.g. intags_agents' train-cwgan
        try:
            add_parser = command.load()
        except ImportError:  # its package is not installed (a partial install): no such command
            continue
        add_parser(sub)
    return parser


def _add_simulate(sub: Any) -> None:
    """``intags simulate``: the preset choices are the preset registry's, so a new preset is offered."""
    from .world.presets import PRESETS

    sim = sub.add_parser("simulate", help="simulate a background market and report its stylized facts")
    sim.add_argument("--preset", default="rmsc04", choices=sorted(PRESETS), help="world preset")
    sim.add_argument("--seed", type=int, default=0, help="random seed of the session")
    sim.add_argument("--start", default=None, help="session start, e.g. 09:30 (default: the preset's)")
    sim.add_argument("--end", default=None, help="session end, e.g. 16:00 (default: the preset's)")
    sim.add_argument("--out", default="out/simulation", help="output directory")
    sim.add_argument(
        "--pov", type=float, default=0.1, help="participation of the POV trader for the impact fact"
    )
    sim.add_argument("--no-plots", action="store_true", help="do not write the stylized-facts plots")
    sim.add_argument(
        "--levels",
        type=positive_int,
        default=None,
        help="write the LOBSTER level-L view (the messages touching the first L levels, every execution), "
        "as a real L-level file holds it (default: every message, the recorded depth)",
    )
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_simulate)


def _add_facts(sub: Any) -> None:
    """``intags facts``."""
    facts = sub.add_parser("facts", help="stylized facts of a LOBSTER dataset, optionally against another")
    facts.add_argument("path", help="LOBSTER zip, directory or message CSV")
    facts.add_argument("--compare", default=None, help="a second dataset to put side by side (default: none)")
    facts.add_argument("--json", action="store_true", help="also print the facts as one JSON line")
    facts.add_argument(
        "--levels",
        type=positive_int,
        default=None,
        help="measure the level-L view; with --compare both records are always viewed at one depth "
        "(default: the shallower record's levels)",
    )
    facts.set_defaults(func=_facts)


def _add_bench(sub: Any) -> None:
    """``intags bench``: the help lists the registered agents and how to pass them arguments."""
    from .bench import AGENT_ARGUMENTS_SYNTAX, OTHER_CONTESTANTS
    from .envs.registry import available_agents

    bench = sub.add_parser("bench", help="benchmark policies on the same seeds of an environment")
    bench.add_argument("env_id", help="e.g. intags_env/Execution-v0 (or Execution-v0)")
    bench.add_argument(
        "--agents",
        default="twap,pov,random_actions",
        help=f"comma-separated contestants: registered trading agents "
        f"({', '.join(sorted(available_agents()))}), with arguments as {AGENT_ARGUMENTS_SYNTAX}; "
        f"{OTHER_CONTESTANTS}",
    )
    bench.add_argument(
        "--seeds", type=positive_int, default=20, help="episodes per agent, on seeds 0..N-1 for every agent"
    )
    bench.add_argument(
        "--env-kwargs",
        type=_json_object,
        default=None,
        help="JSON of environment arguments, e.g. '{\"quantity\": 1000}' (default: the environment's)",
    )
    bench.add_argument("--out", default="out/bench", help="output directory (bench.json, rewards.png)")
    bench.add_argument("--quiet", action="store_true", help="no progress bar")
    bench.set_defaults(func=_bench)


def _add_distance(sub: Any) -> None:
    """``intags distance``."""
    dist = sub.add_parser(
        "distance", help="INTAGS distance between two markets (causal feedback MMD, ED, W1)"
    )
    dist.add_argument("--real", default="rmsc04", help="preset name or WorldConfig JSON path")
    dist.add_argument(
        "--synthetic",
        required=True,
        help="preset name, WorldConfig JSON path or a trained generator (.zip, cWGAN .pt)",
    )
    dist.add_argument("--episodes", type=positive_int, default=50, help="episodes per side")
    dist.add_argument(
        "--horizons", type=positive_int, default=5, help="feedback horizons (decisions after a trade)"
    )
    dist.add_argument(
        "--beta", type=float, default=1.0, help="confounding strength of the experimental trader"
    )
    dist.add_argument("--size", type=int, default=100, help="experimental trade size (shares)")
    dist.add_argument("--interval", type=float, default=10.0, help="experimental decision interval (s)")
    dist.add_argument(
        "--permutations", type=positive_int, default=500, help="permutations of each test's p-value"
    )
    dist.add_argument("--workers", type=positive_int, default=2, help="worker processes")
    dist.add_argument("--cache", default=None, help="directory caching feedback sets (default: no cache)")
    dist.add_argument("--quiet", action="store_true", help="no progress bar")
    dist.set_defaults(func=_distance)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, KeyError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err  # str(KeyError) quotes
        print(f"intags {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
