"""The codec: every event round-trips byte-stably, and every bad input is a DecodeError.

``SAMPLES`` (one valid wire dict per event type) is shared with ``test_schema_files``.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import (
    DecodeError,
    decode_dead_letter,
    decode_decision,
    decode_event,
    encode,
    encode_event,
)
from schemas.enums import Action, Channel, PaymentOption
from schemas.events import EVENT_TYPES, InvoiceIssued
from schemas.outbound import BlockedAction, DeadLetter, Decision, PolicyInfo

_ENVELOPE = {"occurred_at": "2026-10-03T08:00:00Z", "customer_id": "cust-1002", "schema_version": 1}


def _event(event_id: str, kind: str, source: str, **body: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": kind, **_ENVELOPE, "source": source, **body}


_MESSAGE = {"decision_id": "inv-1002-202609/1", "channel": "email"}

SAMPLES: dict[str, dict[str, Any]] = {
    "invoice_issued": _event(
        "evt-0008",
        "invoice_issued",
        "billing",
        invoice_id="inv-1002-202609",
        amount_minor=24900,
        currency="SEK",
        issue_date="2026-09-01",
        due_date="2026-09-28",
        timezone="Europe/Stockholm",
        payment_methods=["swish", "card", "bank_giro"],
        debtor_kind="business",
        reminder_fee_agreed=True,
    ),
    "invoice_adjusted": _event(
        "evt-0029",
        "invoice_adjusted",
        "billing",
        invoice_id="inv-1004-202610",
        credit_note_id="cn-1004-01",
        amount_minor=20000,
        currency="SEK",
    ),
    "invoice_cancelled": _event(
        "evt-0027", "invoice_cancelled", "billing", invoice_id="inv-1004-202609"
    ),
    "payment_received": _event(
        "evt-0013",
        "payment_received",
        "payments",
        payment_id="pay-1002-202609-10-03",
        amount_minor=24900,
        currency="SEK",
        method="card",
        invoice_id="inv-1002-202609",
        payment_reference="inv-1002-202609.1",
    ),
    "payment_reversed": _event("evt-0044", "payment_reversed", "payments", payment_id="pay-1006-a"),
    "message_sent": _event("evt-0009", "message_sent", "notifier", **_MESSAGE),
    "message_delivered": _event("evt-0010", "message_delivered", "notifier", **_MESSAGE),
    "message_bounced": _event(
        "evt-0041", "message_bounced", "notifier", **_MESSAGE, permanent=False
    ),
    "message_opened": _event("evt-0011", "message_opened", "notifier", **_MESSAGE),
    "message_clicked": _event("evt-0012", "message_clicked", "notifier", **_MESSAGE),
    "call_completed": _event(
        "evt-0034",
        "call_completed",
        "call_center",
        outcome="promise_to_pay",
        decision_id="inv-1005-202609/2",
        invoice_id="inv-1005-202609",
    ),
    "dispute_opened": _event(
        "evt-0025", "dispute_opened", "customer_service", invoice_id="inv-1004-202609"
    ),
    "dispute_resolved": _event(
        "evt-0026",
        "dispute_resolved",
        "customer_service",
        invoice_id="inv-1004-202609",
        outcome="claim_withdrawn",
    ),
    "promise_to_pay_made": _event(
        "evt-0035",
        "promise_to_pay_made",
        "call_center",
        invoice_id="inv-1005-202609",
        promised_date="2026-10-26",
        amount_minor=50000,
        currency="SEK",
    ),
    "payment_plan_accepted": _event(
        "evt-0036",
        "payment_plan_accepted",
        "call_center",
        invoice_id="inv-1005-202609",
        currency="SEK",
        instalments=[
            {"due_date": "2026-10-26", "amount_minor": 50000},
            {"due_date": "2026-11-25", "amount_minor": 50000},
            {"due_date": "2026-12-28", "amount_minor": 49900},
        ],
    ),
    "dunning_paused": _event(
        "evt-0018",
        "dunning_paused",
        "customer_service",
        until="2026-10-26",
        reason="payday",
        invoice_id="inv-1003-202609",
    ),
    "customer_updated": _event(
        "evt-0001",
        "customer_updated",
        "crm",
        reachable_channels=["email", "sms", "digital_mailbox"],
        opted_out=["letter"],
        opted_in=["sms"],
        language="en-GB",
        timezone="Europe/London",
        vulnerable=False,
        direct_debit_active=True,
    ),
    "customer_churned": _event("evt-0045", "customer_churned", "crm"),
    "customer_erased": _event("evt-0046", "customer_erased", "crm"),
}
"""One valid wire dict per event type, every optional field set where the type has any."""

TYPE_NAMES: dict[str, type] = {cls.model_fields["type"].default: cls for cls in EVENT_TYPES}


def sample(kind: str, **changes: Any) -> dict[str, Any]:
    """A fresh copy of the sample of ``kind`` with ``changes`` applied."""
    obj = copy.deepcopy(SAMPLES[kind])
    obj.update(changes)
    return obj


def without(kind: str, *keys: str) -> dict[str, Any]:
    """A fresh copy of the sample of ``kind`` without ``keys``."""
    obj = copy.deepcopy(SAMPLES[kind])
    for key in keys:
        del obj[key]
    return obj


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


# --- refusals ----------------------------------------------------------------------------------

_DEEP = "[" * 5000 + "]" * 5000


# (input, field named by the error, fragment of the message). Dicts are also tried as JSON.
REFUSALS = [
    pytest.param(sample("invoice_issued", amount_minor=24900.0), "amount_minor", "integer",
                 id="float-amount-integral"),
    pytest.param(sample("invoice_issued", amount_minor=249.5), "amount_minor", "integer",
                 id="float-amount-fractional"),
    pytest.param(sample("invoice_issued", amount_minor="24900"), "amount_minor", "integer",
                 id="string-amount"),
    pytest.param(sample("invoice_issued", amount_minor=True), "amount_minor", "integer",
                 id="bool-amount"),
    pytest.param(sample("invoice_issued", amount_minor=0), "amount_minor", "greater than 0",
                 id="zero-amount"),
    pytest.param(sample("payment_received", amount_minor=-100), "amount_minor", "greater than 0",
                 id="negative-amount"),
    pytest.param(sample("invoice_adjusted", amount_minor=10**13 + 1), "amount_minor",
                 "less than or equal", id="huge-amount"),
    pytest.param(sample("payment_plan_accepted", instalments=[
        {"due_date": "2026-10-26", "amount_minor": 0}]), "instalments.0.amount_minor",
        "greater than 0", id="zero-instalment"),
    pytest.param(sample("invoice_issued", currency="sek"), "currency", "pattern",
                 id="lowercase-currency"),
    pytest.param(sample("payment_received", currency="SEKR"), "currency", "pattern",
                 id="four-letter-currency"),
    pytest.param(sample("customer_churned", colour="red"), "colour", "not permitted",
                 id="unknown-field"),
    pytest.param(sample("invoice_cancelled", amount_minor=100), "amount_minor", "not permitted",
                 id="field-of-another-type"),
    pytest.param(sample("customer_churned", type="invoice_paid"), "type", "invoice_paid",
                 id="unknown-type"),
    pytest.param(sample("customer_churned", type="Customer_Churned"), "type", "unknown",
                 id="wrong-case-type"),
    pytest.param(sample("customer_churned", type=None), "type", "unknown", id="null-type"),
    pytest.param(without("customer_churned", "type"), "type", "missing", id="missing-type"),
    pytest.param(without("customer_churned", "schema_version"), "schema_version", "missing",
                 id="missing-schema-version"),
    pytest.param(sample("customer_churned", schema_version=2), "schema_version", "unsupported",
                 id="schema-version-2"),
    pytest.param(sample("customer_churned", schema_version=0), "schema_version", "unsupported",
                 id="schema-version-0"),
    pytest.param(sample("customer_churned", schema_version="1"), "schema_version",
                 "unsupported", id="schema-version-string"),
    pytest.param(sample("customer_churned", schema_version=True), "schema_version",
                 "unsupported", id="schema-version-true"),
    pytest.param(sample("customer_churned", schema_version=None), "schema_version",
                 "unsupported", id="schema-version-null"),
    pytest.param(sample("invoice_issued", due_date="2026-08-31"), "due_date",
                 "must not be before issue_date", id="due-before-issue"),
    pytest.param(sample("invoice_issued", issue_date="2026-02-30"), "issue_date", "date",
                 id="impossible-date"),
    pytest.param(sample("invoice_issued", timezone="Mars/Olympus_Mons"), "timezone",
                 "unknown IANA time zone", id="unknown-time-zone"),
    pytest.param(sample("customer_updated", timezone="CEST"), "timezone",
                 "unknown IANA time zone", id="abbreviation-time-zone"),
    pytest.param(sample("invoice_issued", timezone="Europe"), "timezone",
                 "unknown IANA time zone", id="time-zone-directory"),
    pytest.param(sample("invoice_issued", payment_methods=[]), "payment_methods", "at least 1",
                 id="empty-payment-methods"),
    pytest.param(sample("invoice_issued", payment_methods=["cash"]), "payment_methods.0",
                 "swish", id="unknown-payment-method"),
    pytest.param(sample("payment_plan_accepted", instalments=[
        {"due_date": "2026-11-25", "amount_minor": 50000},
        {"due_date": "2026-10-26", "amount_minor": 50000}]), "instalments", "ascending",
        id="unsorted-instalments"),
    pytest.param(sample("payment_plan_accepted", instalments=[]), "instalments", "at least 1",
                 id="no-instalments"),
    pytest.param(sample("customer_churned", event_id="evt 0001"), "event_id", "pattern",
                 id="space-in-event-id"),
    pytest.param(sample("invoice_cancelled", invoice_id="inv\n1"), "invoice_id", "pattern",
                 id="newline-in-invoice-id"),
    pytest.param(sample("customer_churned", customer_id=""), "customer_id", "at least 1",
                 id="empty-customer-id"),
    pytest.param(sample("customer_churned", customer_id="c" * 129), "customer_id", "at most 128",
                 id="overlong-customer-id"),
    pytest.param(without("customer_churned", "source"), "source", "required",
                 id="missing-source"),
    pytest.param(sample("customer_updated", language="Swedish"), "language", "pattern",
                 id="bad-language"),
    pytest.param(sample("customer_updated", reachable_channels=["pigeon"]),
                 "reachable_channels.0", "email", id="unknown-channel"),
    pytest.param(sample("dunning_paused", reason="because I said so"), "reason", "payday",
                 id="free-text-reason"),
    pytest.param(sample("customer_churned", occurred_at="2026-09-01T05:00:00"), "occurred_at",
                 "timezone", id="naive-occurred-at"),
    pytest.param(sample("customer_churned", occurred_at="yesterday"), "occurred_at", "datetime",
                 id="garbage-occurred-at"),
    pytest.param(sample("customer_churned", occurred_at="0001-01-01T00:00:00+01:00"),
                 "occurred_at", "range", id="occurred-at-before-year-1-utc"),
    pytest.param(sample("customer_churned", type=["customer_churned"]), "type", "unknown",
                 id="unhashable-type"),
    pytest.param(b'{"event_id": "evt-1", ', None, "invalid JSON", id="truncated-json"),
    pytest.param(b"{'event_id': 'evt-1'}", None, "invalid JSON", id="single-quoted-json"),
    pytest.param(b"", None, "invalid JSON", id="empty-input"),
    pytest.param(b'{"a": NaN}', None, "invalid JSON", id="nan-literal"),
    pytest.param(b"[]", None, "expected a JSON object", id="array-root"),
    pytest.param(b'[{"type": "customer_churned"}]', None, "expected a JSON object",
                 id="array-of-object-root"),
    pytest.param(b"42", None, "expected a JSON object", id="number-root"),
    pytest.param(b"null", None, "expected a JSON object", id="null-root"),
    pytest.param(b'"customer_churned"', None, "expected a JSON object", id="string-root"),
    pytest.param(b'{"event_id": "\xff\xfe"}', None, "UTF-8", id="non-utf8-bytes"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps(SAMPLES["customer_churned"]).encode(), None,
                 "invalid JSON", id="utf8-bom"),
    pytest.param(_DEEP.encode(), None, "invalid JSON", id="deeply-nested-lists"),
]  # fmt: skip


def _forms(data: Any) -> list[Any]:
    """The input as given and, for dicts, also as the JSON bytes a producer would send."""
    return [data, json.dumps(data).encode()] if isinstance(data, dict) else [data]


@pytest.mark.parametrize(("data", "field", "fragment"), REFUSALS)
def test_refusal_names_the_field(data: Any, field: str | None, fragment: str) -> None:
    for form in _forms(data):
        with pytest.raises(DecodeError) as info:
            decode_event(form)
        message = str(info.value)
        assert info.value.field == field, message
        assert message.startswith(f"{field or '<root>'}:"), message
        assert fragment in message, message


def test_refusal_table_ids_are_unique() -> None:
    ids = [p.id for p in REFUSALS]
    assert len(ids) == len(set(ids))


def test_every_missing_required_field_is_named() -> None:
    """Dropping any required key of any sample is refused, naming exactly that key."""
    checked = 0
    for kind, raw in SAMPLES.items():
        cls = TYPE_NAMES[kind]
        required = {name for name, f in cls.model_fields.items() if f.is_required()}
        required |= {"type", "schema_version"}  # mandatory on the wire despite the defaults
        assert required <= set(raw), kind
        for key in sorted(required):
            with pytest.raises(DecodeError) as info:
                decode_event(without(kind, key))
            assert info.value.field == key, (kind, key, str(info.value))
            checked += 1
    assert checked >= 5 * len(SAMPLES)


def test_many_errors_are_summarised() -> None:
    raw = {"type": "invoice_issued", "schema_version": 1}  # ten required fields missing
    with pytest.raises(DecodeError) as info:
        decode_event(raw)
    message = str(info.value)
    assert info.value.field == "event_id"
    assert message.count("Field required") == 5
    assert message.endswith("(and 5 more)")


def test_decode_error_is_a_value_error() -> None:
    assert issubclass(DecodeError, ValueError)
    assert DecodeError("x", field="f").field == "f"
    assert DecodeError("x").field is None


# --- properties --------------------------------------------------------------------------------

_FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def _check_outcome(data: Any) -> None:
    """The codec's promise: a valid event, or a DecodeError whose message leads with its field."""
    try:
        event = decode_event(data)
    except DecodeError as exc:
        message = str(exc)
        assert message
        assert message.startswith(f"{exc.field or '<root>'}:"), (exc.field, message)
        return
    # Whatever was accepted is a real event that survives its own round trip.
    assert type(event) in EVENT_TYPES
    assert event.occurred_at.utcoffset() == timedelta(0)
    wire = encode_event(event)
    assert decode_event(wire) == event
    assert encode_event(decode_event(wire)) == wire


