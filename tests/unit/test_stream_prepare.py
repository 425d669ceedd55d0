"""Releases prepared ahead of their time (``streams/prepare.py``): used when they hold, and
never a byte different from the release made live.

The equivalence under random preparation, batches, releases and rebalances is in
``test_stream_batch.py``; these show that preparation really serves releases, and each way a
prepared result must be given up.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from duewise.settings import Settings
from engine import EngineContext
from engine.guardrails import RulePack
from engine.policies.base import Choice, DecisionContext
from engine.policies.learned import LearnedPolicy
from engine.state import CustomerState, InvoiceState
from engine.valuation import ModelHandle
from schemas.codec import decode_decision, encode
from schemas.events import EventBase
from streams.agenda import Agendas
from streams.flush import RowFlush
from streams.prepare import Ahead, Prepared
from streams.records import CLOCK, Batch, Inbound, Outbound
from streams.runtime import Runtime
from tests.builders import invoice_issued, payment_received
from tests.unit.test_stream_batch import Worker, by_key, records, replay_audit, simulate


@pytest.fixture(scope="module")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("sim"))


def idle_between_records(worker: Worker, log: list[Inbound]) -> None:
    """One record per batch, everything due released after it, then idle time enough to
    prepare every upcoming wake: the worker at 1,000 events/s, idle most of the time."""
    for record in log:
        worker.apply(worker.decider.process([record]))
        worker.apply(worker.decider.release())
        ahead = worker.decider._ahead
        assert len(ahead._retired) <= ahead.limit  # replaced states wait for idle time
        worker.decider.prepare(10_000)
        assert len(ahead.ready) <= ahead.limit  # the memory bound


@pytest.mark.parametrize(("policy", "ahead"), [("ladder", 2000), ("random", 2000), ("random", 5)])
def test_most_releases_are_served_from_prepared_results(
    sim_log: Path, policy: str, ahead: int
) -> None:
    """Fails if preparation silently never applies. Not all: the clocks of this small log's
    partitions jump hours at a time, past a customer's next wake now and then (stale), and a
    store of 5 holds only the 5 earliest wakes (still near half of the releases here)."""
    settings = Settings(policy=policy, seed=4)
    worker = Worker(settings, cache_size=7, inline=False, prepare_ahead=ahead)
    idle_between_records(worker, list(records(sim_log)))
    assert sorted(worker.audit) == replay_audit(sim_log, settings)
    plain = Worker(settings, cache_size=7, inline=False)
    idle_between_records(plain, list(records(sim_log)))
    assert by_key(worker.sent) == by_key(plain.sent)
    assert worker.table == plain.table  # rows of customers released prepared: the same bytes
    stats = worker.decider.stats
    if ahead >= 2000:
        assert stats["prepared_used"] >= 0.8 * stats["released"] > 0, stats
    else:
        assert stats["prepared_used"] >= 0.3 * stats["released"] > 0, stats


def test_a_second_wake_within_a_day_is_prepared_with_the_first() -> None:
    """Two invoices due a day apart: their ladder steps wake the customer on consecutive
    mornings. With idle time only before the first (a replayed clock leaps past both in
    milliseconds), the second release is the one prepared with the first, and sends and
    keeps byte for byte what the live one does; an event between the two drops it."""
    issued = [
        invoice_issued(invoice="i1", due="2026-09-30"),
        invoice_issued(invoice="i2", due="2026-10-01", at=datetime(2026, 9, 2, 9, tzinfo=UTC)),
    ]
    runs = []
    for ahead, paid_between in ((0, False), (10, False), (0, True), (10, True)):
        worker = Worker(
            Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=ahead
        )
        worker.apply(worker.decider.process([inbound(e, n) for n, e in enumerate(issued)]))
        assert worker.decider.prepare(10) == (1 if ahead else 0)
        first = worker.decider.agendas.wakes["c1"]
        worker.apply(worker.decider.process([clock(first)]))
        worker.apply(worker.decider.release())
        second = worker.decider.agendas.wakes["c1"]
        assert second - first == timedelta(days=1)
        if paid_between:
            paid = payment_received(amount=10000, invoice="i2", at=first + timedelta(hours=2))
            paid = paid.model_copy(update={"event_id": "paid", "payment_id": "paid"})
            worker.apply(worker.decider.process([inbound(paid, 2)]))
        worker.apply(worker.decider.process([clock(second)]))
        worker.apply(worker.decider.release())
        runs.append(worker)
    for plain, prepared in (runs[0:2], runs[2:4]):
        assert prepared.sent == plain.sent and len(reminded(plain)) == 2
        assert prepared.table == plain.table
    chained, dropped = runs[1].decider.stats, runs[3].decider.stats
    assert chained["prepared_chained"] == 1 and chained["prepared_used"] == 2, chained
    assert dropped["prepared_dropped"] == 1 and dropped["prepared_used"] == 1, dropped


def inbound(event: EventBase, offset: int) -> Inbound:
    return Inbound("events", 0, offset, event.customer_id.encode(), encode(event))


def clock(at: datetime) -> Inbound:
    return Inbound("events", 0, -1, None, at.isoformat().encode(), CLOCK)


def reminded(worker: Worker) -> list[int]:
    """The amounts due of the actionable decisions sent."""
    return [decode_decision(value).amount_due_minor for value in worker.audit if b"remind" in value]


@pytest.mark.parametrize("prepare_again", [False, True])
def test_an_event_before_the_wake_drops_the_prepared_release(prepare_again: bool) -> None:
    """A part payment after the reminder was prepared: the reminder must ask for the rest,
    whether it is then made live or prepared again from the new state."""
    settings = Settings(policy="ladder")
    runs = []
    for ahead in (0, 10):
        worker = Worker(settings, cache_size=100, inline=False, prepare_ahead=ahead)
        worker.apply(worker.decider.process([inbound(invoice_issued(amount=49900), 0)]))
        wake = worker.decider.agendas.wakes["c1"]
        assert worker.decider.prepare(10) == (1 if ahead else 0)
        paid = payment_received(amount=10000, invoice="i1", at=wake - timedelta(hours=1))
        worker.apply(worker.decider.process([inbound(paid, 1)]))
        assert worker.decider.agendas.wakes["c1"] == wake  # the agenda alone would not notice
        if prepare_again:
            assert worker.decider.prepare(10) == (1 if ahead else 0)
        worker.apply(worker.decider.process([clock(wake)]))
        worker.apply(worker.decider.release())
        runs.append(worker)
    plain, ahead_worker = runs
    stats = ahead_worker.decider.stats
    assert stats["prepared_dropped"] == 1
    assert stats["prepared_used"] == (1 if prepare_again else 0)
    assert reminded(ahead_worker) == reminded(plain) == [39900]
    assert ahead_worker.sent == plain.sent


def test_a_model_swap_makes_prepared_releases_stale() -> None:
    """A decision records the model version it used: one prepared under the previous models
    is made again under the new ones."""
    worker = Worker(Settings(policy="learned"), cache_size=100, inline=False, prepare_ahead=10)
    policy = worker.decider.context.policy
    assert isinstance(policy, LearnedPolicy)
    worker.apply(worker.decider.process([inbound(invoice_issued(customer="c2"), 0)]))
    wake = worker.decider.agendas.wakes["c2"]
    assert worker.decider.prepare(10) == 1
    policy.handle.swap(None, None, "v2")
    worker.apply(worker.decider.process([clock(wake)]))
    worker.apply(worker.decider.release())
    assert worker.decider.stats["prepared_stale"] == 1
    versions = {decode_decision(value).policy.model_version for value in worker.audit}
    assert versions == {"v2"}


def test_due_customers_are_released_not_prepared_and_a_rebalance_forgets() -> None:
    worker = Worker(Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=10)
    worker.apply(worker.decider.process([inbound(invoice_issued(), 0)]))
    wake = worker.decider.agendas.wakes["c1"]
    worker.apply(worker.decider.process([clock(wake)]))
    assert worker.decider.has_due()
    assert worker.decider.prepare(10) == 0
    worker.apply(worker.decider.release())
    assert worker.decider.prepare(10) == 1  # its next wake
    worker.rebalance()
    assert worker.decider.stats["prepared_used"] == 0
    assert not worker.decider._ahead.ready
    # adopted again from its row, prepared again: the partition's next release, whatever the
    # clock (not known yet)
    assert worker.decider.prepare(10) == 1


def test_a_release_budget_stops_after_one_customer_once_spent() -> None:
    """A time budget, not a count, bounds a slice of prepared releases; at least one
    customer is released per call, so a slice always makes progress."""
    worker = Worker(Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=10)
    issued = [invoice_issued(customer=f"c{i}") for i in range(3)]
    worker.apply(worker.decider.process([inbound(e, n) for n, e in enumerate(issued)]))
    wake = max(worker.decider.agendas.wakes.values())
    worker.apply(worker.decider.process([clock(wake)]))
    released = []
    while worker.decider.has_due():
        worker.apply(worker.decider.release(budget=0.0))
        released.append(worker.decider.stats["released"])
    assert released == [1, 2, 3]
    states = [worker.decider.state(f"c{i}", 0) for i in range(3)]
    assert all(isinstance(s, CustomerState) for s in states)


def test_a_prepare_budget_stops_after_one_customer_once_spent() -> None:
    """Preparing, too, is bounded by time: a customer with years of history (and a second
    step) costs many times a fresh one, and a record arriving meanwhile waits for the slice."""
    worker = Worker(Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=10)
    issued = [invoice_issued(customer=f"c{i}") for i in range(3)]
    worker.apply(worker.decider.process([inbound(e, n) for n, e in enumerate(issued)]))
    assert [worker.decider.prepare(8, budget=0.0) for _ in range(4)] == [1, 1, 1, 0]
    assert sorted(worker.decider._ahead.ready) == ["c0", "c1", "c2"]


STUCK_AT = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


class Stuck:
    """A policy whose next point never moves: at its instant the loop guard parks the invoice
    with a notice (the restless bug, due in the future)."""

    name = "stuck"

    def next_point(self, customer: CustomerState, invoice: InvoiceState) -> datetime | None:
        return STUCK_AT

    def choose(self, ctx: DecisionContext) -> Choice:
        return Choice(None, 1.0, "ladder", ("stuck",))


def test_a_release_that_raises_a_notice_is_not_prepared() -> None:
    """Notices are counted (and dead letters stamped) when the release really happens."""
    runs = []
    for ahead in (0, 10):
        worker = Worker(Settings(), cache_size=100, inline=False, prepare_ahead=ahead)
        worker.decider.context = EngineContext(Stuck(), RulePack())
        worker.apply(worker.decider.process([inbound(invoice_issued(), 0)]))
        assert worker.decider.agendas.wakes["c1"] == STUCK_AT
        assert worker.decider.prepare(10) == (1 if ahead else 0)
        assert worker.decider.stats["notice:decision_loop_guard"] == 0
        worker.apply(worker.decider.process([clock(STUCK_AT)]))
        worker.apply(worker.decider.release())
        assert worker.decider.stats["notice:decision_loop_guard"] == 1
        runs.append(worker)
    plain, prepared = runs
    assert prepared.decider.stats["prepared_refused"] == 1
    assert prepared.decider.stats["prepared_used"] == 0
    assert prepared.sent == plain.sent


def test_a_release_past_the_prepared_next_wake_is_made_live() -> None:
    """The clock jumped past the prepared state's next wake too. Swapping the prepared state
    in and releasing it once more would make the same decisions only if nothing came in
    between; here a late part payment (as in wall-clock mode, where every event is late) comes
    in before the second release, and the second reminder would ask for the full amount."""
    runs = []
    for ahead in (0, 10):
        worker = Worker(
            Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=ahead
        )
        worker.apply(worker.decider.process([inbound(invoice_issued(amount=49900), 0)]))
        wake = worker.decider.agendas.wakes["c1"]
        assert worker.decider.prepare(10) == (1 if ahead else 0)
        worker.apply(worker.decider.process([clock(wake + timedelta(days=30))]))
        worker.apply(worker.decider.release(1))
        paid = payment_received(amount=10000, invoice="i1", at=wake + timedelta(hours=1))
        worker.apply(worker.decider.process([inbound(paid, 1)]))
        worker.apply(worker.decider.release())
        runs.append(worker)
    plain, prepared = runs
    assert len(reminded(plain)) >= 2
    assert prepared.decider.stats["prepared_stale"] == 1
    assert prepared.sent == plain.sent


class App:
    should_stop = False


class Sink:
    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    async def flush(self, batch: Batch) -> None:
        self.sent.extend(batch.outputs)

    async def wait_outputs(self) -> None:
        pass

    async def delivered(self) -> None:
        pass


async def test_the_runtime_prepares_in_slices_and_never_while_customers_are_due() -> None:
    worker = Worker(Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=100)
    app, sink, unused = cast(Any, App()), cast(Any, Sink()), cast(Any, None)
    runtime = Runtime(Settings(), app, unused, unused, worker.decider, sink, ModelHandle())
    issued = [invoice_issued(customer=f"c{i}") for i in range(20)]
    worker.apply(worker.decider.process([inbound(e, n) for n, e in enumerate(issued)]))
    assert [await runtime.prepare_slice() for _ in range(4)] == [8, 8, 4, 0]
    worker.apply(worker.decider.process([clock(min(worker.decider.agendas.wakes.values()))]))
    assert await runtime.prepare_slice() == 0
    assert runtime.work.is_set()  # the background task releases them first
    runtime.upcoming.clear()
    while await runtime.release_slice() is not None:
        pass
    assert runtime.upcoming.is_set()  # the released customers' next wakes
    assert worker.decider.stats["prepared_used"] == 20
    assert await runtime.prepare_slice() == 8


def test_only_wakes_within_the_horizon_of_the_next_release_are_prepared() -> None:
    """A wake further than the horizon from its partition's next release (its clock, or its
    earliest wake when later) waits: an event would most likely drop its preparation first.
    Once the clock or the releases before it come near, it is prepared. The partition's
    earliest wake is prepared whatever the clock: a replay's clock leaps days at a time."""
    worker = Worker(
        Settings(policy="ladder"),
        cache_size=100,
        inline=False,
        prepare_ahead=10,
        prepare_horizon=timedelta(hours=48),
    )
    soon = invoice_issued(customer="c1", due="2026-09-30")
    later = invoice_issued(customer="c2", due="2026-10-20")
    worker.apply(worker.decider.process([inbound(soon, 0), inbound(later, 1)]))
    wakes = worker.decider.agendas.wakes
    first, second = wakes["c1"], wakes["c2"]
    assert first - soon.occurred_at > timedelta(hours=48)  # far from the clock
    assert second - first > timedelta(hours=48)
    assert worker.decider.prepare(10) == 1  # the next release: c1
    assert set(worker.decider._ahead.ready) == {"c1"}
    worker.apply(worker.decider.process([clock(first)]))
    worker.apply(worker.decider.release())
    assert worker.decider.stats["prepared_used"] == 1
    following = wakes["c1"]  # its next step: the partition's next release again
    assert following < second and second - following > timedelta(hours=48)
    assert worker.decider.prepare(10) == 1
    assert set(worker.decider._ahead.ready) == {"c1"}  # c2 is still too far
    worker.apply(worker.decider.process([clock(second - timedelta(hours=47))]))
    worker.apply(worker.decider.release())
    assert worker.decider.prepare(10) >= 1
    assert "c2" in worker.decider._ahead.ready  # the clock came near


