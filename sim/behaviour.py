"""An invoice's course as a pure function of its latent truth and the contacts it received.

:func:`resolve` walks the contacts in time order. Each one the customer takes in while the
invoice is still open may bring its payment forward (a reminder to someone who forgot, a
collection demand to someone who pays only under pressure), replace it by a plan or a
deferral to payday, or trigger a dispute. Nothing an action does ever happens before the action,
and every draw is keyed by the contact (:func:`sim.messages.draw`), so:

* the course before a contact does not depend on that contact (re-resolving after a new
  decision reproduces every reaction already emitted), and
* the course without some contacts is exact: resolve the same invoice with fewer contacts.
  That is the counterfactual of an escalation, and :meth:`sim.world.World.value_if`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas.enums import Action, CallOutcome, Channel, DisputeOutcome, PaymentMethod
from sim.clock import DAY, local_day
from sim.config import WorldConfig
from sim.messages import MINUTE, deliver
from sim.population import CustomerLatent, InvoiceLatent, Payment
from sim.reactions import Contact, React, Reaction, Resolution
from sim.response import Course, Meeting
from sim.rng import between, unit

_NO_CONTACT = (Action.WAIT, Action.HUMAN_REVIEW)


def _call_outcome(contact: Contact, read: datetime | None, tag: str | None) -> Reaction:
    if read is None:
        outcome, at = CallOutcome.NO_ANSWER, contact.at + MINUTE
    else:
        promised = tag == "promise"
        outcome = CallOutcome.PROMISE_TO_PAY if promised else CallOutcome.REACHED
        at = read + 3 * MINUTE
    return Reaction(
        at,
        f"k{contact.k}.call",
        React.CALL,
        contact.decision_id,
        Channel.PHONE,
        outcome=outcome.value,
    )


def _dispute(
    config: WorldConfig, inv: InvoiceLatent, at: datetime, out: list[Reaction]
) -> tuple[Payment | None, datetime | None]:
    """A dispute opened at ``at``: its resolution, and the payment if the claim stands."""
    rules = config.reactions
    out.append(Reaction(at, "dispute", React.DISPUTE))
    ends = (
        at + between(unit(config.seed, inv.invoice_id, "dispute_days"), *rules.dispute_days) * DAY
    )
    upheld = unit(config.seed, inv.invoice_id, "upheld") < rules.dispute_upheld
    outcome = DisputeOutcome.CLAIM_UPHELD if upheld else DisputeOutcome.CLAIM_WITHDRAWN
    out.append(Reaction(ends, "resolved", React.RESOLVED, outcome=outcome.value))
    if not upheld:
        return None, ends
    pay = ends + between(unit(config.seed, inv.invoice_id, "after_dispute"), 1, 7) * DAY
    return Payment(pay, PaymentMethod.BANK_GIRO), None


def _payments(inv: InvoiceLatent, course: Course) -> list[tuple[Payment, int]]:
    """The money, in order: instalments kept, then whatever lump sum pays the rest."""
    paid: list[tuple[Payment, int]] = []
    left = inv.amount_minor
    plan = course.plan
    if plan is not None:
        for at, amount in plan.instalments[: plan.kept]:
            instalment = Payment(at, PaymentMethod.BANK_GIRO, plan.reference, plan.decision_id)
            paid.append((instalment, amount))
            left -= amount
    if course.lump is not None and left > 0:
        paid.append((course.lump, left))
    return paid


def resolve(
    config: WorldConfig,
    customer: CustomerLatent,
    invoice: InvoiceLatent,
    contacts: Sequence[Contact],
) -> Resolution:
    """The invoice's whole course under ``contacts`` (any order; walked by time)."""
    course = Course(None if invoice.dispute_at else invoice.natural, invoice.dispute_at)
    out: list[Reaction] = []
    for contact in sorted(contacts, key=lambda x: (x.at, x.k)):
        if contact.action in _NO_CONTACT or contact.channel is None:
            continue
        read = deliver(config, customer, invoice, contact, out)
        tag = None
        if read is not None and not course.settled(contact.at):
            tag = Meeting(config, customer, invoice, contact, read, course, out).react()
        if contact.channel is Channel.PHONE:
            out.append(_call_outcome(contact, read, tag))
    cancelled = None
    if course.dispute_at is not None:
        course.lump, cancelled = _dispute(config, invoice, course.dispute_at, out)
    elif course.plan is not None:
        plan = course.plan
        days = tuple((local_day(at, customer.timezone), amount) for at, amount in plan.instalments)
        out.append(Reaction(plan.accepted_at, "plan", React.PLAN, plan.decision_id, plan=days))
    paid_at = cause = None
    for i, (payment, amount) in enumerate(_payments(invoice, course), start=1):
        out.append(
            Reaction(
                payment.at,
                f"pay{i}",
                React.PAYMENT,
                amount_minor=amount,
                method=payment.method,
                reference=payment.reference,
                cause=payment.cause,
            )
        )
        paid_at, cause = payment.at, payment.cause
    complete = sum(r.amount_minor for r in out if r.kind is React.PAYMENT) >= invoice.amount_minor
    out.sort(key=lambda r: (r.at, r.key))
    return Resolution(
        tuple(out), paid_at if complete else None, cancelled, cause if complete else None
    )
