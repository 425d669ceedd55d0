"""A batch is finished or the process dies: never left half done with its events acknowledged."""

from __future__ import annotations

import asyncio

import pytest

from streams import agents


async def test_a_batch_cancelled_midway_is_finished_before_the_cancel_goes_on() -> None:
    done: list[str] = []

    async def batch() -> None:
        await asyncio.sleep(0.05)
        done.append("sent")

    outer = asyncio.ensure_future(agents.complete(batch(), "a batch"))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert done == ["sent"]


async def test_a_failing_batch_exits_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    exits: list[int] = []
    monkeypatch.setattr(agents.os, "_exit", exits.append)

    async def batch() -> None:
        raise RuntimeError("broker gone")

    with pytest.raises(RuntimeError):  # were the exit to return, the error still propagates
        await agents.complete(batch(), "a batch")
    assert exits == [agents.EXIT_BATCH_FAILED]


async def test_a_failing_service_is_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agents, "RESTART_AFTER_S", 0.0)
    runs: list[int] = []

    async def service() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("lost the broker")
        await asyncio.sleep(3600)

    task = asyncio.ensure_future(agents.keep_running(service, "a service"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(runs) == 3


class Delivery:
    """A sink whose outputs are acknowledged when the test says so."""

    def __init__(self) -> None:
        self.acked = asyncio.Event()
        self.acked.set()

    async def delivered(self) -> None:
        await self.acked.wait()


class Preparing:
    """What :func:`agents.prepare_while_idle` uses of a runtime: a lock and slices of work."""

    def __init__(self, slices: int) -> None:
        self.lock = asyncio.Lock()
        self.upcoming = asyncio.Event()
        self.left = slices
        self.done = 0
        self.sink = Delivery()

    async def prepare_slice(self) -> int:
        async with self.lock:
            if not self.left:
                return 0
            self.left -= 1
            self.done += 1
            return 8


async def test_preparing_lets_a_waiting_batch_take_the_lock_after_one_slice() -> None:
    runtime = Preparing(slices=1000)
    task = asyncio.ensure_future(agents.prepare_while_idle(runtime))  # type: ignore[arg-type]
    runtime.upcoming.set()
    await asyncio.sleep(0)
    waits = []
    for _ in range(5):
        asked = runtime.done
        async with runtime.lock:  # a batch (or a release) wanting the lock
            waits.append(runtime.done - asked)
        await asyncio.sleep(0)
    assert max(waits) <= 1
    while runtime.left:
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not runtime.upcoming.is_set()  # all done: it waits to be told of new wakes
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_preparing_waits_until_the_outputs_handed_over_are_acknowledged() -> None:
    runtime = Preparing(slices=3)
    runtime.sink.acked.clear()  # a burst's decisions are still on their way to the broker
    task = asyncio.ensure_future(agents.prepare_while_idle(runtime))  # type: ignore[arg-type]
    runtime.upcoming.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert runtime.done == 0
    runtime.sink.acked.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert runtime.done == 3
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
