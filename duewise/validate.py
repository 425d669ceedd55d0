"""Lint an event log line by line, the way a producer checks what it is about to send.

Kept apart from the CLI so that tests and other tools can call it and read a plain report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from schemas.codec import DecodeError, decode_event


@dataclass(frozen=True)
class LineError:
    """One invalid line: where, which field, and why."""

    line: int
    field: str | None
    reason: str


@dataclass
class ValidationReport:
    """What a log contains and what is wrong with it."""

    lines: int = 0
    valid: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    errors: list[LineError] = field(default_factory=list)
    invalid: int = 0
    duplicate_ids: int = 0
    out_of_order: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when every line is a valid event."""
        return self.invalid == 0


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, bytes) of non-blank lines without loading the whole file."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            stripped = raw.strip()
            if stripped:
                yield number, stripped


def validate_lines(lines: Iterable[tuple[int, bytes]], max_errors: int = 20) -> ValidationReport:
    """Decode every line and collect counts, the first ``max_errors`` errors and warnings.

    Duplicate event ids and events older than the latest event before them are warnings, not
    errors: the engine tolerates both (it ignores duplicates and holds early payments), but a
    producer usually wants to know.
    """
    report = ValidationReport()
    seen: set[str] = set()
    for number, raw in lines:
        report.lines += 1
        try:
            event = decode_event(raw)
        except DecodeError as exc:
            report.invalid += 1
            if len(report.errors) < max_errors:
                report.errors.append(LineError(number, exc.field, str(exc)))
            continue
        report.valid += 1
        report.by_type[event.type] += 1
        if event.event_id in seen:
            report.duplicate_ids += 1
        seen.add(event.event_id)
        if report.last_at is not None and event.occurred_at < report.last_at:
            report.out_of_order += 1
        else:
            report.last_at = event.occurred_at
        if report.first_at is None:
            report.first_at = event.occurred_at
    return report


def validate_file(path: Path, max_errors: int = 20) -> ValidationReport:
    """Validate the JSON Lines file at ``path``."""
    return validate_lines(iter_lines(path), max_errors=max_errors)
