"""Contact rules: which channels may be used at all, and how often anyone may be contacted.

Each row asks the rule pack (:func:`engine.guardrails.evaluate`) about one candidate for invoice
``i1`` and checks the first rule that blocks it, whether the block is temporary, and when it lifts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.guardrails import Candidate, RulePack, evaluate
from engine.guardrails.pack import FrequencyCap
from engine.guardrails.types import Block
from engine.state import ContactRecord, CustomerState
from schemas.enums import Action, Channel
from tests.builders import apply, at, contact, customer, customer_updated, invoice, invoice_issued

PACK = RulePack()
NOW = at("2026-10-10T10:00")
EMAIL = Candidate(Action.REMIND, Channel.EMAIL)
SMS = Candidate(Action.REMIND, Channel.SMS)
PHONE = Candidate(Action.REMIND, Channel.PHONE)
LETTER = Candidate(Action.REMIND, Channel.LETTER)
REVIEW = Candidate(Action.HUMAN_REVIEW)


def _state(contacts: list[ContactRecord] = (), **kw: Any) -> CustomerState:  # type: ignore[assignment]
    invoices = [invoice(f"i{n}") for n in range(1, 10)]
    state = customer("c1", *invoices, **kw)
    state.contacts.extend(contacts)
    return state


def _block(
    state: CustomerState, candidate: Candidate, now: datetime = NOW, pack: RulePack = PACK
) -> Block | None:
    verdict = evaluate(state, state.invoices["i1"], now, pack)
    found = [b for b in verdict.blocks if b.candidate == candidate]
    assert len(found) <= 1
    assert verdict.is_allowed(candidate) is (not found)
    return found[0] if found else None


def _ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def _contacts(*spec: tuple[str, str, datetime]) -> list[ContactRecord]:
    """``(invoice, channel, send_at)`` triples."""
    return [contact(inv, when, ch, step=n) for n, (inv, ch, when) in enumerate(spec, 1)]


# (id, customer fields, contacts, candidate, now, rule or None, temporary, lift)
CASES: list[tuple[str, dict[str, Any], list[ContactRecord], Candidate, datetime, Any, Any, Any]] = [
    ("nothing-known-everything-allowed", {}, [], SMS, NOW, None, None, None),
    (
        "opted-out-channel-blocked-for-good",
        {"opted_out": ["email"]},
        [],
        EMAIL,
        NOW,
        "rule.opted_out",
        False,
        None,
    ),
    ("opt-out-of-email-leaves-sms", {"opted_out": ["email"]}, [], SMS, NOW, None, None, None),
    (
        "bounced-channel-blocked-for-good",
        {"bounced": ["email"]},
        [],
        EMAIL,
        NOW,
        "rule.bounced",
        False,
        None,
    ),
    (
        "opted-out-wins-over-bounced",
        {"opted_out": ["email"], "bounced": ["email"]},
        [],
        EMAIL,
        NOW,
        "rule.opted_out",
        False,
        None,
    ),
    (
        "unreachable-when-not-in-known-list",
        {"reachable": ["email"]},
        [],
        SMS,
        NOW,
        "rule.unreachable",
        False,
        None,
    ),
    ("reachable-when-in-known-list", {"reachable": ["email"]}, [], EMAIL, NOW, None, None, None),
    (
        "unknown-reachability-allows-every-channel",
        {"reachable": None},
        [],
        LETTER,
        NOW,
        None,
        None,
        None,
    ),
    (
        "empty-reachable-list-blocks-every-channel",
        {"reachable": []},
        [],
        LETTER,
        NOW,
        "rule.unreachable",
        False,
        None,
    ),
    (
        "human-review-needs-no-channel",
        {"reachable": [], "opted_out": ["email"]},
        [],
        REVIEW,
        NOW,
        None,
        None,
        None,
    ),
    # no call within 7 days of a phone conversation
    (
        "no-call-6-days-after-conversation",
        {"last_conversation_at": _ago(6)},
        [],
        PHONE,
        NOW,
        "rule.call_after_conversation",
        True,
        NOW + timedelta(days=1),
    ),
    (
        "no-call-until-the-7th-day-ends",
        {"last_conversation_at": _ago(7) + timedelta(seconds=1)},
        [],
        PHONE,
        NOW,
        "rule.call_after_conversation",
        True,
        NOW + timedelta(seconds=1),
    ),
    (
        "call-allowed-7-days-after-conversation",
        {"last_conversation_at": _ago(7)},
        [],
        PHONE,
        NOW,
        None,
        None,
        None,
    ),
    (
        "conversation-does-not-block-email",
        {"last_conversation_at": _ago(1)},
        [],
        EMAIL,
        NOW,
        None,
        None,
        None,
    ),
    # at least 5 days between two contacts about one invoice
    (
        "invoice-min-gap-blocks-4-days-after",
        {},
        _contacts(("i1", "email", _ago(4))),
        SMS,
        NOW,
        "rule.invoice_min_gap",
        True,
        NOW + timedelta(days=1),
    ),
    (
        "invoice-min-gap-over-after-5-days",
        {},
        _contacts(("i1", "email", _ago(5))),
        SMS,
        NOW,
        None,
        None,
        None,
    ),
    (
        "invoice-min-gap-counts-the-latest-contact",
        {},
        _contacts(("i1", "email", _ago(30)), ("i1", "letter", _ago(2))),
        EMAIL,
        NOW,
        "rule.invoice_min_gap",
        True,
        NOW + timedelta(days=3),
    ),
    (
        "invoice-min-gap-ignores-other-invoices",
        {},
        _contacts(("i2", "email", _ago(1))),
        EMAIL,
        NOW,
        None,
        None,
        None,
    ),
    (
        "future-scheduled-contact-sets-the-gap",
        {},
        _contacts(("i1", "email", NOW + timedelta(hours=10))),
        EMAIL,
        NOW,
        "rule.invoice_min_gap",
        True,
        NOW + timedelta(days=5, hours=10),
    ),
    # customer cap: 3 contacts in any 7 days, all channels and invoices together
    (
        "customer-cap-allows-a-third-contact",
        {},
        _contacts(("i2", "email", _ago(3)), ("i3", "sms", _ago(2))),
        EMAIL,
        NOW,
        None,
        None,
        None,
    ),
    (
        "customer-cap-blocks-a-fourth-contact",
        {},
        _contacts(("i2", "email", _ago(6)), ("i3", "sms", _ago(3)), ("i4", "letter", _ago(1))),
        EMAIL,
        NOW,
        "rule.customer_cap",
        True,
        NOW + timedelta(days=1),
    ),
    (
        "customer-cap-lifts-when-enough-leave-the-window",
        {},
        _contacts(
            ("i2", "email", _ago(6)),
            ("i3", "sms", _ago(5)),
            ("i4", "letter", _ago(3)),
            ("i5", "email", _ago(1)),
        ),
        EMAIL,
        NOW,
        "rule.customer_cap",
        True,
        NOW + timedelta(days=2),
    ),
    (
        "customer-cap-window-is-rolling",
        {},
        _contacts(("i2", "email", _ago(7)), ("i3", "sms", _ago(3)), ("i4", "letter", _ago(1))),
        EMAIL,
        NOW,
        None,
        None,
        None,
    ),
    (
        "customer-cap-counts-future-scheduled-contacts",
        {},
        _contacts(
            ("i2", "email", _ago(2)),
            ("i3", "sms", _ago(1)),
            ("i4", "letter", NOW + timedelta(hours=3)),
        ),
        EMAIL,
        NOW,
        "rule.customer_cap",
        True,
        NOW + timedelta(days=5),
    ),
    (
        "customer-cap-ignores-human-reviews",
        {},
        [
            *_contacts(("i2", "email", _ago(2)), ("i3", "sms", _ago(1))),
            contact("i4", _ago(1), None, "human_review"),
        ],
        EMAIL,
        NOW,
        None,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("fields", "contacts", "candidate", "now", "rule", "temporary", "lift"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_contact_rule(
    fields: dict[str, Any],
    contacts: list[ContactRecord],
    candidate: Candidate,
    now: datetime,
    rule: str | None,
    temporary: bool | None,
    lift: datetime | None,
) -> None:
    block = _block(_state(contacts, **fields), candidate, now)
    if rule is None:
        assert block is None
        return
    assert block is not None
    assert (block.rule, block.temporary, block.until) == (rule, temporary, lift)


def _phone_pack() -> RulePack:
    """Only the phone cap binds (no customer cap, no invoice gap)."""
    return RulePack(
        customer_cap=FrequencyCap(window_days=7, max_contacts=100), invoice_min_gap_days=0
    )


def test_phone_cap_allows_seven_calls_in_seven_days() -> None:
    calls = _contacts(*(("i1", "phone", _ago(6 - n)) for n in range(6)))
    assert _block(_state(calls), PHONE, pack=_phone_pack()) is None


def test_phone_cap_blocks_the_eighth_call_until_the_oldest_leaves_the_window() -> None:
    calls = _contacts(*(("i1", "phone", _ago(6.5 - n)) for n in range(7)))
    block = _block(_state(calls), PHONE, pack=_phone_pack())
    assert block is not None
    assert (block.rule, block.until) == ("rule.channel_cap", NOW + timedelta(hours=12))


def test_phone_cap_does_not_count_other_channels_or_block_them() -> None:
    calls = _contacts(*(("i1", "phone", _ago(6.5 - n)) for n in range(7)))
    emails = _contacts(*(("i1", "email", _ago(5 - n)) for n in range(5)))
    state = _state([*emails, *calls[:6]])
    assert _block(state, PHONE, pack=_phone_pack()) is None
    assert _block(_state(calls), EMAIL, pack=_phone_pack()) is None


def test_strict_pack_caps_sms_at_three_a_week() -> None:
    pack = RulePack(
        channel_caps={Channel.SMS: FrequencyCap(window_days=7, max_contacts=3)},
        customer_cap=FrequencyCap(window_days=7, max_contacts=100),
        invoice_min_gap_days=0,
    )
    texts = _contacts(("i1", "sms", _ago(4)), ("i1", "sms", _ago(2)), ("i1", "sms", _ago(1)))
    block = _block(_state(texts), SMS, pack=pack)
    assert block is not None and block.rule == "rule.channel_cap"
    assert block.until == NOW + timedelta(days=3)
    assert _block(_state(texts), EMAIL, pack=pack) is None


def test_a_zero_cap_blocks_for_good() -> None:
    pack = RulePack(customer_cap=FrequencyCap(window_days=7, max_contacts=0))
    block = _block(_state(), EMAIL, pack=pack)
    assert block is not None
    assert (block.rule, block.temporary, block.until) == ("rule.customer_cap", False, None)


def test_caps_hold_for_offers_as_well_as_reminders() -> None:
    state = _state(_contacts(("i1", "email", _ago(1))))
    block = _block(state, Candidate(Action.OFFER_PLAN, Channel.EMAIL))
    assert block is not None and block.rule == "rule.invoice_min_gap"


@pytest.mark.parametrize(
    ("updates", "email_rule"),
    [
        pytest.param([{"opted_out": ["email"]}], "rule.opted_out", id="opted-out"),
        pytest.param(
            [{"opted_out": ["email"]}, {"opted_in": ["email"]}], None, id="opt-in-after-opt-out"
        ),
        pytest.param(
            [{"opted_out": ["email"]}, {"reachable_channels": ["email", "sms"]}],
            "rule.opted_out",
            id="reachable-again-does-not-undo-opt-out",
        ),
        pytest.param(
            [{"reachable_channels": ["sms"]}, {"language": "sv"}],
            "rule.unreachable",
            id="reachable-list-kept-when-not-restated",
        ),
    ],
)
def test_channel_rules_through_customer_updates(
    updates: list[dict[str, Any]], email_rule: str | None
) -> None:
    events = [invoice_issued(), *(customer_updated(**u) for u in updates)]
    state, _ = apply(*events)
    assert state is not None
    verdict = evaluate(state, state.invoices["i1"], NOW, PACK)
    rules = {b.rule for b in verdict.blocks if b.candidate == EMAIL}
    assert rules == ({email_rule} if email_rule else set())
