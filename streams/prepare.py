"""Scheduled decisions prepared ahead of their time, while the worker is idle.

Why. The ladder decides at 06:00 local time, so a billing run makes about a thousand customers
due at one instant, and each costs a few tenths of a millisecond to advance and encode: the
last of a burst is sent some 300 ms after the record that moved the clock. The worker is idle
most of the time before that instant. So :meth:`streams.batch.PartitionedDecider.prepare`
advances a *copy* of the state of the customers whose wakes come next, to their wake, and
keeps the result here: the new state, the encoded output records and the decisions. When the
partition's clock really reaches the wake, releasing the customer is swapping the state in and
appending the ready records.

When a prepared result is the live one. Preparing customer C with wake W is
``advance(copy, W)``; the live release is ``advance(state, R)`` with R, the partition's clock,
at or after W. Decisions are made at their scheduled times and outcomes resolve at due, close
or churn times, never at ``now``; close and churn times are event times, which are never after
the customer's present, and every wake is after it. So the two agree exactly when nothing else
falls due in (W, R]: when the prepared state's next wake is after R (or there is none). Else
the prepared result is dropped and the release computed live (:attr:`Prepared.after`).
Swapping it in and releasing the customer again at R would give the same bytes only if nothing
about the customer came in between; a late event can (every event is late in ``wall`` mode),
so that is not done. A result with notices is never kept (their dead letters carry the clock
at release), nor one made under other models than those in use at release
(:func:`model_token`).

What invalidates one. Every change of a customer (an event, a release, an erasure) goes
through the decider's ``_keep``, which drops the customer's prepared result; a rebalance
forgets them all.

Two steps at once. A result whose state wakes again within :data:`CHAIN_WITHIN` carries that
next release too, prepared from its state (:attr:`Prepared.then`); released, it leaves the
next one as the customer's result. The same argument holds for it: it is the live release
at its wake when nothing changed the customer since, and any change drops it with the first.

Which wakes. The earliest first, up to ``limit``, and only those within
``Settings.prepare_horizon_hours`` of the partition's next release: its clock, or its earliest
wake when that is later (:attr:`Ahead.horizon` says why). A wrong guess costs a preparation
that an event drops: replaying at 1,000 events/s in ``event`` mode (clocks leaping days), with
240 h and 4,000 results 4.5 preparations were made per one used, about a quarter of a core the
worker had idle, and 96-97% of releases were served prepared (120 h and 2,000: 3.4 per use,
92-94%, and the rest came in bursts of hundreds released live).

When. Only while every output handed to the producer is acknowledged
(:meth:`streams.sink.Sink.delivered`): a slice of preparing holds the event loop for a few
milliseconds, and the producer needs it to send a burst's decisions.

Memory. At most ``limit`` results are kept (``Settings.prepare_ahead``); each holds a decoded
state and its records and decisions: about 48 KB per prepared customer after a simulated year
(``bench/prepare_cost.py``). States replaced at release are held until the next idle time
(:meth:`Ahead.retire`), so that takes no more. The heap of upcoming wakes holds one small
tuple per scheduled wake, like the partitions' agendas.

Costs (``bench/prepare_cost.py``, 2,000 customers after 11 months, ladder): preparing ~0.4 ms
per customer (of which the copy ~0.1 ms), releasing a prepared customer ~9 us against ~160 us
live (~190 us in a 06:00 burst, where most make a decision): 1,668 due at once took 14 ms
instead of 320 ms.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from engine.policies.base import Policy
from engine.state import CustomerState
from streams.agenda import EPOCH, Agendas

if TYPE_CHECKING:
    from streams.records import Batch

CHAIN_WITHIN = timedelta(hours=24)
"""A prepared result whose state wakes again within this is prepared one step further too
(:attr:`Prepared.then`). Why: some customers have two wakes a day (a reminder at 06:00 local,
a window closing at midnight); released at the first, the second was queued for idle time,
and a replayed clock reaching it a few milliseconds later found it unprepared (measured: 170
of the ~215 customers a minute released live in a 1,000 events/s replay). Live, idle time
comes first; the second step then costs an idle preparation it would have cost anyway."""
FREED_PER_CALL = 16
"""Replaced states freed per preparation (~10 us each): freeing a whole burst's at once
would hold the lock for as long as the burst saved."""


def copy_state(state: CustomerState) -> CustomerState:
    """An independent copy of ``state`` that :func:`engine.step.advance` may mutate.

    Dumped to Python objects and validated again: about 0.1 ms for a customer with a year of
    history, a quarter of ``model_copy(deep=True)`` (``copy.deepcopy`` of every pydantic
    object, ~0.4 ms); a row decode is cheaper still, and used when the state is not cached.
    """
    return type(state).model_validate(state.model_dump())


ModelToken = tuple[str | None, int, int] | None
"""What :func:`model_token` returns: the models' version and identities, or ``None``."""


def model_token(policy: Policy) -> ModelToken:
    """What identifies the models a policy decides with now (``None``: it has none).

    A learned policy reads its models through a :class:`engine.valuation.ModelHandle` whose
    pair is swapped when a snapshot arrives; a result prepared under another pair is dropped.
    The objects' identities besides the version, so that a swap that kept the version string
    is noticed too. A policy whose choices depend on anything else that changes between
    preparation and release (none of those the settings name) would need its own token here.
    """
    handle = getattr(policy, "handle", None)
    if handle is None:
        return None
    return (handle.version, id(handle.pay), id(handle.churn))


