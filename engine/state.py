"""Per-customer ledger state: what the engine remembers between events.

One :class:`CustomerState` is one row of the streaming table (keyed by customer id), so it holds
everything a decision needs and nothing that needs another customer. It is a plain mutable
pydantic model for speed; :func:`engine.step.step` takes ownership of the object it is given and
returns the state to keep. It serialises to JSON for the changelog and snapshots.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.enums import Action, Channel, DebtorKind, PaymentMethod, PaymentOption

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The time given to untimed ids of an old row that has no event time at all (none known)."""


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class InvoiceStatus(StrEnum):
    """Where an invoice is in its life. Holds (dispute, pause, promise, plan) are overlays."""

    OPEN = "open"
    OVERDUE = "overdue"
    IN_DUNNING = "in_dunning"
    ESCALATED = "escalated"
    IN_REVIEW = "in_review"
    PAID = "paid"
    CANCELLED = "cancelled"


CLOSED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED})


class ContactRecord(_State):
    """A contact the engine asked for; the basis of frequency caps and attribution."""

    decision_id: str
    invoice_id: str
    action: Action
    channel: Channel | None
    send_at: datetime
    step: int
    respond_by: date | None = None
    payment_options: list[PaymentOption] = Field(default_factory=list)
    delivered: bool = False
    opened: bool = False
    clicked: bool = False
    bounced: bool = False


class Instalment(_State):
    """One instalment of an accepted payment plan."""

    due_date: date
    amount_minor: int


class InvoiceState(_State):
    """One invoice: amounts, lifecycle, holds and the dunning position."""

    invoice_id: str
    amount_minor: int
    currency: str
    issue_date: date
    due_date: date
    issued_at: datetime
    payment_methods: list[PaymentMethod]
    debtor_kind: DebtorKind = DebtorKind.CONSUMER
    reminder_fee_agreed: bool = False
    status: InvoiceStatus = InvoiceStatus.OPEN
    credited_minor: int = 0
    credit_notes: list[str] = Field(default_factory=list)
    paid_minor: int = 0
    closed_at: datetime | None = None
    # holds
    disputed: bool = False
    paused_until: date | None = None
    promise_date: date | None = None
    promise_amount_minor: int = 0
    plan: list[Instalment] = Field(default_factory=list)
    plan_paid_base_minor: int = 0
    plan_broken: bool = False
    # dunning position
    step: int = 0
    points: int = 0
    ladder_level: int = 0
    next_at: datetime | None = None
    last_point_at: datetime | None = None
    last_action_at: datetime | None = None
    retry_at: datetime | None = None
    awaiting_event: bool = False
    reminder_fee_levied: bool = False
    deferrals_offered: int = 0
    forbearance_offered: bool = False
    escalations: int = 0
    in_review: bool = False

    @property
    def outstanding_minor(self) -> int:
        """What is still owed; negative when overpaid."""
        return self.amount_minor - self.credited_minor - self.paid_minor

    @property
    def closed(self) -> bool:
        """Paid or cancelled: nothing more to decide."""
        return self.status in CLOSED_STATUSES


class PaymentRecord(_State):
    """A payment and where its money went, so a reversal can undo exactly that."""

    payment_id: str
    amount_minor: int
    currency: str
    method: PaymentMethod
    received_at: datetime
    allocations: dict[str, int] = Field(default_factory=dict)
    reference: str | None = None
    reversed: bool = False

    @property
    def unallocated_minor(self) -> int:
        """Money of this payment not yet assigned to an invoice: the customer's credit."""
        return 0 if self.reversed else self.amount_minor - sum(self.allocations.values())


class ParkedEvent(_State):
    """An invoice-scoped event that arrived before its invoice; replayed when it arrives."""

    event_id: str
    invoice_id: str
    parked_at: datetime
    event_json: str


class PendingOutcome(_State):
    """A decision point whose outcomes have not resolved yet (see :mod:`engine.outcomes`).

    ``payment_at``/``churn_at`` are when each label resolves at the latest; ``None`` once it
    has been emitted (or, for churn, when the customer had already left at the decision).
    """

    decision_id: str
    invoice_id: str
    decided_at: datetime
    policy_name: str
    policy_arm: str
    propensity: float
    model_version: str | None = None
    arm: str
    arms: list[str]
    features: dict[str, float]
    amount_due_minor: int
    currency: str
    payment_at: datetime | None
    churn_at: datetime | None

    def next_at(self) -> datetime | None:
        """The earliest time one of its labels resolves by its window."""
        if self.payment_at is None:
            return self.churn_at
        if self.churn_at is None:
            return self.payment_at
        return min(self.payment_at, self.churn_at)


class PaidSummary(_State):
    """An archived paid invoice, reduced to what the payment-history features read.

    ``closed_at`` stays an instant (not a local date or a lateness in days) because the
    features turn it into a local date in the customer's *current* time zone, which a later
    event may change.
    """

    invoice_id: str
    due_date: date
    closed_at: datetime
    contacted: bool = False


