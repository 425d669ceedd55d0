"""The learned policy: each allowed action's causal value, Thompson sampling, an exact propensity.

How it decides, at each checkpoint (the ladder's days 5/14/30 among them):

1. A stable hash of the customer id puts ``holdout_share`` of customers in the **holdout**: the
   plain ladder, for good. Learned vs holdout is the randomized experiment, always on.
2. A hold (dispute, promise, plan, pause) means wait until it lifts: nothing to choose.
3. The arms are waiting plus every allowed candidate in the configured arm set.
4. Once the payment model has ``min_evidence`` examples of waiting and of some action, arms
   with that much evidence are valued per bootstrap member (payment member k with churn member
   k; :func:`engine.valuation.valuate`) and each member votes for its best arm. The share of
   votes is the exact Thompson-sampling probability ``P_TS(a)``. Before that, the **fallback**
   puts all of it on what the ladder would do (its action at its own days, else waiting).
5. An exploration floor keeps every arm possible: ``p(a) = (1 - e) P(a) + e / |A|``. The draw
   uses the decision's seeded RNG and ``p(a)`` of the chosen arm is logged: off-policy
   evaluation and the learner's importance weights need the exact number.

Every decision records the model version, the mean value of each valued arm (SEK), the features
and reason codes naming the three features that drove the choice over waiting
(``explain.<feature>``). The policy reads its models through a :class:`ModelHandle`, so a new
snapshot changes the next decision without rebuilding anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from engine.features import features
from engine.guardrails import Candidate
from engine.guardrails.calendar import local_date, local_instant
from engine.ids import stable_unit
from engine.policies.base import Choice, DecisionContext
from engine.policies.checkpoints import DEFAULT_DAYS
from engine.policies.ladder import LadderConfig, LadderPolicy
from engine.policies.simple import arm_key, options_for
from engine.state import CustomerState, InvoiceState
from engine.valuation import WAIT, ModelHandle, ValueConfig, explain, valuate
from schemas.enums import Action, PaymentOption

DEFAULT_ARMS: tuple[str, ...] = (
    "remind:email",
    "remind:sms",
    "remind:letter",
    "remind:phone",
    "offer_plan:email",
    "offer_plan:letter",
    "offer_deferral:email",
    "offer_direct_debit:email",
    "escalate:letter",
)
"""The actions the learned policy chooses among (with waiting). Few arms learn fast: every arm
needs its own evidence, and exploration spreads over all of them; so each action appears on the
cheap channel most customers read (e-mail), with SMS and the letter that reaches everyone for
reminders, and a letter for the offer and the demand that must be in writing. A call is the
pressure short of a demand: a debtor who answers promises a date, and some who pay only under
pressure pay then, at a fraction of a demand's price and without its churn; without it the
policy collected less than the ladder (issue 5). Human review is left to the rules: it ends
automatic dunning, so its value never shows in a payment horizon."""


@dataclass(frozen=True)
class LearnedConfig:
    """Knobs of the learned policy; see the module docstring for what each one does."""

    explore: float = 0.1
    min_evidence: int = 50
    min_churn_evidence: int = 500
    holdout_share: float = 0.05
    seed: int = 0
    arms: tuple[str, ...] | None = DEFAULT_ARMS
    days: tuple[int, ...] = DEFAULT_DAYS
    offer_from_day: int | None = 14
    reminder_offer: PaymentOption = PaymentOption.DEFERRAL
    decision_time: time = time(6, 0)
    value: ValueConfig = field(default_factory=ValueConfig)
    ladder: LadderConfig = field(default_factory=LadderConfig)

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore <= 1.0 or not 0.0 <= self.holdout_share <= 1.0:
            raise ValueError("explore and holdout_share must lie in [0, 1]")
        if list(self.days) != sorted(set(self.days)):
            raise ValueError("checkpoint days must be strictly increasing")


@dataclass(frozen=True, slots=True)
class _Law:
    """A distribution over arms before the exploration floor, with how to draw from it."""

    votes: tuple[str, ...]  # one arm per equally likely vote (one vote: a point mass)
    arm: str  # "learned" or "fallback"
    tag: str
    options: tuple[PaymentOption, ...] | None = None  # the ladder's, when following it


class LearnedPolicy:
    """Thompson sampling over learned causal values, with a floor, a fallback and a holdout."""

    name = "learned"

    def __init__(self, handle: ModelHandle, config: LearnedConfig | None = None) -> None:
        self.handle = handle
        self.config = config or LearnedConfig()
        self.holdout = LadderPolicy(self.config.ladder, arm="holdout")
        self._ladder = LadderPolicy(self.config.ladder, arm="fallback")
        levels = self.config.ladder.levels
        self._ladder_days = {level.after_due_days: i for i, level in enumerate(levels)}

    def in_holdout(self, customer_id: str) -> bool:
        """Whether this customer gets the ladder: the same answer on every machine and run."""
        unit = stable_unit(self.config.seed, "holdout", customer_id)
        return unit < self.config.holdout_share

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        """The ladder's for the holdout; else the first checkpoint after the last decision.

        Each decision uses up at least one checkpoint, so the search starts at the number of
        decisions taken; one delayed by a hold does not make the missed checkpoints fire at
        once afterwards.
        """
        if self.in_holdout(customer.customer_id):
            return self.holdout.next_point(customer, invoice)
        days, tz, clock = self.config.days, customer.timezone, self.config.decision_time
        for day in days[invoice.ladder_level :]:
            at = local_instant(invoice.due_date + timedelta(days=day), clock, tz)
            if invoice.last_point_at is None or at > invoice.last_point_at:
                return at
        return None

    def choose(self, ctx: DecisionContext) -> Choice:
        """Hold, holdout, or a draw from the floored Thompson (or fallback) law."""
        if self.in_holdout(ctx.customer.customer_id):
            return self.holdout.choose(ctx)
        version = self.handle.version
        hold = ctx.verdict.hold
        if hold is not None:
            reasons = ("learned.hold", hold.rule)
            awaiting = hold.until is None
            return Choice(None, 1.0, "learned", reasons, retry_at=hold.until,
                          await_event=awaiting, model_version=version, arms=(WAIT,))  # fmt: skip
        by_arm = self._candidates(ctx)
        arms = (WAIT, *by_arm)
        x = features(ctx.customer, ctx.invoice, ctx.at)
        if len(arms) == 1:
            return Choice(None, 1.0, "learned", ("learned.nothing_allowed",), advance=True,
                          features=x, model_version=version, arms=arms)  # fmt: skip
        law, scores, churn_arms = self._law(ctx, arms, x)
        explore = self.config.explore
        floor = explore / len(arms)
        if ctx.rng.random() < explore:
            chosen, how = arms[ctx.rng.randrange(len(arms))], "explore"
        else:
            chosen, how = law.votes[ctx.rng.randrange(len(law.votes))], law.tag
        share = law.votes.count(chosen) / len(law.votes)
        propensity = (1.0 - explore) * share + floor
        reasons = (f"{law.arm}.{how}", *self._explain(ctx, x, chosen, scores, churn_arms))
        candidate = by_arm.get(chosen)
        options = law.options if how != "explore" else None
        return Choice(
            candidate,
            min(propensity, 1.0),
            law.arm,
            reasons,
            options if options is not None else self._options(candidate, ctx),
            advance=True,
            scores=scores,
            features=x,
            model_version=version,
            arms=arms,
        )

    def _options(
        self, candidate: Candidate | None, ctx: DecisionContext
    ) -> tuple[PaymentOption, ...]:
        """The usual ways to pay, plus ``reminder_offer`` in reminders from ``offer_from_day``
        on: what a message offers is the biller's rule, not an arm.

        Why a deferral to payday and not a plan (the ladder's second rung offers a plan). Who
        takes an offer is someone who would not pay soon anyway; a deferral has them pay the
        whole sum on the next payday, while a plan spreads it over three: money months later,
        and the invoices of the last months not paid in full when the books are read. Measured
        on the simulator (3,000 customers, seeds 1 and 2, after the learning period), offering
        the plan in reminders left the policy 8-14k SEK behind the ladder in collection; a
        deferral put it 4-6k ahead, with more net value. A plan stays an arm of its own.
        """
        options = options_for(candidate, ctx)
        start = self.config.offer_from_day
        if candidate is None or start is None or candidate.action is not Action.REMIND:
            return options
        overdue = (local_date(ctx.at, ctx.customer.timezone) - ctx.invoice.due_date).days
        offer = self.config.reminder_offer
        if overdue < start or offer in options:
            return options
        return (*options, offer)

    # -- the law before the floor -------------------------------------------------------------

    def _candidates(self, ctx: DecisionContext) -> dict[str, Candidate]:
        allowed = self.config.arms
        out: dict[str, Candidate] = {}
        for candidate in ctx.verdict.allowed:
            key = arm_key(candidate)
            if allowed is None or key in allowed:
                out.setdefault(key, candidate)
        return out

    def _ready(self, arms: tuple[str, ...]) -> bool:
        pay, minimum = self.handle.pay, self.config.min_evidence
        if pay is None or pay.count(WAIT) < minimum:
            return False
        known = self.config.arms if self.config.arms is not None else arms
        return any(pay.count(a) >= minimum for a in known if a != WAIT)

    def _law(
        self, ctx: DecisionContext, arms: tuple[str, ...], x: dict[str, float]
    ) -> tuple[_Law, dict[str, float] | None, frozenset[str]]:
        if not self._ready(arms):
            return self._fallback(ctx, arms), None, frozenset()
        pay = self.handle.pay
        assert pay is not None
        eligible = tuple(a for a in arms if pay.count(a) >= self.config.min_evidence)
        valuation = valuate(
            self.handle,
            x,
            eligible,
            max(ctx.invoice.outstanding_minor, 0),
            ctx.invoice.amount_minor,
            self.config.value,
            self.config.min_churn_evidence,
        )
        scores = {a: round(v, 4) for a, v in valuation.mean.items()}
        return _Law(tuple(valuation.winners()), "learned", "thompson"), scores, valuation.churn_arms

    def _fallback(self, ctx: DecisionContext, arms: tuple[str, ...]) -> _Law:
        """What the ladder does at its own days (if that arm is available), else waiting."""
        overdue = (local_date(ctx.at, ctx.customer.timezone) - ctx.invoice.due_date).days
        passed = [d for d in self.config.days if d <= overdue]
        level = self._ladder_days.get(passed[-1]) if passed else None
        if level is None:
            return _Law((WAIT,), "fallback", "wait")
        invoice = ctx.invoice.model_copy(update={"ladder_level": level})
        choice = self._ladder.choose(replace(ctx, invoice=invoice))
        key = arm_key(choice.candidate)
        if key not in arms:
            return _Law((WAIT,), "fallback", "wait")
        return _Law((key,), "fallback", f"ladder_level_{level + 1}", choice.payment_options)

    def _explain(
        self,
        ctx: DecisionContext,
        x: dict[str, float],
        chosen: str,
        scores: dict[str, float] | None,
        churn_arms: frozenset[str],
    ) -> list[str]:
        if not scores:
            return []
        versus = WAIT
        if chosen == WAIT:
            others = [(v, a) for a, v in scores.items() if a != WAIT]
            if not others:
                return []
            versus = max(others)[1]
        names = explain(
            self.handle, x, chosen, versus, max(ctx.invoice.outstanding_minor, 0),
            ctx.invoice.amount_minor, self.config.value, churn_arms,
        )  # fmt: skip
        return [f"explain.{n}" for n in names]
