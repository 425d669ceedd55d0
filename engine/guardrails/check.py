"""The rule pack's single question: which actions are allowed now, and why not the others.

Policies choose only among ``Verdict.allowed``; every block is kept with its reason code so the
decision can report it (GDPR Art. 22 explanations, regulator audits).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from engine.guardrails.actions import escalation_block, offer_block
from engine.guardrails.contact import SentContacts, channel_block, frequency_block
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


@cache
def _by_action(written: tuple[Channel, ...]) -> tuple[tuple[Candidate, ...], ...]:
    """The candidates in :func:`candidates` order, in runs of one action (each action's are
    adjacent there): ``evaluate`` judges an action once and blocks or opens its whole run."""
    runs: dict[Action, list[Candidate]] = {}
    for candidate in _candidates(written):
        runs.setdefault(candidate.action, []).append(candidate)
    return tuple(tuple(run) for run in runs.values())


def _action_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
) -> Block | None:
    """The rules of the candidate's action (they read its action alone, never its channel)."""
    if candidate.action is Action.ESCALATE:
        return escalation_block(customer, invoice, candidate, now, pack)
    return offer_block(customer, invoice, candidate, pack)


def _channel_block(
    customer: CustomerState,
    invoice: InvoiceState,
    candidate: Candidate,
    now: datetime,
    pack: RulePack,
    sent: SentContacts,
) -> Block | None:
    """The rules of the candidate's channel (they read its channel alone, never its action)."""
    return channel_block(customer, candidate) or frequency_block(
        customer, invoice, candidate, now, pack, sent
    )


def _as_block_of(block: Block, candidate: Candidate) -> Block:
    """``block``, judged for another candidate, as a block of ``candidate``."""
    if block.candidate is candidate:
        return block
    return Block(candidate, block.rule, block.detail, block.until, block.temporary)


def evaluate(
    customer: CustomerState, invoice: InvoiceState, now: datetime, pack: RulePack
) -> Verdict:
    """Judge every candidate for ``invoice`` at ``now``. Waiting is always allowed.

    A candidate is blocked by the first failing rule of its action, else of its channel. Each
    rule reads either the action or the channel, so each action and each channel is judged
    once and its answer reused for every candidate that shares it; what the frequency rules
    read of the contacts is gathered once (:class:`SentContacts`), not once per channel.
    """
    hold = find_hold(customer, invoice, now, pack)
    if hold is not None:
        held = tuple(Block(c, hold.rule, hold.detail, hold.until, True) for c in candidates(pack))
        return Verdict(allowed=(), blocks=held, hold=hold)
    written = tuple(pack.escalation.written_channels)
    sent = SentContacts(customer, invoice, now, pack)
    by_channel: dict[Channel | None, Block | None] = {}
    allowed: list[Candidate] = []
    blocks: list[Block] = []
    for run in _by_action(written):
        block = _action_block(customer, invoice, run[0], now, pack)
        if block is not None:
            blocks.extend(_as_block_of(block, candidate) for candidate in run)
            continue
        for candidate in run:
            channel = candidate.channel
            if channel in by_channel:
                block = by_channel[channel]
            else:
                block = by_channel[channel] = _channel_block(
                    customer, invoice, candidate, now, pack, sent
                )
            if block is None:
                allowed.append(candidate)
            else:
                blocks.append(_as_block_of(block, candidate))
    return Verdict(allowed=tuple(allowed), blocks=tuple(blocks))
