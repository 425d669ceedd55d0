"""The golden scenarios' event writer: one :class:`Customer` per scenario.

It wraps the shared event builders of :mod:`tests.builders` and adds what a log needs on top:
event ids in writing order (``<short>-e01``, ``<short>-e02``...), a realistic ``source`` per
event, the customer's time zone on every invoice, and arrival times. Each method appends one
event and returns its ``event_id``. Times are written in UTC as ``"2026-09-01T06:00Z"``
(Stockholm is UTC+2 until 25 Oct 2026 and UTC+1 after); dates as ``"2026-09-28"``.

An event normally reaches duewise the moment it occurred. :meth:`Customer.arrives_late`
delivers it later than that (out-of-order input), and :meth:`Customer.resend` delivers an exact
copy of an earlier event again (a producer retry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.codec import encode_event
from schemas.events import EventBase
from tests import builders as b

SOURCES = {
    "invoice_issued": "billing",
    "invoice_adjusted": "billing",
    "invoice_cancelled": "billing",
    "payment_received": "payments",
    "payment_reversed": "payments",
    "customer_updated": "crm",
    "customer_churned": "crm",
    "customer_erased": "crm",
    "call_completed": "call_center",
}


def utc(text: str) -> datetime:
    """``"2026-09-01T06:00Z"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Entry:
    """One line of the log: the event, when it reaches duewise, and where it was written."""

    event: EventBase
    arrives_at: datetime
    position: int


@dataclass
class Customer:
    """The events of one customer, in the order the scenario writes them."""

    customer_id: str
    short: str
    timezone: str = "Europe/Stockholm"
    entries: list[Entry] = field(default_factory=list)

    # -- plumbing ---------------------------------------------------------------------------

    def _add(self, build: Callable[..., EventBase], at: str, *args: Any, **kw: Any) -> str:
        """Build one event with :mod:`tests.builders` and append it."""
        event_id = f"{self.short}-e{len(self.entries) + 1:02d}"
        event = build(*args, customer=self.customer_id, at=at, event_id=event_id, **kw)
        source = SOURCES.get(event.type, "notifier" if event.type.startswith("message_") else "")
        event = event.model_copy(update={"source": source or "customer_service"})
        self.entries.append(Entry(event, event.occurred_at, len(self.entries)))
        return event_id

    def arrives_late(self, event_id: str, arrives_at: str) -> None:
        """Deliver the event ``event_id`` at ``arrives_at`` instead of when it occurred."""
        index = next(i for i, e in enumerate(self.entries) if e.event.event_id == event_id)
        entry = self.entries[index]
        self.entries[index] = Entry(entry.event, utc(arrives_at), entry.position)

    def resend(self, event_id: str, arrives_at: str) -> str:
        """Deliver an earlier event again, byte for byte (same event id)."""
        original = next(e.event for e in self.entries if e.event.event_id == event_id)
        self.entries.append(Entry(original, utc(arrives_at), len(self.entries)))
        return event_id

    def lines(self) -> list[bytes]:
        """This customer's encoded events in arrival order."""
        ordered = sorted(self.entries, key=lambda e: (e.arrives_at, e.position))
        return [encode_event(e.event) for e in ordered]

    # -- billing ----------------------------------------------------------------------------

    def invoice(
        self,
        at: str,
        invoice_id: str,
        amount: int,
        due: str,
        methods: tuple[str, ...] = ("swish", "card", "bank_giro"),
        fee_agreed: bool = False,
        issued: str | None = None,
    ) -> str:
        """An invoice of ``amount`` öre due on ``due``, issued on ``issued`` (default: the day
        of ``at``, when the billing system reports it)."""
        return self._add(
            b.invoice_issued,
            at,
            invoice=invoice_id,
            due=due,
            amount=amount,
            issued=issued or at[:10],
            methods=methods,
            fee_agreed=fee_agreed,
            timezone=self.timezone,
        )

    def credit(self, at: str, invoice_id: str, amount: int, note: str) -> str:
        """A credit note ``note`` of ``amount`` öre on ``invoice_id``."""
        return self._add(
            b.invoice_adjusted, at, invoice=invoice_id, amount=amount, credit_note=note
        )

    def cancel(self, at: str, invoice_id: str) -> str:
        """The biller withdraws ``invoice_id``."""
        return self._add(b.invoice_cancelled, at, invoice=invoice_id)

    # -- money ------------------------------------------------------------------------------

    def pay(
        self,
        at: str,
        payment_id: str,
        amount: int,
        invoice_id: str | None = None,
        reference: str | None = None,
        method: str = "swish",
    ) -> str:
        """A payment of ``amount`` öre, naming an invoice or a reference (or neither)."""
        return self._add(
            b.payment_received,
            at,
            amount=amount,
            payment=payment_id,
            invoice=invoice_id,
            reference=reference,
            method=method,
        )

    def reverse(self, at: str, payment_id: str) -> str:
        """A payment bounced back (a card charge-back)."""
        return self._add(b.payment_reversed, at, payment=payment_id)

    # -- holds ------------------------------------------------------------------------------

    def dispute(self, at: str, invoice_id: str) -> str:
        """The debtor contests ``invoice_id``."""
        return self._add(b.dispute_opened, at, invoice=invoice_id)

    def resolve(self, at: str, invoice_id: str, outcome: str) -> str:
        """The dispute ends: ``claim_upheld`` or ``claim_withdrawn``."""
        return self._add(b.dispute_resolved, at, invoice=invoice_id, outcome=outcome)

    def pause(self, at: str, until: str, reason: str, invoice_id: str | None = None) -> str:
        """Dunning holds through ``until`` (for one invoice or, without one, all)."""
        return self._add(b.dunning_paused, at, until=until, invoice=invoice_id, reason=reason)

    def promise(self, at: str, invoice_id: str, by: str, amount: int) -> str:
        """The debtor promises to pay ``amount`` öre by ``by``."""
        return self._add(b.promise_to_pay, at, invoice=invoice_id, promised=by, amount=amount)

    def plan(self, at: str, invoice_id: str, instalments: list[tuple[str, int]]) -> str:
        """The debtor accepts instalments ``[(due date, öre), ...]``."""
        return self._add(b.payment_plan_accepted, at, invoice=invoice_id, instalments=instalments)

    # -- the customer -----------------------------------------------------------------------

    def update(self, at: str, **fields: Any) -> str:
        """A CRM update: ``reachable_channels``, ``opted_out``, ``vulnerable``, ``timezone``..."""
        return self._add(b.customer_updated, at, **fields)

    def erase(self, at: str) -> str:
        """A GDPR erasure request."""
        return self._add(b.customer_erased, at)

    # -- the notifier -----------------------------------------------------------------------

    def message(self, kind: str, at: str, decision_id: str, channel: str, **kw: Any) -> str:
        """A notifier report (``sent``, ``delivered``, ``bounced``...) about a decision."""
        return self._add(b.message, at, kind, decision=decision_id, channel=channel, **kw)
