"""Gymnasium environments of intags-env (registered on ``import intags_env``), their shared session and
the ``TradingAgent`` protocol."""

from .background import Background, make_background
from .execution import ExecutionEnv
from .protocol import Fill, MarketView, Order, TradingAgent
from .session import Account, TradingSession

__all__ = [
    "Account",
    "Background",
    "ExecutionEnv",
    "Fill",
    "MarketView",
    "Order",
    "TradingAgent",
    "TradingSession",
    "make_background",
]
