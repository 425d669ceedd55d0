"""What a customer does about one contact they took in, while the invoice is still open.

A collection demand makes those who respond to pressure pay (finding the money by the next
payday if they had none); a plan, a deferral or a move to direct debit is taken by those who
need it and would not pay soon anyway; otherwise a message they read makes responsive customers
pay within days (never before the money is there), and a call they answer ends in a promise.
Each of these is a keyed draw of the contact (:func:`sim.messages.draw`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from schemas.enums import Action, Channel, PaymentMethod, PaymentOption
from sim.clock import DAY, HOUR, local_at, local_day, payday_after
from sim.config import KindParams, WorldConfig
from sim.messages import MINUTE, draw
from sim.population import CustomerLatent, InvoiceLatent, Payment
from sim.reactions import Contact, React, Reaction
from sim.rng import between

ELECTRONIC = (Channel.EMAIL, Channel.SMS, Channel.DIGITAL_MAILBOX)


@dataclass(slots=True)
class Plan:
    """An accepted instalment plan: kept for ``kept`` instalments, broken after that."""

    accepted_at: datetime
    decision_id: str
    reference: str | None
    instalments: tuple[tuple[datetime, int], ...]
    kept: int
    broken_at: datetime | None


@dataclass(slots=True)
class Course:
    """The invoice's course so far, while its contacts are walked in time order."""

    lump: Payment | None
    dispute_at: datetime | None
    plan: Plan | None = None

    def settled(self, at: datetime) -> bool:
        """Whether nothing a contact at ``at`` does can change the payment any more."""
        if self.dispute_at is not None:
            return self.dispute_at <= at
        if self.plan is not None and (self.plan.broken_at is None or at < self.plan.broken_at):
            return True
        return self.pays_by(at)

    def pays_by(self, at: datetime) -> bool:
        """Whether the lump sum arrives by ``at`` as things stand."""
        return self.lump is not None and self.lump.at <= at

    def offer(self, payment: Payment) -> None:
        """A new way the invoice would be paid; the earliest one wins."""
        if self.lump is None or payment.at < self.lump.at:
            self.lump = payment


def at_hour(c: CustomerLatent, day: date, u: float) -> datetime:
    """A time between 08 and 20 local on ``day``: when people pay on a day they chose."""
    return local_at(day, between(u, 8.0, 20.0), c.timezone)


