"""The vocabulary between the world's behaviour and its event stream.

A :class:`Contact` is a decision as the customer meets it; a :class:`Reaction` is something the
customer (or their bank, or the post) does, keyed so that re-deriving an invoice's course after
a new contact reproduces every earlier reaction under the same key; a :class:`Resolution` is an
invoice's whole course under one treatment sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from schemas.enums import Action, Channel, PaymentMethod, PaymentOption


class React(StrEnum):
    """What kind of thing happened."""

    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    OPENED = "opened"
    CLICKED = "clicked"
    CALL = "call"
    PROMISE = "promise"
    PLAN = "plan"
    PAUSE = "pause"
    DISPUTE = "dispute"
    RESOLVED = "resolved"
    PAYMENT = "payment"
    OPT_OUT = "opt_out"
    DIRECT_DEBIT = "direct_debit"


@dataclass(frozen=True, slots=True)
class Contact:
    """One actionable decision on an invoice, as it reaches the customer.

    ``k`` counts the decisions the world has seen on this invoice (1 for the first); together
    with the action and channel it keys the customer's random response, so "the k-th contact
    was an SMS" always meets the same customer mood, whatever came before.
    """

    k: int
    decision_id: str
    action: Action
    channel: Channel | None
    at: datetime
    options: frozenset[PaymentOption] = frozenset()
    reference: str | None = None

    def offers(self, option: PaymentOption, action: Action) -> bool:
        """Whether this contact offers ``option`` (as a payment option or as its action)."""
        return self.action is action or option in self.options


@dataclass(frozen=True, slots=True)
class Reaction:
    """One thing that happens at ``at``. ``key`` is unique within its invoice (or customer)."""

    at: datetime
    key: str
    kind: React
    decision_id: str | None = None
    channel: Channel | None = None
    amount_minor: int = 0
    method: PaymentMethod | None = None
    reference: str | None = None
    outcome: str | None = None
    day: date | None = None
    plan: tuple[tuple[date, int], ...] = ()
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """An invoice's course: every reaction in time order, when it was paid in full or
    cancelled, and the decision whose contact caused the final payment (``None``: no decision
    did)."""

    reactions: tuple[Reaction, ...]
    paid_at: datetime | None
    cancelled_at: datetime | None
    cause: str | None

    @property
    def payments(self) -> tuple[Reaction, ...]:
        """The payments, in time order."""
        return tuple(r for r in self.reactions if r.kind is React.PAYMENT)

    def collected_by(self, at: datetime) -> int:
        """Minor units paid at or before ``at``."""
        return sum(r.amount_minor for r in self.payments if r.at <= at)

    def paid_by(self, at: datetime) -> bool:
        """Whether the invoice is paid in full at ``at``."""
        return self.paid_at is not None and self.paid_at <= at
