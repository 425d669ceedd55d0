"""Does a customer's state stop growing with the length of its history?

Why. A worker's memory must stay flat over a long run at constant load, and every row it keeps
is also written to the table's changelog each time its customer is touched (encoding costs about
in proportion to the row's size). Closed invoices are archived, but anything else kept per
customer "for ever" grows the row, and so the worker, month after month.

What. It replays a simulator log (default: 5,000 customers x 60 months, made with ``duewise
simulate`` if missing) through the embedded engine, exactly as ``duewise replay`` does, and every
``--every`` simulated months prints the mean and p99 size of the customers' encoded table rows
(:func:`streams.rows.encode_row`), their sum (a cheap proxy of the worker's state memory), the
mean number of remembered event ids and tombstones and, with ``--tracemalloc``, the memory Python
has allocated (slower). At the end it prints a SHA-256 of every decision the replay made (waits
included) and every dead letter, so that two versions of the engine can be shown to decide alike.

Run from the repository root::

    .venv/bin/python -m bench.state_growth                 # 60 months, ~1-2 min
    .venv/bin/python -m bench.state_growth --months 24 --tracemalloc
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from bench.experiments import HashSink
from bench.paths import DATA
from bench.stream_input import ensure_log
from duewise.bootstrap import build_engine
from duewise.embedded import Engine
from duewise.replay import ReplaySinks, replay_lines
from duewise.settings import Settings
from duewise.validate import iter_lines
from engine.state import CustomerState
from streams.rows import encode_row

DEFAULT_LOG = DATA / "sim-5000c-60m-s1.jsonl"


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1)


def _tombstones(state: CustomerState) -> int:
    """Archived ids kept, in either state format (so the script measures older code too)."""
    archive = state.archive
    names = ("invoice_ids", "payment_ids", "invoices", "payments")
    return sum(len(getattr(archive, name, ())) for name in names)


def _sizes(engine: Engine) -> dict[str, float]:
    """Row sizes and what the rows remember, over every customer the engine holds now."""
    states = list(engine.states.values())
    sizes = sorted(len(encode_row(0, s)) for s in states)
    seen = [len(s.seen_event_ids) + len(getattr(s, "seen_events", ())) for s in states]
    tombs = [_tombstones(s) for s in states]
    return {
        "customers": len(states),
        "mean": statistics.fmean(sizes) if sizes else 0.0,
        "p99": sizes[int(0.99 * (len(sizes) - 1))] if sizes else 0,
        "total": sum(sizes),
        "seen": statistics.fmean(seen) if seen else 0.0,
        "tombs": statistics.fmean(tombs) if tombs else 0.0,
    }


def _report(month: int, engine: Engine, traced: bool, started: float) -> None:
    s = _sizes(engine)
    line = (
        f"month {month:3d}  customers {s['customers']:5.0f}  row mean {s['mean']:7.0f} B"
        f"  p99 {s['p99']:7.0f} B  sum {s['total'] / 1e6:7.2f} MB"
        f"  seen ids {s['seen']:6.1f}  tombstones {s['tombs']:6.1f}"
    )
    if traced:
        line += f"  traced {tracemalloc.get_traced_memory()[0] / 1e6:7.1f} MB"
    print(f"{line}  ({time.perf_counter() - started:5.0f} s)", flush=True)


def _sampled(
    lines: Iterator[tuple[int, bytes]], engine: Engine, months: int, every: int, traced: bool
) -> Iterator[tuple[int, bytes]]:
    """The log's lines, reporting the engine's rows each time the clock passes ``every``
    months after the first event, and stopping after ``months``."""
    started = time.perf_counter()
    first: date | None = None
    step = every
    for numbered in lines:
        if engine.clock is not None:
            first = first or engine.clock.date().replace(day=1)
            while engine.clock.date() >= _add_months(first, step):
                _report(step, engine, traced, started)
                if step >= months:
                    return
                step += every
        yield numbered
    _report(step, engine, traced, started)


def main(argv: list[str] | None = None) -> int:
    """Replay the log, printing the state's size every ``--every`` months and the decisions'
    hash at the end."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--months", type=int, default=60, help="stop after this many months")
    parser.add_argument("--every", type=int, default=6, help="report every N months")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    args = parser.parse_args(argv)
    log = args.log
    if log == DEFAULT_LOG:
        ensure_log(log, customers=5000, months=60, seed=1)
    if args.tracemalloc:
        tracemalloc.start()
    engine = build_engine(Settings())
    audit, dlq = HashSink(), HashSink()
    sinks = ReplaySinks(decisions=HashSink(), audit=audit, dlq=dlq)  # type: ignore[arg-type]
    lines = _sampled(iter_lines(log), engine, args.months, args.every, args.tracemalloc)
    summary = replay_lines(engine, lines, sinks)
    print(
        f"events {summary.events}  decisions {audit.lines}  dead letters {dlq.lines}"
        f"  sha256 {audit.h.hexdigest()} / {dlq.h.hexdigest()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
