"""Two duewise workers on one machine: the partitions split, per-worker work, nothing lost.

Both workers join one group (same app id, separate state dirs, web views on two ports) before
the log is written, so the split is the group's and not a late rebalance. The simulator log
(with a clock record per partition at the end) then goes in; the run is done when the audit
holds the embedded replay's decision count. Each worker's ``/health/`` (partitions with
customers scheduled) and ``/metrics/`` (``duewise_events_total``) are read before stopping, and
the audit is compared with the replay (ids and bytes). With 2 cores shared by both workers and
the broker, scaling shows in the assignment and the per-worker counts, not in wall time.

Usage::

    .venv/bin/python -m bench.stream_two
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.stream_common import (
    OutputCounter,
    cpu_seconds_of,
    delete_topics_with_prefix,
    machine,
    new_run_prefix,
    produce,
    write_results,
)
from bench.stream_duewise import (
    free_port,
    http_get,
    metric,
    prepare_topics,
    rss_mb,
    start_worker,
    stop_worker,
    wait_healthy,
    worker_env,
)
from bench.stream_input import (
    DEFAULT_LOG,
    compare_audit,
    ensure_log,
    event_time,
    load_log,
    read_values,
    replay_decisions,
    send_clock,
)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start two workers, write the log, wait for the replay's count, read their views."""
    log = args.log or ensure_log(DEFAULT_LOG)
    messages = load_log(log, args.messages)
    expected = await asyncio.to_thread(replay_decisions, [v for _, v in messages])
    prefix = new_run_prefix() + ".two"
    workdir = Path(tempfile.mkdtemp(prefix="duewise-two-"))
    ports = [free_port() for _ in range(args.workers)]
    envs = [
        worker_env(args.bootstrap, prefix, workdir / f"w{i}", "event", port)
        for i, port in enumerate(ports)
    ]
    procs: list[Any] = []
    workers: list[dict[str, Any]] = []
    try:
        await prepare_topics(envs[0])
        for i, env in enumerate(envs):
            procs.append(start_worker(env, workdir / f"w{i}.log"))
        for port, proc in zip(ports, procs, strict=True):
            await wait_healthy(port, proc)
        await asyncio.sleep(args.settle_s)  # the group's last rebalance done
        counter = OutputCounter(args.bootstrap, f"{prefix}.audit")
        await counter.start()
        cpu0 = [cpu_seconds_of(p.pid) or 0.0 for p in procs]
        started = time.time()
        await produce(args.bootstrap, f"{prefix}.events", messages)
        await send_clock(
            args.bootstrap, f"{prefix}.events", max(event_time(v) for _, v in messages)
        )
        deadline = time.monotonic() + args.timeout
        while await counter.count() < len(expected):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"audit {await counter.count()}/{len(expected)} at the end")
            await asyncio.sleep(0.1)
        wall = time.time() - started
        await counter.stop()
        for i, (port, proc) in enumerate(zip(ports, procs, strict=True)):
            health = orjson.loads(await asyncio.to_thread(http_get, port, "/health/") or b"{}")
            text = await asyncio.to_thread(http_get, port, "/metrics/") or b""
            events = metric(text, "duewise_events_total") or 0
            cpu = (cpu_seconds_of(proc.pid) or 0.0) - cpu0[i]
            workers.append(
                {
                    "worker": i,
                    "port": port,
                    "partitions": health.get("partitions"),
                    "status": health.get("status"),
                    "events": int(events),
                    "clock_records": int(metric(text, "duewise_clock_records_total") or 0),
                    "batches": int(metric(text, "duewise_batches_total") or 0),
                    "cpu_s": round(cpu, 1),
                    "events_per_cpu_s": round(events / cpu) if cpu else None,
                    "events_per_wall_s": round(events / wall),
                    "rss_mb": rss_mb(proc.pid),
                }
            )
        audit = compare_audit(expected, await read_values(args.bootstrap, f"{prefix}.audit"))
    finally:
        killed = [stop_worker(p) for p in procs]
        await delete_topics_with_prefix(args.bootstrap, prefix)
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": log.name,
        "events": len(messages),
        "wall_s": round(wall, 2),
        "events_per_s": round(len(messages) / wall),
        "workers": workers,
        "events_sum": sum(w["events"] for w in workers),
        "audit_vs_replay": audit,
        "sigkilled": killed,
        "machine": machine(),
        "load_avg_at_end": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Two duewise workers sharing the partitions.")
    parser.add_argument("--log", type=Path, help=f"event log (default {DEFAULT_LOG.name})")
    parser.add_argument("--messages", type=int, default=0, help="first N lines (0: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle-s", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--out", default="stream_two.json", help="file in bench/results")
    args = parser.parse_args(argv)
    doc = asyncio.run(run(args))
    for w in doc["workers"]:
        print(
            f"worker {w['worker']}: partitions {w['partitions']}, {w['events']:,} events,"
            f" {w['cpu_s']} cpu s ({w['events_per_cpu_s']}/cpu s), {w['batches']} batches"
        )
    a = doc["audit_vs_replay"]
    print(
        f"{doc['events']:,} events in {doc['wall_s']} s ({doc['events_per_s']}/s);"
        f" events sum {doc['events_sum']:,}; audit {'= replay' if a['ok'] else 'DIFFERS'}"
        f" ({a['replay_decisions']:,} decisions, missing {a['missing']}, extra {a['extra']},"
        f" differ {a['differ']}, re-sent {a['resent']})"
    )
    print(f"wrote {write_results(doc, args.out)}")
    return 0 if a["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
