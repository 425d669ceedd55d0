"""What an action is worth at a decision point, from two learned models and a price list.

Why this shape. "Causal, not correlational": an action's value is what it changes compared
with waiting, and it has two clocks (DESIGN.md). So two models are combined at decision time:

* the **payment** model estimates, per arm, the share of the amount due that is paid within
  the short horizon (14 days) if that arm is taken now;
* the **churn** model estimates, per arm, the probability that the customer leaves within the
  long window (90 days).

value(a) = amount due x pay(a) - cost(a) - support(a) - churn(a) x customer value

Only differences between arms matter, so waiting is the reference every arm is compared with.
The engine never imports a learner: any object with the few methods of :class:`ArmModel`
will do (``models.BootstrapUplift`` has them), and the policy reads the current pair through a
mutable :class:`ModelHandle`, which a learner swaps when it publishes a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from schemas.enums import Action, Channel

WAIT = "wait"


@runtime_checkable
class ArmModel(Protocol):
    """Per-arm estimates with bootstrap members (``models.BootstrapUplift`` satisfies it)."""

    def predict_one(self, x: Mapping[str, float]) -> dict[str, float]:
        """The point estimate of every arm learned so far."""
        ...

    def member_predictions(self, x: Mapping[str, float]) -> list[dict[str, float]]:
        """Every bootstrap member's estimates: draws from the posterior."""
        ...

    def count(self, action: str) -> int:
        """Examples learned for ``action``."""
        ...

    def contributions(self, x: Mapping[str, float], action: str, baseline: str) -> dict[str, float]:
        """Per-feature contribution to ``action``'s estimate minus ``baseline``'s."""
        ...


@dataclass(slots=True)
class ModelHandle:
    """The models a learned policy reads now. Mutable on purpose: swapping the pair (a new
    snapshot published by the learner) changes the next decision, and ``version`` goes into
    every decision so it can be traced to the model that made it."""

    pay: ArmModel | None = None
    churn: ArmModel | None = None
    version: str | None = None

    def swap(self, pay: ArmModel | None, churn: ArmModel | None, version: str) -> None:
        """Put a new pair of models in place (between two decisions)."""
        self.pay, self.churn, self.version = pay, churn, version


def _channel_costs() -> dict[Channel, float]:
    """The engine's own belief about contact prices, deliberately not imported from
    ``sim.costs``: the engine may not see the simulator (import layers), and a biller sets
    these from its invoices while the simulator's prices are the world's truth. They start
    equal so that evaluations price actions the way the world does."""
    return {
        Channel.EMAIL: 0.5,
        Channel.SMS: 1.0,
        Channel.DIGITAL_MAILBOX: 4.0,
        Channel.LETTER: 12.0,
        Channel.PHONE: 40.0,
    }


@dataclass(frozen=True)
class ValueConfig:
    """The biller's prices in SEK, and what a lost customer costs.

    Defaults are Swedish list prices for bulk senders (e-mail 0.5, SMS 1, digital mailbox 4,
    letter 12, a call 40), the internal cost of a hand-over to collection (150) and of a human
    review (50), a support ticket (60) times the share of contacts that provoke one (2% of
    reminders, 5% of calls, half of collection demands: more than half of debtors call after
    one), and a customer's value of ``margin_months`` (12) months of ``margin_rate`` (30%) of
    their invoice. A deployment sets its own; they are priors the learner does not change.
    """

    channel: dict[Channel, float] = field(default_factory=_channel_costs)
    escalation: float = 150.0
    human_review: float = 50.0
    support_ticket: float = 60.0
    ticket_rate_reminder: float = 0.02
    ticket_rate_call: float = 0.05
    ticket_rate_escalation: float = 0.5
    margin_months: float = 12.0
    margin_rate: float = 0.30

    def cost(self, arm: str) -> float:
        """Price of an arm plus the support it is expected to cause.

        >>> ValueConfig().cost("escalate:letter"), ValueConfig().cost("wait")
        (192.0, 0.0)
        """
        if arm == WAIT:
            return 0.0
        action, _, chan = arm.partition(":")
        if action == Action.HUMAN_REVIEW.value:
            return self.human_review
        channel = Channel(chan) if chan else None
        price = self.channel.get(channel, 0.0) if channel is not None else 0.0
        if action == Action.ESCALATE.value:
            rate = self.ticket_rate_escalation
            price += self.escalation
        elif channel is Channel.PHONE:
            rate = self.ticket_rate_call
        else:
            rate = self.ticket_rate_reminder
        return price + rate * self.support_ticket

    def customer_value(self, monthly_minor: int) -> float:
        """The margin lost when a customer billed ``monthly_minor`` a month leaves (SEK)."""
        return self.margin_months * self.margin_rate * monthly_minor / 100.0


