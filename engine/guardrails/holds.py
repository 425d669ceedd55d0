"""Invoice-level holds: states in which no dunning action at all may be taken.

A dispute stops collection until it is resolved; a pause holds until its date; a promise to pay
holds until its date plus grace; an instalment plan holds while it is kept; a collection demand
holds every further step until its deadline (inkassolagen). Each returns the hold, or ``None``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.guardrails.calendar import local_date, start_of_next_day
from engine.guardrails.pack import RulePack
from engine.guardrails.types import Block, Candidate
from engine.state import CustomerState, InvoiceState
from schemas.enums import Action

_ANY = Candidate(Action.WAIT)


def _until(day: date, customer: CustomerState) -> datetime:
    return start_of_next_day(day, customer.timezone)


def dispute_hold(customer: CustomerState, invoice: InvoiceState, today: date) -> Block | None:
    """An open dispute stops dunning on the invoice until a resolution event arrives."""
    if invoice.disputed:
        return Block(_ANY, "rule.dispute_open", "the debtor disputes the claim", None, True)
    return None


def pause_hold(customer: CustomerState, invoice: InvoiceState, today: date) -> Block | None:
    """A pause (invoice or customer-wide) holds through its last day."""
    ends = [d for d in (invoice.paused_until, customer.paused_until) if d is not None]
    until = max(ends) if ends else None
    if until is not None and today <= until:
        return Block(_ANY, "rule.paused", f"paused until {until}", _until(until, customer), True)
    return None


def promise_hold(
    customer: CustomerState, invoice: InvoiceState, today: date, pack: RulePack
) -> Block | None:
    """A promise to pay holds until its date plus grace, unless it was already broken."""
    if invoice.promise_date is None:
        return None
    last = invoice.promise_date + timedelta(days=pack.promise_grace_days)
    if today <= last:
        detail = f"promise to pay by {invoice.promise_date}"
        return Block(_ANY, "rule.promise_pending", detail, _until(last, customer), True)
    return None


def plan_on_track(invoice: InvoiceState, today: date, grace_days: int) -> bool:
    """Whether every instalment due (after grace) by ``today`` has been paid.

    Only money received (or credited) since the plan was accepted counts towards it: what was
    paid before is already netted in the instalments.
    """
    due = sum(
        i.amount_minor for i in invoice.plan if i.due_date + timedelta(days=grace_days) < today
    )
    paid = invoice.paid_minor + invoice.credited_minor - invoice.plan_paid_base_minor
    return paid >= due


def plan_hold(
    customer: CustomerState, invoice: InvoiceState, today: date, pack: RulePack
) -> Block | None:
    """A kept plan holds until the next instalment's grace ends; a missed one breaks it, and
    a plan whose last instalment is behind it (money still owed) holds no longer."""
    if not invoice.plan or invoice.plan_broken:
        return None
    if not plan_on_track(invoice, today, pack.plan_grace_days):
        return None
    upcoming = [
        i.due_date + timedelta(days=pack.plan_grace_days)
        for i in invoice.plan
        if i.due_date + timedelta(days=pack.plan_grace_days) >= today
    ]
    if not upcoming:
        return None
    until = _until(min(upcoming), customer)
    return Block(_ANY, "rule.plan_active", "instalment plan is being kept", until, True)


def demand_hold(customer: CustomerState, invoice: InvoiceState, today: date) -> Block | None:
    """After a collection demand, no further step before its respond-by date has passed."""
    deadlines = [
        c.respond_by
        for c in customer.contacts
        if c.invoice_id == invoice.invoice_id
        and c.action is Action.ESCALATE
        and c.respond_by is not None
    ]
    if deadlines and today <= max(deadlines):
        last = max(deadlines)
        detail = f"collection demand open until {last}"
        return Block(_ANY, "rule.demand_deadline", detail, _until(last, customer), True)
    return None


def find_hold(
    customer: CustomerState, invoice: InvoiceState, now: datetime, pack: RulePack
) -> Block | None:
    """The first hold that applies, in order of legal weight."""
    today = local_date(now, customer.timezone)
    return (
        dispute_hold(customer, invoice, today)
        or demand_hold(customer, invoice, today)
        or pause_hold(customer, invoice, today)
        or promise_hold(customer, invoice, today, pack)
        or plan_hold(customer, invoice, today, pack)
    )
