"""The Faust agent, timer and rebalance hooks of a worker: a few lines each, no logic.

The agent takes batches (``take_events``) so Faust's per-message overhead is paid once per batch:
one decider call, one gather of output sends, one changelog write per customer. It runs with
``concurrency=1`` so offsets are never committed past an unfinished batch. The timer runs on
every worker, over that worker's own partitions (not ``on_leader``): in ``wall`` mode it
releases the decisions that fell due with no new event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.runtime import Runtime


def register(runtime: Runtime, inputs: Any) -> None:
    """Attach the decider agent, the wall-clock timer and the rebalance hooks to the app."""
    from streams.runtime import inbound

    app, settings = runtime.app, runtime.settings

    async def decide(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, settings.batch_within):
            records = [inbound(event.message) for event in events]
            stamps = [event.message.timestamp for event in events]
            await runtime.run_batch(records, stamps)

    app.agent(inputs, name="duewise.decide", concurrency=1)(decide)

    if settings.clock == "wall":

        async def tick() -> None:
            await runtime.run_tick()

        app.timer(settings.tick_seconds, name="duewise.tick")(tick)

    if settings.learner:

        async def learn() -> None:
            await runtime.learner_service().run()

        app.task(learn)
    if settings.policy == "learned":

        async def follow() -> None:
            await runtime.model_follower().run()

        app.task(follow)

    async def on_revoked(_app: Any, revoked: Any, **_: Any) -> None:
        await runtime.on_revoked()

    app.on_partitions_revoked.connect(on_revoked, weak=False)
    runtime.table.on_recover(runtime.on_recovered)
