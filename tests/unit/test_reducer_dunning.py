"""The reducer, dunning state: disputes, promises, payment plans, pauses and decisions
woken by news.
"""

from __future__ import annotations

import pytest

from engine.state import InvoiceStatus
from schemas.events import EventBase
from tests.builders import (
    apply,
    at,
    call_completed,
    customer_updated,
    day,
    dispute_opened,
    dispute_resolved,
    dunning_paused,
    message,
    payment_plan_accepted,
    payment_received,
    promise_to_pay,
)
from tests.unit.reducer_helpers import (
    I1,
)


def test_dispute_opened_and_resolved() -> None:
    state, _ = apply(I1, dispute_opened(at="2026-10-03T08:00"))
    assert state is not None and state.invoices["i1"].disputed
    state, _ = apply(dispute_resolved(at="2026-10-04T08:00"), state=state)
    assert state is not None and not state.invoices["i1"].disputed


def test_withdrawn_dispute_closes_the_invoice_for_good() -> None:
    state, _ = apply(I1, dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"))
    assert state is not None
    inv = state.invoices["i1"]
    assert (inv.status, inv.closed_at, inv.next_at) == (
        InvoiceStatus.CANCELLED,
        at("2026-10-04T08:00"),
        None,
    )


def test_promise_to_pay_is_recorded() -> None:
    state, _ = apply(I1, promise_to_pay(promised="2026-10-25", amount=30000))
    assert state is not None
    inv = state.invoices["i1"]
    assert (inv.promise_date, inv.promise_amount_minor) == (day("2026-10-25"), 30000)


def test_plan_accepted_records_plan_forbearance_and_what_was_paid_before() -> None:
    state, _ = apply(
        I1,
        payment_received(amount=9900, invoice="i1", at="2026-10-02T08:00"),
        payment_plan_accepted(
            instalments=[("2026-11-01", 20000), ("2026-12-01", 20000)], at="2026-10-05T08:00"
        ),
    )
    assert state is not None
    inv = state.invoices["i1"]
    assert [(i.due_date, i.amount_minor) for i in inv.plan] == [
        (day("2026-11-01"), 20000),
        (day("2026-12-01"), 20000),
    ]
    assert (inv.forbearance_offered, inv.plan_broken, inv.plan_paid_base_minor) == (
        True,
        False,
        9900,
    )


@pytest.mark.parametrize(
    ("pause", "invoice_until", "customer_until"),
    [
        pytest.param({"invoice": "i1"}, "2026-10-25", None, id="invoice-pause"),
        pytest.param({}, None, "2026-10-25", id="customer-wide-pause"),
    ],
)
def test_pause(pause: dict[str, str], invoice_until: str | None, customer_until: str | None):
    state, _ = apply(I1, dunning_paused(until="2026-10-25", **pause))
    assert state is not None
    assert state.invoices["i1"].paused_until == (day(invoice_until) if invoice_until else None)
    assert state.paused_until == (day(customer_until) if customer_until else None)


@pytest.mark.parametrize(
    ("event", "woken"),
    [
        pytest.param(payment_received(amount=100, at="2026-10-06T08:00"), True, id="payment"),
        pytest.param(dispute_resolved(at="2026-10-06T08:00"), True, id="dispute-resolved"),
        pytest.param(
            customer_updated(language="sv", at="2026-10-06T08:00"), True, id="customer-updated"
        ),
        pytest.param(dunning_paused(at="2026-10-06T08:00"), True, id="customer-pause"),
        pytest.param(promise_to_pay(at="2026-10-06T08:00"), True, id="promise"),
        pytest.param(message("bounced", at="2026-10-06T08:00"), True, id="bounce"),
        pytest.param(message("opened", at="2026-10-06T08:00"), False, id="opened-does-not-wake"),
        pytest.param(call_completed(at="2026-10-06T08:00"), False, id="call-does-not-wake"),
    ],
)
def test_events_wake_a_decision_waiting_for_news(event: EventBase, woken: bool) -> None:
    state, _ = apply(I1)
    assert state is not None
    state.invoices["i1"].awaiting_event = True
    state, _ = apply(event, state=state)
    assert state is not None
    inv = state.invoices["i1"]
    assert inv.awaiting_event is not woken
    assert inv.retry_at == (at("2026-10-06T08:00") if woken else None)
