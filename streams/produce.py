"""``duewise produce``: put an event log into the input topic, keyed by customer.

Every line is sent as it is, valid or not, so that bad input reaches the workers and their
dead-letter topic like it would from a real producer. The key is the line's ``customer_id``
when it has one. ``speed`` 0 sends as fast as the broker takes it; ``speed`` N sends N times
faster than the log's own clock (1: real time). With ``clock`` on, a clock record goes to every
partition after the last event, carrying the log's last time: an ``event``-mode worker then
releases every decision due by the end of the log, as ``duewise replay`` does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

from duewise.settings import Settings
from duewise.validate import iter_lines
from schemas.codec import DecodeError, decode_event, loads
from streams.kafka import client_options
from streams.records import CLOCK, CONTROL_HEADER

_PENDING_MAX = 5_000


@dataclass
class ProduceSummary:
    """What was sent."""

    records: int = 0
    unkeyed: int = 0
    clock_records: int = 0
    last_at: datetime | None = None


def _key_and_time(raw: bytes) -> tuple[bytes | None, datetime | None]:
    """The record key and, for a valid event only, its time (the replay's clock ignores
    invalid lines too)."""
    try:
        event = decode_event(raw)
    except DecodeError:
        pass
    else:
        return event.customer_id.encode(), event.occurred_at
    try:
        obj = loads(raw)
    except ValueError:
        return None, None
    customer = obj.get("customer_id") if isinstance(obj, dict) else None
    return (customer.encode() if isinstance(customer, str) and customer else None), None


async def produce_lines(
    settings: Settings,
    lines: Iterable[bytes],
    topic: str,
    speed: float = 0.0,
    clock: bool = True,
    on_sent: Callable[[int], None] | None = None,
) -> ProduceSummary:
    """Send ``lines`` to ``topic``; see the module docstring for ``speed`` and ``clock``."""
    summary = ProduceSummary()
    producer = AIOKafkaProducer(acks="all", linger_ms=5, **client_options(settings))
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        first: tuple[float, datetime] | None = None
        for raw in lines:
            key, at = _key_and_time(raw)
            if speed > 0 and at is not None:
                first = first or (time.monotonic(), at)
                wait = (at - first[1]).total_seconds() / speed - (time.monotonic() - first[0])
                if wait > 0:
                    await asyncio.sleep(wait)
            if at is not None and (summary.last_at is None or at > summary.last_at):
                summary.last_at = at
            pending.append(await producer.send(topic, raw, key=key))
            summary.records += 1
            summary.unkeyed += key is None
            if len(pending) >= _PENDING_MAX:
                await asyncio.gather(*pending)
                pending.clear()
            if on_sent is not None:
                on_sent(len(raw) + 1)
        if clock and summary.last_at is not None:
            value = summary.last_at.isoformat().encode()
            for partition in sorted(await producer.partitions_for(topic)):
                headers = [(CONTROL_HEADER, CLOCK)]
                pending.append(
                    await producer.send(topic, value, partition=partition, headers=headers)
                )
                summary.clock_records += 1
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return summary


async def produce_file(
    settings: Settings,
    path: Path,
    topic: str,
    speed: float = 0.0,
    clock: bool = True,
    on_sent: Callable[[int], None] | None = None,
) -> ProduceSummary:
    """Send the JSON Lines file ``path`` (see :func:`produce_lines`)."""
    lines = (raw for _, raw in iter_lines(path))
    return await produce_lines(settings, lines, topic, speed, clock, on_sent)
