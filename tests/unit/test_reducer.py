"""The reducer: how each inbound event changes one customer's ledger state.

Money rows feed a list of events through :func:`engine.reducer.apply_event` and compare every
invoice's ``(status, paid, credited)``, the customer's unallocated credit and the notice kinds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.ids import decision_id, parse_payment_reference, payment_reference
from engine.reducer import PARKED_MAX, PARKED_TTL, SEEN_IDS_KEPT, apply_event
from engine.state import CustomerState, InvoiceStatus
from schemas.codec import decode_event
from schemas.enums import Channel
from schemas.events import EventBase
from tests.builders import (
    apply,
    at,
    call_completed,
    contact,
    customer_churned,
    customer_erased,
    customer_updated,
    day,
    dispute_opened,
    dispute_resolved,
    dunning_paused,
    invoice_adjusted,
    invoice_cancelled,
    invoice_issued,
    message,
    payment_plan_accepted,
    payment_received,
    payment_reversed,
    promise_to_pay,
)

I1 = invoice_issued(invoice="i1", due="2026-09-30", amount=49900, at="2026-09-01T08:00")
I2 = invoice_issued(invoice="i2", due="2026-10-30", amount=49900, at="2026-10-01T08:00")


def _money(state: CustomerState) -> dict[str, tuple[str, int, int]]:
    return {
        i.invoice_id: (i.status.value, i.paid_minor, i.credited_minor)
        for i in state.invoices.values()
    }


def _credit(state: CustomerState) -> int:
    return sum(p.unallocated_minor for p in state.payments.values())


def _kinds(notices: list[Any]) -> list[str]:
    return [n.kind for n in notices]


# (id, events, {invoice: (status, paid, credited)}, customer credit, notice kinds)
MONEY: list[tuple[str, list[EventBase], dict[str, tuple[str, int, int]], int, list[str]]] = [
    (
        "full-payment-closes-the-invoice",
        [I1, payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "partial-payment-leaves-it-open",
        [I1, payment_received(amount=20000, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("open", 20000, 0)},
        0,
        [],
    ),
    (
        "two-partial-payments-close-it",
        [
            I1,
            payment_received(amount=20000, invoice="i1", at="2026-10-02T08:00"),
            payment_received(amount=29900, at="2026-10-03T08:00"),
        ],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "overpayment-kept-as-credit",
        [I1, payment_received(amount=59900, invoice="i1", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        10000,
        ["credit_held"],
    ),
    (
        "credit-netted-against-the-next-invoice",
        [I1, payment_received(amount=59900, invoice="i1", at="2026-09-20T08:00"), I2],
        {"i1": ("paid", 49900, 0), "i2": ("open", 10000, 0)},
        0,
        ["credit_held"],
    ),
    (
        "credit-can-pay-the-next-invoice-in-full",
        [I1, payment_received(amount=99800, at="2026-09-20T08:00"), I2],
        {"i1": ("paid", 49900, 0), "i2": ("paid", 49900, 0)},
        0,
        ["credit_held"],
    ),
    (
        "payment-with-no-invoice-at-all-is-credit",
        [payment_received(amount=5000, at="2026-09-20T08:00")],
        {},
        5000,
        ["credit_held"],
    ),
    (
        "fifo-oldest-due-first-without-reference",
        [I2, I1, payment_received(amount=60000, at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0), "i2": ("open", 10100, 0)},
        0,
        [],
    ),
    (
        "our-reference-inv-step-names-the-invoice",
        [I1, I2, payment_received(amount=49900, reference="i2.2", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "bare-invoice-number-as-reference",
        [I1, I2, payment_received(amount=49900, reference="i2", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "reference-first-then-oldest-for-the-rest",
        [I1, I2, payment_received(amount=60000, reference="i2.1", at="2026-10-02T08:00")],
        {"i1": ("open", 10100, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "invoice-number-with-dots-used-as-reference",
        [
            I1,
            invoice_issued(invoice="2026.10", due="2026-10-30", at="2026-10-01T08:00"),
            payment_received(amount=49900, reference="2026.10", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "2026.10": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "our-reference-to-an-invoice-number-with-dots",
        [
            I1,
            invoice_issued(invoice="2026.10", due="2026-10-30", at="2026-10-01T08:00"),
            payment_received(amount=49900, reference="2026.10.3", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "2026.10": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "reference-naming-no-known-invoice-goes-oldest-first",
        [I1, payment_received(amount=49900, reference="12345.6", at="2026-10-02T08:00")],
        {"i1": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "other-currency-is-not-allocated",
        [I1, payment_received(amount=49900, currency="EUR", at="2026-10-02T08:00")],
        {"i1": ("open", 0, 0)},
        49900,
        ["credit_held"],
    ),
    (
        "named-invoice-in-other-currency-skipped",
        [
            I1,
            invoice_issued(invoice="e1", currency="EUR", amount=100, at="2026-09-01T09:00"),
            payment_received(amount=100, currency="EUR", invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("open", 0, 0), "e1": ("paid", 100, 0)},
        0,
        [],
    ),
    (
        "credit-note-reduces-what-is-owed",
        [I1, invoice_adjusted(amount=9900, at="2026-09-05T08:00")],
        {"i1": ("open", 0, 9900)},
        0,
        [],
    ),
    (
        "credit-note-pays-the-invoice",
        [I1, invoice_adjusted(amount=49900, at="2026-09-05T08:00")],
        {"i1": ("paid", 0, 49900)},
        0,
        [],
    ),
    (
        "credit-note-and-payment-together",
        [
            I1,
            invoice_adjusted(amount=9900, at="2026-09-05T08:00"),
            payment_received(amount=40000, invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        0,
        [],
    ),
    (
        "credit-note-then-overpayment-is-credit",
        [
            I1,
            invoice_adjusted(amount=9900, at="2026-09-05T08:00"),
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        9900,
        ["credit_held"],
    ),
    (
        "credit-note-after-payment-frees-the-money-as-credit",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-09-20T08:00"),
            invoice_adjusted(amount=9900, at="2026-09-25T08:00"),
        ],
        {"i1": ("paid", 40000, 9900)},
        9900,
        [],
    ),
    (
        "credit-note-after-payment-frees-the-money-for-another-invoice",
        [
            I1,
            I2,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            invoice_adjusted(invoice="i1", amount=9900, at="2026-10-03T08:00"),
        ],
        {"i1": ("paid", 40000, 9900), "i2": ("open", 9900, 0)},
        0,
        [],
    ),
    (
        "same-credit-note-twice-credited-once",
        [
            I1,
            invoice_adjusted(amount=9900, credit_note="cn7", at="2026-09-05T08:00"),
            invoice_adjusted(amount=9900, credit_note="cn7", at="2026-09-05T09:00"),
        ],
        {"i1": ("open", 0, 9900)},
        0,
        ["credit_note_repeated_ignored"],
    ),
    (
        "two-credit-notes-both-count",
        [
            I1,
            invoice_adjusted(amount=9900, credit_note="cn1", at="2026-09-05T08:00"),
            invoice_adjusted(amount=9900, credit_note="cn2", at="2026-09-05T09:00"),
        ],
        {"i1": ("open", 0, 19800)},
        0,
        [],
    ),
    (
        "credit-note-in-other-currency-refused",
        [I1, invoice_adjusted(amount=9900, currency="EUR", at="2026-09-05T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["currency_mismatch"],
    ),
    (
        "cancellation-releases-money-to-other-invoices",
        [
            I1,
            I2,
            payment_received(amount=60000, at="2026-10-02T08:00"),
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
        ],
        {"i1": ("cancelled", 0, 0), "i2": ("paid", 49900, 0)},
        10100,
        [],
    ),
    (
        "cancelling-a-paid-invoice-turns-its-payment-into-credit",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        49900,
        [],
    ),
    (
        "payment-naming-a-cancelled-invoice-goes-elsewhere",
        [
            I1,
            I2,
            invoice_cancelled(invoice="i1", at="2026-10-03T08:00"),
            payment_received(amount=49900, invoice="i1", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0), "i2": ("paid", 49900, 0)},
        0,
        [],
    ),
    (
        "reversal-reopens-a-paid-invoice",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "reversal-undoes-exactly-that-payment",
        [
            I1,
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:00"),
            payment_received(amount=29900, payment="p2", at="2026-10-03T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 29900, 0)},
        0,
        [],
    ),
    (
        "reversal-of-a-payment-split-over-two-invoices",
        [
            I1,
            I2,
            payment_received(amount=60000, payment="p1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0), "i2": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "reversal-of-credit-removes-the-credit",
        [
            I1,
            payment_received(amount=59900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        ["credit_held"],
    ),
    (
        "reversal-nets-credit-from-another-payment",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            payment_received(amount=49900, payment="p2", at="2026-10-03T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
        ],
        {"i1": ("paid", 49900, 0)},
        0,
        ["credit_held"],
    ),
    (
        "reversal-of-unknown-payment-noticed",
        [I1, payment_reversed(payment="nope", at="2026-10-04T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["reversal_unmatched"],
    ),
    (
        "second-reversal-noticed",
        [
            I1,
            payment_received(amount=49900, payment="p1", at="2026-10-02T08:00"),
            payment_reversed(payment="p1", at="2026-10-04T08:00"),
            payment_reversed(payment="p1", at="2026-10-05T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        ["reversal_unmatched"],
    ),
    (
        "same-payment-id-twice-counted-once",
        [
            I1,
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:00"),
            payment_received(amount=20000, payment="p1", at="2026-10-02T08:05"),
        ],
        {"i1": ("open", 20000, 0)},
        0,
        ["payment_repeated_ignored"],
    ),
    (
        "dispute-withdrawn-cancels-and-frees-the-money",
        [
            I1,
            payment_received(amount=10000, invoice="i1", at="2026-10-02T08:00"),
            dispute_opened(at="2026-10-03T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        10000,
        [],
    ),
    (
        "dispute-upheld-keeps-the-claim",
        [
            I1,
            dispute_opened(at="2026-10-03T08:00"),
            dispute_resolved(outcome="claim_upheld", at="2026-10-04T08:00"),
        ],
        {"i1": ("open", 0, 0)},
        0,
        [],
    ),
    (
        "dispute-withdrawn-after-payment-cancels-and-credits-the-money",
        [
            I1,
            payment_received(amount=49900, invoice="i1", at="2026-10-02T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        49900,
        [],
    ),
    (
        "withdrawn-claim-stays-closed-when-its-payment-is-reversed",
        [
            I1,
            payment_received(amount=49900, payment="p1", invoice="i1", at="2026-10-02T08:00"),
            dispute_resolved(outcome="claim_withdrawn", at="2026-10-04T08:00"),
            payment_reversed(payment="p1", at="2026-10-05T08:00"),
        ],
        {"i1": ("cancelled", 0, 0)},
        0,
        [],
    ),
    (
        "reissued-invoice-ignored",
        [I1, invoice_issued(invoice="i1", amount=1, at="2026-09-02T08:00")],
        {"i1": ("open", 0, 0)},
        0,
        ["invoice_reissued_ignored"],
    ),
]


@pytest.mark.parametrize(
    ("events", "expected", "credit", "kinds"),
    [pytest.param(*case[1:], id=case[0]) for case in MONEY],
)
def test_money(
    events: list[EventBase], expected: dict[str, tuple[str, int, int]], credit: int, kinds: list
) -> None:
    state, notices = apply(*events)
    assert state is not None
    assert _money(state) == expected
    assert _credit(state) == credit
    assert _kinds(notices) == kinds


@pytest.mark.parametrize(
    ("reference", "parsed"),
    [
        pytest.param(payment_reference("i1", 2), ("i1", 2), id="ours-round-trips"),
        pytest.param(payment_reference("2026.10", 3), ("2026.10", 3), id="dots-in-invoice-id"),
        pytest.param("i1", None, id="bare-invoice-number"),
        pytest.param("i1.", None, id="no-step"),
        pytest.param(".3", None, id="no-invoice"),
        pytest.param("i1.x", None, id="step-not-a-number"),
    ],
)
def test_parse_payment_reference(reference: str, parsed: tuple[str, int] | None) -> None:
    assert parse_payment_reference(reference) == parsed


def test_decision_ids_name_invoice_and_step_and_waits_their_point() -> None:
    assert decision_id("i1", 2, 5, actionable=True) == "i1/2"
    assert decision_id("i1", 2, 5, actionable=False) == "i1/2/w5"


def test_payment_before_its_invoice_is_parked_then_reconciled() -> None:
    early = payment_received(amount=49900, payment="p1", invoice="i1", at="2026-08-30T08:00")
    state, notices = apply(early)
    assert state is not None
    assert _kinds(notices) == ["parked"]
    assert [p.event_id for p in state.parked] == [early.event_id]
    assert state.payments == {}
    assert _credit(state) == 0

    state, notices = apply(I1, state=state)
    assert state is not None
    assert _kinds(notices) == ["reconciled"]
    assert notices[0].event_id == early.event_id
    assert state.parked == []
    assert _money(state) == {"i1": ("paid", 49900, 0)}
    assert state.payments["p1"].allocations == {"i1": 49900}


def test_every_invoice_scoped_event_before_its_invoice_waits_for_it() -> None:
    early = [
        dispute_opened(invoice="i1", at="2026-08-28T08:00"),
        promise_to_pay(invoice="i1", promised="2026-10-20", at="2026-08-28T09:00"),
        dunning_paused(invoice="i1", until="2026-10-10", at="2026-08-28T10:00"),
        invoice_adjusted(invoice="i1", amount=100, at="2026-08-28T11:00"),
    ]
    state, notices = apply(*early, I1)
    assert state is not None
    assert _kinds(notices) == ["parked"] * 4 + ["reconciled"] * 4
    inv = state.invoices["i1"]
    assert (inv.disputed, inv.promise_date, inv.paused_until, inv.credited_minor) == (
        True,
        day("2026-10-20"),
        day("2026-10-10"),
        100,
    )


def test_parked_events_for_another_invoice_stay_parked() -> None:
    state, notices = apply(dispute_opened(invoice="i9", at="2026-08-28T08:00"), I1)
    assert state is not None
    assert _kinds(notices) == ["parked"]
    assert [p.invoice_id for p in state.parked] == ["i9"]


def test_parked_events_beyond_the_limit_are_evicted_oldest_first_with_their_json() -> None:
    events = [
        payment_received(amount=100, invoice=f"x{n}", at=at("2026-10-01T08:00") + timedelta(n))
        for n in range(PARKED_MAX + 1)
    ]
    state, notices = apply(*events)
    assert state is not None
    assert len(state.parked) == PARKED_MAX
    evicted = [n for n in notices if n.kind == "parked_evicted"]
    assert [n.event_id for n in evicted] == [events[0].event_id]
    assert evicted[0].raw is not None
    assert decode_event(evicted[0].raw) == events[0]
    assert state.parked[0].event_id == events[1].event_id


@pytest.mark.parametrize(
    ("later", "expired"),
    [
        pytest.param(PARKED_TTL, False, id="kept-for-exactly-the-ttl"),
        pytest.param(PARKED_TTL + timedelta(seconds=1), True, id="expired-after-the-ttl"),
    ],
)
def test_parked_events_expire_with_their_json(later: timedelta, expired: bool) -> None:
    early = payment_received(amount=100, invoice="i9", at="2026-10-01T08:00")
    tick = customer_updated(language="sv", at=at("2026-10-01T08:00") + later)
    state, notices = apply(early, tick)
    assert state is not None
    gone = [n for n in notices if n.kind == "parked_expired"]
    assert bool(gone) is expired
    assert len(state.parked) == (0 if expired else 1)
    if expired:
        assert gone[0].event_id == early.event_id
        assert gone[0].raw is not None and decode_event(gone[0].raw) == early


def test_duplicate_event_id_is_ignored() -> None:
    pay = payment_received(amount=20000, invoice="i1", at="2026-10-02T08:00")
    state, notices = apply(I1, pay, pay)
    assert state is not None
    assert _kinds(notices) == ["duplicate_ignored"]
    assert notices[0].event_id == pay.event_id
    assert state.invoices["i1"].paid_minor == 20000


def test_seen_event_ids_are_bounded() -> None:
    events = [customer_updated(language="sv") for _ in range(SEEN_IDS_KEPT + 10)]
    state, _ = apply(*events)
    assert state is not None
    assert len(state.seen_event_ids) == SEEN_IDS_KEPT
    assert state.seen_event_ids[-1] == events[-1].event_id


def test_an_older_event_is_applied_but_does_not_move_time_back() -> None:
    late = payment_received(amount=20000, invoice="i1", at="2026-09-15T08:00")
    state, _ = apply(I1, customer_updated(language="sv", at="2026-10-05T08:00"), late)
    assert state is not None
    assert state.invoices["i1"].paid_minor == 20000
    assert state.last_event_at == at("2026-10-05T08:00")


@pytest.mark.parametrize(
    "start",
    [pytest.param(None, id="unknown-customer"), pytest.param(I1, id="known-customer")],
)
def test_erasure_leaves_only_a_tombstone(start: EventBase | None) -> None:
    state = apply(start)[0] if start is not None else None
    new, notices = apply_event(state, customer_erased())
    assert new is not None and new.erased_at is not None
    assert new.invoices == {} and new.payments == {} and new.contacts == []
    assert new.reachable is None and new.language is None
    assert _kinds(notices) == ["erased"]


def test_a_redelivered_event_from_before_the_erasure_is_ignored() -> None:
    state, _ = apply(I1)
    erased, _ = apply_event(state, customer_erased(at="2026-10-20T00:00"))
    again = I1.model_copy(update={"event_id": "redelivered"})
    after, notices = apply_event(erased, again)
    assert _kinds(notices) == ["after_erasure_ignored"]
    assert after is not None and after.invoices == {}


def test_a_new_customer_gets_its_id_from_the_event() -> None:
    state, _ = apply(customer_updated(customer="c42", language="sv"))
    assert state is not None and state.customer_id == "c42"


# customer_updated: (id, updates, expected fields)
UPDATES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("nothing-known-at-first", [{}], {"reachable": None, "opted_out": [], "vulnerable": False}),
    (
        "reachable-replaces",
        [{"reachable_channels": ["email", "sms"]}, {"reachable_channels": ["letter"]}],
        {"reachable": ["letter"]},
    ),
    (
        "none-leaves-reachable-unchanged",
        [{"reachable_channels": ["email"]}, {"language": "sv"}],
        {"reachable": ["email"], "language": "sv"},
    ),
    (
        "reachable-deduplicated",
        [{"reachable_channels": ["email", "email"]}],
        {"reachable": ["email"]},
    ),
    ("empty-reachable-means-none-reachable", [{"reachable_channels": []}], {"reachable": []}),
    (
        "opted-out-accumulates",
        [{"opted_out": ["email"]}, {"opted_out": ["sms"]}],
        {"opted_out": ["email", "sms"]},
    ),
    (
        "empty-opted-out-removes-nothing",
        [{"opted_out": ["email"]}, {"opted_out": []}],
        {"opted_out": ["email"]},
    ),
    (
        "opted-in-removes-an-opt-out",
        [{"opted_out": ["email", "sms"]}, {"opted_in": ["email"]}],
        {"opted_out": ["sms"]},
    ),
    ("reachable-clears-a-bounce", [{"reachable_channels": ["email"]}], {"bounced": []}),
    ("reachable-keeps-other-bounces", [{"reachable_channels": ["sms"]}], {"bounced": ["email"]}),
    (
        "flags-set-and-unset",
        [{"vulnerable": True, "direct_debit_active": True}, {"vulnerable": False}],
        {"vulnerable": False, "direct_debit_active": True},
    ),
    ("timezone-set", [{"timezone": "America/New_York"}], {"timezone": "America/New_York"}),
]


@pytest.mark.parametrize(
    ("updates", "expected"), [pytest.param(*case[1:], id=case[0]) for case in UPDATES]
)
def test_customer_updated(updates: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    state, _ = apply(customer_updated())
    assert state is not None
    state.bounced = [Channel.EMAIL]
    state, _ = apply(*(customer_updated(**u) for u in updates), state=state)
    assert state is not None
    for name, value in expected.items():
        assert getattr(state, name) == value, name


@pytest.mark.parametrize(
    ("stated", "zone"),
    [
        pytest.param({}, "America/New_York", id="invoice-without-zone-keeps-the-customers"),
        pytest.param({"timezone": "Europe/London"}, "Europe/London", id="invoice-zone-wins"),
    ],
)
def test_invoice_timezone(stated: dict[str, str], zone: str) -> None:
    state, _ = apply(
        customer_updated(timezone="America/New_York", at="2026-08-01T08:00"),
        invoice_issued(**stated),
    )
    assert state is not None and state.timezone == zone


def test_a_new_customers_zone_defaults_to_stockholm() -> None:
    state, _ = apply(invoice_issued())
    assert state is not None and state.timezone == "Europe/Stockholm"


# messages: (id, event, channel bounced for good, contact flags)
MESSAGES = [
    (
        "permanent-bounce-blocks-the-channel",
        message("bounced", "i1/1", "email"),
        [Channel.EMAIL],
        {"bounced": True},
    ),
    (
        "temporary-bounce-only-flags-the-contact",
        message("bounced", "i1/1", "email", permanent=False),
        [],
        {"bounced": True},
    ),
    (
        "bounce-of-unknown-decision-still-blocks",
        message("bounced", "zz/1", "sms"),
        [Channel.SMS],
        {},
    ),
    ("delivered", message("delivered", "i1/1", "email"), [], {"delivered": True}),
    ("opened", message("opened", "i1/1", "email"), [], {"opened": True}),
    ("clicked", message("clicked", "i1/1", "email"), [], {"clicked": True}),
    ("sent-changes-nothing", message("sent", "i1/1", "email"), [], {}),
]


@pytest.mark.parametrize(
    ("event", "bounced", "flags"), [pytest.param(*case[1:], id=case[0]) for case in MESSAGES]
)
def test_message_reports(event: EventBase, bounced: list[Channel], flags: dict[str, bool]) -> None:
    state, _ = apply(I1)
    assert state is not None
    state.contacts.append(contact("i1", "2026-10-05T06:00", "email"))
    state, _ = apply(event, state=state)
    assert state is not None
    assert state.bounced == bounced
    record = state.contacts[0]
    for flag in ("delivered", "opened", "clicked", "bounced"):
        assert getattr(record, flag) is flags.get(flag, False), flag


def test_a_repeated_permanent_bounce_lists_the_channel_once() -> None:
    state, _ = apply(message("bounced", channel="email"), message("bounced", channel="email"))
    assert state is not None and state.bounced == [Channel.EMAIL]


@pytest.mark.parametrize(
    ("calls", "last"),
    [
        pytest.param([("reached", "2026-10-05T10:00")], "2026-10-05T10:00", id="reached"),
        pytest.param(
            [("promise_to_pay", "2026-10-05T10:00")],
            "2026-10-05T10:00",
            id="promise-is-a-conversation",
        ),
        pytest.param([("no_answer", "2026-10-05T10:00")], None, id="no-answer-is-no-conversation"),
        pytest.param(
            [("reached", "2026-10-05T10:00"), ("no_answer", "2026-10-07T10:00")],
            "2026-10-05T10:00",
            id="no-answer-keeps-the-last-conversation",
        ),
        pytest.param(
            [("reached", "2026-10-05T10:00"), ("reached", "2026-10-01T10:00")],
            "2026-10-05T10:00",
            id="an-older-call-reported-late-does-not-move-it-back",
        ),
    ],
)
def test_call_completed(calls: list[tuple[str, str]], last: str | None) -> None:
    state, _ = apply(*(call_completed(outcome=o, at=t) for o, t in calls))
    assert state is not None
    assert state.last_conversation_at == (at(last) if last else None)


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


def test_churn_keeps_the_first_time() -> None:
    state, _ = apply(
        customer_churned(at="2026-10-05T08:00"), customer_churned(at="2026-10-09T08:00")
    )
    assert state is not None and state.churned_at == at("2026-10-05T08:00")


def test_reversal_reopens_to_the_dunning_status_it_had() -> None:
    state, _ = apply(I1)
    assert state is not None
    state.invoices["i1"].step = 2
    state, _ = apply(
        payment_received(amount=49900, payment="p1", at="2026-10-20T08:00"),
        payment_reversed(payment="p1", at="2026-10-22T08:00"),
        state=state,
    )
    assert state is not None
    inv = state.invoices["i1"]
    assert (inv.status, inv.closed_at) == (InvoiceStatus.IN_DUNNING, None)
