"""Escalation preconditions, respond-by deadlines of written notices, and offer limits.

The base case is an invoice of 499 SEK due 2026-09-30 on which a plan was offered and a letter
reminder gave until 2026-10-26 to pay; on 2026-10-30 an escalation by letter is allowed. Each
row changes one thing and names the rule that must then refuse the escalation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.guardrails import Candidate, RulePack, Verdict, evaluate
from engine.guardrails.actions import escalation_block, respond_by
from engine.guardrails.calendar import add_bank_days
from engine.guardrails.pack import EscalationRules
from engine.state import ContactRecord, CustomerState
from schemas.enums import Action, Channel
from tests.builders import at, contact, customer, day, invoice, local

PACK = RulePack()
ESCALATE = Candidate(Action.ESCALATE, Channel.LETTER)
NOTICE = contact("i1", "2026-10-14T06:00", "letter", respond_by="2026-10-26")


def _state(
    contacts: list[ContactRecord] | None = None,
    customer_fields: dict[str, Any] | None = None,
    **inv,
) -> CustomerState:
    inv.setdefault("forbearance_offered", True)
    state = customer("c1", invoice("i1", **inv), **(customer_fields or {}))
    state.contacts.extend([NOTICE] if contacts is None else contacts)
    return state


# (id, state, local wall time, pack, rule or None, temporary, lift UTC)
CASES: list[tuple[str, CustomerState, str, RulePack, str | None, bool | None, str | None]] = [
    ("allowed-when-every-precondition-holds", _state(), "2026-10-30T06:00", PACK, None, None, None),
    (
        "vulnerable-never-escalated",
        _state(customer_fields={"vulnerable": True}),
        "2026-10-30T06:00",
        PACK,
        "rule.vulnerable",
        False,
        None,
    ),
    (
        "vulnerable-allowed-when-pack-says-so",
        _state(customer_fields={"vulnerable": True}),
        "2026-10-30T06:00",
        RulePack(vulnerable_never_escalate=False),
        None,
        None,
        None,
    ),
    (
        "below-min-amount",
        _state(amount=9999),
        "2026-10-30T06:00",
        PACK,
        "rule.min_amount",
        False,
        None,
    ),
    (
        "exactly-min-amount-allowed",
        _state(amount=10000),
        "2026-10-30T06:00",
        PACK,
        None,
        None,
        None,
    ),
    (
        "min-amount-is-on-what-is-still-owed",
        _state(paid_minor=40000),
        "2026-10-30T06:00",
        PACK,
        "rule.min_amount",
        False,
        None,
    ),
    (
        "min-amount-nets-credit-notes",
        _state(credited_minor=39901),
        "2026-10-30T06:00",
        PACK,
        "rule.min_amount",
        False,
        None,
    ),
    (
        "unknown-currency-never-escalated",
        _state(currency="EUR"),
        "2026-10-30T06:00",
        PACK,
        "rule.min_amount",
        False,
        None,
    ),
    (
        "currency-threshold-from-the-pack",
        _state(currency="EUR", amount=5000),
        "2026-10-30T06:00",
        RulePack(escalation=EscalationRules(min_outstanding_minor={"EUR": 5000})),
        None,
        None,
        None,
    ),
    (
        "not-21-days-overdue-the-evening-before",
        _state(contacts=[]),
        "2026-10-20T23:59",
        PACK,
        "rule.min_days_overdue",
        True,
        "2026-10-20T22:00",
    ),
    (
        "21-days-overdue-at-local-midnight",
        _state(contacts=[]),
        "2026-10-21T00:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "forbearance-first",
        _state(forbearance_offered=False),
        "2026-10-30T06:00",
        PACK,
        "rule.forbearance_first",
        True,
        None,
    ),
    (
        "forbearance-not-required-by-pack",
        _state(forbearance_offered=False),
        "2026-10-30T06:00",
        RulePack(escalation=EscalationRules(require_forbearance_offer=False)),
        None,
        None,
        None,
    ),
    (
        "no-written-notice",
        _state(contacts=[]),
        "2026-10-30T06:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "an-email-is-no-written-notice",
        _state(contacts=[contact("i1", "2026-10-14T06:00", "email")]),
        "2026-10-30T06:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "a-notice-on-another-invoice-does-not-count",
        _state(contacts=[contact("i2", "2026-10-14T06:00", "letter", respond_by="2026-10-26")]),
        "2026-10-30T06:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "no-written-notice-not-required-by-pack",
        _state(contacts=[]),
        "2026-10-30T06:00",
        RulePack(escalation=EscalationRules(require_written_notice=False)),
        None,
        None,
        None,
    ),
    (
        "notice-period-runs-through-respond-by",
        _state(),
        "2026-10-26T23:59",
        PACK,
        "rule.notice_period",
        True,
        "2026-10-26T23:00",
    ),
    ("notice-period-over-the-day-after", _state(), "2026-10-27T00:00", PACK, None, None, None),
    (
        "the-latest-notice-deadline-counts",
        _state(
            contacts=[
                NOTICE,
                contact(
                    "i1", "2026-10-22T06:00", "digital_mailbox", step=2, respond_by="2026-11-03"
                ),
            ]
        ),
        "2026-10-30T06:00",
        PACK,
        "rule.notice_period",
        True,
        "2026-11-03T23:00",
    ),
    (
        "a-bounced-notice-is-no-notice",
        _state(contacts=[NOTICE.model_copy(update={"bounced": True})]),
        "2026-10-30T06:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "a-notice-delivered-after-a-soft-bounce-counts",
        _state(contacts=[NOTICE.model_copy(update={"bounced": True, "delivered": True})]),
        "2026-10-30T06:00",
        PACK,
        None,
        None,
        None,
    ),
    (
        "a-demands-own-deadline-is-no-notice",
        _state(
            contacts=[
                contact("i1", "2026-10-14T06:00", "letter", "escalate", respond_by="2026-10-26")
            ]
        ),
        "2026-10-30T06:00",
        PACK,
        "rule.no_written_notice",
        True,
        None,
    ),
    (
        "vulnerable-checked-before-everything",
        _state(
            contacts=[], amount=100, forbearance_offered=False, customer_fields={"vulnerable": True}
        ),
        "2026-10-01T06:00",
        PACK,
        "rule.vulnerable",
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    ("state", "wall", "pack", "rule", "temporary", "lift"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_escalation_precondition(
    state: CustomerState,
    wall: str,
    pack: RulePack,
    rule: str | None,
    temporary: bool | None,
    lift: str | None,
) -> None:
    block = escalation_block(state, state.invoices["i1"], ESCALATE, local(wall), pack)
    if rule is None:
        assert block is None
        return
    assert block is not None
    assert (block.rule, block.temporary, block.until) == (rule, temporary, lift and at(lift))


def test_escalation_allowed_through_the_whole_rule_pack() -> None:
    state = _state()
    verdict = evaluate(state, state.invoices["i1"], local("2026-10-30T06:00"), PACK)
    assert verdict.is_allowed(ESCALATE)
    assert verdict.is_allowed(Candidate(Action.ESCALATE, Channel.DIGITAL_MAILBOX))
    assert Candidate(Action.ESCALATE, Channel.EMAIL) not in verdict.allowed


def test_escalation_still_needs_a_usable_channel() -> None:
    state = _state(customer_fields={"reachable": [Channel.DIGITAL_MAILBOX]})
    verdict = evaluate(state, state.invoices["i1"], local("2026-10-30T06:00"), PACK)
    assert [b.rule for b in verdict.blocks if b.candidate == ESCALATE] == ["rule.unreachable"]
    assert verdict.is_allowed(Candidate(Action.ESCALATE, Channel.DIGITAL_MAILBOX))


# (id, sent, channel, pack, respond_by)
US = RulePack(
    holidays="US",
    escalation=EscalationRules(
        notice_days=30, notice_bank_days_after_receipt=0, letter_delivery_bank_days=3
    ),
)
RESPOND_BY = [
    ("letter-monday-8-days", "2026-10-05", Channel.LETTER, PACK, "2026-10-13"),
    (
        "letter-friday-bank-days-after-delivery-win",
        "2026-10-09",
        Channel.LETTER,
        PACK,
        "2026-10-19",
    ),
    (
        "digital-mailbox-friday-8-days-win",
        "2026-10-09",
        Channel.DIGITAL_MAILBOX,
        PACK,
        "2026-10-17",
    ),
    ("letter-over-christmas-and-new-year", "2026-12-21", Channel.LETTER, PACK, "2027-01-04"),
    ("digital-mailbox-over-christmas", "2026-12-23", Channel.DIGITAL_MAILBOX, PACK, "2027-01-04"),
    ("letter-over-easter", "2026-04-02", Channel.LETTER, PACK, "2026-04-14"),
    ("letter-sent-on-saturday", "2026-10-10", Channel.LETTER, PACK, "2026-10-19"),
    ("us-30-days-from-sending", "2026-10-05", Channel.LETTER, US, "2026-11-04"),
]


@pytest.mark.parametrize(
    ("sent", "channel", "pack", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in RESPOND_BY],
)
def test_respond_by(sent: str, channel: Channel, pack: RulePack, expected: str) -> None:
    assert respond_by(day(sent), channel, pack) == day(expected)


def test_respond_by_is_never_before_8_days_nor_4_bank_days_after_receipt() -> None:
    for offset in range(366):
        sent = day("2026-01-01") + timedelta(days=offset)
        for channel, delivery in ((Channel.LETTER, 2), (Channel.DIGITAL_MAILBOX, 0)):
            deadline = respond_by(sent, channel, PACK)
            received = add_bank_days(sent, delivery, "SE")
            assert (deadline - sent).days >= 8
            assert deadline >= add_bank_days(received, 4, "SE")


# offers
def _offer_verdict(**kw: Any) -> Verdict:
    customer_fields = kw.pop("customer_fields", {})
    state = customer("c1", invoice("i1", **kw), **customer_fields)
    return evaluate(state, state.invoices["i1"], at("2026-10-10T10:00"), PACK)


@pytest.mark.parametrize(
    ("fields", "action", "rule"),
    [
        pytest.param(
            {"customer_fields": {"direct_debit_active": True}},
            Action.OFFER_DIRECT_DEBIT,
            "rule.direct_debit_active",
            id="no-direct-debit-offer-when-already-active",
        ),
        pytest.param({}, Action.OFFER_DIRECT_DEBIT, None, id="direct-debit-offer-allowed"),
        pytest.param(
            {"deferrals_offered": 1},
            Action.OFFER_DEFERRAL,
            "rule.deferral_limit",
            id="one-deferral-per-invoice",
        ),
        pytest.param({}, Action.OFFER_DEFERRAL, None, id="first-deferral-allowed"),
        pytest.param(
            {"plan": [("2026-10-01", 25000), ("2026-11-01", 24900)]},
            Action.OFFER_PLAN,
            None,
            id="new-plan-offer-allowed-after-a-missed-instalment",
        ),
    ],
)
def test_offer_limit(fields: dict[str, Any], action: Action, rule: str | None) -> None:
    verdict = _offer_verdict(**fields)
    assert verdict.hold is None
    candidate = Candidate(action, Channel.EMAIL)
    rules = [b.rule for b in verdict.blocks if b.candidate == candidate]
    assert rules == ([rule] if rule else [])


def test_a_kept_plan_holds_every_offer() -> None:
    verdict = _offer_verdict(plan=[("2026-11-01", 25000), ("2026-12-01", 24900)])
    assert verdict.hold is not None and verdict.hold.rule == "rule.plan_active"
    assert not verdict.is_allowed(Candidate(Action.OFFER_PLAN, Channel.EMAIL))
