"""Handing output records to Kafka as ready-made record batches, one per partition.

Why. A 06:00 burst hands about a thousand decisions to the producer at once. Through
``producer.send`` (Faust's or aiokafka's) each record costs a partitioner call, a future and a
trip through the accumulator: ~11-17 us, and the last record of a thousand reached the broker
17-47 ms after the first was handed over (``bench/README.md``). Built into one aiokafka
``BatchBuilder`` per topic partition and handed over with ``send_batch``, the same thousand
records cost ~5 us each and were all acknowledged within ~8 ms; a closed batch does not wait
for the linger either.

What stays the same. The partition is the one ``send`` with no partition would choose: the
Java client's murmur2 of the key over the topic's partitions (Faust and aiokafka use the same
function), memoised per key because a customer's records keep coming. Records of one partition
keep their order: they are appended in order to the partition's open batch, and the
partition's batches are handed over one after the other by one task (its *lane*).
Acknowledgements are per batch: a failed batch fails every record in it, and the caller treats
it like a failed record (the worker exits before acknowledging its input: :mod:`streams.agents`).

Never waiting for the producer. aiokafka takes a partition's next batch only once its previous
one has left for the broker, and sends one request at a time per broker: ``send_batch`` waits
for that. Awaited by the caller, that wait held the worker's lock (measured: a turn of a burst
handing 420 decisions waited 17 ms, and every record arriving meanwhile with it). So
:meth:`BatchSender.send` only appends: a partition's records go into its open batch, and the
lane hands it over when the previous batch has gone, with whatever later sends appended to it
meanwhile (fewer, fuller requests in a burst). The futures it returns resolve when the broker
has acknowledged the batches holding the records.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka.partitioner import murmur2

ProducerFactory = Callable[[], Any]
"""Makes the aiokafka producer the batches go through (called in the running event loop)."""

MEMO_MAX = 1 << 18
"""Keys whose partition is remembered (~30 MB at most); the memo starts over when full."""


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class _Lane:
    """One topic partition's batches: the one open to appends, those closed and waiting their
    turn, and the task handing them over (``None`` while there is nothing to hand over)."""

    __slots__ = ("open", "task", "waiting")

    def __init__(self) -> None:
        self.open: tuple[Any, asyncio.Future[Any]] | None = None
        self.waiting: deque[tuple[Any, asyncio.Future[Any]]] = deque()
        self.task: asyncio.Task[None] | None = None


class BatchSender:
    """Sends records as one aiokafka record batch per topic partition (see the module
    docstring). The producer is made and started on first use, in the worker's event loop."""

    def __init__(self, make_producer: ProducerFactory) -> None:
        self._make_producer = make_producer
        self._producer: Any = None
        self._partitions: dict[str, int] = {}
        self._memo: dict[tuple[bytes, int], int] = {}
        self._lanes: dict[tuple[str, int], _Lane] = {}

    async def send(self, records: Iterable[tuple[str, bytes, bytes | None]]) -> list[Any]:
        """Append ``(topic, key, value)`` records to their partitions' open batches, without
        waiting for the producer; return the futures of those batches' acknowledgements (one
        per batch appended to, in the order first appended to)."""
        producer = await self._started()
        futures: dict[int, Any] = {}
        counts = self._partitions
        for topic, key, value in records:
            count = counts.get(topic) or await self._count(producer, topic)
            where = (topic, self._partition(key, count))
            lane = self._lanes.get(where)
            if lane is None:
                lane = self._lanes[where] = _Lane()
            if lane.open is None:
                lane.open = (producer.create_batch(), asyncio.get_running_loop().create_future())
            builder, done = lane.open
            if builder.append(key=key, value=value, timestamp=None) is None:  # full
                lane.waiting.append(lane.open)
                lane.open = (producer.create_batch(), asyncio.get_running_loop().create_future())
                builder, done = lane.open
                if builder.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(
                        f"a record of {len(value or b'')} bytes for {topic} does "
                        "not fit in an empty batch (the producer's max_batch_size)"
                    )
            futures.setdefault(id(done), done)
            if lane.task is None:  # runs once this call yields: later records still join
                lane.task = asyncio.ensure_future(self._hand_over(producer, where, lane))
        return list(futures.values())

    async def stop(self) -> None:
        """Hand every batch over, then stop the producer (which sends them first)."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def _hand_over(self, producer: Any, where: tuple[str, int], lane: _Lane) -> None:
        """The lane's task: hand its batches over in order until none is left; each waits
        for the partition's previous batch to leave (``send_batch``), and the open batch
        takes appends until its turn comes."""
        topic, partition = where
        try:
            while lane.waiting or lane.open is not None:
                if lane.waiting:
                    builder, done = lane.waiting.popleft()
                else:
                    assert lane.open is not None
                    (builder, done), lane.open = lane.open, None
                builder.close()
                try:
                    sent = await producer.send_batch(builder, topic, partition=partition)
                except Exception as exc:  # the producer failed or closed: fail these records
                    done.set_exception(exc)
                    continue
                sent.add_done_callback(functools.partial(_settle, done))
        finally:
            lane.task = None

    async def _started(self) -> Any:
        if self._producer is None:
            made = self._make_producer()
            await made.start()
            self._producer = made
        return self._producer

    async def _count(self, producer: Any, topic: str) -> int:
        """The topic's partition count, asked once (keyed topics never change it)."""
        count = self._partitions[topic] = len(await producer.partitions_for(topic))
        return count

    def _partition(self, key: bytes, count: int) -> int:
        memo = self._memo
        partition = memo.get((key, count))
        if partition is None:
            if len(memo) >= MEMO_MAX:
                memo.clear()
            partition = memo[(key, count)] = partition_of(key, count)
        return partition


def _settle(done: asyncio.Future[Any], sent: asyncio.Future[Any]) -> None:
    """Pass a batch's acknowledgement (or failure) on to its records' future."""
    if done.done():
        return
    if sent.cancelled():
        done.cancel()
    elif (exc := sent.exception()) is not None:
        done.set_exception(exc)
    else:
        done.set_result(sent.result())
