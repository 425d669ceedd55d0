"""``step``: the pure core the streaming worker and the embedded replay both wrap.

Given a customer's state, one event and the engine's fixed context, it first makes the decisions
that fell due before the event (at their own scheduled times), then applies the event, then makes
any decision the event made due, at the customer's present: the latest ``occurred_at`` seen for
this customer, so that an invoice arriving after its due date or an event arriving out of order
never yields a back-dated decision. No I/O, no clock: time is the event's ``occurred_at`` or the
``now`` passed to :func:`advance`. The same ordered input therefore gives the same decisions in
every runtime.

Every decision point is also kept as a pending training example; :func:`advance` emits the
outcomes whose labels have resolved by ``now`` (:mod:`engine.outcomes`), as data.

After an event, closed invoices that nothing can need any more leave the live state for its
archive (:mod:`engine.archive`), at the customer's present: event time, so both runtimes archive
alike. :func:`advance` alone never archives, since the streaming shell calls it on a wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.archive import ArchiveConfig, archive_closed
from engine.decide import decide
from engine.guardrails import RulePack
from engine.outcomes import OutcomeConfig, resolve_due
from engine.policies.base import Policy
from engine.reducer import Notice, apply_event
from engine.schedule import reschedule, reschedule_all
from engine.state import CustomerState, InvoiceState
from schemas.events import EventBase
from schemas.outbound import Decision, Outcome

MAX_POINTS_PER_INSTANT = 8
"""Decisions one invoice may take at one instant before :func:`advance` parks it.

A policy whose next point never moves forward in time (the "restless" bug a learned policy
could have) would otherwise decide for ever at one instant. Counted per invoice and instant, not
per call, so the guard fires at the same decision however often the clock is advanced: a cap on
decisions per call made the decisions depend on the timer's rhythm (a customer with 14 open
invoices and two quiet months legitimately needs 77)."""

MAX_DECISIONS_PER_ADVANCE = 10_000
"""A safety net for a policy that moves forward in tiny steps; no ladder comes near it."""


@dataclass(frozen=True, slots=True)
class EngineContext:
    """What stays fixed while events flow: the policy, the rule pack, the seed, the clocks
    of the outcomes and how long closed invoices stay live."""

    policy: Policy
    pack: RulePack
    seed: int = 0
    outcomes: OutcomeConfig = field(default_factory=OutcomeConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)


@dataclass(slots=True)
class StepResult:
    """The state to keep (``None`` after erasure), decisions made, notices raised and
    outcomes resolved."""

    state: CustomerState | None
    decisions: list[Decision] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def advance(state: CustomerState, now: datetime, ctx: EngineContext) -> StepResult:
    """Make every decision due at or before ``now``, earliest first (ties by invoice id), then
    emit the outcomes resolved by ``now``."""
    result = StepResult(state)
    streak: tuple[str, datetime | None, int] = ("", None, 0)  # invoice, instant, decisions
    for _ in range(MAX_DECISIONS_PER_ADVANCE):
        invoice = _earliest_due(state, now)
        if invoice is None:
            break
        at = invoice.next_at
        assert at is not None
        decision = decide(state, invoice, at, ctx.policy, ctx.pack, ctx.seed, ctx.outcomes)
        result.decisions.append(decision)
        reschedule(state, invoice, ctx.policy)
        streak = _streak(streak, invoice, at)
        if streak[2] >= MAX_POINTS_PER_INSTANT and invoice.next_at == at:
            invoice.next_at = None  # until an event about this customer reschedules it
            detail = f"{invoice.invoice_id}: {streak[2]} decisions at {at.isoformat()}"
            result.notices.append(Notice("decision_loop_guard", "", detail))
    else:
        detail = f"more than {MAX_DECISIONS_PER_ADVANCE} decisions due"
        result.notices.append(Notice("decision_loop_guard", "", detail))
    if state.pending:
        result.outcomes = resolve_due(state, now)
    return result


def _earliest_due(state: CustomerState, now: datetime) -> InvoiceState | None:
    """The invoice whose decision falls due first by ``now`` (ties by invoice id), if any.

    One pass without building a list: most calls (every event advances its customer twice)
    find nothing due, so this is the common cost of :func:`advance`.
    """
    best: InvoiceState | None = None
    best_at = now
    for invoice in state.invoices.values():
        at = invoice.next_at
        if at is None or at > best_at:
            continue
        if best is None or at < best_at or invoice.invoice_id < best.invoice_id:
            best, best_at = invoice, at
    return best


def _streak(
    streak: tuple[str, datetime | None, int], invoice: InvoiceState, at: datetime
) -> tuple[str, datetime | None, int]:
    """Count consecutive decisions of one invoice at one instant (the next one is the same
    invoice again exactly when its next point did not move, being the earliest due)."""
    if streak[0] == invoice.invoice_id and streak[1] == at:
        return (streak[0], at, streak[2] + 1)
    return (invoice.invoice_id, at, 1)


def step(state: CustomerState | None, event: EventBase, ctx: EngineContext) -> StepResult:
    """Apply one event at its own time, with the decisions due before and after it."""
    now = event.occurred_at
    before = advance(state, now, ctx) if state is not None else StepResult(None)
    new_state, notices = apply_event(state, event)
    result = StepResult(new_state, before.decisions, [*before.notices, *notices], before.outcomes)
    if new_state is None:
        return result
    present = max(now, new_state.last_event_at or now)
    reschedule_all(new_state, ctx.policy, not_before=present)
    after = advance(new_state, present, ctx)
    result.decisions.extend(after.decisions)
    result.notices.extend(after.notices)
    result.outcomes.extend(after.outcomes)
    archive_closed(new_state, present, ctx.archive)
    return result
