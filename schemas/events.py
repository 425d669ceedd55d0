"""Inbound events: facts that billing, payment and notification systems tell duewise.

Names are past tense because they describe what already happened. Every model carries the
envelope of :class:`schemas.base.EventBase` and a ``type`` literal that discriminates the union.
No model has a free-text field that could carry a name, an address or a phone number.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator

from schemas.base import (
    Currency,
    EventBase,
    Flag,
    Frozen,
    Id,
    IsoDate,
    Language,
    PositiveMinor,
    TimeZone,
)
from schemas.enums import (
    CallOutcome,
    Channel,
    DebtorKind,
    DisputeOutcome,
    PauseReason,
    PaymentMethod,
)


class InvoiceIssued(EventBase):
    """A biller issued an invoice. Dunning starts counting from ``due_date``."""

    type: Literal["invoice_issued"] = "invoice_issued"
    invoice_id: Id
    amount_minor: PositiveMinor
    currency: Currency
    issue_date: IsoDate
    due_date: IsoDate
    timezone: TimeZone = "Europe/Stockholm"
    payment_methods: Annotated[list[PaymentMethod], Field(min_length=1, max_length=8)]
    debtor_kind: DebtorKind = DebtorKind.CONSUMER
    reminder_fee_agreed: Flag = False

    @field_validator("due_date")
    @classmethod
    def _due_after_issue(cls, value: date, info: ValidationInfo) -> date:
        issued = info.data.get("issue_date")
        if issued is not None and value < issued:
            raise ValueError("must not be before issue_date")
        return value


class InvoiceAdjusted(EventBase):
    """A credit note reduced what is owed on an invoice; it is netted before any reminder."""

    type: Literal["invoice_adjusted"] = "invoice_adjusted"
    invoice_id: Id
    credit_note_id: Id
    amount_minor: PositiveMinor
    currency: Currency


class InvoiceCancelled(EventBase):
    """The biller withdrew an invoice; nothing is owed on it any more."""

    type: Literal["invoice_cancelled"] = "invoice_cancelled"
    invoice_id: Id


class PaymentReceived(EventBase):
    """Money arrived. ``payment_reference`` ties it to the decision that asked for it."""

    type: Literal["payment_received"] = "payment_received"
    payment_id: Id
    amount_minor: PositiveMinor
    currency: Currency
    method: PaymentMethod
    invoice_id: Id | None = None
    payment_reference: Id | None = None


class PaymentReversed(EventBase):
    """A payment bounced back (charge-back, failed direct debit); the debt is open again."""

    type: Literal["payment_reversed"] = "payment_reversed"
    payment_id: Id


class _MessageEvent(EventBase):
    """What a notifier reports about a message it sent on behalf of a decision."""

    decision_id: Id
    channel: Channel


class MessageSent(_MessageEvent):
    """The notifier handed the message to its channel."""

    type: Literal["message_sent"] = "message_sent"


class MessageDelivered(_MessageEvent):
    """The channel confirmed delivery."""

    type: Literal["message_delivered"] = "message_delivered"


class MessageBounced(_MessageEvent):
    """The channel could not deliver. A permanent bounce makes the channel unusable."""

    type: Literal["message_bounced"] = "message_bounced"
    permanent: Flag = True


class MessageOpened(_MessageEvent):
    """The debtor opened the message."""

    type: Literal["message_opened"] = "message_opened"


class MessageClicked(_MessageEvent):
    """The debtor followed a link in the message (to a payment page, say)."""

    type: Literal["message_clicked"] = "message_clicked"


class CallCompleted(EventBase):
    """A phone call ended. A conversation blocks further calls for a while (contact limits)."""

    type: Literal["call_completed"] = "call_completed"
    outcome: CallOutcome
    decision_id: Id | None = None
    invoice_id: Id | None = None


class DisputeOpened(EventBase):
    """The debtor contests the claim: collection stops on this invoice until it is resolved."""

    type: Literal["dispute_opened"] = "dispute_opened"
    invoice_id: Id


class DisputeResolved(EventBase):
    """A dispute ended; if the claim was withdrawn the invoice is closed."""

    type: Literal["dispute_resolved"] = "dispute_resolved"
    invoice_id: Id
    outcome: DisputeOutcome


class PromiseToPayMade(EventBase):
    """The debtor promised to pay by a date; dunning holds until then plus a grace period."""

    type: Literal["promise_to_pay_made"] = "promise_to_pay_made"
    invoice_id: Id
    promised_date: IsoDate
    amount_minor: PositiveMinor
    currency: Currency


class Instalment(Frozen):
    """One instalment of a payment plan."""

    due_date: IsoDate
    amount_minor: PositiveMinor


class PaymentPlanAccepted(EventBase):
    """The debtor accepted an instalment plan for an invoice."""

    type: Literal["payment_plan_accepted"] = "payment_plan_accepted"
    invoice_id: Id
    currency: Currency
    instalments: Annotated[list[Instalment], Field(min_length=1, max_length=60)]

    @field_validator("instalments")
    @classmethod
    def _ordered(cls, value: list[Instalment]) -> list[Instalment]:
        dates = [i.due_date for i in value]
        if dates != sorted(dates):
            raise ValueError("due dates must be in ascending order")
        return value


class DunningPaused(EventBase):
    """Dunning holds until ``until`` (inclusive), for one invoice or, without one, all of them."""

    type: Literal["dunning_paused"] = "dunning_paused"
    until: IsoDate
    reason: PauseReason
    invoice_id: Id | None = None


class CustomerUpdated(EventBase):
    """What the biller knows about how to reach a customer. ``None`` means unchanged.

    ``opted_out`` lists channels the customer refused; they are never used again, even if a
    later update lists them as reachable, until ``opted_in`` names them explicitly.
    """

    type: Literal["customer_updated"] = "customer_updated"
    reachable_channels: list[Channel] | None = None
    opted_out: list[Channel] | None = None
    opted_in: list[Channel] | None = None
    language: Language | None = None
    timezone: TimeZone | None = None
    vulnerable: Flag | None = None
    direct_debit_active: Flag | None = None


class CustomerChurned(EventBase):
    """The customer ended the relationship (cancelled the subscription, switched provider)."""

    type: Literal["customer_churned"] = "customer_churned"


class CustomerErased(EventBase):
    """A GDPR erasure request: the customer's state goes, aggregates stay."""

    type: Literal["customer_erased"] = "customer_erased"


Event = Annotated[
    InvoiceIssued
    | InvoiceAdjusted
    | InvoiceCancelled
    | PaymentReceived
    | PaymentReversed
    | MessageSent
    | MessageDelivered
    | MessageBounced
    | MessageOpened
    | MessageClicked
    | CallCompleted
    | DisputeOpened
    | DisputeResolved
    | PromiseToPayMade
    | PaymentPlanAccepted
    | DunningPaused
    | CustomerUpdated
    | CustomerChurned
    | CustomerErased,
    Field(discriminator="type"),
]
"""Any inbound event, discriminated by its ``type``."""

EVENT_TYPES: tuple[type[EventBase], ...] = get_args(get_args(Event)[0])
"""Every inbound event class, in the union's order (JSON Schema export, summaries, tests)."""
