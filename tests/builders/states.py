"""State builders: customers, invoices and contact records, and ``apply`` to feed events
through the reducer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from engine.reducer import Notice, apply_event
from engine.state import ContactRecord, CustomerState, Instalment, InvoiceState
from schemas import events as ev
from schemas.enums import (
    Action,
    Channel,
    PaymentMethod,
    PaymentOption,
)
from tests.builders.times import DEFAULT_AT, Day, Moment, at, day


def customer(customer_id: str = "c1", *invoices: InvoiceState, **kw: Any) -> CustomerState:
    """A customer state holding ``invoices``; ``**kw`` sets any other field."""
    state = CustomerState(customer_id=customer_id, **kw)
    for inv in invoices:
        state.invoices[inv.invoice_id] = inv
    return state


def invoice(
    invoice_id: str = "i1",
    due: Day = "2026-09-30",
    amount: int = 49900,
    *,
    currency: str = "SEK",
    plan: Iterable[tuple[Day, int]] = (),
    **kw: Any,
) -> InvoiceState:
    """An invoice state, issued 29 days before it is due; ``**kw`` sets any other field."""
    due_date = day(due)
    issue_date = day(kw.pop("issue_date", due_date - timedelta(days=29)))
    return InvoiceState(
        invoice_id=invoice_id,
        amount_minor=amount,
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        issued_at=datetime.combine(issue_date, time(8, 0), tzinfo=UTC),
        payment_methods=kw.pop("payment_methods", [PaymentMethod.SWISH, PaymentMethod.CARD]),
        plan=[Instalment(due_date=day(d), amount_minor=a) for d, a in plan],
        **kw,
    )


def contact(
    invoice: str = "i1",
    send_at: Moment = DEFAULT_AT,
    channel: Channel | str | None = "email",
    action: Action | str = "remind",
    *,
    step: int = 1,
    respond_by: Day | None = None,
    options: Iterable[PaymentOption | str] = (),
    decision: str | None = None,
    **kw: Any,
) -> ContactRecord:
    """A contact the engine asked for (what :func:`engine.decide.decide` records)."""
    return ContactRecord(
        decision_id=decision or f"{invoice}/{step}",
        invoice_id=invoice,
        action=Action(action),
        channel=Channel(channel) if channel is not None else None,
        send_at=at(send_at),
        step=step,
        respond_by=day(respond_by) if respond_by is not None else None,
        payment_options=[PaymentOption(o) for o in options],
        **kw,
    )


def apply(
    *events: ev.EventBase, state: CustomerState | None = None
) -> tuple[CustomerState | None, list[Notice]]:
    """Apply ``events`` in order through the reducer; return the state and every notice."""
    notices: list[Notice] = []
    for event in events:
        state, out = apply_event(state, event)
        notices.extend(out)
    return state, notices
