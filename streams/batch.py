"""The decider's shell around the engine core, without Faust: a batch of records in, what to send
and which table rows to write out.

It is the streaming twin of :class:`duewise.embedded.Engine`, split by partition, because a
worker owns some partitions of the input and nothing else:

* **Time per partition.** In ``event`` mode each partition has its own clock, the largest
  ``occurred_at`` seen in it (or a clock record sent by ``duewise produce``); before an event is
  applied, its own customer is advanced to its time (by :func:`engine.step`), and the other
  customers of the partition whose decisions fell due are released by :meth:`release`. One
  customer's events are in one partition in log order, and the core makes each decision at its
  own scheduled time whenever it is advanced, so this gives exactly the decisions of the
  embedded replay. A worker-wide clock would not: a partition read ahead of another would
  release decisions before events that precede them in the log. In ``wall`` mode the caller
  passes the wall clock to :meth:`PartitionedDecider.tick`.
* **Scheduled decisions do not hold up events.** The ladder decides at 06:00 local time, so a
  partition's clock crossing 06:00 makes hundreds of customers due at once (at ~0.7 ms a
  decision). Released inline, that burst would delay every event behind it; with
  ``release_inline=False`` the shell releases them in slices between batches
  (:meth:`release`), earliest first, and an event of a due customer still gets that customer's
  due decisions first, since :func:`engine.step` advances its customer before applying it.
  Decisions are identical either way; only their interleaving across customers differs.
* **Prepared ahead.** While idle the shell can advance copies of the customers whose wakes come
  next (:meth:`PartitionedDecider.prepare`, :mod:`streams.prepare`); releasing them is then
  swapping in a ready result, ~20 times cheaper, when nothing has changed it since.
* **State.** The changelogged table holds every row (:mod:`streams.rows`); decoded states of
  recently seen customers stay in a bounded cache (:mod:`streams.customers`), and a customer's
  row is written once per batch, or with ``rows=False`` once per
  :meth:`PartitionedDecider.flush` (earlier if the cache lets it go), however many of its
  events came in between. A record whose offset the customer's row already holds (read again
  after a crash) is skipped, exactly.
* **Nothing dropped.** A record that is not a valid event, is keyed by another customer than
  its own, or is an unreadable clock record becomes a dead letter with the reason.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from engine import EngineContext, StepResult, advance, step
from engine.state import CustomerState
from schemas.codec import DecodeError, decode_event
from streams.agenda import EPOCH, Agendas
from streams.customers import Customers
from streams.emit import emit, refuse
from streams.prepare import Ahead, model_token
from streams.preparing import Preparer
from streams.records import CLOCK, Batch, Inbound
from streams.rows import read_header


class PartitionedDecider:
    """Per-partition clocks, agendas and a state cache around :func:`engine.step`.

    ``load(customer_id, partition)`` reads a customer's row from the table (``None``: a new
    customer).
    """

    def __init__(
        self,
        context: EngineContext,
        load: Callable[[str, int], bytes | None],
        clock: str = "wall",
        cache_size: int = 200_000,
        release_inline: bool = True,
        prepare_ahead: int = 0,
        prepare_horizon: timedelta = timedelta(hours=240),
    ) -> None:
        if clock not in ("wall", "event"):
            raise ValueError(f"clock must be 'wall' or 'event', not {clock!r}")
        self.context = context
        self.clock = clock
        self.release_inline = release_inline
        self.agendas = Agendas()
        """The partitions' clocks and who is due when."""
        self.customers = Customers(load, cache_size)
        """Cached states, changed customers, applied offsets (:mod:`streams.customers`)."""
        self.stats: Counter[str] = Counter()
        self._ahead = Ahead(prepare_ahead, self.stats, prepare_horizon)
        """Releases prepared ahead of their time (:mod:`streams.prepare`, :meth:`prepare`)."""
        self._preparer = Preparer(self.customers, self._ahead, self.stats)

    # --- partitions coming and going --------------------------------------------------------
    def adopt(self, rows: Iterable[tuple[bytes, bytes]]) -> int:
        """Schedule the customers of newly owned partitions from their rows' headers."""
        count = 0
        for key, row in rows:
            partition, wake = read_header(row)
            if wake is not None:
                self._schedule(partition, key.decode(), wake)
            count += 1
        return count

    def forget(self) -> None:
        """Drop everything this worker knew of its partitions, at a rebalance: the table,
        recovered afterwards, is the truth, and :meth:`adopt` rebuilds the agendas from it.

        Changes not yet written (see :meth:`flush`) would be lost with the cache: the shell
        flushes before a rebalance forgets, and this refuses to forget them silently.
        """
        self.customers.clear()
        self.agendas.clear()
        self._ahead.clear()

    # --- the work -----------------------------------------------------------------------------
    def process(
        self, records: Iterable[Inbound], now: datetime | None = None, rows: bool = True
    ) -> Batch:
        """Apply ``records`` in order; ``now`` (wall mode) stamps dead letters.

        With ``rows=False`` the changed customers stay dirty in the cache and the batch carries
        rows only for those the cache must let go of; :meth:`flush` writes the rest later. A
        customer busy in several batches is then encoded once, not once per batch.
        """
        batch = Batch()
        for record in records:
            self._record(record, batch, now)
        if self.release_inline:
            self._release(batch, None, None)
        self._finish(batch, rows)
        return batch

    def tick(self, now: datetime, partitions: Iterable[int], rows: bool = True) -> Batch:
        """Move the clocks of ``partitions`` to ``now`` (wall mode's timer), releasing what fell
        due unless releases are deferred to :meth:`release`."""
        for partition in partitions:
            self.agendas.move_clock(partition, now)
        batch = Batch()
        if self.release_inline:
            self._release(batch, None, None)
        self._finish(batch, rows)
        return batch

    def release(
        self,
        limit: int | None = None,
        rows: bool = True,
        until: Mapping[int, datetime] | None = None,
        budget: float | None = None,
    ) -> Batch:
        """Make the decisions of up to ``limit`` due customers (all: ``None``), earliest first;
        with ``until``, only those due by those clocks (a flush's: see :meth:`write`).

        ``budget`` (seconds) also stops it once that much time is spent (after one customer at
        least): a prepared customer costs a fiftieth of one released live, so a count alone
        would hold up new events ~50 times longer for some slices than for others.
        """
        batch = Batch()
        self._release(batch, limit, until, budget)
        self._finish(batch, rows)
        return batch

    def prepare(self, limit: int, budget: float | None = None) -> int:
        """Prepare the releases of up to ``limit`` customers whose wakes come next (not due
        yet), so that releasing them later only swaps results in; return how many were taken
        up (0: nothing to do, or the store is full of earlier wakes). See :mod:`streams.prepare`.

        Meant for idle time, in small slices: the results are thrown away if the customer
        changes first. ``budget`` (seconds) also stops it once that much time is spent (after
        one customer at least).
        """
        return self._preparer.prepare(self.context, self.agendas, limit, budget)

    def has_due(self, until: Mapping[int, datetime] | None = None) -> bool:
        """Whether some customer's decision fell due by its partition's clock (and by
        ``until``'s clock of the partition, when given)."""
        return self.agendas.has_due(until)

    def clocks_now(self) -> dict[int, datetime]:
        """The partitions' clocks as they are: what a flush starting now must release first."""
        return dict(self.agendas.clocks)

    def dirty_customers(self) -> list[str]:
        """The customers changed since their row was last written, oldest change first."""
        return self.customers.dirty_customers()

    def write(self, customers: Iterable[str]) -> Batch:
        """The rows of those of ``customers`` still unwritten: one slice of a flush written
        between batches (why, and why it is safe: :mod:`streams.flush`). A customer changed
        again since it was taken is written with its newer state; one written early because it
        left the cache is skipped."""
        batch = Batch()
        self.customers.write(batch, customers)
        return batch

    def flush(self) -> Batch:
        """Make every decision still due, then the rows of every customer changed since they
        were last written: what must be sent before the records read so far are acknowledged.

        Why release first. In ``event`` mode a partition's clock lives only in this process: a
        worker taking the partition over starts it from the next unacknowledged record. The
        decisions that acknowledged records made due must be made by then, or they would wait
        for the partition's next record, maybe for ever.
        """
        batch = Batch()
        self._release(batch, None, None)
        self._finish(batch, True)
        return batch

    @property
    def dirty(self) -> int:
        """Customers changed since their row was last written."""
        return self.customers.dirty

    def partitions(self) -> list[int]:
        """Partitions with customers scheduled on this worker."""
        return self.agendas.partitions()

    def state(self, customer_id: str, partition: int) -> CustomerState | None:
        """A customer's current state (from the cache, else the table)."""
        return self.customers.get(customer_id, partition)

    # --- one record ---------------------------------------------------------------------------
    def _record(self, record: Inbound, batch: Batch, now: datetime | None) -> None:
        if record.control is not None:
            self._control(record, batch, now)
            return
        try:
            event = decode_event(record.value if record.value is not None else b"")
        except DecodeError as exc:
            self._dead(record, str(exc), batch, now)
            return
        customer_id = event.customer_id
        if record.key != customer_id.encode():
            reason = f"record key {record.key!r} is not the event's customer_id {customer_id!r}"
            self._dead(record, reason, batch, now)
            return
        if self.clock == "event":
            self.agendas.move_clock(record.partition, event.occurred_at)
        state = self.customers.get(customer_id, record.partition)
        applied = self.customers.applied(customer_id)
        if record.offset <= applied.get(record.topic, -1):
            if _holds(state, event.occurred_at):
                self.stats["redelivered"] += 1  # read again after a crash: the row holds it
                return
            self.stats["offset_regressions"] += 1  # see _holds: applied, the id window guards
        self.stats["events"] += 1
        result = step(state, event, self.context)
        applied[record.topic] = record.offset
        self._keep(record.partition, customer_id, result, batch)

    def _control(self, record: Inbound, batch: Batch, now: datetime | None) -> None:
        if record.control != CLOCK:
            self._dead(record, f"unknown control record {record.control!r}", batch, now)
            return
        try:
            at = datetime.fromisoformat((record.value or b"").decode())
        except (UnicodeDecodeError, ValueError) as exc:
            self._dead(record, f"clock record: {exc}", batch, now)
            return
        if at.tzinfo is None:
            self._dead(record, "clock record without a time zone", batch, now)
            return
        self.stats["clock_records"] += 1
        if self.clock == "event":
            self.agendas.move_clock(record.partition, at.astimezone(UTC))

    def _release(
        self,
        batch: Batch,
        limit: int | None,
        until: Mapping[int, datetime] | None,
        budget: float | None = None,
    ) -> None:
        """Advance due customers (by ``until`` too), earliest wake first across partitions, up
        to ``limit`` (and ``budget`` seconds), with their prepared results where those hold."""
        if limit == 0:
            return
        released = 0
        token = model_token(self.context.policy)
        deadline = None if budget is None else time.perf_counter() + budget
        clocks, ahead, customers = self.agendas.clocks, self._ahead, self.customers
        try:
            for wake, partition, customer_id in self.agendas.due(until):
                now = clocks[partition]
                prepared = ahead.take(customer_id, wake, now, token)
                if prepared is not None:
                    batch.extend(prepared.ready)
                    ahead.retire(customers.cached(customer_id))  # freed when idle
                    state, after = prepared.state, prepared.after
                    self._store(partition, customer_id, state, after, applied=prepared.applied)
                    if prepared.then is not None:  # its next release, prepared too
                        ahead.keep(customer_id, prepared.then)
                        self.stats["prepared_chained"] += 1
                elif (state := customers.get(customer_id, partition)) is not None:
                    self._keep(partition, customer_id, advance(state, now, self.context), batch)
                released += 1
                if released == limit:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
        finally:
            self.stats["released"] += released

    def _keep(
        self,
        partition: int,
        customer_id: str,
        result: StepResult,
        batch: Batch,
    ) -> None:
        """Send what ``result`` made and keep its state: every change of a customer passes
        here, so it also drops the customer's prepared release, now stale."""
        at = self.agendas.clocks.get(partition, EPOCH)
        emit(result, customer_id.encode(), batch, self.stats, at)
        requeue = self._ahead.drop(customer_id)
        wake = None if result.state is None else result.state.next_wake()
        self._store(partition, customer_id, result.state, wake, requeue)

    def _store(
        self,
        partition: int,
        customer_id: str,
        state: CustomerState | None,
        wake: datetime | None,
        requeue: bool = False,
        applied: dict[str, int] | None = None,
    ) -> None:
        """Keep ``state`` (``None``: erased) as the customer's, dirty, and schedule ``wake``,
        its next (``requeue``: for preparation also when the wake did not move; ``applied``:
        the input offsets it holds, if not the cached ones)."""
        self.customers.keep(partition, customer_id, state, applied)
        if state is None or wake is None:
            self.agendas.unschedule(customer_id)
        elif self.agendas.wakes.get(customer_id) != wake:
            self._schedule(partition, customer_id, wake)
        elif requeue:
            self._ahead.push(wake, partition, customer_id)

    def _schedule(self, partition: int, customer_id: str, wake: datetime) -> None:
        self.agendas.schedule(partition, customer_id, wake)
        self._ahead.push(wake, partition, customer_id)

    def _dead(self, record: Inbound, reason: str, batch: Batch, now: datetime | None) -> None:
        at = now if self.clock == "wall" and now is not None else None
        at = at or self.agendas.clocks.get(record.partition, EPOCH)
        refuse(record, reason, at, batch, self.stats)

    def _finish(self, batch: Batch, rows: bool) -> None:
        self.customers.finish(batch, rows)


def _holds(state: CustomerState | None, occurred_at: datetime) -> bool:
    """Whether ``state`` can hold an event of that time: every event applied to a customer is
    at or before its latest event (or its erasure).

    Why ask, when the record's offset says the row holds it. Offsets restart when an input
    topic is deleted and made again while the table is kept; its new records would then look
    read already. They are newer than anything the row holds, so they are applied (and
    counted as ``offset_regressions``), never dropped silently; the engine's memory of event ids
    still recognises a re-delivery among them.
    """
    if state is None:
        return False
    latest = state.last_event_at or state.erased_at
    return latest is not None and occurred_at <= latest
