"""The sharded replay of the benchmark: lines split by customer over worker processes, and
their audit records merged into one digest.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
import zlib
from typing import Any

from bench.replay_measure import (
    ListSink,
    null_sinks,
)
from duewise.bootstrap import build_engine
from duewise.replay import replay_lines
from duewise.settings import Settings


def shard_of(raw: bytes, workers: int) -> int:
    """The worker a line goes to: a stable hash of its customer id, as Kafka keys by it."""
    start = raw.find(b'"customer_id":"')
    if start < 0:
        return 0
    start += 15
    return zlib.crc32(raw[start : raw.find(b'"', start)]) % workers


_SHARDS: list[list[tuple[int, bytes]]] = []


def _worker(index: int, settings: Settings, queue: Any) -> None:
    engine = build_engine(settings)
    audit = ListSink()
    sinks, _ = null_sinks(audit)
    t0, c0 = time.perf_counter(), time.process_time()
    summary = replay_lines(engine, _SHARDS[index], sinks)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    queue.put((index, took, cpu, summary.events, audit.parts))


def run_sharded(lines: list[tuple[int, bytes]], settings: Settings, workers: int) -> dict[str, Any]:
    """Replay with ``workers`` forked processes, each owning the customers of its shard.

    This is how the design scales (Kafka partitions keyed by customer, one worker each): every
    customer's events stay in order in one process, so the decisions are the same as one
    process makes, only interleaved differently (checked with an order-free digest).
    """
    _SHARDS[:] = [[] for _ in range(workers)]
    for item in lines:
        _SHARDS[shard_of(item[1], workers)].append(item)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    gc.collect()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_worker, args=(i, settings, queue)) for i in range(workers)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    took = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    merged = ListSink()
    for *_, parts in results:
        merged.parts.extend(parts)
    _SHARDS.clear()
    return {
        "workers": workers,
        "seconds": took,
        "events_per_s": len(lines) / took,
        "shard_events": [r[3] for r in sorted(results)],
        "shard_seconds": [round(r[1], 3) for r in sorted(results)],
        "shard_cpu_seconds": [round(r[2], 3) for r in sorted(results)],
        "audit": merged.digest(),
    }
