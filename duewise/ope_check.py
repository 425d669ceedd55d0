"""Off-policy evaluation checked against the simulator's truth.

A data scientist wants to know a new policy's value before it goes live, from the decisions an
exploring policy logged. This module makes that question answerable on a world where the answer
is known: one decision per invoice (at due+5) is logged by the uniformly random policy with its
propensities; IPS, SNIPS and doubly robust estimates of a target policy's value come from those
logs; the target policy is then actually run on the same world (same customers, same draws) to
get its true value. The error of each estimate is the figure to trust or distrust OPE by.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from duewise.bootstrap import build_engine
from duewise.simloop import run_world
from engine.guardrails import Candidate
from engine.policies import Checkpoints, GreedyPolicy, NoActionPolicy, Policy, RandomPolicy
from engine.policies.base import DecisionContext
from engine.policies.simple import arm_key
from schemas.outbound import Decision
from sim.ope import Estimate
from sim.ope_data import arm_of, evaluate, logged_from_decisions
from sim.truth import WorldTruth
from sim.world import World, WorldConfig

SINGLE_TOUCH = (5,)
"""The one checkpoint: every still-open invoice gets exactly one decision, at due+5."""


@dataclass(frozen=True)
class Target:
    """A target policy both as a distribution over logged arms and as a runnable policy."""

    name: str
    distribution: Callable[[Decision], Mapping[str, float]]
    policy: Callable[[], Policy]


def _prefer(arm: str) -> Callable[[DecisionContext, Candidate | None], float]:
    def score(ctx: DecisionContext, candidate: Candidate | None) -> float:
        return 1.0 if arm_key(candidate) == arm else 0.0

    return score


def targets() -> list[Target]:
    """Two targets: never act, and remind by email whenever that is allowed."""
    checkpoints = Checkpoints(SINGLE_TOUCH)
    email = "remind:email"
    return [
        Target("no-action", lambda d: {"wait": 1.0}, lambda: NoActionPolicy(checkpoints)),
        Target(
            "email-when-allowed",
            lambda d: {email: 1.0} if email in (d.scores or {}) else {"wait": 1.0},
            lambda: GreedyPolicy(_prefer(email), "email-when-allowed", "learned", checkpoints),
        ),
    ]


def invoice_values(truth: WorldTruth, decisions: list[Decision]) -> dict[str, float]:
    """Net value in SEK behind each decision: its invoice's collections, minus the action's
    cost, the churn cost if the customer left and their support tickets (one invoice each)."""
    costs = truth.costs
    tickets = Counter(t.customer_id for t in truth.tickets)
    out = {}
    for d in decisions:
        invoice = truth.invoices[d.invoice_id]
        customer = truth.customers[d.customer_id]
        value = invoice.paid_minor / 100 - costs.action(d.action, d.channel)
        if customer.churned_at is not None:
            value -= costs.churn(customer.price_minor)
        out[d.decision_id] = value - tickets[d.customer_id] * costs.support_ticket
    return out


def _run(config: WorldConfig, policy: Policy) -> tuple[list[Decision], WorldTruth]:
    world = World(config)
    engine = build_engine(policy=policy)
    decisions: list[Decision] = []
    run_world(world, engine, world.end, on_decision=decisions.append)
    return decisions, world.truth()


@dataclass(frozen=True)
class OpeCheck:
    """One target's true value and each estimator's estimate of it."""

    target: str
    true_value: float
    estimates: dict[str, Estimate]
    decisions: int

    def error(self, estimator: str) -> float:
        """Estimate minus truth, in SEK per decision."""
        return self.estimates[estimator].value - self.true_value


def check_ope(customers: int = 10000, seed: int = 2) -> list[OpeCheck]:
    """Log with the random policy, estimate every target, then run it for its true value."""
    config = WorldConfig(seed=seed, customers=customers, months=1)
    logged, truth = _run(config, RandomPolicy(Checkpoints(SINGLE_TOUCH)))
    rewards = invoice_values(truth, logged)
    by_arm: dict[str, list[float]] = defaultdict(list)
    for d in logged:
        by_arm[arm_of(d)].append(rewards[d.decision_id])
    overall = sum(rewards.values()) / len(rewards)
    arm_mean = {a: sum(v) / len(v) for a, v in by_arm.items()}

    def model(decision: Decision, arm: str) -> float:
        return arm_mean.get(arm, overall)

    checks = []
    for target in targets():
        data = logged_from_decisions(logged, rewards, target.distribution, reward_model=model)
        estimates = evaluate(data)
        ran, ran_truth = _run(config, target.policy())
        values = invoice_values(ran_truth, ran)
        true_value = sum(values.values()) / len(values)
        checks.append(OpeCheck(target.name, true_value, estimates, len(logged)))
    return checks


def describe(checks: list[OpeCheck]) -> list[str]:
    """Readable lines: target, truth, each estimate with its interval and error."""
    lines = []
    for c in checks:
        lines.append(f"{c.target}: true value {c.true_value:.2f} SEK per decision")
        for name, e in c.estimates.items():
            lo, hi = e.ci
            lines.append(
                f"  {name:5s} {e.value:8.2f}  95% CI [{lo:.2f}, {hi:.2f}]  "
                f"error {c.error(name):+.2f}  ess {e.ess:.0f}"
            )
    return lines
