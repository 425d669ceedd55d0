"""One decision point: ask the rule pack, ask the policy, record the decision.

This is where a :class:`~engine.policies.base.Choice` becomes a :class:`schemas.Decision` and the
invoice's dunning position moves. A policy that returns a forbidden action (a bug in a learned
policy, say) is overruled to a wait with a reason code: the guardrails win, always.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from engine.guardrails import Block, Candidate, RulePack, Verdict, evaluate
from engine.guardrails.actions import respond_by
from engine.guardrails.calendar import earliest_send, local_date
from engine.guardrails.fees import fee_for
from engine.ids import decision_id, payment_reference, seeded_rng
from engine.ledger import unpaid_status
from engine.outcomes import OutcomeConfig, policy_info, track
from engine.policies.base import Choice, DecisionContext, Policy
from engine.state import ContactRecord, CustomerState, InvoiceState
from schemas.enums import Action, Channel, PaymentOption
from schemas.outbound import BlockedAction, Decision

_FORBEARANCE = frozenset({PaymentOption.PLAN, PaymentOption.DEFERRAL})
_OVERRULED_RETRY = timedelta(days=1)


def blocked_summary(blocks: tuple[Block, ...]) -> list[BlockedAction]:
    """Blocks grouped by action and rule; the channel is kept when only one was blocked.

    A group's distinct details are joined in order of first appearance. One pass: a held
    invoice reports all twenty candidates, and every decision point reports its blocks.
    """
    channels: dict[tuple[Action, str], Channel | None] = {}
    details: dict[tuple[Action, str], dict[str, None]] = {}
    for block in blocks:
        channel = block.candidate.channel
        key = (block.candidate.action, block.rule)
        seen = details.get(key)
        if seen is None:
            details[key] = {block.detail: None}
            channels[key] = channel
        else:
            seen[block.detail] = None
            if channels[key] != channel:
                channels[key] = None  # several channels: none is named
    out = []
    for (action, rule), seen in details.items():
        channel = channels[action, rule]
        out.append(_blocked_action(action, channel, rule, "; ".join(seen)))
    return out


@lru_cache(maxsize=4096)
def _blocked_action(
    action: Action, channel: Channel | None, rule: str, detail: str
) -> BlockedAction:
    """The validated :class:`BlockedAction` of these values, shared by the decisions that report
    it: a frozen model, and most blocks repeat (an unreachable channel, a plan being kept)."""
    return BlockedAction(action=action, channel=channel, rule=rule, detail=detail)


def _guard(choice: Choice, verdict: Verdict, at: datetime) -> Choice:
    """Overrule a choice the rule pack does not allow: wait, and look again in a day."""
    if choice.candidate is None or verdict.is_allowed(choice.candidate):
        return choice
    return Choice(
        None,
        choice.propensity,
        choice.arm,
        (*choice.reasons, "engine.overruled"),
        retry_at=at + _OVERRULED_RETRY,
        await_event=False,
        advance=False,
        model_version=choice.model_version,
        arms=choice.arms,
    )


def _record(
    customer: CustomerState, invoice: InvoiceState, choice: Choice, decision: Decision
) -> None:
    """Move the invoice's dunning position and remember the contact."""
    invoice.points += 1
    invoice.last_point_at = decision.decided_at
    invoice.retry_at = choice.retry_at
    invoice.awaiting_event = choice.await_event
    if choice.advance:
        invoice.ladder_level += 1
    candidate = choice.candidate
    if candidate is None:
        invoice.status = unpaid_status(invoice)
        return
    invoice.step = decision.step
    invoice.last_action_at = decision.decided_at
    action = candidate.action
    invoice.reminder_fee_levied |= action is Action.REMIND and decision.fee_minor > 0
    invoice.forbearance_offered |= action in (Action.OFFER_PLAN, Action.OFFER_DEFERRAL) or bool(
        _FORBEARANCE & set(decision.payment_options)
    )
    invoice.deferrals_offered += action is Action.OFFER_DEFERRAL
    invoice.escalations += action is Action.ESCALATE
    invoice.in_review |= action is Action.HUMAN_REVIEW
    invoice.status = unpaid_status(invoice)
    customer.contacts.append(
        ContactRecord(
            decision_id=decision.decision_id,
            invoice_id=invoice.invoice_id,
            action=action,
            channel=candidate.channel,
            send_at=decision.send_at or decision.decided_at,
            step=decision.step,
            respond_by=decision.respond_by,
            payment_options=list(decision.payment_options),
        )
    )


def _build(
    customer: CustomerState,
    invoice: InvoiceState,
    at: datetime,
    choice: Choice,
    verdict: Verdict,
    pack: RulePack,
    policy: Policy,
) -> Decision:
    candidate: Candidate | None = choice.candidate
    actionable = candidate is not None
    step = invoice.step + 1 if actionable else invoice.step
    send_at = respond = reference = None
    fee = 0
    if candidate is not None:
        quiet, holidays = pack.quiet_hours, pack.holidays
        send_at = earliest_send(at, customer.timezone, candidate.channel, quiet, holidays)
        if candidate.channel in pack.escalation.written_channels:
            respond = respond_by(local_date(send_at, customer.timezone), candidate.channel, pack)
        fee = fee_for(candidate.action, invoice, pack, local_date(send_at, customer.timezone))
        reference = payment_reference(invoice.invoice_id, step)
    return Decision(
        decision_id=decision_id(invoice.invoice_id, step, invoice.points + 1, actionable),
        customer_id=customer.customer_id,
        invoice_id=invoice.invoice_id,
        decided_at=at,
        action=candidate.action if candidate is not None else Action.WAIT,
        channel=candidate.channel if candidate is not None else None,
        send_at=send_at,
        step=step,
        amount_due_minor=max(invoice.outstanding_minor, 0),
        currency=invoice.currency,
        fee_minor=fee,
        payment_options=list(choice.payment_options) if actionable else [],
        payment_reference=reference,
        respond_by=respond,
        policy=policy_info(policy.name, choice.arm, choice.propensity, choice.model_version),
        scores=choice.scores,
        features=choice.features,
        reasons=list(choice.reasons),
        blocked=blocked_summary(verdict.blocks),
    )


def decide(
    customer: CustomerState,
    invoice: InvoiceState,
    at: datetime,
    policy: Policy,
    pack: RulePack,
    seed: int,
    outcomes: OutcomeConfig | None = None,
) -> Decision:
    """Make and record the decision for ``invoice`` at decision point time ``at``.

    With ``outcomes``, the decision point is also kept as a pending training example.
    """
    verdict = evaluate(customer, invoice, at, pack)
    rng = seeded_rng(seed, invoice.invoice_id, invoice.points + 1)
    ctx = DecisionContext(customer, invoice, at, verdict, pack, rng)
    choice = _guard(policy.choose(ctx), verdict, at)
    decision = _build(customer, invoice, at, choice, verdict, pack, policy)
    if outcomes is not None:
        track(customer, invoice, decision, verdict, choice.arms, outcomes)
    _record(customer, invoice, choice, decision)
    return decision
