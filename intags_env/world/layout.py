"""Column and index constants of the world's arrays, and the record dtypes.

The world's state is a handful of preallocated arrays (see ``WorldArrays`` in ``state.py``); these
constants name their columns so the Numba kernels and the Python side agree.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class AgentType(IntEnum):
    NOISE = 0
    VALUE = 1
    MARKET_MAKER = 2
    MOMENTUM = 3
    EXTERNAL = 4  # a participant driven from Python (a learner or a plug-in TradingAgent)


class WorldStatus(IntEnum):
    """Return codes of ``run_until``."""

    OK = 0
    RECORD_FULL = 1  # the record buffers need to grow; call again after growing them
    ORDER_CAPACITY = 2
    PRICE_OUT_OF_RANGE = 3
    QUEUE_FULL = 4
    OPEN_ORDERS_FULL = 5


# ws: world integer scalars
W_CLOCK = 0
W_SEQ = 1  # tie-breaker of the event queue (insertion order)
W_HEAP_N = 2
W_START = 3
W_END = 4
W_N_REC = 5  # rows in the message/book record
W_N_TRADES = 6
W_STATUS_AGENT = 7  # agent involved in the last error status
W_N_AGENTS = 8
W_PEND_FREE = 9  # head of the free list of pending-message slots
W_ORACLE_T = 10  # time the fundamental was last advanced to
W_NEXT_SHOCK = 11  # time of the next megashock
W_MIN_PRICE = 12  # cents of tick 0
W_REC_LEVELS = 13
W_N_MESSAGES = 14  # messages sent to the exchange (including rejected ones)
W_N_REJECTED = 15
W_MM_FIRST = 16  # market makers occupy agent indices [W_MM_FIRST, W_MM_FIRST + W_MM_COUNT)
W_MM_COUNT = 17
W_N_SKIPPED_ORDERS = 18  # background orders not sent because their price is off the book's grid
W_FLOW_SEEN = 19  # trades the order-flow revision of the fundamental has read
W_FLOW_T = 20  # time the transient part of that revision was last decayed to
N_WS = 21

# wf: world float scalars
WF_FUNDAMENTAL = 0  # cents, at time W_ORACLE_T
WF_R_BAR = 1
WF_KAPPA = 2
WF_FUND_VOL = 3
WF_SHOCK_RATE = 4
WF_SHOCK_MEAN = 5
WF_SHOCK_VAR = 6
WF_SIZE_LN_WEIGHT = 7  # order-size mixture: log-normal weight (normalised)
WF_SIZE_MU = 8
WF_SIZE_SIGMA = 9
WF_SIZE_LOT = 10
WF_SIZE_N_LOTS = 11
WF_SIZE_CUM = 12  # 16 slots: cumulative normalised weights of round lots 1..16
WF_IMB_THRESHOLD = 28  # market makers' book-imbalance trigger
WF_FLOW_IMPACT = 29  # cents of revision per aggressive order of 100 shares (0: no revision)
WF_FLOW_EXPONENT = 30
WF_FLOW_RATE = 31  # decay rate of the transient part, per ns (0: none)
WF_FLOW_PERMANENT_SHARE = 32
WF_FLOW_PERMANENT = 33  # cents: the revision so far, the part that stays
WF_FLOW_TRANSIENT = 34  # cents: the part that decays
N_WF = 35

# ag_i: agent integer columns
A_TYPE = 0
A_LATENCY = 1  # ns, one way
A_N_OPEN = 2  # order ids listed in ag_orders
A_N_SEEN = 3  # momentum: mids recorded
A_MIN_SIZE = 4
A_MAX_SIZE = 5
A_NUM_TICKS = 6
A_SHORT = 7
A_LONG = 8
A_WINDOW = 9  # market maker: fixed window in ticks, or -1 for adaptive
A_LAST_MID = 10  # market maker: last known mid in ticks, -1 if none
A_POISSON = 11
A_LAST_WAKE = 12  # value: previous wake-up time, -1 before the first
A_BACKSTOP = 13
A_MM_SIZE = 14  # market maker: size per level of the last ladder
A_MM_VOL_BUY = 15  # market maker: volumes seen at the last cycle (for imbalance-triggered ladders)
A_MM_VOL_SELL = 16
A_IMB_ON = 17  # market maker: an imbalance event is in progress
A_IMB_SIDE = 18
A_REVIVE = 19
A_SIZE_MODEL = 20  # momentum: sizes from the order-size mixture
N_AI = 21

# ag_f: agent float columns
F_WAKE_MEAN = 0  # ns between wake-ups (mean if Poisson)
F_KAPPA = 1  # value: believed mean reversion per ns
F_SIGMA_N = 2  # value: observation noise variance
F_SIGMA_S = 3
F_R_T = 4  # value: current estimate of the fundamental (cents)
F_SIGMA_T = 5  # value: variance of that estimate
F_PCT_AGGR = 6
F_DEPTH_SPREAD = 7
F_POV = 8
F_LEVEL_SPACING = 9
F_SPREAD_ALPHA = 10
F_PRICE_SKEW = 11
F_SKEW_BETA = 12
F_LAST_SPREAD = 13  # market maker: EWMA of the spread (ticks)
F_SWEEP_MARGIN = 14  # value: forecast beyond the opposite touch by more ticks: trade up to it (inf: never)
N_AF = 15

# pend: pending (in-flight) messages, one row each, chained per delivery
P_KIND = 0
P_SIDE = 1
P_OWNER = 2
P_ORDER_ID = 3
P_PRICE = 4
P_QTY = 5
P_FLAGS = 6
P_NEXT = 7
N_PF = 8

# heap rows: (time, seq, payload); payload = index * 4 + what
H_TIME = 0
H_SEQ = 1
H_PAYLOAD = 2
WAKE = 0  # an agent's own wake-up (index = agent)
DELIVER = 1  # in-flight messages reach the exchange (index = head of a pending chain)
ACT = 2  # an agent's query reaches the exchange: it reads the book and decides (index = agent)
IMBALANCE = 3  # a market maker learns of a book-imbalance event (index = agent)

MAX_OPEN_ORDERS = 512  # open orders an agent keeps track of (cancel-all lists)

#: One row per book-changing message, in LOBSTER's convention (type 1 new resting order, 2 partial
#: cancel, 3 delete, 4 execution of a resting order), plus the owner of the order it concerns.
RECORD_DTYPE = np.dtype(
    [
        ("time", np.int64),
        ("type", np.int8),
        ("order_id", np.int64),
        ("size", np.int64),
        ("price", np.int64),  # LOBSTER units: dollars x 10,000
        ("direction", np.int8),
        ("owner", np.int32),
    ]
)

#: One row per trade.
TRADE_DTYPE = np.dtype(
    [
        ("time", np.int64),
        ("price", np.int64),  # cents
        ("qty", np.int64),
        ("side", np.int8),  # aggressor side
        ("maker_id", np.int64),
        ("taker_id", np.int64),
        ("maker_owner", np.int32),
        ("taker_owner", np.int32),
    ]
)

LOBSTER_PRICE_PER_CENT = 100
ASK_DUMMY = 9_999_999_999
BID_DUMMY = -9_999_999_999
