"""What a policy is: something that picks one allowed action at a decision point.

Policies never see forbidden actions as options (the rule pack filtered them) and never touch
state; they return a :class:`Choice` and the engine records it. Every choice states its
propensity, the probability with which this policy would pick it here, so that off-policy
evaluation stays unbiased; a deterministic policy reports 1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from engine.guardrails import Candidate, RulePack, Verdict
from engine.state import CustomerState, InvoiceState
from schemas.enums import PaymentOption


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """Everything a policy may look at for one decision point."""

    customer: CustomerState
    invoice: InvoiceState
    at: datetime
    verdict: Verdict
    pack: RulePack
    rng: random.Random


@dataclass(frozen=True, slots=True)
class Choice:
    """A policy's answer. ``candidate=None`` means wait.

    ``retry_at`` asks for the next decision point no earlier than then; ``await_event`` asks
    for none until some event arrives; ``advance`` moves the policy to its next stage.
    ``arms`` names the arms the policy chose among when that is not simply wait plus every
    allowed candidate (a learned policy with its own arm set); outcomes record it.
    """

    candidate: Candidate | None
    propensity: float
    arm: str
    reasons: tuple[str, ...]
    payment_options: tuple[PaymentOption, ...] = ()
    advance: bool = False
    retry_at: datetime | None = None
    await_event: bool = False
    scores: dict[str, float] | None = None
    features: dict[str, float] | None = field(default=None)
    model_version: str | None = None
    arms: tuple[str, ...] | None = None


class Policy(Protocol):
    """The interface every policy implements (ladder, learned, holdout, random)."""

    name: str

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        """When this policy next wants to decide on ``invoice`` (``None``: never again)."""
        ...

    def choose(self, ctx: DecisionContext) -> Choice:
        """Pick one allowed candidate, or wait."""
        ...
