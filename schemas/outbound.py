"""Outbound records: the decision notifiers act on, the outcome learners learn from, and the
dead-letter record.

A decision is imperative (it tells a notifier what to do) and carries only ids, never personal
data. Its ``decision_id`` is deterministic (invoice id, dunning step, and for waits the day), so a
re-sent decision is byte-identical and consumers dedupe by id.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from schemas.base import SCHEMA_VERSION, Currency, Frozen, Id, IsoDate, UtcDatetime
from schemas.enums import Action, Channel, PaymentOption

ReasonCode = Annotated[str, Field(pattern=r"^[a-z0-9_.]+$", max_length=64)]
"""A stable, machine-readable reason such as ``rule.dispute_open`` or ``ladder.level_2``."""


class PolicyInfo(Frozen):
    """Which policy decided, on which arm, with what probability, from which model."""

    name: str
    arm: Literal["ladder", "learned", "explore", "holdout", "fallback", "control", "oracle"]
    propensity: Annotated[float, Field(gt=0.0, le=1.0)]
    model_version: str | None = None


class BlockedAction(Frozen):
    """An action the rule pack refused at this decision point, and the rule that refused it."""

    action: Action
    channel: Channel | None = None
    rule: ReasonCode
    detail: str = ""


class Decision(Frozen):
    """What duewise decided for one invoice at one decision point.

    Waits are decisions too: they go to the audit stream so that every decision point, with its
    propensity, is available for off-policy evaluation. ``payment_reference`` encodes invoice and
    step so that a payment can be attributed to the decision that caused it.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    decision_id: Id
    customer_id: Id
    invoice_id: Id
    decided_at: UtcDatetime
    action: Action
    channel: Channel | None = None
    send_at: UtcDatetime | None = None
    step: Annotated[int, Field(ge=0)]
    amount_due_minor: Annotated[int, Field(ge=0)]
    currency: Currency
    fee_minor: Annotated[int, Field(ge=0)] = 0
    payment_options: list[PaymentOption] = Field(default_factory=list)
    payment_reference: Id | None = None
    respond_by: IsoDate | None = None
    policy: PolicyInfo
    scores: dict[str, float] | None = None
    features: dict[str, float] | None = None
    reasons: list[ReasonCode] = Field(default_factory=list)
    blocked: list[BlockedAction] = Field(default_factory=list)

    @property
    def actionable(self) -> bool:
        """Whether a notifier has anything to do (every action but wait)."""
        return self.action is not Action.WAIT


ArmKey = Annotated[str, Field(pattern=r"^[a-z_]+(:[a-z_]+)?$", max_length=64)]
"""An action as learners see it: ``wait``, ``human_review`` or ``action:channel``."""


class Outcome(Frozen):
    """What followed one decision point: a training example whose label has resolved.

    Every decision point (waits included) yields two, on two clocks: ``payment`` resolves
    ``horizon`` after the decision (14 days by default), or earlier when the invoice closes,
    with ``reward`` = money paid on the invoice in between, in major units (SEK); ``churn``
    resolves after a long window (90 days by default), or earlier when the customer leaves,
    with ``reward`` 1 if they left in between, else 0. ``early`` says the label resolved before
    ``window_end``. The features are those the decision saw; ``arms`` are the arms the policy
    could have chosen, ``arm`` the one it chose with probability ``policy.propensity``. Only ids
    and numbers, as in a decision: no personal data.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    outcome_id: Id
    kind: Literal["payment", "churn"]
    decision_id: Id
    customer_id: Id
    invoice_id: Id
    decided_at: UtcDatetime
    resolved_at: UtcDatetime
    window_end: UtcDatetime
    early: bool = False
    policy: PolicyInfo
    arm: ArmKey
    arms: list[ArmKey] = Field(default_factory=list)
    features: dict[str, float] = Field(default_factory=dict)
    amount_due_minor: Annotated[int, Field(ge=0)]
    currency: Currency
    reward: float


class DeadLetter(Frozen):
    """An input that could not be processed, kept with the reason instead of being dropped.

    ``raw`` is the exact bytes received (base64 in JSON), so the event can be fixed and replayed.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    schema_version: Literal[1] = SCHEMA_VERSION
    raw: bytes
    error: str
    stage: Literal["decode", "process"] = "decode"
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    failed_at: UtcDatetime
