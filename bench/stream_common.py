"""Shared pieces of the streaming benchmark: topics, the input, counting the output, results.

Every stage of :mod:`bench.stream_bench` is measured from outside, on the broker itself: the
harness writes the input, starts the stage and watches the output topic's end offsets, so raw
aiokafka, Faust and the duewise worker are timed by the same clock and nobody can time
themselves generously. Output topics use ``LogAppendTime``, so every output record carries the
instant the broker stored it; first→last output is read from those stamps after the run, not
polled. All topic names start with one per-run prefix (``bench.``), so cleanup is a prefix match.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.paths import RESULTS, ROOT
from streams.tail import read_to_end

PARTITIONS = 4
TOPIC_PREFIX = "bench."
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_READY_TIMEOUT_S = 30
CURRENCIES = ("SEK", "SEK", "SEK", "EUR", "NOK")
TYPES = ("invoice_created", "payment_received", "reminder_sent", "invoice_due")

Message = tuple[bytes, bytes]


def new_run_prefix() -> str:
    """A fresh ``bench.<time>-<hex>`` prefix, so runs never share topics or consumer groups."""
    return f"{TOPIC_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def make_messages(n: int, customers: int = 5000, seed: int = 7) -> list[Message]:
    """N (key, value) pairs: ~300-byte JSON events keyed by ~``customers`` customer ids.

    Seeded, so every stage (and every run) gets the same bytes. ``seq`` numbers the events so the
    output can be checked for losses, duplicates and per-key order.
    """
    rng = random.Random(seed)
    out: list[Message] = []
    for seq in range(n):
        cid = f"cus_{rng.randrange(customers):06d}"
        event = {
            "type": TYPES[seq % len(TYPES)],
            "event_id": f"evt_{seq:010d}_{rng.getrandbits(32):08x}",
            "seq": seq,
            "customer_id": cid,
            "invoice_id": f"inv_{cid[4:]}_{seq % 97:03d}",
            "amount_minor": rng.randrange(1_000, 2_000_000),
            "currency": CURRENCIES[seq % len(CURRENCIES)],
            "due_date": f"2026-{1 + seq % 12:02d}-{1 + seq % 28:02d}",
            "occurred_at": f"2026-01-01T{seq // 3600 % 24:02d}:{seq // 60 % 60:02d}:00.000Z",
            "payment_reference": f"RF{rng.getrandbits(40):012d}",
            "channel": "email" if seq % 3 else "sms",
            "memo": "x" * rng.randrange(0, 10),
        }
        out.append((cid.encode(), orjson.dumps(event)))
    return out


async def _wait_until_led(admin: AIOKafkaAdminClient, topic: str, partitions: int) -> None:
    """CreateTopics returns before the broker's metadata has leaders; producing then retries."""
    deadline = time.monotonic() + TOPIC_READY_TIMEOUT_S
    while True:
        (described,) = await admin.describe_topics([topic])
        parts = described["partitions"]
        led = len(parts) == partitions and all(p["leader"] >= 0 for p in parts)
        if described["error_code"] == 0 and led:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic} has no leaders after {TOPIC_READY_TIMEOUT_S}s")
        await asyncio.sleep(0.05)


async def create_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int = PARTITIONS,
    config: dict[str, str] | None = None,
) -> None:
    """Create topics up front: auto-created ones get 1 partition and skew every figure."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="duewise-bench")
    await admin.start()
    try:
        new = [NewTopic(t, partitions, 1, topic_configs=config or {}) for t in names]
        response = await admin.create_topics(new)
        for topic, code, *rest in response.topic_errors:
            if code != 0:
                raise RuntimeError(f"creating topic {topic} failed: error {code} {rest}")
        for name in names:
            await _wait_until_led(admin, name, partitions)
    finally:
        await admin.close()


async def delete_topics_with_prefix(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic of one run (its own and those its stages made, e.g. changelogs)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="duewise-bench")
    await admin.start()
    try:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        if doomed:
            response = await admin.delete_topics(doomed)
            failed = [
                (t, c)
                for t, c in response.topic_error_codes
                if c not in (0, UNKNOWN_TOPIC_OR_PARTITION)
            ]
            if failed:
                raise RuntimeError(f"deleting bench topics failed: {failed}")
        return doomed
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, messages: Sequence[Message]) -> float:
    """Write the messages (acked by the broker) and return how many per second went in."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=65536
    )
    await producer.start()
    try:
        start = time.perf_counter()
        for i in range(0, len(messages), 10_000):
            chunk = messages[i : i + 10_000]
            futures = [await producer.send(topic, value, key=key) for key, value in chunk]
            await asyncio.gather(*futures)
        return len(messages) / (time.perf_counter() - start)
    finally:
        await producer.stop()