@_FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape(data: bytes) -> None:
    _check_outcome(data)


@_FAST
@given(st.text(max_size=300))
def test_arbitrary_text_never_escapes(data: str) -> None:
    _check_outcome(data)


@_FAST
@given(
    st.recursive(
        json_scalars | st.floats(),  # NaN and infinities become invalid JSON
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=30,
    )
)
def test_arbitrary_json_never_escapes(value: Any) -> None:
    data = json.dumps(value).encode()
    _check_outcome(data)
    if not isinstance(value, dict):
        with pytest.raises(DecodeError) as info:
            decode_event(data)
        assert info.value.field is None


@st.composite
def mutated_samples(draw: st.DrawFn) -> tuple[str, str, str, dict[str, Any]]:
    """A sample with one key dropped, set to an arbitrary JSON value, or added."""
    kind = draw(st.sampled_from(sorted(SAMPLES)))
    obj = copy.deepcopy(SAMPLES[kind])
    op = draw(st.sampled_from(["drop", "set", "add"]))
    if op == "add":
        key = draw(st.text(max_size=15).filter(lambda k: k not in obj))
    else:
        key = draw(st.sampled_from(sorted(obj)))
    if op == "drop":
        del obj[key]
    else:
        obj[key] = draw(json_values)
    return kind, op, key, obj


