"""The baseline ladder: fixed levels of delay, action, channel and payment options.

This is what rule-based credit-control tools do ("email at due+5, letter at due+14, collection at
due+30") and what the holdout group keeps getting. It only picks allowed actions: a blocked
channel falls back to the next one listed; a hold makes it wait and retry when the hold lifts;
an escalation that the rule pack refuses for a vulnerable customer becomes a human review, and
one refused for want of a forbearance offer becomes a plan offer first (on any channel that
works: the Consumer Credit Directive asks that forbearance be offered, not that it be posted).
A debt below the escalation minimum is neither escalated nor handed to a human: that level is
skipped.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from engine.guardrails import Candidate
from engine.guardrails.calendar import local_date, local_instant
from engine.policies.base import Choice, DecisionContext
from engine.state import CustomerState, InvoiceState
from schemas.enums import Action, Channel, PaymentMethod, PaymentOption

_METHOD_OPTIONS: frozenset[str] = frozenset(PaymentMethod)
"""Options that are ways to pay in full. StrEnum members compare and hash as their values, so
an option is found among the methods of the same name (no slow ``.value`` lookups)."""
_ALL_OPTIONS = tuple(PaymentOption)
_OFFER_CHANNELS = (Channel.LETTER, Channel.DIGITAL_MAILBOX, Channel.EMAIL, Channel.SMS)
"""Where a plan may be offered when the level's own channels are blocked (never by phone)."""


class LadderLevel(BaseModel):
    """One rung: at ``after_due_days`` do ``action`` on ``channel`` (or a fallback)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_due_days: Annotated[int, Field(ge=-30, le=365)]
    action: Action
    channels: Annotated[list[Channel], Field(min_length=0)] = Field(default_factory=list)
    payment_options: list[PaymentOption] = Field(default_factory=list)


class LadderConfig(BaseModel):
    """The ladder's levels and the local time of day its decision points fall on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: Annotated[list[LadderLevel], Field(min_length=1)] = Field(
        default_factory=lambda: [
            LadderLevel(
                after_due_days=5,
                action=Action.REMIND,
                channels=[Channel.EMAIL, Channel.SMS, Channel.DIGITAL_MAILBOX, Channel.LETTER],
                payment_options=[PaymentOption.SWISH, PaymentOption.CARD, PaymentOption.BANK_GIRO],
            ),
            LadderLevel(
                after_due_days=14,
                action=Action.REMIND,
                channels=[Channel.LETTER, Channel.DIGITAL_MAILBOX],
                payment_options=[
                    PaymentOption.SWISH,
                    PaymentOption.CARD,
                    PaymentOption.BANK_GIRO,
                    PaymentOption.PLAN,
                ],
            ),
            LadderLevel(
                after_due_days=30,
                action=Action.ESCALATE,
                channels=[Channel.LETTER, Channel.DIGITAL_MAILBOX],
                payment_options=[PaymentOption.BANK_GIRO, PaymentOption.CARD, PaymentOption.PLAN],
            ),
        ]
    )
    decision_time: time = time(6, 0)


def offered_options(
    wanted: list[PaymentOption], invoice: InvoiceState, customer: CustomerState
) -> tuple[PaymentOption, ...]:
    """The options of ``wanted`` this invoice can actually be paid with.

    When none of the wanted ways to pay in full is accepted for this invoice (a Swish-only
    invoice meets a level that asks for bank giro or card), the invoice's own methods are
    offered instead: a message that asks for money always says how to pay all of it.
    """
    methods: set[str] = set(invoice.payment_methods)
    if customer.direct_debit_active:
        methods.add(PaymentMethod.DIRECT_DEBIT)
    offered = [o for o in wanted if o not in _METHOD_OPTIONS or o in methods]
    if wanted and not any(o in _METHOD_OPTIONS for o in offered):
        own = [o for o in _ALL_OPTIONS if o in methods]
        offered = [*own, *offered]
    return tuple(offered)


