"""When an invoice needs its next decision: the policy's wish, pushed back by retries.

Decision points of one invoice never go back in time: the next one is no earlier than the
last one, so ``decided_at`` is monotonic per invoice even after long holds, and none is earlier
than the event that caused it.

Kept in one place because both the reducer's aftermath and the decision itself move it, and the
streaming agenda reads it through :meth:`engine.state.CustomerState.next_wake`.
"""

from __future__ import annotations

from datetime import datetime

from engine.policies.base import Policy
from engine.state import CustomerState, InvoiceState


def reschedule(
    customer: CustomerState,
    invoice: InvoiceState,
    policy: Policy,
    not_before: datetime | None = None,
) -> None:
    """Set ``invoice.next_at``: ``None`` when nothing is left to decide automatically.

    ``not_before`` is the customer's present when an event reschedules: a decision point the
    event made due (an invoice that arrives long after its due date, a hold that an old event
    lifts) is taken now, never back-dated to when it would have been due.
    """
    at: datetime | None = None
    if not (invoice.closed or invoice.in_review or invoice.awaiting_event):
        at = policy.next_point(customer, invoice)
    if at is not None:
        for floor in (invoice.retry_at, invoice.last_point_at, not_before):
            if floor is not None and floor > at:
                at = floor
    if at != invoice.next_at:  # usually unchanged: every event reschedules every invoice
        invoice.next_at = at


def reschedule_all(
    customer: CustomerState, policy: Policy, not_before: datetime | None = None
) -> None:
    """Recompute every invoice's next decision point (cheap: a customer has few invoices)."""
    for invoice in customer.invoices.values():
        if invoice.next_at is None and invoice.closed:
            continue  # nothing left to decide, and nothing scheduled to clear
        reschedule(customer, invoice, policy, not_before)
