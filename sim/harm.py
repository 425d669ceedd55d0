"""What contacting costs the relationship: churn hazard and support tickets.

Churn is a hazard with a threshold drawn up front (:attr:`CustomerLatent.churn_threshold`,
Exp(1)): the customer leaves when the cumulative hazard reaches it. A post-due contact
multiplies the hazard for a while, an escalation much more and for longer; a move to direct
debit halves it. So whether and when a customer churns is a deterministic function of the
contacts they received, and the same threshold answers "would they have left anyway".

Support tickets are kept in the truth, not as events: a baseline per customer-month plus a
keyed draw per contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.enums import Action, Channel
from sim.clock import DAY, days_between, local_day, month_start, start_of_day_utc
from sim.config import WorldConfig
from sim.population import CustomerLatent, InvoiceLatent
from sim.reactions import Contact
from sim.rng import between, unit

MAX_YEARS = 30


@dataclass(frozen=True, slots=True)
class Exposure:
    """A stretch of raised churn hazard: ``multiplier`` from ``start`` for ``days``."""

    start: datetime
    days: float
    multiplier: float

    @property
    def end(self) -> datetime:
        return self.start + self.days * DAY


def reaches(customer: CustomerLatent, contact: Contact) -> bool:
    """Whether a contact gets to the customer at all (a bounced address spares them)."""
    channel = contact.channel
    if contact.action is Action.ESCALATE:
        return True  # the collection agency finds them
    return channel is not None and channel in customer.reachable and channel not in customer.bounced


def exposure(
    config: WorldConfig, customer: CustomerLatent, invoice: InvoiceLatent, contact: Contact
) -> Exposure | None:
    """The churn exposure a contact creates: escalations always, other contacts once overdue."""
    if contact.action in (Action.WAIT, Action.HUMAN_REVIEW) or not reaches(customer, contact):
        return None
    rules = config.churn
    if contact.action is Action.ESCALATE:
        return Exposure(contact.at, rules.escalation_days, rules.escalation_multiplier)
    if local_day(contact.at, customer.timezone) <= invoice.due_date:
        return None
    return Exposure(contact.at, rules.reminder_days, rules.reminder_multiplier)


def churn_time(
    config: WorldConfig,
    customer: CustomerLatent,
    origin: datetime,
    exposures: Iterable[Exposure],
    direct_debit_from: datetime | None = None,
) -> datetime | None:
    """When the cumulative hazard from ``origin`` reaches the customer's threshold.

    Between breakpoints the hazard is the base rate times the largest active multiplier (times
    the direct-debit factor once it is active, for customers who moved to direct debit).
    ``None`` when that is more than ``MAX_YEARS`` away.
    """
    spans = [e for e in exposures if e.end > origin]
    points = {origin}
    for e in spans:
        points.update((max(e.start, origin), e.end))
    if direct_debit_from is not None and direct_debit_from > origin:
        points.add(direct_debit_from)
    ordered = sorted(points)
    left = customer.churn_threshold
    base = customer.daily_hazard
    for here, there in zip(ordered, [*ordered[1:], None], strict=True):
        active = [e.multiplier for e in spans if e.start <= here < e.end]
        rate = base * max([1.0, *active])
        if direct_debit_from is not None and here >= direct_debit_from:
            rate *= config.churn.dd_multiplier
        length = days_between(here, there) if there is not None else MAX_YEARS * 365.0
        if rate * length >= left:
            at = here + (left / rate) * DAY
            return at.replace(microsecond=0) + timedelta(seconds=1)
        left -= rate * length
    return None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket: when, whose, and what prompted it (``baseline`` or an action)."""

    at: datetime
    customer_id: str
    cause: str
    invoice_id: str | None = None
    decision_id: str | None = None


def contact_ticket(
    config: WorldConfig, customer: CustomerLatent, invoice: InvoiceLatent, contact: Contact
) -> Ticket | None:
    """The ticket a contact provokes, if it does (a keyed draw, so counterfactuals agree)."""
    if contact.action in (Action.WAIT, Action.HUMAN_REVIEW) or not reaches(customer, contact):
        return None
    rules = config.support
    if contact.action is Action.ESCALATE:
        chance, cause = rules.escalation, "escalation"
    elif contact.channel is Channel.PHONE:
        chance, cause = rules.call, "call"
    else:
        chance, cause = rules.reminder, "reminder"
    key = (invoice.invoice_id, contact.k, contact.action, contact.channel)
    if unit(config.seed, *key, "ticket") >= chance:
        return None
    at = contact.at + between(unit(config.seed, *key, "ticket_at"), 0.1, 3.0) * DAY
    return Ticket(at, customer.customer_id, cause, invoice.invoice_id, contact.decision_id)


def baseline_tickets(
    config: WorldConfig, customer: CustomerLatent, until: datetime | None
) -> list[Ticket]:
    """Tickets that would come whatever dunning does (questions about the bill, moves), one
    draw per month the customer is billed, none after ``until`` (their churn)."""
    out = []
    for month in range(config.months):
        if unit(config.seed, customer.customer_id, month, "ticket") >= config.support.monthly:
            continue
        day = between(unit(config.seed, customer.customer_id, month, "ticket_day"), 0, 28)
        at = start_of_day_utc(month_start(config.start, month)) + day * DAY
        if until is None or at < until:
            out.append(Ticket(at.replace(microsecond=0), customer.customer_id, "baseline"))
    return out
