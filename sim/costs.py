"""What actions, churn and support cost: the prices behind every net value the simulator reports.

Kept apart from the world's behaviour so that a credit manager can price things their own way
without touching how customers behave. Defaults, in SEK:

* email 0.5, SMS 1, digital mailbox (Kivra) 4, letter 12 (postage and print), phone call 40
  (a few minutes of an agent): typical Swedish list prices for bulk senders.
* escalation 150: the biller's internal cost of handing a claim to collection (the 180 SEK
  collection fee of lag 1981:739 is charged to the debtor and is not the biller's money).
* human review 50: a credit manager's few minutes on a case.
* support ticket 60: one contact with customer service.
* churn: ``churn_margin_months`` (12) months of the customer's margin, ``margin_rate`` (30%) of
  the monthly invoice: the lost future invoices, by far the largest cost (see DESIGN.md,
  "Two clocks in the reward").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.enums import Action, Channel


def _channel_costs() -> dict[Channel, float]:
    return {
        Channel.EMAIL: 0.5,
        Channel.SMS: 1.0,
        Channel.DIGITAL_MAILBOX: 4.0,
        Channel.LETTER: 12.0,
        Channel.PHONE: 40.0,
    }


@dataclass(frozen=True)
class CostConfig:
    """Prices in SEK (major units) of every action, a support ticket and a churned customer."""

    channel: dict[Channel, float] = field(default_factory=_channel_costs)
    escalation: float = 150.0
    human_review: float = 50.0
    support_ticket: float = 60.0
    churn_margin_months: float = 12.0
    margin_rate: float = 0.30

    def action(self, action: Action, channel: Channel | None) -> float:
        """The cost of one decision: its channel's price, plus the escalation's own cost.

        >>> CostConfig().action(Action.ESCALATE, Channel.LETTER)
        162.0
        >>> CostConfig().action(Action.WAIT, None)
        0.0
        """
        if action is Action.WAIT:
            return 0.0
        if action is Action.HUMAN_REVIEW:
            return self.human_review
        base = self.channel.get(channel, 0.0) if channel is not None else 0.0
        return base + (self.escalation if action is Action.ESCALATE else 0.0)

    def churn(self, monthly_amount_minor: int) -> float:
        """The margin lost when a customer paying ``monthly_amount_minor`` a month leaves."""
        return self.churn_margin_months * self.margin_rate * monthly_amount_minor / 100.0
