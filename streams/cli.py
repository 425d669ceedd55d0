"""``duewise worker | produce | tail``: the streaming runtime's commands.

Settings come from ``DUEWISE_*`` environment variables (see :mod:`duewise.settings`); the few
options here override them for one run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from duewise.settings import Settings

console = Console(stderr=True, highlight=False)
KINDS = ("decisions", "audit", "dlq", "outcomes", "models")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def worker(
    clock: Annotated[str | None, typer.Option(help="wall (live) or event (replays)")] = None,
    web_port: Annotated[int | None, typer.Option(help="HTTP port of health/metrics")] = None,
    web: Annotated[bool | None, typer.Option(help="serve health, metrics, explanations")] = None,
    loglevel: Annotated[str, typer.Option(help="worker log level")] = "warning",
) -> None:
    """Run a decider worker; several may run, they share the partitions."""
    from duewise.gc_tuning import tune_gc
    from streams.runtime import build_runtime
    from streams.topics import ensure_topics

    settings = _settings(clock=clock, web_port=web_port, web_enabled=web)
    tune_gc()
    sys.setswitchinterval(settings.switch_interval_ms / 1000)  # why: Settings.switch_interval_ms
    created = asyncio.run(ensure_topics(settings))
    if created:
        console.print(f"created topics: {', '.join(created)}")
    import faust

    runtime = build_runtime(settings)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    instance = faust.Worker(runtime.app, loglevel=loglevel, redirect_stdouts=False)
    instance.spinner = None  # the terminal spinner costs 10-25% of throughput
    instance.execute_from_commandline()


def produce(
    events: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines log")],
    speed: Annotated[
        float, typer.Option(help="0: as fast as possible; N: N times the log's own pace")
    ] = 0.0,
    topic: Annotated[str | None, typer.Option(help="topic (default: the events topic)")] = None,
    clock: Annotated[
        bool, typer.Option(help="send a clock record per partition at the end")
    ] = True,
) -> None:
    """Replay an event log into the input topic, keyed by customer."""
    from streams.produce import produce_file
    from streams.topics import TopicNames, ensure_topics

    settings = Settings()
    asyncio.run(ensure_topics(settings))
    target = topic or TopicNames.of(settings).events
    summary = asyncio.run(produce_file(settings, events, target, speed, clock))
    console.print(
        f"sent {summary.records} records to {target} ({summary.unkeyed} without a customer key), "
        f"{summary.clock_records} clock records at {summary.last_at}"
    )


def tail(
    kind: Annotated[str, typer.Argument(help="decisions, audit, dlq, outcomes or models")],
    from_end: Annotated[bool, typer.Option(help="only records written from now on")] = False,
    limit: Annotated[int | None, typer.Option(help="stop after this many records")] = None,
    idle: Annotated[
        float | None, typer.Option(help="stop after this many seconds without a record")
    ] = None,
) -> None:
    """Print one output topic as JSON Lines (no consumer group: it takes nothing from anyone)."""
    from streams.tail import tail_sync
    from streams.topics import TopicNames

    if kind not in KINDS:
        console.print(f"error: unknown kind {kind!r}; known: {', '.join(KINDS)}")
        raise typer.Exit(code=2)
    settings = Settings()
    topic = getattr(TopicNames.of(settings), kind)
    out = sys.stdout.buffer

    def write(value: bytes) -> None:
        out.write(value + b"\n")
        out.flush()

    try:
        tail_sync(
            settings, topic, on_record=write, from_end=from_end, limit=limit, idle_seconds=idle
        )
    except ValueError as exc:
        console.print(f"error: {exc}")
        raise typer.Exit(code=2) from None


def register(app: typer.Typer) -> None:
    """Add the streaming commands to the ``duewise`` command line."""
    app.command()(worker)
    app.command()(produce)
    app.command()(tail)
