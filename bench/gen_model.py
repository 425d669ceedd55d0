"""The synthetic world of the benchmark log generator (:mod:`bench.gen_log`): its tunable
shares and prices, time helpers, and the customer and stats records.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

HOUR = 3_600_000
DAY = 24 * HOUR
MINUTE = 60_000

PRICES = (9900, 14900, 19900, 24900, 29900, 39900, 59900, 89900, 149900, 249900)
ZONES = (
    ("Europe/Stockholm", 0.88),
    ("Europe/Helsinki", 0.04),
    ("Europe/Oslo", 0.03),
    ("Europe/London", 0.03),
    ("America/New_York", 0.02),
)
LANGS = {"Europe/Helsinki": "fi", "Europe/Oslo": "nb", "Europe/London": "en-GB"}
METHOD_SETS = (
    (["swish", "card", "bank_giro"], 0.55),
    (["swish", "card"], 0.2),
    (["card", "bank_giro"], 0.15),
    (["bank_giro"], 0.1),
)
CHANNEL_SETS = (
    (["email", "sms", "digital_mailbox"], 0.35),
    (["email", "sms", "letter"], 0.25),
    (["email", "letter"], 0.15),
    (["email", "sms"], 0.12),
    (["digital_mailbox", "letter"], 0.08),
    (["phone", "letter"], 0.05),
)
FIRST_REMINDER_CHANNELS = ("email", "sms", "digital_mailbox", "letter")
RISK_TIERS = ((0.93, 0.70), (0.62, 0.25), (0.35, 0.05))  # (p on time, share of customers)
# How a not-on-time invoice goes, relative weights (they sum to 1).
LATE_OUTCOMES = (
    ("after_reminder", 0.50),
    ("after_second", 0.125),
    ("partial", 0.125),
    ("credit_note", 0.05),
    ("dispute", 0.05),
    ("pause", 0.04),
    ("promise", 0.05),
    ("plan", 0.025),
    ("never", 0.035),
)
CHURN_PER_MONTH = 0.004
ERASE_SHARE = 0.5
UPDATE_PER_MONTH = 0.03
DIRECT_DEBIT_SHARE = 0.15
REVERSAL_SHARE = 0.02


def pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]) -> object:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def iso(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def local_ms(day: date, at: dtime, tz: str) -> int:
    return to_ms(datetime.combine(day, at, tzinfo=ZoneInfo(tz)))


def month_start(start: date, k: int) -> date:
    y, m = divmod(start.month - 1 + k, 12)
    return date(start.year + y, m + 1, 1)


@dataclass
class Customer:
    """What the generator remembers about one synthetic customer."""

    cid: str
    tz: str
    channels: list[str]
    methods: list[str]
    p_on_time: float
    direct_debit: bool
    price: int
    fee_agreed: bool
    business: bool
    seq: int = 0
    churned_ms: int | None = None
    erased_ms: int | None = None
    opted_out: set[str] = field(default_factory=set)


@dataclass
class Stats:
    """Counts the generator reports (scenarios, types)."""

    scenarios: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    bumped: int = 0
    dropped_after_erase: int = 0
    bytes: int = 0


def rng_jitter(rng: random.Random) -> int:
    """A notifier is never exactly on time: 0-15 minutes late."""
    return rng.randrange(15 * MINUTE)
