"""Engine-run builders: the engine's fixed context and ``run``, which drives events and time
through the engine and collects the final state, decisions and notices.
"""

from __future__ import annotations

from typing import Any

from engine.guardrails import RulePack
from engine.policies import LadderPolicy
from engine.reducer import Notice
from engine.state import CustomerState
from engine.step import EngineContext, advance, step
from schemas import events as ev
from schemas.outbound import Decision
from tests.builders.times import Moment, at


def engine_context(
    pack: RulePack | None = None, policy: Any = None, seed: int = 0
) -> EngineContext:
    """The engine's fixed context; the ladder and Swedish rules unless told otherwise."""
    return EngineContext(policy or LadderPolicy(), pack or RulePack(), seed)


class Run:
    """The outcome of :func:`run`: the final state, every decision and every notice."""

    def __init__(
        self, state: CustomerState | None, decisions: list[Decision], notices: list[Notice]
    ) -> None:
        self.state = state
        self.decisions = decisions
        self.notices = notices

    @property
    def actions(self) -> list[Decision]:
        """Decisions a notifier acts on (every one but waits)."""
        return [d for d in self.decisions if d.actionable]

    def summary(self) -> list[tuple[str, str, str | None]]:
        """``(decided_at ISO, action, channel)`` of every actionable decision, for asserts."""
        return [
            (d.decided_at.isoformat(), d.action.value, d.channel.value if d.channel else None)
            for d in self.actions
        ]


def run(
    *events: ev.EventBase,
    until: Moment | None = None,
    ctx: EngineContext | None = None,
    state: CustomerState | None = None,
) -> Run:
    """Feed ``events`` (in the given order) through :func:`engine.step.step`, then advance the
    clock to ``until``; everything one customer's runtime would do."""
    ctx = ctx or engine_context()
    decisions: list[Decision] = []
    notices: list[Notice] = []
    for event in events:
        result = step(state, event, ctx)
        state = result.state
        decisions.extend(result.decisions)
        notices.extend(result.notices)
    if until is not None and state is not None:
        result = advance(state, at(until), ctx)
        decisions.extend(result.decisions)
        notices.extend(result.notices)
    return Run(state, decisions, notices)
