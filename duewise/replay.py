"""Embedded replay: run a time-ordered event log through the engine, write the decisions.

Time comes from the log: before each event the clock advances to the event's ``occurred_at``,
which releases every decision that fell due in between at its own scheduled time, so the result
does not depend on how often anyone ticks. Invalid lines are written to the dead-letter file
with their reason and counted; they never stop the replay. The same log and seed give
byte-identical outputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from duewise.embedded import Engine
from duewise.validate import iter_lines
from schemas.codec import DecodeError, decode_event, encode
from schemas.outbound import DeadLetter, Decision


@dataclass
class ReplaySummary:
    """What a replay did, for the closing table."""

    events: int = 0
    invalid: int = 0
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    blocked: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)
    dead_letters: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def actionable(self) -> int:
        """Decisions a notifier acts on (everything but waits)."""
        return sum(n for (action, _), n in self.decisions.items() if action != "wait")


@dataclass
class ReplaySinks:
    """Where the replay writes: decisions (actionable), audit (all), dead letters."""

    decisions: BinaryIO
    audit: BinaryIO | None = None
    dlq: BinaryIO | None = None


def _emit(decisions: list[Decision], sinks: ReplaySinks, summary: ReplaySummary) -> None:
    for decision in decisions:
        line = encode(decision) + b"\n"
        summary.decisions[(decision.action.value, decision.channel or "-")] += 1
        for block in decision.blocked:
            summary.blocked[block.rule] += 1
        if sinks.audit is not None:
            sinks.audit.write(line)
        if decision.actionable:
            sinks.decisions.write(line)


def _dead(sinks: ReplaySinks, summary: ReplaySummary, letter: DeadLetter) -> None:
    summary.dead_letters += 1
    if sinks.dlq is not None:
        sinks.dlq.write(encode(letter) + b"\n")


def _flush_notices(engine: Engine, sinks: ReplaySinks, summary: ReplaySummary) -> None:
    for notice in engine.take_dead_notices():
        raw = (notice.raw or "").encode()
        error = f"{notice.kind}: {notice.detail} (event {notice.event_id})"
        at = engine.clock or datetime(1970, 1, 1, tzinfo=UTC)
        _dead(sinks, summary, DeadLetter(raw=raw, error=error, stage="process", failed_at=at))


def replay_lines(
    engine: Engine,
    lines: Iterable[tuple[int, bytes]],
    sinks: ReplaySinks,
    until: datetime | None = None,
    source: str = "replay",
    on_line: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Replay numbered lines into ``engine``, then advance to ``until`` (default: last event)."""
    summary = ReplaySummary()
    for number, raw in lines:
        if on_line is not None:
            on_line(len(raw) + 1)
        try:
            event = decode_event(raw)
        except DecodeError as exc:
            summary.invalid += 1
            at = engine.clock or datetime(1970, 1, 1, tzinfo=UTC)
            letter = DeadLetter(raw=raw, error=str(exc), topic=source, offset=number, failed_at=at)
            _dead(sinks, summary, letter)
            continue
        summary.events += 1
        summary.first_at = summary.first_at or event.occurred_at
        summary.last_at = event.occurred_at
        _emit(engine.advance(event.occurred_at), sinks, summary)
        _emit(engine.handle(event), sinks, summary)
        _flush_notices(engine, sinks, summary)
    end = until or engine.clock
    if end is not None:
        _emit(engine.advance(end), sinks, summary)
    summary.notices.update(engine.notices)
    return summary


def replay_file(
    engine: Engine,
    events: Path,
    sinks: ReplaySinks,
    until: datetime | None = None,
    on_line: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Replay the JSON Lines file ``events``."""
    return replay_lines(engine, iter_lines(events), sinks, until, f"file:{events}", on_line)
