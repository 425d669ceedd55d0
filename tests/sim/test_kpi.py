"""KPIs: exact figures on a hand-made truth, and consistency on a real ladder run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from duewise.bootstrap import build_engine
from duewise.simloop import run_world
from schemas.enums import Action, Channel
from schemas.outbound import Decision, PolicyInfo
from sim.config import Kind, WorldConfig
from sim.costs import CostConfig
from sim.harm import Ticket
from sim.kpi import compute_kpis
from sim.truth import CustomerTruth, EscalationTruth, InvoiceTruth, WorldTruth
from sim.world import World


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00").astimezone(UTC)


def decision(invoice: str, action: Action, channel: Channel | None, day: str, n: int) -> Decision:
    return Decision(
        decision_id=f"{invoice}/{n}",
        customer_id="c2",
        invoice_id=invoice,
        decided_at=at(day),
        action=action,
        channel=channel,
        send_at=at(day),
        step=n,
        amount_due_minor=50000,
        currency="SEK",
        policy=PolicyInfo(name="test", arm="ladder", propensity=1.0),
    )


def customer(
    cid: str, price: int, churned: datetime | None, invoices: tuple[str, ...]
) -> CustomerTruth:
    return CustomerTruth(
        cid, Kind.PUNCTUAL, "Europe/Stockholm", False, False, price, churned, invoices
    )


def invoice(
    iid: str,
    cid: str,
    amount: int,
    due: date,
    paid: datetime | None,
    escalation: EscalationTruth | None = None,
) -> InvoiceTruth:
    payments = ((paid, amount),) if paid is not None else ()
    return InvoiceTruth(
        iid,
        cid,
        amount,
        date(due.year, due.month, 1),
        due,
        Kind.PUNCTUAL,
        payments,
        paid,
        None,
        None,
        (),
        escalation,
    )


def test_figures_of_a_hand_made_run() -> None:
    escalation = EscalationTruth(
        "i2", "c2", "i2/3", at("2026-03-02"), at("2026-05-31"), at("2026-03-10"), at("2026-03-05")
    )
    truth = WorldTruth(
        config=WorldConfig(customers=2, months=3),
        as_of=at("2026-03-31"),
        customers={
            "c1": customer("c1", 30000, at("2026-03-01"), ("i1",)),
            "c2": customer("c2", 50000, None, ("i2", "i3")),
        },
        invoices={
            "i1": invoice("i1", "c1", 30000, date(2026, 1, 31), at("2026-02-03")),
            "i2": invoice(
                "i2", "c2", 50000, date(2026, 1, 31), at("2026-03-10"), escalation=escalation
            ),
            "i3": invoice("i3", "c2", 50000, date(2026, 3, 3), None),
        },
        tickets=(
            Ticket(at("2026-01-20"), "c1", "baseline"),
            Ticket(at("2026-03-03"), "c2", "escalation", "i2", "i2/3"),
        ),
    )
    decisions = [
        decision("i2", Action.REMIND, Channel.EMAIL, "2026-02-05", 1),
        decision("i2", Action.REMIND, Channel.LETTER, "2026-02-14", 2),
        decision("i2", Action.ESCALATE, Channel.LETTER, "2026-03-02", 3),
        decision("i3", Action.WAIT, None, "2026-03-08", 1),
    ]
    k = compute_kpis(truth, decisions)
    third = 100.0 / 3
    assert (k.billed_sek, k.collected_sek) == (1300.0, 800.0)
    assert k.collected_share == pytest.approx(800 / 1300)
    assert k.mean_days_to_pay == pytest.approx((3 + 38) / 2)
    assert k.reminded_per_100 == pytest.approx(third)
    assert k.reminders_per_100 == pytest.approx({"email": third, "letter": third})
    assert k.escalations_per_100 == pytest.approx(third)
    assert k.unnecessary_share == 1.0
    assert (k.churn_rate, k.churn_escalated, k.churn_others, k.churn_ratio) == (0.5, 0.0, 1.0, 0.0)
    assert k.tickets_per_100_customers == 100.0
    assert k.contacts_per_invoice == 1.0
    assert k.action_cost_sek == 0.5 + 12 + 12 + 150
    assert k.churn_cost_sek == pytest.approx(12 * 0.3 * 300)
    assert k.support_cost_sek == 120
    assert k.net_value_sek == pytest.approx(800 - 174.5 - 1080 - 120)
    assert (k.funnel.invoices, k.funnel.overdue, k.funnel.reminded) == (3, 3, 1)
    assert (k.funnel.escalated, k.funnel.paid_after_escalation, k.funnel.unnecessary) == (1, 1, 1)
    assert k.series[0] == (date(2026, 1, 1), 0.0)
    assert k.series[-1] == (date(2026, 3, 31), pytest.approx(k.net_value_sek))
    assert len(k.series) == 90
    assert k.summary()["funnel_escalated"] == 1


def test_costs_are_configurable() -> None:
    costs = CostConfig(escalation=0.0, support_ticket=0.0, churn_margin_months=0.0)
    assert costs.action(Action.ESCALATE, Channel.LETTER) == 12.0
    assert costs.action(Action.HUMAN_REVIEW, None) == costs.human_review
    assert costs.churn(50000) == 0.0


def test_a_ladder_run_adds_up() -> None:
    world = World(WorldConfig(customers=250, months=3, seed=4))
    decisions: list[Decision] = []
    run_world(world, build_engine(), world.end, on_decision=decisions.append)
    k = compute_kpis(world.truth(), decisions)
    acted = [d for d in decisions if d.actionable]
    reminders = [d for d in acted if d.action not in (Action.ESCALATE, Action.HUMAN_REVIEW)]
    assert sum(k.reminders_per_100.values()) * k.invoices / 100 == pytest.approx(len(reminders))
    assert k.contacts_per_invoice * k.invoices == pytest.approx(len(acted))
    assert k.series[-1][1] == pytest.approx(k.net_value_sek, abs=0.05)
    f = k.funnel
    assert f.invoices >= f.overdue >= f.reminded >= f.escalated >= f.paid_after_escalation
    assert f.escalated >= f.unnecessary > 0
    assert 0.9 < k.collected_share <= 1.0
    assert k.net_value_sek == pytest.approx(
        k.collected_sek - k.action_cost_sek - k.churn_cost_sek - k.support_cost_sek
    )
