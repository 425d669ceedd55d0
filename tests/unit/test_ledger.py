"""The ledger: statuses, allocation, netting, release and reversal, plus money invariants.

The table-driven tests call :mod:`engine.ledger` on hand-built states; the property test drives
random sequences of money events through the reducer and checks that no öre is created, lost or
left idle while something is owed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import ledger
from engine.reducer import apply_event
from engine.state import CustomerState, InvoiceStatus, PaymentRecord
from schemas.enums import PaymentMethod
from schemas.events import EventBase
from tests.builders import (
    at,
    customer,
    dispute_resolved,
    invoice,
    invoice_adjusted,
    invoice_cancelled,
    invoice_issued,
    payment_received,
    payment_reversed,
)

T0 = at("2026-10-01T08:00")


def _payment(pid: str, amount: int, hours: int = 0, currency: str = "SEK") -> PaymentRecord:
    return PaymentRecord(
        payment_id=pid,
        amount_minor=amount,
        currency=currency,
        method=PaymentMethod.SWISH,
        received_at=T0 + timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        pytest.param({}, InvoiceStatus.OPEN, id="untouched-is-open"),
        pytest.param({"points": 1}, InvoiceStatus.OVERDUE, id="waited-on-is-overdue"),
        pytest.param({"points": 2, "step": 1}, InvoiceStatus.IN_DUNNING, id="acted-on"),
        pytest.param({"step": 2, "in_review": True}, InvoiceStatus.IN_REVIEW, id="in-review"),
        pytest.param(
            {"step": 3, "in_review": True, "escalations": 1},
            InvoiceStatus.ESCALATED,
            id="escalation-outranks-review",
        ),
    ],
)
def test_unpaid_status(fields: dict[str, Any], status: InvoiceStatus) -> None:
    assert ledger.unpaid_status(invoice(**fields)) is status


@pytest.mark.parametrize(
    ("fields", "status", "closed"),
    [
        pytest.param({"paid_minor": 49900}, "paid", True, id="fully-paid-closes"),
        pytest.param({"credited_minor": 49900}, "paid", True, id="fully-credited-closes"),
        pytest.param({"paid_minor": 100}, "open", False, id="partly-paid-stays-open"),
        pytest.param(
            {"status": "paid", "closed_at": T0, "step": 1}, "in_dunning", False, id="reopened"
        ),
        pytest.param(
            {"status": "cancelled", "closed_at": T0}, "cancelled", True, id="cancelled-stays"
        ),
        pytest.param(
            {"status": "cancelled", "closed_at": T0, "paid_minor": 49900},
            "cancelled",
            True,
            id="cancelled-never-turns-paid",
        ),
    ],
)
def test_refresh_status(fields: dict[str, Any], status: str, closed: bool) -> None:
    inv = invoice(next_at=T0 + timedelta(days=3), **fields)
    ledger.refresh_status(inv, T0 + timedelta(days=1))
    assert inv.status.value == status
    assert (inv.closed_at is not None) is closed
    if status == "paid":
        assert inv.next_at is None


def test_refresh_keeps_the_first_closing_time() -> None:
    inv = invoice(status="paid", closed_at=T0, paid_minor=49900)
    ledger.refresh_status(inv, T0 + timedelta(days=5))
    assert inv.closed_at == T0


def _two_invoices() -> CustomerState:
    return customer(
        "c1",
        invoice("old", due="2026-09-30", amount=10000),
        invoice("new", due="2026-10-30", amount=10000),
    )


@pytest.mark.parametrize(
    ("target", "amount", "old", "new", "left"),
    [
        pytest.param(None, 15000, 10000, 5000, 0, id="oldest-due-first"),
        pytest.param("new", 15000, 5000, 10000, 0, id="target-first-then-oldest"),
        pytest.param("new", 25000, 10000, 10000, 5000, id="rest-is-credit"),
        pytest.param(None, 5000, 5000, 0, 0, id="partial-to-the-oldest"),
    ],
)
def test_allocate(target: str | None, amount: int, old: int, new: int, left: int) -> None:
    state = _two_invoices()
    payment = _payment("p1", amount)
    state.payments["p1"] = payment
    ledger.allocate(state, payment, state.invoices.get(target or ""), T0)
    assert (state.invoices["old"].paid_minor, state.invoices["new"].paid_minor) == (old, new)
    assert payment.unallocated_minor == left
    assert sum(payment.allocations.values()) == old + new


def test_allocate_skips_closed_and_other_currency_invoices() -> None:
    state = customer(
        "c1",
        invoice("gone", due="2026-08-30", status="cancelled"),
        invoice("eur", due="2026-08-31", currency="EUR"),
        invoice("sek", due="2026-09-30", amount=10000),
    )
    payment = _payment("p1", 12000)
    ledger.allocate(state, payment, state.invoices["gone"], T0)
    assert payment.allocations == {"sek": 10000}
    assert payment.unallocated_minor == 2000


def test_apply_credit_uses_oldest_payments_first_and_stops_when_paid() -> None:
    inv = invoice("i1", amount=10000)
    state = customer("c1", inv)
    for pid, amount, hours in (("late", 8000, 5), ("early", 6000, 1), ("eur", 9000, 0)):
        state.payments[pid] = _payment(pid, amount, hours, "EUR" if pid == "eur" else "SEK")
    ledger.apply_credit(state, inv, T0)
    assert inv.status is InvoiceStatus.PAID
    assert state.payments["early"].allocations == {"i1": 6000}
    assert state.payments["late"].allocations == {"i1": 4000}
    assert state.payments["eur"].allocations == {}
    assert ledger.customer_credit(state, "SEK") == 4000
    assert ledger.customer_credit(state, "EUR") == 9000


def test_a_reversed_payment_is_no_credit() -> None:
    state = customer("c1")
    state.payments["p1"] = _payment("p1", 5000)
    state.payments["p1"].reversed = True
    assert ledger.customer_credit(state, "SEK") == 0


def test_release_gives_a_cancelled_invoices_money_to_the_others() -> None:
    state = _two_invoices()
    payment = _payment("p1", 10000)
    state.payments["p1"] = payment
    ledger.allocate(state, payment, state.invoices["old"], T0)
    old = state.invoices["old"]
    old.status = InvoiceStatus.CANCELLED
    ledger.release(state, old, T0)
    assert old.paid_minor == 0
    assert payment.allocations == {"new": 10000}
    assert state.invoices["new"].status is InvoiceStatus.PAID


def test_reverse_undoes_exactly_its_allocations() -> None:
    state = _two_invoices()
    keep, gone = _payment("keep", 4000), _payment("gone", 12000, 1)
    state.payments.update(keep=keep, gone=gone)
    ledger.allocate(state, keep, None, T0)
    ledger.allocate(state, gone, None, T0)
    ledger.reverse(state, gone, T0)
    assert gone.reversed and gone.allocations == {}
    assert (state.invoices["old"].paid_minor, state.invoices["new"].paid_minor) == (4000, 0)
    assert state.invoices["old"].status is InvoiceStatus.OPEN


def test_free_excess_returns_money_newest_payment_first() -> None:
    inv = invoice("i1", amount=10000)
    state = customer("c1", inv)
    first, second = _payment("first", 6000), _payment("second", 4000, 1)
    state.payments.update(first=first, second=second)
    ledger.apply_credit(state, inv, T0)
    inv.credited_minor = 5000
    ledger.free_excess(state, inv, T0)
    assert inv.paid_minor == 5000
    assert (first.allocations, second.allocations) == ({"i1": 5000}, {})
    assert ledger.customer_credit(state, "SEK") == 5000


# --------------------------------------------------------------------------- property

_INVOICES = ("a", "b", "c")
_op = st.one_of(
    st.tuples(
        st.just("issue"),
        st.sampled_from(_INVOICES),
        st.integers(1, 20000),
        st.sampled_from(["SEK", "SEK", "EUR"]),
    ),
    st.tuples(
        st.just("pay"),
        st.sampled_from([*_INVOICES, None]),
        st.integers(1, 30000),
        st.sampled_from(["SEK", "SEK", "EUR"]),
    ),
    st.tuples(st.just("ref"), st.sampled_from(_INVOICES), st.integers(1, 30000)),
    st.tuples(st.just("credit"), st.sampled_from(_INVOICES), st.integers(1, 20000)),
    st.tuples(st.just("cancel"), st.sampled_from(_INVOICES)),
    st.tuples(st.just("withdraw"), st.sampled_from(_INVOICES)),
    st.tuples(st.just("reverse"), st.integers(0, 9)),
)


def _event(op: tuple, n: int, due_days: dict[str, int]) -> EventBase:
    when = T0 + timedelta(hours=n)
    kind = op[0]
    if kind == "issue":
        _, inv, amount, currency = op
        due = (T0 + timedelta(days=due_days[inv])).date()
        return invoice_issued(invoice=inv, due=due, amount=amount, currency=currency, at=when)
    if kind == "pay":
        _, inv, amount, currency = op
        return payment_received(
            amount=amount, payment=f"p{n}", invoice=inv, currency=currency, at=when
        )
    if kind == "ref":
        return payment_received(amount=op[2], payment=f"p{n}", reference=f"{op[1]}.1", at=when)
    if kind == "credit":
        return invoice_adjusted(invoice=op[1], amount=op[2], credit_note=f"cn{n}", at=when)
    if kind == "cancel":
        return invoice_cancelled(invoice=op[1], at=when)
    if kind == "withdraw":
        return dispute_resolved(invoice=op[1], outcome="claim_withdrawn", at=when)
    return payment_reversed(payment=f"p{op[1]}", at=when)


def _check_invariants(state: CustomerState) -> None:
    live = [p for p in state.payments.values() if not p.reversed]
    for payment in state.payments.values():
        assert all(a > 0 for a in payment.allocations.values())
        assert payment.unallocated_minor >= 0
        if payment.reversed:
            assert payment.allocations == {}
    for inv in state.invoices.values():
        allocated = sum(p.allocations.get(inv.invoice_id, 0) for p in live)
        assert inv.paid_minor == allocated, inv.invoice_id
        assert all(p.currency == inv.currency for p in live if inv.invoice_id in p.allocations)
        if inv.status is InvoiceStatus.CANCELLED:
            assert inv.paid_minor == 0
            continue
        assert 0 <= inv.paid_minor <= max(inv.amount_minor - inv.credited_minor, 0)
        assert (inv.status is InvoiceStatus.PAID) is (inv.outstanding_minor <= 0)
    for currency in {p.currency for p in live}:
        received = sum(p.amount_minor for p in live if p.currency == currency)
        paid = sum(i.paid_minor for i in state.invoices.values() if i.currency == currency)
        credit = ledger.customer_credit(state, currency)
        assert received == paid + credit, "money created or lost"
        if credit:
            owing = [i.invoice_id for i in state.open_invoices() if i.currency == currency]
            assert owing == [], f"credit {credit} {currency} idle while {owing} owe"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(_op, max_size=25),
    due_days=st.fixed_dictionaries({i: st.integers(-30, 30) for i in _INVOICES}),
)
def test_money_is_conserved_and_never_idle(ops: list[tuple], due_days: dict[str, int]) -> None:
    state: CustomerState | None = None
    for n, op in enumerate(ops):
        state, _ = apply_event(state, _event(op, n, due_days))
        assert state is not None
        _check_invariants(state)