def test_a_dropped_result_is_freed_in_idle_time_not_in_the_events_batch() -> None:
    ahead = Ahead(10, Counter())
    wake = datetime(2026, 3, 2, 6, tzinfo=UTC)
    prepared = Prepared(wake, 0, cast(Any, object()), {}, None, None, Batch())
    ahead.keep("c1", prepared)
    assert ahead.drop("c1") and "c1" not in ahead.ready
    assert ahead._retired == [prepared]  # held: freeing a year of history takes ~26 us
    assert ahead.next(Agendas()) is None  # idle time: nothing to prepare, the held go
    assert ahead._retired == []
    assert not ahead.drop("c1")  # nothing left to drop


async def test_the_runtime_prepares_while_a_row_flush_is_under_way() -> None:
    """A flush's slices and preparing take turns: a flush takes a fraction of a second every
    ``row_flush_seconds``, and a burst coming meanwhile would find its customers unprepared."""
    worker = Worker(Settings(policy="ladder"), cache_size=100, inline=False, prepare_ahead=100)
    app, sink, unused = cast(Any, App()), cast(Any, Sink()), cast(Any, None)
    runtime = Runtime(Settings(), app, unused, unused, worker.decider, sink, ModelHandle())
    issued = [invoice_issued(customer=f"c{i}") for i in range(10)]
    worker.apply(worker.decider.process([inbound(e, n) for n, e in enumerate(issued)]))
    runtime._flush = RowFlush([], worker.decider.clocks_now())
    assert await runtime.prepare_slice() == 8
    assert runtime._flush is not None and not runtime._flush.done
    while runtime._flush is not None:
        await runtime.flush_slice()
    assert worker.decider.dirty == 0
    assert await runtime.prepare_slice() == 2
