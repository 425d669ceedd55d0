"""Decision latency of one duewise worker at a fixed input rate, and its memory over the run.

**What is measured.** A decision is not caused by the wall clock of a benchmark but by an input
record: in ``event`` clock mode a partition's time is the largest ``occurred_at`` it has seen,
and a decision due at time D (``decided_at``) is released by the first record of its partition
whose ``occurred_at`` (running maximum) reaches D, or is made by the event itself at its time.
So the latency of a decision is **receipt of the decision by a consumer of the audit topic minus
the producer's send time of the record that released it** (both wall clocks of this process).
The releasing record is found by bisecting the partition's sent records by time (a decision at
exactly the time of a record of its own customer was made by that record, not by the first of
the many records sharing the time); the audit is
partitioned by customer like the input, so the decision's partition is its customer's. A second
figure uses the audit's broker stamp (``LogAppendTime``) instead of consumer receipt.

**The measurer holds still.** Producer and audit consumer share this process, and its
cyclic garbage collector, left on, walked the run's sent-record list (60,000 entries and their
futures per minute) in 40-135 ms pauses: a decision on the broker waited that long to be
received (seen as receipt minus broker stamp up to 128 ms while the worker's own pauses were
elsewhere). The collector is off while the benchmark runs (its objects hold no cycles that
matter for a run of minutes); the worker keeps its own.

Why not ``wall`` mode: with the wall clock, decisions fall due days after the events that
schedule them, so almost no record "makes" a decision and there is nothing honest to time;
and a log from another year would make everything due at once. Event mode at 1,000 events/s
compresses a month of the log into ~15 s, so the ladder's 06:00 batches (hundreds of customers
at once) are part of the figure: the last decision of a batch waits for the whole batch.

The producer sends the simulator log (5,000 customers x 60 months, 626,659 events, by default)
at ``--rate`` records/s from the first line, in 10 ms ticks, keyed by customer. The worker's RSS
is sampled every ``--rss-every`` s; "flat" means the slope after ``--warm-s`` is near zero.

Usage::

    .venv/bin/python -m bench.stream_latency --rate 1000 --seconds 60
    .venv/bin/python -m bench.stream_latency --rate 1000 --seconds 600 --out stream_memory.json
    .venv/bin/python -m bench.stream_latency --rate 1000 --seconds 60 --stage oracle  # the floor
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.latency_math import latencies, slope_mb_per_min, write_raw
from bench.paths import DATA
from bench.stream_common import (
    PARTITIONS,
    delete_topics_with_prefix,
    machine,
    new_run_prefix,
    write_results,
)
from bench.stream_duewise import (
    free_port,
    http_get,
    lag_of,
    prepare_topics,
    rss_mb,
    start_worker,
    stop_worker,
    wait_healthy,
    wait_split,
    worker_env,
)
from bench.stream_input import ensure_log, event_time, load_log
from bench.stream_oracle import plan_for, start_oracle

LOG = DATA / "sim-5000c-60m-s1.jsonl"
TICK_S = 0.01


class Audit:
    """Consumes the audit topic from its start: per decision (partition by customer, decided_at,
    receipt time, broker stamp)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
        )
        self.topic = topic
        self.rows: list[tuple[bytes, float, float, float]] = []
        self.last_receipt = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        await self.consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
            self.consumer.assign(tps)
            await self.consumer.seek_to_beginning(*tps)
            while not stop.is_set():
                got = await self.consumer.getmany(timeout_ms=100, max_records=5000)
                now = time.time()
                for records in got.values():
                    for r in records:
                        decided = orjson.loads(r.value)["decided_at"]
                        at = datetime.fromisoformat(decided).timestamp()
                        self.rows.append((r.key, at, now, r.timestamp / 1000))
                        self.last_receipt = now
        finally:
            await self.consumer.stop()


