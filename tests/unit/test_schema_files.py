"""The JSON Schema files under ``schemas/json/`` match the models they are generated from.

``jsonschema`` is not a dependency, so samples are checked with a small validator below that
understands exactly the keywords pydantic emits for this contract and refuses any other keyword,
so a schema feature it does not know cannot pass unchecked.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.base import SCHEMA_VERSION
from schemas.codec import DecodeError, decode_event, encode_event
from schemas.events import EVENT_TYPES
from schemas.jsonschema import JSON_DIR, build_schemas, render

from .codec_samples import SAMPLES, TYPE_NAMES, sample, without

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schemas" / "json"
EXPORT_HINT = "run `duewise schemas export` and commit the result"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

BUILT = build_schemas()
EVENT_FILES = {f"{name}.schema.json": name for name in TYPE_NAMES}


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


# --- in sync with the models -------------------------------------------------------------------


def test_schema_dir_is_the_one_the_exporter_writes() -> None:
    assert JSON_DIR.resolve() == SCHEMA_DIR


def test_no_missing_or_stale_schema_files() -> None:
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    missing = sorted(set(BUILT) - on_disk)
    stale = sorted(on_disk - set(BUILT))
    assert not missing, f"schema files missing for {missing}; {EXPORT_HINT}"
    assert not stale, f"schema files without a model: {stale}; {EXPORT_HINT}"


def test_expected_schema_files_are_built() -> None:
    assert set(BUILT) == {*EVENT_FILES, "event.schema.json", "decision.schema.json",
                          "dead_letter.schema.json", "outcome.schema.json"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BUILT))
def test_schema_file_matches_model(name: str) -> None:
    path = SCHEMA_DIR / name
    assert path.is_file(), f"{path} is missing; {EXPORT_HINT}"
    assert path.read_text(encoding="utf-8") == render(BUILT[name]), (
        f"{path} is out of date with the models; {EXPORT_HINT}"
    )


def test_render_is_stable_text() -> None:
    text = render(BUILT["invoice_issued.schema.json"])
    assert text.endswith("}\n")
    assert json.loads(text) == BUILT["invoice_issued.schema.json"]
    assert render(json.loads(text)) == text
    assert build_schemas() == BUILT, "building twice gives the same schemas"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_schema_file_declares_its_draft(name: str) -> None:
    schema = _load(name)
    assert schema["$schema"] == DRAFT
    assert schema["title"]


# --- what the event schemas promise producers ---------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), sorted(EVENT_FILES.items()))
def test_event_schema_requires_wire_fields(name: str, kind: str) -> None:
    schema = _load(name)
    assert "type" in schema["required"]
    assert "schema_version" in schema["required"]
    assert schema["properties"]["type"]["const"] == kind
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert schema["additionalProperties"] is False
    assert schema["title"] == TYPE_NAMES[kind].__name__


@pytest.mark.parametrize(("name", "kind"), sorted(EVENT_FILES.items()))
def test_event_schema_required_matches_model(name: str, kind: str) -> None:
    fields = TYPE_NAMES[kind].model_fields
    required = {n for n, f in fields.items() if f.is_required()} | {"type", "schema_version"}
    schema = _load(name)
    assert set(schema["required"]) == required
    assert set(schema["properties"]) == set(fields)


def test_union_schema_covers_every_event_type() -> None:
    union = _load("event.schema.json")
    refs = {item["$ref"] for item in union["oneOf"]}
    assert refs == {f"#/$defs/{cls.__name__}" for cls in EVENT_TYPES}
    assert union["discriminator"]["propertyName"] == "type"
    mapping = union["discriminator"]["mapping"]
    assert mapping == {kind: f"#/$defs/{cls.__name__}" for kind, cls in TYPE_NAMES.items()}
    for cls in EVENT_TYPES:
        definition = union["$defs"][cls.__name__]
        assert {"type", "schema_version"} <= set(definition["required"]), cls.__name__


# --- a tiny validator for the keywords this contract uses ----------------------------------------

_ANNOTATIONS = {"title", "description", "default", "$schema", "$defs", "discriminator"}
_KEYWORDS = _ANNOTATIONS | {
    "$ref", "type", "const", "enum", "anyOf", "oneOf", "pattern", "minLength", "maxLength",
    "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "minItems",
    "maxItems", "properties", "required", "additionalProperties",
}  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == "date":
            date.fromisoformat(value)
            return len(value) == 10
        if fmt == "date-time":
            return datetime.fromisoformat(value).tzinfo is not None  # RFC 3339 needs an offset
        if fmt == "base64url":
            base64.urlsafe_b64decode(value)
            return True
    except (ValueError, binascii.Error):
        return False
    raise AssertionError(f"validator does not know format {fmt!r}")


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "") -> list:
    """Every way ``value`` violates ``schema`` (a JSON Schema 2020-12 subset)."""
    unknown = set(schema) - _KEYWORDS
    assert not unknown, f"validator does not understand {sorted(unknown)} at {at or '<root>'}"
    if "$ref" in schema:
        prefix = "#/$defs/"
        assert schema["$ref"].startswith(prefix), schema["$ref"]
        return schema_errors(value, root["$defs"][schema["$ref"][len(prefix) :]], root, at)
    here = at or "<root>"
    errors: list[str] = []
    if "type" in schema:
        allowed = _TYPES[schema["type"]]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            return [f"{here}: not of type {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{here}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{here}: not one of {schema['enum']}")
    if "anyOf" in schema and all(schema_errors(value, s, root, at) for s in schema["anyOf"]):
        errors.append(f"{here}: matches no anyOf branch")
    if "oneOf" in schema:
        matches = sum(not schema_errors(value, s, root, at) for s in schema["oneOf"])
        if matches != 1:
            errors.append(f"{here}: matches {matches} oneOf branches")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{here}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{here}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{here}: too long")
        if "format" in schema and not _format_ok(schema["format"], value):
            errors.append(f"{here}: not a {schema['format']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{here}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{here}: above maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{here}: not above exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{here}: not below exclusiveMaximum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{here}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{here}: too many items")
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), root, f"{at}.{i}".lstrip("."))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{at}.{name}".lstrip(".") + ": required")
        for name, item in value.items():
            where = f"{at}.{name}".lstrip(".")
            if name in properties:
                errors += schema_errors(item, properties[name], root, where)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(item, schema["additionalProperties"], root, where)
    return errors


def test_validator_refuses_keywords_it_does_not_know() -> None:
    with pytest.raises(AssertionError, match="does not understand"):
        schema_errors({}, {"type": "object", "if": {}}, {})


# --- samples against the schemas ---------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_is_valid_against_its_schema(kind: str) -> None:
    schema = _load(f"{kind}.schema.json")
    assert schema_errors(SAMPLES[kind], schema, schema) == []
    assert set(schema["required"]) <= set(SAMPLES[kind])


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_is_valid_against_the_union_schema(kind: str) -> None:
    union = _load("event.schema.json")
    assert schema_errors(SAMPLES[kind], union, union) == []


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_encoded_event_is_valid_against_its_schema(kind: str) -> None:
    """What duewise itself would write (defaults filled in) is valid for producers too."""
    encoded = json.loads(encode_event(decode_event(SAMPLES[kind])))
    schema = _load(f"{kind}.schema.json")
    assert schema_errors(encoded, schema, schema) == []


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_schema_and_codec_agree_on_missing_required_fields(kind: str) -> None:
    schema = _load(f"{kind}.schema.json")
    for name in schema["required"]:
        broken = without(kind, name)
        assert f"{name}: required" in schema_errors(broken, schema, schema)
        with pytest.raises(DecodeError):
            decode_event(broken)


# Inputs that both the schema and the codec must refuse: (kind, changes).
BOTH_REFUSE = [
    pytest.param("customer_churned", {"colour": "red"}, id="unknown-field"),
    pytest.param("customer_churned", {"type": "invoice_issued"}, id="other-type-const"),
    pytest.param("customer_churned", {"schema_version": 2}, id="schema-version-2"),
    pytest.param("customer_churned", {"schema_version": "1"}, id="schema-version-string"),
    pytest.param("customer_churned", {"event_id": "evt 1"}, id="space-in-id"),
    pytest.param("customer_churned", {"occurred_at": "2026-09-01T05:00:00"}, id="naive-time"),
    pytest.param("invoice_issued", {"currency": "sek"}, id="lowercase-currency"),
    pytest.param("invoice_issued", {"amount_minor": 0}, id="zero-amount"),
    pytest.param("invoice_issued", {"amount_minor": 10**13 + 1}, id="huge-amount"),
    pytest.param("invoice_issued", {"amount_minor": "100"}, id="string-amount"),
    pytest.param("invoice_issued", {"payment_methods": []}, id="no-payment-methods"),
    pytest.param("invoice_issued", {"payment_methods": ["cash"]}, id="unknown-method"),
    pytest.param("invoice_issued", {"reminder_fee_agreed": "yes"}, id="string-bool"),
    pytest.param("message_bounced", {"permanent": 0}, id="integer-bool"),
    pytest.param("customer_churned", {"occurred_at": 20260901}, id="number-time"),
    pytest.param("customer_churned", {"occurred_at": "1780000000"}, id="numeric-string-time"),
    pytest.param("dunning_paused", {"until": 0}, id="number-date"),
    pytest.param("payment_plan_accepted", {"instalments": []}, id="no-instalments"),
    pytest.param("customer_updated", {"language": "Swedish"}, id="bad-language"),
    pytest.param("customer_updated", {"opted_out": ["pigeon"]}, id="unknown-channel"),
    pytest.param("dunning_paused", {"until": "next week"}, id="bad-date"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "changes"), BOTH_REFUSE)
def test_schema_and_codec_agree_on_refusals(kind: str, changes: dict[str, Any]) -> None:
    broken = sample(kind, **changes)
    schema = _load(f"{kind}.schema.json")
    assert schema_errors(broken, schema, schema), "the schema lets this through"
    with pytest.raises(DecodeError):
        decode_event(json.dumps(broken))


# Rules the JSON Schema cannot express: a producer validating only against the schema gets
# these past its own check and then sees them refused by duewise.
MODEL_ONLY = [
    pytest.param("invoice_issued", {"due_date": "2026-08-31"}, id="due-before-issue"),
    pytest.param("invoice_issued", {"timezone": "Mars/Olympus_Mons"}, id="unknown-time-zone"),
    pytest.param(
        "payment_plan_accepted",
        {"instalments": [{"due_date": "2026-11-25", "amount_minor": 1},
                         {"due_date": "2026-10-26", "amount_minor": 1}]},
        id="unsorted-instalments",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "changes"), MODEL_ONLY)
def test_rules_only_the_codec_enforces(kind: str, changes: dict[str, Any]) -> None:
    broken = sample(kind, **changes)
    schema = _load(f"{kind}.schema.json")
    assert schema_errors(broken, schema, schema) == []
    with pytest.raises(DecodeError):
        decode_event(json.dumps(broken))
