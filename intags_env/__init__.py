"""intags-env: a Numba limit-order-book market for reinforcement learning, and INTAGS.

``import intags_env`` stays light (no torch): the exchange, the background world and the environments.
"""

__version__ = "0.1.0"
