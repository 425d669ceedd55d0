"""Crashes and rebalances on a real broker: kill -9 of a worker at random points of a replay,
and a second worker leaving and coming back, change no decision.

The promise (DESIGN.md, "Idempotent first"): no accepted event lost, no two different decisions
for one dunning step, re-sends only byte-identical. ``compare`` checks all three against the
embedded replay of the same log; the re-sends are counted and printed.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import pytest

from tests.streams.harness import (
    Deploy,
    Deployment,
    owned_partitions,
    read_topic,
    stop,
    wait_until,
)
from tests.streams.logs import compare, replayed, simulated_log


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("faults")
    log = simulated_log(folder, customers=1500, months=6, seed=7, policy="ladder")
    return log, replayed(log, "ladder", seed=7)


async def audit_ids(d: Deployment) -> set[bytes]:
    return set(await read_topic(d.bootstrap, d.topics.audit, 4))


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_kill_9_at_random_points_loses_nothing_and_decides_nothing_twice(
    deploy: Deploy,
    big_log: tuple[Path, dict[str, bytes]],
    store: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log, expected = big_log
    monkeypatch.setenv("DUEWISE_STORE", store)
    d = deploy()
    rng = random.Random(store)
    kills_mid_run = 0
    try:
        await d.produce(log)
        for _ in range(3):
            proc = d.start()
            await wait_until(lambda: _some(d), 90, "the worker's first decisions")
            # a worker at full speed (~6,500 events/s) replays this log in ~5 s: kill early
            await asyncio.sleep(rng.uniform(0.2, 2.0))
            kills_mid_run += len(await audit_ids(d)) < len(expected)
            stop(proc, signal.SIGKILL)
        d.start()
        await wait_until(
            lambda: _at_least(d, len(expected)), 240, "every decision after the crashes"
        )
        await asyncio.sleep(2)  # anything still in flight would show up now
    finally:
        d.stop_all()
    assert kills_mid_run >= 2, "the kills came too late to test anything"
    resent = compare(expected, await read_topic(d.bootstrap, d.topics.audit, 4))
    print(f"{store}: {len(expected)} decisions, {resent} byte-identical re-sends")


async def test_second_worker_leaving_and_returning_changes_no_decision(
    deploy: Deploy, big_log: tuple[Path, dict[str, bytes]]
) -> None:
    log, expected = big_log
    d = deploy()
    ports = (6391, 6392)
    try:
        await d.produce(log)
        d.start(0, ports[0])
        await wait_until(lambda: _some(d), 90, "the first worker's decisions")
        second = d.start(1, ports[1])
        await wait_until(lambda: _split(ports), 60, "the partitions split between workers")
        split = [owned_partitions(port) for port in ports]
        stop(second)  # leaves mid-replay: its partitions move back to the first worker
        d.start(1, ports[1])
        await wait_until(lambda: _at_least(d, len(expected)), 240, "every decision")
        await asyncio.sleep(2)
    finally:
        d.stop_all()
    assert split[0] and split[1] and not set(split[0]) & set(split[1]), split
    resent = compare(expected, await read_topic(d.bootstrap, d.topics.audit, 4))
    print(f"two workers: split {split}, {resent} byte-identical re-sends")


async def _some(d: Deployment) -> bool:
    return len(await read_topic(d.bootstrap, d.topics.audit, 4)) > 0


async def _at_least(d: Deployment, n: int) -> bool:
    return len(await audit_ids(d)) >= n


def _split(ports: tuple[int, int]) -> bool:
    return all(owned_partitions(port) for port in ports)
