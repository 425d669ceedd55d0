"""Reference policies to compare against: do nothing, choose at random, choose greedily.

* ``no-action`` waits at every checkpoint: what happens if nobody is ever reminded.
* ``random`` picks an allowed action uniformly, then a channel uniformly, and logs the exact
  propensity of what it picked: the logging policy that makes off-policy evaluation possible.
* ``greedy`` picks the allowed candidate with the highest score from a supplied scorer; with the
  simulator's hidden truth as the scorer it is the ``oracle`` upper bound.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from engine.guardrails import Candidate
from engine.policies.base import Choice, DecisionContext
from engine.policies.checkpoints import Checkpoints
from engine.policies.ladder import offered_options
from engine.state import CustomerState, InvoiceState
from schemas.enums import Action, PaymentOption

DEFAULT_OPTIONS = [PaymentOption.SWISH, PaymentOption.CARD, PaymentOption.BANK_GIRO]
_OFFER_OPTION = {
    Action.OFFER_PLAN: PaymentOption.PLAN,
    Action.OFFER_DEFERRAL: PaymentOption.DEFERRAL,
}

Scorer = Callable[[DecisionContext, Candidate | None], float]
"""Scores one candidate (``None`` = wait) at a decision point; higher is better."""


def arm_key(candidate: Candidate | None) -> str:
    """The arm name of a candidate: ``"remind:sms"``, ``"human_review"``, ``"wait"``."""
    if candidate is None:
        return "wait"
    # StrEnum members format as their values; ``.value`` is a slow property (Python 3.11)
    if candidate.channel is None:
        return str(candidate.action)
    return f"{candidate.action}:{candidate.channel}"


def options_for(candidate: Candidate | None, ctx: DecisionContext) -> tuple[PaymentOption, ...]:
    """Payment options to offer with ``candidate``: the usual ones plus the offer's own."""
    if candidate is None or candidate.action is Action.HUMAN_REVIEW:
        return ()
    wanted = list(DEFAULT_OPTIONS)
    extra = _OFFER_OPTION.get(candidate.action)
    if extra is not None:
        wanted.append(extra)
    return offered_options(wanted, ctx.invoice, ctx.customer)


class _CheckpointPolicy:
    """Shared schedule: decide at each checkpoint, then move to the next one."""

    name = "checkpoint"

    def __init__(self, checkpoints: Checkpoints | None = None) -> None:
        self.checkpoints = checkpoints or Checkpoints()

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        """See :class:`engine.policies.checkpoints.Checkpoints`."""
        return self.checkpoints.next_point(customer, invoice)


class NoActionPolicy(_CheckpointPolicy):
    """Always wait; the 'what if we did nothing' control."""

    name = "no-action"

    def choose(self, ctx: DecisionContext) -> Choice:
        """Wait, and move on to the next checkpoint."""
        return Choice(None, 1.0, "control", ("control.no_action",), advance=True)


class RandomPolicy(_CheckpointPolicy):
    """Uniform over allowed actions (wait included), then uniform over that action's channels."""

    name = "random"

    def choose(self, ctx: DecisionContext) -> Choice:
        """Draw with the decision's own seeded RNG and report the exact propensity."""
        by_action: dict[Action, list[Candidate]] = defaultdict(list)
        for candidate in ctx.verdict.allowed:
            by_action[candidate.action].append(candidate)
        actions: list[Action | None] = [None, *sorted(by_action)]
        # The whole distribution is logged as scores: off-policy evaluation then knows which
        # arms were possible here and with what probability, not only the one taken.
        law = {"wait": 1 / len(actions)}
        for chans in by_action.values():
            for c in chans:
                law[arm_key(c)] = 1 / len(actions) / len(chans)
        action = ctx.rng.choice(actions)
        if action is None:
            return Choice(None, law["wait"], "explore", ("random.wait",), advance=True, scores=law)
        candidate = ctx.rng.choice(by_action[action])
        return Choice(
            candidate,
            law[arm_key(candidate)],
            "explore",
            ("random.uniform",),
            options_for(candidate, ctx),
            advance=True,
            scores=law,
        )


class GreedyPolicy(_CheckpointPolicy):
    """The allowed candidate (or wait) with the highest score; ties go to waiting."""

    def __init__(
        self,
        scorer: Scorer,
        name: str = "greedy",
        arm: str = "oracle",
        checkpoints: Checkpoints | None = None,
    ) -> None:
        super().__init__(checkpoints)
        self.scorer = scorer
        self.name = name
        self.arm = arm

    def choose(self, ctx: DecisionContext) -> Choice:
        """Score wait and every allowed candidate; take the best."""
        best: Candidate | None = None
        best_score = self.scorer(ctx, None)
        scores = {"wait": best_score}
        for candidate in ctx.verdict.allowed:
            score = self.scorer(ctx, candidate)
            scores[arm_key(candidate)] = score
            if score > best_score:
                best, best_score = candidate, score
        reason = f"{self.name.replace('-', '_')}.best_score"
        return Choice(
            best,
            1.0,
            self.arm,
            (reason,),
            options_for(best, ctx),
            advance=True,
            scores=scores,
        )
