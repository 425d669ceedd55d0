"""One worker's moving parts, built from settings, with the Faust wiring kept to a few lines.

:func:`build_runtime` makes the app, the table, the decider shell, the sink, the metrics and
registers the agent, the rebalance hooks, the wall-clock timer, the web views and the learner.
Nothing connects to Kafka until the app's worker starts.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import faust

from duewise.bootstrap import build_context, build_policy
from duewise.settings import Settings
from engine.valuation import ModelHandle
from streams.app import build_app, build_table, input_topic, outputs_producer, rows_producer
from streams.batch import PartitionedDecider
from streams.flush import RowFlush
from streams.metrics import Metrics
from streams.records import CONTROL_HEADER, Batch, Inbound
from streams.rows import read_header
from streams.sink import Sink
from streams.topics import TopicNames

RELEASE_MOST = 1024
"""Most due customers the background task releases per turn of the lock (prepared ones cost
~10 us each); :data:`RELEASE_BUDGET_S` bounds the turn."""
RELEASE_BUDGET_S = 0.01
"""Time a turn of releases may take (and one customer more): what an event arriving during a
06:00 burst waits for, at most, besides its own batch. A count bounded it while every customer
cost ~0.5 ms; with prepared releases some cost fifty times less."""
PREPARE_SLICE = 8
"""Most customers prepared ahead per turn of the lock; :data:`PREPARE_BUDGET_S` bounds it."""
PREPARE_BUDGET_S = 0.003
"""Time a turn of preparing may take (and one customer more): what a record arriving while
the worker prepares waits for. A count alone bounded it while a preparation cost ~0.4 ms;
states of years of history, and a second step prepared with the first, made slices of eight
take 9-13 ms, and a 06:00 crossing record waited that long before it could be decided."""
HELD_MAX = 50_000
"""Most fetched records held unacknowledged for a row flush (bounds the memory and the work a
crash redoes when events arrive faster than ``row_flush_seconds``): past it, a flush under way
is finished in one turn."""
FLUSH_EVERY = 4
"""While decisions are due, a row flush under way gets one background turn in this many."""
EXPLANATIONS_KEPT = 20_000
"""Latest decisions kept for /explain (about 1.5 KB each): recent invoices, bounded memory."""


def now_utc() -> datetime:
    """The wall clock: read here, at the shell, and passed into the core."""
    return datetime.now(UTC)


def _control(message: Any) -> bytes | None:
    headers = message.headers
    if not headers:
        return None
    items = headers.items() if isinstance(headers, dict) else headers
    for name, value in items:
        if name == CONTROL_HEADER:
            return bytes(value)
    return None


def inbound(message: Any) -> Inbound:
    """A Faust message as the decider shell takes it."""
    return Inbound(
        message.topic,
        message.partition,
        message.offset,
        message.key,
        message.value,
        _control(message),
    )


@dataclass
class Runtime:
    """A worker: the Faust app and what its agent, timer and views share."""

    settings: Settings
    app: faust.App
    table: Any
    topics: TopicNames
    decider: PartitionedDecider
    sink: Sink
    models: ModelHandle
    metrics: Metrics = field(default_factory=Metrics)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    explanations: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    work: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a batch or a tick left customers due or started a row flush: the background
    task does it a slice at a time (:meth:`background_turn`)."""
    upcoming: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when wakes may have been scheduled: the preparing task looks for work."""
    _held: list[Any] = field(default_factory=list)
    _flush: RowFlush | None = None
    _turns_since_flush: int = 0
    _flushed_at: float = field(default_factory=time.monotonic)

    async def run_messages(self, messages: list[Any]) -> list[Any]:
        """Decide on a batch of Faust messages; return those now safe to acknowledge.

        On the ``take_events`` path every batch writes its rows, so all its messages come back.
        With bulk ingestion rows are held (see :attr:`holds_rows`) and a flush is started here
        every ``row_flush_seconds``; the background task writes it in slices and acknowledges
        what it covers (:mod:`streams.flush`). The bulk consumer calls this with no messages while
        idle, so a due flush starts without new traffic.
        """
        if not messages and not self._held and not self.decider.dirty:
            return []
        records = [inbound(message) for message in messages]
        batch = None
        async with self._turn("batch"):
            if records:
                now = now_utc() if self.settings.clock == "wall" else None
                batch = self.decider.process(records, now, rows=not self.holds_rows)
                await self.sink.flush(batch)  # outputs, then rows of customers leaving the cache
            self._held.extend(messages)
            acks: list[Any] = []
            if not self.holds_rows or len(self._held) >= HELD_MAX:
                acks = await self._flush_rows()
            elif self._flush is None and self._flush_due():
                self._flush = RowFlush(self._held, self.decider.clocks_now())
                self._held = []
                self.work.set()
            self._wake_releases()
        if batch is not None:
            done = now_utc().timestamp()
            self._account(batch, [done - m.timestamp for m in messages])
        for record in records:
            self.positions[(record.topic, record.partition)] = record.offset
        return acks

    async def run_tick(self) -> Batch:
        """Release decisions that fell due by the wall clock, on this worker's partitions."""
        async with self._turn("tick"):
            if self.app.should_stop:
                return Batch()
            partitions = self.decider.partitions()
            batch = self.decider.tick(now_utc(), partitions, rows=not self.holds_rows)
            await self.sink.flush(batch)
            self._wake_releases()
        self._account(batch)
        return batch

    async def background_turn(self) -> bool:
        """One slice of background work, the most urgent first; whether some is left.

        Decisions due (a 06:00 burst) go before a flush's rows, which have no one waiting for
        them, but a flush under way still gets one turn in :data:`FLUSH_EVERY`: a worker
        catching up a backlog always has something due, and would otherwise never acknowledge.
        Batches of new records take the lock between any two turns.
        """
        if self.app.should_stop:
            return False
        if self._flush is not None and (
            self._turns_since_flush >= FLUSH_EVERY or not self.decider.has_due()
        ):
            self._turns_since_flush = 0
            await self.flush_slice()
        elif await self.release_slice() is not None:
            self._turns_since_flush += 1
        return self._flush is not None or self.decider.has_due()

    async def release_slice(self) -> Batch | None:
        """Make the decisions of due customers for :data:`RELEASE_BUDGET_S` and send them
        (``None``: nobody is due). One slice at a time holds the lock, so batches of new
        events take turns with a burst of scheduled decisions instead of waiting for all of it."""
        async with self._turn("release"):
            if self.app.should_stop or not self.decider.has_due():
                return None  # stopping: the producer may be gone; a restart releases them
            batch = self.decider.release(
                RELEASE_MOST, rows=not self.holds_rows, budget=RELEASE_BUDGET_S
            )
            await self.sink.flush(batch)
            self.upcoming.set()  # the released customers' next wakes
        self._account(batch)
        return batch

    async def prepare_slice(self) -> int:
        """Prepare the releases of up to :data:`PREPARE_SLICE` customers whose wakes come next,
        for :data:`PREPARE_BUDGET_S` at most (see :meth:`PartitionedDecider.prepare`); 0:
        nothing to do now. Never while some are due: releasing them goes first, and the
        background task is woken for them (a later batch, tick or release wakes the preparing
        again).

        A row flush under way does not stop it: its slices and these take turns. Preparing
        changes no live state (it advances copies), and a flush takes 0.2-0.6 s of turns every
        ``row_flush_seconds``: when preparing waited for it, a 06:00 run arriving meanwhile
        found the customers an event had just changed unprepared (measured: a quarter of
        every 2.3 s without a preparation, and bursts of 60-170 customers released live)."""
        async with self._turn("prepare"):
            if self.app.should_stop:
                return 0
            if self.decider.has_due():
                self.work.set()
                return 0
            return self.decider.prepare(PREPARE_SLICE, budget=PREPARE_BUDGET_S)

    async def settle(self) -> list[Any]:
        """Write every held row now and return the messages it covers (before a rebalance or
        a stop, when Faust waits for every fetched record to be acknowledged)."""
        async with self._turn("settle"):
            return await self._flush_rows()

    @asynccontextmanager
    async def _turn(self, work: str) -> AsyncIterator[None]:
        """Hold the lock for one piece of ``work``, timed: a record arriving meanwhile waits
        that long (``duewise_lock_turn_seconds`` shows where a worker's latency goes)."""
        async with self.lock:
            started = time.perf_counter()
            try:
                yield
            finally:
                self.metrics.observe_turn(work, time.perf_counter() - started)

    @property
    def holds_rows(self) -> bool:
        """Whether rows wait for the next flush: only bulk ingestion can hold acknowledgements
        (``take_events`` acknowledges a batch's events when its loop body ends).

        Not with the learned policy: a crash redoes the work since the last flush, and its
        decisions are re-made byte for byte only for a fixed model; with live snapshots the
        redo may choose otherwise, so its window stays one batch. (Measured: with rows held
        2 s, the learner's crash test found its model behind one pass over the distinct
        outcomes; not explained yet, see bench/README.md.)"""
        return (
            self.settings.ingest == "bulk"
            and self.settings.row_flush_seconds > 0
            and self.settings.policy != "learned"
        )

    def _flush_due(self) -> bool:
        return time.monotonic() - self._flushed_at >= self.settings.row_flush_seconds

    async def flush_slice(self) -> bool:
        """Write the next slice of the flush under way; acknowledge what it covers once its
        last slice is on the broker. ``False`` when no flush is left to write.

        Rows are written only after every output sent before them is acknowledged; that wait
        is done here, before the lock is taken, so a turn holds it for its own rows' round trip
        only (measured: slices after a burst's release held it 10-29 ms, and the next 06:00
        crossing record waited behind them)."""
        await self.sink.delivered()
        async with self._turn("flush"):
            flush = self._flush
            if flush is None or self.app.should_stop:
                return False  # stopping: the stop settles everything held (see settle)
            batch = flush.step(self.decider)
            await self.sink.flush(batch)
            self._account(batch)
            if not flush.done:
                return True
            await self.sink.wait_outputs()  # the acks below need every output acknowledged
            self._flush = None
            self._flushed_at = time.monotonic()
            for message in flush.acks:
                self.app.consumer.ack(message)
        return False

    async def _flush_rows(self) -> list[Any]:
        """Under the lock: make what is still due, write every dirty customer's row in one go
        (see :meth:`PartitionedDecider.flush`); hand back the held messages, with those of a
        flush under way (it is done by this one)."""
        batch = self.decider.flush()
        await self.sink.flush(batch)
        await self.sink.wait_outputs()  # the acks below need every output acknowledged
        self._account(batch)
        self._flushed_at = time.monotonic()
        acks = self._flush.acks if self._flush is not None else []
        acks.extend(self._held)
        self._flush, self._held = None, []
        return acks

    async def on_revoked(self) -> None:
        """A rebalance starts: everything known of the partitions may be stale afterwards."""
        async with self._turn("rebalance"):
            await self._write_and_forget()
            self.explanations.clear()

    def owned_partitions(self) -> list[int]:
        """The partitions this worker owns now (the same numbers in every keyed topic)."""
        actives = self.app.assignor.assigned_actives()
        return sorted(tp.partition for tp in actives if tp.topic == self.topics.changelog)

    async def on_recovered(self) -> None:
        """The table holds the owned partitions again: rebuild their agendas from the rows."""
        owned = set(self.owned_partitions())
        async with self._turn("rebalance"):
            await self._write_and_forget()
            rows = [
                (key, row)
                for key, row in self.table.data.items()
                if row is not None and read_header(row)[0] in owned
            ]
            self.decider.adopt(rows)
            self.work.set()
            self.upcoming.set()

    async def _write_and_forget(self) -> None:
        """Under the lock: write what is held (a tick may have changed customers since the
        consumer settled), acknowledge it, then forget the partitions' cached state."""
        for message in await self._flush_rows():
            self.app.consumer.ack(message)
        self.decider.forget()

    def lag(self) -> dict[str, int]:
        """Records not yet processed per input partition this worker owns."""
        consumer = self.app.consumer
        lag: dict[str, int] = {}
        for tp in consumer.assignment():
            if tp.topic not in self.topics.inputs:
                continue
            high = consumer.highwater(tp)
            done = self.positions.get((tp.topic, tp.partition), -1) + 1
            lag[f"{tp.topic}/{tp.partition}"] = max(0, (high or 0) - done)
        return lag

    def _wake_releases(self) -> None:
        """Under the lock: let the background task run if a batch or a tick left customers
        due, and the preparing task look for new wakes."""
        if self.decider.has_due():
            self.work.set()
        self.upcoming.set()

    def _account(self, batch: Batch, latencies: list[float] | None = None) -> None:
        """Metrics and explanations of a sent batch (``latencies``: of its input records)."""
        self.metrics.observe_batch(batch.decisions, latencies or [])
        self._remember(batch)

    def _remember(self, batch: Batch) -> None:
        for invoice_id, value in batch.latest.items():
            self.explanations.pop(invoice_id, None)
            self.explanations[invoice_id] = value
        while len(self.explanations) > EXPLANATIONS_KEPT:
            self.explanations.popitem(last=False)


def build_runtime(settings: Settings) -> Runtime:
    """Everything one worker runs, wired but not started."""
    from streams import agents, web

    app = build_app(settings)
    table = build_table(app, settings)
    topics = TopicNames.of(settings)
    models = ModelHandle()
    context = build_context(settings, build_policy(settings, models))
    sink = Sink(
        app,
        table,
        topics.by_kind(),
        topics.changelog,
        outputs_producer(settings),
        rows_producer(settings),
    )
    decider = PartitionedDecider(
        context,
        sink.load,
        settings.clock,
        settings.state_cache,
        release_inline=False,
        prepare_ahead=settings.prepare_ahead,
        prepare_horizon=timedelta(hours=settings.prepare_horizon_hours),
    )
    runtime = Runtime(settings, app, table, topics, decider, sink, models)
    runtime.metrics.watch_gc()
    agents.register(runtime, input_topic(app, settings))
    if settings.web_enabled:
        web.register(runtime)
    return runtime
