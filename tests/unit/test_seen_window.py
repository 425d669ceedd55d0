"""The reducer's memory of event ids: a window of event time with a floor and a cap.

A customer's row must not grow with the length of its history, so ids are remembered for
:data:`engine.dedupe.SEEN_WINDOW` (whole UTC days) of the customer's event time (at least the
newest :data:`SEEN_IDS_FLOOR`, at most :data:`SEEN_IDS_KEPT`), and rows written when ids were a
plain list still decode.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.dedupe import SEEN_IDS_FLOOR, SEEN_IDS_KEPT, SEEN_WINDOW, remember
from engine.reducer import apply_event
from engine.state import CustomerState
from schemas.events import EventBase
from tests.builders import apply, at, customer_erased, customer_updated
from tests.unit.reducer_helpers import kinds_of

START = at("2026-01-05T08:00")


def _daily(n: int, start: datetime = START, every: timedelta = timedelta(days=1)) -> list:
    return [customer_updated(language="sv", at=start + k * every) for k in range(n)]


def _redeliver(state: CustomerState, event: EventBase) -> list[str]:
    _, notices = apply_event(state, event)
    return kinds_of(notices)


def test_a_duplicate_within_the_window_is_ignored() -> None:
    events = _daily(60)  # 60 days: well past the floor and the window
    state, _ = apply(*events)
    assert state is not None
    inside = events[-30]  # seen 29 days before the present
    assert _redeliver(state, inside) == ["duplicate_ignored"]


def test_an_id_older_than_the_window_and_beyond_the_floor_is_forgotten() -> None:
    events = _daily(60)
    state, _ = apply(*events)
    assert state is not None
    old = events[0]  # seen 59 days before the present, 59 newer ids since
    assert old.event_id not in state.seen_events
    assert len(state.seen_events) == SEEN_WINDOW.days + 1  # one a day, both ends included
    assert _redeliver(state, old) == []  # taken for new: the price of a bounded row


def test_the_floor_keeps_the_newest_ids_of_a_quiet_customer() -> None:
    """One event a quarter: every id is older than the window, the newest are kept anyway."""
    events = _daily(SEEN_IDS_FLOOR + 5, every=timedelta(days=90))
    state, _ = apply(*events)
    assert state is not None
    assert list(state.seen_events) == [e.event_id for e in events[-SEEN_IDS_FLOOR:]]
    assert _redeliver(state, events[-SEEN_IDS_FLOOR]) == ["duplicate_ignored"]
    assert _redeliver(state, events[-SEEN_IDS_FLOOR - 1]) == []


def test_the_cap_holds_inside_the_window() -> None:
    events = _daily(SEEN_IDS_KEPT + 40, every=timedelta(minutes=1))
    state, _ = apply(*events)
    assert state is not None
    assert list(state.seen_events) == [e.event_id for e in events[-SEEN_IDS_KEPT:]]


def test_a_late_event_is_remembered_from_the_present_not_its_own_time() -> None:
    """It is delivered now; its re-delivery comes after now."""
    events = _daily(40)
    late = customer_updated(language="fi", at=START - timedelta(days=100))
    state, _ = apply(*events, late)
    assert state is not None
    assert state.seen_events[late.event_id] == events[-1].occurred_at.date()
    assert _redeliver(state, late) == ["duplicate_ignored"]


def test_remember_keeps_the_first_time_of_an_id() -> None:
    seen = {"a": START.date()}
    remember(seen, "b", START + timedelta(days=1))
    remember(seen, "a", START + timedelta(days=2))
    assert seen == {"a": START.date(), "b": START.date() + timedelta(days=1)}


def test_the_erasure_tombstone_keeps_the_windowed_ids() -> None:
    events = _daily(60)
    erase = customer_erased(at=events[-1].occurred_at + timedelta(hours=1))
    state, _ = apply(*events, erase)
    assert state is not None and state.erased_at == erase.occurred_at
    assert list(state.seen_events)[-1] == erase.event_id
    assert events[-2].event_id in state.seen_events
    assert events[0].event_id not in state.seen_events
    again, _ = apply_event(state, erase)  # a re-delivered erasure leaves the same tombstone
    assert again is not None and again.seen_events == state.seen_events


def test_a_row_with_a_plain_id_list_still_decodes() -> None:
    """Rows written before ids had times: the ids count as seen at the latest event time."""
    last = "2026-03-01T08:00:00Z"
    old_row = f'{{"customer_id":"c1","seen_event_ids":["e1","e2"],"last_event_at":"{last}"}}'
    state = CustomerState.model_validate_json(old_row)
    assert state.seen_events == {"e1": at(last).date(), "e2": at(last).date()}
    assert state.seen_event_ids == []
    assert _redeliver(state.model_copy(deep=True), customer_updated(event_id="e2")) == [
        "duplicate_ignored"
    ]
    again = CustomerState.model_validate_json(state.model_dump_json(exclude_defaults=True))
    assert again == state


def test_an_erased_row_with_a_plain_id_list_takes_the_erasure_time() -> None:
    old_row = '{"customer_id":"c1","seen_event_ids":["e1"],"erased_at":"2026-03-01T08:00:00Z"}'
    state = CustomerState.model_validate_json(old_row)
    assert state.seen_events == {"e1": date(2026, 3, 1)}
