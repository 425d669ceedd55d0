"""Outcome joining: every decision point becomes a training example once its labels are known.

Why two clocks. A payment answers within days; the churn a reminder or an escalation causes
shows up over months. A learner rewarded on the short window alone learns that escalation pays
(DESIGN.md, "Two clocks in the reward"). So each decision point is kept as a
:class:`~engine.state.PendingOutcome` with two deadlines, and yields two
:class:`~schemas.outbound.Outcome` records:

* ``payment``: resolves ``horizon`` after the decision, or as soon as the invoice closes (paid
  or cancelled: nothing more can be paid on it), with the money paid on the invoice in between.
  It is read from the ledger (each payment's ``received_at`` and allocations), so a payment
  found by reference, by invoice id or oldest-first counts alike, and a reversal in the window
  takes its money back.
* ``churn``: resolves ``churn_window`` after the decision, or as soon as the customer leaves.

Resolution is a pure function of the state and the instant, so it does not matter when the
agenda wakes the customer to do it. The core only emits outcomes as data; it never calls a
learner (learning is global, deciding is local). An erasure leaves a tombstone without any
pending example, so nothing about an erased customer resolves afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from engine.features import features as feature_vector
from engine.guardrails import Candidate, Verdict
from engine.policies.simple import arm_key
from engine.state import CustomerState, InvoiceState, PendingOutcome
from schemas.outbound import Decision, Outcome, PolicyInfo


@dataclass(frozen=True, slots=True)
class OutcomeConfig:
    """The two clocks, and how many pending examples one customer may hold.

    ``max_pending`` bounds the state: beyond it the oldest example is dropped (at one decision
    point every few days, 64 covers far more than the 90-day window needs).
    """

    horizon: timedelta = timedelta(days=14)
    churn_window: timedelta = timedelta(days=90)
    max_pending: int = 64
    track: bool = True


@lru_cache(maxsize=1024)
def policy_info(name: str, arm: str, propensity: float, model_version: str | None) -> PolicyInfo:
    """The validated :class:`PolicyInfo` of these values, shared by the records that carry it.

    A frozen model, so sharing it is safe; a policy reports few distinct values (the ladder
    one), so each decision and outcome is spared validating its own.
    """
    return PolicyInfo(name=name, arm=arm, propensity=propensity, model_version=model_version)


def track(
    customer: CustomerState,
    invoice: InvoiceState,
    decision: Decision,
    verdict: Verdict,
    arms: tuple[str, ...] | None,
    config: OutcomeConfig,
) -> None:
    """Remember ``decision`` (made, not yet recorded) as a pending example.

    Called before the decision moves the invoice, so computed features are those it saw.
    ``arms`` are the arms the policy chose among; by default wait and everything allowed.
    """
    if not config.track:
        return
    # a copy of the decision's own features, which the pending example must not share
    given = decision.features
    x = feature_vector(customer, invoice, decision.decided_at) if given is None else dict(given)
    if arms is None:
        arms = _default_arms(verdict.allowed)
    at = decision.decided_at
    churned = customer.churned_at is not None and customer.churned_at <= at
    customer.pending.append(
        PendingOutcome.model_construct(  # built from a validated decision: no need to re-check
            decision_id=decision.decision_id,
            invoice_id=invoice.invoice_id,
            decided_at=at,
            policy_name=decision.policy.name,
            policy_arm=decision.policy.arm,
            propensity=decision.policy.propensity,
            model_version=decision.policy.model_version,
            arm=arm_key_of(decision),
            arms=list(arms),
            features=x,
            amount_due_minor=decision.amount_due_minor,
            currency=decision.currency,
            payment_at=at + config.horizon,
            churn_at=None if churned else at + config.churn_window,
        )
    )
    if len(customer.pending) > config.max_pending:
        del customer.pending[: len(customer.pending) - config.max_pending]


@lru_cache(maxsize=1024)
def _default_arms(allowed: tuple[Candidate, ...]) -> tuple[str, ...]:
    """Wait and every allowed candidate's arm, once per set of allowed candidates: naming
    each arm again at every decision point cost ~4 us, and few sets recur."""
    return ("wait", *dict.fromkeys(arm_key(c) for c in allowed))


def arm_key_of(decision: Decision) -> str:
    """The arm name of a decision, as :func:`engine.policies.simple.arm_key` names them."""
    if decision.channel is None:
        return str(decision.action)
    return f"{decision.action}:{decision.channel}"


def paid_between(customer: CustomerState, invoice_id: str, start: datetime, end: datetime) -> int:
    """Minor units allocated to ``invoice_id`` from payments received in ``[start, end]``."""
    return sum(
        p.allocations.get(invoice_id, 0)
        for p in customer.payments.values()
        if not p.reversed and start <= p.received_at <= end
    )


def _outcome(
    customer: CustomerState,
    p: PendingOutcome,
    kind: str,
    resolved_at: datetime,
    window_end: datetime,
    reward: float,
) -> Outcome:
    return Outcome(
        outcome_id=f"{p.decision_id}#{kind}",
        kind=kind,
        decision_id=p.decision_id,
        customer_id=customer.customer_id,
        invoice_id=p.invoice_id,
        decided_at=p.decided_at,
        resolved_at=resolved_at,
        window_end=window_end,
        early=resolved_at < window_end,
        policy=policy_info(p.policy_name, p.policy_arm, p.propensity, p.model_version),
        arm=p.arm,
        arms=p.arms,
        features=p.features,
        amount_due_minor=p.amount_due_minor,
        currency=p.currency,
        reward=reward,
    )


def _payment(customer: CustomerState, p: PendingOutcome, now: datetime) -> Outcome | None:
    due = p.payment_at
    assert due is not None
    invoice = customer.invoices.get(p.invoice_id)
    closed = invoice.closed_at if invoice is not None and invoice.closed else None
    if closed is not None and closed < due and closed <= now:
        end = max(closed, p.decided_at)
    elif due <= now:
        end = due
    else:
        return None
    paid = paid_between(customer, p.invoice_id, p.decided_at, end)
    return _outcome(customer, p, "payment", end, due, paid / 100.0)


def _churn(customer: CustomerState, p: PendingOutcome, now: datetime) -> Outcome | None:
    due = p.churn_at
    assert due is not None
    left = customer.churned_at
    if left is not None and p.decided_at <= left <= due and left <= now:
        return _outcome(customer, p, "churn", left, due, 1.0)
    if due <= now:
        return _outcome(customer, p, "churn", due, due, 0.0)
    return None


def _any_due(customer: CustomerState, now: datetime) -> bool:
    """Whether some label may resolve by ``now`` (never ``False`` when one does).

    The conditions of :func:`_payment` and :func:`_churn`, loosened (a ``closed_at`` is taken
    for a closed invoice), without building anything: most calls find nothing, as every event
    advances its customer twice.
    """
    invoices = customer.invoices
    left = customer.churned_at
    for p in customer.pending:
        due = p.payment_at
        if due is not None:
            if due <= now:
                return True
            invoice = invoices.get(p.invoice_id)
            closed = invoice.closed_at if invoice is not None else None
            if closed is not None and closed < due and closed <= now:
                return True
        due = p.churn_at
        if due is not None and (due <= now or (left is not None and left <= now)):
            return True
    return False


def resolve_due(customer: CustomerState, now: datetime) -> list[Outcome]:
    """Emit every label that has resolved by ``now`` and forget fully resolved examples.

    Ordered by resolution time, then decision id and kind, so the stream is deterministic.
    """
    if not _any_due(customer, now):
        return []
    out: list[Outcome] = []
    keep: list[PendingOutcome] = []
    for p in customer.pending:
        if p.payment_at is not None:
            paid = _payment(customer, p, now)
            if paid is not None:
                out.append(paid)
                p.payment_at = None
        if p.churn_at is not None:
            churned = _churn(customer, p, now)
            if churned is not None:
                out.append(churned)
                p.churn_at = None
        if p.payment_at is not None or p.churn_at is not None:
            keep.append(p)
    if len(keep) != len(customer.pending):
        customer.pending = keep
    out.sort(key=lambda o: (o.resolved_at, o.decision_id, o.kind))
    return out
