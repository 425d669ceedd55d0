"""Records read again after a crash are recognised by the input offsets in the customer's row
(``streams/rows.py``), however many events the customer had since and however old they are.

The engine's memory of event ids is a window of event time (35 days, at least 16 ids): alone,
it takes a re-delivery beyond it for new. A crash redoes every record since the last committed
offsets, up to ``HELD_MAX`` of them plus a flush under way, and in a fast replay one customer
can have months of events in that span. These tests build such a span and check that nothing
is applied twice, that rows of the first format still load, and that a topic made again (its
offsets restarting) is never skipped silently.
"""

from __future__ import annotations

from datetime import timedelta

from duewise.settings import Settings
from engine.dedupe import SEEN_IDS_FLOOR, SEEN_WINDOW
from engine.state import CustomerState
from schemas.codec import encode
from schemas.events import EventBase
from streams.records import Inbound
from streams.rows import _HEADER, applied_offsets, decode_row, encode_row, read_header
from tests.builders import at, invoice_issued, payment_received
from tests.unit.test_stream_batch import Worker

START = at("2026-01-05T08:00")
DAYS = 80
"""Daily part payments: longer than the id window and far more ids than its floor."""


def history() -> list[EventBase]:
    """An invoice, then a small payment a day for :data:`DAYS` days."""
    assert SEEN_WINDOW.days + SEEN_IDS_FLOOR < DAYS
    bill = invoice_issued(amount=500_000, due="2026-01-20", at=START)
    paid = [
        payment_received(amount=1_000, invoice="i1", at=START + timedelta(days=k + 1))
        for k in range(DAYS)
    ]
    return [bill, *paid]


def records(events: list[EventBase], first: int = 0, topic: str = "payments") -> list[Inbound]:
    return [
        Inbound(topic, 0, first + n, e.customer_id.encode(), encode(e))
        for n, e in enumerate(events)
    ]


def run(worker: Worker, log: list[Inbound]) -> list[bytes]:
    """Process ``log`` in batches of 7, writing rows after each; the audit records it made."""
    before = len(worker.audit)
    for start in range(0, len(log), 7):
        worker.apply(worker.decider.process(log[start : start + 7]))
    return worker.audit[before:]


def test_a_crash_redoing_months_of_one_customer_applies_nothing_twice() -> None:
    settings = Settings(seed=1)
    log = records(history())
    first = Worker(settings, cache_size=100)
    run(first, log)
    row = first.table[b"c1"]
    assert applied_offsets(row) == {"payments": len(log) - 1}

    restarted = Worker(settings, cache_size=100)  # a new process: only the table survives
    restarted.table = dict(first.table)
    assert run(restarted, log) == []  # no decision made again
    assert restarted.decider.stats["redelivered"] == len(log)
    assert restarted.decider.stats["events"] == 0
    again = restarted.decider.state("c1", 0)
    assert again is not None
    assert again.model_dump_json() == decode_row(row).model_dump_json()


def test_a_record_after_the_rows_offset_is_applied_once() -> None:
    """The redo covers records the row holds and records it does not: only the latter count."""
    settings = Settings(seed=1)
    events = history()
    log = records(events)
    written = 50  # the row was written after the first 50 records, then the worker died
    first = Worker(settings, cache_size=100)
    run(first, log[:written])
    restarted = Worker(settings, cache_size=100)
    restarted.table = dict(first.table)
    run(restarted, log)
    assert restarted.decider.stats["redelivered"] == written
    assert restarted.decider.stats["events"] == len(log) - written

    straight = Worker(settings, cache_size=100)  # the same log with no crash
    audit = run(straight, log)
    assert sorted(first.audit + restarted.audit) == sorted(audit)  # each decision made once
    ours, theirs = restarted.decider.state("c1", 0), straight.decider.state("c1", 0)
    assert ours is not None and theirs is not None
    assert ours.model_dump_json() == theirs.model_dump_json()


def test_without_the_offsets_the_id_window_alone_would_apply_old_payments_again() -> None:
    """Why the offsets: the same redo on a row of the first format (no offsets) takes the
    payments older than the window for new, and the ledger counts them twice."""
    settings = Settings(seed=1)
    log = records(history())
    first = Worker(settings, cache_size=100)
    run(first, log)
    row = first.table[b"c1"]
    old_format = row[:_HEADER] + decode_row(row).model_dump_json(exclude_defaults=True).encode()
    assert applied_offsets(old_format) == {} and read_header(old_format) == read_header(row)

    restarted = Worker(settings, cache_size=100)
    restarted.table = {b"c1": old_format}
    run(restarted, log)
    assert restarted.decider.stats["redelivered"] == 0
    state = restarted.decider.state("c1", 0)
    assert state is not None
    assert state.model_dump_json() != decode_row(row).model_dump_json()  # applied twice
    restarted.apply(restarted.decider.flush())
    assert applied_offsets(restarted.table[b"c1"]) == {"payments": len(log) - 1}  # upgraded


def test_a_topic_made_again_is_applied_not_skipped() -> None:
    """Offsets restart at 0 when an input topic is deleted and made again while the table is
    kept. A newer event at an old offset is applied and counted as an offset regression; the
    row's offset then follows the new topic."""
    settings = Settings(seed=1)
    events = history()
    first = Worker(settings, cache_size=100)
    run(first, records(events[:40]))
    later = records(events[40:])  # offsets 0.. again, but events newer than the row's latest
    restarted = Worker(settings, cache_size=100)
    restarted.table = dict(first.table)
    run(restarted, later)
    stats = restarted.decider.stats
    assert stats["redelivered"] == 0
    assert stats["offset_regressions"] == 1 and stats["events"] == len(later)
    restarted.apply(restarted.decider.flush())
    assert applied_offsets(restarted.table[b"c1"]) == {"payments": len(later) - 1}


def test_offsets_are_kept_per_topic() -> None:
    state = CustomerState(customer_id="c1")
    row = encode_row(2, state, {"duewise.payments": 9, "duewise.invoices": 2**40})
    assert applied_offsets(row) == {"duewise.invoices": 2**40, "duewise.payments": 9}
    assert read_header(row) == (2, None)
    assert decode_row(row) == state
