"""The raw baseline: aiokafka consume → orjson decode/encode → produce, at-least-once.

This is the ceiling a Python stream processor on this broker can hope for: no framework, one
``getmany`` batch at a time, every output sent without awaiting its ack, the batch's acks
gathered, then the batch's offsets committed (so a crash replays, never loses). Run as a
process by :class:`RawStage`; SIGTERM stops it after the current batch.

Usage (normally started by ``bench.stream_bench``)::

    python -m bench.stream_raw --bootstrap 127.0.0.1:9092 --input IN --output OUT --group G
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.stream_stage import StageSpec, SubprocessStage, stage_parser, stop_on_signals

#: Knobs: batches of up to 5,000 records; 256 KB producer batches (vs 16 KB: ~40 % less CPU).
SETTINGS: dict[str, Any] = {
    "max_records": 5000,
    "fetch_max_wait_ms": 100,
    "max_partition_fetch_bytes": 1 << 20,
    "acks": "all",
    "linger_ms": 0,
    "max_batch_size": 262144,
}


async def pass_through(
    bootstrap: str, input_topic: str, output_topic: str, group: str, stop: asyncio.Event
) -> int:
    """Move events until ``stop`` is set; returns how many were passed (and committed)."""
    consumer = AIOKafkaConsumer(
        input_topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=SETTINGS["fetch_max_wait_ms"],
        max_partition_fetch_bytes=SETTINGS["max_partition_fetch_bytes"],
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=SETTINGS["acks"],
        linger_ms=SETTINGS["linger_ms"],
        max_batch_size=SETTINGS["max_batch_size"],
    )
    await consumer.start()
    await producer.start()
    loads, dumps, send = orjson.loads, orjson.dumps, producer.send
    passed = 0
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=SETTINGS["max_records"])
            if not batches:
                continue
            futures = []
            offsets = {}
            for tp, records in batches.items():
                for record in records:
                    value = dumps(loads(record.value))
                    futures.append(await send(output_topic, value, key=record.key))
                offsets[tp] = records[-1].offset + 1
            await asyncio.gather(*futures)
            await consumer.commit(offsets)
            passed += len(futures)
    finally:
        await consumer.stop()
        await producer.stop()
    return passed


async def _main(args: argparse.Namespace) -> int:
    await pass_through(args.bootstrap, args.input, args.output, args.group, stop_on_signals())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = stage_parser("Raw aiokafka pass-through (benchmark stage).")
    parser.add_argument("--group", required=True)
    return asyncio.run(_main(parser.parse_args(argv)))


class RawStage(SubprocessStage):
    """The raw pass-through as a benchmark stage (its own process, like every stage)."""

    name = "raw"
    settings = SETTINGS

    def argv(self, spec: StageSpec) -> list[str]:
        return [
            "-m",
            "bench.stream_raw",
            "--bootstrap",
            spec.bootstrap,
            "--input",
            spec.input_topic,
            "--output",
            spec.output_topic,
            "--group",
            f"{spec.prefix}.group",
        ]


if __name__ == "__main__":
    raise SystemExit(main())
