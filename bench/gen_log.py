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
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.gen_late import LateStories  # noqa: E402
from bench.gen_model import (  # noqa: E402
    CHANNEL_SETS,
    CHURN_PER_MONTH,
    DAY,
    DIRECT_DEBIT_SHARE,
    ERASE_SHARE,
    FIRST_REMINDER_CHANNELS,
    HOUR,
    LANGS,
    LATE_OUTCOMES,
    METHOD_SETS,
    PRICES,
    REVERSAL_SHARE,
    RISK_TIERS,
    UPDATE_PER_MONTH,
    ZONES,
    Customer,
    Stats,
    iso,
    local_ms,
    month_start,
    pick,
    to_ms,
)


class LogGenerator(LateStories):
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
        tz = str(pick(rng, ZONES))
        dd = rng.random() < DIRECT_DEBIT_SHARE
        return Customer(
            cid=f"cust-{i:07d}",
            tz=tz,
            channels=list(pick(rng, CHANNEL_SETS)),  # type: ignore[call-overload]
            methods=list(pick(rng, METHOD_SETS)),  # type: ignore[call-overload]
            p_on_time=float(pick(rng, RISK_TIERS)),  # type: ignore[arg-type]
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
                c.channels = list(pick(rng, CHANNEL_SETS))  # type: ignore[call-overload]
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
        issue = month_start(self.start, k)
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
        due_ms = local_ms(due, dtime(12, 0), c.tz)
        if c.direct_debit:
            self.stats.scenarios["direct_debit"] += 1
            at = local_ms(due, dtime(4, 0), c.tz) + rng.randrange(HOUR)
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
        outcome = str(pick(rng, LATE_OUTCOMES))  # type: ignore[arg-type]
        self.stats.scenarios[outcome] += 1
        getattr(self, f"_late_{outcome}")(c, inv, issued, due, due_ms, amount)

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
            event["occurred_at"] = iso(ms)
            self.stats.types[event["type"]] += 1
            line = orjson.dumps(event) + b"\n"
            self.stats.bytes += len(line)
            yield line
        self._last_ms = last

    def lines(self) -> Iterator[bytes]:
        """The whole log, time-ordered, one JSON document per line (with the newline)."""
        for k in range(self.months):
            month0 = to_ms(datetime.combine(month_start(self.start, k), dtime(0), tzinfo=UTC))
            yield from self._flush(month0)
            for c in self.customers:
                if c.churned_ms is not None:
                    continue
                self._customer_events(c, month0, first=(k == 0))
                if c.churned_ms is None or c.churned_ms > month0 + 27 * DAY:
                    self._invoice(c, k, month0)
        yield from self._flush(None)


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
