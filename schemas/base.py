"""The envelope every inbound event shares, and the field types reused across the contract.

Every model is frozen (events are facts; nobody edits a fact) and forbids unknown fields, so a
producer's typo is an error instead of a silently ignored field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

SCHEMA_VERSION: Literal[1] = 1
"""The version of the wire contract this code reads and writes."""


def _to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC so equal instants serialise identically."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


def _iso_text(value: object) -> object:
    """Refuse numbers for dates and times: pydantic would read 20260901 as a Unix timestamp."""
    if type(value) is str and value[:1].isdigit() and "-" in value:
        return value  # the usual ISO text: a dash after a leading digit, so never a number
    numeric = isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    if isinstance(value, (int, float)) or numeric:
        raise ValueError("expected an ISO 8601 string, not a number")
    return value


def _known_zone(value: str) -> str:
    """Reject time zones the IANA database does not know; quiet hours depend on them."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_to_utc)]
"""A timezone-aware instant, stored in UTC. Naive datetimes and numbers are refused."""

IsoDate = Annotated[date, BeforeValidator(_iso_text)]
"""A calendar date written as ``YYYY-MM-DD``; numbers are refused."""

Flag = StrictBool
"""A JSON boolean; ``"yes"``, ``0`` and ``"false"`` are refused."""

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/#-]+$")
]
"""An opaque identifier. Restricted characters keep ids safe in keys, logs and references."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 alphabetic currency code."""

PositiveMinor = Annotated[int, Field(gt=0, le=10**13, strict=True)]
"""A strictly positive amount in minor units (öre, cents). Floats are refused."""

TimeZone = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name such as ``Europe/Stockholm``."""

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
"""A language tag: ISO 639 code with an optional region (``sv``, ``en-GB``)."""


class Frozen(BaseModel):
    """Base of every contract model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class EventBase(Frozen):
    """The envelope: what every event says about itself.

    ``event_id`` is the producer's idempotency key: the engine ignores a second event with the
    same id. ``customer_id`` is the Kafka key, so one customer's events stay in order.
    """

    event_id: Id
    occurred_at: UtcDatetime
    customer_id: Id
    schema_version: Literal[1] = SCHEMA_VERSION
    source: Annotated[str, StringConstraints(min_length=1, max_length=64)]
