"""Times for the test builders: ``at`` (UTC unless an offset is given), ``local`` (wall time
in a zone), ``day`` and the default moment of an event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.guardrails.calendar import zone

DEFAULT_AT = "2026-10-01T08:00"
"""When an event occurred if the test does not say (UTC)."""

Moment = str | datetime
Day = str | date


# --------------------------------------------------------------------------- time


def at(value: Moment) -> datetime:
    """An aware UTC datetime from ``"2026-10-05T06:00"`` (UTC unless an offset is given)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(value: Moment, tz: str = "Europe/Stockholm") -> datetime:
    """The UTC instant of local wall time ``value`` in ``tz`` (``value`` must be naive)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        raise ValueError("local() takes a naive wall-clock time")
    return moment.replace(tzinfo=zone(tz)).astimezone(UTC)


def day(value: Day) -> date:
    """A :class:`date` from ``"2026-09-30"`` (a date passes through)."""
    return value if isinstance(value, date) else date.fromisoformat(value)
