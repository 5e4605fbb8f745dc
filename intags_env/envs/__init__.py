"""Gymnasium environments of intags-env (registered on ``import intags_env``), their shared session and
the ``TradingAgent`` protocol."""

from .background import Background, make_background
from .execution import ExecutionEnv
from .market_making import MarketMakingEnv
from .protocol import Fill, MarketView, Order, TradingAgent
from .session import Account, TradingSession
from .trading import TradingEnv

__all__ = [
    "Account",
    "Background",
    "ExecutionEnv",
    "Fill",
    "MarketMakingEnv",
    "MarketView",
    "Order",
    "TradingAgent",
    "TradingEnv",
    "TradingSession",
    "make_background",
]
