"""Writing a table row outside Faust's per-event bookkeeping, in the right partition.

The decider writes each customer's row once per batch (and the wall-clock timer writes rows with
no event at all), so it cannot use ``table[key] = value``: that sends one changelog record per
assignment and takes the partition from the event being processed. It sends the changelog
records itself (:mod:`streams.sink`) and then writes the local store directly. Faust's stores
find the partition of a read or write in the current event (``faust.streams._current_event``);
:func:`partition_scope` sets that context to a stand-in that names the partition, so the
RocksDB store puts the row in that partition's database, exactly where recovery will look.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from faust.streams import _current_event


@dataclass(frozen=True, slots=True)
class _Message:
    partition: int


class _PartitionMark:
    """What a Faust store reads from an event: ``event.message.partition``."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, partition: int) -> None:
        self.message = _Message(partition)


_MARKS: dict[int, _PartitionMark] = {}


@contextmanager
def partition_scope(partition: int) -> Iterator[None]:
    """Within this block, table stores read and write ``partition``."""
    mark = _MARKS.get(partition)
    if mark is None:
        mark = _MARKS[partition] = _PartitionMark(partition)
    token = _current_event.set(weakref.ref(mark))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)
