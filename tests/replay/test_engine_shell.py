"""The embedded shell around the core: a misbehaving policy must not take the runtime down."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from duewise.embedded import Engine
from engine import EngineContext
from engine.guardrails import RulePack
from engine.policies.base import Choice, DecisionContext
from engine.state import CustomerState, InvoiceState
from engine.step import MAX_POINTS_PER_INSTANT
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
    assert len(first) == MAX_POINTS_PER_INSTANT
    assert engine.notices["decision_loop_guard"] == 1
    later = within(10, lambda: engine.advance(datetime(2026, 9, 2, tzinfo=UTC)))
    assert later == [], "the guard parks the invoice until an event reschedules it"
    paid = b.payment_received("c1", 100, invoice="i1", at="2026-09-03T06:00")
    again = within(10, lambda: engine.handle(paid))
    assert len(again) == MAX_POINTS_PER_INSTANT
    assert engine.notices["decision_loop_guard"] == 2


def test_the_loop_guard_fires_at_the_same_decision_whatever_the_clock_rhythm() -> None:
    """The guard counts decisions per invoice and instant, never per call."""
    events = [b.invoice_issued("c1", f"i{n}", at=f"2026-09-01T06:0{n}") for n in range(3)]
    outputs = []
    for ticks in ([], [datetime(2026, 9, 1, 6, 1, tzinfo=UTC)] * 5):
        engine = Engine(EngineContext(Restless(), RulePack()))
        made = [d for tick in ticks for d in engine.advance(tick)]
        for event in events:
            made += within(10, lambda e=engine, event=event: e.handle(event))
        made += engine.advance(datetime(2026, 9, 2, tzinfo=UTC))
        outputs.append([d.model_dump_json() for d in made])
    assert outputs[0] == outputs[1]
    # Each event reschedules every open invoice: 1, then 2, then 3 restless invoices.
    assert len(outputs[0]) == (1 + 2 + 3) * MAX_POINTS_PER_INSTANT


def test_a_restless_customer_does_not_starve_the_others() -> None:
    engine = Engine(EngineContext(Restless(), RulePack()))
    made = within(10, lambda: engine.handle(b.invoice_issued("c1", "i1", at="2026-09-01T06:00")))
    made += within(10, lambda: engine.handle(b.invoice_issued("c2", "i2", at="2026-09-01T07:00")))
    made += within(10, lambda: engine.advance(datetime(2026, 9, 1, 8, tzinfo=UTC)))
    per_customer = Counter(d.customer_id for d in made)
    assert per_customer == {"c1": MAX_POINTS_PER_INSTANT, "c2": MAX_POINTS_PER_INSTANT}
    assert engine.notices["decision_loop_guard"] == 2
