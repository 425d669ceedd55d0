"""A simulated log produced into Kafka and decided by ``duewise worker`` gives the very
decisions ``duewise replay`` makes on the same log and seed: ids and bytes.

Time in these runs is event time (``DUEWISE_CLOCK=event``): each partition's clock is the
latest ``occurred_at`` it has seen, and ``duewise produce`` ends with a clock record per
partition carrying the log's last time, as the replay advances to its last event.
"""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

from schemas.codec import decode_dead_letter
from tests.streams.harness import (
    Deploy,
    Deployment,
    owned_partitions,
    read_topic,
    stop,
    wait_until,
)
from tests.streams.logs import BAD_LINES, compare, replayed, simulated_log


async def decided_everything(d: Deployment, expected: dict[str, bytes]) -> bool:
    got = await read_topic(d.bootstrap, d.topics.audit, 4)
    return len({line for line in got}) >= len(expected)


async def test_worker_decides_like_the_replay_and_dead_letters_bad_lines(
    deploy: Deploy, tmp_path: Path
) -> None:
    log = simulated_log(tmp_path, customers=300, months=4, seed=4, policy="random", bad=True)
    expected = replayed(log, "random", seed=4)
    d = deploy(policy="random", seed=4)
    try:
        sent = await d.produce(log)
        d.start(0, web_port=6393)
        await wait_until(lambda: decided_everything(d, expected), 180, "all decisions")
        await wait_until(lambda: _count(d, d.topics.dlq, len(BAD_LINES)), 30, "the dead letters")
        metrics = _metrics(6393)
        # A graceful stop writes the rows it held back and commits: a restart redoes nothing.
        first = d.procs[0]
        stop(first)
        d.start(0, web_port=6393)
        await wait_until(lambda: owned_partitions(6393), 60, "the restarted worker's partitions")
        await asyncio.sleep(3)  # a redone batch would show up by now
    finally:
        d.stop_all()
    assert first.returncode == 0
    assert metrics["duewise_events_total"] == sent.records - len(BAD_LINES)
    assert metrics["duewise_dead_letters_total"] == len(BAD_LINES)
    assert metrics["duewise_clock_records_total"] == 4
    assert metrics["duewise_decision_latency_seconds_count"] > 0
    audit = await read_topic(d.bootstrap, d.topics.audit, 4)
    assert compare(expected, audit) == 0  # no crash, no redo: not even a re-send
    actionable = await read_topic(d.bootstrap, d.topics.decisions, 4)
    assert sorted(actionable) == sorted(
        line for line in expected.values() if b'"action":"wait"' not in line
    )
    letters = [decode_dead_letter(v) for v in await read_topic(d.bootstrap, d.topics.dlq, 4)]
    assert sorted(letter.raw for letter in letters) == sorted(BAD_LINES)
    assert all(letter.stage == "decode" and letter.error for letter in letters)
    assert sent.records == sum(1 for line in log.read_bytes().splitlines() if line.strip())


def _metrics(port: int) -> dict[str, float]:
    """The worker's unlabelled Prometheus samples."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics/", timeout=5) as response:
        text = response.read().decode()
    samples = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in samples if "{" not in name}


async def _count(d: Deployment, topic: str, n: int) -> bool:
    return len(await read_topic(d.bootstrap, topic, 4)) >= n
