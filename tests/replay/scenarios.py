"""The golden scenarios: one customer each, one rule or edge case each, readable as documentation.

Every scenario is a function whose docstring's first paragraph says what happens and which
decision shows it (it becomes the scenario's line in ``golden/README.md``), and whose body
writes the customer's events. All customers live in Stockholm unless a scenario says
otherwise, have no CRM record unless one is written (so every channel counts as reachable),
and are judged by the Swedish rule pack ``se`` and the baseline ladder:

* level 1, due + 5 days: a reminder by email (else SMS, digital mailbox, letter);
* level 2, due + 14 days: a reminder by letter (else digital mailbox) that offers a plan;
* level 3, due + 30 days: a collection demand by letter with a respond-by date and 180 SEK fee.

Decision points fall at 06:00 customer local time, or at once when an event makes one due, or
at local midnight when a hold ends; ``send_at`` respects quiet hours (08:00-21:00 local).
Stockholm is UTC+2 until 25 Oct 2026 and UTC+1 after, so 06:00 local is 04:00Z, then 05:00Z.
Amounts are öre (49900 = 499 SEK). Calendar: 1 Sep 2026 is a Tuesday, 28 Sep a Monday,
3 Oct a Saturday, 12 Oct a Monday, 28 Oct a Wednesday, 25 Nov a Wednesday.

Regenerate the golden files with ``python -m tests.replay.regen`` after a deliberate change,
and read the diff of ``golden/decisions.jsonl`` before committing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .builder import Customer

STOCKHOLM_TZ = "Europe/Stockholm"


@dataclass(frozen=True)
class Scenario:
    """A numbered scenario: its customer id, its one-line summary and its events."""

    number: int
    slug: str
    build: Callable[[Customer], None]
    timezone: str = STOCKHOLM_TZ

    @property
    def customer_id(self) -> str:
        """``golden-NN-slug``: the customer this scenario is about."""
        return f"golden-{self.number:02d}-{self.slug}"

    @property
    def short(self) -> str:
        """``gNN``: the prefix of this scenario's event, invoice and payment ids."""
        return f"g{self.number:02d}"

    @property
    def summary(self) -> str:
        """The docstring's first paragraph on one line."""
        doc = (self.build.__doc__ or "").strip().split("\n\n")[0]
        return re.sub(r"\s+", " ", doc)

    def customer(self) -> Customer:
        """A fresh :class:`Customer` holding this scenario's events."""
        customer = Customer(self.customer_id, self.short, self.timezone)
        self.build(customer)
        return customer


SCENARIOS: list[Scenario] = []


def scenario(number: int, slug: str, timezone: str = STOCKHOLM_TZ) -> Callable:
    """Register a scenario function under ``golden-NN-slug``."""

    def register(build: Callable[[Customer], None]) -> Callable[[Customer], None]:
        SCENARIOS.append(Scenario(number, slug, build, timezone))
        return build

    return register


# --- 01-10: money, the ledger, duplicates, late events, erasure ------------------------------


@scenario(1, "on-time")
def on_time(c: Customer) -> None:
    """Pays two days before the due date: no decision at all, not even a wait."""
    c.invoice("2026-09-01T06:00Z", "g01-inv1", 39900, due="2026-09-28")
    c.pay("2026-09-26T16:12Z", "g01-pay1", 39900, invoice_id="g01-inv1")


@scenario(2, "forgetful")
def forgetful(c: Customer) -> None:
    """Never pays: the whole ladder. Email reminder at due+5 (3 Oct), letter at due+14 (12 Oct)
    offering a plan with a respond-by date, collection demand by letter at due+30 (28 Oct) with
    the 180 SEK fee and its own respond-by date; nothing after it."""
    c.invoice("2026-09-01T06:00Z", "g02-inv1", 59900, due="2026-09-28")


@scenario(3, "paid-before-invoice")
def paid_before_invoice(c: Customer) -> None:
    """The payment naming the invoice arrives an hour before the invoice itself: it is held,
    reconciled when the invoice arrives, and the invoice is born paid; no decision."""
    c.pay("2026-09-01T05:00Z", "g03-pay1", 24900, invoice_id="g03-inv1")
    c.invoice("2026-09-01T06:00Z", "g03-inv1", 24900, due="2026-09-28")