class LadderPolicy:
    """The fixed ladder as a :class:`engine.policies.base.Policy` with propensity 1."""

    name = "ladder"

    def __init__(self, config: LadderConfig | None = None, arm: str = "ladder") -> None:
        self.config = config or LadderConfig()
        self.arm = arm

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        """The current level's day at the ladder's decision time, customer local time.

        When an earlier level was delayed (a pause, a promise), the gap between the two levels
        is kept after the delayed action, so one hold never makes two rungs fire together. The
        gap is counted in the customer's calendar days and lands on the decision time too, so
        an action taken late in the evening (a dispute resolved at 21:30) or across a daylight
        saving change does not drag the next rung to the evening.

        A collection demand is never planned before every deadline a written notice gave the
        debtor has passed: a debtor told "pay by the 10th" is not sent to collection on the 6th
        because an earlier notice's deadline ran out first.
        """
        index = invoice.ladder_level
        levels = self.config.levels
        if index >= len(levels):
            return None
        tz = customer.timezone
        day = invoice.due_date + timedelta(days=levels[index].after_due_days)
        if index and invoice.last_action_at is not None:
            gap = timedelta(days=levels[index].after_due_days - levels[index - 1].after_due_days)
            day = max(day, local_date(invoice.last_action_at, tz) + gap)
        if levels[index].action is Action.ESCALATE:
            deadlines = [
                c.respond_by
                for c in customer.contacts
                if c.invoice_id == invoice.invoice_id
                and c.action is not Action.ESCALATE
                and c.respond_by is not None
                and (c.delivered or not c.bounced)
            ]
            if deadlines:
                day = max(day, max(deadlines) + timedelta(days=1))
        return local_instant(day, self.config.decision_time, tz)

    def choose(self, ctx: DecisionContext) -> Choice:
        """Take the level's action on the first allowed channel, or substitute, or wait."""
        index = ctx.invoice.ladder_level
        level = self.config.levels[index]
        tag = f"ladder.level_{index + 1}"
        if ctx.verdict.hold is not None:
            hold = ctx.verdict.hold
            return self._wait((tag, hold.rule), retry_at=hold.until, awaiting=hold.until is None)
        options = offered_options(level.payment_options, ctx.invoice, ctx.customer)
        chosen = self._first_allowed(ctx, level.action, level.channels)
        if chosen is not None:
            reasons = (tag,) if chosen.channel in level.channels[:1] else (tag, "ladder.fallback")
            return self._act(chosen, reasons, options, advance=True)
        if level.action is Action.ESCALATE:
            substitute = self._substitute(ctx, level.channels, tag, options)
            if substitute is not None:
                return substitute
        return self._blocked(ctx, level.action, tag)

    def _first_allowed(
        self, ctx: DecisionContext, action: Action, channels: list[Channel]
    ) -> Candidate | None:
        for channel in channels or [None]:
            candidate = Candidate(action, channel)
            if ctx.verdict.is_allowed(candidate):
                return candidate
        return None

    def _substitute(
        self,
        ctx: DecisionContext,
        channels: list[Channel],
        tag: str,
        options: tuple[PaymentOption, ...],
    ) -> Choice | None:
        rules = {b.rule for b in ctx.verdict.blocks_for(Action.ESCALATE)}
        review = Candidate(Action.HUMAN_REVIEW)
        if "rule.vulnerable" in rules and ctx.verdict.is_allowed(review):
            return self._act(review, (tag, "ladder.vulnerable_to_human"), (), advance=True)
        if "rule.min_amount" in rules:
            return None  # too small for collection, and for a human: the level is skipped
        if "rule.forbearance_first" in rules:
            anywhere = list(dict.fromkeys([*channels, *_OFFER_CHANNELS]))
            plan = self._first_allowed(ctx, Action.OFFER_PLAN, anywhere)
            if plan is not None:
                with_plan = tuple(dict.fromkeys((*options, PaymentOption.PLAN)))
                return self._act(plan, (tag, "ladder.forbearance_first"), with_plan, advance=False)
        if "rule.no_written_notice" in rules:
            written = ctx.pack.escalation.written_channels
            notice = self._first_allowed(ctx, Action.REMIND, written)
            if notice is not None:
                return self._act(notice, (tag, "ladder.notice_first"), options, advance=False)
        if ctx.verdict.lift_time(Action.ESCALATE) is None and ctx.verdict.is_allowed(review):
            return self._act(review, (tag, "ladder.escalation_stuck", *sorted(rules)), (), True)
        return None

    def _blocked(self, ctx: DecisionContext, action: Action, tag: str) -> Choice:
        """Wait: retry when a temporary block lifts, else skip the level."""
        blocks = ctx.verdict.blocks_for(action)
        lift = ctx.verdict.lift_time(action)
        rules = tuple(dict.fromkeys(b.rule for b in blocks))
        if lift is not None:
            return self._wait((tag, *rules), retry_at=lift)
        if any(b.temporary for b in blocks):
            return self._wait((tag, *rules), awaiting=True)
        return self._wait((tag, "ladder.level_skipped", *rules), advance=True)

    def _act(
        self,
        candidate: Candidate,
        reasons: tuple[str, ...],
        options: tuple[PaymentOption, ...],
        advance: bool,
    ) -> Choice:
        return Choice(candidate, 1.0, self.arm, reasons, options, advance=advance)

    def _wait(
        self,
        reasons: tuple[str, ...],
        retry_at: datetime | None = None,
        awaiting: bool = False,
        advance: bool = False,
    ) -> Choice:
        return Choice(
            None,
            1.0,
            self.arm,
            reasons,
            advance=advance,
            retry_at=retry_at,
            await_event=awaiting,
        )