async def warm_up(bootstrap: str, topic: str, seconds: float, messages: Sequence[Message]) -> int:
    """Produce and read back for ``seconds``: a cold broker is ~20 % slower for its first ~20 s."""
    if seconds <= 0:
        return 0
    await create_topics(bootstrap, [topic])
    batch = messages[:20_000]
    moved = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await produce(bootstrap, topic, batch)
        moved += len(batch)
    stats = await scan_output(bootstrap, topic)
    await delete_topics_with_prefix(bootstrap, topic)  # do not keep ~1 M messages around
    return moved + stats["count"]


class OutputCounter:
    """Sums a topic's end offsets: one ListOffsets request, cheap enough to poll every 25 ms.

    Counting by offsets rather than consuming keeps the watcher off the 2 cores the stage needs.
    It equals the message count because bench topics are neither compacted nor transactional.
    """

    def __init__(self, bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._tps = [TopicPartition(topic, p) for p in range(partitions)]

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def count(self) -> int:
        ends = await self._consumer.end_offsets(self._tps)
        return sum(ends.values())


async def scan_output(
    bootstrap: str,
    topic: str,
    partitions: int = PARTITIONS,
    order: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Read a topic once (after timing) for its broker stamps and its correctness.

    Returns count, first/last broker timestamp (ms), distinct ``seq`` values, duplicates and
    per-key order violations (a key's seq going backwards within its partition). Values that
    are not JSON objects with ``seq`` (a future stage's decisions) are only counted. ``order``
    (event id -> input position) stands in for ``seq`` when the input is a real event log.
    """
    seen: set[int] = set()
    last_seq: dict[bytes | None, int] = {}
    count = dups = disorder = 0
    first_ts, last_ts = float("inf"), 0
    async for _, records in read_to_end({"bootstrap_servers": bootstrap}, topic, partitions):
        for r in records:
            count += 1
            first_ts, last_ts = min(first_ts, r.timestamp), max(last_ts, r.timestamp)
            seq = _seq_of(r.value, order)
            if seq is None:
                continue
            if seq in seen:
                dups += 1
            seen.add(seq)
            if last_seq.get(r.key, -1) > seq:
                disorder += 1
            last_seq[r.key] = seq
    return {
        "count": count,
        "distinct_seq": len(seen),
        "duplicates": dups,
        "order_violations": disorder,
        "first_ts_ms": first_ts if count else None,
        "last_ts_ms": last_ts if count else None,
    }


def _seq_of(value: bytes | None, order: dict[str, int] | None = None) -> int | None:
    try:
        event = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    seq = event.get("seq") if isinstance(event, dict) else None
    if seq is None and order is not None and isinstance(event, dict):
        seq = order.get(event.get("event_id", ""))
    return seq if isinstance(seq, int) else None


def cpu_seconds_of(pid: int | None) -> float | None:
    """User+system CPU seconds of a live process (all its threads), from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def broker_pid() -> int | None:
    """The local broker's pid as ``scripts/kafka status`` reports it, to charge its CPU too."""
    try:
        out = subprocess.run(
            [str(ROOT / "scripts" / "kafka"), "status"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    marker = "(pid "
    if marker not in out:
        return None
    digits = out.split(marker, 1)[1].split(")", 1)[0]
    return int(digits) if digits.isdigit() else None


def machine() -> dict[str, Any]:
    """The facts needed to compare results across machines."""
    from bench.replay_report import cpu_model, git_describe

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "git": git_describe(),
    }


def write_results(doc: dict[str, Any], name: str = "stream_bench.json") -> Path:
    """Write one run's figures under ``bench/results/`` (a few KB, committed)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    return path
