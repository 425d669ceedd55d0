"""The ground truth a run leaves behind: what happened, and what would have happened.

The engine never sees this. KPIs are computed from it (with the decisions), and so is the
judgement of every escalation: was it *unnecessary*, i.e. would the invoice have been paid in
full within the horizon after the escalation with the same history minus the escalation and
everything that followed it? Because every response is a keyed draw (:mod:`sim.rng`), that
counterfactual is one more call of :func:`sim.behaviour.resolve` with fewer contacts, and it is
exact: driving a fresh world with the same decisions minus the escalation gives the same answer
(``tests/sim/test_world.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from schemas.enums import Action
from sim.behaviour import resolve
from sim.clock import DAY
from sim.config import Kind, WorldConfig
from sim.costs import CostConfig
from sim.harm import Ticket
from sim.population import CustomerLatent, InvoiceLatent
from sim.reactions import Contact, Resolution


@dataclass(frozen=True, slots=True)
class EscalationTruth:
    """One escalated invoice judged against its counterfactual.

    ``paid_at`` is the factual full payment (possibly after the run ended: it is the course the
    world had set), ``paid_anyway_at`` the payment without the escalation and what followed.
    ``unnecessary``: paid anyway within ``horizon_end``; ``effective``: paid within it only
    because of the escalation; neither: not paid within it either way.
    """

    invoice_id: str
    customer_id: str
    decision_id: str
    escalated_at: datetime
    horizon_end: datetime
    paid_at: datetime | None
    paid_anyway_at: datetime | None

    @property
    def paid_within(self) -> bool:
        return self.paid_at is not None and self.paid_at <= self.horizon_end

    @property
    def unnecessary(self) -> bool:
        return self.paid_anyway_at is not None and self.paid_anyway_at <= self.horizon_end

    @property
    def effective(self) -> bool:
        return self.paid_within and not self.unnecessary


@dataclass(frozen=True, slots=True)
class InvoiceTruth:
    """One invoice: the money that arrived during the run and the contacts it got."""

    invoice_id: str
    customer_id: str
    amount_minor: int
    issue_date: date
    due_date: date
    behaviour: Kind
    payments: tuple[tuple[datetime, int], ...]
    paid_at: datetime | None
    cancelled_at: datetime | None
    natural_at: datetime | None
    contacts: tuple[Contact, ...]
    escalation: EscalationTruth | None

    @property
    def paid_minor(self) -> int:
        return sum(amount for _, amount in self.payments)

    @property
    def escalated(self) -> bool:
        return self.escalation is not None


@dataclass(frozen=True, slots=True)
class CustomerTruth:
    """One customer: who they really were and whether (when) they left."""

    customer_id: str
    kind: Kind
    timezone: str
    vulnerable: bool
    direct_debit: bool
    price_minor: int
    churned_at: datetime | None
    invoice_ids: tuple[str, ...]


@dataclass(frozen=True)
class WorldTruth:
    """Everything hidden about a run, as of ``as_of`` (the world's clock when taken)."""

    config: WorldConfig
    as_of: datetime | None
    customers: dict[str, CustomerTruth]
    invoices: dict[str, InvoiceTruth]
    tickets: tuple[Ticket, ...]

    @property
    def costs(self) -> CostConfig:
        return self.config.costs

    @property
    def escalations(self) -> list[EscalationTruth]:
        """Every escalated invoice's judgement, in invoice order."""
        return [i.escalation for i in self.invoices.values() if i.escalation is not None]


def judge_escalation(
    config: WorldConfig,
    customer: CustomerLatent,
    invoice: InvoiceLatent,
    contacts: list[Contact],
    factual: Resolution,
) -> EscalationTruth | None:
    """The counterfactual of the invoice's first escalation, or ``None`` if it had none."""
    ordered = sorted(contacts, key=lambda c: (c.at, c.k))
    first = next((i for i, c in enumerate(ordered) if c.action is Action.ESCALATE), None)
    if first is None:
        return None
    escalation = ordered[first]
    without = resolve(config, customer, invoice, ordered[:first])
    return EscalationTruth(
        invoice_id=invoice.invoice_id,
        customer_id=customer.customer_id,
        decision_id=escalation.decision_id,
        escalated_at=escalation.at,
        horizon_end=escalation.at + config.horizon_days * DAY,
        paid_at=factual.paid_at,
        paid_anyway_at=without.paid_at,
    )
