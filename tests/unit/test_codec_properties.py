"""The codec, properties (hypothesis): no input escapes as anything but a valid event or a
DecodeError; instants, amounts, ids and nesting depth stay within their bounds.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import (
    DecodeError,
    decode_event,
    encode_event,
)
from schemas.events import EVENT_TYPES
from tests.unit.codec_samples import FAST, SAMPLES, TYPE_NAMES, sample

# --- properties --------------------------------------------------------------------------------


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


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape(data: bytes) -> None:
    _check_outcome(data)


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_never_escapes(data: str) -> None:
    _check_outcome(data)


@FAST
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


@FAST
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


@FAST
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


@FAST
@given(st.integers())
def test_amount_bounds(amount: int) -> None:
    raw = sample("payment_received", amount_minor=amount)
    if 0 < amount <= 10**13:
        assert decode_event(raw).amount_minor == amount
    else:
        with pytest.raises(DecodeError) as info:
            decode_event(json.dumps(raw))
        assert info.value.field == "amount_minor"


@FAST
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
