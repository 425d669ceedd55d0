"""The codec, valid input: every event round-trips byte-stably; times are normalised to UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from schemas.codec import (
    DecodeError,
    decode_event,
    encode_event,
)
from schemas.events import EVENT_TYPES, InvoiceIssued
from tests.unit.codec_samples import SAMPLES, TYPE_NAMES, sample, without

# --- round trip --------------------------------------------------------------------------------


def test_sample_table_covers_every_event_type() -> None:
    assert set(SAMPLES) == set(TYPE_NAMES)
    assert len(TYPE_NAMES) == len(EVENT_TYPES), "two event classes share a type literal"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_decodes_to_its_class(kind: str) -> None:
    event = decode_event(SAMPLES[kind])
    assert type(event) is TYPE_NAMES[kind]
    assert event.type == kind
    assert event.event_id == SAMPLES[kind]["event_id"]


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_round_trip(kind: str) -> None:
    event = decode_event(SAMPLES[kind])
    wire = encode_event(event)
    assert decode_event(wire) == event
    assert encode_event(decode_event(wire)) == wire


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_encode_is_byte_stable(kind: str) -> None:
    first = encode_event(decode_event(SAMPLES[kind]))
    second = encode_event(decode_event(SAMPLES[kind]))
    assert first == second
    assert isinstance(first, bytes)
    compact = json.dumps(json.loads(first), separators=(",", ":"), ensure_ascii=False)
    assert first == compact.encode(), "compact JSON, fields in declaration order"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_str_bytes_and_dict_decode_alike(kind: str) -> None:
    wire = encode_event(decode_event(SAMPLES[kind]))
    from_bytes = decode_event(wire)
    forms = [wire.decode("utf-8"), bytearray(wire), memoryview(wire), json.loads(wire)]
    for form in forms:
        assert decode_event(form) == from_bytes, type(form).__name__


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_encoded_sample_keeps_every_field(kind: str) -> None:
    """Nothing the producer sent is lost or renamed (dates as dates, ids as ids)."""
    encoded = json.loads(encode_event(decode_event(SAMPLES[kind])))
    assert encoded == SAMPLES[kind]


def test_defaults_are_filled_in_on_the_wire() -> None:
    raw = without("invoice_issued", "timezone", "debtor_kind", "reminder_fee_agreed")
    encoded = json.loads(encode_event(decode_event(raw)))
    assert encoded["timezone"] == "Europe/Stockholm"
    assert encoded["debtor_kind"] == "consumer"
    assert encoded["reminder_fee_agreed"] is False


def test_events_are_frozen() -> None:
    event = decode_event(SAMPLES["invoice_issued"])
    assert isinstance(event, InvoiceIssued)
    with pytest.raises(ValueError, match="frozen"):
        event.amount_minor = 1  # type: ignore[misc]


# --- times -------------------------------------------------------------------------------------


def test_offset_is_normalised_to_utc_and_serialised_with_z() -> None:
    event = decode_event(sample("customer_churned", occurred_at="2026-03-01T10:30:00+01:00"))
    assert event.occurred_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert json.loads(encode_event(event))["occurred_at"] == "2026-03-01T09:30:00Z"


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-03-01T09:30:00Z",
        "2026-03-01T09:30:00+00:00",
        "2026-03-01T10:30:00+01:00",
        "2026-03-01T04:00:00-05:30",
        "2026-03-02T00:30:00+15:00",
        datetime(2026, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_equal_instants_encode_identically(occurred_at: str | datetime) -> None:
    reference = encode_event(decode_event(sample("customer_churned")))
    event = decode_event(sample("customer_churned", occurred_at=occurred_at))
    expected = sample("customer_churned", occurred_at="2026-03-01T09:30:00Z")
    assert encode_event(event) == encode_event(decode_event(expected))
    assert encode_event(event) != reference  # the sample itself has a different instant


@pytest.mark.parametrize(
    "occurred_at",
    ["2026-09-01T05:00:00", "2026-09-01 05:00:00", datetime(2026, 9, 1, 5, 0)],  # noqa: DTZ001
    ids=["iso-text", "space-text", "naive-datetime-object"],
)
def test_naive_datetime_is_refused(occurred_at: str | datetime) -> None:
    with pytest.raises(DecodeError) as info:
        decode_event(sample("customer_churned", occurred_at=occurred_at))
    assert info.value.field == "occurred_at"
    assert str(info.value).startswith("occurred_at:")
    assert "timezone" in str(info.value)
