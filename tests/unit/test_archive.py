"""Archiving: what leaves the live state and when, and what late events about it become.

An invoice leaves only when it is closed, was closed longer ago than the retention, no pending
outcome, parked event or recent contact names it, and every payment that paid it can leave with
it. Late events about archived invoices or payments never crash the reducer: a re-issue or a
repeated payment is ignored as before, a payment naming one goes oldest first as it did when
the invoice was merely closed, anything else is a dead-letter notice that carries the event.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import ArchiveConfig, EngineContext
from engine.archive import archive_closed
from engine.guardrails import RulePack
from engine.policies import LadderPolicy
from engine.reducer import ARCHIVED_UNAPPLIED, DEAD_LETTER_NOTICES, apply_event
from engine.state import CustomerState, InvoiceStatus, ParkedEvent, PendingOutcome
from schemas.codec import decode_event
from schemas.events import EventBase
from tests.builders import (
    at,
    contact,
    dispute_opened,
    invoice_adjusted,
    invoice_cancelled,
    invoice_issued,
    payment_received,
    payment_reversed,
    run,
)

CONFIG = ArchiveConfig()
PAID = "2026-09-20T10:00"
AFTER = at(PAID) + CONFIG.retention + timedelta(seconds=1)
JUST_BEFORE = at(PAID) + CONFIG.retention - timedelta(seconds=1)


def paid_customer(*extra: EventBase) -> CustomerState:
    """i1 paid by p1 on :data:`PAID`, then ``extra`` (no engine run, no archiving yet)."""
    state = None
    for event in (
        invoice_issued(invoice="i1", due="2026-09-30"),
        payment_received(invoice="i1", payment="p1", at=PAID),
        *extra,
    ):
        state, _ = apply_event(state, event)
    assert state is not None
    return state


def test_retention_must_outlast_every_cap_window() -> None:
    with pytest.raises(ValueError, match="cap window"):
        ArchiveConfig(retention=timedelta(days=90))


def test_archived_only_after_the_retention() -> None:
    state = paid_customer()
    assert archive_closed(state, JUST_BEFORE, CONFIG) == 0
    assert list(state.invoices) == ["i1"]
    assert archive_closed(state, AFTER, CONFIG) == 1
    assert (state.invoices, state.payments) == ({}, {})
    assert (list(state.archive.invoices), list(state.archive.payments)) == (["i1"], ["p1"])
    [summary] = state.archive.recent_paid
    assert (summary.invoice_id, summary.closed_at, summary.contacted) == ("i1", at(PAID), False)


def test_disabled_keeps_everything() -> None:
    state = paid_customer()
    assert archive_closed(state, AFTER + timedelta(days=999), ArchiveConfig(enabled=False)) == 0
    assert list(state.invoices) == ["i1"]


def test_open_invoices_stay() -> None:
    state = paid_customer(invoice_issued(invoice="i2", due="2026-10-30"))
    archive_closed(state, AFTER, CONFIG)
    assert list(state.invoices) == ["i2"]


def test_a_pending_outcome_keeps_its_invoice() -> None:
    state = paid_customer()
    state.pending.append(
        PendingOutcome(
            decision_id="i1/1",
            invoice_id="i1",
            decided_at=at("2026-09-10T06:00"),
            policy_name="ladder",
            policy_arm="ladder",
            propensity=1.0,
            arm="wait",
            arms=["wait"],
            features={},
            amount_due_minor=49900,
            currency="SEK",
            payment_at=None,
            churn_at=AFTER + timedelta(days=30),
        )
    )
    assert archive_closed(state, AFTER, CONFIG) == 0


def test_a_parked_event_keeps_its_invoice() -> None:
    state = paid_customer()
    state.parked.append(ParkedEvent(event_id="x", invoice_id="i1", parked_at=AFTER, event_json=""))
    assert archive_closed(state, AFTER, CONFIG) == 0


def test_a_contact_inside_the_retention_keeps_its_invoice() -> None:
    state = paid_customer()
    state.contacts.append(contact("i1", AFTER - timedelta(days=10), "letter"))
    assert archive_closed(state, AFTER, CONFIG) == 0
    assert archive_closed(state, AFTER + timedelta(days=110), CONFIG) == 1
    assert state.contacts == []


def test_a_payment_that_also_paid_a_live_invoice_keeps_both() -> None:
    """A reversal of p1 must still re-open i1, as it does while i1 is live."""
    state = None
    for event in (
        invoice_issued(invoice="i1", due="2026-09-30", amount=49900),
        invoice_issued(invoice="i2", due="2026-10-30", amount=30000),
        payment_received(amount=69900, payment="p1", at=PAID),  # i1 in full, i2 in part
    ):
        state, _ = apply_event(state, event)
    assert state is not None and state.invoices["i1"].status is InvoiceStatus.PAID
    assert archive_closed(state, AFTER, CONFIG) == 0
    state, _ = apply_event(state, payment_reversed(payment="p1", at=AFTER))
    assert state is not None and state.invoices["i1"].status is not InvoiceStatus.PAID


def test_a_payment_holding_credit_keeps_its_invoice() -> None:
    state = None
    for event in (
        invoice_issued(invoice="i1", due="2026-09-30", amount=49900),
        payment_received(amount=60000, invoice="i1", payment="p1", at=PAID),
    ):
        state, _ = apply_event(state, event)
    assert state is not None
    assert archive_closed(state, AFTER, CONFIG) == 0
    # the credit nets against the next invoice; then both can go in time
    state, _ = apply_event(state, invoice_issued(invoice="i2", due="2026-10-30", amount=10100))
    assert state is not None and state.invoices["i2"].status is InvoiceStatus.PAID
    assert archive_closed(state, AFTER + timedelta(days=30), CONFIG) == 2
    assert state.payments == {}


def test_an_old_reversed_payment_leaves_a_tombstone() -> None:
    """It holds no money, only its id for the dedupe; it goes with the next archiving."""
    state = paid_customer(
        payment_reversed(payment="p1", at="2026-09-25T10:00"),
        invoice_issued(invoice="i2", due="2026-09-30", amount=10000),
        payment_received(amount=10000, invoice="i2", payment="p2", at=PAID),
    )
    assert state.invoices["i1"].status is not InvoiceStatus.PAID
    assert archive_closed(state, AFTER, CONFIG) == 1
    assert (list(state.invoices), state.payments) == (["i1"], {})
    assert list(state.archive.payments) == ["p1", "p2"]
    _, notices = apply_event(state, payment_received(invoice="i1", payment="p1", at=AFTER))
    assert [n.kind for n in notices] == ["payment_repeated_ignored"]


def test_cancelled_invoices_leave_no_history() -> None:
    state = None
    for event in (
        invoice_issued(invoice="i1", due="2026-09-30"),
        invoice_issued(invoice="i2", due="2026-09-30"),
        payment_received(invoice="i1", payment="p1", at=PAID),
    ):
        state, _ = apply_event(state, event)
    assert state is not None
    state, _ = apply_event(state, invoice_cancelled(invoice="i2", at=PAID))
    assert state is not None
    assert archive_closed(state, AFTER, CONFIG) == 2
    assert [h.invoice_id for h in state.archive.recent_paid] == ["i1"]


def _archived() -> CustomerState:
    state = paid_customer()
    archive_closed(state, AFTER, CONFIG)
    return state


def _late(event: EventBase) -> tuple[CustomerState, list]:
    state, notices = apply_event(_archived(), event)
    assert state is not None
    return state, notices


def test_reversal_of_an_archived_payment_goes_to_the_dead_letters() -> None:
    event = payment_reversed(payment="p1", at=AFTER + timedelta(days=1))
    state, notices = _late(event)
    [notice] = notices
    assert notice.kind == ARCHIVED_UNAPPLIED and notice.kind in DEAD_LETTER_NOTICES
    assert "p1" in notice.detail
    assert notice.raw is not None and decode_event(notice.raw) == event
    assert state.invoices == {} and list(state.archive.payments) == ["p1"]


@pytest.mark.parametrize(
    "event",
    [
        invoice_adjusted(invoice="i1", at=AFTER + timedelta(days=1)),
        dispute_opened(invoice="i1", at=AFTER + timedelta(days=1)),
    ],
    ids=["credit-note", "dispute"],
)
def test_events_about_an_archived_invoice_go_to_the_dead_letters(event: EventBase) -> None:
    state, notices = _late(event)
    assert [n.kind for n in notices] == [ARCHIVED_UNAPPLIED]
    assert notices[0].raw is not None and state.parked == []


def test_reissue_and_repeated_payment_are_still_ignored() -> None:
    _, notices = _late(invoice_issued(invoice="i1", due="2026-09-30", at=AFTER))
    assert [n.kind for n in notices] == ["invoice_reissued_ignored"]
    _, notices = _late(payment_received(invoice="i1", payment="p1", at=AFTER))
    assert [n.kind for n in notices] == ["payment_repeated_ignored"]


def test_a_payment_naming_an_archived_invoice_goes_oldest_first() -> None:
    """As it did when that invoice was only closed: it takes nothing more."""
    state, _ = apply_event(_archived(), invoice_issued(invoice="i2", due="2026-12-30", at=AFTER))
    assert state is not None
    state, notices = apply_event(state, payment_received(invoice="i1", payment="p9", at=AFTER))
    assert state is not None and notices == []
    assert state.invoices["i2"].status is InvoiceStatus.PAID
    assert state.payments["p9"].allocations == {"i2": 49900}


def test_step_archives_at_event_time() -> None:
    ctx = EngineContext(LadderPolicy(), RulePack(), 0)
    events = [
        invoice_issued(invoice="i1", due="2026-09-30"),
        payment_received(invoice="i1", payment="p1", at=PAID),
        invoice_issued(invoice="i2", due="2026-10-30", at=JUST_BEFORE),
    ]
    assert list(run(*events, ctx=ctx).state.invoices) == ["i1", "i2"]  # type: ignore[union-attr]
    # advancing the clock alone (a wall-clock tick) never archives
    assert list(run(*events, ctx=ctx, until=AFTER).state.invoices) == ["i1", "i2"]  # type: ignore[union-attr]
    events.append(payment_received(invoice="i2", payment="p2", at=AFTER))
    done = run(*events, ctx=ctx).state
    assert done is not None and list(done.invoices) == ["i2"]
