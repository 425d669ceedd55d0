"""The golden replay: the scenarios' events, replayed, must give exactly the checked-in decisions.

Three layers, so that the golden files cannot silently encode a bug:

1. byte-for-byte: ``events.jsonl`` is what the scenarios generate, and replaying it through the
   CLI and through the library gives exactly ``decisions.jsonl`` and ``audit.jsonl``;
2. every golden decision obeys the rules of :mod:`tests.replay.invariants` (an independent model
   of the events, not the rule pack);
3. each scenario's meaning, asserted on its own decisions (``test_gNN_...`` below).

After a deliberate change, regenerate with ``python -m tests.replay.regen`` and read the diff.
"""

from __future__ import annotations

import difflib
import io
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duewise import Settings, build_engine
from duewise.cli import app
from duewise.replay import ReplaySinks, replay_file
from engine.guardrails import RulePack
from schemas import events as ev
from schemas.codec import decode_decision
from schemas.enums import Action, Channel, PaymentOption
from schemas.outbound import Decision

from .builder import utc
from .drive import decode_lines, drive, lines
from .invariants import check_run, local
from .regen import (
    AUDIT,
    DECISIONS,
    EVENTS,
    README,
    REGEN_COMMAND,
    SEED,
    UNTIL,
    event_log,
    readme,
    replay_args,
)
from .scenarios import SCENARIOS, Scenario

STOCKHOLM = "Europe/Stockholm"


def assert_same(name: str, expected: bytes, actual: bytes) -> None:
    """Fail with a readable diff (first 60 lines) and the command that regenerates."""
    if expected == actual:
        return
    diff = difflib.unified_diff(
        expected.decode().splitlines(),
        actual.decode().splitlines(),
        f"checked-in {name}",
        f"produced {name}",
        lineterm="",
        n=1,
    )
    shown = "\n".join(list(diff)[:60])
    pytest.fail(
        f"{name} differs from the golden file.\n{shown}\n\n"
        f"If the change is deliberate, regenerate with `{REGEN_COMMAND}` and review the diff.",
        pytrace=False,
    )


def until() -> datetime:
    return utc(UNTIL)


# --- layer 1: byte for byte ------------------------------------------------------------------


def test_events_are_what_the_scenarios_generate() -> None:
    assert_same("events.jsonl", EVENTS.read_bytes(), event_log())


def test_readme_lists_every_scenario() -> None:
    assert_same("README.md", README.read_bytes(), readme().encode())


def test_cli_replay_gives_the_golden_decisions(tmp_path: Path) -> None:
    out, audit, dlq = tmp_path / "d.jsonl", tmp_path / "a.jsonl", tmp_path / "dlq.jsonl"
    result = CliRunner().invoke(app, replay_args(EVENTS, out, audit, dlq))
    assert result.exit_code == 0, result.output
    assert_same("decisions.jsonl", DECISIONS.read_bytes(), out.read_bytes())
    assert_same("audit.jsonl", AUDIT.read_bytes(), audit.read_bytes())
    assert dlq.read_bytes() == b""
    assert "invalid lines: 0; dead letters: 0" in result.output


def test_library_replay_gives_the_golden_decisions() -> None:
    out, audit, dlq = io.BytesIO(), io.BytesIO(), io.BytesIO()
    summary = replay_file(
        build_engine(Settings(seed=SEED)), EVENTS, ReplaySinks(out, audit, dlq), until()
    )
    assert_same("decisions.jsonl", DECISIONS.read_bytes(), out.getvalue())
    assert_same("audit.jsonl", AUDIT.read_bytes(), audit.getvalue())
    assert (summary.invalid, summary.dead_letters, dlq.getvalue()) == (0, 0, b"")
    assert summary.events == len(EVENTS.read_bytes().splitlines())


def test_decisions_file_is_the_actionable_part_of_the_audit() -> None:
    audit = AUDIT.read_bytes().splitlines()
    actionable = [line for line in audit if decode_decision(line).actionable]
    assert DECISIONS.read_bytes().splitlines() == actionable
    assert len(actionable) < len(audit), "the golden log should contain waits too"


# --- layer 2: the rules hold for every golden decision ---------------------------------------


def test_every_golden_decision_obeys_the_rules() -> None:
    events = decode_lines(EVENTS.read_bytes())
    engine = build_engine(Settings(seed=SEED))
    tagged = drive(engine, events, until())
    assert lines(d for _, d in tagged) == AUDIT.read_bytes()
    assert engine.context.pack == RulePack(), "the golden files assume the Swedish defaults"
    check_run(events, tagged, engine.context.pack)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.customer_id)
def test_each_scenario_alone_decides_the_same(scenario: Scenario) -> None:
    """Customers are independent: a scenario replayed alone gives its slice of the audit."""
    alone = [d for _, d in run_alone(scenario)[0]]
    assert lines(alone) == lines(audit_of(scenario.number))


def test_scenarios_are_numbered_and_use_their_own_ids() -> None:
    assert [s.number for s in SCENARIOS] == list(range(1, len(SCENARIOS) + 1))
    for s in SCENARIOS:
        for entry in s.customer().entries:
            event = entry.event
            assert event.customer_id == s.customer_id
            assert event.event_id.startswith(f"{s.short}-e")
            for name in ("invoice_id", "payment_id"):
                value = getattr(event, name, None)
                assert value is None or value.startswith(f"{s.short}-"), (s.slug, value)
        assert s.summary, f"{s.customer_id} needs a docstring"


# --- helpers for layer 3 ---------------------------------------------------------------------


@cache
def golden_audit() -> tuple[Decision, ...]:
    return tuple(decode_decision(line) for line in AUDIT.read_bytes().splitlines())


def nth(number: int) -> Scenario:
    return SCENARIOS[number - 1]


def audit_of(number: int) -> list[Decision]:
    """The golden audit records of one scenario's customer, in file order."""
    customer_id = nth(number).customer_id
    return [d for d in golden_audit() if d.customer_id == customer_id]


def acts(number: int) -> list[Decision]:
    """The actionable golden decisions of one scenario."""
    return [d for d in audit_of(number) if d.actionable]


def shape(decisions: list[Decision]) -> list[tuple[str, str | None]]:
    return [(d.action.value, d.channel.value if d.channel else None) for d in decisions]


def event_time(number: int, kind: type[ev.EventBase]) -> datetime:
    """When the (first) event of ``kind`` in a scenario occurred."""
    return next(
        e.event.occurred_at for e in nth(number).customer().entries if isinstance(e.event, kind)
    )


def local_day(d: Decision, attr: str = "decided_at", tz: str = STOCKHOLM) -> date:
    return local(getattr(d, attr), tz).date()


def local_clock(d: Decision, attr: str = "decided_at", tz: str = STOCKHOLM) -> time:
    return local(getattr(d, attr), tz).time()


def rules_blocked(d: Decision) -> set[str]:
    return {b.rule for b in d.blocked}


def run_alone(s: Scenario) -> tuple[list[tuple[int, Decision]], dict[str, int]]:
    """Replay one scenario on a fresh engine: its tagged decisions and the notices raised."""
    engine = build_engine(Settings(seed=SEED))
    events = decode_lines(b"\n".join(s.customer().lines()))
    tagged = drive(engine, events, until())
    return tagged, dict(engine.notices)


LADDER = [("remind", "email"), ("remind", "letter"), ("escalate", "letter")]


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