@dataclass(slots=True)
class Prepared:
    """One customer advanced to its wake: what its release will send and keep."""

    wake: datetime
    partition: int
    state: CustomerState
    applied: dict[str, int]
    """The input offsets the state holds, per topic (``streams.rows``): the customer may have
    left the cache by its release, and its row must keep them. An event in between would drop
    the result, so they are still the customer's at release."""
    after: datetime | None
    """The prepared state's next wake: the result holds at any clock before it."""
    token: ModelToken
    ready: Batch
    """The encoded records, decisions and latest decisions, as the live release makes them."""
    then: Prepared | None = None
    """The release at :attr:`after`, prepared from :attr:`state` (see :data:`CHAIN_WITHIN`):
    kept as the customer's result once this one is released."""

    def holds(self, wake: datetime, now: datetime, token: ModelToken) -> bool:
        """Whether releasing at ``now`` the customer due at ``wake`` gives exactly this."""
        return (
            wake == self.wake and token == self.token and (self.after is None or self.after > now)
        )


class Ahead:
    """The wakes still to prepare (a heap across partitions) and the prepared results.

    ``limit`` bounds the results kept; ``0`` disables preparation (nothing is queued). When
    the store is full and an earlier wake comes up, the latest prepared result makes room.
    """

    def __init__(
        self, limit: int, stats: Counter[str], horizon: timedelta = timedelta(hours=240)
    ) -> None:
        self.limit = limit
        self.horizon = horizon
        """Only wakes this close to their partition's next release are prepared (the rest
        would mostly be dropped by an event before their time): to its clock, or to its
        earliest wake when that is later. Why the wake: a replayed log's clock leaps days at a
        time once a billing run has gone by; measured from the clock, the next 06:00 run came
        within reach a moment before it was due, and ~650 customers were released live."""
        self.stats = stats
        self.ready: dict[str, Prepared] = {}
        self._upcoming: list[tuple[datetime, int, str]] = []
        self._latest: tuple[datetime, str] | None = None
        """The latest wake prepared, if known (recomputed when it leaves)."""
        self._retired: list[CustomerState | Prepared] = []
        """States replaced by prepared ones, and results an event dropped, freed a few at a
        time by :meth:`next` (idle time): a year of history is thousands of objects, and
        freeing them took most of a release (and ~26 us of an event dropping one: a billing
        run's invoices drop hundreds at once)."""

    def retire(self, state: CustomerState | None) -> None:
        """Hold a replaced state until idle time. They stay about ``limit`` at most: a
        result is prepared (one call of :meth:`next`) for every state retired or result
        dropped, and each call frees :data:`FREED_PER_CALL`."""
        if state is not None:
            self._retired.append(state)

    def push(self, wake: datetime, partition: int, customer_id: str) -> None:
        """Queue a customer's (new) wake for preparation."""
        if self.limit > 0:
            heapq.heappush(self._upcoming, (wake, partition, customer_id))

    def drop(self, customer_id: str) -> bool:
        """Forget a customer's prepared result (it changed); whether there was one."""
        prepared = self.ready.pop(customer_id, None)
        if prepared is None:
            return False
        self.stats["prepared_dropped"] += 1
        if self._latest == (prepared.wake, customer_id):
            self._latest = None
        self._retired.append(prepared)  # freed when idle: ~26 us each, in an event's batch
        return True

    def take(
        self, customer_id: str, wake: datetime, now: datetime, token: ModelToken
    ) -> Prepared | None:
        """The customer's prepared result if it is the live release at ``now``, else ``None``
        (a result that no longer holds is dropped)."""
        prepared = self.ready.pop(customer_id, None)
        if prepared is None:
            return None
        if self._latest == (prepared.wake, customer_id):
            self._latest = None
        if prepared.holds(wake, now, token):
            self.stats["prepared_used"] += 1
            return prepared
        self.stats["prepared_stale"] += 1
        return None

    def keep(self, customer_id: str, prepared: Prepared) -> None:
        """Store a prepared result until its release."""
        self.ready[customer_id] = prepared
        if self._latest is not None and (prepared.wake, customer_id) > self._latest:
            self._latest = (prepared.wake, customer_id)
        self.stats["prepared"] += 1

    def next(self, agendas: Agendas) -> tuple[datetime, int, str] | None:
        """Pop the earliest wake worth preparing: live (the agendas still say so), not due yet
        by its partition's clock (due customers are released, not prepared) and not prepared
        yet, within :attr:`horizon` of its partition's next release. ``None`` when there is
        none, the earliest is beyond the horizon, or the store is full of earlier wakes."""
        del self._retired[-FREED_PER_CALL:]
        upcoming = self._upcoming
        while upcoming:
            wake, partition, customer_id = upcoming[0]
            clock = agendas.clocks.get(partition, EPOCH)
            if agendas.wakes.get(customer_id) != wake or wake <= clock or customer_id in self.ready:
                heapq.heappop(upcoming)
                continue
            since = max(clock, agendas.earliest(partition) or clock)
            if wake - since > self.horizon:
                return None  # the heap is in wake order: the next ones are further still
            if len(self.ready) >= self.limit and not self._make_room(wake):
                return None
            return heapq.heappop(upcoming)
        return None

    def _make_room(self, wake: datetime) -> bool:
        """Evict the latest prepared result if ``wake`` comes before it (it is queued again)."""
        if self._latest is None:
            self._latest = max((p.wake, c) for c, p in self.ready.items())
        latest_wake, customer_id = self._latest
        if latest_wake <= wake:
            return False
        prepared = self.ready.pop(customer_id)
        self._latest = None
        self.stats["prepared_evicted"] += 1
        self.push(prepared.wake, prepared.partition, customer_id)
        return True

    def clear(self) -> None:
        """Forget everything (a rebalance)."""
        self.ready.clear()
        self._upcoming.clear()
        self._retired.clear()
        self._latest = None
