"""Holds: states in which no dunning action at all is allowed, and when each one lifts.

Each row builds a customer with one invoice, asks :func:`find_hold` at a local instant and
checks the rule that holds (or none) and the instant it lifts. Times are Stockholm wall-clock
unless a row says otherwise; a pause or promise "until D" lifts at local midnight after D.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.guardrails import RulePack, evaluate
from engine.guardrails.holds import find_hold
from engine.state import CustomerState
from schemas.enums import Action
from tests.builders import at, contact, customer, day, invoice, local

PACK = RulePack()
PLAN = (("2026-11-01", 25000), ("2026-12-01", 24900))


def _state(tz: str = "Europe/Stockholm", paused: str | None = None, **inv: Any) -> CustomerState:
    return customer(
        "c1",
        invoice("i1", **inv),
        timezone=tz,
        paused_until=day(paused) if paused else None,
    )


def _demand(respond_by: str) -> Callable[[CustomerState], None]:
    def add(state: CustomerState) -> None:
        state.contacts.append(
            contact("i1", "2026-10-30T08:00", "letter", "escalate", respond_by=respond_by)
        )

    return add


def _notice(respond_by: str) -> Callable[[CustomerState], None]:
    def add(state: CustomerState) -> None:
        state.contacts.append(contact("i1", "2026-10-14T08:00", "letter", respond_by=respond_by))

    return add


# (id, invoice fields, extra setup or None, local wall time, expected rule or None, lift UTC)
CASES: list[tuple[str, dict[str, Any], Any, str, str | None, str | None]] = [
    ("no-hold-on-a-plain-invoice", {}, None, "2026-10-05T06:00", None, None),
    # disputes: no end date, they lift on an event
    (
        "dispute-open-holds-with-no-end",
        {"disputed": True},
        None,
        "2026-10-05T06:00",
        "rule.dispute_open",
        None,
    ),
    (
        "dispute-open-still-holds-a-year-later",
        {"disputed": True},
        None,
        "2027-10-05T06:00",
        "rule.dispute_open",
        None,
    ),
    # pauses: through the last local day inclusive, lifting at local midnight after it
    (
        "invoice-pause-holds-on-its-last-day",
        {"paused_until": "2026-10-20"},
        None,
        "2026-10-20T23:59",
        "rule.paused",
        "2026-10-20T22:00",
    ),
    (
        "invoice-pause-holds-before-its-last-day",
        {"paused_until": "2026-10-20"},
        None,
        "2026-10-15T06:00",
        "rule.paused",
        "2026-10-20T22:00",
    ),
    (
        "invoice-pause-lifted-at-local-midnight-after",
        {"paused_until": "2026-10-20"},
        None,
        "2026-10-21T00:00",
        None,
        None,
    ),
    (
        "pause-ending-on-dst-day-lifts-at-cet-midnight",
        {"paused_until": "2026-10-25"},
        None,
        "2026-10-25T23:59",
        "rule.paused",
        "2026-10-25T23:00",
    ),
    (
        "customer-pause-holds-every-invoice",
        {},
        "customer-pause",
        "2026-10-20T12:00",
        "rule.paused",
        "2026-10-20T22:00",
    ),
    ("customer-pause-lifted-the-day-after", {}, "customer-pause", "2026-10-21T00:01", None, None),
    (
        "the-later-of-invoice-and-customer-pause-wins",
        {"paused_until": "2026-10-28"},
        "customer-pause",
        "2026-10-27T12:00",
        "rule.paused",
        "2026-10-28T23:00",
    ),
    # promises: until the promised date plus 3 days' grace, then broken (no hold)
    (
        "promise-pending-before-its-date",
        {"promise_date": "2026-10-20"},
        None,
        "2026-10-18T06:00",
        "rule.promise_pending",
        "2026-10-23T22:00",
    ),
    (
        "promise-pending-through-its-grace",
        {"promise_date": "2026-10-20"},
        None,
        "2026-10-23T23:30",
        "rule.promise_pending",
        "2026-10-23T22:00",
    ),
    (
        "promise-broken-after-grace",
        {"promise_date": "2026-10-20"},
        None,
        "2026-10-24T00:00",
        None,
        None,
    ),
    # plans: kept plans hold until the next instalment's grace ends
    (
        "plan-kept-before-first-instalment",
        {"plan": PLAN},
        None,
        "2026-10-20T06:00",
        "rule.plan_active",
        "2026-11-06T23:00",
    ),
    (
        "plan-first-instalment-late-but-in-grace",
        {"plan": PLAN},
        None,
        "2026-11-06T20:00",
        "rule.plan_active",
        "2026-11-06T23:00",
    ),
    (
        "plan-broken-by-missed-instalment-after-grace",
        {"plan": PLAN},
        None,
        "2026-11-07T00:00",
        None,
        None,
    ),
    (
        "plan-kept-when-first-instalment-paid",
        {"plan": PLAN, "paid_minor": 25000},
        None,
        "2026-11-20T06:00",
        "rule.plan_active",
        "2026-12-06T23:00",
    ),
    (
        "plan-kept-when-instalment-credited",
        {"plan": PLAN, "credited_minor": 25000},
        None,
        "2026-11-20T06:00",
        "rule.plan_active",
        "2026-12-06T23:00",
    ),
    (
        "plan-broken-by-short-instalment",
        {"plan": PLAN, "paid_minor": 24999},
        None,
        "2026-11-20T06:00",
        None,
        None,
    ),
    (
        "plan-broken-by-missed-second-instalment",
        {"plan": PLAN, "paid_minor": 25000},
        None,
        "2026-12-07T06:00",
        None,
        None,
    ),
    (
        "plan-money-paid-before-acceptance-does-not-count",
        {"amount": 69900, "plan": PLAN, "paid_minor": 20000, "plan_paid_base_minor": 20000},
        None,
        "2026-11-07T06:00",
        None,
        None,
    ),
    (
        "plan-finished-with-money-still-owed-holds-no-longer",
        {"amount": 60000, "plan": PLAN, "paid_minor": 49900},
        None,
        "2026-12-07T06:00",
        None,
        None,
    ),
    (
        "plan-marked-broken-holds-nothing",
        {"plan": PLAN, "plan_broken": True},
        None,
        "2026-10-20T06:00",
        None,
        None,
    ),
    # collection demand: nothing more before its respond-by date has passed
    (
        "demand-deadline-holds-through-respond-by",
        {},
        _demand("2026-11-09"),
        "2026-11-09T20:00",
        "rule.demand_deadline",
        "2026-11-09T23:00",
    ),
    (
        "demand-deadline-lifts-the-day-after",
        {},
        _demand("2026-11-09"),
        "2026-11-10T00:00",
        None,
        None,
    ),
    ("a-written-reminder-is-no-demand", {}, _notice("2026-11-09"), "2026-11-01T06:00", None, None),
    # order of legal weight
    (
        "dispute-wins-over-pause",
        {"disputed": True, "paused_until": "2026-10-25"},
        None,
        "2026-10-20T06:00",
        "rule.dispute_open",
        None,
    ),
    (
        "demand-wins-over-promise",
        {"promise_date": "2026-11-20"},
        _demand("2026-11-09"),
        "2026-11-05T06:00",
        "rule.demand_deadline",
        "2026-11-09T23:00",
    ),
    (
        "pause-wins-over-promise",
        {"paused_until": "2026-10-20", "promise_date": "2026-10-30"},
        None,
        "2026-10-18T06:00",
        "rule.paused",
        "2026-10-20T22:00",
    ),
]


@pytest.mark.parametrize(
    ("fields", "setup", "wall", "rule", "lift"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hold(fields: dict[str, Any], setup: Any, wall: str, rule: str | None, lift: str | None):
    state = _state(paused="2026-10-20" if setup == "customer-pause" else None, **fields)
    if callable(setup):
        setup(state)
    hold = find_hold(state, state.invoices["i1"], local(wall), PACK)
    if rule is None:
        assert hold is None
        return
    assert hold is not None
    assert (hold.rule, hold.until) == (rule, at(lift) if lift else None)
    assert hold.temporary


@pytest.mark.parametrize(
    ("tz", "wall", "held"),
    [
        pytest.param("America/New_York", "2026-10-25T23:30", True, id="new-york-last-evening"),
        pytest.param("America/New_York", "2026-10-26T00:00", False, id="new-york-midnight"),
    ],
)
def test_pause_follows_the_customers_own_midnight(tz: str, wall: str, held: bool) -> None:
    state = _state(tz=tz, paused_until="2026-10-25")
    hold = find_hold(state, state.invoices["i1"], local(wall, tz), PACK)
    assert (hold is not None) is held
    if hold is not None:
        assert hold.until == at("2026-10-26T04:00")


def test_a_pack_with_longer_promise_grace_holds_longer() -> None:
    state = _state(promise_date="2026-10-20")
    pack = RulePack(promise_grace_days=10)
    hold = find_hold(state, state.invoices["i1"], local("2026-10-30T12:00"), pack)
    assert hold is not None and hold.until == at("2026-10-30T23:00")


def test_a_hold_blocks_every_candidate_and_is_reported_as_the_verdicts_hold() -> None:
    state = _state(disputed=True)
    verdict = evaluate(state, state.invoices["i1"], local("2026-10-05T10:00"), PACK)
    assert verdict.allowed == ()
    assert verdict.hold is not None and verdict.hold.rule == "rule.dispute_open"
    assert {b.rule for b in verdict.blocks} == {"rule.dispute_open"}
    assert {b.candidate.action for b in verdict.blocks} >= {
        Action.REMIND,
        Action.ESCALATE,
        Action.HUMAN_REVIEW,
    }
    assert verdict.lift_time(Action.REMIND) is None


def test_a_pause_reports_its_lift_time_for_every_action() -> None:
    state = _state(paused_until="2026-10-20")
    verdict = evaluate(state, state.invoices["i1"], local("2026-10-18T10:00"), PACK)
    assert verdict.lift_time(Action.REMIND) == at("2026-10-20T22:00")
    assert verdict.lift_time(Action.ESCALATE) == at("2026-10-20T22:00")
