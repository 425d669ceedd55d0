"""The world: customers who get invoices, react to decisions, pay, dispute, and leave.

It is a discrete-event simulation behind the small interface ``duewise.simloop`` drives:
:meth:`World.peek` and :meth:`World.pop` hand out events in time order; :meth:`World.observe`
hears a decision and re-derives that invoice's course (:func:`sim.behaviour.resolve`) and the
customer's churn time (:mod:`sim.harm`). Reactions already emitted are never taken back; the
ones not yet due are replaced, which is sound because a contact changes nothing before it.

Internally a heap of ``(timestamp, sequence, ...)`` entries; stale entries (an invoice re-resolved,
a churn time moved, an invoice of a customer who left) are skipped when they reach the top.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime

from schemas.enums import Action, Channel, PaymentOption
from schemas.events import EventBase
from schemas.outbound import Decision
from sim import emit
from sim.behaviour import resolve
from sim.clock import DAY, local_at, month_start
from sim.config import WorldConfig
from sim.harm import Exposure, baseline_tickets, churn_time, contact_ticket, exposure
from sim.population import CustomerLatent, InvoiceLatent, draw_customer, draw_invoice
from sim.reactions import Contact, React, Reaction, Resolution
from sim.truth import CustomerTruth, InvoiceTruth, WorldTruth, judge_escalation

_EVENT, _ISSUE, _REACTION, _CHURN = range(4)

DEFAULT_OPTIONS: dict[Action, frozenset[PaymentOption]] = {
    Action.REMIND: frozenset({PaymentOption.SWISH, PaymentOption.CARD, PaymentOption.BANK_GIRO}),
    Action.OFFER_PLAN: frozenset({PaymentOption.PLAN}),
    Action.OFFER_DEFERRAL: frozenset({PaymentOption.DEFERRAL}),
    Action.OFFER_DIRECT_DEBIT: frozenset({PaymentOption.DIRECT_DEBIT}),
    Action.ESCALATE: frozenset({PaymentOption.BANK_GIRO, PaymentOption.CARD, PaymentOption.PLAN}),
}
"""Payment options :meth:`World.value_if` assumes when the caller names none (the ladder's)."""


@dataclass(slots=True)
class _Customer:
    latent: CustomerLatent
    joined_at: datetime
    direct_debit: bool
    invoice_ids: list[str] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    direct_debit_from: datetime | None = None
    churned_at: datetime | None = None
    churn_version: int = 0


@dataclass(slots=True)
class _Invoice:
    latent: InvoiceLatent
    resolution: Resolution
    contacts: list[Contact] = field(default_factory=list)
    emitted: set[str] = field(default_factory=set)
    payments: list[tuple[datetime, int]] = field(default_factory=list)
    version: int = 0


class World:
    """A seeded world of ``config.customers`` customers billed monthly for ``config.months``.

    Same config and seed, same decisions observed at the same moments: the same event stream.
    """

    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        self._heap: list[tuple[float, int, datetime, int, str, int, object]] = []
        self._seq = 0
        self._clock: datetime | None = None
        self._customers: dict[str, _Customer] = {}
        self._invoices: dict[str, _Invoice] = {}
        for index in range(self.config.customers):
            latent = draw_customer(self.config, index)
            joined = local_at(self.config.start, self.config.issue_hour - 1.0, latent.timezone)
            customer = _Customer(latent, joined, latent.direct_debit)
            self._customers[latent.customer_id] = customer
            self._push(joined, _EVENT, latent.customer_id, 0, emit.customer_started(latent, joined))
            self._push_issue(customer, 0)
            self._schedule_churn(customer)

    # -- the loop's interface -------------------------------------------------------------

    def peek(self) -> datetime | None:
        """Time of the next event, ``None`` when the world has nothing more to say."""
        heap = self._heap
        while heap:
            entry = heap[0]
            if self._live(entry):
                return entry[2]
            heapq.heappop(heap)
        return None

    def pop(self) -> EventBase:
        """Remove and return the next event (times never decrease)."""
        if self.peek() is None:
            raise IndexError("the world has no more events")
        _, _, at, tag, ref, _, payload = heapq.heappop(self._heap)
        self._clock = at
        if tag == _EVENT:
            return payload  # type: ignore[return-value]
        if tag == _ISSUE:
            return self._issue(self._customers[ref], payload)  # type: ignore[arg-type]
        if tag == _CHURN:
            customer = self._customers[ref]
            customer.churned_at = at
            return emit.churned(customer.latent, at)
        return self._react(self._invoices[ref], payload)  # type: ignore[arg-type]

    def observe(self, decision: Decision) -> None:
        """Hear a decision: the customer meets it at its ``send_at`` and reacts from then on."""
        if decision.action is Action.WAIT:
            return
        invoice = self._invoices.get(decision.invoice_id)
        if invoice is None or any(c.decision_id == decision.decision_id for c in invoice.contacts):
            return  # not ours, or a re-sent decision (consumers dedupe by id)
        at = decision.send_at or decision.decided_at
        if self._clock is not None and at < self._clock:
            at = self._clock
        contact = Contact(
            k=len(invoice.contacts) + 1,
            decision_id=decision.decision_id,
            action=decision.action,
            channel=decision.channel,
            at=at,
            options=frozenset(decision.payment_options),
            reference=decision.payment_reference,
        )
        invoice.contacts.append(contact)
        self._resolve(invoice)
        customer = self._customers[invoice.latent.customer_id]
        raised = exposure(self.config, customer.latent, invoice.latent, contact)
        if raised is not None and customer.churned_at is None:
            customer.exposures.append(raised)
            self._schedule_churn(customer)

    # -- the oracle's hook ----------------------------------------------------------------

    def value_if(
        self,
        invoice_id: str,
        action: Action | str,
        channel: Channel | str | None,
        at: datetime,
        options: frozenset[PaymentOption] | None = None,
    ) -> float:
        """Net value in SEK of the invoice if ``action`` went out at ``at`` and nothing more
        ever after: money collected on it by ``at`` + the horizon, minus the action's cost,
        minus the churn cost if the customer leaves within the horizon, minus the support
        ticket the action provokes. ``options`` default to the ladder's for the action.

        Exact, not estimated: it uses the hidden truth and the very draws the world would use
        if the decision were made now (with ``send_at=at``), so it is the oracle's upper bound.
        """
        action = Action(action)
        chan = Channel(channel) if channel is not None else None
        invoice = self._invoices[invoice_id]
        customer = self._customers[invoice.latent.customer_id]
        costs, horizon = self.config.costs, at + self.config.horizon_days * DAY
        contacts, exposures = list(invoice.contacts), list(customer.exposures)
        value = -costs.action(action, chan)
        if action is not Action.WAIT:
            k = len(contacts) + 1
            offered = options if options is not None else DEFAULT_OPTIONS.get(action, frozenset())
            extra = Contact(k, f"{invoice_id}/whatif{k}", action, chan, at, offered)
            contacts.append(extra)
            raised = exposure(self.config, customer.latent, invoice.latent, extra)
            exposures += [raised] if raised is not None else []
            if contact_ticket(self.config, customer.latent, invoice.latent, extra) is not None:
                value -= costs.support_ticket
        outcome = resolve(self.config, customer.latent, invoice.latent, contacts)
        value += outcome.collected_by(horizon) / 100.0
        if customer.churned_at is None:
            leaves = self._churn_time(customer, exposures)
            if leaves is not None and leaves <= horizon:
                value -= costs.churn(customer.latent.price_minor)
        return value

    # -- the truth ------------------------------------------------------------------------

    def truth(self) -> WorldTruth:
        """Ground truth as of now: payments made, churn, tickets, escalations judged."""
        config = self.config
        invoices: dict[str, InvoiceTruth] = {}
        tickets = []
        for invoice in self._invoices.values():
            customer = self._customers[invoice.latent.customer_id]
            latent = invoice.latent
            untouched = resolve(config, customer.latent, latent, [])
            paid = sum(a for _, a in invoice.payments) >= latent.amount_minor
            invoices[latent.invoice_id] = InvoiceTruth(
                invoice_id=latent.invoice_id,
                customer_id=latent.customer_id,
                amount_minor=latent.amount_minor,
                issue_date=latent.issue_date,
                due_date=latent.due_date,
                behaviour=latent.behaviour,
                payments=tuple(invoice.payments),
                paid_at=invoice.payments[-1][0] if paid and invoice.payments else None,
                cancelled_at=self._cancelled_at(invoice),
                natural_at=untouched.paid_at,
                contacts=tuple(invoice.contacts),
                escalation=judge_escalation(
                    config, customer.latent, latent, invoice.contacts, invoice.resolution
                ),
            )
            for contact in invoice.contacts:
                ticket = contact_ticket(config, customer.latent, latent, contact)
                if ticket is not None and (self._clock is None or ticket.at <= self._clock):
                    tickets.append(ticket)
        customers = {}
        for cid, customer in self._customers.items():
            until = customer.churned_at or self._clock
            tickets += baseline_tickets(config, customer.latent, until)
            customers[cid] = CustomerTruth(
                customer_id=cid,
                kind=customer.latent.kind,
                timezone=customer.latent.timezone,
                vulnerable=customer.latent.vulnerable,
                direct_debit=customer.latent.direct_debit,
                price_minor=customer.latent.price_minor,
                churned_at=customer.churned_at,
                invoice_ids=tuple(customer.invoice_ids),
            )
        tickets.sort(key=lambda t: (t.at, t.customer_id, t.cause))
        return WorldTruth(config, self._clock, customers, invoices, tuple(tickets))

    @property
    def end(self) -> datetime:
        """When a run of this world should stop: the last due date plus the run-out."""
        config = self.config
        last_issue = month_start(config.start, config.months - 1)
        return local_at(last_issue, 0.0, "UTC") + (config.due_days + config.run_out_days) * DAY

    # -- internals ------------------------------------------------------------------------

    def _push(self, at: datetime, tag: int, ref: str, version: int, payload: object) -> None:
        if self._clock is not None and at < self._clock:
            at = self._clock
        self._seq += 1
        heapq.heappush(self._heap, (at.timestamp(), self._seq, at, tag, ref, version, payload))

    def _live(self, entry: tuple[float, int, datetime, int, str, int, object]) -> bool:
        _, _, _, tag, ref, version, _ = entry
        if tag == _REACTION:
            return self._invoices[ref].version == version
        if tag == _EVENT:
            return True
        customer = self._customers[ref]
        if customer.churned_at is not None:
            return False
        return tag == _ISSUE or customer.churn_version == version

    def _push_issue(self, customer: _Customer, month: int) -> None:
        if month >= self.config.months:
            return
        day = month_start(self.config.start, month)
        at = local_at(day, self.config.issue_hour, customer.latent.timezone)
        self._push(at, _ISSUE, customer.latent.customer_id, 0, month)

    def _issue(self, customer: _Customer, month: int) -> EventBase:
        latent = draw_invoice(self.config, customer.latent, month, customer.direct_debit)
        invoice = _Invoice(latent, resolve(self.config, customer.latent, latent, []))
        self._invoices[latent.invoice_id] = invoice
        customer.invoice_ids.append(latent.invoice_id)
        self._schedule(invoice)
        self._push_issue(customer, month + 1)
        return emit.invoice_issued(customer.latent, latent)

    def _resolve(self, invoice: _Invoice) -> None:
        customer = self._customers[invoice.latent.customer_id]
        invoice.resolution = resolve(self.config, customer.latent, invoice.latent, invoice.contacts)
        invoice.version += 1
        self._schedule(invoice)

    def _schedule(self, invoice: _Invoice) -> None:
        iid, version = invoice.latent.invoice_id, invoice.version
        for reaction in invoice.resolution.reactions:
            if reaction.key not in invoice.emitted:
                self._push(reaction.at, _REACTION, iid, version, reaction)

    def _react(self, invoice: _Invoice, reaction: Reaction) -> EventBase:
        invoice.emitted.add(reaction.key)
        latent = invoice.latent
        customer = self._customers[latent.customer_id]
        owed = latent.amount_minor - sum(a for _, a in invoice.payments)
        if reaction.kind is React.PAYMENT:
            invoice.payments.append((self._clock or reaction.at, reaction.amount_minor))
        elif reaction.kind is React.DIRECT_DEBIT and not customer.direct_debit:
            customer.direct_debit = True
            customer.direct_debit_from = reaction.at
            if customer.churned_at is None:
                self._schedule_churn(customer)
        return emit.reaction_event(customer.latent, latent, reaction, owed)

    def _schedule_churn(self, customer: _Customer) -> None:
        customer.churn_version += 1
        leaves = self._churn_time(customer, customer.exposures)
        if leaves is not None:
            self._push(leaves, _CHURN, customer.latent.customer_id, customer.churn_version, None)

    def _churn_time(self, customer: _Customer, exposures: list[Exposure]) -> datetime | None:
        latent, dd_from = customer.latent, customer.direct_debit_from
        return churn_time(self.config, latent, customer.joined_at, exposures, dd_from)

    def _cancelled_at(self, invoice: _Invoice) -> datetime | None:
        cancelled = invoice.resolution.cancelled_at
        if cancelled is None or "resolved" not in invoice.emitted:
            return None
        return cancelled
