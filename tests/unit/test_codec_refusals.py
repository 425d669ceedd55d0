"""The codec, refusals: every bad input is a DecodeError that names the offending field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.codec import (
    DecodeError,
    decode_event,
)
from tests.unit.codec_samples import SAMPLES, TYPE_NAMES, sample, without

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
    pytest.param(sample("customer_churned", schema_version=12), "schema_version",
                 "unsupported", id="schema-version-12"),  # "1" then a digit: not version 1
    pytest.param(sample("customer_churned", schema_version=1.0), "schema_version",
                 "unsupported", id="schema-version-float"),
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
