"""What preparing releases ahead costs, per customer, on states of a replayed log.

It feeds a generated log (default 2,000 customers x 12 months) through two deciders with
4 partitions in ``event`` mode, releasing after every batch, up to ``--stop`` of the log. Then:

* **prepare**: :meth:`PartitionedDecider.prepare` of every customer with a wake (copy of the
  state + ``advance`` to the wake + encoding of its records), with the states cached and, in a
  decider whose cache is tiny, read back from rows;
* **release**: the clocks are moved wake by wake for 30 days (every customer released at its
  own wake, preparing the next wakes in between, as an idle worker would) and each release is
  timed, in the decider that prepared and in one
  that did not (rows are left to the flush in both: ``rows=False``);
* **memory**: what the prepared results hold (``tracemalloc``), per prepared customer.

Usage::

    python bench/prepare_cost.py                 # 2,000 customers x 12 months
    python bench/prepare_cost.py --customers 5000
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
import zlib
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.gen_log import generate  # noqa: E402
from bench.paths import DATA  # noqa: E402
from duewise.bootstrap import build_context  # noqa: E402
from duewise.gc_tuning import tune_gc  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402
from schemas.codec import decode_event  # noqa: E402
from streams.batch import PartitionedDecider  # noqa: E402
from streams.records import CLOCK, Inbound  # noqa: E402

PARTITIONS = 4
DAYS = 30
"""How far the clocks are moved, wake by wake, to time the releases."""


def decider(table: dict[bytes, bytes], cache: int, ahead: int, policy: str) -> PartitionedDecider:
    context = build_context(Settings(policy=policy))
    load = lambda c, _p: table.get(c.encode())  # noqa: E731
    # every wake, whatever its distance from the clock: this measures a preparation's cost
    horizon = timedelta(days=3650)
    return PartitionedDecider(
        context, load, "event", cache, False, prepare_ahead=ahead, prepare_horizon=horizon
    )


def feed(d: PartitionedDecider, table: dict[bytes, bytes], records: list[Inbound]) -> None:
    for start in range(0, len(records), 200):
        for batch in (d.process(records[start : start + 200]), d.release()):
            for customer_id, (_, row) in batch.rows.items():
                if row is None:
                    table.pop(customer_id.encode(), None)
                else:
                    table[customer_id.encode()] = row


def release_wake_by_wake(d: PartitionedDecider) -> list[tuple[int, int, float]]:
    """Release every customer at its own wake (preparing the new wakes between, untimed, as
    an idle worker would): (customers, of them prepared, seconds) per release."""
    out = []
    end = min(d.agendas.wakes.values()) + timedelta(days=DAYS)
    while d.agendas.wakes and (wake := min(d.agendas.wakes.values())) <= end:
        clock = [Inbound("e", p, -1, None, wake.isoformat().encode(), CLOCK) for p in range(4)]
        d.process(clock, rows=False)
        released, used = d.stats["released"], d.stats["prepared_used"]
        start = time.perf_counter()
        d.release(rows=False)
        spent = time.perf_counter() - start
        out.append((d.stats["released"] - released, d.stats["prepared_used"] - used, spent))
        d.prepare(10**6)
    return out


def us(begin: float, count: int) -> str:
    """Microseconds per item since ``begin``."""
    return f"{(time.perf_counter() - begin) / max(count, 1) * 1e6:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stop", type=float, default=0.95, help="share of the log fed first")
    parser.add_argument("--policy", default="ladder")
    args = parser.parse_args(argv)
    tune_gc()  # as the workers run
    log = DATA / f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
    if not log.exists():
        generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
    records = []
    for offset, (_, raw) in enumerate(iter_lines(log)):
        key = decode_event(raw).customer_id.encode()
        records.append(Inbound("events", zlib.crc32(key) % PARTITIONS, offset, key, raw))
    records = records[: int(len(records) * args.stop)]
    print(f"feeding {len(records):,} events of {log.name} ...", flush=True)
    tables = [{}, {}, {}]  # type: ignore[var-annotated]
    cached = decider(tables[0], 10**6, 10**6, args.policy)
    from_rows = decider(tables[1], 1, 10**6, args.policy)
    plain = decider(tables[2], 10**6, 0, args.policy)
    for d, table in zip((cached, from_rows, plain), tables, strict=True):
        feed(d, table, records)

    begin = time.perf_counter()
    n = cached.prepare(10**6)
    print(f"prepare (cached states): {n} customers, {us(begin, n)} us each")
    begin = time.perf_counter()
    half = from_rows.prepare(n // 2)
    print(f"prepare (states read from rows): {half} customers, {us(begin, half)} us each")
    tracemalloc.start()  # the rest, to see what the results hold (it slows them down)
    held = tracemalloc.get_traced_memory()[0]
    rest = from_rows.prepare(10**6)
    held = tracemalloc.get_traced_memory()[0] - held
    tracemalloc.stop()
    outputs = sum(len(p.ready.outputs) for p in cached._ahead.ready.values()) / n
    print(f"memory: {held / rest / 1024:.1f} KB per prepared customer ({outputs:.1f} records each)")

    for label, d in (("prepared", cached), ("not prepared", plain)):
        runs = release_wake_by_wake(d)
        count, spent = sum(r[0] for r in runs), sum(r[2] for r in runs)
        used = sum(r[1] for r in runs)
        print(f"release ({label}): {count} customers, {spent / count * 1e6:.0f} us each", end="")
        print(f" ({used} of them prepared)")
        if used:  # the releases served entirely from prepared results
            whole = [r for r in runs if r[0] == r[1]]
            n, t = sum(r[0] for r in whole), sum(r[2] for r in whole)
            print(f"  all prepared: {n} customers, {t / n * 1e6:.0f} us each")
            print(f"  stats: {dict(d.stats)}")
        burst = max(range(len(runs)), key=lambda i: runs[i][0])
        n, t = runs[burst][0], runs[burst][2]
        print(f"  largest burst: {n} customers in {t * 1e3:.1f} ms ({runs[burst][1]} prepared)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
