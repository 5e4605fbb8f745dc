"""intags-env: a Numba limit-order-book market for reinforcement learning, and INTAGS.

``import intags_env`` stays light (no torch, no Numba compilation): it registers the Gymnasium ids
(``intags_env/Execution-v0``, ``intags_env/MarketMaking-v0``, ``intags_env/Trading-v0``); the exchange,
the background world and the environments load on first use.
"""

from ._numba_cache import configure_numba_cache
from .registration import register_environments

configure_numba_cache()  # before any kernel module is imported

__version__ = "0.1.0"

register_environments()
