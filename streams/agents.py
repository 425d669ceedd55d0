"""The Faust agent, timer, tasks and rebalance hooks of a worker: a few lines each, no logic.

The agent takes batches (``take_events``) so Faust's per-message overhead is paid once per batch:
one decider call, one gather of output sends, one changelog write per customer. It runs with
``concurrency=1`` so offsets are never committed past an unfinished batch. The timer runs on
every worker, over that worker's own partitions (not ``on_leader``): in ``wall`` mode it
moves their clocks. A background task makes the decisions that fell due with no new event, a
slice of customers per turn of the lock, so a 06:00 burst does not hold up new events; the same
task writes held rows a slice at a time (:mod:`streams.flush`). While idle, a preparing task
makes the decisions ahead of their time, so a burst costs little when it comes
(:mod:`streams.prepare`).

Why a failed batch ends the process. ``take_events`` acknowledges a batch's events when the
loop body is left, *also* when it is left by an exception; Faust would then commit offsets of
events whose outputs or rows were never written, and they would be lost. So a batch either
completes, also when the worker is being stopped (the batch is finished before the stop goes
on), or the process exits at once without acknowledging anything: a crash, which the kill -9
tests prove harmless. A supervisor (systemd, Kubernetes, compose's ``restart``) restarts it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from streams.runtime import Runtime

log = logging.getLogger(__name__)
EXIT_BATCH_FAILED = 70
FINISH_ON_STOP_S = 30.0
RESTART_AFTER_S = 5.0
T = TypeVar("T")


def _die(what: str) -> None:
    log.critical("%s failed; exiting without acknowledging its events", what, exc_info=True)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(EXIT_BATCH_FAILED)


async def complete(work: Awaitable[T], what: str) -> T:
    """Run ``work`` to its end even if the caller is cancelled; exit the process if it fails."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            await asyncio.wait_for(asyncio.shield(task), FINISH_ON_STOP_S)
        except BaseException:
            _die(what)
        raise
    except Exception:
        _die(what)
        raise  # not reached: _die exits


async def keep_running(run: Callable[[], Awaitable[None]], what: str) -> None:
    """Run a background service forever, restarting it after a failure."""
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting in %.0f s", what, RESTART_AFTER_S)
            await asyncio.sleep(RESTART_AFTER_S)


async def prepare_while_idle(runtime: Runtime) -> None:
    """Prepare releases ahead, a slice per turn of the lock, whenever wakes may have been
    scheduled. Between slices it lets everything waiting for the lock go first (the lock
    serves waiters in order), so batches and releases wait for one slice at most; and before
    each it waits until every output handed to the producer is acknowledged, so that the
    producer's own work (building, sending, reading acknowledgements: event-loop callbacks
    too) never waits behind preparing."""
    while True:
        await runtime.upcoming.wait()
        runtime.upcoming.clear()
        while True:
            await runtime.sink.delivered()
            if not await runtime.prepare_slice():
                break
            await asyncio.sleep(0)


def register(runtime: Runtime, inputs: Any) -> None:
    """Attach the decider agent, the wall-clock timer, the learner, the model follower and the
    rebalance hooks to the app."""
    from streams.follower import ModelFollower
    from streams.learner import LearnerService

    app, settings = runtime.app, runtime.settings

    async def decide(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, settings.batch_within):
            await complete(runtime.run_messages([e.message for e in events]), "a batch")

    # The agent subscribes the input topics (and checks the table is co-partitioned with them)
    # in both modes; with bulk ingestion the consumer hands the records to the decider directly.
    app.agent(inputs, name="duewise.decide", concurrency=1)(decide)
    if settings.ingest == "bulk":

        async def decide_bulk(messages: list[Any]) -> list[Any]:
            return await complete(runtime.run_messages(messages), "a batch")

        async def settle() -> list[Any]:
            return await complete(runtime.settle(), "a row flush")

        app.deliver_in_bulk(frozenset(runtime.topics.inputs), decide_bulk, settle)

    async def background() -> None:
        while True:
            await runtime.work.wait()
            runtime.work.clear()
            while await complete(runtime.background_turn(), "background work"):
                await asyncio.sleep(0)  # let a waiting batch take the lock

    app.task(background)

    async def prepare() -> None:  # a failure costs the preparing (releases go on), not the worker
        await keep_running(lambda: prepare_while_idle(runtime), "preparing releases ahead")

    if settings.prepare_ahead > 0:
        app.task(prepare)

    if settings.clock == "wall":

        async def tick() -> None:
            await complete(runtime.run_tick(), "a clock tick")

        app.timer(settings.tick_seconds, name="duewise.tick")(tick)

    if settings.learner:

        async def learn() -> None:
            await keep_running(lambda: LearnerService(settings).run(), "the learner")

        app.task(learn)
    if settings.policy == "learned":

        async def follow() -> None:
            follower = ModelFollower(settings, runtime.models)
            await keep_running(follower.run, "the model follower")

        app.task(follow)

    async def on_revoked(_app: Any, revoked: Any, **_: Any) -> None:
        await runtime.on_revoked()

    app.on_partitions_revoked.connect(on_revoked, weak=False)

    async def stop_rows(_app: Any, **_: Any) -> None:  # the consumer has stopped: rows settled
        await runtime.sink.stop()

    app.on_before_shutdown.connect(stop_rows, weak=False)
    runtime.table.on_recover(runtime.on_recovered)
