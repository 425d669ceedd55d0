"""The models topic: signing and checking snapshots, reading the latest, and the follower that
swaps each new snapshot into a worker's deciders.

The follower runs in every worker, reads the models topic without a consumer group, and swaps
each accepted snapshot into the decider's :class:`~engine.valuation.ModelHandle`; a corrupt or
foreign snapshot (:class:`models.SnapshotError`), or one whose signature does not match, is
refused and the models in use are kept. Every decision records the version it used.

Snapshots are pickles, checksummed. Set ``DUEWISE_MODEL_SIGNING_KEY`` so that only a holder of
the key can publish models the workers accept (and restrict writes to the topic with ACLs).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from duewise.learning import Learner
from duewise.settings import Settings
from engine.valuation import ModelHandle
from models import SnapshotError
from streams.kafka import client_options
from streams.topics import MODEL_MAX_BYTES, TopicNames

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "duewise-signature"


@asynccontextmanager
async def models_consumer(
    settings: Settings,
) -> AsyncIterator[tuple[AIOKafkaConsumer, TopicPartition]]:
    """A group-less consumer assigned to the models topic's one partition."""
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False,
        max_partition_fetch_bytes=MODEL_MAX_BYTES,
        **client_options(settings),
    )
    await consumer.start()
    try:
        tp = TopicPartition(TopicNames.of(settings).models, 0)
        consumer.assign([tp])
        yield consumer, tp
    finally:
        await consumer.stop()


def header(headers: Any, name: str) -> bytes | None:
    """The value of header ``name`` of a record (``None``: absent)."""
    for key, value in headers or ():
        if key == name:
            return bytes(value)
    return None


def sign(settings: Settings, blob: bytes) -> bytes | None:
    key = settings.model_signing_key
    if key is None:
        return None
    return hmac.new(key.get_secret_value().encode(), blob, hashlib.sha256).hexdigest().encode()


def verify(settings: Settings, blob: bytes, headers: Any) -> None:
    """Raise :class:`SnapshotError` if a signing key is set and the snapshot is not signed
    with it."""
    expected = sign(settings, blob)
    if expected is None:
        return
    got = header(headers, SIGNATURE_HEADER)
    if got is None or not hmac.compare_digest(got, expected):
        raise SnapshotError("snapshot signature missing or wrong")


async def latest_snapshot(settings: Settings) -> tuple[bytes, Any] | None:
    """The newest record of the models topic (value and headers), if any."""
    async with models_consumer(settings) as (consumer, tp):
        end = (await consumer.end_offsets([tp]))[tp]
        if end == 0:
            return None
        consumer.seek(tp, end - 1)
        while True:
            got = await consumer.getmany(tp, timeout_ms=5000)
            for record in got.get(tp, []):
                if record.offset == end - 1:
                    return record.value or b"", record.headers


class ModelFollower:
    """Swaps every accepted snapshot into ``handle`` (see the module docstring)."""

    def __init__(self, settings: Settings, handle: ModelHandle) -> None:
        self.settings = settings
        self.handle = handle
        self.stats: Counter[str] = Counter()
        self._learner = Learner(handle=handle)

    def apply(self, blob: bytes, headers: Any) -> bool:
        """Swap ``blob`` in; ``False`` (models kept) if it is refused."""
        try:
            verify(self.settings, blob, headers)
            self._learner.restore(blob)
        except SnapshotError as exc:
            log.error("model snapshot refused, keeping %s: %s", self.handle.version, exc)
            self.stats["models_refused"] += 1
            return False
        self.stats["models_loaded"] += 1
        return True

    async def run(self) -> None:
        """Follow the models topic until cancelled."""
        async with models_consumer(self.settings) as (consumer, tp):
            await consumer.seek_to_beginning(tp)
            while True:
                got = await consumer.getmany(tp, timeout_ms=1000)
                records = got.get(tp, [])
                if records:  # only the newest of a burst matters
                    self.apply(records[-1].value or b"", records[-1].headers)
                else:
                    await asyncio.sleep(0)
