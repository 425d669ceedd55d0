"""Shared tables of the codec tests: one valid wire dict per event type and helpers.

``SAMPLES`` (one valid wire dict per event type) is used by the ``test_codec_*`` modules and by
``test_schema_files``; ``FAST`` is the hypothesis settings of the codec's property tests.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, settings

from schemas.events import EVENT_TYPES

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


FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Hypothesis settings shared by the codec's property tests."""
