"""The golden replay, layer 3 (part 2): what scenarios g14-g26 mean, asserted on their own
decisions: promises, plans, vulnerability, channels, quiet hours, caps, fees, zones.
"""

from __future__ import annotations

from datetime import date, time

from schemas import events as ev
from schemas.enums import Action, Channel

from .golden_helpers import (
    LADDER,
    STOCKHOLM,
    acts,
    audit_of,
    event_time,
    local_clock,
    local_day,
    nth,
    rules_blocked,
    shape,
)
from .invariants import local


def test_g13_pause_until_payday() -> None:
    (wait,) = [d for d in audit_of(13) if not d.actionable]
    assert "rule.paused" in wait.reasons and local_day(wait) == date(2026, 11, 2)
    (email,) = acts(13)
    assert local_day(email) == date(2026, 11, 26), "the day after payday, not before"
    assert local_clock(email, "send_at") == time(8)


def test_g14_promise_holds_then_breaks() -> None:
    waits = [d for d in audit_of(14) if not d.actionable]
    assert [set(d.reasons) >= {"rule.promise_pending"} for d in waits] == [True]
    assert shape(acts(14)) == LADDER
    email, letter, demand = acts(14)
    promised = event_time(14, ev.PromiseToPayMade)
    assert email.decided_at < promised < waits[0].decided_at < letter.decided_at
    assert local_day(letter) == date(2026, 10, 20), "promise 16 Oct + 3 days grace"
    assert local_day(demand) > letter.respond_by


def test_g15_plan_kept_then_broken() -> None:
    email, letter, demand = acts(15)
    assert shape([email, letter, demand]) == LADDER
    waits = [d for d in audit_of(15) if not d.actionable]
    assert waits and all("rule.plan_active" in d.reasons for d in waits)
    assert local_day(demand) == date(2026, 12, 6), "instalment 30 Nov + 5 days grace"
    assert demand.amount_due_minor == 100000
    assert "rule.plan_active" not in rules_blocked(demand), "a broken plan is not in place"


def test_g16_vulnerable_customer_goes_to_a_human() -> None:
    decisions = audit_of(16)
    assert Action.ESCALATE not in {d.action for d in decisions}
    assert shape(decisions) == [("remind", "email"), ("remind", "letter"), ("human_review", None)]
    review = decisions[-1]
    assert "ladder.vulnerable_to_human" in review.reasons
    assert "rule.vulnerable" in rules_blocked(review)
    assert local_day(review) == date(2026, 10, 28)


def test_g17_opted_out_email_falls_back_to_sms() -> None:
    (sms,) = audit_of(17)
    assert shape([sms]) == [("remind", "sms")]
    assert "ladder.fallback" in sms.reasons
    assert any(b.rule == "rule.opted_out" and b.channel is Channel.EMAIL for b in sms.blocked)


def test_g18_bounced_email_is_never_used_again() -> None:
    bounced = event_time(18, ev.MessageBounced)
    after = [d for d in acts(18) if d.decided_at > bounced]
    assert after and all(d.channel is not Channel.EMAIL for d in after)
    (next_invoice,) = [d for d in after if d.invoice_id == "g18-inv2"]
    assert next_invoice.channel is Channel.SMS
    assert any(b.rule == "rule.bounced" for b in next_invoice.blocked)


def test_g19_sms_waits_for_monday_morning() -> None:
    (sms,) = audit_of(19)
    assert sms.channel is Channel.SMS
    assert local(sms.decided_at, STOCKHOLM).strftime("%a") == "Sat"
    sent = local(sms.send_at, STOCKHOLM)
    assert (sent.date(), sent.time()) == (date(2026, 10, 5), time(8))


def test_g20_frequency_cap() -> None:
    sends = sorted(d.send_at for d in acts(20))
    for i, start in enumerate(sends):
        in_week = [s for s in sends[i:] if (s - start).days < 7]
        assert len(in_week) <= 3, f"more than 3 contacts in the week from {start}"
    capped = [d for d in audit_of(20) if "rule.customer_cap" in d.reasons]
    assert {d.invoice_id for d in capped} >= {"g20-inv4"}
    assert all(not d.actionable for d in capped)


def test_g21_below_minimum_is_never_escalated_nor_reviewed() -> None:
    decisions = audit_of(21)
    assert shape(acts(21)) == [("remind", "email"), ("remind", "letter")]
    last = decisions[-1]
    assert not last.actionable and {"ladder.level_skipped", "rule.min_amount"} <= set(last.reasons)


def test_g22_reminder_fee_only_when_agreed_and_once() -> None:
    email, letter = acts(22)
    assert (email.fee_minor, letter.fee_minor) == (6000, 0)
    others = [d for n in (2, 4, 14) for d in acts(n) if d.action is Action.REMIND]
    assert others and all(d.fee_minor == 0 for d in others), "no fee without agreement"


def test_g23_new_york_local_times() -> None:
    tz = nth(23).timezone
    assert shape(acts(23)) == LADDER
    for d in acts(23):
        assert local_clock(d, tz=tz) == time(6) and local_clock(d, "send_at", tz) == time(8)
    assert [local_day(d, tz=tz) for d in acts(23)] == [
        date(2026, 10, 3),
        date(2026, 10, 12),
        date(2026, 10, 28),
    ]


def test_g24_charge_back_reopens_the_invoice() -> None:
    reversed_at = event_time(24, ev.PaymentReversed)
    (email,) = audit_of(24)
    assert email.decided_at > reversed_at and email.amount_due_minor == 39900


def test_g25_late_invoice_is_reminded_now_not_back_dated() -> None:
    arrived = event_time(25, ev.InvoiceIssued)
    email, letter = acts(25)
    assert shape([email, letter]) == [("remind", "email"), ("remind", "letter")]
    assert email.decided_at == arrived, "not 3 Oct, when duewise knew nothing"
    assert email.send_at >= arrived
    assert local_day(letter) == date(2026, 10, 27), "9 days after the email, not with it"
    assert letter.respond_by > local_day(letter)


def test_g26_returned_letter_is_no_notice() -> None:
    email, letter, notice, demand = acts(26)
    assert email.channel is Channel.EMAIL
    returned = event_time(26, ev.MessageBounced)
    assert letter.channel is Channel.LETTER and letter.decided_at < returned
    assert shape([notice, demand]) == [
        ("remind", "digital_mailbox"),
        ("escalate", "digital_mailbox"),
    ]
    assert "ladder.notice_first" in notice.reasons
    assert any(b.rule == "rule.no_written_notice" for b in notice.blocked)
    assert local_day(notice) == date(2026, 10, 28), "instead of the demand at due+30"
    assert local_day(demand) > notice.respond_by
