"""Archiving: closed invoices leave the live state once nothing can need them any more.

Why. A customer's state is one row of the streaming table, written to the changelog every time
the customer is touched, and the reducer, the scheduler and the features loop over its invoices
and payments for every event. Kept forever, a monthly biller's customer grows by a paid invoice,
its payment and its contacts every month, and so does the cost of every event about them.

What may go. An invoice is archived when it is closed (paid or cancelled) and has been for
longer than :attr:`ArchiveConfig.retention`, no pending outcome is still waiting on it, no
parked event names it, its contacts were all sent before the retention too, and every payment
that paid it goes with it (a payment that also paid a live invoice, or that still holds credit,
keeps the invoice live: a reversal of it must re-open exactly what it paid, as today). The
payments that paid only archived invoices go with them, and so do reversed payments received
before the retention; so do the archived invoices' contacts.

What stays. What decisions still read, as compact aggregates in :class:`engine.state.Archive`:
tombstones of the archived invoice and payment ids (a re-issued invoice or a repeated payment is
still ignored; any other late event about them goes to the dead-letter path, see
:mod:`engine.reducer`), the newest :data:`engine.features.HISTORY` paid invoices as the
payment-history features read them, and per channel the counts of contacts on paid invoices and
of those a payment answered. The features read live and archived data together and give exactly
the values they gave before, so every decision is unchanged.

When. :func:`engine.step.step` archives at the customer's present (the latest event time), after
the decisions and outcomes that were due: a pure function of the ordered events, never of a
wall clock, so the streaming worker and the embedded replay archive alike.

Why these retention rules are safe. The retention (120 days by default) is longer than any
frequency-cap window (at most 90 days, :class:`engine.guardrails.pack.FrequencyCap`), so no cap
ever counted an archived contact again; an invoice's own rules (notice deadlines, demand holds,
the ladder) only read contacts of that invoice, which is closed. Pending outcomes are checked
explicitly, whatever their windows. A payment reversed more than the retention after the
invoice closed is beyond the card networks' usual 120-day chargeback window; it is not lost but
sent to the dead-letter path for a person to look at.

Tombstones expire. Each archived id is kept with the day it was archived (event time) and
dropped :attr:`ArchiveConfig.tombstone_retention` (400 days by default) later, or the
tombstones alone would grow by every invoice and payment of the customer's life. The
consequence, accepted: an event naming an invoice or payment archived longer ago than that is
taken as new. A re-issued invoice id opens a new invoice (its dunning restarts, and its decision
ids, the invoice id and step, are those the old invoice used); a repeated payment id is
allocated again; any other event about the invoice waits for it like any event about an unknown
invoice, and reaches the dead-letter path when it expires unmatched (a payment naming it is held
so too, instead of going oldest first); a reversal of the payment is reported unmatched. By then
the invoice closed more than 520 days ago: far beyond any billing system's retries or the card
networks' chargeback windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.features import HISTORY, answered_by
from engine.state import CustomerState, InvoiceStatus, PaidSummary

LONGEST_CAP_WINDOW = timedelta(days=90)
"""The longest frequency-cap window a rule pack may set (``FrequencyCap.window_days <= 90``)."""


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """How long a closed invoice stays live, and how long its tombstone (and its payments')
    then recognises a late event about it; ``enabled=False`` keeps everything forever."""

    retention: timedelta = timedelta(days=120)
    tombstone_retention: timedelta = timedelta(days=400)
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.retention <= LONGEST_CAP_WINDOW:
            raise ValueError(
                f"retention must be longer than the longest cap window ({LONGEST_CAP_WINDOW})"
            )
        if self.tombstone_retention <= timedelta(0):
            raise ValueError("tombstone_retention must be positive")


def _candidates(state: CustomerState, cutoff: datetime) -> set[str]:
    """Closed before ``cutoff``, with no pending outcome, parked event or recent contact.

    Run after every event, so the common case (nothing old enough) costs one pass over the
    few live invoices; ``closed_at`` is set only while an invoice is closed.
    """
    ids = {
        i.invoice_id
        for i in state.invoices.values()
        if i.closed_at is not None and i.closed_at <= cutoff and i.closed
    }
    if ids:
        ids.difference_update(p.invoice_id for p in state.pending)
        ids.difference_update(p.invoice_id for p in state.parked)
        ids.difference_update(c.invoice_id for c in state.contacts if c.send_at > cutoff)
    return ids


def _close_over_payments(state: CustomerState, ids: set[str]) -> None:
    """Drop from ``ids`` every invoice paid by a payment that cannot go with it: one that also
    paid a live invoice or still holds credit. Repeated until nothing changes, since dropping
    one invoice can keep another payment, and so another invoice, live."""
    changed = True
    while changed and ids:
        changed = False
        for payment in state.payments.values():
            touched = ids.intersection(payment.allocations)
            if not touched:
                continue
            if payment.unallocated_minor > 0 or not ids.issuperset(payment.allocations):
                ids.difference_update(touched)
                changed = True


def _archive_payments(
    state: CustomerState, ids: set[str], cutoff: datetime, present: datetime
) -> None:
    gone = [
        p.payment_id
        for p in state.payments.values()
        if (p.allocations and ids.issuperset(p.allocations))
        or (p.reversed and p.received_at <= cutoff)
    ]
    for payment_id in gone:
        del state.payments[payment_id]
        state.archive.payments[payment_id] = present.date()


def _archive_invoices(state: CustomerState, ids: set[str], present: datetime) -> None:
    if not ids:
        return
    archive = state.archive
    contacted = {c.invoice_id for c in state.contacts if c.channel is not None}
    for invoice_id in sorted(ids):
        invoice = state.invoices.pop(invoice_id)
        archive.invoices[invoice_id] = present.date()
        if invoice.status is not InvoiceStatus.PAID or invoice.closed_at is None:
            continue  # cancelled: the features never read it
        archive.recent_paid.append(
            PaidSummary(
                invoice_id=invoice_id,
                due_date=invoice.due_date,
                closed_at=invoice.closed_at,
                contacted=invoice_id in contacted,
            )
        )
        for c in state.contacts:
            if c.invoice_id == invoice_id and c.channel is not None:
                archive.tried[c.channel] = archive.tried.get(c.channel, 0) + 1
                if answered_by(c, invoice.closed_at):
                    archive.answered[c.channel] = archive.answered.get(c.channel, 0) + 1
    archive.recent_paid.sort(key=lambda h: (h.due_date, h.invoice_id))
    del archive.recent_paid[:-HISTORY]
    if any(c.invoice_id in ids for c in state.contacts):
        state.contacts = [c for c in state.contacts if c.invoice_id not in ids]


def expire_tombstones(tombstones: dict[str, date], horizon: date) -> None:
    """Forget the ids archived on a day before ``horizon``.

    Ids are archived at the customer's present, which never moves back, so the map is oldest
    first and only its front is looked at: one comparison when nothing is due to go.
    """
    stale: list[str] = []
    for archived_id, archived_at in tombstones.items():
        if archived_at >= horizon:
            break
        stale.append(archived_id)
    for archived_id in stale:
        del tombstones[archived_id]


def archive_closed(state: CustomerState, present: datetime, config: ArchiveConfig) -> int:
    """Move what nothing can need any more from the live state to its archive, at ``present``
    (the customer's latest event time), and forget the tombstones older than
    :attr:`ArchiveConfig.tombstone_retention`. Returns the number of invoices archived.

    Old reversed payments go when an old closed invoice does (they hold no money, only their
    id for the dedupe, so they need no test of their own after every event). Nothing is done
    when no closed invoice is old enough, the case after almost every event.
    """
    if not config.enabled:
        return 0
    archive = state.archive
    horizon = (present - config.tombstone_retention).date()
    expire_tombstones(archive.invoices, horizon)
    expire_tombstones(archive.payments, horizon)
    cutoff = present - config.retention
    ids = _candidates(state, cutoff)
    if not ids:
        return 0
    _close_over_payments(state, ids)
    _archive_payments(state, ids, cutoff, present)
    _archive_invoices(state, ids, present)
    return len(ids)
