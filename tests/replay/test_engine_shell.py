"""The embedded shell around the core: a misbehaving policy must not take the runtime down."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from duewise.embedded import Engine
from engine import EngineContext
from engine.guardrails import RulePack
from engine.policies.base import Choice, DecisionContext
from engine.state import CustomerState, InvoiceState
from engine.step import MAX_DECISIONS_PER_ADVANCE
from schemas.outbound import Decision
from tests import builders as b


class Restless:
    """A policy that always wants to decide again at once: the bug a learned policy could have."""

    name = "restless"

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        return invoice.last_point_at or invoice.issued_at

    def choose(self, ctx: DecisionContext) -> Choice:
        return Choice(None, 1.0, "ladder", ("restless",))


def within(seconds: float, work: Callable[[], list[Decision]]) -> list[Decision]:
    """Run ``work`` in a daemon thread; fail if it has not returned after ``seconds``."""
    out: list[list[Decision]] = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the engine hung"
    return out[0]


def test_a_policy_that_never_stops_deciding_cannot_hang_advance() -> None:
    engine = Engine(EngineContext(Restless(), RulePack()))
    issued = b.invoice_issued("c1", "i1", due="2026-09-28", at="2026-09-01T06:00")
    first = within(10, lambda: engine.handle(issued))
    assert len(first) == MAX_DECISIONS_PER_ADVANCE
    later = within(10, lambda: engine.advance(datetime(2026, 9, 2, tzinfo=UTC)))
    assert len(later) == MAX_DECISIONS_PER_ADVANCE, "one guarded batch per call"
    assert engine.notices["decision_loop_guard"] == 2


def test_a_restless_customer_does_not_starve_the_others() -> None:
    engine = Engine(EngineContext(Restless(), RulePack()))
    within(10, lambda: engine.handle(b.invoice_issued("c1", "i1", at="2026-09-01T06:00")))
    within(10, lambda: engine.handle(b.invoice_issued("c2", "i2", at="2026-09-01T07:00")))
    released = within(10, lambda: engine.advance(datetime(2026, 9, 1, 8, tzinfo=UTC)))
    assert {d.customer_id for d in released} == {"c1", "c2"}
    assert all(d.decided_at <= datetime(2026, 9, 1, 8, tzinfo=UTC) for d in released)
