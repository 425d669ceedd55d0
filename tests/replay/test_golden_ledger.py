"""The golden replay, layer 3 (part 1): what scenarios g01-g13 mean, asserted on their own
decisions: payments, credit, cancellation, duplicates, late events, erasure, disputes, pauses.
"""

from __future__ import annotations

from datetime import date, time

from schemas import events as ev
from schemas.enums import PaymentOption

from .drive import decode_lines
from .golden_helpers import (
    LADDER,
    STOCKHOLM,
    acts,
    audit_of,
    event_time,
    local_clock,
    local_day,
    nth,
    run_alone,
    shape,
)
from .invariants import local
from .regen import (
    EVENTS,
)

# --- layer 3: what each scenario means -------------------------------------------------------


def test_g01_on_time_payer_gets_no_decision() -> None:
    assert audit_of(1) == []


def test_g02_classic_ladder() -> None:
    email, letter, demand = acts(2)
    assert shape([email, letter, demand]) == LADDER
    assert audit_of(2) == [email, letter, demand], "no waits, nothing after the demand"
    assert [local_day(d) for d in (email, letter, demand)] == [
        date(2026, 10, 3),
        date(2026, 10, 12),
        date(2026, 10, 28),
    ]
    assert all(local_clock(d) == time(6) for d in (email, letter, demand))
    assert all(local_clock(d, "send_at") == time(8) for d in (email, letter, demand))
    assert email.respond_by is None and email.fee_minor == 0
    assert PaymentOption.PLAN in letter.payment_options
    assert letter.respond_by == date(2026, 10, 20), "8 days; 2 bank days post + 4 bank days"
    assert demand.fee_minor == 18000 and demand.amount_due_minor == 59900
    assert local_day(demand) > letter.respond_by
    assert demand.respond_by == date(2026, 11, 5)
    assert [d.payment_reference for d in (email, letter, demand)] == [
        "g02-inv1.1",
        "g02-inv1.2",
        "g02-inv1.3",
    ]


def test_g03_payment_before_invoice_is_held_and_reconciled() -> None:
    assert audit_of(3) == []
    tagged, notices = run_alone(nth(3))
    assert tagged == []
    assert notices.get("parked") == 1 and notices.get("reconciled") == 1


def test_g04_partial_payment_lowers_the_amount_reminded() -> None:
    (email,) = audit_of(4)
    assert shape([email]) == [("remind", "email")]
    assert email.amount_due_minor == 49900 - 20000


def test_g05_overpayment_is_netted_on_the_next_invoice() -> None:
    (email,) = audit_of(5)
    assert email.invoice_id == "g05-inv2", "the overpaid first invoice is never reminded"
    assert email.amount_due_minor == 34900 - (34900 - 24900)


def test_g06_credit_note_is_netted_before_any_reminder() -> None:
    assert audit_of(6) == []


def test_g07_nothing_after_cancellation() -> None:
    cancelled = event_time(7, ev.InvoiceCancelled)
    assert shape(audit_of(7)) == [("remind", "email")]
    assert all(d.decided_at < cancelled for d in audit_of(7))


def test_g08_duplicate_event_counts_once() -> None:
    (email,) = audit_of(8)
    assert email.amount_due_minor == 29900, "the twice-delivered 200 SEK counted once"
    assert run_alone(nth(8))[1].get("duplicate_ignored") == 1


def test_g09_late_event_applies_at_its_own_time_and_nothing_goes_back() -> None:
    (email,) = audit_of(9)
    assert email.amount_due_minor == 49900, "the credit note was not known on 3 Oct"
    assert local_day(email) == date(2026, 10, 3)
    entries = nth(9).customer().entries
    late = next(e for e in entries if isinstance(e.event, ev.InvoiceAdjusted))
    assert late.arrives_at > late.event.occurred_at, "the scenario must deliver it late"
    log = decode_lines(EVENTS.read_bytes())
    mine = [e for e in log if e.customer_id == nth(9).customer_id]
    assert [type(e) for e in mine][-2:] == [ev.PaymentReceived, ev.InvoiceAdjusted]


def test_g10_erasure_stops_dunning() -> None:
    erased = event_time(10, ev.CustomerErased)
    assert shape(audit_of(10)) == [("remind", "email")]
    assert all(d.decided_at < erased for d in audit_of(10))


def test_g11_dispute_stops_dunning_until_upheld() -> None:
    opened, resolved = event_time(11, ev.DisputeOpened), event_time(11, ev.DisputeResolved)
    during = [d for d in audit_of(11) if opened < d.decided_at < resolved]
    assert during, "the due+5 point falls inside the dispute"
    assert all(not d.actionable and "rule.dispute_open" in d.reasons for d in during)
    after = [d for d in acts(11) if d.decided_at >= resolved]
    assert shape(after) == [("remind", "email"), ("remind", "letter")]
    email, letter = after
    assert email.decided_at == resolved, "resumes as soon as the claim is upheld"
    sent = local(email.send_at, STOCKHOLM)
    assert (sent.date(), sent.time()) == (date(2026, 10, 21), time(8)), "21:30 is quiet hours"
    assert local_day(letter) == date(2026, 10, 29) and local_clock(letter) == time(6)


def test_g12_withdrawn_claim_cancels_the_invoice() -> None:
    opened = event_time(12, ev.DisputeOpened)
    assert shape(acts(12)) == [("remind", "email")]
    later = [d for d in audit_of(12) if d.decided_at > opened]
    assert later and all(not d.actionable for d in later)
    assert all("rule.dispute_open" in d.reasons for d in later)
