"""The realistic input of the streaming benchmarks, and what the embedded replay decides on it.

Every stage (raw, Faust, duewise) is fed the same simulator log (``duewise simulate``), keyed by
``customer_id`` as ``duewise produce`` keys it, so the throughput figures compare one workload.
The duewise worker is checked against the embedded replay: its audit topic must hold exactly the
replay's decisions, byte for byte (a re-send must be byte-identical), which is the only proof
that a fast worker is not fast because it skipped work.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from bench.paths import DATA
from bench.stream_common import PARTITIONS, Message
from streams import tail

DEFAULT_LOG = DATA / "sim-5000c-12m-s1.jsonl"
DUEWISE = Path(sys.executable).with_name("duewise")
CONTROL_HEADER = "duewise-control"  # as streams.batch, repeated to keep imports light
CLOCK = b"clock"

_replays: dict[tuple[int, int], dict[str, bytes]] = {}


def ensure_log(path: Path, customers: int = 5000, months: int = 12, seed: int = 1) -> Path:
    """The simulator log at ``path``, made once with ``duewise simulate`` (~40 s, gitignored)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        args = ["--customers", str(customers), "--months", str(months), "--seed", str(seed)]
        subprocess.run([str(DUEWISE), "simulate", "--out", str(path), *args], check=True)
    return path


def load_log(path: Path, limit: int = 0) -> list[Message]:
    """(customer key, line) for every non-blank line: the records ``duewise produce`` sends."""
    out: list[Message] = []
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            out.append((orjson.loads(line)["customer_id"].encode(), line))
            if limit and len(out) >= limit:
                break
    return out


def event_time(value: bytes) -> datetime:
    """An event's ``occurred_at`` (aware, UTC)."""
    return datetime.fromisoformat(orjson.loads(value)["occurred_at"]).astimezone(UTC)


def input_order(messages: list[Message]) -> dict[str, int] | None:
    """Event id -> position, to check losses and per-key order of a log without ``seq``."""
    first = orjson.loads(messages[0][1]) if messages else {}
    if "seq" in first:
        return None
    return {orjson.loads(v)["event_id"]: i for i, (_, v) in enumerate(messages)}


def replay_decisions(
    values: list[bytes], seed: int = 0, policy: str = "ladder"
) -> dict[str, bytes]:
    """decision_id -> encoded decision of every decision (waits too) the embedded replay makes.

    The replay advances to the last event at the end, as the worker does on the clock records.
    Cached per input, since rounds replay the same log.
    """
    from duewise.bootstrap import build_engine
    from duewise.replay import ReplaySinks, replay_lines
    from duewise.settings import Settings

    key = (len(values), hash(values[-1]) if values else 0)
    if key not in _replays:
        engine = build_engine(Settings(policy=policy, seed=seed))
        audit = BytesIO()
        replay_lines(engine, enumerate(values, 1), ReplaySinks(decisions=BytesIO(), audit=audit))
        lines = audit.getvalue().splitlines()
        _replays[key] = {orjson.loads(line)["decision_id"]: line for line in lines}
    return _replays[key]


def compare_audit(expected: dict[str, bytes], got: list[bytes]) -> dict[str, Any]:
    """The audit topic against the replay: missing, extra, different and re-sent decisions."""
    seen: dict[str, bytes] = {}
    resent = resent_differ = 0
    for line in got:
        decision_id = orjson.loads(line)["decision_id"]
        if decision_id in seen:
            resent += 1
            resent_differ += seen[decision_id] != line
        seen[decision_id] = line
    missing = len(set(expected) - set(seen))
    extra = len(set(seen) - set(expected))
    differ = sum(1 for d, line in expected.items() if d in seen and seen[d] != line)
    return {
        "ok": not (missing or extra or differ or resent_differ),
        "replay_decisions": len(expected),
        "audit_records": len(got),
        "missing": missing,
        "extra": extra,
        "differ": differ,
        "resent": resent,
        "resent_not_identical": resent_differ,
    }


async def read_values(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> list[bytes]:
    """Every value in ``topic`` now, partition by partition, in offset order."""
    return await tail.read_values({"bootstrap_servers": bootstrap}, topic, partitions)


async def send_clock(bootstrap: str, topic: str, at: datetime) -> int:
    """One clock record per partition carrying ``at``, as ``duewise produce`` ends a log."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        headers = [(CONTROL_HEADER, CLOCK)]
        for partition in partitions:
            await producer.send_and_wait(
                topic, at.isoformat().encode(), partition=partition, headers=headers
            )
        return len(partitions)
    finally:
        await producer.stop()