@_FAST
@given(mutated_samples())
def test_mutated_samples_never_escape(case: tuple[str, str, str, dict[str, Any]]) -> None:
    kind, op, key, obj = case
    _check_outcome(obj)
    _check_outcome(json.dumps(obj).encode())
    cls = TYPE_NAMES[kind]
    if op == "add" and key not in cls.model_fields:
        with pytest.raises(DecodeError) as info:
            decode_event(obj)
        # An empty key renders as "<root>" (pydantic's location is just the empty string).
        assert info.value.field == (key or None)
    if op == "drop" and (cls.model_fields[key].is_required() or key in {"type", "schema_version"}):
        with pytest.raises(DecodeError) as info:
            decode_event(obj)
        assert info.value.field == key


# RFC 3339 offsets are whole minutes; pydantic refuses the seconds of historic LMT offsets.
_offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@_FAST
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),  # noqa: DTZ001
        max_value=datetime(2200, 12, 31),  # noqa: DTZ001
        timezones=_offsets,
    )
)
def test_any_aware_instant_is_stored_in_utc(moment: datetime) -> None:
    event = decode_event(sample("customer_churned", occurred_at=moment.isoformat()))
    assert event.occurred_at == moment
    assert event.occurred_at.tzinfo is UTC
    text = json.loads(encode_event(event))["occurred_at"]
    assert text.endswith("Z")
    assert datetime.fromisoformat(text) == moment


