"""The reducer: how one inbound event changes one customer's ledger state.

It never decides anything; deciding is :mod:`engine.decide`. It is total: every valid event
leads to a new state plus zero or more :class:`Notice` records for things a human should know
(a duplicate ignored, an early payment held, a held event expired). Events scoped to an invoice
that has not arrived yet are parked and replayed when it does, so out-of-order input is
reconciled rather than dropped. Re-delivered events are recognised by their ids, remembered for
a window of event time (:mod:`engine.dedupe`). An event about an archived invoice or payment
(:mod:`engine.archive`) cannot be applied any more: a re-issue or a repeated payment is ignored
as before, anything else becomes an ``archived_unapplied`` notice carrying the event, for the
dead-letter path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine import ledger
from engine.dedupe import remember
from engine.ids import parse_payment_reference
from engine.state import (
    CustomerState,
    Instalment,
    InvoiceState,
    InvoiceStatus,
    ParkedEvent,
    PaymentRecord,
)
from schemas import events as ev
from schemas.codec import decode_event, encode_event
from schemas.enums import CallOutcome, DisputeOutcome

PARKED_MAX = 64
PARKED_TTL = timedelta(days=120)
ARCHIVED_UNAPPLIED = "archived_unapplied"
DEAD_LETTER_NOTICES = frozenset({"parked_expired", "parked_evicted", ARCHIVED_UNAPPLIED})
"""Notices whose event could not be applied: the shells keep them in the dead-letter stream."""


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reducer did that is not a decision but must not go unseen."""

    kind: str
    event_id: str
    detail: str = ""
    raw: str | None = None


class _ParkedError(Exception):
    """Raised inside a handler when the event's invoice is not known yet."""

    def __init__(self, invoice_id: str) -> None:
        super().__init__(invoice_id)
        self.invoice_id = invoice_id


