"""The world's calendar: local wall time to UTC instants, and the paydays money arrives on.

The simulator keeps its own small calendar instead of borrowing the engine's (``sim`` never
imports ``engine``). Swedish salaries are paid on the 25th, or the last weekday before it when
the 25th falls on a weekend; a liquidity-constrained customer can pay only from then on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A cached time zone."""
    return ZoneInfo(name)


def local_at(day: date, hours: float, tz: str) -> datetime:
    """The UTC instant ``hours`` (fractional) after local midnight of ``day``, whole seconds.

    >>> local_at(date(2026, 1, 31), 6.5, "Europe/Stockholm").isoformat()
    '2026-01-31T05:30:00+00:00'
    """
    seconds = round(hours * 3600)
    midnight = datetime.combine(day, time(0), tzinfo=zone(tz))
    return (midnight + timedelta(seconds=seconds)).astimezone(UTC)


def local_day(at: datetime, tz: str) -> date:
    """The calendar day it is at ``at`` for someone in ``tz``."""
    return at.astimezone(zone(tz)).date()


def payday(year: int, month: int, day: int = 25) -> date:
    """Salary day of a month: ``day``, moved back to Friday when it falls on a weekend.

    >>> payday(2026, 1)   # a Sunday
    datetime.date(2026, 1, 23)
    """
    paid = date(year, month, day)
    while paid.weekday() >= 5:
        paid -= DAY
    return paid


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def payday_on_or_before(day: date, payday_of_month: int = 25) -> date:
    """The last payday no later than ``day``."""
    year, month = day.year, day.month
    while True:
        paid = payday(year, month, payday_of_month)
        if paid <= day:
            return paid
        year, month = _month_add(year, month, -1)


def payday_after(day: date, n: int = 1, payday_of_month: int = 25) -> date:
    """The ``n``-th payday strictly after ``day`` (``n=0``: the last one on or before it).

    >>> payday_after(date(2026, 1, 31))
    datetime.date(2026, 2, 25)
    """
    last = payday_on_or_before(day, payday_of_month)
    year, month = _month_add(last.year, last.month, n)
    return payday(year, month, payday_of_month)


def days_between(earlier: datetime, later: datetime) -> float:
    """Elapsed days, fractional."""
    return (later - earlier).total_seconds() / 86400.0


def month_start(start: date, month: int) -> date:
    """The 1st of the ``month``-th month after ``start``'s month."""
    year, mon = _month_add(start.year, start.month, month)
    return date(year, mon, 1)


def start_of_day_utc(day: date) -> datetime:
    """Midnight UTC of ``day`` (a neutral anchor for day-based series)."""
    return datetime.combine(day, time(0), tzinfo=UTC)
