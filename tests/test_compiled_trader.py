"""The experimental trader's session in one Numba call (intags_env.intags.compiled_trader) against the
Python session: the same trajectory, log, trades and accounts, record buffers grown on the way."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pytest

from intags_env.envs.session import TradingSession
from intags_env.intags.compiled_trader import advance_with_trader, compiled_trader_applies
from intags_env.intags.experiment import ConfoundedTrader, advance_to_end, trajectory
from intags_env.world.config import NS_PER_SECOND

RETURN = ConfoundedTrader(beta=1.0, size=200, interval_s=10.0)
IMBALANCE = ConfoundedTrader(beta=2.0, size=300, interval_s=7.0, feature="imbalance", imbalance_scale=0.25)


def session_of(trader: ConfoundedTrader, seed: int, warmup_s: float = 300.0) -> TradingSession:
    session = TradingSession("rmsc04", n_learners=0, scripted=[trader])
    session.reset(seed, scripted_from=session.start_ns + int(warmup_s * NS_PER_SECOND))
    return session


@pytest.mark.parametrize(("trader", "seed", "tiny_records"), [(RETURN, 3, False), (IMBALANCE, 4, True)])
def test_the_compiled_session_is_the_python_session(trader, seed, tiny_records) -> None:
    compiled, python = session_of(copy.deepcopy(trader), seed), session_of(copy.deepcopy(trader), seed)
    n = 0
    if tiny_records:  # the kernel must stop, let the buffers grow and resume (many times here)
        a = compiled.world.arrays
        n = int(compiled.world.n_records) + 8
        m = int(compiled.world.n_trades) + 8
        compiled.world.arrays = a._replace(rec=a.rec[:n].copy(), rec_book=a.rec_book[:n].copy(),
                                           trades=a.trades[:m].copy())  # fmt: skip
    advance_with_trader(compiled)
    python.advance(python.end_ns)
    assert len(compiled.world.arrays.rec) > n
    ct, pt = compiled.scripted[0], python.scripted[0]
    assert ct.log == pt.log  # values and types (ints stay ints)
    assert len(ct.log["action"]) > 100 and 0 < np.mean(ct.log["action"]) < 1
    a, b = trajectory(ct, compiled.mid()), trajectory(pt, python.mid())
    for name in a.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(compiled.world.trades_since(0), python.world.trades_since(0))
    assert np.array_equal(compiled.world.records_since(0), python.world.records_since(0))
    assert compiled.clock == python.clock == python.end_ns
    assert compiled.accounts[0] == python.accounts[0]  # cash, inventory, fees, volume, fills
    assert compiled.accounts[0].traded > 0
    assert compiled._next_scripted == python._next_scripted
    assert (compiled._volume_mark, compiled._last_volume) == (python._volume_mark, python._last_volume)


def test_other_players_and_subclasses_run_in_python() -> None:
    @dataclass
    class Contrarian(ConfoundedTrader):
        def propensity(self, z: float) -> float:
            return 1.0 - super().propensity(z)

    assert compiled_trader_applies(session_of(copy.deepcopy(RETURN), 0))
    subclassed = session_of(Contrarian(), 0)
    assert not compiled_trader_applies(subclassed)
    with pytest.raises(ValueError, match="only player is a ConfoundedTrader"):
        advance_with_trader(subclassed)
    advance_to_end(subclassed)  # the Python path: the subclass's own propensity is the one logged
    log = subclassed.scripted[0].log
    assert np.allclose(log["propensity"], 1.0 - 1.0 / (1.0 + np.exp(-np.asarray(log["state"]))))
