"""Typed events survive a trip through the real broker, in order per customer.

This is the contract the streaming runtime relies on: what a producer encodes
with ``schemas.codec`` and keys by ``customer_id`` comes back from a
multi-partition topic byte-identical, decodes to the same event, and one
customer's events keep their order (they all land in one partition).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from schemas.codec import decode_event, encode_event
from schemas.events import Event, InvoiceIssued, PaymentReceived

pytestmark = pytest.mark.broker

CUSTOMERS = 24
EVENTS_PER_CUSTOMER = 15  # 360 events in all
PARTITIONS = 4
CONSUME_TIMEOUT_S = 30
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _event(customer: int, seq: int) -> Event:
    """The seq-th event of one customer: invoices and payments, alternating."""
    customer_id = f"cust-{customer:03d}"
    common = {
        "event_id": f"evt-{customer:03d}-{seq:03d}",
        "occurred_at": T0 + timedelta(hours=seq, minutes=customer),
        "customer_id": customer_id,
        "source": "billing",
    }
    if seq % 2 == 0:
        issued = date(2025, 3, 1) + timedelta(days=seq)
        return InvoiceIssued(
            **common,
            invoice_id=f"inv-{customer:03d}-{seq:03d}",
            amount_minor=10_000 + customer * 100 + seq,
            currency="SEK",
            issue_date=issued,
            due_date=issued + timedelta(days=30),
            payment_methods=["swish", "bank_giro"],
        )
    return PaymentReceived(
        **common,
        payment_id=f"pay-{customer:03d}-{seq:03d}",
        amount_minor=1_000 + seq,
        currency="SEK",
        method="swish",
    )


def _events() -> list[Event]:
    """Customers interleaved, as a billing system would emit them."""
    return [
        _event(customer, seq) for seq in range(EVENTS_PER_CUSTOMER) for customer in range(CUSTOMERS)
    ]


async def _produce(bootstrap: str, topic: str, events: list[Event]) -> dict[str, set[int]]:
    """Send every event keyed by customer; return the partitions each key went to."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        pending = [
            await producer.send(topic, key=e.customer_id.encode(), value=encode_event(e))
            for e in events
        ]
        sent = await asyncio.gather(*pending)
    finally:
        await producer.stop()
    partitions: dict[str, set[int]] = defaultdict(set)
    for event, meta in zip(events, sent, strict=True):
        partitions[event.customer_id].add(meta.partition)
    return partitions


async def _consume(bootstrap: str, topic: str, expected: int) -> list:
    """Read the topic from the start until ``expected`` records arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records = []
    try:
        async with asyncio.timeout(CONSUME_TIMEOUT_S):
            while len(records) < expected:
                batches = await consumer.getmany(timeout_ms=500)
                for batch in batches.values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_events_round_trip_in_order_per_customer(kafka_bootstrap, kafka_topic_factory):
    topic = await kafka_topic_factory("roundtrip", partitions=PARTITIONS)
    events = _events()

    produced_partitions = await _produce(kafka_bootstrap, topic, events)
    records = await _consume(kafka_bootstrap, topic, expected=len(events))

    assert len(records) == len(events)
    decoded = [decode_event(r.value) for r in records]

    # Same events, nothing lost, nothing duplicated; bytes unchanged by the trip.
    by_id = {e.event_id: e for e in events}
    assert sorted(d.event_id for d in decoded) == sorted(by_id)
    for record, event in zip(records, decoded, strict=True):
        original = by_id[event.event_id]
        assert event == original
        assert type(event) is type(original)
        assert record.value == encode_event(original)
        assert record.key == original.customer_id.encode()

    # Per-key order: each customer's events come back in the order they were sent,
    # all from the single partition the producer reported for that key.
    sent_order: dict[str, list[str]] = defaultdict(list)
    for e in events:
        sent_order[e.customer_id].append(e.event_id)
    got_order: dict[str, list[str]] = defaultdict(list)
    got_partitions: dict[str, set[int]] = defaultdict(set)
    for record, event in zip(records, decoded, strict=True):
        got_order[event.customer_id].append(event.event_id)
        got_partitions[event.customer_id].add(record.partition)
    assert got_order == sent_order
    assert got_partitions == produced_partitions
    assert all(len(p) == 1 for p in got_partitions.values())

    # The keys really spread over the partitions, or the order check proves little.
    used = set().union(*got_partitions.values())
    assert len(used) > 1, f"all keys landed in partitions {used}"


async def test_topic_factory_creates_the_requested_partitions(
    kafka_topic_factory, kafka_admin: AIOKafkaAdminClient
):
    one = await kafka_topic_factory("one", partitions=1)
    six = await kafka_topic_factory("six", partitions=6)

    assert one != six
    described = {t["topic"]: t for t in await kafka_admin.describe_topics([one, six])}
    assert len(described[one]["partitions"]) == 1
    assert len(described[six]["partitions"]) == 6
