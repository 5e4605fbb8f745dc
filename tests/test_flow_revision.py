"""The order-flow revision of the fundamental (OracleConfig.flow_*): known values, decay, defaults."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import numpy as np
import pytest

from intags_env.world import ConfigError, World, resolve_config
from intags_env.world.layout import (
    N_WS,
    TRADE_DTYPE,
    W_FLOW_SEEN,
    W_FLOW_T,
    W_N_TRADES,
    WF_FLOW_PERMANENT,
    WF_FLOW_TRANSIENT,
)
from intags_env.world.oracle import flow_revision
from intags_env.world.simulate import simulate
from intags_env.world.state import _world_floats

S = 1_000_000_000


def trades_of(rows: list[tuple[int, int, int, int]]) -> np.ndarray:
    """(time s, qty, aggressor side, taker id) rows as a trade log."""
    out = np.zeros(len(rows), TRADE_DTYPE)
    for i, (t, qty, side, taker) in enumerate(rows):
        out[i]["time"], out[i]["qty"], out[i]["side"], out[i]["taker_id"] = t * S, qty, side, taker
    return out


def state(**oracle) -> tuple[np.ndarray, np.ndarray]:
    config = resolve_config("rmsc04")
    config = replace(config, oracle=replace(config.oracle, **oracle))
    ws = np.zeros(N_WS, np.int64)
    ws[W_FLOW_T] = 0
    return ws, _world_floats(config)


def test_an_aggressive_order_revises_by_its_concave_size_and_the_transient_part_decays() -> None:
    ws, wf = state(flow_impact=2.0, flow_exponent=0.5, flow_memory_s=10.0, flow_permanent=0.25)
    # one buy order filled in two trades (taker 7: 100 + 300 shares), then a sell of 100 (taker 8)
    trades = trades_of([(1, 100, 1, 7), (1, 300, 1, 7), (5, 100, -1, 8)])
    ws[W_N_TRADES] = 3
    at_5 = flow_revision(ws, wf, trades, 5 * S)
    buy, sell = 2.0 * math.sqrt(400 / 100), -2.0  # 4 cents up, 2 down
    transient = 0.75 * buy * math.exp(-4 / 10) + 0.75 * sell
    assert at_5 == pytest.approx(0.25 * (buy + sell) + transient)
    assert ws[W_FLOW_SEEN] == 3
    at_25 = flow_revision(ws, wf, trades, 25 * S)  # nothing new: the transient part decays, the rest stays
    assert at_25 == pytest.approx(0.25 * (buy + sell) + transient * math.exp(-20 / 10))
    assert wf[WF_FLOW_PERMANENT] == pytest.approx(0.25 * (buy + sell))
    assert wf[WF_FLOW_TRANSIENT] == pytest.approx(transient * math.exp(-2.0))


def test_without_memory_every_revision_stays_and_the_default_is_none() -> None:
    ws, wf = state(flow_impact=1.0, flow_exponent=1.0, flow_permanent=0.5)
    ws[W_N_TRADES] = 1
    assert flow_revision(ws, wf, trades_of([(1, 250, 1, 3)]), 1_000 * S) == pytest.approx(2.5)
    ws, wf = state()
    ws[W_N_TRADES] = 1
    assert flow_revision(ws, wf, trades_of([(1, 250, 1, 3)]), 2 * S) == 0.0
    assert ws[W_FLOW_SEEN] == 0  # the default reads nothing


def test_a_market_with_flow_revision_runs_and_bad_settings_are_named() -> None:
    base = resolve_config("rmsc04")
    flows = replace(
        base, oracle=replace(base.oracle, flow_impact=3.0, flow_memory_s=60.0, flow_permanent=0.5)
    )
    world = World(flows)
    world.reset(2)
    world.run_until(flows.start_ns + 600 * S)
    assert world.n_trades > 100
    assert np.isfinite(world.arrays.wf[WF_FLOW_PERMANENT]) and world.arrays.wf[WF_FLOW_PERMANENT] != 0.0
    for field, value, message in (
        ("flow_impact", -1.0, "oracle.flow_impact"),
        ("flow_exponent", 1.5, "oracle.flow_exponent"),
        ("flow_memory_s", 0.0, "oracle.flow_memory_s"),
        ("flow_permanent", 2.0, "oracle.flow_permanent"),
    ):
        with pytest.raises(ConfigError, match=message):
            replace(base.oracle, **{field: value})


@pytest.mark.parametrize(
    ("preset", "end", "messages", "trades"),
    [
        ("rmsc04", None, "329c61025d186187", "ee7521f8857db2b6"),
        ("amzn", "10:00", "7103700fa3effc69", "27d28517a7422a64"),
    ],
)
def test_the_presets_are_byte_identical_to_before_the_flow_option(preset, end, messages, trades) -> None:
    """Hashes of seed 3's messages and trades, taken before the option existed (commit 19b6322)."""
    result = simulate(preset, 3, end=end)
    assert hashlib.sha256(result.lobster.messages.tobytes()).hexdigest()[:16] == messages
    assert hashlib.sha256(result.trades.tobytes()).hexdigest()[:16] == trades
