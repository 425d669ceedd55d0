"""Event builders: one function per inbound event type, with the fields a test usually cares
about as keywords with sensible defaults, ``at``, ``event_id`` and ``**kw`` for the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from schemas import events as ev
from schemas.enums import (
    CallOutcome,
    Channel,
    DisputeOutcome,
    PauseReason,
    PaymentMethod,
)
from tests.builders.times import DEFAULT_AT, Day, Moment, at, day

_ids = itertools.count(1)


def _envelope(customer: str, when: Moment | None, event_id: str | None) -> dict[str, Any]:
    return {
        "event_id": event_id or f"e{next(_ids)}",
        "occurred_at": at(when or DEFAULT_AT),
        "customer_id": customer,
        "source": "test",
    }


def invoice_issued(
    customer: str = "c1",
    invoice: str = "i1",
    due: Day = "2026-09-30",
    amount: int = 49900,
    *,
    issued: Day | None = None,
    at: Moment | None = None,
    event_id: str | None = None,
    currency: str = "SEK",
    methods: Iterable[PaymentMethod | str] = ("swish", "card", "bank_giro"),
    fee_agreed: bool = False,
    **kw: Any,
) -> ev.InvoiceIssued:
    """An invoice. Issued 29 days before it is due unless ``issued`` says otherwise; the event
    occurs at 08:00 UTC on the issue date unless ``at`` says otherwise. Pass ``timezone=`` to
    state the customer's zone (omitted, the model's default applies)."""
    due_date = day(due)
    issue_date = day(issued) if issued is not None else due_date - timedelta(days=29)
    when = at or datetime.combine(issue_date, time(8, 0), tzinfo=UTC)
    return ev.InvoiceIssued(
        **_envelope(customer, when, event_id),
        invoice_id=invoice,
        amount_minor=amount,
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        payment_methods=[PaymentMethod(m) for m in methods],
        reminder_fee_agreed=fee_agreed,
        **kw,
    )


def invoice_adjusted(
    customer: str = "c1",
    invoice: str = "i1",
    amount: int = 10000,
    *,
    credit_note: str = "cn1",
    currency: str = "SEK",
    at: Moment | None = None,
    event_id: str | None = None,
    **kw: Any,
) -> ev.InvoiceAdjusted:
    """A credit note of ``amount`` against ``invoice``."""
    return ev.InvoiceAdjusted(
        **_envelope(customer, at, event_id),
        invoice_id=invoice,
        credit_note_id=credit_note,
        amount_minor=amount,
        currency=currency,
        **kw,
    )


def invoice_cancelled(
    customer: str = "c1",
    invoice: str = "i1",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.InvoiceCancelled:
    """The biller withdrew ``invoice``."""
    return ev.InvoiceCancelled(**_envelope(customer, at, event_id), invoice_id=invoice)


def payment_received(
    customer: str = "c1",
    amount: int = 49900,
    *,
    payment: str | None = None,
    invoice: str | None = None,
    reference: str | None = None,
    currency: str = "SEK",
    method: PaymentMethod | str = "swish",
    at: Moment | None = None,
    event_id: str | None = None,
    **kw: Any,
) -> ev.PaymentReceived:
    """Money arrived; name the invoice with ``invoice`` or ``reference``, or neither (FIFO).
    ``payment`` (the payment id) defaults to a fresh one."""
    return ev.PaymentReceived(
        **_envelope(customer, at, event_id),
        payment_id=payment or f"p{next(_ids)}",
        amount_minor=amount,
        currency=currency,
        method=PaymentMethod(method),
        invoice_id=invoice,
        payment_reference=reference,
        **kw,
    )


def payment_reversed(
    customer: str = "c1",
    payment: str = "p1",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.PaymentReversed:
    """Payment ``payment`` bounced back."""
    return ev.PaymentReversed(**_envelope(customer, at, event_id), payment_id=payment)


_MESSAGES: dict[str, type[ev.EventBase]] = {
    "sent": ev.MessageSent,
    "delivered": ev.MessageDelivered,
    "bounced": ev.MessageBounced,
    "opened": ev.MessageOpened,
    "clicked": ev.MessageClicked,
}


def message(
    kind: str,
    decision: str = "i1/1",
    channel: Channel | str = "email",
    customer: str = "c1",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
    **kw: Any,
) -> ev.EventBase:
    """A notifier report: ``kind`` is sent, delivered, bounced, opened or clicked.
    A bounce is permanent unless ``permanent=False`` is passed."""
    cls = _MESSAGES[kind]
    return cls(
        **_envelope(customer, at, event_id), decision_id=decision, channel=Channel(channel), **kw
    )


def call_completed(
    customer: str = "c1",
    outcome: CallOutcome | str = "reached",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
    **kw: Any,
) -> ev.CallCompleted:
    """A phone call ended with ``outcome`` (reached, no_answer, promise_to_pay)."""
    return ev.CallCompleted(**_envelope(customer, at, event_id), outcome=CallOutcome(outcome), **kw)


def dispute_opened(
    customer: str = "c1",
    invoice: str = "i1",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.DisputeOpened:
    """The debtor disputes ``invoice``."""
    return ev.DisputeOpened(**_envelope(customer, at, event_id), invoice_id=invoice)


def dispute_resolved(
    customer: str = "c1",
    invoice: str = "i1",
    outcome: DisputeOutcome | str = "claim_upheld",
    *,
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.DisputeResolved:
    """The dispute on ``invoice`` ended (claim_upheld or claim_withdrawn)."""
    return ev.DisputeResolved(
        **_envelope(customer, at, event_id), invoice_id=invoice, outcome=DisputeOutcome(outcome)
    )


def promise_to_pay(
    customer: str = "c1",
    invoice: str = "i1",
    promised: Day = "2026-10-25",
    amount: int = 49900,
    *,
    currency: str = "SEK",
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.PromiseToPayMade:
    """The debtor promised to pay ``amount`` by ``promised``."""
    return ev.PromiseToPayMade(
        **_envelope(customer, at, event_id),
        invoice_id=invoice,
        promised_date=day(promised),
        amount_minor=amount,
        currency=currency,
    )


def payment_plan_accepted(
    customer: str = "c1",
    invoice: str = "i1",
    instalments: Iterable[tuple[Day, int]] = (("2026-11-01", 25000), ("2026-12-01", 24900)),
    *,
    currency: str = "SEK",
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.PaymentPlanAccepted:
    """An instalment plan: ``instalments`` are ``(due date, amount)`` pairs."""
    return ev.PaymentPlanAccepted(
        **_envelope(customer, at, event_id),
        invoice_id=invoice,
        currency=currency,
        instalments=[ev.Instalment(due_date=day(d), amount_minor=a) for d, a in instalments],
    )


def dunning_paused(
    customer: str = "c1",
    until: Day = "2026-10-25",
    invoice: str | None = None,
    *,
    reason: PauseReason | str = "payday",
    at: Moment | None = None,
    event_id: str | None = None,
) -> ev.DunningPaused:
    """A pause through ``until`` (inclusive); customer-wide when ``invoice`` is ``None``."""
    return ev.DunningPaused(
        **_envelope(customer, at, event_id),
        until=day(until),
        reason=PauseReason(reason),
        invoice_id=invoice,
    )


def customer_updated(
    customer: str = "c1", *, at: Moment | None = None, event_id: str | None = None, **kw: Any
) -> ev.CustomerUpdated:
    """What the biller knows about the customer; omitted fields mean unchanged, e.g.
    ``customer_updated(reachable_channels=["email"], vulnerable=True)``."""
    return ev.CustomerUpdated(**_envelope(customer, at, event_id), **kw)


def customer_churned(
    customer: str = "c1", *, at: Moment | None = None, event_id: str | None = None
) -> ev.CustomerChurned:
    """The customer left."""
    return ev.CustomerChurned(**_envelope(customer, at, event_id))


def customer_erased(
    customer: str = "c1", *, at: Moment | None = None, event_id: str | None = None
) -> ev.CustomerErased:
    """A GDPR erasure request."""
    return ev.CustomerErased(**_envelope(customer, at, event_id))
