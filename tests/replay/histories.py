"""Hypothesis strategies for random but valid event histories of a few customers.

A history is a list of events with non-decreasing ``occurred_at``: invoices (some arriving after
their due date), payments (partial, full, over, unallocated, by reference, for invoices not yet
issued), reversals, credit notes, cancellations, disputes opened and resolved, pauses, promises,
plans, CRM updates (reachable channels, opt-outs and opt-ins, vulnerability, time zone, direct
debit), message events including permanent bounces, calls, churn, erasure, and re-deliveries of
earlier events. Everything stays within 100 days so parked events never expire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from schemas.codec import decode_event
from schemas.events import EventBase

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
CUSTOMERS = ("p1", "p2")
ZONES = ("Europe/Stockholm", "America/New_York", "Asia/Tokyo")
CHANNELS = ("email", "sms", "letter", "digital_mailbox", "phone")
METHODS = ("swish", "card", "bank_giro", "direct_debit", "other")
KINDS = (
    ("invoice", 6),
    ("payment", 5),
    ("update", 3),
    ("dispute", 2),
    ("resolve", 2),
    ("pause", 2),
    ("promise", 2),
    ("plan", 2),
    ("credit", 1),
    ("cancel", 1),
    ("reverse", 1),
    ("message", 2),
    ("call", 1),
    ("churn", 1),
    ("erase", 1),
    ("resend", 1),
)


@dataclass
class _Customer:
    zone: str
    invoices: list[tuple[str, int]] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    issued: int = 0


@dataclass
class _Writer:
    draw: Any
    events: list[EventBase] = field(default_factory=list)
    customers: dict[str, _Customer] = field(default_factory=dict)
    erased_at: dict[str, int] = field(default_factory=dict)
    at: datetime = START
    currency: str = "SEK"

    def emit(self, kind: str, customer_id: str, **body: Any) -> None:
        data = {
            "type": kind,
            "schema_version": 1,
            "event_id": f"{customer_id}-e{len(self.events)}",
            "occurred_at": self.at.isoformat(),
            "customer_id": customer_id,
            "source": "prop",
            **{k: v for k, v in body.items() if v is not None},
        }
        self.events.append(decode_event(data))

    def today(self, zone: str) -> Any:
        return self.at.astimezone(ZoneInfo(zone)).date()

    def invoice_ref(self, c: _Customer, customer_id: str) -> str:
        """Usually an issued invoice; sometimes the next one, not issued yet (parked)."""
        known = [i for i, _ in c.invoices]
        upcoming = f"{customer_id}-i{c.issued + 1}"
        if not known or self.draw(st.integers(0, 9)) == 0:
            return upcoming
        return self.draw(st.sampled_from(known))

    def amount_of(self, c: _Customer, invoice_id: str) -> int:
        return dict(c.invoices).get(invoice_id, 50000)


def _channels(draw: Any, min_size: int = 0) -> list[str]:
    return draw(st.lists(st.sampled_from(CHANNELS), min_size=min_size, max_size=3, unique=True))


def _write(w: _Writer, kind: str, cid: str) -> None:
    draw, c = w.draw, w.customers[cid]
    if kind == "invoice":
        c.issued += 1
        invoice_id = f"{cid}-i{c.issued}"
        amount = draw(st.sampled_from([4900, 9900, 14900, 49900, 150000]))
        issue = w.today(c.zone) - timedelta(days=draw(st.sampled_from([0, 0, 0, 10, 40])))
        due = issue + timedelta(days=draw(st.integers(0, 30)))
        methods = draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True))
        c.invoices.append((invoice_id, amount))
        w.emit(
            "invoice_issued",
            cid,
            invoice_id=invoice_id,
            amount_minor=amount,
            currency=w.currency,
            issue_date=issue.isoformat(),
            due_date=due.isoformat(),
            timezone=c.zone,
            payment_methods=methods,
            reminder_fee_agreed=draw(st.booleans()),
        )
    elif kind == "payment":
        invoice_id = w.invoice_ref(c, cid)
        share = draw(st.sampled_from([0.3, 0.5, 1.0, 1.0, 1.4]))
        amount = max(1, int(w.amount_of(c, invoice_id) * share))
        target = draw(st.sampled_from(["id", "reference", "none"]))
        payment_id = f"{cid}-pay{len(w.events)}"
        c.payments.append(payment_id)
        w.emit(
            "payment_received",
            cid,
            payment_id=payment_id,
            amount_minor=amount,
            currency=w.currency,
            method=draw(st.sampled_from(METHODS)),
            invoice_id=invoice_id if target == "id" else None,
            payment_reference=f"{invoice_id}.{draw(st.integers(0, 3))}"
            if target == "reference"
            else None,
        )
    elif kind == "reverse" and c.payments:
        w.emit("payment_reversed", cid, payment_id=draw(st.sampled_from(c.payments)))
    elif kind == "credit":
        invoice_id = w.invoice_ref(c, cid)
        amount = max(1, w.amount_of(c, invoice_id) // draw(st.sampled_from([1, 2, 5])))
        w.emit(
            "invoice_adjusted",
            cid,
            invoice_id=invoice_id,
            credit_note_id=f"cn{len(w.events)}",
            amount_minor=amount,
            currency=w.currency,
        )
    elif kind == "cancel":
        w.emit("invoice_cancelled", cid, invoice_id=w.invoice_ref(c, cid))
    elif kind == "dispute":
        w.emit("dispute_opened", cid, invoice_id=w.invoice_ref(c, cid))
    elif kind == "resolve":
        outcome = draw(st.sampled_from(["claim_upheld", "claim_upheld", "claim_withdrawn"]))
        w.emit("dispute_resolved", cid, invoice_id=w.invoice_ref(c, cid), outcome=outcome)
    elif kind == "pause":
        until = w.today(c.zone) + timedelta(days=draw(st.integers(0, 30)))
        scope = draw(st.booleans())
        w.emit(
            "dunning_paused",
            cid,
            until=until.isoformat(),
            reason=draw(st.sampled_from(["payday", "hardship", "illness"])),
            invoice_id=w.invoice_ref(c, cid) if scope else None,
        )
    elif kind == "promise":
        invoice_id = w.invoice_ref(c, cid)
        by = w.today(c.zone) + timedelta(days=draw(st.integers(0, 20)))
        w.emit(
            "promise_to_pay_made",
            cid,
            invoice_id=invoice_id,
            promised_date=by.isoformat(),
            amount_minor=w.amount_of(c, invoice_id),
            currency=w.currency,
        )
    elif kind == "plan":
        invoice_id = w.invoice_ref(c, cid)
        count = draw(st.integers(1, 3))
        first = w.today(c.zone) + timedelta(days=draw(st.integers(0, 20)))
        part = max(1, w.amount_of(c, invoice_id) // count)
        instalments = [
            {"due_date": (first + timedelta(days=30 * k)).isoformat(), "amount_minor": part}
            for k in range(count)
        ]
        w.emit(
            "payment_plan_accepted",
            cid,
            invoice_id=invoice_id,
            currency=w.currency,
            instalments=instalments,
        )
    elif kind == "update":
        zone = draw(st.sampled_from([None, None, None, *ZONES]))
        if zone is not None:
            c.zone = zone
        w.emit(
            "customer_updated",
            cid,
            reachable_channels=draw(
                st.one_of(
                    st.none(),
                    st.just(list(CHANNELS)),
                    st.builds(
                        list,
                        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4, unique=True),
                    ),
                )
            ),
            opted_out=draw(st.one_of(st.none(), st.lists(st.sampled_from(CHANNELS), max_size=2))),
            opted_in=draw(st.one_of(st.none(), st.lists(st.sampled_from(CHANNELS), max_size=1))),
            vulnerable=draw(st.sampled_from([None, None, True, False])),
            direct_debit_active=draw(st.sampled_from([None, None, True, False])),
            timezone=zone,
        )
    elif kind == "message":
        invoice_id = w.invoice_ref(c, cid)
        kind_ = draw(st.sampled_from(["sent", "delivered", "opened", "bounced", "bounced"]))
        w.emit(
            f"message_{kind_}",
            cid,
            decision_id=f"{invoice_id}/{draw(st.integers(1, 3))}",
            channel=draw(st.sampled_from(CHANNELS)),
            **({"permanent": draw(st.booleans())} if kind_ == "bounced" else {}),
        )
    elif kind == "call":
        w.emit(
            "call_completed",
            cid,
            outcome=draw(st.sampled_from(["reached", "no_answer", "promise_to_pay"])),
        )
    elif kind == "churn":
        w.emit("customer_churned", cid)
    elif kind == "erase":
        w.emit("customer_erased", cid)
        w.customers[cid] = _Customer(c.zone, issued=c.issued)
        w.erased_at[cid] = len(w.events)
    elif kind == "resend":
        # A producer retry of an earlier event, but never of one from before an erasure of
        # the same customer: the engine keeps no tombstone (see the report of deliverable 7).
        since = w.erased_at.get(cid, 0)
        earlier = [e for e in w.events[since:] if e.customer_id == cid]
        if earlier:
            w.events.append(draw(st.sampled_from(earlier)))


_GAPS = st.one_of(
    st.integers(1, 180).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 72).map(lambda h: timedelta(hours=h, minutes=7)),
    st.integers(1, 12).map(lambda d: timedelta(days=d, minutes=13)),
)
_KIND = st.sampled_from([k for k, weight in KINDS for _ in range(weight)])


@st.composite
def histories(draw: Any, max_events: int = 30, currency: str = "SEK") -> list[EventBase]:
    """A random history of 1..``max_events`` events for the customers in :data:`CUSTOMERS`,
    every amount in ``currency``."""
    w = _Writer(draw, currency=currency)
    for cid in CUSTOMERS:
        w.customers[cid] = _Customer(draw(st.sampled_from(ZONES)))
    for _ in range(draw(st.integers(1, max_events))):
        gap = draw(_GAPS)
        if w.at + gap < START + timedelta(days=100):
            w.at += gap
        _write(w, draw(_KIND), draw(st.sampled_from(CUSTOMERS)))
    return w.events