@_FAST
@given(st.integers())
def test_amount_bounds(amount: int) -> None:
    raw = sample("payment_received", amount_minor=amount)
    if 0 < amount <= 10**13:
        assert decode_event(raw).amount_minor == amount
    else:
        with pytest.raises(DecodeError) as info:
            decode_event(json.dumps(raw))
        assert info.value.field == "amount_minor"


@_FAST
@given(st.text(max_size=140))
def test_id_characters(candidate: str) -> None:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/#-")
    raw = sample("invoice_cancelled", invoice_id=candidate)
    if 1 <= len(candidate) <= 128 and set(candidate) <= allowed:
        assert decode_event(raw).invoice_id == candidate
    else:
        with pytest.raises(DecodeError) as info:
            decode_event(raw)
        assert info.value.field == "invoice_id"


@pytest.mark.parametrize("depth", [1025, 5000, 100_000])
@pytest.mark.parametrize("kind", ["list", "object", "inside-event"])
def test_deep_nesting_is_refused(kind: str, depth: int) -> None:
    if kind == "list":
        data = "[" * depth + "]" * depth
    elif kind == "object":
        data = '{"a":' * depth + "1" + "}" * depth
    else:
        nested = "[" * depth + "]" * depth
        data = json.dumps(SAMPLES["customer_updated"])[:-1] + f', "opted_in": {nested}}}'
    with pytest.raises(DecodeError) as info:
        decode_event(data.encode())
    assert info.value.field is None
    assert "depth" in str(info.value)