@scenario(4, "partial-then-full")
def partial_then_full(c: Customer) -> None:
    """Pays 200 of 499 SEK late: the due+5 email asks for the remaining 299 SEK
    (amount_due_minor 29900); the rest is paid the same day and the ladder stops."""
    c.invoice("2026-09-01T06:00Z", "g04-inv1", 49900, due="2026-09-28")
    c.pay("2026-09-30T10:00Z", "g04-pay1", 20000, invoice_id="g04-inv1")
    c.pay("2026-10-03T17:30Z", "g04-pay2", 29900, reference="g04-inv1.1")


@scenario(5, "overpaid")
def overpaid(c: Customer) -> None:
    """Pays 349 SEK for a 249 SEK invoice; the 100 SEK credit is netted against the next
    invoice, so its due+5 email asks for 249 instead of 349 SEK (amount_due_minor 24900)."""
    c.invoice("2026-09-01T06:00Z", "g05-inv1", 24900, due="2026-09-28")
    c.pay("2026-09-25T09:00Z", "g05-pay1", 34900, invoice_id="g05-inv1")
    c.invoice("2026-10-01T06:00Z", "g05-inv2", 34900, due="2026-10-28")
    c.pay("2026-11-04T12:00Z", "g05-pay2", 24900, reference="g05-inv2.1")


@scenario(6, "credit-note")
def credit_note(c: Customer) -> None:
    """A 100 SEK credit note on a 499 SEK invoice, then the customer pays the net 399 SEK on
    the due date: the invoice is settled and never reminded; no decision."""
    c.invoice("2026-09-01T06:00Z", "g06-inv1", 49900, due="2026-09-28")
    c.credit("2026-09-15T09:00Z", "g06-inv1", 10000, note="g06-cn1")
    c.pay("2026-09-28T15:00Z", "g06-pay1", 39900, invoice_id="g06-inv1")


@scenario(7, "cancelled")
def cancelled(c: Customer) -> None:
    """The due+5 email goes out, then the biller cancels the invoice (wrongly billed): no
    letter at due+14, nothing after the cancellation."""
    c.invoice("2026-09-01T06:00Z", "g07-inv1", 29900, due="2026-09-28")
    c.cancel("2026-10-06T08:00Z", "g07-inv1")


@scenario(8, "duplicate-event")
def duplicate_event(c: Customer) -> None:
    """A 200 SEK part payment is delivered twice with the same event id: it counts once, so
    the due+5 email asks for 299 SEK, not 99 SEK (amount_due_minor 29900)."""
    c.invoice("2026-09-01T06:00Z", "g08-inv1", 49900, due="2026-09-28")
    first = c.pay("2026-09-30T10:00Z", "g08-pay1", 20000, invoice_id="g08-inv1")
    c.resend(first, arrives_at="2026-09-30T10:05Z")
    c.pay("2026-10-05T10:00Z", "g08-pay2", 29900, reference="g08-inv1.1")


@scenario(9, "out-of-order")
def out_of_order(c: Customer) -> None:
    """A 100 SEK credit note written on 1 Oct reaches duewise only on 5 Oct, after the payment
    of the net 399 SEK (4 Oct): applied at its own time, it settles the invoice. The due+5 email
    (3 Oct, when only 499 SEK was known) stays; no letter at due+14."""
    c.invoice("2026-09-01T06:00Z", "g09-inv1", 49900, due="2026-09-28")
    late = c.credit("2026-10-01T09:00Z", "g09-inv1", 10000, note="g09-cn1")
    c.arrives_late(late, "2026-10-05T08:00Z")
    c.pay("2026-10-04T11:00Z", "g09-pay1", 39900, invoice_id="g09-inv1")


@scenario(10, "erased")
def erased(c: Customer) -> None:
    """GDPR erasure after the due+5 email: the state goes, so no letter at due+14; a late
    notifier event about the old email does not bring dunning back."""
    c.invoice("2026-09-01T06:00Z", "g10-inv1", 39900, due="2026-09-28")
    c.erase("2026-10-08T10:00Z")
    c.message("opened", "2026-10-09T18:00Z", "g10-inv1/1", "email")


# --- 11-16: holds: disputes, pauses, promises, plans, vulnerability --------------------------


@scenario(11, "dispute-upheld")
def dispute_upheld(c: Customer) -> None:
    """Disputes the claim before the first reminder: the due+5 point is a wait
    (rule.dispute_open) and nothing follows until the claim is upheld on 20 Oct at 21:30
    local; the email then goes at once but is sent at 08:00 next morning, and the letter keeps
    its 9-day gap after it. Paid after the letter."""
    c.invoice("2026-09-01T06:00Z", "g11-inv1", 59900, due="2026-09-28")
    c.dispute("2026-10-01T12:00Z", "g11-inv1")
    c.resolve("2026-10-20T19:30Z", "g11-inv1", "claim_upheld")
    c.pay("2026-11-02T12:00Z", "g11-pay1", 59900, reference="g11-inv1.2")


