"""The numbers a learned policy sees at a decision point: one invoice, its customer, the date.

Why these. The value of contacting someone, compared with waiting, depends on whether they
would pay soon anyway (how overdue, how they paid before, whether payday is near), on whether a
message would reach them (reachable channels, whether they opened the last one), and on how
much pressure they already had (contacts so far, days since the last). The customer's history
is computed from their own closed invoices, so a forgetful payer (late, but paying once
reminded) looks different from one who pays late whatever happens. Old closed invoices leave
the live state (:mod:`engine.archive`); the history reads the archive's summaries of them too,
so it is the same as if every invoice were still there.

Every feature is a plain float under a stable key in a fixed order (:data:`FEATURE_KEYS`), so
the same state and instant always give the same vector, in every runtime. Only ids and numbers:
no name, address or free text ever enters a feature (they are logged with every decision).

Scales are kept comparable (durations in months of 30 days, shares in [0, 1], small counts),
so that one ridge penalty treats every feature alike and the explanations compare like with like.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from operator import itemgetter

from engine.guardrails.calendar import local_date
from engine.state import ContactRecord, CustomerState, InvoiceState, InvoiceStatus
from schemas.enums import Channel

PAYDAY = 25
"""Swedish salaries arrive on the 25th: money for an overdue bill often waits for it."""
HISTORY = 12
"""Closed invoices (the most recent by due date) the customer's history is computed from."""
DAYS_CAP = 60.0
"""Day counts are capped here: beyond two months, more days say little more."""
MONTH = 30.0
"""Durations are given in months of this many days."""
ANSWER_DAYS = 7
"""A contact counts as answered when its invoice was paid within this many days of it."""

CHANNELS: tuple[Channel, ...] = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.DIGITAL_MAILBOX,
    Channel.LETTER,
    Channel.PHONE,
)

FEATURE_KEYS: tuple[str, ...] = (
    "overdue_months",
    "stage",
    "log_amount",
    "contacts",
    "since_contact_months",
    "last_opened",
    "last_clicked",
    "partly_paid",
    "forbearance_offered",
    "escalated",
    "direct_debit",
    "vulnerable",
    "other_overdue",
    "hist_years",
    "hist_late_share",
    "hist_late_months",
    "hist_contacted_share",
    "hist_payday_share",
    "to_payday_months",
    "weekday",
    *(f"reach_{c.value}" for c in CHANNELS),
    *(f"answered_{c.value}" for c in CHANNELS),
)
"""Every key :func:`features` returns, in the order it returns them."""

Features = dict[str, float]

_PAID = InvoiceStatus.PAID
"""Looked up once: an enum member's lookup on its class is slow (Python 3.11), and the
history reads the status of every invoice at every decision point."""


def days_to_payday(today: date, payday: int = PAYDAY) -> int:
    """Days from ``today`` to the next payday (0 on payday itself).

    >>> days_to_payday(date(2026, 3, 20)), days_to_payday(date(2026, 3, 25))
    (5, 0)
    >>> days_to_payday(date(2026, 12, 28))
    28
    """
    if today.day <= payday:
        return payday - today.day
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return (date(year, month, payday) - today).days


PaidRow = tuple[date, str, datetime, bool]
"""One paid invoice as the history reads it: due date, invoice id, closed at, contacted."""


def answered_by(contact: ContactRecord, paid_at: datetime) -> bool:
    """Whether the payment that closed the contact's invoice at ``paid_at`` answered it."""
    return contact.send_at <= paid_at <= contact.send_at + timedelta(days=ANSWER_DAYS)


def paid_rows(customer: CustomerState, invoice_id: str, contacted: set[str]) -> list[PaidRow]:
    """The :data:`HISTORY` most recent paid invoices by ``(due_date, invoice_id)``, oldest
    first: live ones (except ``invoice_id``) merged with the archive's summaries.

    The archive keeps its own newest :data:`HISTORY`, so the merge is exactly what sorting
    every paid invoice ever would give.
    """
    rows: list[PaidRow] = [
        (i.due_date, i.invoice_id, i.closed_at, i.invoice_id in contacted)
        for i in customer.invoices.values()
        if i.status is _PAID and i.invoice_id != invoice_id and i.closed_at
    ]
    rows.extend(
        (h.due_date, h.invoice_id, h.closed_at, h.contacted)
        for h in customer.archive.recent_paid
        if h.invoice_id != invoice_id
    )
    rows.sort(key=itemgetter(0, 1))
    return rows[-HISTORY:]


