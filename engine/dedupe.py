"""Recognising a re-delivered event: which event ids a customer remembers, and for how long.

The streaming worker recognises records it reads again after a crash by the input offsets in
each customer's row (:mod:`streams.rows`), exactly; the ids here are what is left for an event
sent twice by an upstream system, and for the embedded replay.

Why. Delivery is at least once: after a crash or a rebalance a worker sees events again, and an
upstream system may retry one. The reducer ignores an event whose id it has seen. Remembering
every id for ever would grow a customer's row (one row of the streaming table, written to its
changelog every time the customer is touched) with the length of its history, so ids are kept
for a window of the customer's *event time* instead, with a floor and a cap. Event time only,
never a clock: the streaming worker and the embedded replay forget alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

SEEN_WINDOW = timedelta(days=35)
"""How long (in the customer's event time) an event id is remembered to ignore a re-delivery.

A re-delivery after a crash or a rebalance comes seconds to minutes later; an upstream system
that retries does so within hours or days. Five weeks covers both with room, and is short
enough that a customer's memory of ids does not grow with its history: a monthly biller's
customer sees a handful of events in five weeks, not the hundreds of its whole life."""
SEEN_IDS_FLOOR = 16
"""The newest ids are kept whatever their age: a customer quiet for longer than the window still
recognises a re-delivery of its last events when they come after its first event since the
silence (which moves its present, and so the window, far ahead)."""
SEEN_IDS_KEPT = 256
"""A hard cap whatever the window: a burst of events keeps at most this many ids."""


def remember(seen: dict[str, date], event_id: str, present: datetime) -> None:
    """Remember ``event_id`` as seen on the day of ``present`` (the customer's latest event
    time, UTC), then forget the ids seen on days before the window (:data:`SEEN_WINDOW` before
    ``present``), keeping at least the newest :data:`SEEN_IDS_FLOOR` and at most
    :data:`SEEN_IDS_KEPT`.

    Why the customer's present and not the event's own time: a late event (one that occurred
    long ago) is being delivered now, and its re-delivery comes after now, so it must be
    remembered from now. The present never moves back, so ``seen`` stays oldest first and only
    its front is looked at: one comparison after a typical event. Event time only, never a
    clock, so both runtimes forget alike. An id forgotten is a re-delivery taken for new: that
    is the price of a bounded row, paid only by a re-delivery later than the window.
    """
    if event_id not in seen:  # a re-delivered erasure is remembered on its first day
        seen[event_id] = present.date()
    excess = len(seen) - SEEN_IDS_FLOOR
    if excess <= 0:
        return
    horizon = (present - SEEN_WINDOW).date()
    stale: list[str] = []
    for old, day in seen.items():
        if len(stale) >= excess or (len(seen) - len(stale) <= SEEN_IDS_KEPT and day >= horizon):
            break
        stale.append(old)
    for old in stale:
        del seen[old]
