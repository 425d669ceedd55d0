"""The loop that runs a policy against a simulated world: events in, decisions out, reactions back.

It is a discrete-event loop over two clocks: the world's next event and the engine's next
scheduled decision. Whichever is earlier happens first; on a tie the engine decides first, as
the replay does (it advances to an event's time before applying it), so the event log the world
wrote replays through ``duewise replay`` to the very same decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from duewise.embedded import Engine
from schemas.events import EventBase
from schemas.outbound import Decision


class World(Protocol):
    """What the loop needs of a world (``sim.World`` implements it)."""

    def peek(self) -> datetime | None:
        """Time of the world's next event, ``None`` when it has nothing more to say."""
        ...

    def pop(self) -> EventBase:
        """Remove and return the next event."""
        ...

    def observe(self, decision: Decision) -> None:
        """Learn of a decision; the world schedules the customer's reactions to it."""
        ...


def run_world(
    world: World,
    engine: Engine,
    end: datetime,
    on_event: Callable[[EventBase], None] | None = None,
    on_decision: Callable[[Decision], None] | None = None,
) -> None:
    """Run until ``end``: feed world events to the engine and the engine's decisions back."""

    def decided(decisions: list[Decision]) -> None:
        for decision in decisions:
            world.observe(decision)
            if on_decision is not None:
                on_decision(decision)

    while True:
        event_at = world.peek()
        wake_at = engine.next_wake()
        if wake_at is not None and wake_at <= end and (event_at is None or wake_at <= event_at):
            decided(engine.advance(wake_at))
            continue
        if event_at is None or event_at > end:
            return
        event = world.pop()
        if on_event is not None:
            on_event(event)
        decided(engine.handle(event))
