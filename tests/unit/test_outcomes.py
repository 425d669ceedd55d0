"""Outcomes: every decision point becomes a training example whose labels resolve on two clocks."""

from __future__ import annotations

from datetime import timedelta

from engine.guardrails import RulePack
from engine.outcomes import OutcomeConfig
from engine.policies import NoActionPolicy
from engine.step import EngineContext, advance, step
from schemas.codec import decode_outcome, encode
from schemas.outbound import Outcome
from tests.builders import (
    at,
    customer_churned,
    customer_erased,
    engine_context,
    invoice_cancelled,
    invoice_issued,
    payment_received,
    run,
)

REMIND_AT = at("2026-10-05T04:00")  # the ladder's first rung: 06:00 in Stockholm, due + 5
HORIZON_END = REMIND_AT + timedelta(days=14)


def _outcomes(*events, until=None, ctx=None) -> tuple[list[Outcome], object]:
    ctx = ctx or engine_context()
    state, out = None, []
    for event in events:
        result = step(state, event, ctx)
        state = result.state
        out.extend(result.outcomes)
    if until is not None and state is not None:
        out.extend(advance(state, at(until), ctx).outcomes)
    return out, state


def test_payment_outcome_resolves_at_the_horizon_with_nothing_paid() -> None:
    outcomes, state = _outcomes(invoice_issued(), until="2026-10-19T05:00")
    assert [o.kind for o in outcomes] == ["payment"]
    paid = outcomes[0]
    assert paid.decision_id == "i1/1" and paid.arm == "remind:email"
    assert paid.resolved_at == HORIZON_END and not paid.early
    assert paid.reward == 0.0 and paid.amount_due_minor == 49900
    assert paid.policy.name == "ladder" and paid.policy.propensity == 1.0
    assert "wait" in paid.arms and "remind:email" in paid.arms
    assert paid.features["overdue_months"] == 5 / 30 and paid.features["contacts"] == 0.0
    # its churn label is still pending; so is the second rung's (due + 14) payment label,
    # and the agenda wakes for that one first
    first, second = state.pending
    assert first.decision_id == "i1/1" and first.payment_at is None
    assert first.churn_at == REMIND_AT + timedelta(days=90)
    assert state.next_wake() == second.payment_at == second.decided_at + timedelta(days=14)


def test_nothing_resolves_before_its_time() -> None:
    outcomes, state = _outcomes(invoice_issued(), until="2026-10-19T03:59")
    assert outcomes == []
    assert state.next_wake() == HORIZON_END  # the agenda wakes for the first payment label


def test_payment_closing_the_invoice_resolves_early_with_the_amount() -> None:
    outcomes, _ = _outcomes(
        invoice_issued(), payment_received(amount=49900, invoice="i1", at="2026-10-08T12:00")
    )
    assert len(outcomes) == 1
    paid = outcomes[0]
    assert paid.kind == "payment" and paid.early
    assert paid.resolved_at == at("2026-10-08T12:00")
    assert paid.reward == 499.0


def test_partial_payment_in_the_window_counts_and_later_money_does_not() -> None:
    outcomes, _ = _outcomes(
        invoice_issued(),
        payment_received(amount=20000, invoice="i1", at="2026-10-10T12:00"),
        payment_received(amount=29900, invoice="i1", at="2026-10-25T12:00"),
    )
    first = [o for o in outcomes if o.decision_id == "i1/1" and o.kind == "payment"]
    assert len(first) == 1 and not first[0].early
    assert first[0].reward == 200.0  # the rest came after the 14 days


def test_payment_by_reference_and_oldest_first_both_count() -> None:
    outcomes, _ = _outcomes(
        invoice_issued(), payment_received(amount=49900, reference="i1.1", at="2026-10-07T12:00")
    )
    assert outcomes[0].reward == 499.0
    outcomes, _ = _outcomes(invoice_issued(), payment_received(amount=49900, at="2026-10-07T12:00"))
    assert outcomes[0].reward == 499.0


def test_money_before_the_decision_is_not_its_reward() -> None:
    outcomes, _ = _outcomes(
        invoice_issued(),
        payment_received(amount=10000, invoice="i1", at="2026-10-02T12:00"),
        until="2026-10-20T00:00",
    )
    paid = [o for o in outcomes if o.kind == "payment"]
    assert paid and paid[0].reward == 0.0 and paid[0].amount_due_minor == 39900


