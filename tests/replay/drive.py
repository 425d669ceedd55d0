"""Drive an embedded engine through events the way ``duewise.replay`` does, keeping track of
how many events each decision had seen (what :func:`tests.replay.invariants.check_run` needs)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from duewise.embedded import Engine
from schemas.codec import decode_event, encode
from schemas.events import EventBase
from schemas.outbound import Decision

Tagged = list[tuple[int, Decision]]


def decode_lines(data: bytes) -> list[EventBase]:
    """The events of a JSON Lines log."""
    return [decode_event(line) for line in data.splitlines() if line.strip()]


def drive(
    engine: Engine,
    events: Sequence[EventBase],
    until: datetime | None,
    ticks: Iterable[datetime] = (),
) -> Tagged:
    """Advance to each event's time, hand it over, then advance to ``until``.

    ``ticks`` are extra clock times (sorted) at which the engine is advanced between events,
    as a streaming worker's timer would; they must not change any decision.
    """
    pending = sorted(ticks)
    tagged: Tagged = []
    for index, event in enumerate(events):
        while pending and pending[0] < event.occurred_at:
            tagged += [(index, d) for d in engine.advance(pending.pop(0))]
        tagged += [(index, d) for d in engine.advance(event.occurred_at)]
        tagged += [(index + 1, d) for d in engine.handle(event)]
    for tick in pending:
        tagged += [(len(events), d) for d in engine.advance(tick)]
    if until is not None:
        tagged += [(len(events), d) for d in engine.advance(until)]
    return tagged


def lines(decisions: Iterable[Decision]) -> bytes:
    """Decisions as the replay writes them."""
    return b"".join(encode(d) + b"\n" for d in decisions)
