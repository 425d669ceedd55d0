"""Sending a batch: outputs first, table rows after, then the local store.

The order is the crash-safety argument. A worker killed at any point leaves one of:

* outputs partly sent, rows not: the batch's events are not committed, so a restart redoes
  them on the old rows and re-sends the very same records (deterministic ids and content);
* outputs all acknowledged, rows partly sent: the same, for the customers whose row is old; a
  customer whose new row landed has its decisions already recorded and makes none again;
* rows acknowledged, offsets not committed: the events are redone, found duplicates by event id
  in the rows, and change nothing.

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
from collections.abc import Awaitable
from typing import Any

from faust.types import TP

from streams.batch import Batch
from streams.scope import partition_scope


class Sink:
    """Sends :class:`streams.batch.Batch` results through the app's producer."""

    def __init__(self, app: Any, table: Any, topics: dict[str, str], changelog: str) -> None:
        self.app = app
        self.table = table
        self.topics = topics
        self.changelog = changelog
        self._inflight: list[Awaitable[Any]] = []

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
        producer = self.app.producer
        for out in batch.outputs:
            topic = self.topics[out.kind]
            self._inflight.append(await producer.send(topic, out.key, out.value, None, None, None))

    async def wait_outputs(self) -> None:
        """Wait until every output sent so far is acknowledged (raises if one failed)."""
        inflight, self._inflight = self._inflight, []
        if inflight:
            await asyncio.gather(*inflight)

    async def write_rows(self, batch: Batch) -> None:
        """Wait for every output sent so far, send ``batch``'s rows to the changelog, wait,
        then write them to the local store."""
        if not batch.rows:
            return
        await self.wait_outputs()
        producer = self.app.producer
        sends = []
        for customer_id, (partition, row) in batch.rows.items():
            key = customer_id.encode()
            sends.append(await producer.send(self.changelog, key, row, partition, None, None))
        written = await asyncio.gather(*sends)
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

    def load(self, customer_id: str, partition: int) -> bytes | None:
        """A customer's row from the local store (``None``: not known here)."""
        with partition_scope(partition):
            return self.table.data.get(customer_id.encode())
