"""The rule pack's single question: which actions are allowed now, and why not the others.

Policies choose only among ``Verdict.allowed``; every block is kept with its reason code so the
decision can report it (GDPR Art. 22 explanations, regulator audits).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from engine.guardrails.actions import escalation_block, offer_block
from engine.guardrails.contact import channel_block, frequency_block
from engine.guardrails.holds import find_hold
from engine.guardrails.pack import RulePack
from engine.guardrails.types import Block, Candidate, Verdict
from engine.state import CustomerState, InvoiceState
from schemas.enums import Action, Channel

CONTACT_ACTIONS: tuple[Action, ...] = (
    Action.REMIND,
    Action.OFFER_PLAN,
    Action.OFFER_DEFERRAL,
    Action.OFFER_DIRECT_DEBIT,
)


def candidates(pack: RulePack) -> tuple[Candidate, ...]:
    """Every (action, channel) a decision could take, in a fixed order."""
    return _candidates(tuple(pack.escalation.written_channels))


@cache
def _candidates(written: tuple[Channel, ...]) -> tuple[Candidate, ...]:
    """Built once per pack shape: ``evaluate`` asks for it at every decision point."""
    out = [Candidate(a, c) for a in CONTACT_ACTIONS for c in Channel]
    out += [Candidate(Action.ESCALATE, c) for c in written]
    out.append(Candidate(Action.HUMAN_REVIEW, None))
    return tuple(out)


def _block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
) -> Block | None:
    if candidate.action is Action.ESCALATE:
        block = escalation_block(customer, invoice, candidate, now, pack)
    else:
        block = offer_block(customer, invoice, candidate, pack)
    return (
        block
        or channel_block(customer, candidate)
        or frequency_block(customer, invoice, candidate, now, pack)
    )


def evaluate(
    customer: CustomerState, invoice: InvoiceState, now: datetime, pack: RulePack
) -> Verdict:
    """Judge every candidate for ``invoice`` at ``now``. Waiting is always allowed."""
    hold = find_hold(customer, invoice, now, pack)
    if hold is not None:
        held = tuple(Block(c, hold.rule, hold.detail, hold.until, True) for c in candidates(pack))
        return Verdict(allowed=(), blocks=held, hold=hold)
    allowed: list[Candidate] = []
    blocks: list[Block] = []
    for candidate in candidates(pack):
        block = _block(customer, invoice, candidate, now, pack)
        if block is None:
            allowed.append(candidate)
        else:
            blocks.append(block)
    return Verdict(allowed=tuple(allowed), blocks=tuple(blocks))
