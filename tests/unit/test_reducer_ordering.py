"""The reducer, event order: parking events before their invoice, duplicates, late events,
erasure and where a new customer's id comes from.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.dedupe import SEEN_IDS_KEPT
from engine.reducer import PARKED_MAX, PARKED_TTL, apply_event
from schemas.codec import decode_event
from schemas.events import EventBase
from tests.builders import (
    apply,
    at,
    customer_erased,
    customer_updated,
    day,
    dispute_opened,
    dunning_paused,
    invoice_adjusted,
    payment_received,
    promise_to_pay,
)
from tests.unit.reducer_helpers import (
    I1,
    credit_of,
    kinds_of,
    money_of,
)


def test_payment_before_its_invoice_is_parked_then_reconciled() -> None:
    early = payment_received(amount=49900, payment="p1", invoice="i1", at="2026-08-30T08:00")
    state, notices = apply(early)
    assert state is not None
    assert kinds_of(notices) == ["parked"]
    assert [p.event_id for p in state.parked] == [early.event_id]
    assert state.payments == {}
    assert credit_of(state) == 0

    state, notices = apply(I1, state=state)
    assert state is not None
    assert kinds_of(notices) == ["reconciled"]
    assert notices[0].event_id == early.event_id
    assert state.parked == []
    assert money_of(state) == {"i1": ("paid", 49900, 0)}
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
    assert kinds_of(notices) == ["parked"] * 4 + ["reconciled"] * 4
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
    assert kinds_of(notices) == ["parked"]
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
    assert kinds_of(notices) == ["duplicate_ignored"]
    assert notices[0].event_id == pay.event_id
    assert state.invoices["i1"].paid_minor == 20000


def test_seen_event_ids_are_bounded() -> None:
    """All at one instant, so all inside the window: the cap alone bounds them."""
    events = [customer_updated(language="sv") for _ in range(SEEN_IDS_KEPT + 10)]
    state, _ = apply(*events)
    assert state is not None
    assert len(state.seen_events) == SEEN_IDS_KEPT
    assert list(state.seen_events)[-1] == events[-1].event_id
    assert next(iter(state.seen_events)) == events[10].event_id


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
    assert kinds_of(notices) == ["erased"]


def test_a_redelivered_event_from_before_the_erasure_is_ignored() -> None:
    state, _ = apply(I1)
    erased, _ = apply_event(state, customer_erased(at="2026-10-20T00:00"))
    again = I1.model_copy(update={"event_id": "redelivered"})
    after, notices = apply_event(erased, again)
    assert kinds_of(notices) == ["after_erasure_ignored"]
    assert after is not None and after.invoices == {}


def test_a_new_customer_gets_its_id_from_the_event() -> None:
    state, _ = apply(customer_updated(customer="c42", language="sv"))
    assert state is not None and state.customer_id == "c42"
