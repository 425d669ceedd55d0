"""Bulk ingestion: Faust's own consumer hands the decider whole fetches of input records.

Why. Measured on our machine, Faust delivers a record to an agent through about twenty
event-loop callbacks: the fetch loop waits on each record's delivery *and* the flow-control
flag as two tasks, the conductor decodes it into an event and queues it, the stream pulls it,
``take_events`` buffers it. That is 200-300 µs a record, more than the decision itself, and
``take_events`` cannot amortise it because it is paid before the buffer is filled.

What stays Faust's. This replaces only the loop that moves fetched records to their consumers,
for the input topics: the consumer, its group membership and partition assignment (Faust's
assignor, with the table co-partitioned), pausing partitions while the table recovers, flow
control and waiting for unacknowledged records at a rebalance, committing acknowledged offsets,
and the changelog records that recovery reads (they still go the usual way, to the tables).
A private consumer beside Faust's would get partitions that do not follow the table's; this is
Faust's consumer, so they do.

How records are acknowledged: each is tracked when fetched (a rebalance waits for it), and
acknowledged only after its batch's outputs and the rows of the customers it changed are
written; a failing batch ends the process before any acknowledgement
(:func:`streams.agents.complete`). Rows may be held over several batches (the handler returns
what it made safe); before Faust waits for unacknowledged records (a rebalance, a stop) the
consumer has the held rows written, or the wait would last until the next flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust
from aiokafka import TopicPartition
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumerDriver
from faust.transport.drivers.aiokafka import Transport as AIOKafkaTransport

BulkHandler = Callable[[list[Any]], Awaitable[list[Any]]]
"""Takes fetched records (maybe none, while idle); returns the records now safe to ack."""
Settle = Callable[[], Awaitable[list[Any]]]
"""Finishes held work at once; returns the records it made safe to ack."""
FETCH_MAX_WAIT_MS = 20
"""How long a fetch may wait for data. Faust fixes it at 1,500 ms; while one partition's
records wait in the buffer, aiokafka fetches only the others, and if those are idle (the
contacts topic, often) the fetch holds new records of the busy ones for up to that long:
measured, decisions at 1,000 events/s took 1-2.5 s instead of milliseconds."""


class FastFetchThread(AIOKafkaConsumerThread):  # type: ignore[misc]
    """Faust's consumer thread with a short fetch wait (see :data:`FETCH_MAX_WAIT_MS`)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts
        return consumer


class BulkConsumer(AIOKafkaConsumerDriver):  # type: ignore[misc]
    """Faust's aiokafka consumer, delivering the input topics' records in bulk."""

    def _new_consumer_thread(self) -> FastFetchThread:
        return FastFetchThread(self, loop=self.loop, beacon=self.beacon)

    async def seek_to_committed(self) -> Mapping[Any, Any]:  # pragma: no cover - needs Kafka
        """Seek to the committed offsets, and input partitions without one to their start.

        Why. Faust drops the records a fetch returned when its flow is stopped (a rebalance, a
        recovery ending) and relies on this seek to read them again; aiokafka seeks only
        partitions whose committed offset is above 0, so on a partition nobody has committed
        yet the dropped records were skipped for good. Seen on the broker: after kill -9s, a
        worker read an input partition from offset 35 with nothing committed, and a customer
        lost its first event. Reading such a partition from its start again is always safe:
        nothing of it was committed, and what was applied before is recognised by the rows'
        input offsets (:mod:`streams.rows`).
        """
        committed: Mapping[Any, Any] = await super().seek_to_committed()
        bulk = self.app.duewise_bulk
        if bulk is not None:
            topics = bulk[0]
            fresh = [tp for tp in self.assignment() if tp.topic in topics and not committed.get(tp)]
            if fresh:
                await self._thread.seek_to_beginning(*(TopicPartition(*tp) for tp in fresh))
        return committed

    async def wait_empty(self) -> None:  # pragma: no cover - needs Kafka
        """Write held rows first, so the records they cover can be acknowledged, then wait."""
        bulk = self.app.duewise_bulk
        if bulk is not None:
            for message in await bulk[2]():
                self.ack(message)
        await super().wait_empty()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - needs Kafka
        bulk: tuple[frozenset[str], BulkHandler, Settle] | None = self.app.duewise_bulk
        if bulk is None:
            await super()._drain_messages(fetcher)
            return
        topics, handler, _ = bulk
        read_offset = self._read_offset
        should_stop = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set
        try:
            while not (should_stop() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                taken: list[Any] = []
                await self.sleep(0)
                if not self.should_stop:
                    async for tp, message in self.getmany(timeout=1.0):
                        last = read_offset[tp]
                        if last is not None and message.offset < last:
                            continue  # read before: a re-fetch after a seek
                        if message.topic in topics:
                            self.track_message(message)
                            taken.append(message)
                        else:
                            await self.callback(message)  # changelogs, to table recovery
                        read_offset[tp] = message.offset
                for message in await handler(taken):  # also when idle: a flush may be due
                    self.ack(message)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise


class BulkTransport(AIOKafkaTransport):  # type: ignore[misc]
    """The aiokafka transport with :class:`BulkConsumer`."""

    Consumer = BulkConsumer


class BulkApp(faust.App):  # type: ignore[misc]
    """A Faust app whose consumer can deliver some topics in bulk (see the module docstring)."""

    duewise_bulk: tuple[frozenset[str], BulkHandler, Settle] | None = None

    def _new_transport(self) -> Any:
        return BulkTransport(self.conf.broker_consumer, self)

    def deliver_in_bulk(self, topics: frozenset[str], handler: BulkHandler, settle: Settle) -> None:
        """Send the records of ``topics`` to ``handler`` in fetched batches; ``settle`` before
        waiting for unacknowledged records."""
        self.duewise_bulk = (topics, handler, settle)
