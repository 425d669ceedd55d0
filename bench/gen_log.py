"""A seeded generator of a realistic biller event log for benchmarks (JSON Lines).

N customers receive one invoice a month for M months. Most pay on time; some pay after the
first or second reminder (quoting the reminder's payment reference, after the notifier's
message events), some pay in part, a few dispute, pause, promise, take a plan, get a credit
note, or never pay (they walk the whole ladder to escalation). Direct-debit customers pay on
the due date and now and then see a reversal. Customers update their channels, churn, and are
sometimes erased. Message events answer the engine's first reminder of a late invoice (its
decision id ``INV/1`` is deterministic), so the reducer's contact bookkeeping is exercised too.

Times are strictly increasing (millisecond resolution) and events average ~300 bytes, like
the 300-byte Kafka values the design measures. The same arguments give a byte-identical file.

Memory stays bounded: events are generated month by month and everything earlier than the
next month's start is flushed through a heap, so ``--customers 200000`` is fine.

Usage::

    python bench/gen_log.py --customers 5000 --months 12 --seed 7 --out bench/data/log.jsonl
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

HOUR = 3_600_000
DAY = 24 * HOUR
MINUTE = 60_000

PRICES = (9900, 14900, 19900, 24900, 29900, 39900, 59900, 89900, 149900, 249900)
ZONES = (
    ("Europe/Stockholm", 0.88),
    ("Europe/Helsinki", 0.04),
    ("Europe/Oslo", 0.03),
    ("Europe/London", 0.03),
    ("America/New_York", 0.02),
)
LANGS = {"Europe/Helsinki": "fi", "Europe/Oslo": "nb", "Europe/London": "en-GB"}
METHOD_SETS = (
    (["swish", "card", "bank_giro"], 0.55),
    (["swish", "card"], 0.2),
    (["card", "bank_giro"], 0.15),
    (["bank_giro"], 0.1),
)
CHANNEL_SETS = (
    (["email", "sms", "digital_mailbox"], 0.35),
    (["email", "sms", "letter"], 0.25),
    (["email", "letter"], 0.15),
    (["email", "sms"], 0.12),
    (["digital_mailbox", "letter"], 0.08),
    (["phone", "letter"], 0.05),
)
FIRST_REMINDER_CHANNELS = ("email", "sms", "digital_mailbox", "letter")
RISK_TIERS = ((0.93, 0.70), (0.62, 0.25), (0.35, 0.05))  # (p on time, share of customers)
# How a not-on-time invoice goes, relative weights (they sum to 1).
LATE_OUTCOMES = (
    ("after_reminder", 0.50),
    ("after_second", 0.125),
    ("partial", 0.125),
    ("credit_note", 0.05),
    ("dispute", 0.05),
    ("pause", 0.04),
    ("promise", 0.05),
    ("plan", 0.025),
    ("never", 0.035),
)
CHURN_PER_MONTH = 0.004
ERASE_SHARE = 0.5
UPDATE_PER_MONTH = 0.03
DIRECT_DEBIT_SHARE = 0.15
REVERSAL_SHARE = 0.02


def _pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]) -> object:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _iso(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _local_ms(day: date, at: dtime, tz: str) -> int:
    return _ms(datetime.combine(day, at, tzinfo=ZoneInfo(tz)))


def _month_start(start: date, k: int) -> date:
    y, m = divmod(start.month - 1 + k, 12)
    return date(start.year + y, m + 1, 1)


@dataclass
class Customer:
    """What the generator remembers about one synthetic customer."""

    cid: str
    tz: str
    channels: list[str]
    methods: list[str]
    p_on_time: float
    direct_debit: bool
    price: int
    fee_agreed: bool
    business: bool
    seq: int = 0
    churned_ms: int | None = None
    erased_ms: int | None = None
    opted_out: set[str] = field(default_factory=set)


@dataclass
class Stats:
    """Counts the generator reports (scenarios, types)."""

    scenarios: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    bumped: int = 0
    dropped_after_erase: int = 0
    bytes: int = 0


class LogGenerator:
    """Generate the log; iterate :meth:`lines` for the time-ordered JSON Lines."""

    def __init__(self, customers: int, months: int, seed: int, start: date) -> None:
        self.n = customers
        self.months = months
        self.rng = random.Random(seed)
        self.start = start
        self.stats = Stats()
        self._heap: list[tuple[int, int, Customer, dict]] = []
        self._push_seq = 0
        self.customers = [self._new_customer(i) for i in range(customers)]

    # ------------------------------------------------------------------ customers
    def _new_customer(self, i: int) -> Customer:
        rng = self.rng
        tz = str(_pick(rng, ZONES))
        dd = rng.random() < DIRECT_DEBIT_SHARE
        return Customer(
            cid=f"cust-{i:07d}",
            tz=tz,
            channels=list(_pick(rng, CHANNEL_SETS)),  # type: ignore[call-overload]
            methods=list(_pick(rng, METHOD_SETS)),  # type: ignore[call-overload]
            p_on_time=float(_pick(rng, RISK_TIERS)),  # type: ignore[arg-type]
            direct_debit=dd,
            price=rng.choice(PRICES),
            fee_agreed=rng.random() < 0.3,
            business=rng.random() < 0.08,
        )

    def _emit(self, c: Customer, ms: int, kind: str, source: str, **body: object) -> None:
        c.seq += 1
        event = {
            "event_id": f"{c.cid}-e{c.seq:05d}",
            "type": kind,
            "occurred_at": None,
            "customer_id": c.cid,
            "schema_version": 1,
            "source": source,
            **body,
        }
        self._push_seq += 1
        heapq.heappush(self._heap, (ms, self._push_seq, c, event))

    # ------------------------------------------------------------------ per month
    def _customer_events(self, c: Customer, month0: int, first: bool) -> None:
        rng = self.rng
        if first:
            body: dict[str, object] = {"reachable_channels": c.channels, "language": "sv"}
            if c.tz != "Europe/Stockholm":
                body["timezone"] = c.tz
                body["language"] = LANGS.get(c.tz, "en")
            if rng.random() < 0.02:
                body["vulnerable"] = True
            if c.direct_debit:
                body["direct_debit_active"] = True
            self._emit(c, month0 + rng.randrange(2 * HOUR), "customer_updated", "crm", **body)
            return
        if rng.random() < UPDATE_PER_MONTH:
            at = month0 + rng.randrange(27 * DAY)
            r = rng.random()
            if r < 0.3 and "sms" in c.channels:
                c.opted_out.add("sms")
                self._emit(c, at, "customer_updated", "crm", opted_out=["sms"])
            elif r < 0.6:
                c.channels = list(_pick(rng, CHANNEL_SETS))  # type: ignore[call-overload]
                self._emit(c, at, "customer_updated", "crm", reachable_channels=c.channels)
            elif r < 0.8 and not c.direct_debit:
                c.direct_debit = True
                self._emit(c, at, "customer_updated", "crm", direct_debit_active=True)
            else:
                self._emit(c, at, "customer_updated", "crm", language="en-GB")
        if c.churned_ms is None and rng.random() < CHURN_PER_MONTH:
            c.churned_ms = month0 + 10 * DAY + rng.randrange(15 * DAY)
            self._emit(c, c.churned_ms, "customer_churned", "crm")
            if rng.random() < ERASE_SHARE:
                c.erased_ms = c.churned_ms + 90 * DAY
                self._emit(c, c.erased_ms, "customer_erased", "crm")

    def _first_channel(self, c: Customer) -> str:
        for ch in FIRST_REMINDER_CHANNELS:
            if ch in c.channels and ch not in c.opted_out:
                return ch
        return "letter"

    def _pay(
        self, c: Customer, at: int, inv: str, amount: int, method: str, ref: str | None
    ) -> None:
        body: dict[str, object] = {
            "payment_id": f"pay-{inv[4:]}-{at % 100_000_000:08d}",
            "amount_minor": amount,
            "currency": "SEK",
            "method": method,
            "invoice_id": inv,
        }
        if ref is not None:
            body["payment_reference"] = ref
        self._emit(c, at, "payment_received", "payments", **body)

    def _messages(self, c: Customer, at: int, decision: str, channel: str) -> int:
        """The notifier's story of one message; returns when the debtor could react."""
        rng = self.rng
        self._emit(c, at, "message_sent", "notifier", decision_id=decision, channel=channel)
        at += 2_000 + rng.randrange(20_000)
        if rng.random() < 0.01 and channel in ("email", "sms"):
            self._emit(
                c,
                at,
                "message_bounced",
                "notifier",
                decision_id=decision,
                channel=channel,
                permanent=True,
            )
            return at
        self._emit(c, at, "message_delivered", "notifier", decision_id=decision, channel=channel)
        if channel == "email" and rng.random() < 0.5:
            at += rng.randrange(1, 30) * HOUR
            self._emit(c, at, "message_opened", "notifier", decision_id=decision, channel=channel)
            if rng.random() < 0.5:
                at += rng.randrange(5_000, 600_000)
                self._emit(
                    c, at, "message_clicked", "notifier", decision_id=decision, channel=channel
                )
        return at

    def _invoice(self, c: Customer, k: int, month0: int) -> None:
        rng = self.rng
        issue = _month_start(self.start, k)
        due = issue + timedelta(days=27)
        inv = f"inv-{c.cid[5:]}-{issue:%Y%m}"
        amount = c.price
        issued = month0 + 2 * HOUR + rng.randrange(4 * HOUR)
        self._emit(
            c,
            issued,
            "invoice_issued",
            "billing",
            invoice_id=inv,
            amount_minor=amount,
            currency="SEK",
            issue_date=issue.isoformat(),
            due_date=due.isoformat(),
            timezone=c.tz,
            payment_methods=c.methods + (["direct_debit"] if c.direct_debit else []),
            **({"debtor_kind": "business"} if c.business else {}),
            **({"reminder_fee_agreed": True} if c.fee_agreed else {}),
        )
        due_ms = _local_ms(due, dtime(12, 0), c.tz)
        if c.direct_debit:
            self.stats.scenarios["direct_debit"] += 1
            at = _local_ms(due, dtime(4, 0), c.tz) + rng.randrange(HOUR)
            pay_id = f"pay-{inv[4:]}-dd"
            self._emit(
                c,
                at,
                "payment_received",
                "payments",
                payment_id=pay_id,
                amount_minor=amount,
                currency="SEK",
                method="direct_debit",
                invoice_id=inv,
            )
            if rng.random() < REVERSAL_SHARE:
                self.stats.scenarios["dd_reversed"] += 1
                self._emit(c, at + 2 * DAY, "payment_reversed", "payments", payment_id=pay_id)
                self._late_after(c, inv, due, amount, step=1)
            return
        if rng.random() < c.p_on_time:
            self.stats.scenarios["on_time"] += 1
            at = issued + 2 * DAY + rng.randrange(max(due_ms - issued - 2 * DAY, DAY))
            self._pay(c, at, inv, amount, rng.choice(c.methods), None)
            return
        outcome = str(_pick(rng, LATE_OUTCOMES))  # type: ignore[arg-type]
        self.stats.scenarios[outcome] += 1
        getattr(self, f"_late_{outcome}")(c, inv, issued, due, due_ms, amount)

    # ------------------------------------------------------------------ late stories
    def _reminder_at(self, c: Customer, due: date, days: int) -> int:
        """When the ladder's reminder ``days`` after due reaches the debtor (08:00 local)."""
        return _local_ms(due + timedelta(days=days), dtime(8, 0), c.tz) + rng_jitter(self.rng)

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
        paid = _local_ms(until, dtime(9, 0), c.tz) + rng.randrange(8 * HOUR)
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
            paid = _local_ms(promised, dtime(10, 0), c.tz) + rng.randrange(6 * HOUR)
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
            paid = _local_ms(d, dtime(9, 0), c.tz) - rng.randrange(2 * DAY)
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

    # ------------------------------------------------------------------ output
    def _flush(self, before: int | None) -> Iterator[bytes]:
        heap = self._heap
        last = getattr(self, "_last_ms", -1)
        while heap and (before is None or heap[0][0] < before):
            ms, _, c, event = heapq.heappop(heap)
            if c.erased_ms is not None and ms > c.erased_ms:
                self.stats.dropped_after_erase += 1
                continue
            if ms <= last:
                ms = last + 1
                self.stats.bumped += 1
            last = ms
            event["occurred_at"] = _iso(ms)
            self.stats.types[event["type"]] += 1
            line = orjson.dumps(event) + b"\n"
            self.stats.bytes += len(line)
            yield line
        self._last_ms = last

    def lines(self) -> Iterator[bytes]:
        """The whole log, time-ordered, one JSON document per line (with the newline)."""
        for k in range(self.months):
            month0 = _ms(datetime.combine(_month_start(self.start, k), dtime(0), tzinfo=UTC))
            yield from self._flush(month0)
            for c in self.customers:
                if c.churned_ms is not None:
                    continue
                self._customer_events(c, month0, first=(k == 0))
                if c.churned_ms is None or c.churned_ms > month0 + 27 * DAY:
                    self._invoice(c, k, month0)
        yield from self._flush(None)