class _ArchivedError(Exception):
    """Raised inside a handler when the event names an archived invoice or payment."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _invoice(state: CustomerState, invoice_id: str) -> InvoiceState:
    invoice = state.invoices.get(invoice_id)
    if invoice is None:
        if invoice_id in state.archive.invoices:
            raise _ArchivedError(f"invoice {invoice_id} is archived")
        raise _ParkedError(invoice_id)
    return invoice


def _touch(invoice: InvoiceState, at: datetime) -> None:
    """An event about this invoice: a decision waiting for news may run now."""
    if invoice.awaiting_event:
        invoice.awaiting_event = False
        invoice.retry_at = at


def _touch_all(state: CustomerState, at: datetime) -> None:
    for invoice in state.invoices.values():
        _touch(invoice, at)


def _invoice_issued(state: CustomerState, e: ev.InvoiceIssued, out: list[Notice]) -> None:
    if e.invoice_id in state.invoices or e.invoice_id in state.archive.invoices:
        out.append(Notice("invoice_reissued_ignored", e.event_id, e.invoice_id))
        return
    invoice = InvoiceState(
        invoice_id=e.invoice_id,
        amount_minor=e.amount_minor,
        currency=e.currency,
        issue_date=e.issue_date,
        due_date=e.due_date,
        issued_at=e.occurred_at,
        payment_methods=list(e.payment_methods),
        debtor_kind=e.debtor_kind,
        reminder_fee_agreed=e.reminder_fee_agreed,
    )
    state.invoices[e.invoice_id] = invoice
    if "timezone" in e.model_fields_set:  # omitted, it would reset the customer's zone
        state.timezone = e.timezone
    ledger.apply_credit(state, invoice, e.occurred_at)
    _unpark(state, e.invoice_id, out)


def _invoice_adjusted(state: CustomerState, e: ev.InvoiceAdjusted, out: list[Notice]) -> None:
    invoice = _invoice(state, e.invoice_id)
    if e.currency != invoice.currency:
        out.append(Notice("currency_mismatch", e.event_id, f"credit note in {e.currency}"))
        return
    if e.credit_note_id in invoice.credit_notes:
        out.append(Notice("credit_note_repeated_ignored", e.event_id, e.credit_note_id))
        return
    invoice.credit_notes.append(e.credit_note_id)
    invoice.credited_minor += e.amount_minor
    ledger.free_excess(state, invoice, e.occurred_at)
    ledger.refresh_status(invoice, e.occurred_at)
    _touch(invoice, e.occurred_at)


def _invoice_cancelled(state: CustomerState, e: ev.InvoiceCancelled, out: list[Notice]) -> None:
    invoice = _invoice(state, e.invoice_id)
    invoice.status = InvoiceStatus.CANCELLED
    invoice.closed_at = e.occurred_at
    invoice.next_at = None
    ledger.release(state, invoice, e.occurred_at)


def _payment_target(state: CustomerState, e: ev.PaymentReceived) -> InvoiceState | None:
    """The invoice a payment names: by invoice id, by a bare invoice number used as reference,
    or by our reference ``INV.STEP``. An invoice id that is not known yet parks the payment; a
    reference that names no known invoice is not ours (we only make references for invoices we
    know), so the payment is allocated oldest first. A closed invoice takes nothing, so one
    that is archived (closed long ago) is no target either: oldest first again."""
    if e.invoice_id is not None:
        if e.invoice_id in state.archive.invoices:
            return None
        return _invoice(state, e.invoice_id)
    reference = e.payment_reference
    if reference is None:
        return None
    if reference in state.invoices:
        return state.invoices[reference]
    parsed = parse_payment_reference(reference)
    return state.invoices.get(parsed[0]) if parsed is not None else None


def _payment_received(state: CustomerState, e: ev.PaymentReceived, out: list[Notice]) -> None:
    if e.payment_id in state.payments or e.payment_id in state.archive.payments:
        out.append(Notice("payment_repeated_ignored", e.event_id, e.payment_id))
        return
    target = _payment_target(state, e)
    payment = PaymentRecord(
        payment_id=e.payment_id,
        amount_minor=e.amount_minor,
        currency=e.currency,
        method=e.method,
        received_at=e.occurred_at,
        reference=e.payment_reference,
    )
    state.payments[e.payment_id] = payment
    ledger.allocate(state, payment, target, e.occurred_at)
    if payment.unallocated_minor > 0:
        out.append(Notice("credit_held", e.event_id, f"{payment.unallocated_minor} unallocated"))
    _touch_all(state, e.occurred_at)


def _payment_reversed(state: CustomerState, e: ev.PaymentReversed, out: list[Notice]) -> None:
    payment = state.payments.get(e.payment_id)
    if payment is None and e.payment_id in state.archive.payments:
        # what it paid was closed and archived long ago: a person must look at it
        raise _ArchivedError(f"payment {e.payment_id} is archived")
    if payment is None or payment.reversed:
        out.append(Notice("reversal_unmatched", e.event_id, e.payment_id))
        return
    ledger.reverse(state, payment, e.occurred_at)
    _touch_all(state, e.occurred_at)


def _message(state: CustomerState, e: Any, out: list[Notice]) -> None:
    contact = next((c for c in state.contacts if c.decision_id == e.decision_id), None)
    if isinstance(e, ev.MessageBounced):
        if e.permanent and e.channel not in state.bounced:
            state.bounced.append(e.channel)
        _touch_all(state, e.occurred_at)
    if contact is None:
        return
    flag = {
        ev.MessageDelivered: "delivered",
        ev.MessageOpened: "opened",
        ev.MessageClicked: "clicked",
        ev.MessageBounced: "bounced",
    }.get(type(e))
    if flag:
        setattr(contact, flag, True)


def _call_completed(state: CustomerState, e: ev.CallCompleted, out: list[Notice]) -> None:
    if e.outcome in (CallOutcome.REACHED, CallOutcome.PROMISE_TO_PAY):
        last = state.last_conversation_at
        state.last_conversation_at = e.occurred_at if last is None else max(last, e.occurred_at)


def _dispute_opened(state: CustomerState, e: ev.DisputeOpened, out: list[Notice]) -> None:
    _invoice(state, e.invoice_id).disputed = True


def _dispute_resolved(state: CustomerState, e: ev.DisputeResolved, out: list[Notice]) -> None:
    invoice = _invoice(state, e.invoice_id)
    invoice.disputed = False
    _touch(invoice, e.occurred_at)
    # a withdrawn claim is owed by no one, even if it was paid: the money becomes credit
    if (
        e.outcome is DisputeOutcome.CLAIM_WITHDRAWN
        and invoice.status is not InvoiceStatus.CANCELLED
    ):
        invoice.status = InvoiceStatus.CANCELLED
        invoice.closed_at = e.occurred_at
        invoice.next_at = None
        ledger.release(state, invoice, e.occurred_at)


def _promise(state: CustomerState, e: ev.PromiseToPayMade, out: list[Notice]) -> None:
    invoice = _invoice(state, e.invoice_id)
    invoice.promise_date = e.promised_date
    invoice.promise_amount_minor = e.amount_minor
    _touch(invoice, e.occurred_at)


def _plan(state: CustomerState, e: ev.PaymentPlanAccepted, out: list[Notice]) -> None:
    invoice = _invoice(state, e.invoice_id)
    invoice.plan = [
        Instalment(due_date=i.due_date, amount_minor=i.amount_minor) for i in e.instalments
    ]
    invoice.plan_paid_base_minor = invoice.paid_minor + invoice.credited_minor
    invoice.plan_broken = False
    invoice.forbearance_offered = True
    _touch(invoice, e.occurred_at)


def _paused(state: CustomerState, e: ev.DunningPaused, out: list[Notice]) -> None:
    if e.invoice_id is None:
        state.paused_until = e.until
        _touch_all(state, e.occurred_at)
        return
    invoice = _invoice(state, e.invoice_id)
    invoice.paused_until = e.until
    _touch(invoice, e.occurred_at)


def _customer_updated(state: CustomerState, e: ev.CustomerUpdated, out: list[Notice]) -> None:
    if e.reachable_channels is not None:
        state.reachable = list(dict.fromkeys(e.reachable_channels))
        state.bounced = [c for c in state.bounced if c not in e.reachable_channels]
    if e.opted_out is not None:
        state.opted_out = list(dict.fromkeys([*state.opted_out, *e.opted_out]))
    if e.opted_in is not None:
        state.opted_out = [c for c in state.opted_out if c not in e.opted_in]
    for name in ("language", "timezone", "vulnerable", "direct_debit_active"):
        value = getattr(e, name)
        if value is not None:
            setattr(state, name, value)
    _touch_all(state, e.occurred_at)


def _churned(state: CustomerState, e: ev.CustomerChurned, out: list[Notice]) -> None:
    state.churned_at = state.churned_at or e.occurred_at


def _ignore(state: CustomerState, e: Any, out: list[Notice]) -> None:
    return None


_HANDLERS: dict[type, Callable[[CustomerState, Any, list[Notice]], None]] = {
    ev.InvoiceIssued: _invoice_issued,
    ev.InvoiceAdjusted: _invoice_adjusted,
    ev.InvoiceCancelled: _invoice_cancelled,
    ev.PaymentReceived: _payment_received,
    ev.PaymentReversed: _payment_reversed,
    ev.MessageSent: _message,
    ev.MessageDelivered: _message,
    ev.MessageBounced: _message,
    ev.MessageOpened: _message,
    ev.MessageClicked: _message,
    ev.CallCompleted: _call_completed,
    ev.DisputeOpened: _dispute_opened,
    ev.DisputeResolved: _dispute_resolved,
    ev.PromiseToPayMade: _promise,
    ev.PaymentPlanAccepted: _plan,
    ev.DunningPaused: _paused,
    ev.CustomerUpdated: _customer_updated,
    ev.CustomerChurned: _churned,
    ev.CustomerErased: _ignore,
}


def _park(state: CustomerState, event: ev.EventBase, invoice_id: str, out: list[Notice]) -> None:
    state.parked.append(
        ParkedEvent(
            event_id=event.event_id,
            invoice_id=invoice_id,
            parked_at=event.occurred_at,
            event_json=encode_event(event).decode(),
        )
    )
    out.append(Notice("parked", event.event_id, f"waiting for invoice {invoice_id}"))
    while len(state.parked) > PARKED_MAX:
        dropped = state.parked.pop(0)
        out.append(
            Notice("parked_evicted", dropped.event_id, "too many held events", dropped.event_json)
        )


def _unpark(state: CustomerState, invoice_id: str, out: list[Notice]) -> None:
    waiting = [p for p in state.parked if p.invoice_id == invoice_id]
    if not waiting:
        return
    state.parked = [p for p in state.parked if p.invoice_id != invoice_id]
    for parked in waiting:
        event = decode_event(parked.event_json)
        _dispatch(state, event, out)
        out.append(Notice("reconciled", event.event_id, f"applied to invoice {invoice_id}"))


def _expire_parked(state: CustomerState, now: datetime, out: list[Notice]) -> None:
    expired = [p for p in state.parked if now - p.parked_at > PARKED_TTL]
    if expired:
        state.parked = [p for p in state.parked if now - p.parked_at <= PARKED_TTL]
        for parked in expired:
            detail = f"invoice {parked.invoice_id} never arrived"
            out.append(Notice("parked_expired", parked.event_id, detail, parked.event_json))


def _dispatch(state: CustomerState, event: ev.EventBase, out: list[Notice]) -> None:
    try:
        _HANDLERS[type(event)](state, event, out)
    except _ParkedError as parked:
        _park(state, event, parked.invoice_id, out)
    except _ArchivedError as archived:
        raw = encode_event(event).decode()
        out.append(Notice(ARCHIVED_UNAPPLIED, event.event_id, archived.detail, raw))


def apply_event(
    state: CustomerState | None, event: ev.EventBase
) -> tuple[CustomerState | None, list[Notice]]:
    """Apply one event to one customer's state (``None`` when the customer is new).

    Returns the state to keep and the notices. The given state object is updated in place and
    returned: the caller hands over ownership. An erasure leaves only a tombstone (the customer
    id, the erasure time and the recent event ids, windowed as any customer's, no personal
    data), so that a re-delivered event from before the erasure cannot restart dunning under
    decision ids already used (an event from before the erasure is ignored by its time anyway;
    the ids keep recognising a re-delivered erasure or an event just after it).
    """
    out: list[Notice] = []
    if isinstance(event, ev.CustomerErased):
        seen = dict(state.seen_events) if state is not None else {}
        last = state.last_event_at if state is not None else None
        remember(seen, event.event_id, max(event.occurred_at, last or event.occurred_at))
        tombstone = CustomerState(
            customer_id=event.customer_id, erased_at=event.occurred_at, seen_events=seen
        )
        return tombstone, [Notice("erased", event.event_id, "customer state removed")]
    if state is None:
        state = CustomerState(customer_id=event.customer_id)
    if event.event_id in state.seen_events:
        return state, [Notice("duplicate_ignored", event.event_id)]
    if state.erased_at is not None and event.occurred_at <= state.erased_at:
        detail = "the event predates the customer's erasure"
        return state, [Notice("after_erasure_ignored", event.event_id, detail)]
    if state.last_event_at is None or event.occurred_at > state.last_event_at:
        state.last_event_at = event.occurred_at
    remember(state.seen_events, event.event_id, state.last_event_at)
    _dispatch(state, event, out)
    _expire_parked(state, event.occurred_at, out)
    return state, out
