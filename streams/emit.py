"""What the decider sends for what the core made: every decision to the audit stream and the
actionable ones to the notifiers too, outcomes to the learner, and dead letters (with the
reason) for notices that reject an event and for records that are no valid input."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from engine import StepResult
from engine.reducer import DEAD_LETTER_NOTICES
from schemas.codec import encode
from schemas.outbound import DeadLetter
from streams.records import Batch, Inbound, Outbound


def emit(result: StepResult, key: bytes, batch: Batch, stats: Counter[str], at: datetime) -> None:
    """Encode ``result``'s decisions, outcomes and dead letters into ``batch`` (``at``: the
    partition's clock, which stamps the dead letters)."""
    for decision in result.decisions:
        value = encode(decision)
        batch.outputs.append(Outbound("audit", key, value))
        if decision.actionable:
            batch.outputs.append(Outbound("decisions", key, value))
        batch.decisions.append(decision)
        batch.latest[decision.invoice_id] = value
    for outcome in result.outcomes:
        batch.outputs.append(Outbound("outcomes", key, encode(outcome)))
    for notice in result.notices:
        stats[f"notice:{notice.kind}"] += 1
        if notice.kind in DEAD_LETTER_NOTICES:
            raw = (notice.raw or "").encode()
            reason = f"{notice.kind}: {notice.detail} (event {notice.event_id})"
            letter = DeadLetter(raw=raw, error=reason, stage="process", failed_at=at)
            add_letter(letter, key, batch, stats)


def refuse(record: Inbound, reason: str, at: datetime, batch: Batch, stats: Counter[str]) -> None:
    """A record that is no valid input: a dead letter saying why and where it was read."""
    letter = DeadLetter(
        raw=record.value or b"",
        error=reason,
        stage="decode",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        failed_at=at,
    )
    add_letter(letter, record.key or b"", batch, stats)


def add_letter(letter: DeadLetter, key: bytes, batch: Batch, stats: Counter[str]) -> None:
    """Count a dead letter and add it to ``batch``."""
    stats["dead_letters"] += 1
    batch.outputs.append(Outbound("dlq", key, encode(letter)))