@dataclass(slots=True)
class Meeting:
    """One contact the customer took in at ``read``, and what they do about it."""

    config: WorldConfig
    customer: CustomerLatent
    invoice: InvoiceLatent
    contact: Contact
    read: datetime
    course: Course
    out: list[Reaction]

    def u(self, tag: str) -> float:
        return draw(self.config, self.invoice, self.contact, tag)

    @property
    def kind(self) -> KindParams:
        return self.config.kinds[self.invoice.behaviour]

    def react(self) -> str | None:
        """Apply the customer's response to the course; a short tag of what they did."""
        course = self.course
        if course.dispute_at is not None:
            course.dispute_at = min(
                course.dispute_at, self.read + between(self.u("dispute"), 1, 3) * DAY
            )
            return "dispute"
        if self.contact.action is Action.ESCALATE:
            return self._pressure()
        if not course.pays_by(self.read + self.config.reactions.pay_soon_days * DAY):
            for offer in (self._plan, self._deferral):
                tag = offer()
                if tag is not None:
                    return tag
        return self._direct_debit() or self._respond()

    def _payment(self, at: datetime, method: PaymentMethod) -> None:
        c = self.contact
        self.course.offer(Payment(at, method, c.reference, c.decision_id))

    def _money_or_payday(self) -> datetime:
        """When the customer has the money; without any, pressure finds it by next payday."""
        if self.invoice.money_from is not None:
            return self.invoice.money_from
        zone = self.customer.timezone
        return local_at(payday_after(local_day(self.read, zone)), 8.0, zone)

    def _pressure(self) -> str | None:
        if self.u("respond") >= self.kind.escalation_respond:
            return None
        days = between(self.u("pay_at"), *self.config.reactions.escalation_pay_days)
        self._payment(max(self.read + days * DAY, self._money_or_payday()), PaymentMethod.BANK_GIRO)
        return "paid"

    def _plan(self) -> str | None:
        if not self.contact.offers(PaymentOption.PLAN, Action.OFFER_PLAN):
            return None
        if self.course.plan is not None or self.u("plan") >= self.kind.plan_accept:
            return None
        plan = self.course.plan = self._instalments()
        lump, self.course.lump = self.course.lump, None
        if plan.broken_at is not None and lump is not None:
            days = between(self.u("remainder"), *self.config.reactions.remainder_days)
            self.course.lump = Payment(max(lump.at, plan.broken_at + days * DAY), lump.method)
        return "plan"

    def _instalments(self) -> Plan:
        """Instalments on the next paydays; kept in full, or broken after ``kept`` of them."""
        config, c, inv = self.config, self.customer, self.invoice
        rules, n = config.reactions, config.liquidity.instalments
        accepted = self.read + between(self.u("plan_at"), 0.2, 2.0) * DAY
        first = local_day(accepted, c.timezone) + timedelta(days=rules.plan_lead_days - 1)
        days = [payday_after(first, i, config.liquidity.payday) for i in range(1, n + 1)]
        share = inv.amount_minor // n
        amounts = [share] * (n - 1) + [inv.amount_minor - share * (n - 1)]
        times = [at_hour(c, d, self.u(f"inst{i}")) for i, d in enumerate(days)]
        kept = n
        if self.u("keep") >= self.kind.plan_keep:
            kept = math.floor(self.u("kept") * n)
        broken = None
        if kept < n:
            grace = timedelta(days=rules.plan_grace_days + 1)
            broken = local_at(days[kept] + grace, 9.0, c.timezone)
        instalments = tuple(zip(times, amounts, strict=True))
        c = self.contact
        return Plan(accepted, c.decision_id, c.reference, instalments, kept, broken)

    def _deferral(self) -> str | None:
        if not self.contact.offers(PaymentOption.DEFERRAL, Action.OFFER_DEFERRAL):
            return None
        if self.u("deferral") >= self.kind.deferral_accept:
            return None
        zone, c = self.customer.timezone, self.contact
        paused = self.read + between(self.u("pause_at"), 1, 24) * HOUR
        until = payday_after(local_day(paused, zone) + timedelta(days=2))
        self.out.append(Reaction(paused, f"k{c.k}.pause", React.PAUSE, c.decision_id, day=until))
        money = self.invoice.money_from
        has_money = money is not None and local_day(money, zone) <= until
        if has_money or self.u("after_deferral") < self.config.liquidity.pay_after_deferral:
            at = at_hour(self.customer, until, self.u("deferral_hour"))
            self._payment(max(at, paused), payment_method(c))
        return "deferral"

    def _direct_debit(self) -> str | None:
        c = self.contact
        if not c.offers(PaymentOption.DIRECT_DEBIT, Action.OFFER_DIRECT_DEBIT):
            return None
        if self.invoice.direct_debit or self.u("dd") >= self.kind.dd_accept:
            return None
        signed = self.read + between(self.u("dd_at"), 1, 24) * HOUR
        self.out.append(Reaction(signed, f"k{c.k}.dd", React.DIRECT_DEBIT, c.decision_id))
        if self.invoice.money_from is not None:
            at = max(signed + 7 * DAY, self.invoice.money_from)
            self._payment(at, PaymentMethod.DIRECT_DEBIT)
        return "direct_debit"

    def _respond(self) -> str | None:
        c, kind = self.contact, self.kind
        phone = c.channel is Channel.PHONE
        chance = (kind.phone_respond if phone else kind.respond) * self.config.fatigue ** (c.k - 1)
        if self.u("respond") >= chance:
            return None
        if phone:
            return self._promise()
        money = self.invoice.money_from
        if money is None:
            return None
        at = max(self.read + between(self.u("pay_at"), *kind.respond_days) * DAY, money)
        if c.channel in ELECTRONIC:
            clicked = self.read + between(self.u("click_at"), 1, 10) * MINUTE
            self.out.append(
                Reaction(clicked, f"k{c.k}.clicked", React.CLICKED, c.decision_id, c.channel)
            )
            at = max(at, clicked + MINUTE)
        self._payment(at, payment_method(c))
        return "paid"

    def _promise(self) -> str:
        c, zone = self.contact, self.customer.timezone
        day = max(local_day(self.read, zone) + 2 * DAY, local_day(self._money_or_payday(), zone))
        promised = Reaction(
            self.read + 5 * MINUTE, f"k{c.k}.promise", React.PROMISE, c.decision_id, day=day
        )
        self.out.append(promised)
        if self.u("keep") < self.config.reactions.promise_keep:
            self._payment(at_hour(self.customer, day, self.u("pay_at")), PaymentMethod.SWISH)
        return "promise"


def payment_method(contact: Contact) -> PaymentMethod:
    """How a customer pays in answer to a contact: Swish or card from a link, else bank giro."""
    if contact.channel in ELECTRONIC:
        if PaymentOption.SWISH in contact.options or not contact.options:
            return PaymentMethod.SWISH
        if PaymentOption.CARD in contact.options:
            return PaymentMethod.CARD
    return PaymentMethod.BANK_GIRO
