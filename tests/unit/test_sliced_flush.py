"""A row flush written in slices between batches (``streams.flush.RowFlush``) is as safe as one
written at once: crashes at any point redo the unacknowledged records on the rows written so
far and re-make only identical decisions. (That a completed flush leaves nothing its records
made due for a successor to wait on is in test_stream_batch, for both kinds of flush.)"""

from __future__ import annotations

import random
from pathlib import Path

from duewise.settings import Settings
from streams.flush import RowFlush
from streams.records import Inbound
from tests.unit.test_stream_batch import PARTITIONS, Worker, records, replay_audit, sim_log

__all__ = ["sim_log"]  # the module-scoped fixture, shared with test_stream_batch


def by_partition(path: Path) -> dict[int, list[Inbound]]:
    split: dict[int, list[Inbound]] = {p: [] for p in range(PARTITIONS)}
    for record in records(path):
        split[record.partition].append(record)
    return split


def finish(worker: Worker, flush: RowFlush) -> int:
    """Write a flush's remaining slices; how many there were."""
    slices = 0
    while not flush.done:
        worker.apply(flush.step(worker.decider))
        slices += 1
    return slices


def test_crashes_during_sliced_flushes_change_no_decision(sim_log: Path) -> None:
    settings = Settings(policy="random", seed=4)
    expected = replay_audit(sim_log, settings)
    worker = Worker(settings, cache_size=40, inline=False)
    rng = random.Random(3)
    split = by_partition(sim_log)
    read = dict.fromkeys(split, 0)
    acked = dict.fromkeys(split, 0)
    flush: RowFlush | None = None
    covers: dict[int, int] = {}
    crashes = slices = completed = 0
    while any(read[p] < len(rs) for p, rs in split.items()):
        partition = rng.choice([p for p, rs in split.items() if read[p] < len(rs)])
        chunk = split[partition][read[partition] : read[partition] + rng.randint(1, 12)]
        read[partition] += len(chunk)
        worker.apply(worker.decider.process(chunk, rows=False))
        worker.apply(worker.decider.release(rng.randint(0, 10), rows=False))
        if flush is None and rng.random() < 0.2:
            flush = RowFlush([], worker.decider.clocks_now(), slice_rows=rng.randint(1, 8))
            covers = dict(read)
        elif flush is not None:
            worker.apply(flush.step(worker.decider))
            slices += 1
            if flush.done:
                flush, acked, completed = None, covers, completed + 1
        if rng.random() < 0.04:
            crashes += 1  # a new process: the table and what was sent survive, nothing else
            fresh = Worker(settings, cache_size=40, inline=False)
            fresh.table, fresh.audit = worker.table, worker.audit
            fresh.decider.adopt(fresh.table.items())
            worker, read, flush = fresh, dict(acked), None
    finish(worker, RowFlush([], worker.decider.clocks_now()))
    print(f"{crashes} crashes, {completed} flushes completed in {slices} slices")
    assert crashes >= 4 and completed >= 10 and slices > 2 * completed
    assert len(worker.audit) > len(expected), "the crashes re-sent nothing: they tested nothing"
    assert sorted(set(worker.audit)) == expected  # a changed re-send would be an extra line


def test_records_read_during_a_flush_are_not_covered_by_it(sim_log: Path) -> None:
    """The flush writes the customers dirty once its releases are done; one changed later and
    written by no slice stays dirty for the next flush."""
    settings = Settings(policy="ladder", seed=4)
    worker = Worker(settings, cache_size=100_000, inline=False)
    log = [r for r in records(sim_log) if r.control is None]
    worker.apply(worker.decider.process(log[:40], rows=False))
    flush = RowFlush([], worker.decider.clocks_now(), slice_rows=3)
    while flush.customers is None:  # releases first, then it takes the dirty customers
        worker.apply(flush.step(worker.decider))
    taken = set(flush.customers)
    later = next(r for r in log[40:] if r.key is not None and r.key.decode() not in taken)
    worker.apply(worker.decider.process([later], rows=False))
    finish(worker, flush)
    assert later.key is not None and later.key.decode() in worker.decider.dirty_customers()
    assert not taken & set(worker.decider.dirty_customers())
