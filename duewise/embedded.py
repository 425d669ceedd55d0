"""The embedded runtime: the engine in one process, with its state in a dict.

It is the imperative shell around :func:`engine.step`: it keeps each customer's state, an agenda
of when each customer next needs a decision (or an outcome resolves), and the clock, which moves
only when the caller passes time in. The streaming worker is the other shell around the same
core. Resolved outcomes go to ``on_outcomes`` as soon as the core emits them: in embedded mode
that is the learner itself (learning is global, deciding is local; here both run in one process).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from engine import EngineContext, StepResult, advance, step
from engine.reducer import DEAD_LETTER_NOTICES, Notice
from engine.state import CustomerState
from schemas.codec import decode_event
from schemas.events import EventBase
from schemas.outbound import Decision, Outcome


def _order(decisions: Iterable[Decision]) -> list[Decision]:
    return sorted(decisions, key=lambda d: (d.decided_at, d.customer_id, d.decision_id))


class Engine:
    """Dunning decisions for many customers, driven by events and explicit time.

    Examples
    --------
    >>> from duewise import build_engine
    >>> engine = build_engine()
    >>> engine.handle({
    ...     "type": "invoice_issued", "schema_version": 1, "event_id": "e1",
    ...     "occurred_at": "2026-09-01T06:00:00Z", "customer_id": "c1", "source": "billing",
    ...     "invoice_id": "inv-1", "amount_minor": 49900, "currency": "SEK",
    ...     "issue_date": "2026-09-01", "due_date": "2026-09-30", "payment_methods": ["swish"],
    ... })
    []
    >>> [(d.action.value, d.channel.value) for d in engine.advance(
    ...     datetime.fromisoformat("2026-10-06T00:00:00+00:00"))]
    [('remind', 'email')]
    """

    def __init__(
        self,
        context: EngineContext,
        on_outcomes: Callable[[list[Outcome]], None] | None = None,
    ) -> None:
        self.context = context
        self.on_outcomes = on_outcomes
        self.outcomes_resolved = 0
        self.states: dict[str, CustomerState] = {}
        self.clock: datetime | None = None
        self.notices: Counter[str] = Counter()
        self.dead_notices: list[Notice] = []
        self._agenda: list[tuple[datetime, str]] = []

    def handle(self, event: EventBase | dict[str, Any] | bytes | str) -> list[Decision]:
        """Apply one event at its own time; return this customer's decisions it released.

        Raises :class:`schemas.codec.DecodeError` for input that is not a valid event.
        """
        if not isinstance(event, EventBase):
            event = decode_event(event)
        customer_id = event.customer_id
        result = step(self.states.get(customer_id), event, self.context)
        self._keep(customer_id, result)
        if self.clock is None or event.occurred_at > self.clock:
            self.clock = event.occurred_at
        return _order(result.decisions)

    def advance(self, now: datetime) -> list[Decision]:
        """Move the clock to ``now``; return every decision that fell due, in time order."""
        if self.clock is None or now > self.clock:
            self.clock = now
        due: set[str] = set()
        while self._agenda and self._agenda[0][0] <= now:
            wake, customer_id = heapq.heappop(self._agenda)
            state = self.states.get(customer_id)
            if state is not None and state.next_wake() == wake:
                due.add(customer_id)  # else stale: the customer was rescheduled or erased
        released: list[Decision] = []
        # Each due customer once per call: one whose decisions never stop coming due (a policy
        # bug the core's loop guard reports) waits for the next call instead of hanging this one.
        for customer_id in sorted(due):
            result = advance(self.states[customer_id], now, self.context)
            self._keep(customer_id, result)
            released.extend(result.decisions)
        return _order(released)

    def next_wake(self) -> datetime | None:
        """The earliest scheduled decision time of any customer (``None``: nothing scheduled).

        Lets a driver (the simulator loop) jump straight to the next moment something happens.
        """
        while self._agenda:
            wake, customer_id = self._agenda[0]
            state = self.states.get(customer_id)
            if state is not None and state.next_wake() == wake:
                return wake
            heapq.heappop(self._agenda)
        return None

    def _keep(self, customer_id: str, result: StepResult) -> None:
        if result.outcomes:
            self.outcomes_resolved += len(result.outcomes)
            if self.on_outcomes is not None:
                self.on_outcomes(result.outcomes)
        for notice in result.notices:
            self.notices[notice.kind] += 1
            if notice.kind in DEAD_LETTER_NOTICES:
                self.dead_notices.append(notice)
        if result.state is None:
            self.states.pop(customer_id, None)
            return
        self.states[customer_id] = result.state
        wake = result.state.next_wake()
        if wake is not None:
            heapq.heappush(self._agenda, (wake, customer_id))

    def take_dead_notices(self) -> list[Notice]:
        """Hand over (and forget) the notices that belong in the dead-letter stream."""
        taken, self.dead_notices = self.dead_notices, []
        return taken
