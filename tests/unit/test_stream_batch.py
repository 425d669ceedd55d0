"""The streaming shell without Kafka: partitioned, batched, cached, it decides like the replay.

The decider sees the log split into partitions by customer and cut into batches, reads states
back from table rows whenever its cache is small, and may forget everything at a "rebalance";
none of it may change a single decision byte. (The same property on a real broker is in
``tests/streams/test_equivalence.py``.)
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duewise.bootstrap import build_context, build_engine
from duewise.cli import app
from duewise.replay import ReplaySinks, replay_lines
from duewise.settings import Settings
from schemas.codec import decode_dead_letter, decode_event
from streams.batch import PartitionedDecider
from streams.flush import RowFlush
from streams.records import CLOCK, Batch, Inbound, Outbound

PARTITIONS = 4


@pytest.fixture(scope="module")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("sim"))


def simulate(folder: Path) -> Path:
    """A simulated event log: 150 customers, 3 months."""
    path = folder / "events.jsonl"
    args = ["--customers", "150", "--months", "3", "--seed", "4", "--policy", "random"]
    result = CliRunner().invoke(app, ["simulate", "--out", str(path), *args])
    assert result.exit_code == 0, result.output
    return path


def replay_audit(path: Path, settings: Settings) -> list[bytes]:
    engine = build_engine(settings)
    audit, decisions = BytesIO(), BytesIO()
    lines = enumerate(path.read_bytes().splitlines(), 1)
    replay_lines(engine, lines, ReplaySinks(decisions=decisions, audit=audit))
    return sorted(audit.getvalue().splitlines())


def records(path: Path) -> Iterator[Inbound]:
    """The log as a producer keyed by customer writes it, then a clock record per partition."""
    last = None
    for offset, raw in enumerate(path.read_bytes().splitlines()):
        event = decode_event(raw)
        key = event.customer_id.encode()
        last = event.occurred_at
        yield Inbound("events", zlib.crc32(key) % PARTITIONS, offset, key, raw)
    assert last is not None
    for partition in range(PARTITIONS):
        yield Inbound("events", partition, -1, None, last.isoformat().encode(), CLOCK)


class Worker:
    """A dict as the table; batches applied as the Faust agent applies them."""

    def __init__(
        self,
        settings: Settings,
        cache_size: int,
        clock: str = "event",
        inline: bool = True,
        prepare_ahead: int = 0,
        prepare_horizon: timedelta = timedelta(days=3650),
    ) -> None:
        """``prepare_horizon``: the whole log by default (this log's clocks jump days per
        batch; the worker's default is tested in test_stream_prepare)."""
        self.table: dict[bytes, bytes] = {}
        self.decider = PartitionedDecider(
            build_context(settings),
            lambda c, _p: self.table.get(c.encode()),
            clock=clock,
            cache_size=cache_size,
            release_inline=inline,
            prepare_ahead=prepare_ahead,
            prepare_horizon=prepare_horizon,
        )
        self.audit: list[bytes] = []
        self.sent: list[Outbound] = []

    def apply(self, batch: Batch) -> None:
        self.audit.extend(o.value for o in batch.outputs if o.kind == "audit")
        self.sent.extend(batch.outputs)
        for customer_id, (_, row) in batch.rows.items():
            if row is None:
                self.table.pop(customer_id.encode(), None)
            else:
                self.table[customer_id.encode()] = row

    def rebalance(self) -> None:
        self.decider.forget()
        assert self.decider.adopt(self.table.items()) == len(self.table)


def drive(worker: Worker, path: Path, inline: bool, prepares: random.Random | None = None) -> None:
    """Feed the log to ``worker`` with partitions read at uneven speeds, in batches of any size,
    with rebalances; ``inline=False``: scheduled decisions are released in random slices
    between batches, as the worker's release task does, instead of before the batch's events.

    With ``prepares``, idle time is spent preparing releases ahead (:meth:`prepare` of a
    random number of customers) at random points between all of these; its own generator, so
    that the batches, releases and rebalances are those of the run without it.
    """

    def idle() -> None:
        if prepares is not None and prepares.random() < 0.6:
            worker.decider.prepare(prepares.randint(1, 40))

    rng = random.Random(1)
    by_partition: dict[int, list[Inbound]] = {p: [] for p in range(PARTITIONS)}
    for record in records(path):
        by_partition[record.partition].append(record)
    while any(by_partition.values()):
        partition = rng.choice([p for p, rs in by_partition.items() if rs])
        size = rng.randint(1, 300)
        chunk, by_partition[partition] = (
            by_partition[partition][:size],
            by_partition[partition][size:],
        )
        idle()
        worker.apply(worker.decider.process(chunk))
        idle()
        if not inline:
            worker.apply(worker.decider.release(rng.randint(0, 30)))
        if rng.random() < 0.05:
            idle()
            worker.rebalance()
    idle()
    worker.apply(worker.decider.release())
    assert not worker.decider.has_due()


@pytest.mark.parametrize(
    ("policy", "cache_size", "inline"),
    [("ladder", 200_000, True), ("random", 7, True), ("random", 7, False)],
)
def test_batched_partitioned_decider_equals_replay(
    sim_log: Path, policy: str, cache_size: int, inline: bool
) -> None:
    settings = Settings(policy=policy, seed=4)
    expected = replay_audit(sim_log, settings)
    worker = Worker(settings, cache_size, inline=inline)
    drive(worker, sim_log, inline)
    assert len(expected) > 100
    assert sorted(worker.audit) == expected


def by_key(sent: list[Outbound]) -> dict[tuple[str, bytes], list[bytes]]:
    """Each topic's records per key in the order sent: what a consumer of a key sees."""
    grouped: dict[tuple[str, bytes], list[bytes]] = {}
    for record in sent:
        grouped.setdefault((record.kind, record.key), []).append(record.value)
    return grouped


@pytest.mark.parametrize(
    ("policy", "cache_size", "inline", "ahead"),
    [
        ("ladder", 7, False, 2000),
        ("random", 7, False, 2000),
        ("random", 7, True, 2000),
        ("ladder", 200_000, False, 10),  # a full store: later wakes make room for earlier ones
    ],
)
def test_releases_prepared_ahead_equal_the_replay_in_each_customers_order(
    sim_log: Path, policy: str, cache_size: int, inline: bool, ahead: int
) -> None:
    """Preparing at random idle moments changes no byte and no customer's order, on any topic
    (decisions, audit, outcomes). A small cache makes preparation copy states read back from
    rows as well as cached ones."""
    settings = Settings(policy=policy, seed=4)
    expected = replay_audit(sim_log, settings)
    plain = Worker(settings, cache_size, inline=inline)
    drive(plain, sim_log, inline)
    worker = Worker(settings, cache_size, inline=inline, prepare_ahead=ahead)
    drive(worker, sim_log, inline, prepares=random.Random(7))
    assert sorted(worker.audit) == expected
    assert by_key(worker.sent) == by_key(plain.sent)
    stats = worker.decider.stats
    if ahead < 100:  # batches span weeks here: few wakes are prepared and still hold
        assert stats["prepared_evicted"] > 0, stats
    else:  # every path was taken: results used, found stale at release, dropped by a change
        assert min(stats["prepared_used"], stats["prepared_stale"], stats["prepared_dropped"]) > 0


@pytest.mark.parametrize("ahead", [0, 2000])
def test_rows_held_over_batches_and_crashes_between_flushes_change_no_decision(
    sim_log: Path, ahead: int
) -> None:
    """Bulk ingestion writes rows every ``row_flush_seconds``, not every batch, and acks a
    record only once a flush covers it. A crash loses the cache and redoes every unacked record
    on the rows written so far (flushed, or written early for customers leaving the cache):
    the re-made decisions must be the very same bytes, and none may be missing. ``ahead``:
    releases are prepared at random idle moments too (they live only in memory)."""
    settings = Settings(policy="random", seed=4)
    expected = replay_audit(sim_log, settings)
    worker = Worker(settings, cache_size=40, inline=False, prepare_ahead=ahead)
    rng, prepares = random.Random(2), random.Random(3)
    by_partition: dict[int, list[Inbound]] = {p: [] for p in range(PARTITIONS)}
    for record in records(sim_log):
        by_partition[record.partition].append(record)
    read = dict.fromkeys(by_partition, 0)
    acked = dict.fromkeys(by_partition, 0)
    crashes = used = 0
    while any(read[p] < len(rs) for p, rs in by_partition.items()):
        partition = rng.choice([p for p, rs in by_partition.items() if read[p] < len(rs)])
        end = read[partition] + rng.randint(1, 40)
        chunk = by_partition[partition][read[partition] : end]
        read[partition] += len(chunk)
        worker.apply(worker.decider.process(chunk, rows=False))
        worker.apply(worker.decider.release(rng.randint(0, 30), rows=False))
        if prepares.random() < 0.5:
            worker.decider.prepare(prepares.randint(1, 40))
        roll = rng.random()
        if roll < 0.25:
            worker.apply(worker.decider.flush())
            acked = dict(read)
        elif roll < 0.35:
            crashes += 1  # a new process: the table and what was sent survive, nothing else
            fresh = Worker(settings, cache_size=40, inline=False, prepare_ahead=ahead)
            fresh.table, fresh.audit = worker.table, worker.audit
            assert fresh.decider.adopt(fresh.table.items()) == len(fresh.table)
            used += worker.decider.stats["prepared_used"]
            worker, read = fresh, dict(acked)
    worker.apply(worker.decider.flush())
    assert crashes >= 4
    assert (used + worker.decider.stats["prepared_used"] > 0) == (ahead > 0)
    assert len(worker.audit) > len(expected), "the crashes re-sent nothing: they tested nothing"
    assert sorted(set(worker.audit)) == expected  # a changed re-send would be an extra line


@pytest.mark.parametrize("sliced", [False, True])
def test_a_flush_makes_the_due_decisions_before_the_records_are_acknowledged(
    sim_log: Path, sliced: bool
) -> None:
    """The last records (the clock records) are read and flushed, then the worker dies: its
    successor starts the partitions' clocks from nothing and no record is left to move them.
    The flush written at once, or in slices (``streams.flush.RowFlush``, as the worker does)."""
    settings = Settings(policy="random", seed=4)
    expected = replay_audit(sim_log, settings)
    worker = Worker(settings, cache_size=40, inline=False)
    for start in range(0, len(log := list(records(sim_log))), 200):
        worker.apply(worker.decider.process(log[start : start + 200], rows=False))
    assert worker.decider.has_due()
    if sliced:
        flush, slices = RowFlush([], worker.decider.clocks_now(), slice_rows=7), 0
        while not flush.done:
            worker.apply(flush.step(worker.decider))
            slices += 1
        assert slices > 2
    else:
        worker.apply(worker.decider.flush())
    successor = Worker(settings, cache_size=40, inline=False)
    successor.table, successor.audit = worker.table, worker.audit
    successor.decider.adopt(successor.table.items())
    assert not successor.decider.has_due()
    assert sorted(set(successor.audit)) == expected


def test_bad_records_become_dead_letters_and_the_batch_goes_on(sim_log: Path) -> None:
    worker = Worker(Settings(), 100)
    good = next(records(sim_log))
    bad = [
        Inbound("events", 0, 1, b"c1", b"{not json"),
        Inbound("events", 0, 2, b"c1", b'{"type": "invoice_teleported"}'),
        Inbound("events", good.partition, 3, b"someone-else", good.value),
        Inbound("events", 0, 4, None, b"yesterday", CLOCK),
        Inbound("events", 0, 5, None, b"", b"launch"),
    ]
    batch = worker.decider.process([*bad, good])
    letters = [decode_dead_letter(o.value) for o in batch.outputs if o.kind == "dlq"]
    assert [letter.offset for letter in letters] == [1, 2, 3, 4, 5]
    assert "someone-else" in letters[2].error and "customer_id" in letters[2].error
    assert "unknown control record" in letters[4].error
    assert worker.decider.stats["dead_letters"] == 5
    assert worker.decider.stats["events"] == 1
    assert list(batch.rows) == [decode_event(good.value or b"").customer_id]


def test_wall_clock_worker_ticked_once_at_the_end_equals_the_replay(sim_log: Path) -> None:
    """Without ticks a customer's due decisions wait for its next event, which first advances
    it to the event's time; one tick at the end releases the rest. Decisions are made at their
    own scheduled times whenever they are released, so the result is the replay's."""
    settings = Settings(policy="random", seed=4)
    expected = replay_audit(sim_log, settings)
    worker = Worker(settings, 1000, clock="wall")
    events = [r for r in records(sim_log) if r.control is None]
    end = max(decode_event(r.value or b"").occurred_at for r in events)
    for start in range(0, len(events), 250):
        worker.apply(worker.decider.process(events[start : start + 250], now=end))
    before = len(worker.audit)
    worker.apply(worker.decider.tick(end, range(PARTITIONS)))
    assert len(worker.audit) > before
    assert sorted(worker.audit) == expected
