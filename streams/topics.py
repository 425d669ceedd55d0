"""The runtime's topics: their names, and creating them up front with matching partitions.

Created up front because a topic auto-created by a first write gets the broker's default of one
partition, and the changelog of a table must have as many partitions as its input or Faust's
agent crash-loops on ``PartitionsMismatch``. Every keyed topic gets ``settings.partitions``;
the model snapshots topic has one compacted partition, so every worker reads all of it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from duewise.settings import Settings
from streams.kafka import client_options

MODEL_MAX_BYTES = 64 * 1024 * 1024
"""Largest model snapshot the models topic takes (the learner's state grows with its data)."""
TABLE = "customers"
"""The changelogged table of customer rows; its changelog is ``<app_id>-customers-changelog``."""


@dataclass(frozen=True)
class TopicNames:
    """Every topic name of one deployment (one ``topic_prefix``)."""

    events: str
    contacts: str
    decisions: str
    audit: str
    dlq: str
    outcomes: str
    models: str
    changelog: str

    @classmethod
    def of(cls, settings: Settings) -> TopicNames:
        """The names under ``settings.topic_prefix``.

        >>> TopicNames.of(Settings(topic_prefix="t.", app_id="w")).changelog
        'w-customers-changelog'
        """
        p = settings.topic_prefix
        return cls(
            events=f"{p}events",
            contacts=f"{p}contacts",
            decisions=f"{p}decisions",
            audit=f"{p}audit",
            dlq=f"{p}dlq",
            outcomes=f"{p}outcomes",
            models=f"{p}models",
            changelog=f"{settings.app_id}-{TABLE}-changelog",
        )

    @property
    def inputs(self) -> tuple[str, str]:
        """What the decider reads: billing and payment events, and the notifiers' feedback."""
        return (self.events, self.contacts)

    def by_kind(self) -> dict[str, str]:
        """Output topic per :class:`streams.records.Outbound` kind."""
        return {
            "decisions": self.decisions,
            "audit": self.audit,
            "dlq": self.dlq,
            "outcomes": self.outcomes,
        }


def planned_topics(settings: Settings) -> list[NewTopic]:
    """What :func:`ensure_topics` creates."""
    names = TopicNames.of(settings)
    n, rf = settings.partitions, settings.replication_factor
    compact = {"cleanup.policy": "compact"}
    keyed = [names.events, names.contacts, names.decisions, names.audit, names.dlq]
    topics = [NewTopic(name, n, rf) for name in keyed]
    topics.append(NewTopic(names.changelog, n, rf, topic_configs=compact))
    topics.append(NewTopic(names.outcomes, 1, rf))  # one learner reads them all, in order
    models = {**compact, "max.message.bytes": str(MODEL_MAX_BYTES)}
    topics.append(NewTopic(names.models, 1, rf, topic_configs=models))
    return topics


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the runtime's topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in planned_topics(settings) if t.name not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def partition_count(settings: Settings, topic: str) -> int:
    """How many partitions ``topic`` has (0: it does not exist)."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [d for d in described if d["topic"] == topic and d["error_code"] == 0]
    return len(found[0]["partitions"]) if found else 0


async def drop_topics(settings: Settings) -> list[str]:
    """Delete every topic of one deployment: its own, its changelog, Faust's assignor topic.

    For tests and benchmarks, which make a deployment per run on a shared broker: without this
    a developer's broker collects thousands of partitions and starts ever more slowly. Refuses
    an empty topic prefix, which would name every topic on the broker.
    """
    if not settings.topic_prefix:
        raise ValueError("drop_topics needs a topic prefix: an empty one names every topic")
    owned = (settings.topic_prefix, f"{settings.app_id}-")
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(owned))
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()