def test_deep_nesting_in_an_already_parsed_dict_is_refused() -> None:
    nested: Any = []
    for _ in range(5000):
        nested = [nested]
    # Only a parsed dict can be this deep (orjson stops at 1024); pydantic then overflows the
    # stack building its message, and the codec's catch-all still turns that into DecodeError.
    with pytest.raises(DecodeError) as info:
        decode_event(sample("customer_updated", opted_in=nested))
    assert str(info.value).startswith(f"{info.value.field or '<root>'}:")


# --- decisions and dead letters ----------------------------------------------------------------


def _decision(**changes: Any) -> Decision:
    fields: dict[str, Any] = {
        "decision_id": "inv-1002-202609/1",
        "customer_id": "cust-1002",
        "invoice_id": "inv-1002-202609",
        "decided_at": datetime(2026, 10, 3, 10, 0, tzinfo=timezone(timedelta(hours=2))),
        "action": Action.REMIND,
        "channel": Channel.EMAIL,
        "send_at": datetime(2026, 10, 3, 8, 0, tzinfo=UTC),
        "step": 1,
        "amount_due_minor": 24900,
        "currency": "SEK",
        "fee_minor": 6000,
        "payment_options": [PaymentOption.SWISH, PaymentOption.CARD],
        "payment_reference": "inv-1002-202609.1",
        "respond_by": date(2026, 10, 13),
        "policy": PolicyInfo(name="ladder-v1", arm="explore", propensity=0.125, model_version="m3"),
        "scores": {"remind": 0.42, "wait": 0.1},
        "features": {"days_overdue": 5.0},
        "reasons": ["ladder.level_1"],
        "blocked": [BlockedAction(action=Action.ESCALATE, rule="rule.too_early", detail="d+5")],
    }
    fields.update(changes)
    return Decision(**fields)


