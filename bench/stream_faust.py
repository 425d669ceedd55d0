"""The Faust baseline: the agent a Faust user would write, with a changelogged Table.

No tuning on purpose: ``async for`` over the stream, one Table update per event (a changelog
record each), one ``await topic.send`` per event, JSON through Faust's own serializer (orjson
underneath). It shows what the framework costs before anyone optimises. Only the pitfalls listed
in DESIGN.md ("Real Kafka, locally") are avoided: topics made up front with 4 partitions, the
changelog given 4 partitions too (else ``PartitionsMismatch``), no spinner, no web server, the
data dir in the stage's temp dir. Run as a process by :class:`FaustStage`.

Usage (normally started by ``bench.stream_bench``)::

    python -m bench.stream_faust --bootstrap 127.0.0.1:9092 --input IN --output OUT \\
        --app-id bench.x.faust --datadir /tmp/faust-data
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import faust

from bench.stream_stage import StageSpec, SubprocessStage

#: The few settings the benchmark sets; everything else is Faust's default.
SETTINGS: dict[str, Any] = {
    "store": "memory://",
    "web_enabled": False,
    "topic_replication_factor": 1,
    "consumer_auto_offset_reset": "earliest",
    "producer_acks": -1,
    "worker.spinner": None,
}


def build_app(
    bootstrap: str, input_topic: str, output_topic: str, app_id: str, datadir: Path, partitions: int
) -> faust.App:
    """The app: one agent reading ``input_topic``, a per-customer Table, ``output_topic`` out."""
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store=SETTINGS["store"],
        datadir=str(datadir),
        web_enabled=SETTINGS["web_enabled"],
        topic_partitions=partitions,
        topic_replication_factor=SETTINGS["topic_replication_factor"],
        consumer_auto_offset_reset=SETTINGS["consumer_auto_offset_reset"],
        producer_acks=SETTINGS["producer_acks"],
    )
    events = app.topic(input_topic, key_serializer="raw", value_serializer="json")
    out = app.topic(output_topic, key_serializer="raw", value_serializer="json")
    totals = app.Table("totals", default=int, partitions=partitions)

    @app.agent(events)
    async def pass_through(stream: faust.StreamT) -> None:
        async for key, event in stream.items():
            totals[event["customer_id"]] += event.get("amount_minor", 0)
            await out.send(key=key, value=event)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Idiomatic Faust agent (benchmark stage).")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--datadir", type=Path, required=True)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args(argv)
    app = build_app(
        args.bootstrap, args.input, args.output, args.app_id, args.datadir, args.partitions
    )
    worker = faust.Worker(app, loglevel="warning", workdir=str(args.datadir))
    worker.spinner = None  # the terminal spinner costs 10-25 %
    worker.execute_from_commandline()  # returns only by SystemExit
    return 0


class FaustStage(SubprocessStage):
    """The Faust agent as a benchmark stage: ``python -m bench.stream_faust`` in its own process."""

    name = "faust"
    settings = SETTINGS

    def argv(self, spec: StageSpec) -> list[str]:
        datadir = spec.workdir / "faust-data"
        datadir.mkdir(parents=True, exist_ok=True)
        return [
            "-m",
            "bench.stream_faust",
            "--bootstrap",
            spec.bootstrap,
            "--input",
            spec.input_topic,
            "--output",
            spec.output_topic,
            "--app-id",
            f"{spec.prefix}.app",
            "--datadir",
            str(datadir),
            "--partitions",
            str(spec.partitions),
        ]


if __name__ == "__main__":
    raise SystemExit(main())