async def send_paced(
    bootstrap: str, topic: str, messages: list[tuple[bytes, bytes, float]], rate: float
) -> tuple[dict[bytes, int], list[list[tuple[float, float, bytes]]]]:
    """Send at ``rate``/s; returns customer -> partition and, per partition, (running max of
    occurred_at, send time, key) in send order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent: list[tuple[bytes, float, float, Any]] = []
    try:
        t0 = time.time()
        i = 0
        while i < len(messages):
            due = min(len(messages), int((time.time() - t0) * rate) + 1)
            while i < due:
                key, value, at = messages[i]
                now = time.time()
                sent.append((key, at, now, await producer.send(topic, value, key=key)))
                i += 1
            await asyncio.sleep(TICK_S)
        metas = await asyncio.gather(*(f for *_, f in sent))
    finally:
        await producer.stop()
    where: dict[bytes, int] = {}
    per: list[list[tuple[float, float, bytes]]] = [[] for _ in range(PARTITIONS)]
    for (key, at, now, _), meta in zip(sent, metas, strict=True):
        where[key] = meta.partition
        rows = per[meta.partition]
        rows.append((max(at, rows[-1][0]) if rows else at, now, key))
    return where, per


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the worker(s), send at the rate, sample RSS, measure; delete everything after."""
    log = args.log or ensure_log(LOG, months=60)
    count = int(args.rate * args.seconds)
    loaded = load_log(log, count)
    messages = [(k, v, event_time(v).timestamp()) for k, v in loaded]
    prefix = new_run_prefix() + ".lat"
    workdir = Path(tempfile.mkdtemp(prefix="duewise-latency-"))
    ports = [free_port() for _ in range(args.workers)]
    envs = [
        worker_env(args.bootstrap, prefix, workdir / f"state{n}", "event", port)
        for n, port in enumerate(ports)
    ]
    rss: list[tuple[float, float]] = []
    procs: list[Any] = []
    try:
        await prepare_topics(envs[0])
        started = time.monotonic()
        if args.stage == "oracle":
            ports = []  # no web endpoints: the drain below waits for quiet only
            plan = await asyncio.to_thread(plan_for, [v for _, v, _ in messages])
            procs.append(await start_oracle(args.bootstrap, prefix, workdir, plan))
        else:
            for n, env in enumerate(envs):
                procs.append(start_worker(env, workdir / f"worker{n}.log"))
            for port, proc in zip(ports, procs, strict=True):
                await wait_healthy(port, proc)
            if len(procs) > 1:
                await wait_split(ports, PARTITIONS)
        ready_s = time.monotonic() - started
        audit, stop = Audit(args.bootstrap, f"{prefix}.audit"), asyncio.Event()
        consumer = asyncio.create_task(audit.run(stop))
        await asyncio.sleep(2)  # consumer positioned
        t0 = time.time()

        async def sample() -> None:
            while not stop.is_set():
                mbs = [rss_mb(proc.pid) for proc in procs]
                if None not in mbs:
                    rss.append((time.time() - t0, sum(m for m in mbs if m is not None)))
                await asyncio.sleep(args.rss_every)

        sampler = asyncio.create_task(sample())
        where, per = await send_paced(args.bootstrap, f"{prefix}.events", messages, args.rate)
        send_s = time.time() - t0
        pages: list[bytes | None] = []
        drain_until = time.time() + args.drain_s  # until the workers' lag is 0, then 3 s quiet
        while time.time() < drain_until:
            pages = [await asyncio.to_thread(http_get, port, "/metrics/") for port in ports]
            quiet = time.time() - max(audit.last_receipt, t0 + send_s) >= 3
            if quiet and all(lag_of(page) == 0 for page in pages):
                break
            await asyncio.sleep(1)
        lags = [lag_of(page) for page in pages]
        lag_left = None if None in lags or not lags else sum(lag for lag in lags if lag is not None)
        metrics = b"".join(page or b"" for page in pages)
        stop.set()
        await asyncio.gather(consumer, sampler)
    finally:
        killed = any([stop_worker(proc) for proc in procs])
        await delete_topics_with_prefix(args.bootstrap, prefix)
        shutil.rmtree(workdir, ignore_errors=True)
    lat = latencies(audit.rows, where, per, t0 + args.skip_s)
    if args.raw:
        write_raw(Path(args.raw), audit.rows, where, per, t0)
    after = [(t, m) for t, m in rss if t >= args.warm_s]
    mems = [m for _, m in rss]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": log.name,
        "stage": args.stage,
        "rate": args.rate,
        "workers": args.workers if args.stage == "duewise" else 0,
        "events": len(messages),
        "send_s": round(send_s, 1),
        "achieved_rate": round(len(messages) / send_s),
        "worker_ready_s": round(ready_s, 1),
        "lag_left_at_end": lag_left,
        "skip_s": args.skip_s,
        "latency": lat,
        "rss_mb": {
            "start": round(mems[0], 1) if mems else None,
            "end": round(mems[-1], 1) if mems else None,
            "max": round(max(mems), 1) if mems else None,
            "slope_after_warm_mb_per_min": slope_mb_per_min(after),
            "warm_s": args.warm_s,
            "samples": [(round(t), round(m, 1)) for t, m in rss],
        },
        "worker_metrics": [
            line
            for line in (metrics or b"").decode().splitlines()
            if line.startswith(
                (
                    "duewise_decision_latency",
                    "duewise_lock_turn",
                    "duewise_gc",
                    "duewise_prepared",
                    "duewise_released",
                )
            )
        ],
        "worker_sigkilled": killed,
        "machine": machine(),
        "load_avg_at_end": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="duewise decision latency and memory.")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send")
    parser.add_argument("--log", type=Path, help=f"event log (default {LOG.name})")
    parser.add_argument("--skip-s", type=float, default=5.0, help="ignore the first seconds")
    parser.add_argument("--drain-s", type=float, default=300.0, help="max wait for lag 0")
    parser.add_argument("--rss-every", type=float, default=10.0, help="RSS sample period, s")
    parser.add_argument("--warm-s", type=float, default=120.0, help="slope after this, s")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--out", default="stream_latency.json", help="file in bench/results")
    parser.add_argument("--raw", help="also write every decision's raw timings to this path")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the partitions"
    )
    parser.add_argument(
        "--stage",
        choices=("duewise", "oracle"),
        default="duewise",
        help="oracle: the floor, decisions known in advance (bench/stream_oracle.py)",
    )
    args = parser.parse_args(argv)
    gc.collect()
    gc.freeze()
    gc.disable()  # the measurer's own pauses are not the worker's latency (module docstring)
    try:
        doc = asyncio.run(run(args))
    finally:
        gc.enable()
    lat, mem = doc["latency"], doc["rss_mb"]
    event, clock = lat["made_by_their_event_ms"], lat["released_by_the_clock_ms"]
    print(
        f"{doc['events']:,} events at {doc['achieved_rate']}/s; {lat['measured']:,} decisions:"
        f" p50 {lat['receipt_ms']['p50']} ms, p99 {lat['receipt_ms']['p99']} ms,"
        f" max {lat['receipt_ms']['max']} ms (broker stamp p99 {lat['broker_stamp_ms']['p99']});"
        f" made by their event: {event['count']:,}, p50 {event['p50']} ms, p99 {event['p99']} ms;"
        f" released by the clock: {clock['count']:,}, p99 {clock['p99']} ms;"
        f" RSS start {mem['start']} end {mem['end']} max {mem['max']} MB,"
        f" slope {mem['slope_after_warm_mb_per_min']} MB/min after {mem['warm_s']:.0f} s"
    )
    print(f"wrote {write_results(doc, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