@scenario(12, "dispute-withdrawn")
def dispute_withdrawn(c: Customer) -> None:
    """Disputes after the due+5 email: the due+14 letter point is a wait (rule.dispute_open);
    the claim is withdrawn, the invoice closes and nothing more is decided."""
    c.invoice("2026-09-01T06:00Z", "g12-inv1", 29900, due="2026-09-28")
    c.dispute("2026-10-05T12:00Z", "g12-inv1")
    c.resolve("2026-10-15T09:00Z", "g12-inv1", "claim_withdrawn")


@scenario(13, "payday-pause")
def payday_pause(c: Customer) -> None:
    """Asks to wait for payday: dunning is paused through 25 Nov, so the due+5 point
    (2 Nov) is a wait (rule.paused) and the email reminder comes on 26 Nov; paid that day."""
    c.invoice("2026-10-01T06:00Z", "g13-inv1", 49900, due="2026-10-28")
    c.pause("2026-10-30T10:00Z", until="2026-11-25", reason="payday")
    c.pay("2026-11-26T17:00Z", "g13-pay1", 49900, reference="g13-inv1.1")


@scenario(14, "promise-broken")
def promise_broken(c: Customer) -> None:
    """Promises after the due+5 email to pay by 16 Oct: the due+14 point is a wait
    (rule.promise_pending, grace through 19 Oct); nothing is paid, so the letter goes on 20 Oct
    and the collection demand 16 days later, after the letter's respond-by date."""
    c.invoice("2026-09-01T06:00Z", "g14-inv1", 59900, due="2026-09-28")
    c.promise("2026-10-05T09:00Z", "g14-inv1", by="2026-10-16", amount=59900)


@scenario(15, "plan-broken")
def plan_broken(c: Customer) -> None:
    """Accepts the plan the due+14 letter offered: three instalments of 500 SEK. The first is
    paid, so the due+30 point waits (rule.plan_active); the second is missed, and when its
    5-day grace ends (6 Dec) the plan is broken and the collection demand goes for 1000 SEK."""
    c.invoice("2026-09-01T06:00Z", "g15-inv1", 150000, due="2026-09-28")
    c.plan(
        "2026-10-14T10:00Z",
        "g15-inv1",
        [("2026-10-30", 50000), ("2026-11-30", 50000), ("2026-12-30", 50000)],
    )
    c.pay("2026-10-29T12:00Z", "g15-pay1", 50000, reference="g15-inv1.2")


@scenario(16, "vulnerable")
def vulnerable(c: Customer) -> None:
    """Flagged vulnerable by customer service: reminders and the plan offer go as usual, but
    at due+30 the collection demand becomes a human_review (rule.vulnerable) and the engine
    decides nothing more on its own."""
    c.update("2026-09-15T10:00Z", vulnerable=True)
    c.invoice("2026-09-01T06:00Z", "g16-inv1", 89900, due="2026-09-28")


# --- 17-20: channels and contact rules -------------------------------------------------------


@scenario(17, "opted-out-email")
def opted_out_email(c: Customer) -> None:
    """Opted out of email: the due+5 reminder falls back to SMS (ladder.fallback,
    rule.opted_out in blocked), sent at 08:00 on Monday 5 Oct; paid the next day."""
    c.update("2026-09-01T05:00Z", reachable_channels=["email", "sms"], opted_out=["email"])
    c.invoice("2026-09-02T06:00Z", "g17-inv1", 39900, due="2026-09-30")
    c.pay("2026-10-06T09:00Z", "g17-pay1", 39900, reference="g17-inv1.1")


@scenario(18, "bounced-email")
def bounced_email(c: Customer) -> None:
    """The due+5 email bounces permanently; the letter at due+14 goes as planned, and the next
    month's invoice is reminded by SMS (rule.bounced in blocked): email is never used again."""
    c.invoice("2026-09-01T06:00Z", "g18-inv1", 39900, due="2026-09-28")
    c.message("sent", "2026-10-03T06:00Z", "g18-inv1/1", "email")
    c.message("bounced", "2026-10-03T06:00:05Z", "g18-inv1/1", "email", permanent=True)
    c.invoice("2026-10-01T06:00Z", "g18-inv2", 39900, due="2026-10-28")
    c.pay("2026-10-14T12:00Z", "g18-pay1", 39900, reference="g18-inv1.2")
    c.pay("2026-11-03T12:00Z", "g18-pay2", 39900, reference="g18-inv2.1")


