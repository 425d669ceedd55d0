"""The latency floor: a process that already knows every decision and only has to send it.

Why. The decision-latency target (p99 under 50 ms at 1,000 events/s) is measured on this
machine, where the broker, the benchmark's producer and consumer and the worker share two
cores, and where a replayed 06:00 crossing makes ~1,000 decisions due at once. How much of a
figure is the worker's, and how much the machine's? This stage answers it in the same run: it
reads the same input from the same broker and, like the worker in ``event`` clock mode, moves
each partition's clock to the largest ``occurred_at`` it has read and releases every decision
due by it; but the decisions are the embedded replay's, computed before the run and already
encoded, so releasing costs a list walk. They go out through the worker's own hand-over
(:class:`streams.outputs.BatchSender`, one record batch per partition) on the worker's outputs
producer (:func:`streams.app.outputs_producer`: its acks, linger, codec and batch size). No
engine, no state, no rows, no Faust. Any worker's latency on this machine is at least this
one's.

Usage (started by ``bench.stream_latency --stage oracle``)::

    python -m bench.stream_oracle --bootstrap B --input IN --output AUDIT --plan FILE --ready PATH
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.stream_common import PARTITIONS
from bench.stream_duewise import start_worker
from bench.stream_input import replay_decisions
from bench.stream_stage import stage_parser, stop_on_signals
from duewise.settings import Settings
from streams.app import outputs_producer
from streams.outputs import BatchSender, partition_of

READY_TIMEOUT_S = 60.0

Plan = list[list[tuple[float, bytes, bytes]]]
"""Per input partition, its decisions as (decided_at as a POSIX time, key, encoded decision),
in release order."""


def make_plan(audit: list[bytes], partitions: int = PARTITIONS) -> Plan:
    """The replay's audit records, each in its customer's partition, ordered by ``decided_at``
    (a stable sort: equal times keep the replay's order, so a customer's decisions keep
    theirs)."""
    plan: Plan = [[] for _ in range(partitions)]
    for value in audit:
        doc = orjson.loads(value)
        key = doc["customer_id"].encode()
        at = datetime.fromisoformat(doc["decided_at"]).timestamp()
        plan[partition_of(key, partitions)].append((at, key, value))
    for rows in plan:
        rows.sort(key=lambda row: row[0])
    return plan


def write_plan(plan: Plan, path: Path) -> None:
    """Save ``plan`` for the oracle process."""
    rows = [[(at, key.decode(), value.decode()) for at, key, value in part] for part in plan]
    path.write_bytes(orjson.dumps(rows))


def read_plan(path: Path) -> Plan:
    """The plan :func:`write_plan` saved."""
    rows = orjson.loads(path.read_bytes())
    return [[(at, key.encode(), value.encode()) for at, key, value in part] for part in rows]


def _occurred_at(value: bytes) -> float:
    return datetime.fromisoformat(orjson.loads(value)["occurred_at"]).timestamp()


async def serve(args: argparse.Namespace, plan: Plan, stop: asyncio.Event) -> int:
    """Release the plan's decisions as the input's clocks reach them until ``stop``; returns
    how many were handed over."""
    consumer = AIOKafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False)
    await consumer.start()
    sender = BatchSender(outputs_producer(Settings(broker=f"kafka://{args.bootstrap}")))
    clocks = [float("-inf")] * len(plan)
    taken = [0] * len(plan)
    sent = 0
    try:
        tps = [TopicPartition(args.input, p) for p in range(len(plan))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        await sender.send([])  # starts the producer before the input does
        Path(args.ready).touch()
        while not stop.is_set():
            got = await consumer.getmany(timeout_ms=100, max_records=5000)
            out: list[tuple[str, bytes, bytes | None]] = []
            for tp, records in got.items():
                p, rows = tp.partition, plan[tp.partition]
                clock = max(clocks[p], max(_occurred_at(r.value) for r in records))
                clocks[p] = clock
                i = taken[p]
                while i < len(rows) and rows[i][0] <= clock:
                    out.append((args.output, rows[i][1], rows[i][2]))
                    i += 1
                taken[p] = i
            if out:
                await sender.send(out)
                sent += len(out)
    finally:
        await sender.stop()
        await consumer.stop()
    return sent


async def _main(args: argparse.Namespace) -> int:
    sent = await serve(args, read_plan(Path(args.plan)), stop_on_signals())
    print(f"oracle: {sent} decisions handed over", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = stage_parser("The latency floor (benchmark stage).")
    parser.add_argument("--plan", required=True, help="the decisions, from write_plan")
    parser.add_argument("--ready", required=True, help="touched once the input is assigned")
    return asyncio.run(_main(parser.parse_args(argv)))


async def start_oracle(bootstrap: str, prefix: str, workdir: Path, plan: Plan) -> Any:
    """The oracle as a process reading ``<prefix>.events`` and writing ``<prefix>.audit``;
    returns once its input is assigned and its producer started."""
    plan_path, ready = workdir / "oracle-plan.json", workdir / "oracle.ready"
    write_plan(plan, plan_path)
    argv = ["--bootstrap", bootstrap, "--input", f"{prefix}.events"]
    argv += ["--output", f"{prefix}.audit", "--plan", str(plan_path), "--ready", str(ready)]
    command = [sys.executable, "-m", "bench.stream_oracle", *argv]
    proc = start_worker({}, workdir / "oracle.log", command)  # the same process set-up
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the oracle did not start: see {workdir / 'oracle.log'}")
        await asyncio.sleep(0.1)
    return proc


def plan_for(values: list[bytes]) -> Plan:
    """The plan of the embedded replay's decisions on ``values`` (the worker's, byte for byte:
    the broker equivalence tests prove it)."""
    return make_plan(list(replay_decisions(values).values()))


if __name__ == "__main__":
    raise SystemExit(main())