def test_cancellation_resolves_early_with_what_was_paid() -> None:
    outcomes, _ = _outcomes(invoice_issued(), invoice_cancelled(at="2026-10-09T09:00"))
    assert [(o.kind, o.early, o.reward) for o in outcomes] == [("payment", True, 0.0)]


def test_churn_resolves_early_when_the_customer_leaves() -> None:
    outcomes, state = _outcomes(
        invoice_issued(), customer_churned(at="2026-11-20T10:00"), until="2026-11-21T00:00"
    )
    churn = [o for o in outcomes if o.kind == "churn"]
    assert [o.outcome_id for o in churn] == ["i1/1#churn", "i1/2#churn", "i1/3#churn"]
    assert all(o.early and o.reward == 1.0 for o in churn)
    assert all(o.resolved_at == at("2026-11-20T10:00") for o in churn)
    assert not state.pending


def test_churn_window_closes_with_zero() -> None:
    outcomes, state = _outcomes(invoice_issued(), until="2027-01-10T00:00")
    churn = [o for o in outcomes if o.kind == "churn" and o.decision_id == "i1/1"]
    assert len(churn) == 1 and churn[0].reward == 0.0 and not churn[0].early
    assert churn[0].resolved_at == REMIND_AT + timedelta(days=90)
    assert all(p.decision_id != "i1/1" for p in state.pending)


def test_decisions_after_the_customer_left_have_no_churn_label() -> None:
    outcomes, _ = _outcomes(
        customer_churned(at="2026-09-15T10:00"), invoice_issued(at="2026-09-16T10:00"),
        until="2027-01-10T00:00",
    )  # fmt: skip
    assert outcomes and all(o.kind == "payment" for o in outcomes)


def test_waits_are_examples_too() -> None:
    ctx = EngineContext(NoActionPolicy(), RulePack())
    outcomes, _ = _outcomes(invoice_issued(), until="2026-10-25T00:00", ctx=ctx)
    assert outcomes and all(o.arm == "wait" for o in outcomes)
    assert all(o.policy.arm == "control" for o in outcomes)
    assert len(outcomes[0].arms) > 1  # waiting was chosen among allowed actions


def test_erasure_drops_pending_outcomes() -> None:
    outcomes, state = _outcomes(
        invoice_issued(), customer_erased(at="2026-10-06T10:00"), until="2027-03-01T00:00"
    )
    assert outcomes == []
    assert state.pending == [] and state.next_wake() is None


def test_pending_examples_are_bounded() -> None:
    ctx = EngineContext(NoActionPolicy(), RulePack(), outcomes=OutcomeConfig(max_pending=3))
    _, state = _outcomes(invoice_issued(), until="2026-11-30T00:00", ctx=ctx)
    assert len(state.pending) == 3


def test_tracking_can_be_switched_off() -> None:
    ctx = EngineContext(NoActionPolicy(), RulePack(), outcomes=OutcomeConfig(track=False))
    outcomes, state = _outcomes(invoice_issued(), until="2027-03-01T00:00", ctx=ctx)
    assert outcomes == [] and state.pending == []


def test_resolution_does_not_depend_on_when_the_agenda_wakes() -> None:
    """Resolved in one late call or in many small ones: the same records."""
    late, _ = _outcomes(invoice_issued(), until="2027-03-01T00:00")
    ctx = engine_context()
    result = step(None, invoice_issued(), ctx)
    state, stepwise = result.state, []
    moment = at("2026-10-01T00:00")
    while moment <= at("2027-03-01T00:00"):
        stepwise.extend(advance(state, moment, ctx).outcomes)
        moment += timedelta(hours=7)
    key = lambda o: o.outcome_id  # noqa: E731
    assert sorted(late, key=key) == sorted(stepwise, key=key)


def test_outcome_round_trips_through_the_codec() -> None:
    outcomes, _ = _outcomes(invoice_issued(), until="2026-10-19T05:00")
    wire = encode(outcomes[0])
    assert decode_outcome(wire) == outcomes[0]
    assert run(invoice_issued()).decisions == []  # the builders' run is unaffected
