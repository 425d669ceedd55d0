"""Terse builders for events, states and engine runs, shared by every test suite.

Every event builder takes the fields a test usually cares about as keywords with sensible
defaults, plus ``at`` (when it occurred, default :data:`DEFAULT_AT`), ``event_id`` (default: a
fresh unique id) and ``**kw`` for any other field of the event model. Times are strings or
datetimes; strings without an offset are read as UTC. Dates are ``"YYYY-MM-DD"`` strings or
:class:`datetime.date` objects.

>>> e = invoice_issued(invoice="i7", due="2026-09-30", amount=100)
>>> (e.invoice_id, e.due_date.isoformat(), e.occurred_at.isoformat())
('i7', '2026-09-30', '2026-09-01T08:00:00+00:00')
>>> at("2026-10-05T06:00").isoformat()
'2026-10-05T06:00:00+00:00'
>>> local("2026-10-05T08:00").isoformat()  # 08:00 in Stockholm (CEST) is 06:00 UTC
'2026-10-05T06:00:00+00:00'
>>> state, notices = apply(invoice_issued(), payment_received(amount=49900, invoice="i1"))
>>> state.invoices["i1"].status.value
'paid'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.guardrails import RulePack
from engine.guardrails.calendar import zone
from engine.policies import LadderPolicy
from engine.reducer import Notice, apply_event
from engine.state import ContactRecord, CustomerState, Instalment, InvoiceState
from engine.step import EngineContext, advance, step
from schemas import events as ev
from schemas.enums import (
    Action,
    CallOutcome,
    Channel,
    DisputeOutcome,
    PauseReason,
    PaymentMethod,
    PaymentOption,
)
from schemas.outbound import Decision

__all__ = [
    "DEFAULT_AT",
    "Run",
    "apply",
    "at",
    "call_completed",
    "contact",
    "customer",
    "customer_churned",
    "customer_erased",
    "customer_updated",
    "day",
    "dispute_opened",
    "dispute_resolved",
    "dunning_paused",
    "engine_context",
    "invoice",
    "invoice_adjusted",
    "invoice_cancelled",
    "invoice_issued",
    "local",
    "message",
    "payment_plan_accepted",
    "payment_received",
    "payment_reversed",
    "promise_to_pay",
    "run",
]

DEFAULT_AT = "2026-10-01T08:00"
"""When an event occurred if the test does not say (UTC)."""

_ids = itertools.count(1)

Moment = str | datetime
Day = str | date


# --------------------------------------------------------------------------- time


def at(value: Moment) -> datetime:
    """An aware UTC datetime from ``"2026-10-05T06:00"`` (UTC unless an offset is given)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(value: Moment, tz: str = "Europe/Stockholm") -> datetime:
    """The UTC instant of local wall time ``value`` in ``tz`` (``value`` must be naive)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        raise ValueError("local() takes a naive wall-clock time")
    return moment.replace(tzinfo=zone(tz)).astimezone(UTC)


def day(value: Day) -> date:
    """A :class:`date` from ``"2026-09-30"`` (a date passes through)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


# --------------------------------------------------------------------------- events


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


# --------------------------------------------------------------------------- state


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


# --------------------------------------------------------------------------- engine runs


def engine_context(
    pack: RulePack | None = None, policy: Any = None, seed: int = 0
) -> EngineContext:
    """The engine's fixed context; the ladder and Swedish rules unless told otherwise."""
    return EngineContext(policy or LadderPolicy(), pack or RulePack(), seed)


class Run:
    """The outcome of :func:`run`: the final state, every decision and every notice."""

    def __init__(
        self, state: CustomerState | None, decisions: list[Decision], notices: list[Notice]
    ) -> None:
        self.state = state
        self.decisions = decisions
        self.notices = notices

    @property
    def actions(self) -> list[Decision]:
        """Decisions a notifier acts on (every one but waits)."""
        return [d for d in self.decisions if d.actionable]

    def summary(self) -> list[tuple[str, str, str | None]]:
        """``(decided_at ISO, action, channel)`` of every actionable decision, for asserts."""
        return [
            (d.decided_at.isoformat(), d.action.value, d.channel.value if d.channel else None)
            for d in self.actions
        ]


def run(
    *events: ev.EventBase,
    until: Moment | None = None,
    ctx: EngineContext | None = None,
    state: CustomerState | None = None,
) -> Run:
    """Feed ``events`` (in the given order) through :func:`engine.step.step`, then advance the
    clock to ``until``; everything one customer's runtime would do."""
    ctx = ctx or engine_context()
    decisions: list[Decision] = []
    notices: list[Notice] = []
    for event in events:
        result = step(state, event, ctx)
        state = result.state
        decisions.extend(result.decisions)
        notices.extend(result.notices)
    if until is not None and state is not None:
        result = advance(state, at(until), ctx)
        decisions.extend(result.decisions)
        notices.extend(result.notices)
    return Run(state, decisions, notices)
