"""The late-invoice stories of the benchmark log generator: what happens to an invoice that
is not paid on time (reminders, partial payment, credit note, dispute, pause, promise, plan,
never paid). A mixin of :class:`bench.gen_log.LogGenerator`.
"""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as dtime

from bench.gen_model import (
    DAY,
    HOUR,
    MINUTE,
    Customer,
    local_ms,
    rng_jitter,
)


class LateStories:
    """The ``_late_<outcome>`` stories; the generator provides ``rng``, ``_emit``, ``_pay``,
    ``_messages`` and ``_first_channel``."""

    # ------------------------------------------------------------------ late stories
    def _reminder_at(self, c: Customer, due: date, days: int) -> int:
        """When the ladder's reminder ``days`` after due reaches the debtor (08:00 local)."""
        return local_ms(due + timedelta(days=days), dtime(8, 0), c.tz) + rng_jitter(self.rng)

    def _late_after(self, c: Customer, inv: str, due: date, amount: int, step: int) -> None:
        rng = self.rng
        sent = self._reminder_at(c, due, 5 if step == 1 else 14)
        ready = self._messages(
            c, sent, f"{inv}/{step}", self._first_channel(c) if step == 1 else "letter"
        )
        at = ready + rng.randrange(30 * MINUTE, 6 * DAY)
        self._pay(c, at, inv, amount, rng.choice(c.methods), f"{inv}.{step}")

    def _late_after_reminder(self, c, inv, issued, due, due_ms, amount) -> None:
        self._late_after(c, inv, due, amount, step=1)

    def _late_after_second(self, c, inv, issued, due, due_ms, amount) -> None:
        self._messages(c, self._reminder_at(c, due, 5), f"{inv}/1", self._first_channel(c))
        self._late_after(c, inv, due, amount, step=2)

    def _late_partial(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        part = amount * rng.randrange(40, 71) // 100
        self._pay(c, due_ms - rng.randrange(3 * DAY), inv, part, rng.choice(c.methods), None)
        self._late_after(c, inv, due, amount - part, step=1)

    def _late_credit_note(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        credit = amount * rng.randrange(10, 31) // 100
        at = issued + rng.randrange(3 * DAY, 10 * DAY)
        self._emit(
            c,
            at,
            "invoice_adjusted",
            "billing",
            invoice_id=inv,
            credit_note_id=f"cn-{inv[4:]}",
            amount_minor=credit,
            currency="SEK",
        )
        self._pay(c, due_ms - rng.randrange(DAY), inv, amount - credit, rng.choice(c.methods), None)

    def _late_dispute(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        opened = issued + rng.randrange(3 * DAY, 20 * DAY)
        self._emit(c, opened, "dispute_opened", "customer_service", invoice_id=inv)
        resolved = opened + rng.randrange(7 * DAY, 20 * DAY)
        withdrawn = rng.random() < 0.4
        outcome = "claim_withdrawn" if withdrawn else "claim_upheld"
        self._emit(
            c, resolved, "dispute_resolved", "customer_service", invoice_id=inv, outcome=outcome
        )
        if withdrawn:
            self._emit(c, resolved + 5 * MINUTE, "invoice_cancelled", "billing", invoice_id=inv)
        else:
            self._pay(c, resolved + rng.randrange(DAY, 4 * DAY), inv, amount, "bank_giro", None)

    def _late_pause(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        at = due_ms + rng.randrange(DAY, 4 * DAY)
        until = due + timedelta(days=rng.randrange(10, 21))
        self._emit(
            c,
            at,
            "dunning_paused",
            "customer_service",
            until=until.isoformat(),
            reason="payday",
            invoice_id=inv,
        )
        paid = local_ms(until, dtime(9, 0), c.tz) + rng.randrange(8 * HOUR)
        self._pay(c, paid, inv, amount, rng.choice(c.methods), None)

    def _late_promise(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        ready = self._messages(c, self._reminder_at(c, due, 5), f"{inv}/1", self._first_channel(c))
        at = ready + rng.randrange(HOUR, 2 * DAY)
        promised = due + timedelta(days=rng.randrange(12, 22))
        self._emit(
            c,
            at,
            "promise_to_pay_made",
            "customer_service",
            invoice_id=inv,
            promised_date=promised.isoformat(),
            amount_minor=amount,
            currency="SEK",
        )
        if rng.random() < 0.8:
            paid = local_ms(promised, dtime(10, 0), c.tz) + rng.randrange(6 * HOUR)
            self._pay(c, paid, inv, amount, rng.choice(c.methods), f"{inv}.1")
        else:
            self._late_after(c, inv, due, amount, step=2)

    def _late_plan(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        ready = self._messages(c, self._reminder_at(c, due, 5), f"{inv}/1", self._first_channel(c))
        at = ready + rng.randrange(HOUR, 3 * DAY)
        part = amount // 3
        parts = [part, part, amount - 2 * part]
        dates = [due + timedelta(days=20 + 30 * i) for i in range(3)]
        self._emit(
            c,
            at,
            "payment_plan_accepted",
            "customer_service",
            invoice_id=inv,
            currency="SEK",
            instalments=[
                {"due_date": d.isoformat(), "amount_minor": a}
                for d, a in zip(dates, parts, strict=True)
            ],
        )
        for i, (d, a) in enumerate(zip(dates, parts, strict=True)):
            paid = local_ms(d, dtime(9, 0), c.tz) - rng.randrange(2 * DAY)
            body = {
                "payment_id": f"pay-{inv[4:]}-plan{i}",
                "amount_minor": a,
                "currency": "SEK",
                "method": "bank_giro",
                "invoice_id": inv,
            }
            self._emit(c, paid, "payment_received", "payments", **body)

    def _late_never(self, c, inv, issued, due, due_ms, amount) -> None:
        rng = self.rng
        self._messages(c, self._reminder_at(c, due, 5), f"{inv}/1", self._first_channel(c))
        self._messages(c, self._reminder_at(c, due, 14), f"{inv}/2", "letter")
        if rng.random() < 0.5:  # pays after the collection process started
            paid = due_ms + rng.randrange(45 * DAY, 75 * DAY)
            self._pay(c, paid, inv, amount, "bank_giro", None)
