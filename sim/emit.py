"""Turning the world's facts into contract events, exactly as a biller's systems would send them.

Event ids are derived from what the event is about (``<invoice>.<reaction key>``,
``<customer>.churned``), so they are unique by construction, the same in every run with the
same history, and readable in a log.
"""

from __future__ import annotations

from datetime import datetime

from schemas.enums import (
    CallOutcome,
    Channel,
    DisputeOutcome,
    PauseReason,
    PaymentMethod,
)
from schemas.events import (
    CallCompleted,
    CustomerChurned,
    CustomerUpdated,
    DisputeOpened,
    DisputeResolved,
    DunningPaused,
    EventBase,
    Instalment,
    InvoiceIssued,
    MessageBounced,
    MessageClicked,
    MessageDelivered,
    MessageOpened,
    MessageSent,
    PaymentPlanAccepted,
    PaymentReceived,
    PromiseToPayMade,
)
from sim.population import CustomerLatent, InvoiceLatent
from sim.reactions import React, Reaction

CURRENCY = "SEK"
_MESSAGES = {
    React.SENT: MessageSent,
    React.DELIVERED: MessageDelivered,
    React.OPENED: MessageOpened,
    React.CLICKED: MessageClicked,
}
_MANUAL = [PaymentMethod.SWISH, PaymentMethod.CARD, PaymentMethod.BANK_GIRO]


def customer_started(c: CustomerLatent, at: datetime) -> CustomerUpdated:
    """What the CRM knows of a customer when the world begins."""
    return CustomerUpdated(
        event_id=f"{c.customer_id}.start",
        occurred_at=at,
        customer_id=c.customer_id,
        source="crm",
        reachable_channels=list(c.reachable),
        language=c.language,
        timezone=c.timezone,
        vulnerable=c.vulnerable,
        direct_debit_active=c.direct_debit,
    )


def churned(c: CustomerLatent, at: datetime) -> CustomerChurned:
    """The customer cancelled their subscription."""
    return CustomerChurned(
        event_id=f"{c.customer_id}.churned",
        occurred_at=at,
        customer_id=c.customer_id,
        source="crm",
    )


def invoice_issued(c: CustomerLatent, inv: InvoiceLatent) -> InvoiceIssued:
    """The month's invoice; direct-debit customers can also be drawn by autogiro."""
    methods = [PaymentMethod.DIRECT_DEBIT, *_MANUAL] if inv.direct_debit else list(_MANUAL)
    return InvoiceIssued(
        event_id=f"{inv.invoice_id}.issued",
        occurred_at=inv.issued_at,
        customer_id=c.customer_id,
        source="billing",
        invoice_id=inv.invoice_id,
        amount_minor=inv.amount_minor,
        currency=CURRENCY,
        issue_date=inv.issue_date,
        due_date=inv.due_date,
        timezone=c.timezone,
        payment_methods=methods,
    )


def reaction_event(
    c: CustomerLatent, inv: InvoiceLatent, r: Reaction, outstanding_minor: int
) -> EventBase:
    """The event that reports reaction ``r`` on ``inv`` (``outstanding_minor``: still owed)."""
    head = {
        "event_id": f"{inv.invoice_id}.{r.key}",
        "occurred_at": r.at,
        "customer_id": c.customer_id,
    }
    iid = inv.invoice_id
    kind = r.kind
    if kind in _MESSAGES:
        return _MESSAGES[kind](
            **head, source="notifier", decision_id=r.decision_id, channel=r.channel
        )
    if kind is React.BOUNCED:
        return MessageBounced(
            **head, source="notifier", decision_id=r.decision_id, channel=r.channel, permanent=True
        )
    if kind is React.CALL:
        return CallCompleted(
            **head,
            source="call_center",
            outcome=CallOutcome(r.outcome),
            decision_id=r.decision_id,
            invoice_id=iid,
        )
    if kind is React.PAYMENT:
        return PaymentReceived(
            **head,
            source="payments",
            payment_id=f"{iid}.{r.key}",
            amount_minor=r.amount_minor,
            currency=CURRENCY,
            method=r.method,
            invoice_id=iid,
            payment_reference=r.reference,
        )
    if kind is React.PROMISE:
        return PromiseToPayMade(
            **head,
            source="call_center",
            invoice_id=iid,
            promised_date=r.day,
            amount_minor=max(outstanding_minor, 1),
            currency=CURRENCY,
        )
    if kind is React.PLAN:
        instalments = [Instalment(due_date=d, amount_minor=a) for d, a in r.plan]
        return PaymentPlanAccepted(
            **head, source="payments", invoice_id=iid, currency=CURRENCY, instalments=instalments
        )
    if kind is React.PAUSE:
        return DunningPaused(
            **head, source="crm", until=r.day, reason=PauseReason.PAYDAY, invoice_id=iid
        )
    if kind is React.DISPUTE:
        return DisputeOpened(**head, source="crm", invoice_id=iid)
    if kind is React.RESOLVED:
        return DisputeResolved(
            **head, source="crm", invoice_id=iid, outcome=DisputeOutcome(r.outcome)
        )
    if kind is React.OPT_OUT:
        channel: Channel | None = r.channel
        return CustomerUpdated(**head, source="crm", opted_out=[channel] if channel else [])
    if kind is React.DIRECT_DEBIT:
        return CustomerUpdated(**head, source="crm", direct_debit_active=True)
    raise ValueError(f"no event for reaction {kind}")
