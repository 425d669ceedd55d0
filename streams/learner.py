"""Learning is global, deciding is local: the one learner of a deployment.

**The learner** reads the outcomes topic (one partition, so one consumer of the group
``<app_id>-learner`` owns it, whichever worker that is) and publishes snapshots of its models to
the compacted models topic. Each snapshot carries, in a header, the offset of the next outcome
it has not learned. The learner commits no consumer offsets: when it starts (or takes over
after a crash or a rebalance) it restores the latest snapshot and seeks to that offset, so
every outcome is learned exactly once, however it was stopped.

The follower that swaps snapshots into every worker is in :mod:`streams.follower`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from duewise.bootstrap import build_learner
from duewise.learning import Learner
from duewise.settings import Settings
from models import SnapshotError
from schemas.codec import DecodeError, decode_outcome
from streams.follower import SIGNATURE_HEADER, header, latest_snapshot, sign, verify
from streams.kafka import client_options
from streams.topics import MODEL_MAX_BYTES, TopicNames

log = logging.getLogger(__name__)
OFFSET_HEADER = "duewise-next-outcome"
MODEL_KEY = b"learner"
RECENT_KEPT = 50_000
"""Outcome ids remembered to skip a decider's re-sends (they follow their original closely)."""


class LearnerService:
    """The deployment's learner (see the module docstring)."""

    def __init__(self, settings: Settings, every: int = 200, every_seconds: float = 10.0) -> None:
        self.settings = settings
        self.topics = TopicNames.of(settings)
        self.every, self.every_seconds = every, every_seconds
        self.learner: Learner = build_learner(settings)
        self.next_offset = 0
        self.stats: Counter[str] = Counter()
        self._unpublished = 0
        self._last_publish = time.monotonic()
        self._producer: AIOKafkaProducer | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._taking_over = False

    async def run(self) -> None:
        """Learn from the outcomes topic until cancelled."""
        options = client_options(self.settings)
        consumer = AIOKafkaConsumer(
            group_id=f"{self.settings.app_id}-learner",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **options,
        )
        self._producer = AIOKafkaProducer(
            acks="all", compression_type="gzip", max_request_size=MODEL_MAX_BYTES, **options
        )
        await consumer.start()
        await self._producer.start()
        consumer.subscribe([self.topics.outcomes], listener=_Takeover(self, consumer))
        try:
            while True:
                got = await consumer.getmany(timeout_ms=1000, max_records=1000)
                for records in got.values():
                    for record in records:
                        self.take(record.value or b"", record.offset)
                if self._due():
                    await self.publish()
        finally:
            await consumer.stop()
            await self._producer.stop()

    def take(self, raw: bytes, offset: int) -> bool:
        """Learn the outcome at ``offset`` if it is the one that comes next; return whether it
        was taken.

        Why only that one. The snapshot says which outcome comes next, and learning must go on
        from exactly there. While a take-over is restoring a snapshot (it awaits the broker),
        the consumer can still hand over records fetched from the old position; learned then,
        and again after the take-over's seek, they were counted twice (seen on the broker: a
        learner ahead of one pass over the distinct outcomes). So nothing is learned during a
        take-over, and a record out of sequence (a stale fetch) is skipped and counted.
        """
        if self._taking_over or offset != self.next_offset:
            self.stats["out_of_sequence"] += 1
            return False
        self._learn(raw, offset)
        return True

    def _learn(self, raw: bytes, offset: int) -> None:
        try:
            outcome = decode_outcome(raw)
        except DecodeError as exc:  # written by our own deciders: a bug, not input to stop on
            log.error("outcome at offset %d unreadable: %s", offset, exc)
            self.stats["unreadable"] += 1
        else:
            if outcome.outcome_id in self._recent:  # a decider's re-send after a crash
                self.stats["duplicates"] += 1
            else:
                self._recent[outcome.outcome_id] = None
                if len(self._recent) > RECENT_KEPT:
                    self._recent.popitem(last=False)
                self.learner.learn([outcome])
                self.stats["learned"] += 1
        self.next_offset = offset + 1
        self._unpublished += 1

    def _due(self) -> bool:
        if not self._unpublished:
            return False
        waited = time.monotonic() - self._last_publish
        return self._unpublished >= self.every or waited >= self.every_seconds

    async def publish(self) -> None:
        """Publish a snapshot of everything learned so far, and where to go on from."""
        assert self._producer is not None
        blob = self.learner.snapshot()
        headers = [(OFFSET_HEADER, str(self.next_offset).encode())]
        signature = sign(self.settings, blob)
        if signature is not None:
            headers.append((SIGNATURE_HEADER, signature))
        await self._producer.send_and_wait(
            self.topics.models, blob, key=MODEL_KEY, partition=0, headers=headers
        )
        self.stats["published"] += 1
        self._unpublished = 0
        self._last_publish = time.monotonic()

    async def take_over(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> None:
        """Start from the latest snapshot and the outcome after it (or from nothing); if the
        topic no longer holds that outcome (retention), from its first one."""
        self._taking_over = True
        try:
            found = await latest_snapshot(self.settings)
            self.learner = build_learner(self.settings)
            self.next_offset = 0
            if found is not None:
                blob, headers = found
                try:
                    verify(self.settings, blob, headers)
                    self.learner.restore(blob)
                    self.next_offset = int(header(headers, OFFSET_HEADER) or b"0")
                except (SnapshotError, ValueError) as exc:
                    log.error("latest snapshot refused, learning from the start: %s", exc)
            first = (await consumer.beginning_offsets([tp]))[tp]
            if self.next_offset < first:
                log.warning("outcomes %d-%d are gone (retention)", self.next_offset, first - 1)
                self.next_offset = first
            self._recent = await _recent_ids(self.settings, tp, self.next_offset)
            consumer.seek(tp, self.next_offset)
        finally:
            self._taking_over = False


async def _recent_ids(settings: Settings, tp: TopicPartition, end: int) -> OrderedDict[str, None]:
    """The ids of the last :data:`RECENT_KEPT` outcomes before ``end``: what the snapshot
    learned most recently, so a re-send after it is still recognised as one."""
    recent: OrderedDict[str, None] = OrderedDict()
    if end == 0:
        return recent
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, max(0, end - RECENT_KEPT))
        done = False
        while not done:
            got = await consumer.getmany(tp, timeout_ms=5000, max_records=5000)
            records = got.get(tp, [])
            if not records:
                break
            for record in records:
                if record.offset >= end:
                    done = True
                    break
                try:
                    recent[decode_outcome(record.value or b"").outcome_id] = None
                except DecodeError:
                    continue
            done = done or records[-1].offset >= end - 1
    finally:
        await consumer.stop()
    return recent


class _Takeover(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, service: LearnerService, consumer: AIOKafkaConsumer) -> None:
        self.service, self.consumer = service, consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        for tp in assigned:
            await self.service.take_over(self.consumer, tp)
