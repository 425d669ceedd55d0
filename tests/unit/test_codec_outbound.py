"""The codec, outbound records: decisions and dead letters round-trip, bad ones are refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
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
from schemas.outbound import BlockedAction, DeadLetter, Decision, PolicyInfo
from tests.unit.codec_samples import FAST, SAMPLES

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


@FAST
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
