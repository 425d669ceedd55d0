"""Output records handed over as one record batch per topic partition: the partition Kafka's
default partitioner would choose, each partition's records in order, full batches split."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner

from streams.outputs import BatchSender, partition_of


@dataclass
class Builder:
    limit: int
    records: list[tuple[bytes, bytes | None]] = field(default_factory=list)
    closed: bool = False

    def append(self, *, key: bytes, value: bytes | None, timestamp: None) -> object | None:
        if self.closed or len(self.records) >= self.limit:
            self.closed = True
            return None
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        self.closed = True


@dataclass
class Producer:
    limit: int = 100
    partitions: int = 4
    handed: list[tuple[str, int, list[tuple[bytes, bytes | None]]]] = field(default_factory=list)
    started: int = 0
    asked: int = 0

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        pass

    async def partitions_for(self, topic: str) -> set[int]:
        self.asked += 1
        return set(range(self.partitions))

    def create_batch(self) -> Builder:
        return Builder(self.limit)

    async def send_batch(self, builder: Builder, topic: str, *, partition: int) -> Any:
        assert builder.closed  # a batch is closed before it is handed over
        self.handed.append((topic, partition, list(builder.records)))
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        future.set_result(len(self.handed))
        return future


def test_partition_of_is_kafkas_default_partitioner() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        key = f"cust-{rng.randrange(10**9)}".encode()
        count = rng.choice([1, 3, 4, 12, 64])
        assert partition_of(key, count) == DefaultPartitioner()(key, list(range(count)), [])


async def test_records_are_grouped_per_topic_partition_in_order() -> None:
    producer = Producer()
    sender = BatchSender(lambda: producer)
    keys = [f"c{i % 10}".encode() for i in range(60)]
    records = [("decisions" if i % 3 else "audit", key, b"%d" % i) for i, key in enumerate(keys)]
    futures = await sender.send(records)
    await asyncio.gather(*futures)
    assert len(futures) == len(producer.handed) <= 2 * 4
    got = {(topic, key, value) for topic, _, batch in producer.handed for key, value in batch}
    assert got == set(records)  # nothing lost, nothing doubled
    assert sum(len(batch) for _, _, batch in producer.handed) == len(records)
    for topic, partition, batch in producer.handed:
        assert all(partition_of(key, 4) == partition for key, _ in batch)
        sent = [(key, value) for t, key, value in records if t == topic]
        assert batch == [r for r in sent if partition_of(r[0], 4) == partition]  # log order
    await asyncio.gather(*await sender.send([("audit", b"c1", b"x")]))
    assert producer.started == 1 and producer.asked == 2  # one count per topic, then cached


async def test_a_full_batch_is_handed_over_and_a_new_one_started() -> None:
    producer = Producer(limit=3, partitions=1)
    sender = BatchSender(lambda: producer)
    records = [("audit", b"c", b"%d" % i) for i in range(8)]
    await asyncio.gather(*await sender.send(records))
    assert [len(batch) for _, _, batch in producer.handed] == [3, 3, 2]
    assert [v for _, _, batch in producer.handed for _, v in batch] == [r[2] for r in records]


async def test_a_record_too_big_for_an_empty_batch_is_an_error() -> None:
    producer = Producer(limit=0, partitions=1)
    sender = BatchSender(lambda: producer)
    with pytest.raises(ValueError, match="does not fit in an empty batch"):
        await sender.send([("audit", b"c", b"x" * 10)])


@dataclass
class SlowProducer(Producer):
    """aiokafka's wait: a partition's next batch is taken only once its previous one left
    (here: once the test lets it go); acknowledged when the test says so."""

    gone: asyncio.Event = field(default_factory=asyncio.Event)
    acks: list[asyncio.Future[int]] = field(default_factory=list)
    failing: bool = False

    async def send_batch(self, builder: Builder, topic: str, *, partition: int) -> Any:
        assert builder.closed
        if self.handed:
            await self.gone.wait()
        if self.failing:
            raise RuntimeError("producer closed")
        self.handed.append((topic, partition, list(builder.records)))
        ack: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


async def test_sending_never_waits_for_the_producer_and_later_records_join_the_open_batch() -> None:
    producer = SlowProducer(partitions=1)
    sender = BatchSender(lambda: producer)
    first = await sender.send([("audit", b"c", b"1"), ("audit", b"c", b"2")])
    await asyncio.sleep(0)
    second = await asyncio.wait_for(sender.send([("audit", b"c", b"3")]), 1)  # no waiting
    await asyncio.sleep(0)  # its batch is now waiting for the first to leave
    third = await asyncio.wait_for(sender.send([("audit", b"c", b"4")]), 1)
    fourth = await asyncio.wait_for(sender.send([("audit", b"c", b"5")]), 1)
    assert [[v for _, v in b] for _, _, b in producer.handed] == [[b"1", b"2"]]
    assert third == fourth != second  # one open batch took both
    producer.gone.set()
    await asyncio.sleep(0.01)
    handed = [[v for _, v in b] for _, _, b in producer.handed]
    assert handed == [[b"1", b"2"], [b"3"], [b"4", b"5"]]  # in order, nothing lost
    assert not first[0].done()  # acknowledged by the broker, not handed over, is what counts
    for n, ack in enumerate(producer.acks):
        ack.set_result(n)
    assert await asyncio.gather(*first, *second, *third) == [0, 1, 2]
    await sender.stop()


async def test_a_batch_the_producer_refuses_fails_its_records_futures() -> None:
    producer = SlowProducer(partitions=1, failing=True)
    sender = BatchSender(lambda: producer)
    futures = await sender.send([("audit", b"c", b"1")])
    with pytest.raises(RuntimeError, match="producer closed"):
        await asyncio.wait_for(futures[0], 1)