def rng_jitter(rng: random.Random) -> int:
    """A notifier is never exactly on time: 0-15 minutes late."""
    return rng.randrange(15 * MINUTE)


def generate(path: Path, customers: int, months: int, seed: int, start: date) -> Stats:
    """Write the log to ``path``; return what was generated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = LogGenerator(customers, months, seed, start)
    with path.open("wb") as out:
        buf: list[bytes] = []
        for line in gen.lines():
            buf.append(line)
            if len(buf) >= 10_000:
                out.write(b"".join(buf))
                buf.clear()
        out.write(b"".join(buf))
    return gen.stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--out", type=Path, default=Path("bench/data/log.jsonl"))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    stats = generate(args.out, args.customers, args.months, args.seed, args.start)
    n = sum(stats.types.values())
    took = time.perf_counter() - t0
    print(f"{args.out}: {n} events, {stats.bytes / max(n, 1):.0f} bytes/event, {took:.1f} s")
    for kind, count in stats.types.most_common():
        print(f"  {kind:22} {count:>9}")
    total = sum(stats.scenarios.values())
    print(
        "invoice stories: "
        + ", ".join(f"{k} {v / total:.1%}" for k, v in stats.scenarios.most_common())
    )
    print(f"bumped timestamps: {stats.bumped}; dropped after erasure: {stats.dropped_after_erase}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