def _history(customer: CustomerState, invoice_id: str, contacted: set[str]) -> list[float]:
    """Years of history (count / 12), share paid late, mean lateness in months, share paid
    after a contact, share of late payments made in the days after a payday (money that
    waits for the salary: such a customer needs time or a plan, not a louder reminder).

    One pass over the rows, counting in integers: every decision point computes it, and the
    lists a pass per figure built were a sixth of a timer release's time.
    """
    recent = paid_rows(customer, invoice_id, contacted)
    if not recent:
        return [0.0, 0.0, 0.0, 0.0, 0.0]
    tz = customer.timezone
    late = late_days = after_payday = contacted_count = 0
    for due, _, closed_at, was_contacted in recent:
        day = local_date(closed_at, tz)
        days = (day - due).days
        if days > 0:
            late += 1
            late_days += days
            after_payday += PAYDAY <= day.day <= PAYDAY + 3
        contacted_count += was_contacted
    n = len(recent)
    return [
        n / HISTORY,
        late / n,
        min(late_days / n, DAYS_CAP) / MONTH,
        contacted_count / n,
        after_payday / n,
    ]


def _answered(customer: CustomerState, invoice_id: str) -> list[float]:
    """Per channel, how often a contact on it was followed by payment within a week.

    People read some channels and ignore others; which one works for a customer shows in
    their own history (live contacts plus the archive's counts). Smoothed towards one half:
    ``(answered + 0.5) / (contacts + 1)``, so a channel never tried reads as unknown rather
    than as hopeless.
    """
    archive = customer.archive
    tried = {ch: archive.tried.get(ch, 0) for ch in CHANNELS}
    answered = {ch: archive.answered.get(ch, 0) for ch in CHANNELS}
    for c in customer.contacts:
        if c.channel is None or c.invoice_id == invoice_id:
            continue
        paid = customer.invoices.get(c.invoice_id)
        if paid is None or paid.status is not _PAID or paid.closed_at is None:
            continue
        tried[c.channel] += 1
        answered[c.channel] += answered_by(c, paid.closed_at)
    return [(answered[ch] + 0.5) / (tried[ch] + 1) for ch in CHANNELS]


def _reach(customer: CustomerState, channel: Channel) -> float:
    """Whether a message on ``channel`` could go out at all (the rule pack agrees)."""
    if channel in customer.opted_out or channel in customer.bounced:
        return 0.0
    return float(customer.reachable is None or channel in customer.reachable)


def features(customer: CustomerState, invoice: InvoiceState, at: datetime) -> Features:
    """The feature vector of ``invoice`` at ``at`` (keys and order: :data:`FEATURE_KEYS`)."""
    today = local_date(at, customer.timezone)
    mine: list[ContactRecord] = []
    contacted: set[str] = set()
    for c in customer.contacts:
        if c.channel is None:
            continue
        contacted.add(c.invoice_id)
        if c.invoice_id == invoice.invoice_id and c.send_at <= at:
            mine.append(c)
    last = max(mine, key=lambda c: c.send_at) if mine else None
    since = DAYS_CAP if last is None else min((at - last.send_at).total_seconds() / 86400, DAYS_CAP)
    outstanding = max(invoice.outstanding_minor, 0) / 100.0
    other_overdue = sum(
        1
        for i in customer.invoices.values()
        if not i.closed and i.invoice_id != invoice.invoice_id and i.due_date < today
    )
    values = [
        min(float((today - invoice.due_date).days), DAYS_CAP) / MONTH,
        float(invoice.ladder_level),
        math.log1p(outstanding / 100.0),
        float(len(mine)),
        since / MONTH,
        float(last is not None and last.opened),
        float(last is not None and last.clicked),
        float(invoice.paid_minor > 0),
        float(invoice.forbearance_offered),
        float(invoice.escalations > 0),
        float(customer.direct_debit_active),
        float(customer.vulnerable),
        float(other_overdue),
        *_history(customer, invoice.invoice_id, contacted),
        days_to_payday(today) / MONTH,
        today.weekday() / 6.0,
        *(_reach(customer, c) for c in CHANNELS),
        *_answered(customer, invoice.invoice_id),
    ]
    return dict(zip(FEATURE_KEYS, values, strict=True))
