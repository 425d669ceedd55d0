"""The baseline ladder run through the real core (:func:`engine.step.step`, :func:`decide`).

One invoice of 499 SEK due Wednesday 2026-09-30, Swedish rules, seed 0. The default ladder
decides at 06:00 local time: email at due+5, letter at due+14, escalation at due+30; every
message goes out at 08:00 local at the earliest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.decide import decide
from engine.guardrails import Candidate, RulePack
from engine.policies import LadderConfig, LadderLevel, LadderPolicy
from engine.policies.base import Choice, DecisionContext
from engine.state import CustomerState, InvoiceState, InvoiceStatus
from engine.step import EngineContext
from schemas.codec import encode
from schemas.enums import Action, Channel, PaymentOption
from schemas.events import EventBase
from tests.builders import (
    at,
    customer,
    customer_updated,
    dispute_opened,
    dispute_resolved,
    dunning_paused,
    engine_context,
    invoice,
    invoice_adjusted,
    invoice_issued,
    local,
    message,
    payment_received,
    promise_to_pay,
    run,
)

INVOICE = invoice_issued(invoice="i1", due="2026-09-30", amount=49900, at="2026-09-01T08:00")
END = "2026-12-31T00:00"


def _row(d: Any) -> tuple[Any, ...]:
    return (
        d.decision_id,
        d.decided_at,
        d.action.value,
        d.channel.value if d.channel else None,
        d.send_at,
    )


def test_default_ladder_fires_email_letter_escalation() -> None:
    done = run(INVOICE, until=END)
    assert [_row(d) for d in done.decisions] == [
        ("i1/1", local("2026-10-05T06:00"), "remind", "email", local("2026-10-05T08:00")),
        ("i1/2", local("2026-10-14T06:00"), "remind", "letter", local("2026-10-14T08:00")),
        ("i1/3", local("2026-10-30T06:00"), "escalate", "letter", local("2026-10-30T08:00")),
    ]
    first, second, third = done.decisions
    assert [d.step for d in done.decisions] == [1, 2, 3]
    assert [d.payment_reference for d in done.decisions] == ["i1.1", "i1.2", "i1.3"]
    assert [d.reasons[0] for d in done.decisions] == [
        "ladder.level_1",
        "ladder.level_2",
        "ladder.level_3",
    ]
    assert first.respond_by is None
    assert second.respond_by == at("2026-10-22T00:00").date()
    assert third.respond_by == at("2026-11-09T00:00").date()
    assert [d.fee_minor for d in done.decisions] == [0, 0, 18000]
    assert all(d.amount_due_minor == 49900 and d.currency == "SEK" for d in done.decisions)
    assert all(d.policy.propensity == 1.0 and d.policy.name == "ladder" for d in done.decisions)
    assert PaymentOption.PLAN in second.payment_options
    assert done.state is not None
    inv = done.state.invoices["i1"]
    assert (inv.status, inv.ladder_level, inv.escalations, inv.next_at) == (
        InvoiceStatus.ESCALATED,
        3,
        1,
        None,
    )
    assert [c.decision_id for c in done.state.contacts] == ["i1/1", "i1/2", "i1/3"]


def test_no_decision_before_its_time() -> None:
    done = run(INVOICE, until=local("2026-10-05T05:59"))
    assert done.decisions == []
    assert done.state is not None
    assert done.state.invoices["i1"].next_at == local("2026-10-05T06:00")


def test_ladder_runs_in_the_customers_own_time_zone() -> None:
    ny = invoice_issued(due="2026-09-30", at="2026-09-01T08:00", timezone="America/New_York")
    done = run(ny, until="2026-10-06T00:00")
    tz = "America/New_York"
    assert [_row(d) for d in done.decisions] == [
        ("i1/1", local("2026-10-05T06:00", tz), "remind", "email", local("2026-10-05T08:00", tz))
    ]


# channel fallback at level 1: (id, events before the first level, channel, fallback?)
FALLBACK: list[tuple[str, list[EventBase], str, bool]] = [
    ("email-when-nothing-is-known", [], "email", False),
    (
        "sms-when-email-unreachable",
        [customer_updated(reachable_channels=["sms", "letter"])],
        "sms",
        True,
    ),
    ("sms-when-email-opted-out", [customer_updated(opted_out=["email"])], "sms", True),
    ("sms-when-email-bounced", [message("bounced", "x/1", "email")], "sms", True),
    (
        "digital-mailbox-next",
        [customer_updated(reachable_channels=["letter", "digital_mailbox"])],
        "digital_mailbox",
        True,
    ),
    ("letter-last", [customer_updated(reachable_channels=["letter", "phone"])], "letter", True),
]


@pytest.mark.parametrize(
    ("before", "channel", "fallback"), [pytest.param(*case[1:], id=case[0]) for case in FALLBACK]
)
def test_channel_fallback(before: list[EventBase], channel: str, fallback: bool) -> None:
    done = run(INVOICE, *before, until="2026-10-06T00:00")
    [first] = done.decisions
    assert (first.action, first.channel) == (Action.REMIND, Channel(channel))
    assert ("ladder.fallback" in first.reasons) is fallback
    if fallback:
        assert any(b.rule.startswith("rule.") and b.action is Action.REMIND for b in first.blocked)


def test_weekend_sms_is_decided_on_time_and_sent_on_monday() -> None:
    done = run(
        invoice_issued(due="2026-10-05", at="2026-09-01T08:00"),
        customer_updated(reachable_channels=["sms"]),
        until="2026-10-13T00:00",
    )
    [first] = done.decisions
    assert (first.decided_at, first.channel, first.send_at) == (
        local("2026-10-10T06:00"),
        Channel.SMS,
        local("2026-10-12T08:00"),
    )


def test_every_channel_blocked_skips_the_reminder_levels() -> None:
    done = run(customer_updated(reachable_channels=[]), INVOICE, until=END)
    waits = [d for d in done.decisions if d.action is Action.WAIT]
    assert [d.decision_id for d in waits[:2]] == ["i1/0/w1", "i1/0/w2"]
    assert all("ladder.level_skipped" in d.reasons for d in waits[:2])
    assert not any(d.action in (Action.REMIND, Action.ESCALATE) for d in done.decisions)


def test_hold_waits_and_retries_at_its_end_without_consuming_the_level() -> None:
    paused = dunning_paused(until="2026-10-10", at="2026-10-02T08:00")
    done = run(INVOICE, paused, until=local("2026-10-10T12:00"))
    [wait] = done.decisions
    assert (wait.decision_id, wait.action, wait.decided_at) == (
        "i1/0/w1",
        Action.WAIT,
        local("2026-10-05T06:00"),
    )
    assert wait.reasons == ["ladder.level_1", "rule.paused"]
    assert wait.payment_reference is None and wait.send_at is None
    assert {b.rule for b in wait.blocked} == {"rule.paused"}
    assert done.state is not None
    inv = done.state.invoices["i1"]
    assert (inv.ladder_level, inv.step, inv.next_at) == (0, 0, local("2026-10-11T00:00"))

    later = run(until=local("2026-10-11T12:00"), state=done.state)
    [remind] = later.decisions
    assert (remind.decision_id, remind.action, remind.channel) == (
        "i1/1",
        Action.REMIND,
        Channel.EMAIL,
    )
    assert remind.decided_at == local("2026-10-11T00:00")
    assert remind.send_at == local("2026-10-11T08:00")
    assert remind.reasons == ["ladder.level_1"]


def test_a_wait_after_an_action_is_numbered_by_its_decision_point() -> None:
    paused = dunning_paused(until="2026-10-20", at="2026-10-06T08:00")
    done = run(INVOICE, paused, until=local("2026-10-15T00:00"))
    assert [(d.decision_id, d.action.value) for d in done.decisions] == [
        ("i1/1", "remind"),
        ("i1/1/w2", "wait"),
    ]


def test_open_dispute_waits_for_the_resolution_event() -> None:
    done = run(INVOICE, dispute_opened(at="2026-10-02T08:00"), until="2026-12-01T00:00")
    [wait] = done.decisions
    assert (wait.action, wait.reasons) == (Action.WAIT, ["ladder.level_1", "rule.dispute_open"])
    assert done.state is not None
    inv = done.state.invoices["i1"]
    assert (inv.awaiting_event, inv.next_at) == (True, None)

    resolved = run(dispute_resolved(at=local("2026-12-01T10:00")), state=done.state, until=END)
    first = resolved.decisions[0]
    assert (first.decision_id, first.action, first.channel, first.decided_at) == (
        "i1/1",
        Action.REMIND,
        Channel.EMAIL,
        local("2026-12-01T10:00"),
    )


def test_withdrawn_dispute_ends_the_ladder() -> None:
    done = run(
        INVOICE,
        dispute_opened(at="2026-10-02T08:00"),
        dispute_resolved(outcome="claim_withdrawn", at="2026-10-20T08:00"),
        until=END,
    )
    assert [d.action for d in done.decisions] == [Action.WAIT]
    assert done.state is not None
    assert done.state.invoices["i1"].status is InvoiceStatus.CANCELLED


def test_promise_holds_until_its_grace_ends() -> None:
    promise = promise_to_pay(promised="2026-10-08", at="2026-10-02T08:00")
    done = run(INVOICE, promise, until="2026-10-13T00:00")
    assert [(d.action.value, d.decided_at) for d in done.decisions] == [
        ("wait", local("2026-10-05T06:00")),
        ("remind", local("2026-10-12T00:00")),
    ]


def test_vulnerable_customer_goes_to_a_human_instead_of_collection() -> None:
    done = run(INVOICE, customer_updated(vulnerable=True, at="2026-10-02T08:00"), until=END)
    assert [(d.action.value, d.channel) for d in done.decisions] == [
        ("remind", Channel.EMAIL),
        ("remind", Channel.LETTER),
        ("human_review", None),
    ]
    review = done.decisions[-1]
    assert review.decided_at == local("2026-10-30T06:00")
    assert "ladder.vulnerable_to_human" in review.reasons
    assert any(b.rule == "rule.vulnerable" for b in review.blocked)
    assert done.state is not None
    inv = done.state.invoices["i1"]
    assert (inv.status, inv.next_at, inv.escalations) == (InvoiceStatus.IN_REVIEW, None, 0)


NO_PLAN_LADDER = LadderConfig(
    levels=[
        LadderLevel(
            after_due_days=5,
            action=Action.REMIND,
            channels=[Channel.EMAIL],
            payment_options=[PaymentOption.SWISH],
        ),
        LadderLevel(
            after_due_days=14,
            action=Action.REMIND,
            channels=[Channel.LETTER],
            payment_options=[PaymentOption.SWISH],
        ),
        LadderLevel(
            after_due_days=30,
            action=Action.ESCALATE,
            channels=[Channel.LETTER],
            payment_options=[PaymentOption.BANK_GIRO],
        ),
    ]
)


def test_no_forbearance_offer_yet_gets_a_plan_offer_before_escalation() -> None:
    ctx = engine_context(policy=LadderPolicy(NO_PLAN_LADDER))
    done = run(INVOICE, until=END, ctx=ctx)
    actions = [(d.decision_id, d.action.value) for d in done.actions]
    assert actions == [
        ("i1/1", "remind"),
        ("i1/2", "remind"),
        ("i1/3", "offer_plan"),
        ("i1/4", "escalate"),
    ]
    offer, escalation = done.actions[2], done.actions[3]
    assert offer.decided_at == local("2026-10-30T06:00")
    assert "ladder.forbearance_first" in offer.reasons
    assert PaymentOption.PLAN in offer.payment_options
    assert any(b.rule == "rule.forbearance_first" for b in offer.blocked)
    assert offer.respond_by is not None
    assert escalation.decided_at >= local(f"{offer.respond_by + timedelta(days=1)}T00:00")
    assert escalation.reasons == ["ladder.level_3"]


@pytest.mark.parametrize(
    "payment",
    [
        pytest.param({"invoice": "i1"}, id="paid-by-invoice-id-after-first-reminder"),
        pytest.param({"reference": "i1.1"}, id="paid-by-our-reference"),
        pytest.param({"reference": "i1"}, id="paid-by-bare-invoice-number"),
        pytest.param({}, id="paid-without-reference"),
    ],
)
def test_a_paid_invoice_gets_no_more_decisions(payment: dict[str, Any]) -> None:
    done = run(INVOICE, payment_received(amount=49900, at="2026-10-07T09:00", **payment), until=END)
    assert [d.decision_id for d in done.decisions] == ["i1/1"]
    assert done.state is not None
    inv = done.state.invoices["i1"]
    assert (inv.status, inv.next_at) == (InvoiceStatus.PAID, None)


def test_an_invoice_credited_in_full_before_its_due_date_is_never_reminded() -> None:
    done = run(INVOICE, invoice_adjusted(amount=49900, at="2026-09-15T08:00"), until=END)
    assert done.decisions == []


def test_a_partial_payment_lowers_the_amount_asked_for() -> None:
    done = run(INVOICE, payment_received(amount=9900, at="2026-10-07T09:00"), until=END)
    assert [d.amount_due_minor for d in done.actions] == [49900, 40000, 40000]


def test_same_input_gives_byte_identical_decisions() -> None:
    events = [INVOICE, customer_updated(reachable_channels=["sms", "letter"])]
    first = run(*events, until=END)
    second = run(*events, until=END, ctx=EngineContext(LadderPolicy(), RulePack(), seed=7))
    assert [encode(d) for d in first.decisions] == [encode(d) for d in second.decisions]
    assert len(first.decisions) == 3


class _Reckless:
    """A policy that always escalates, whatever the rule pack says (a buggy learner)."""

    name = "reckless"

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        return None

    def choose(self, ctx: DecisionContext) -> Choice:
        return Choice(Candidate(Action.ESCALATE, Channel.LETTER), 0.5, "learned", ("x.go",))


def test_the_rule_pack_overrules_a_forbidden_choice() -> None:
    state = customer("c1", invoice("i1", due="2026-09-30"))
    now = local("2026-10-05T06:00")
    decision = decide(state, state.invoices["i1"], now, _Reckless(), RulePack(), 0)
    assert decision.action is Action.WAIT
    assert decision.reasons == ["x.go", "engine.overruled"]
    assert decision.decision_id == "i1/0/w1"
    assert state.contacts == []
    assert state.invoices["i1"].retry_at == local("2026-10-06T06:00")
