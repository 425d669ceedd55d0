"""Terse builders for events, states and engine runs, shared by every test suite.

Every event builder takes the fields a test usually cares about as keywords with sensible
defaults, plus ``at`` (when it occurred, default :data:`DEFAULT_AT`), ``event_id`` (default: a
fresh unique id) and ``**kw`` for any other field of the event model. Times are strings or
datetimes; strings without an offset are read as UTC. Dates are ``"YYYY-MM-DD"`` strings or
:class:`datetime.date` objects.

The builders live in :mod:`tests.builders.times`, :mod:`tests.builders.events`,
:mod:`tests.builders.states` and :mod:`tests.builders.runs`; import them from here.

>>> e = invoice_issued(invoice="i7", due="2026-09-30", amount=100)
>>> (e.invoice_id, e.due_date.isoformat(), e.occurred_at.isoformat())
('i7', '2026-09-30', '2026-09-01T08:00:00+00:00')
>>> at("2026-10-05T06:00").isoformat()
'2026-10-05T06:00:00+00:00'
>>> local("2026-10-05T08:00").isoformat()  # 08:00 in Stockholm (CEST) is 06:00 UTC
'2026-10-05T06:00:00+00:00'
>>> state, notices = apply(invoice_issued(), payment_received(amount=49900, invoice="i1"))
>>> state.invoices["i1"].status.value
'paid'
"""

from tests.builders.events import (
    call_completed,
    customer_churned,
    customer_erased,
    customer_updated,
    dispute_opened,
    dispute_resolved,
    dunning_paused,
    invoice_adjusted,
    invoice_cancelled,
    invoice_issued,
    message,
    payment_plan_accepted,
    payment_received,
    payment_reversed,
    promise_to_pay,
)
from tests.builders.runs import Run, engine_context, run
from tests.builders.states import apply, contact, customer, invoice
from tests.builders.times import DEFAULT_AT, Day, Moment, at, day, local

__all__ = [
    "DEFAULT_AT",
    "Day",
    "Moment",
    "Run",
    "apply",
    "at",
    "call_completed",
    "contact",
    "customer",
    "customer_churned",
    "customer_erased",
    "customer_updated",
    "day",
    "dispute_opened",
    "dispute_resolved",
    "dunning_paused",
    "engine_context",
    "invoice",
    "invoice_adjusted",
    "invoice_cancelled",
    "invoice_issued",
    "local",
    "message",
    "payment_plan_accepted",
    "payment_received",
    "payment_reversed",
    "promise_to_pay",
    "run",
]
