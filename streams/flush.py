"""A row flush written a slice at a time, so the worker keeps answering while it writes.

Why. With bulk ingestion the rows of changed customers are held and written every
``row_flush_seconds`` (a customer busy in many batches is encoded once). Written in one turn of
the worker's lock, a flush of ~1,500 rows at 1,000 events/s held every record behind it for
~120 ms (measured: the whole per-record p99). Written :data:`ROW_SLICE` rows at a time, with
batches and releases taking turns in between, a record waits for one slice at most.

What makes it safe (the argument of :meth:`streams.batch.PartitionedDecider.write`): a flush
takes, when it starts, the records it will acknowledge and the partitions' clocks; it first
releases what fell due by those clocks (in ``event`` mode a partition's clock lives only in
this process, and a successor must not wait for a record that may never come), then takes the
customers still unwritten and writes them a slice at a time. When the last slice is
acknowledged by the broker, every change the records made is in a written row, and they may be
acknowledged. A crash before that redoes them on the rows written so far, as it would have
without slices. Records read meanwhile wait for the next flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.batch import PartitionedDecider
from streams.records import Batch

ROW_SLICE = 64
"""Rows written per turn of the lock: ~7 ms of encoding and a round trip to the broker (128
took 10-25 ms at 1,000 events/s), what a record arriving meanwhile waits for at most."""
RELEASE_SLICE = 32
"""Due customers a flush releases per turn of the lock before it writes rows (the background
task's own release turns are bounded by time: ``streams.runtime.RELEASE_BUDGET_S``)."""


@dataclass
class RowFlush:
    """One flush under way: what it will acknowledge, and how far it got."""

    acks: list[Any]
    """The records read before it started: acknowledged once its last slice is written."""
    until: dict[int, datetime]
    """The partitions' clocks when it started: what fell due by them is released first."""
    customers: list[str] | None = None
    """The customers to write, taken once nothing is due by :attr:`until`."""
    written: int = 0
    slice_rows: int = ROW_SLICE

    def step(self, decider: PartitionedDecider) -> Batch:
        """The next slice: a release, or rows. :attr:`done` tells whether it was the last."""
        if self.customers is None:
            if decider.has_due(self.until):
                return decider.release(RELEASE_SLICE, rows=False, until=self.until)
            self.customers = decider.dirty_customers()
        part = self.customers[self.written : self.written + self.slice_rows]
        self.written += len(part)
        return decider.write(part)

    @property
    def done(self) -> bool:
        """Whether every row it needs is written (the acks may go once they are on the broker)."""
        return self.customers is not None and self.written >= len(self.customers)
