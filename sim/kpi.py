"""The figures a credit manager judges a policy by, computed from the truth and the decisions.

Money comes from the truth (what was paid during the run), actions from the decisions, churn
and support tickets from the truth. Net value is what the biller keeps: money collected minus
what the actions cost, minus the margin lost with every customer who left, minus support
tickets, all priced by :class:`sim.costs.CostConfig`. Because every policy runs on the same
world with the same draws, differences in these figures between policies are causal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from schemas.enums import Action
from schemas.outbound import Decision
from sim.clock import local_day
from sim.costs import CostConfig
from sim.truth import InvoiceTruth, WorldTruth

REMINDER_ACTIONS = frozenset(
    {Action.REMIND, Action.OFFER_PLAN, Action.OFFER_DEFERRAL, Action.OFFER_DIRECT_DEBIT}
)
"""Contacts that ask for payment without escalating: what "got a reminder" counts."""


@dataclass(frozen=True, slots=True)
class Funnel:
    """How invoices thin out on the way to collection, and how many of those needed it."""

    invoices: int
    overdue: int
    reminded: int
    escalated: int
    paid_after_escalation: int
    unnecessary: int


@dataclass(frozen=True)
class Kpis:
    """One policy's run on one world. Shares are fractions; ``*_per_100`` per 100 invoices."""

    invoices: int
    customers: int
    billed_sek: float
    collected_sek: float
    collected_share: float
    mean_days_to_pay: float | None
    reminded_per_100: float
    reminders_per_100: dict[str, float]
    escalations_per_100: float
    unnecessary_share: float | None
    churn_rate: float
    churn_escalated: float | None
    churn_others: float | None
    churn_ratio: float | None
    tickets_per_100_customers: float
    contacts_per_invoice: float
    action_cost_sek: float
    churn_cost_sek: float
    support_cost_sek: float
    net_value_sek: float
    funnel: Funnel
    series: tuple[tuple[date, float], ...]

    def summary(self) -> dict[str, object]:
        """The scalar figures by name (no series, funnel flattened): one row of a table."""
        out = {k: v for k, v in asdict(self).items() if k not in ("series", "funnel")}
        out.update({f"funnel_{k}": v for k, v in asdict(self.funnel).items()})
        return out


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _billable(invoice: InvoiceTruth) -> bool:
    """A claim withdrawn after a dispute was never owed: it is not billed."""
    return invoice.cancelled_at is None


def _days_to_pay(truth: WorldTruth, invoice: InvoiceTruth) -> int | None:
    if invoice.paid_at is None:
        return None
    zone = truth.customers[invoice.customer_id].timezone
    return (local_day(invoice.paid_at, zone) - invoice.due_date).days


def _funnel(truth: WorldTruth, reminded: set[str]) -> Funnel:
    invoices = truth.invoices.values()
    overdue = 0
    for invoice in invoices:
        days = _days_to_pay(truth, invoice)
        overdue += invoice.cancelled_at is None and (days is None or days > 0)
    escalations = truth.escalations
    paid_after = sum(
        1
        for e in escalations
        if (i := truth.invoices[e.invoice_id]).paid_at and i.paid_at >= e.escalated_at
    )
    return Funnel(
        invoices=len(truth.invoices),
        overdue=overdue,
        reminded=len(reminded),
        escalated=len(escalations),
        paid_after_escalation=paid_after,
        unnecessary=sum(e.unnecessary for e in escalations),
    )


def _series(
    truth: WorldTruth, decisions: list[Decision], costs: CostConfig
) -> tuple[tuple[date, float], ...]:
    """Cumulative net value per day (UTC days) from the first day to the truth's clock."""
    daily: defaultdict[date, float] = defaultdict(float)
    for invoice in truth.invoices.values():
        for at, amount in invoice.payments:
            daily[at.date()] += amount / 100.0
    for decision in decisions:
        daily[decision.decided_at.date()] -= costs.action(decision.action, decision.channel)
    for customer in truth.customers.values():
        if customer.churned_at is not None:
            daily[customer.churned_at.date()] -= costs.churn(customer.price_minor)
    for ticket in truth.tickets:
        daily[ticket.at.date()] -= costs.support_ticket
    first = truth.config.start
    last = truth.as_of.date() if truth.as_of is not None else max(daily, default=first)
    out, total, day = [], 0.0, first
    while day <= last:
        total += daily.get(day, 0.0)
        out.append((day, round(total, 2)))
        day += timedelta(days=1)
    return tuple(out)


def compute_kpis(
    truth: WorldTruth, decisions: Iterable[Decision], costs: CostConfig | None = None
) -> Kpis:
    """Every KPI of a run from its truth and the decisions the policy made (waits included
    or not: they cost nothing). ``costs`` defaults to the world's own price list."""
    costs = costs or truth.costs
    acted = [d for d in decisions if d.action is not Action.WAIT and d.invoice_id in truth.invoices]
    invoices = list(truth.invoices.values())
    n = len(invoices)
    per_100 = 100.0 / n if n else 0.0
    by_channel: Counter[str] = Counter()
    reminded: set[str] = set()
    for d in acted:
        if d.action in REMINDER_ACTIONS:
            by_channel[d.channel.value if d.channel else "none"] += 1
            reminded.add(d.invoice_id)
    billed = sum(i.amount_minor for i in invoices if _billable(i)) / 100.0
    collected = sum(i.paid_minor for i in invoices) / 100.0
    days = [x for i in invoices if (x := _days_to_pay(truth, i)) is not None]
    escalated_customers = {e.customer_id for e in truth.escalations}
    customers = truth.customers.values()
    churned = [c for c in customers if c.churned_at is not None]
    churned_escalated = sum(c.customer_id in escalated_customers for c in churned)
    churn_escalated = _rate(churned_escalated, len(escalated_customers))
    others = len(truth.customers) - len(escalated_customers)
    churn_others = _rate(len(churned) - churned_escalated, others)
    ratio = None
    if churn_escalated is not None and churn_others:
        ratio = churn_escalated / churn_others
    action_cost = sum(costs.action(d.action, d.channel) for d in acted)
    churn_cost = sum(costs.churn(c.price_minor) for c in churned)
    support_cost = len(truth.tickets) * costs.support_ticket
    escalations = truth.escalations
    return Kpis(
        invoices=n,
        customers=len(truth.customers),
        billed_sek=billed,
        collected_sek=collected,
        collected_share=collected / billed if billed else 0.0,
        mean_days_to_pay=sum(days) / len(days) if days else None,
        reminded_per_100=len(reminded) * per_100,
        reminders_per_100={k: v * per_100 for k, v in sorted(by_channel.items())},
        escalations_per_100=len(escalations) * per_100,
        unnecessary_share=_rate(sum(e.unnecessary for e in escalations), len(escalations)),
        churn_rate=len(churned) / len(truth.customers) if truth.customers else 0.0,
        churn_escalated=churn_escalated,
        churn_others=churn_others,
        churn_ratio=ratio,
        tickets_per_100_customers=100.0 * len(truth.tickets) / max(1, len(truth.customers)),
        contacts_per_invoice=len(acted) / n if n else 0.0,
        action_cost_sek=action_cost,
        churn_cost_sek=churn_cost,
        support_cost_sek=support_cost,
        net_value_sek=collected - action_cost - churn_cost - support_cost,
        funnel=_funnel(truth, reminded),
        series=_series(truth, acted, costs),
    )
