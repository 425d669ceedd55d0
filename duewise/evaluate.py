"""Run several policies on the same simulated world and compare what each would have done.

Every policy sees the very same customers with the very same hidden draws (common random
numbers), so differences in the KPIs are caused by the policies alone. ``oracle`` is the greedy
policy on the world's exact what-if values: an upper bound no real policy can reach.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from duewise.bootstrap import POLICIES, build_engine, build_learner, learned_config
from duewise.learning import Learner
from duewise.settings import Settings
from duewise.simloop import run_world
from engine.guardrails import Candidate
from engine.guardrails.calendar import earliest_send
from engine.policies import GreedyPolicy, Policy
from engine.policies.base import DecisionContext
from engine.policies.learned import LearnedPolicy
from engine.policies.simple import options_for
from engine.valuation import ModelHandle
from schemas.enums import Action
from schemas.events import EventBase
from schemas.outbound import Decision
from sim.kpi import Kpis, compute_kpis
from sim.truth import WorldTruth
from sim.world import World, WorldConfig

KNOWN_POLICIES = (*POLICIES, "oracle")


@dataclass
class PolicyRun:
    """One policy's run: its decisions, the world's truth afterwards, and the KPIs."""

    policy: str
    decisions: list[Decision]
    truth: WorldTruth
    kpis: Kpis
    events: int
    events_log: list[EventBase] = field(default_factory=list)
    learner: Learner | None = None


def oracle_policy(world: World) -> Policy:
    """Greedy on the world's exact value of each allowed action (and of waiting).

    Each candidate is valued as the world would meet it: at the time quiet hours let it go
    out, with the payment options the policy would offer.
    """

    def score(ctx: DecisionContext, candidate: Candidate | None) -> float:
        if candidate is None:
            return world.value_if(ctx.invoice.invoice_id, Action.WAIT, None, ctx.at)
        quiet, holidays = ctx.pack.quiet_hours, ctx.pack.holidays
        tz = ctx.customer.timezone
        send_at = earliest_send(ctx.at, tz, candidate.channel, quiet, holidays)
        offered = frozenset(options_for(candidate, ctx))
        return world.value_if(
            ctx.invoice.invoice_id, candidate.action, candidate.channel, send_at, offered
        )

    return GreedyPolicy(score, name="oracle", arm="oracle")


def run_policy(
    name: str,
    config: WorldConfig,
    settings: Settings | None = None,
    keep_events: bool = False,
    on_event: Callable[[EventBase], None] | None = None,
) -> PolicyRun:
    """Run policy ``name`` on a fresh world built from ``config`` until the world's end."""
    if name not in KNOWN_POLICIES:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(KNOWN_POLICIES)}")
    world = World(config)
    settings = settings or Settings()
    learner = None
    if name == "oracle":
        engine = build_engine(settings, policy=oracle_policy(world))
    else:
        if name == "learned":
            learner = build_learner(settings)
        engine = build_engine(replace_policy(settings, name), learner=learner)
    decisions: list[Decision] = []
    log: list[EventBase] = []
    count = 0

    def seen(event: EventBase) -> None:
        nonlocal count
        count += 1
        if keep_events:
            log.append(event)
        if on_event is not None:
            on_event(event)

    run_world(world, engine, world.end, on_event=seen, on_decision=decisions.append)
    truth = world.truth()
    kpis = compute_kpis(truth, decisions)
    return PolicyRun(name, decisions, truth, kpis, count, log, learner)


def holdout_membership(settings: Settings) -> Callable[[str], bool]:
    """Whether a customer is in the learned policy's holdout under ``settings``."""
    return LearnedPolicy(ModelHandle(), learned_config(settings)).in_holdout


def replace_policy(settings: Settings, name: str) -> Settings:
    """The same settings with another policy."""
    return settings.model_copy(update={"policy": name})


def run_policies(
    names: list[str],
    config: WorldConfig,
    settings: Settings | None = None,
    on_event: Callable[[str, EventBase], None] | None = None,
) -> list[PolicyRun]:
    """Run each policy on its own fresh copy of the same world."""
    runs = []
    for name in names:
        hook = (lambda e, n=name: on_event(n, e)) if on_event is not None else None
        runs.append(run_policy(name, replace(config), settings, on_event=hook))
    return runs


def world_end(config: WorldConfig) -> datetime:
    """When a run on ``config`` stops (for progress bars)."""
    return World(replace(config, customers=0)).end