@dataclass(frozen=True, slots=True)
class Valuation:
    """Each arm's value per bootstrap member and on average, for one decision point."""

    arms: tuple[str, ...]
    members: tuple[dict[str, float], ...]
    mean: dict[str, float]
    churn_arms: frozenset[str]

    def winners(self) -> list[str]:
        """Each member's best arm; ties go to the earlier arm (waiting first)."""
        return [max(self.arms, key=lambda a, m=m: m[a]) for m in self.members]


def _churn_arms(churn: ArmModel | None, arms: tuple[str, ...], minimum: int) -> set[str]:
    if churn is None or churn.count(WAIT) < minimum:
        return set()
    return {a for a in arms if churn.count(a) >= minimum}


def valuate(
    handle: ModelHandle,
    x: Mapping[str, float],
    arms: tuple[str, ...],
    amount_due_minor: int,
    monthly_minor: int,
    config: ValueConfig,
    min_churn_evidence: int,
) -> Valuation:
    """Value ``arms`` (waiting first) with every member pair: pay member k with churn member k.

    An arm whose churn estimate rests on fewer than ``min_churn_evidence`` examples (or any arm
    while waiting's does) takes waiting's churn estimate: no evidence of harm is not evidence
    of none, but an estimate from a handful of leavers is mostly noise times a large price.
    """
    pay = handle.pay
    assert pay is not None
    due = amount_due_minor / 100.0
    value = config.customer_value(monthly_minor)
    costs = {a: config.cost(a) for a in arms}
    with_churn = _churn_arms(handle.churn, arms, min_churn_evidence)
    churn = handle.churn if with_churn else None

    def values(p: Mapping[str, float], c: Mapping[str, float] | None) -> dict[str, float]:
        out = {}
        for a in arms:
            v = due * p.get(a, 0.0) - costs[a]
            if c is not None:
                v -= value * c.get(a if a in with_churn else WAIT, 0.0)
            out[a] = v
        return out

    pay_members = pay.member_predictions(x)
    churn_members = churn.member_predictions(x) if churn is not None else [None] * len(pay_members)
    members = tuple(values(p, c) for p, c in zip(pay_members, churn_members, strict=False))
    mean = values(pay.predict_one(x), churn.predict_one(x) if churn is not None else None)
    return Valuation(arms, members, mean, frozenset(with_churn))


def explain(
    handle: ModelHandle,
    x: Mapping[str, float],
    chosen: str,
    versus: str,
    amount_due_minor: int,
    monthly_minor: int,
    config: ValueConfig,
    churn_arms: frozenset[str] = frozenset(),
    top: int = 3,
) -> list[str]:
    """The ``top`` features that push ``chosen``'s value furthest above ``versus``'s (SEK).

    From the linear models' coefficients: amount due x payment contribution minus customer
    value x churn contribution, feature by feature. Only features that actually push in the
    chosen arm's favour are named. An action is explained against waiting; a wait against
    the best action it was preferred to.
    """
    if handle.pay is None or chosen == versus:
        return []
    due = amount_due_minor / 100.0
    totals = {k: due * v for k, v in handle.pay.contributions(x, chosen, versus).items()}
    if handle.churn is not None and (chosen in churn_arms or versus in churn_arms):
        value = config.customer_value(monthly_minor)
        first = chosen if chosen in churn_arms else WAIT
        second = versus if versus in churn_arms else WAIT
        if first != second:
            for k, v in handle.churn.contributions(x, first, second).items():
                totals[k] = totals.get(k, 0.0) - value * v
    ranked = sorted(((v, k) for k, v in totals.items() if v > 0), key=lambda t: (-t[0], t[1]))
    return [k for _, k in ranked[:top]]
