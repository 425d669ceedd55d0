"""Sending a batch: outputs first, table rows after, then the local store.

The order is the crash-safety argument. A worker killed at any point leaves one of:

* outputs partly sent, rows not: the batch's events are not committed, so a restart redoes
  them on the old rows and re-sends the very same records (deterministic ids and content);
* outputs all acknowledged, rows partly sent: the same, for the customers whose row is old; a
  customer whose new row landed has its decisions already recorded and makes none again;
* rows acknowledged, offsets not committed: the events are redone, recognised exactly by the
  input offsets each row holds (:mod:`streams.rows`), and change nothing.

Never the reverse (a row saying "decided" whose decision was not sent), because rows are sent
only after every output of the batches they cover is acknowledged. Offsets are committed by
Faust only for acknowledged records, and a record is acknowledged only once the rows of every
customer it changed are written: after each batch on the ``take_events`` path, and with bulk
ingestion after the next row flush (every ``row_flush_seconds``, before a rebalance and at a
stop: see :mod:`streams.runtime`). Holding rows back over several batches widens the first
two cases above, never the third: a crash redoes more events, with the same result. Faust
flushes its producer before it commits. Re-sends are byte-identical duplicates; consumers
dedupe by ``decision_id``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faust.types import TP

from streams.outputs import BatchSender, ProducerFactory
from streams.records import Batch
from streams.scope import partition_scope

RowProducerFactory = Callable[[], Any]
"""Makes the aiokafka producer rows are written with (called in the running event loop)."""


class Sink:
    """Sends :class:`streams.records.Batch` results: outputs as record batches through a
    producer of their own (:mod:`streams.outputs`), rows through another when ``rows_producer``
    is given (else the app's).

    Why not the app's producer for both. aiokafka keeps one produce request in flight per
    broker: a flush's requests of rows (hundreds of KB each) made every decision sent meanwhile
    wait for them (measured at 1,000 events/s: output records acknowledged 30-45 ms after their
    send at the median, 50-70 ms at p99). Rows on their own connection leave the decisions' way
    free. The order that makes a crash harmless is kept by awaiting, not by the connection:
    rows are sent only once every output before them is acknowledged.
    """

    def __init__(
        self,
        app: Any,
        table: Any,
        topics: dict[str, str],
        changelog: str,
        outputs_producer: ProducerFactory,
        rows_producer: RowProducerFactory | None = None,
    ) -> None:
        self.app = app
        self.table = table
        self.topics = topics
        self.changelog = changelog
        self.outputs = BatchSender(outputs_producer)
        self._inflight: list[Awaitable[Any]] = []
        self._make_rows_producer = rows_producer
        self._rows_producer: Any = None

    async def flush(self, batch: Batch) -> None:
        """Send ``batch``'s outputs; if it has rows, wait for every output sent so far, then
        write them."""
        await self.send_outputs(batch)
        await self.write_rows(batch)

    async def send_outputs(self, batch: Batch) -> None:
        """Hand ``batch``'s outputs to the producer without waiting for their acknowledgement.

        Pipelined: the next batch is computed while these are in flight. What must not happen
        before they are acknowledged (rows, acknowledging records) waits in :meth:`write_rows`
        and :meth:`wait_outputs`.
        """
        if batch.outputs:
            topics = self.topics
            records = ((topics[out.kind], out.key, out.value) for out in batch.outputs)
            self._inflight.extend(await self.outputs.send(records))

    async def wait_outputs(self) -> None:
        """Wait until every output sent so far is acknowledged (raises if one failed)."""
        inflight, self._inflight = self._inflight, []
        await settled(inflight)

    async def delivered(self) -> None:
        """Wait until every output handed over so far is acknowledged, without taking them:
        a failure is still raised by :meth:`wait_outputs`. Idle work (preparing releases ahead)
        waits for this, so that it never holds the event loop while the producer has
        decisions to send (measured: prepare turns between a burst's release and its sending
        put its last decisions 35-60 ms later)."""
        self._inflight = [f for f in self._inflight if not _succeeded(f)]
        pending = [f for f in self._inflight if not f.done()]
        if pending:
            await asyncio.wait(pending)

    async def write_rows(self, batch: Batch) -> None:
        """Wait for every output sent so far, send ``batch``'s rows to the changelog, wait,
        then write them to the local store."""
        if not batch.rows:
            return
        await self.wait_outputs()
        sends = []
        for customer_id, (partition, row) in batch.rows.items():
            sends.append(await self._send_row(customer_id.encode(), row, partition))
        written = await settled(sends)
        store = self.table.data
        for customer_id, (partition, row) in batch.rows.items():
            key = customer_id.encode()
            with partition_scope(partition):
                if row is None:
                    store.pop(key, None)
                else:
                    store[key] = row
        last: dict[int, int] = {}
        for meta in written:
            last[meta.partition] = max(last.get(meta.partition, -1), meta.offset)
        for partition, offset in last.items():
            store.set_persisted_offset(TP(self.changelog, partition), offset)

    async def _send_row(self, key: bytes, row: bytes | None, partition: int) -> Any:
        """Hand one row to the rows' own producer (started on first use, in the worker's loop),
        else to the app's; return the future of its acknowledgement."""
        if self._make_rows_producer is None:
            return await self.app.producer.send(self.changelog, key, row, partition, None, None)
        if self._rows_producer is None:
            made = self._make_rows_producer()
            await made.start()
            self._rows_producer = made
        return await self._rows_producer.send(self.changelog, row, key=key, partition=partition)

    async def stop(self) -> None:
        """Stop the producers (after the consumer stopped: every output and row is written)."""
        await self.outputs.stop()
        producer, self._rows_producer = self._rows_producer, None
        if producer is not None:
            await producer.stop()

    def load(self, customer_id: str, partition: int) -> bytes | None:
        """A customer's row from the local store (``None``: not known here)."""
        with partition_scope(partition):
            return self.table.data.get(customer_id.encode())


def _succeeded(future: Any) -> bool:
    return bool(future.done() and not future.cancelled() and future.exception() is None)


async def settled(futures: list[Any]) -> list[Any]:
    """The results of ``futures`` once all are done (raises the first failure).

    Not ``asyncio.gather``: it schedules a callback per future, done or not, and most of a
    batch's acknowledgements have arrived by the time they are awaited (gather cost ~1.7 us a
    future; 3% of the worker's time in a profile of the throughput benchmark).
    """
    pending = [future for future in futures if not future.done()]
    if pending:
        await asyncio.wait(pending)
    return [future.result() for future in futures]