@pytest.mark.parametrize(
    "decision",
    [
        _decision(),
        _decision(action=Action.WAIT, channel=None, send_at=None, payment_options=[],
                  payment_reference=None, respond_by=None, scores=None, features=None,
                  reasons=[], blocked=[]),
    ],
    ids=["remind", "wait"],
)  # fmt: skip
def test_decision_round_trip(decision: Decision) -> None:
    wire = encode(decision)
    assert decode_decision(wire) == decision
    assert decode_decision(wire.decode()) == decision
    assert encode(decode_decision(wire)) == wire
    assert json.loads(wire)["decided_at"] == "2026-10-03T08:00:00Z"
    assert decision.actionable is (decision.action is not Action.WAIT)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"propensity": 0.0}, "policy.propensity"),
        ({"propensity": 1.5}, "policy.propensity"),
        ({"arm": "gut_feeling"}, "policy.arm"),
    ],
)
def test_decision_policy_is_checked(changes: dict[str, Any], field: str) -> None:
    wire = json.loads(encode(_decision()))
    wire["policy"].update(changes)
    with pytest.raises(DecodeError) as info:
        decode_decision(json.dumps(wire))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # Root-level problems have no field, as in decode_event.
        (b"", None),
        (b"[]", None),
        (b"\xff", None),
        (b"{}", "decision_id"),
        (encode(_decision())[:-1] + b',"extra":1}', "extra"),
        (encode(_decision()).replace(b'"step":1', b'"step":-1'), "step"),
        (encode(_decision()).replace(b'"decided_at":"2026-10-03T08:00:00Z"',
                                     b'"decided_at":"2026-10-03T08:00:00"'), "decided_at"),
    ],
)  # fmt: skip
def test_bad_decision_is_a_decode_error(data: bytes, field: str | None) -> None:
    with pytest.raises(DecodeError) as info:
        decode_decision(data)
    assert info.value.field == field


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00not utf-8",
        bytes(range(256)),
        b'{"event_id": "evt-1"',
        encode_event(decode_event(SAMPLES["invoice_issued"])),
    ],
    ids=["empty", "non-utf8", "all-bytes", "truncated", "valid-event"],
)
def test_dead_letter_round_trip(raw: bytes) -> None:
    letter = DeadLetter(
        raw=raw,
        error="amount_minor: Input should be a valid integer",
        topic="duewise.events",
        partition=3,
        offset=1234,
        failed_at=datetime(2026, 10, 3, 10, 0, tzinfo=timezone(timedelta(hours=2))),
    )
    wire = encode(letter)
    back = decode_dead_letter(wire)
    assert back == letter
    assert back.raw == raw
    assert encode(back) == wire
    body = json.loads(wire)
    assert base64.urlsafe_b64decode(body["raw"]) == raw  # base64url, as the JSON Schema says
    assert body["failed_at"] == "2026-10-03T08:00:00Z"
    assert body["stage"] == "decode"


@_FAST
@given(st.binary(max_size=500))
def test_dead_letter_keeps_any_bytes(raw: bytes) -> None:
    letter = DeadLetter(raw=raw, error="x", stage="process", failed_at=datetime.now(UTC))
    assert decode_dead_letter(encode(letter)).raw == raw


def test_dead_letter_of_real_decode_failure() -> None:
    raw = b'{"event_id": "\xff"}'
    with pytest.raises(DecodeError) as info:
        decode_event(raw)
    letter = DeadLetter(raw=raw, error=str(info.value), failed_at=datetime.now(UTC))
    back = decode_dead_letter(encode(letter))
    assert back.raw == raw
    assert back.error == str(info.value)
    with pytest.raises(DecodeError):
        decode_event(back.raw)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b'{"raw": "!!!", "error": "x", "failed_at": "2026-01-01T00:00:00Z"}', "raw"),
        (b'{"raw": "", "error": "x"}', "failed_at"),
        (b'{"raw": "", "error": "x", "failed_at": "2026-01-01T00:00:00Z", "stage": "x"}',
         "stage"),
        (b"\xff", None),
    ],
)  # fmt: skip
def test_bad_dead_letter_is_a_decode_error(data: bytes, field: str | None) -> None:
    with pytest.raises(DecodeError) as info:
        decode_dead_letter(data)
    assert info.value.field == field
