"""Archiving changes no decision: long random histories with and without it, compared.

The property tests of ``tests/replay`` stay within 100 days, short of the archive's retention,
so here a customer lives for up to two years: monthly invoices paid early, late (around payday
too), in parts, by reference or oldest first, overpaid into credit, credited, cancelled,
reversed and paid again, with time zone changes and message reports. Every late event stays
within 100 days of what it is about, as a producer's would. The same events go through
:func:`engine.step.step` with the default archive and with archiving off; decisions, outcomes
(their feature vectors included), notices and the features of every live invoice must be
identical, and so must a run restarted from the archived state's JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import ArchiveConfig, EngineContext
from engine.features import features
from engine.guardrails import RulePack
from engine.policies import LadderPolicy
from engine.state import CustomerState
from engine.step import advance, step
from schemas import events as ev
from tests.builders import (
    customer_updated,
    invoice_adjusted,
    invoice_cancelled,
    invoice_issued,
    message,
    payment_received,
    payment_reversed,
)

ON = EngineContext(LadderPolicy(), RulePack(), 0)
OFF = EngineContext(LadderPolicy(), RulePack(), 0, archive=ArchiveConfig(enabled=False))
FATES = ("on_time", "late", "late", "payday", "split", "over", "cancel", "reverse", "credit")
ZONES = ("Europe/Stockholm", "Europe/Helsinki", "America/New_York")


def _moment(d: date, hour: int) -> datetime:
    return datetime.combine(d, time(hour, 7), tzinfo=UTC)


@st.composite
def histories(draw: st.DrawFn) -> list[ev.EventBase]:
    """One customer's events over ``months`` monthly invoices, in time order."""
    months = draw(st.integers(6, 24))
    events: list[ev.EventBase] = []
    for k in range(months):
        year, month = 2025 + (k // 12), 1 + k % 12
        inv, due = f"i{k:02d}", date(year, month, 28)
        amount = draw(st.sampled_from([19900, 29900, 49900]))
        events.append(
            invoice_issued(invoice=inv, due=due, amount=amount, issued=date(year, month, 1))
        )
        fate = draw(st.sampled_from(FATES))
        late = draw(st.integers(-10, 45)) if fate != "on_time" else draw(st.integers(-10, 0))
        if fate == "payday":
            late = (date(year, month, 25) + timedelta(days=30) - due).days + draw(st.integers(0, 3))
        paid = _moment(due + timedelta(days=late), draw(st.integers(5, 22)))
        by = {"invoice": inv} if draw(st.booleans()) else {"reference": f"{inv}.1"}
        pay = f"p{k:02d}"
        if fate == "cancel":
            events.append(invoice_cancelled(invoice=inv, at=paid))
        elif fate == "split":
            events.append(payment_received(amount=10000, payment=pay, at=paid, **by))
            later = paid + timedelta(days=draw(st.integers(1, 20)))
            events.append(payment_received(amount=amount - 10000, payment=pay + "b", at=later))
        elif fate == "over":
            events.append(payment_received(amount=amount + 15000, payment=pay, at=paid, **by))
        elif fate == "reverse":
            events.append(payment_received(amount=amount, payment=pay, at=paid, **by))
            back = paid + timedelta(days=draw(st.integers(1, 60)))
            events.append(payment_reversed(payment=pay, at=back))
            again = back + timedelta(days=draw(st.integers(1, 30)))
            events.append(payment_received(amount=amount, payment=pay + "b", at=again))
        elif fate == "credit":
            events.append(payment_received(amount=amount, payment=pay, at=paid, **by))
            note = paid + timedelta(days=draw(st.integers(-5, 30)))
            events.append(invoice_adjusted(invoice=inv, amount=5000, credit_note=inv, at=note))
        else:
            events.append(payment_received(amount=amount, payment=pay, at=paid, **by))
        if draw(st.booleans()):
            opened = _moment(due + timedelta(days=draw(st.integers(5, 12))), 12)
            events.append(message("opened", decision=f"{inv}/1", at=opened))
        if draw(st.integers(0, 7)) == 0:
            zone = draw(st.sampled_from(ZONES))
            events.append(customer_updated(timezone=zone, at=_moment(due, 3)))
    events.sort(key=lambda e: e.occurred_at)
    return events


def _drive(
    events: list[ev.EventBase],
    ctx: EngineContext,
    until: datetime,
    state: CustomerState | None = None,
) -> tuple[CustomerState, tuple[list, list, list, dict]]:
    """Each event as a runtime feeds it (advance to its time, then step), then advance to
    ``until``: the final state, and the decisions, outcomes, notices and live features."""
    decisions: list[str] = []
    outcomes: list[str] = []
    notices: list[tuple] = []
    for event in events:
        before = advance(state, event.occurred_at, ctx) if state is not None else None
        result = step(state, event, ctx)
        state = result.state
        for part in (before, result):
            if part is not None:
                decisions += [d.model_dump_json() for d in part.decisions]
                outcomes += [o.model_dump_json() for o in part.outcomes]
                notices += [(n.kind, n.event_id, n.detail, n.raw) for n in part.notices]
    assert state is not None
    last = advance(state, until, ctx)
    decisions += [d.model_dump_json() for d in last.decisions]
    outcomes += [o.model_dump_json() for o in last.outcomes]
    live = {
        i.invoice_id: features(state, i, until) for i in state.invoices.values() if not i.closed
    }
    return state, (decisions, outcomes, notices, live)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_archiving_changes_no_decision(events: list[ev.EventBase]) -> None:
    until = events[-1].occurred_at + timedelta(days=60)
    kept, with_archive = _drive(events, ON, until)
    full, without = _drive(events, OFF, until)
    assert with_archive == without
    assert not list(full.archive.invoices)
    assert len(kept.archive.recent_paid) <= 12


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_archived_state_survives_json_and_carries_on_alike(events: list[ev.EventBase]) -> None:
    """The streaming worker reloads the state from its changelog JSON between batches."""
    until = events[-1].occurred_at + timedelta(days=60)
    _, whole = _drive(events, ON, until)
    half = len(events) // 2
    first, (d1, o1, n1, _) = _drive(events[:half], ON, events[half].occurred_at)
    loaded = CustomerState.model_validate_json(first.model_dump_json(exclude_defaults=True))
    assert loaded == first
    _, (d2, o2, n2, live) = _drive(events[half:], ON, until, loaded)
    assert (d1 + d2, o1 + o2, n1 + n2, live) == whole


def test_a_long_history_is_archived() -> None:
    """Two years of monthly invoices paid on time: only the recent ones stay live."""
    events: list[ev.EventBase] = []
    for k in range(24):
        year, month = 2025 + k // 12, 1 + k % 12
        due = date(year, month, 28)
        events.append(invoice_issued(invoice=f"i{k:02d}", due=due, issued=date(year, month, 1)))
        events.append(
            payment_received(invoice=f"i{k:02d}", payment=f"p{k:02d}", at=_moment(due, 9))
        )
    state, _ = _drive(events, ON, events[-1].occurred_at)
    # the present is 2026-12-28: closed on 2026-08-28, i19 is 122 days past, beyond 120
    assert sorted(state.invoices) == ["i20", "i21", "i22", "i23"]
    assert sorted(state.payments) == ["p20", "p21", "p22", "p23"]
    # tombstones last 400 days after archiving: i05 went on 2025-10-28, before 2025-11-23
    assert list(state.archive.invoices) == [f"i{k:02d}" for k in range(6, 20)]
    assert list(state.archive.payments) == [f"p{k:02d}" for k in range(6, 20)]
    assert [h.invoice_id for h in state.archive.recent_paid] == [f"i{k:02d}" for k in range(8, 20)]
