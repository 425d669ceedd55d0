"""From logged ``Decision`` records to the arrays the off-policy estimators of ``sim.ope`` read.

An *arm* is what a decision did, as a string: the action, and the channel when there is one
(``"remind:sms"``, ``"escalate:letter"``, ``"wait"``; see :func:`arm_of`). A target policy is a
function from a logged decision (its features, blocked actions, step...) to its probability
distribution over arms; a reward model, for the doubly robust estimator, is a function from a
decision and an arm to the expected reward of that arm at that decision point. Rewards are
looked up by ``decision_id``, so they can be joined in from the simulator or from resolved
outcomes however they were computed (payment within the horizon, net value...).

>>> from datetime import UTC, datetime
>>> from schemas.outbound import Decision
>>> def logged(i, action, channel, propensity):
...     return Decision(decision_id=f"d{i}", customer_id="c1", invoice_id=f"i{i}",
...                     decided_at=datetime(2026, 3, 1, tzinfo=UTC), action=action,
...                     channel=channel, step=1, amount_due_minor=1000, currency="SEK",
...                     policy={"name": "explore", "arm": "explore", "propensity": propensity})
>>> decisions = [logged(1, "remind", "sms", 0.5), logged(2, "wait", None, 0.5)]
>>> always_sms = lambda decision: {"remind:sms": 1.0}
>>> data = logged_from_decisions(decisions, {"d1": 1.0, "d2": 0.0}, always_sms)
>>> data.propensities.tolist(), data.target_probabilities.tolist()
([0.5, 0.5], [1.0, 0.0])
>>> evaluate(data)["ips"].value
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from schemas.outbound import Decision
from sim.ope import Estimate, Floats, doubly_robust, ips, snips

__all__ = [
    "LoggedBandit",
    "RewardModel",
    "TargetPolicy",
    "arm_of",
    "evaluate",
    "logged_from_decisions",
]

TargetPolicy = Callable[[Decision], Mapping[str, float]]
"""A decision point to the target's probabilities over arms (arms left out have probability 0)."""

RewardModel = Callable[[Decision, str], float]
"""A decision point and an arm to the predicted reward of taking that arm there."""

_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LoggedBandit:
    """One entry per logged decision, in the order the decisions were given.

    ``q_logged`` and ``q_target`` are present only when a reward model was given.
    """

    decision_ids: tuple[str, ...]
    arms: tuple[str, ...]
    rewards: Floats
    propensities: Floats
    target_probabilities: Floats
    q_logged: Floats | None = None
    q_target: Floats | None = None


def arm_of(decision: Decision) -> str:
    """The arm a decision took: ``"action:channel"``, or just ``"action"`` without a channel.

    >>> from types import SimpleNamespace as Logged
    >>> arm_of(Logged(action="remind", channel="sms")), arm_of(Logged(action="wait", channel=None))
    ('remind:sms', 'wait')
    """
    action = str(decision.action)
    return action if decision.channel is None else f"{action}:{decision.channel}"


def logged_from_decisions(
    decisions: Iterable[Decision],
    rewards: Mapping[str, float],
    target: TargetPolicy,
    *,
    reward_model: RewardModel | None = None,
    skip_missing: bool = False,
) -> LoggedBandit:
    """Build the estimators' arrays from logged decisions.

    Parameters
    ----------
    decisions
        The logged decisions, waits included; each carries ``policy.propensity``, the
        probability with which the logging policy took its arm.
    rewards
        The observed reward of each decision, keyed by ``decision_id``.
    target
        The policy to evaluate: called once per decision, it returns its probabilities over
        arms, which must be non-negative and sum to 1 (within 1e-6).
    reward_model
        Optional; when given, ``q_logged`` and ``q_target`` are filled for the doubly robust
        estimator (the model is called for the logged arm and every arm the target gives
        positive probability).
    skip_missing
        Leave out decisions that have no reward yet (outcomes not resolved) instead of raising.
        Only safe when whether an outcome is resolved does not depend on the action taken.

    Raises
    ------
    KeyError
        A decision has no reward and ``skip_missing`` is false.
    ValueError
        The target's distribution for a decision is invalid, or no decision is left.
    """
    ids: list[str] = []
    arms: list[str] = []
    r: list[float] = []
    p: list[float] = []
    pi: list[float] = []
    q_logged: list[float] = []
    q_target: list[float] = []
    for decision in decisions:
        if decision.decision_id not in rewards:
            if skip_missing:
                continue
            raise KeyError(f"no reward for decision {decision.decision_id!r}")
        arm = arm_of(decision)
        distribution = _distribution(decision, target(decision))
        ids.append(decision.decision_id)
        arms.append(arm)
        r.append(float(rewards[decision.decision_id]))
        p.append(decision.policy.propensity)
        pi.append(distribution.get(arm, 0.0))
        if reward_model is not None:
            q_logged.append(float(reward_model(decision, arm)))
            q_target.append(
                math.fsum(
                    prob * float(reward_model(decision, a)) for a, prob in distribution.items()
                )
            )
    if not ids:
        raise ValueError("no logged decision with a reward: nothing to evaluate")
    return LoggedBandit(
        decision_ids=tuple(ids),
        arms=tuple(arms),
        rewards=np.array(r),
        propensities=np.array(p),
        target_probabilities=np.array(pi),
        q_logged=np.array(q_logged) if reward_model is not None else None,
        q_target=np.array(q_target) if reward_model is not None else None,
    )


def evaluate(
    logged: LoggedBandit,
    *,
    clip: float | None = None,
    alpha: float = 0.05,
    n_bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Estimate]:
    """IPS, SNIPS and (with a reward model) DR estimates of the target, keyed by estimator.

    SNIPS is left out when the target gives zero probability to every logged arm (it is
    undefined then; IPS reports ``ess == 0.0``).
    """
    options = {"clip": clip, "alpha": alpha, "n_bootstrap": n_bootstrap, "seed": seed}
    arrays = (logged.rewards, logged.propensities, logged.target_probabilities)
    estimates = {"ips": ips(*arrays, **options)}
    if estimates["ips"].ess > 0.0:
        estimates["snips"] = snips(*arrays, **options)
    if logged.q_logged is not None and logged.q_target is not None:
        estimates["dr"] = doubly_robust(*arrays, logged.q_logged, logged.q_target, **options)
    return estimates


def _distribution(decision: Decision, probabilities: Mapping[str, float]) -> dict[str, float]:
    distribution = {arm: float(prob) for arm, prob in probabilities.items() if prob != 0.0}
    invalid = [arm for arm, prob in distribution.items() if not 0.0 < prob <= 1.0]
    total = math.fsum(distribution.values())
    if invalid or abs(total - 1.0) > _SUM_TOLERANCE:
        raise ValueError(
            f"target policy returned an invalid distribution for {decision.decision_id!r}: "
            f"{dict(probabilities)!r} (probabilities must be in [0, 1] and sum to 1)"
        )
    return distribution