@scenario(19, "weekend-sms")
def weekend_sms(c: Customer) -> None:
    """Only reachable by SMS; the due+5 point falls on Saturday 3 Oct, so the SMS is decided
    then but its send_at moves to Monday 5 Oct 08:00 (no texts at weekends); paid Monday."""
    c.update("2026-09-01T05:00Z", reachable_channels=["sms"])
    c.invoice("2026-09-01T06:00Z", "g19-inv1", 39900, due="2026-09-28")
    c.pay("2026-10-05T15:00Z", "g19-pay1", 39900, reference="g19-inv1.1")


@scenario(20, "frequency-cap")
def frequency_cap(c: Customer) -> None:
    """Four subscriptions, four invoices due the same day: three due+5 emails go on 3 Oct, the
    fourth waits (rule.customer_cap: at most 3 contacts in 7 days) until 10 Oct; the letters
    are spread the same way. Everything is paid on 20 Oct."""
    for n in range(1, 5):
        c.invoice("2026-09-01T06:00Z", f"g20-inv{n}", 14900, due="2026-09-28")
    c.pay("2026-10-20T12:00Z", "g20-pay1", 4 * 14900)


# --- 21-26: amounts, fees, time zones, reversals, late and returned mail --------------------


@scenario(21, "below-minimum")
def below_minimum(c: Customer) -> None:
    """A 79 SEK invoice, never paid: reminded by email and letter, but at due+30 it is below
    the 100 SEK escalation minimum, so no collection demand (rule.min_amount)."""
    c.invoice("2026-09-01T06:00Z", "g21-inv1", 7900, due="2026-09-28")


@scenario(22, "reminder-fee")
def reminder_fee(c: Customer) -> None:
    """A reminder fee was agreed when the debt arose: the due+5 email levies 60 SEK
    (fee_minor 6000), the due+14 letter none (once per invoice); paid after the letter."""
    c.invoice("2026-09-01T06:00Z", "g22-inv1", 49900, due="2026-09-28", fee_agreed=True)
    c.pay("2026-10-15T12:00Z", "g22-pay1", 49900, reference="g22-inv1.2")


@scenario(23, "new-york", timezone="America/New_York")
def new_york(c: Customer) -> None:
    """Lives in New York: every decision point is at 06:00 New York time (10:00Z) and every
    send_at at 08:00 there (12:00Z); the whole ladder runs, respond-by dates in local days."""
    c.invoice("2026-09-01T12:00Z", "g23-inv1", 59900, due="2026-09-28")


@scenario(24, "charge-back")
def charge_back(c: Customer) -> None:
    """Pays by card on the due date, the payment is charged back on 2 Oct: the invoice is
    owing again and the due+5 email goes on 3 Oct; paid again by Swish."""
    c.invoice("2026-09-01T06:00Z", "g24-inv1", 39900, due="2026-09-28")
    c.pay("2026-09-28T12:00Z", "g24-pay1", 39900, invoice_id="g24-inv1", method="card")
    c.reverse("2026-10-02T08:00Z", "g24-pay1")
    c.pay("2026-10-04T12:00Z", "g24-pay2", 39900, reference="g24-inv1.1")


@scenario(25, "late-invoice")
def late_invoice(c: Customer) -> None:
    """A migrated invoice, due 28 Sep, reaches duewise only on 18 Oct: the first reminder goes
    at once (not back-dated to 3 Oct) and the letter keeps its 9-day gap (27 Oct) instead of
    going the same day; paid after the letter."""
    c.invoice("2026-10-18T10:00Z", "g25-inv1", 39900, due="2026-09-28", issued="2026-09-01")
    c.pay("2026-11-02T12:00Z", "g25-pay1", 39900, reference="g25-inv1.2")


@scenario(26, "letter-returned")
def letter_returned(c: Customer) -> None:
    """The due+14 letter comes back undeliverable: it gave the debtor no deadline, so at due+30
    there is no collection demand but a new written notice in the digital mailbox
    (ladder.notice_first); the demand follows 16 days later, in the digital mailbox too."""
    c.invoice("2026-09-01T06:00Z", "g26-inv1", 59900, due="2026-09-28")
    c.message("bounced", "2026-10-16T09:00Z", "g26-inv1/2", "letter", permanent=True)
