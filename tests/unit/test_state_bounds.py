"""A customer's state stops growing with the length of its history.

Archive tombstones expire :attr:`engine.archive.ArchiveConfig.tombstone_retention` after they
were made (an event naming an id archived longer ago is taken as new), rows written when
tombstones were plain id lists still decode, and over five years of monthly invoices the
encoded table row of a customer is no larger than after two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from engine import ArchiveConfig, EngineContext, step
from engine.archive import archive_closed
from engine.guardrails import RulePack
from engine.policies import LadderPolicy
from engine.reducer import apply_event
from engine.state import CustomerState
from schemas import events as ev
from streams.rows import encode_row
from tests.builders import at, invoice_issued, message, payment_received
from tests.unit.test_archive import PAID, paid_customer

CONFIG = ArchiveConfig()
ARCHIVED = at(PAID) + CONFIG.retention + timedelta(hours=1)
LAST_KEPT = ARCHIVED + CONFIG.tombstone_retention
FIRST_GONE = LAST_KEPT + timedelta(days=1)


def _archived() -> CustomerState:
    """i1 paid by p1 on :data:`PAID`, archived on :data:`ARCHIVED`."""
    state = paid_customer()
    assert archive_closed(state, ARCHIVED, CONFIG) == 1
    assert state.archive.invoices == {"i1": ARCHIVED.date()}
    return state


def test_tombstone_retention_must_be_positive() -> None:
    with pytest.raises(ValueError, match="tombstone_retention"):
        ArchiveConfig(tombstone_retention=timedelta(0))


def test_tombstones_are_kept_for_the_retention() -> None:
    state = _archived()
    archive_closed(state, LAST_KEPT, CONFIG)
    assert (list(state.archive.invoices), list(state.archive.payments)) == (["i1"], ["p1"])
    _, notices = apply_event(state, invoice_issued(invoice="i1", due="2026-09-30", at=LAST_KEPT))
    assert [n.kind for n in notices] == ["invoice_reissued_ignored"]


def test_tombstones_expire_after_the_retention() -> None:
    state = _archived()
    archive_closed(state, FIRST_GONE, CONFIG)
    assert (state.archive.invoices, state.archive.payments) == ({}, {})


def test_an_id_whose_tombstone_expired_is_taken_as_new() -> None:
    """The documented price of bounded tombstones: a re-issue 520 days after closing is new."""
    state = _archived()
    archive_closed(state, FIRST_GONE, CONFIG)
    reissue = invoice_issued(invoice="i1", due="2028-03-30", at=FIRST_GONE)
    state, notices = apply_event(state, reissue)
    assert state is not None and notices == []
    assert list(state.invoices) == ["i1"]
    state, notices = apply_event(state, payment_received(invoice="i1", payment="p1", at=FIRST_GONE))
    assert state is not None and [n.kind for n in notices] == []
    assert state.invoices["i1"].closed


def test_disabled_archiving_expires_nothing() -> None:
    state = _archived()
    archive_closed(state, FIRST_GONE, ArchiveConfig(enabled=False))
    assert list(state.archive.invoices) == ["i1"]


def test_a_row_with_plain_tombstone_lists_still_decodes() -> None:
    """They count as archived at the row's latest event time, and expire from there."""
    last = "2026-03-01T08:00:00Z"
    old_row = (
        '{"customer_id":"c1","archive":{"invoice_ids":["i1","i2"],"payment_ids":["p1"]},'
        f'"last_event_at":"{last}"}}'
    )
    state = CustomerState.model_validate_json(old_row)
    day = at(last).date()
    assert state.archive.invoices == {"i1": day, "i2": day}
    assert state.archive.payments == {"p1": day}
    assert (state.archive.invoice_ids, state.archive.payment_ids) == ([], [])
    _, notices = apply_event(state.model_copy(deep=True), payment_received(payment="p1"))
    assert [n.kind for n in notices] == ["payment_repeated_ignored"]
    archive_closed(state, at(last) + CONFIG.tombstone_retention + timedelta(days=1), CONFIG)
    assert (state.archive.invoices, state.archive.payments) == ({}, {})


def _month(k: int) -> list[ev.EventBase]:
    """Month ``k`` of a monthly biller's customer: an invoice, a reminder's notifier reports
    on every third, and the payment. Ids have a fixed width so that sizes compare."""
    year, month = 2026 + k // 12, 1 + k % 12
    inv, due = f"i{k:03d}", date(year, month, 28)
    pay_at = datetime.combine(due, time(9, 7), tzinfo=UTC)
    events: list[ev.EventBase] = [
        invoice_issued(invoice=inv, due=due, issued=date(year, month, 1), event_id=f"{inv}.iss")
    ]
    if k % 3 == 0:
        sent = pay_at - timedelta(days=2)
        for kind, hours in (("sent", 0), ("delivered", 1), ("opened", 5)):
            events.append(
                message(
                    kind, f"{inv}/1", at=sent + timedelta(hours=hours), event_id=f"{inv}.{kind}"
                )
            )
    events.append(
        payment_received(invoice=inv, payment=f"p{k:03d}", at=pay_at, event_id=f"{inv}.pay")
    )
    return events


def test_a_long_history_stops_growing_the_row() -> None:
    """Five years of monthly invoices and payments: the row after year 5 is not larger than
    after year 2 (beyond a small margin), because event ids, archived invoices and their
    tombstones all leave within windows shorter than two years."""
    ctx = EngineContext(LadderPolicy(), RulePack(), 0)
    state: CustomerState | None = None
    sizes: dict[int, int] = {}
    for k in range(60):
        for event in _month(k):
            state = step(state, event, ctx).state
        if (k + 1) % 12 == 0:
            assert state is not None
            sizes[(k + 1) // 12] = len(encode_row(0, state))
    assert state is not None
    assert len(state.seen_events) <= 16
    assert len(state.archive.invoices) <= 15
    assert sizes[5] <= sizes[2] * 1.02, sizes