class Archive(_State):
    """What the customer's archived past still contributes (see :mod:`engine.archive`).

    ``invoices``/``payments`` are tombstones, id -> the day it was archived (the UTC date of
    the customer's event time then), oldest first: a late event naming an archived invoice or
    payment is recognised (a re-issue or a repeated payment is still ignored, anything else
    goes to the dead-letter path) instead of being taken for new. They expire after
    :attr:`engine.archive.ArchiveConfig.tombstone_retention`, so that they do not grow with
    the length of the customer's history. ``recent_paid`` is the newest archived paid invoices
    by ``(due_date, invoice_id)``, at most :data:`engine.features.HISTORY`;
    ``tried``/``answered`` count, per channel, the archived contacts on paid invoices and those
    answered by a payment within the features' window.

    ``invoice_ids``/``payment_ids`` are the tombstones as rows written before they had days
    held them (plain id lists). They are only ever read when such a row is decoded:
    :class:`CustomerState` moves them into ``invoices``/``payments`` then (see
    :meth:`CustomerState._upgrade`), so they are always empty in a live state.
    """

    invoices: dict[str, date] = Field(default_factory=dict)
    payments: dict[str, date] = Field(default_factory=dict)
    invoice_ids: list[str] = Field(default_factory=list)
    payment_ids: list[str] = Field(default_factory=list)
    recent_paid: list[PaidSummary] = Field(default_factory=list)
    tried: dict[Channel, int] = Field(default_factory=dict)
    answered: dict[Channel, int] = Field(default_factory=dict)


class CustomerState(_State):
    """Everything the engine knows about one customer.

    ``invoices``, ``payments`` and ``contacts`` hold the live ledger; closed invoices leave it
    for ``archive`` once nothing can need them any more, so the state stays bounded.

    ``seen_events`` maps the ids of recent events to the day they were seen (the UTC date of
    the customer's present then, in event time), oldest first: a re-delivered event is
    recognised and ignored. It keeps a window of event time, not a fixed count (see
    :func:`engine.dedupe.remember`), so it stays small however long the customer's history.
    A day, not an instant: the windows are weeks long, and a date is half the bytes of an
    instant in a row that is encoded every time the customer is touched. ``seen_event_ids`` is
    the plain id list rows held before the ids had days; it is only read when such a row is
    decoded, and moved into ``seen_events`` then (see :meth:`_upgrade`).
    """

    customer_id: str
    timezone: str = "Europe/Stockholm"
    language: str | None = None
    reachable: list[Channel] | None = None
    opted_out: list[Channel] = Field(default_factory=list)
    bounced: list[Channel] = Field(default_factory=list)
    vulnerable: bool = False
    direct_debit_active: bool = False
    churned_at: datetime | None = None
    paused_until: date | None = None
    last_conversation_at: datetime | None = None
    invoices: dict[str, InvoiceState] = Field(default_factory=dict)
    payments: dict[str, PaymentRecord] = Field(default_factory=dict)
    contacts: list[ContactRecord] = Field(default_factory=list)
    parked: list[ParkedEvent] = Field(default_factory=list)
    pending: list[PendingOutcome] = Field(default_factory=list)
    seen_events: dict[str, date] = Field(default_factory=dict)
    seen_event_ids: list[str] = Field(default_factory=list)
    archive: Archive = Field(default_factory=Archive)
    last_event_at: datetime | None = None
    erased_at: datetime | None = None

    @model_validator(mode="after")
    def _upgrade(self) -> CustomerState:
        """Move the untimed ids of a row written before ids had times into the timed maps.

        Why. Rows live on in the table's changelog and in snapshots across an upgrade, and
        decoding one must neither fail nor forget what it remembers. Its ids have no time, so
        they are taken as seen (or archived) at the customer's present when the row was written
        (its latest event time, or its erasure): the windows then keep them as long as the
        newest of them, never shorter. A cheap test on every decode; nothing to do for a
        current row.
        """
        archive = self.archive
        if self.seen_event_ids or archive.invoice_ids or archive.payment_ids:
            at = (self.last_event_at or self.erased_at or _EPOCH).date()
            for ids, timed in (
                (self.seen_event_ids, self.seen_events),
                (archive.invoice_ids, archive.invoices),
                (archive.payment_ids, archive.payments),
            ):
                for one in ids:
                    timed.setdefault(one, at)
                ids.clear()
        return self

    def open_invoices(self) -> list[InvoiceState]:
        """Invoices still owing, oldest due first (the order payments are allocated in)."""
        return sorted(
            (i for i in self.invoices.values() if not i.closed),
            key=lambda i: (i.due_date, i.issue_date, i.invoice_id),
        )

    def next_wake(self) -> datetime | None:
        """The earliest time any invoice needs a decision or an outcome resolves by its
        window: the customer's agenda entry.

        One pass keeping the earliest (the first of equals, as ``min`` would): the streaming
        shell asks after every event and for every row it writes.
        """
        wake: datetime | None = None
        for invoice in self.invoices.values():
            at = invoice.next_at
            if at is not None and (wake is None or at < wake):
                wake = at
        for pending in self.pending:
            for at in (pending.payment_at, pending.churn_at):
                if at is not None and (wake is None or at < wake):
                    wake = at
        return wake
