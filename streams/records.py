"""What the decider's shell takes in and hands out: consumed records, records to produce, and
a batch's results (outputs first, then table rows). Plain data, no Faust, so the decider is
tested without Kafka."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.outbound import Decision

CONTROL_HEADER = "duewise-control"
"""Header of records that are not events: ``clock`` moves an ``event``-mode partition's clock."""
CLOCK = b"clock"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One consumed record, as the shell needs it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    control: bytes | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One record to produce: ``kind`` is ``decisions``, ``audit``, ``dlq`` or ``outcomes``."""

    kind: str
    key: bytes
    value: bytes


@dataclass(slots=True)
class Batch:
    """What a batch produced: records to send first, then table rows to write (``None`` row:
    delete, the customer was erased)."""

    outputs: list[Outbound] = field(default_factory=list)
    rows: dict[str, tuple[int, bytes | None]] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    latest: dict[str, bytes] = field(default_factory=dict)
    """Each invoice's last decision of the batch, encoded (for explanations)."""

    def extend(self, ready: Batch) -> None:
        """Append another batch's records and decisions (a prepared release's), not rows."""
        self.outputs.extend(ready.outputs)
        self.decisions.extend(ready.decisions)
        self.latest.update(ready.latest)
