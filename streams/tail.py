"""``duewise tail``: print what the runtime wrote to one of its output topics, as JSON Lines.

It reads without a consumer group (every partition, from the beginning unless told otherwise),
so tailing never takes partitions away from a notifier or another tail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from duewise.settings import Settings
from streams.kafka import client_options
from streams.topics import partition_count


async def tail(
    settings: Settings,
    topic: str,
    on_record: Callable[[bytes], None],
    from_end: bool = False,
    limit: int | None = None,
    idle_seconds: float | None = None,
) -> int:
    """Call ``on_record`` with each value of ``topic``; stop after ``limit`` records, or when
    nothing arrived for ``idle_seconds`` (``None``: follow forever). Returns the count."""
    count = await partition_count(settings, topic)
    if not count:
        raise ValueError(f"topic {topic!r} does not exist (has a worker started?)")
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    seen = 0
    try:
        tps = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(tps)
        if from_end:
            await consumer.seek_to_end(*tps)
        else:
            await consumer.seek_to_beginning(*tps)
        while limit is None or seen < limit:
            timeout_ms = int(idle_seconds * 1000) if idle_seconds is not None else 1000
            got = await consumer.getmany(timeout_ms=timeout_ms, max_records=1000)
            if not got and idle_seconds is not None:
                break
            for records in got.values():
                for record in records:
                    if limit is not None and seen >= limit:
                        break
                    on_record(record.value or b"")
                    seen += 1
    finally:
        await consumer.stop()
    return seen


def tail_sync(settings: Settings, topic: str, **kwargs: object) -> int:
    """:func:`tail` for callers without an event loop."""
    return asyncio.run(tail(settings, topic, **kwargs))  # type: ignore[arg-type]


async def read_to_end(
    options: dict[str, Any], topic: str, partitions: int
) -> AsyncIterator[tuple[int, list[Any]]]:
    """Every record ``topic`` holds now, as (partition, records) batches in offset order.

    For checks and tools that want a topic's content at one moment (tests, benchmarks): it stops
    at the end offsets read when it starts. ``options`` are aiokafka client options.
    """
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, max_partition_fetch_bytes=4 << 20, **options
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            got = await consumer.getmany(*pending, timeout_ms=1000, max_records=20_000)
            for tp, records in got.items():
                kept = [r for r in records if r.offset < ends[tp]]
                if records and records[-1].offset >= ends[tp] - 1:
                    pending.discard(tp)
                if kept:
                    yield tp.partition, kept
    finally:
        await consumer.stop()


async def read_values(options: dict[str, Any], topic: str, partitions: int) -> list[bytes]:
    """Every value ``topic`` holds now, partition by partition, in offset order."""
    values: list[bytes] = []
    async for _, records in read_to_end(options, topic, partitions):
        values.extend(r.value or b"" for r in records)
    return values
