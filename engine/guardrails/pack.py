"""The rule pack: the legal and business limits every decision must respect, as data.

A pack is loaded from a TOML file at the edge (``duewise.rulepacks``) and handed to the engine;
the engine never reads files. The Swedish defaults follow DOMAIN.md (inkassolagen, lag 1981:739,
GDPR Art. 22); a strict pack models US Regulation F.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.enums import Channel


class _Pack(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuietHours(_Pack):
    """Contact is allowed from ``start`` to ``end`` local time; ``send_at`` moves otherwise."""

    start: time = time(8, 0)
    end: time = time(21, 0)
    weekend_channels: list[Channel] = Field(default_factory=lambda: [Channel.PHONE, Channel.SMS])
    holiday_channels: list[Channel] = Field(default_factory=lambda: [Channel.PHONE, Channel.SMS])

    @model_validator(mode="after")
    def _window_not_empty(self) -> Self:
        if self.start >= self.end:
            raise ValueError("end: the contact window must end after it starts")
        return self


class FrequencyCap(_Pack):
    """At most ``max_contacts`` in any rolling window of ``window_days``."""

    window_days: Annotated[int, Field(ge=1, le=90)]
    max_contacts: Annotated[int, Field(ge=0)]


class FeeCaps(_Pack):
    """Legal maximum fees in minor units for one currency (lag 1981:739 for SEK)."""

    reminder: Annotated[int, Field(ge=0)] = 0
    collection_demand: Annotated[int, Field(ge=0)] = 0
    payment_plan: Annotated[int, Field(ge=0)] = 0


class EscalationRules(_Pack):
    """What must be true before a collection demand (and before any step after one)."""

    min_outstanding_minor: dict[str, int] = Field(default_factory=lambda: {"SEK": 10000})
    min_days_overdue: Annotated[int, Field(ge=0)] = 21
    require_written_notice: bool = True
    notice_days: Annotated[int, Field(ge=0)] = 8
    notice_bank_days_after_receipt: Annotated[int, Field(ge=0)] = 4
    letter_delivery_bank_days: Annotated[int, Field(ge=0)] = 2
    require_forbearance_offer: bool = True
    written_channels: list[Channel] = Field(
        default_factory=lambda: [Channel.LETTER, Channel.DIGITAL_MAILBOX]
    )


class RulePack(_Pack):
    """The whole pack. Every field has the Swedish default."""

    name: str = "se"
    holidays: Literal["SE", "US", "NONE"] = "SE"
    quiet_hours: QuietHours = QuietHours()
    customer_cap: FrequencyCap = FrequencyCap(window_days=7, max_contacts=3)
    channel_caps: dict[Channel, FrequencyCap] = Field(
        default_factory=lambda: {Channel.PHONE: FrequencyCap(window_days=7, max_contacts=7)}
    )
    invoice_min_gap_days: Annotated[int, Field(ge=0)] = 5
    no_call_after_conversation_days: Annotated[int, Field(ge=0)] = 7
    promise_grace_days: Annotated[int, Field(ge=0)] = 3
    plan_grace_days: Annotated[int, Field(ge=0)] = 5
    max_deferrals_per_invoice: Annotated[int, Field(ge=0)] = 1
    fee_caps: dict[str, FeeCaps] = Field(
        default_factory=lambda: {
            "SEK": FeeCaps(reminder=6000, collection_demand=18000, payment_plan=17000)
        }
    )
    escalation: EscalationRules = EscalationRules()
    vulnerable_never_escalate: bool = True
