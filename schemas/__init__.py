"""The wire contract of duewise: inbound events, decisions and dead letters.

This is the bottom layer; it imports nothing else from the project. Producers in other languages
use the JSON Schema files under ``schemas/json/`` generated from these models.
"""

from schemas.base import SCHEMA_VERSION, EventBase
from schemas.codec import DecodeError, decode_decision, decode_event, encode, encode_event
from schemas.enums import (
    Action,
    CallOutcome,
    Channel,
    DebtorKind,
    DisputeOutcome,
    PauseReason,
    PaymentMethod,
    PaymentOption,
)
from schemas.events import EVENT_TYPES, Event
from schemas.outbound import BlockedAction, DeadLetter, Decision, Outcome, PolicyInfo

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Action",
    "BlockedAction",
    "CallOutcome",
    "Channel",
    "DeadLetter",
    "DebtorKind",
    "Decision",
    "DecodeError",
    "DisputeOutcome",
    "Event",
    "EventBase",
    "Outcome",
    "PauseReason",
    "PaymentMethod",
    "PaymentOption",
    "PolicyInfo",
    "decode_decision",
    "decode_event",
    "encode",
    "encode_event",
]
