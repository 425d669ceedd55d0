"""Build the Faust app from settings: the one place that configures Faust. It holds no logic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from faust.auth import SASLCredentials, SSLCredentials

from duewise.settings import Settings
from streams.ingest import BulkApp
from streams.kafka import client_options, ssl_context
from streams.topics import TABLE, TopicNames


def _credentials(settings: Settings) -> Any:
    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL"):
        password = settings.sasl_password
        return SASLCredentials(
            username=settings.sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return SSLCredentials(context)
    return None


ROW_BATCH_BYTES = 512 * 1024
"""Producer batch size (uncompressed); zstd brings it well under the broker's 1 MB per batch."""

COMPRESSION = "zstd"
"""The producer's codec. Rows are JSON and compress ~14x. Not lz4: aiokafka compresses lz4 at
level 9 (the high-compression mode, fixed in ``aiokafka.codec``), which took 12% of the worker's
CPU in a profile of the throughput benchmark; zstd at its default level is ~5x faster on the
same 512 KB of rows (0.98 ms against 4.7 ms) and compresses better (14x against 11x). Kafka
supports zstd since 2.1; consumers need a client that does (aiokafka, librdkafka, Java do)."""


def build_app(settings: Settings) -> BulkApp:
    """A Faust app whose topics and table match :func:`streams.topics.planned_topics`.

    Choices that matter: no standby replicas (a row lives on the worker that owns its
    partition), offsets reset to the earliest record (a new group reads the whole input), the
    data directory under ``state_dir`` (not the current directory), acks from all replicas.
    """
    app = BulkApp(
        settings.app_id,
        broker=settings.broker,
        broker_credentials=_credentials(settings),
        store=settings.store,
        datadir=str(settings.state_dir / "faust"),
        autodiscover=False,
        web_enabled=settings.web_enabled,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        # Faust's own producer carries none of our records in a worker (outputs and rows have
        # producers of their own, below); the same durability and sizes in case it does.
        producer_acks=-1,
        producer_linger_ms=1,
        producer_compression_type=COMPRESSION,
        producer_max_batch_size=ROW_BATCH_BYTES,
        producer_max_request_size=4 * ROW_BATCH_BYTES,
        broker_max_poll_records=settings.batch_max,  # bounds a bulk batch (streams/ingest.py)
    )
    return app


def rows_producer(settings: Settings) -> Callable[[], AIOKafkaProducer]:
    """The factory of the producer rows are written with (see :class:`streams.sink.Sink`):
    acks from all replicas, big batches (a produce request carries one batch per partition;
    with the default 16 KB a flush of ~1,500 rows of ~5 KB took over a hundred round trips,
    ~450 ms), a short linger (a slice of rows is awaited at once), its own connection."""
    return _own_producer(settings, "rows")


def outputs_producer(settings: Settings) -> Callable[[], AIOKafkaProducer]:
    """The factory of the producer output records go through, as record batches (see
    :mod:`streams.outputs`): the rows' durability, codec and batch size on a connection of its
    own (its requests never wait behind a flush's rows). The linger applies to nothing here (a
    closed batch is sent at once); before batches, 1 ms instead of 5 brought a burst's
    decisions to the broker in 10.5 ms instead of 24 (p50)."""
    return _own_producer(settings, "outputs")


def _own_producer(settings: Settings, role: str) -> Callable[[], AIOKafkaProducer]:
    def make() -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_options(settings),
            client_id=f"{settings.app_id}-{role}",
            acks="all",
            linger_ms=1,
            compression_type=COMPRESSION,
            max_batch_size=ROW_BATCH_BYTES,
            max_request_size=4 * ROW_BATCH_BYTES,
        )

    return make


def build_table(app: faust.App, settings: Settings) -> Any:
    """The changelogged table of customer rows (raw bytes in and out)."""
    # bytes key and value types make Faust read the changelog raw when it recovers the table
    return app.Table(TABLE, key_type=bytes, value_type=bytes, partitions=settings.partitions)


def input_topic(app: faust.App, settings: Settings) -> Any:
    """Every input of the decider as one Faust channel of raw records."""
    names = TopicNames.of(settings)
    return app.topic(
        *names.inputs,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
