"""Local time, bank days and public holidays: when a message may go out and when a deadline ends.

Quiet hours and deadlines are about the debtor's local day, so every computation here converts
through the customer's IANA time zone. Holiday calendars are computed, not downloaded, so the
core stays pure and deterministic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from engine.guardrails.pack import QuietHours
from schemas.enums import Channel

_MAX_SHIFT_DAYS = 30


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month; n = -1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _swedish(year: int) -> set[date]:
    easter = easter_sunday(year)
    midsummer_eve = date(year, 6, 19) + timedelta(days=(4 - date(year, 6, 19).weekday()) % 7)
    return {
        date(year, 1, 1),
        date(year, 1, 6),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(year, 5, 1),
        easter + timedelta(days=39),
        date(year, 6, 6),
        midsummer_eve,
        date(year, 12, 24),
        date(year, 12, 25),
        date(year, 12, 26),
        date(year, 12, 31),
    }


def _us_federal(year: int) -> set[date]:
    """Federal Reserve holidays: a fixed-date holiday on a Sunday is observed on Monday (on a
    Saturday the banks stay open the Friday before, so nothing moves)."""
    fixed = {date(year, m, d) for m, d in ((1, 1), (6, 19), (7, 4), (11, 11), (12, 25))}
    observed = {d + timedelta(days=1) for d in fixed if d.weekday() == 6}
    mondays_and_thanksgiving = {
        _nth_weekday(year, 1, 0, 3),
        _nth_weekday(year, 2, 0, 3),
        _nth_weekday(year, 5, 0, -1),
        _nth_weekday(year, 9, 0, 1),
        _nth_weekday(year, 10, 0, 2),
        _nth_weekday(year, 11, 3, 4),
    }
    return fixed | observed | mondays_and_thanksgiving


_CALENDARS = {"SE": _swedish, "US": _us_federal, "NONE": lambda year: set()}


@lru_cache(maxsize=256)
def holidays(year: int, calendar: str) -> frozenset[date]:
    """Public holidays of ``calendar`` (``SE``, ``US`` or ``NONE``) in ``year``."""
    try:
        return frozenset(_CALENDARS[calendar](year))
    except KeyError:
        raise ValueError(f"unknown holiday calendar {calendar!r}") from None


def is_holiday(day: date, calendar: str) -> bool:
    """Whether ``day`` is a public holiday."""
    return day in holidays(day.year, calendar)


def is_bank_day(day: date, calendar: str) -> bool:
    """A weekday that is not a public holiday."""
    return day.weekday() < 5 and not is_holiday(day, calendar)


def add_bank_days(day: date, n: int, calendar: str) -> date:
    """The date ``n`` bank days after ``day`` (``day`` itself does not count)."""
    current = day
    while n > 0:
        current += timedelta(days=1)
        if is_bank_day(current, calendar):
            n -= 1
    return current


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A cached ``ZoneInfo``; the contract already validated the name."""
    return ZoneInfo(name)


@lru_cache(maxsize=1 << 16)
def local_date(at: datetime, tz: str) -> date:
    """The calendar day it is at ``at`` for someone in ``tz``.

    Cached: the scheduler asks again for the same instants (an invoice's last action) after
    every event of the customer, and a cache hit costs a quarter of the conversion.
    """
    return at.astimezone(zone(tz)).date()


@lru_cache(maxsize=1 << 14)
def local_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of local wall time ``at`` on ``day`` in ``tz``.

    Cached: decision points fall on few local days and times (the ladder's 06:00), asked
    for after every event; a hit costs an eighth of the conversion. The result is immutable.
    """
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def start_of_next_day(day: date, tz: str) -> datetime:
    """Local midnight after ``day``: when a hold that lasts 'until ``day``' ends."""
    return local_instant(day + timedelta(days=1), time(0, 0), tz)


def earliest_send(
    at: datetime, tz: str, channel: Channel | None, quiet: QuietHours, calendar: str
) -> datetime:
    """The first instant at or after ``at`` when ``channel`` may reach someone in ``tz``.

    Inside the contact window on an allowed day the answer is ``at`` itself; otherwise the
    start of the next allowed window. Channels listed for weekends or holidays skip those days.
    """
    if channel is None:
        return at
    local = at.astimezone(zone(tz))
    day = local.date()
    for _ in range(_MAX_SHIFT_DAYS):
        blocked_day = (day.weekday() >= 5 and channel in quiet.weekend_channels) or (
            channel in quiet.holiday_channels and is_holiday(day, calendar)
        )
        if not blocked_day:
            start = local_instant(day, quiet.start, tz)
            end = local_instant(day, quiet.end, tz)
            if at < end:
                return max(at, start)
        day += timedelta(days=1)
    raise ValueError(f"no contact window within {_MAX_SHIFT_DAYS} days for {channel}")
