"""Shared pieces of the reducer tests: two standard invoices and the money-row checker.

A money row feeds a list of events through :func:`engine.reducer.apply_event` and compares
every invoice's ``(status, paid, credited)``, the customer's unallocated credit and the notice
kinds. The ``test_reducer_*`` modules each hold the rows of one topic.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.state import CustomerState
from schemas.events import EventBase
from tests.builders import apply, invoice_issued

I1 = invoice_issued(invoice="i1", due="2026-09-30", amount=49900, at="2026-09-01T08:00")
I2 = invoice_issued(invoice="i2", due="2026-10-30", amount=49900, at="2026-10-01T08:00")

# (id, events, {invoice: (status, paid, credited)}, customer credit, notice kinds)
MoneyRow = tuple[str, list[EventBase], dict[str, tuple[str, int, int]], int, list[str]]
MONEY_FIELDS = ("events", "expected", "credit", "kinds")


def money_of(state: CustomerState) -> dict[str, tuple[str, int, int]]:
    return {
        i.invoice_id: (i.status.value, i.paid_minor, i.credited_minor)
        for i in state.invoices.values()
    }


def credit_of(state: CustomerState) -> int:
    return sum(p.unallocated_minor for p in state.payments.values())


def kinds_of(notices: list[Any]) -> list[str]:
    return [n.kind for n in notices]


def money_params(rows: list[MoneyRow]) -> list[Any]:
    """The rows as ``pytest.param`` objects for ``parametrize(MONEY_FIELDS, ...)``."""
    return [pytest.param(*case[1:], id=case[0]) for case in rows]


def check_money(
    events: list[EventBase], expected: dict[str, tuple[str, int, int]], credit: int, kinds: list
) -> None:
    """Apply the events to a fresh customer and check the money row's expectations."""
    state, notices = apply(*events)
    assert state is not None
    assert money_of(state) == expected
    assert credit_of(state) == credit
    assert kinds_of(notices) == kinds
