"""Micro-benchmarks behind the optimisation proposals: microseconds per operation.

It replays the benchmark log once to get realistic objects (customer states after M months,
real decisions, real event lines), then times single operations on them with ``timeit``:

* decoding: ``decode_event`` (orjson + ``validate_python``) vs ``TypeAdapter.validate_json``;
* encoding: ``orjson.dumps(model_dump(mode="json"))`` vs ``__pydantic_serializer__.to_json``;
* building a ``Decision`` (validated) and building state models;
* attribute writes on the pydantic state vs a slotted dataclass;
* the per-event loops over a customer's whole history (``reschedule_all``, the due scan in
  ``engine.step.advance``, ``next_wake``, ``apply_credit``, ``open_invoices``) on real states;
* the duplicate check (``event_id in seen_event_ids``, a 256-long list) vs a set;
* one ``evaluate()`` (the rule pack) and serialising a whole state (what a changelog would do).

Usage::

    python bench/micro.py                      # default log (5,000 customers x 12 months)
    python bench/micro.py --months 24
"""

from __future__ import annotations

import argparse
import importlib
import io
import statistics
import sys
import timeit
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.gen_log import generate  # noqa: E402
from duewise.bootstrap import build_engine  # noqa: E402
from duewise.replay import ReplaySinks, replay_lines  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402
from schemas.codec import _EVENT_ADAPTER, decode_decision, decode_event  # noqa: E402
from schemas.outbound import Decision  # noqa: E402

ROWS: list[tuple[str, str, float]] = []


def bench(group: str, label: str, stmt: Any, number: int = 0, repeat: int = 5) -> float:
    """Best-of-``repeat`` microseconds per call of ``stmt`` (a zero-argument callable)."""
    timer = timeit.Timer(stmt)
    if not number:
        n, t = timer.autorange()
        number = max(1, int(n * 0.2 / max(t, 1e-9)))
    us = min(timer.repeat(repeat=repeat, number=number)) / number * 1e6
    ROWS.append((group, label, us))
    return us


def over(items: list[Any], fn: Any) -> Any:
    """A callable that applies ``fn`` to every item (timing a realistic mix)."""

    def run() -> None:
        for item in items:
            fn(item)

    return run


class Capture(io.RawIOBase):
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def write(self, data: Any) -> int:
        self.lines.append(bytes(data))
        return len(data)


@dataclass(slots=True)
class SlotInvoice:
    """A slotted dataclass with the hot fields of InvoiceState (for the setattr comparison)."""

    invoice_id: str
    next_at: datetime | None = None
    status: str = "open"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, default=2000, help="objects per timed mix")
    args = parser.parse_args(argv)
    log = ROOT / "bench" / "data" / f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
    if not log.exists():
        generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
    lines = [raw for _, raw in iter_lines(log)]
    print(f"replaying {len(lines):,} events of {log.name} to get realistic objects ...", flush=True)
    engine = build_engine(Settings())
    audit = Capture()
    replay_lines(engine, enumerate(lines, 1), ReplaySinks(decisions=Capture(), audit=audit))
    step_mod = importlib.import_module("engine.step")
    schedule = importlib.import_module("engine.schedule")
    check = importlib.import_module("engine.guardrails.check")
    state_mod = importlib.import_module("engine.state")
    ctx = engine.context
    k = args.sample
    sample_lines = lines[len(lines) // 2 : len(lines) // 2 + k]
    decisions = [decode_decision(line) for line in audit.lines[:k]]
    states = list(engine.states.values())[:k]

    # ------------------------------------------------------------ decode / encode
    n = len(sample_lines)
    assert all(_EVENT_ADAPTER.validate_json(x) == decode_event(x) for x in sample_lines[:200])
    bench("decode", "orjson.loads", over(sample_lines, orjson.loads), 1) / n
    ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / n)
    for label, fn in (
        ("decode_event (orjson + validate_python)", decode_event),
        ("TypeAdapter.validate_json", _EVENT_ADAPTER.validate_json),
        ("validate_python on a parsed dict", None),
    ):
        if fn is None:
            parsed = [orjson.loads(x) for x in sample_lines]
            bench("decode", label, over(parsed, _EVENT_ADAPTER.validate_python), 1)
        else:
            bench("decode", label, over(sample_lines, fn), 1)
        ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / n)

    m = len(decisions)
    same = all(
        orjson.dumps(d.model_dump(mode="json")) == d.__pydantic_serializer__.to_json(d)
        for d in decisions
    )
    for label, fn in (
        (
            'orjson.dumps(model_dump(mode="json"))',
            lambda d: orjson.dumps(d.model_dump(mode="json")),
        ),
        (
            f"__pydantic_serializer__.to_json (same bytes: {same})",
            lambda d: d.__pydantic_serializer__.to_json(d),
        ),
        ("model_dump_json()", lambda d: d.model_dump_json()),
    ):
        bench("encode a Decision", label, over(decisions, fn), 1)
        ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / m)
    kwargs = [dict(d) for d in decisions]
    bench(
        "build a Decision",
        "Decision(**fields) (validated)",
        over(kwargs, lambda kw: Decision(**kw)),
        1,
    )
    ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / m)

    # ------------------------------------------------------------ state models
    inv = next(i for s in states for i in s.invoices.values())
    fields = {name: getattr(inv, name) for name in type(inv).model_fields}
    slot = SlotInvoice(inv.invoice_id)
    bench(
        "state attribute write",
        "pydantic InvoiceState.next_at = x",
        lambda: setattr(inv, "next_at", None),
    )
    bench(
        "state attribute write",
        "slotted dataclass .next_at = x",
        lambda: setattr(slot, "next_at", None),
    )
    bench("state attribute write", "attribute read (pydantic)", lambda: inv.next_at)
    bench("state attribute write", "InvoiceState.closed (property)", lambda: inv.closed)
    bench(
        "build state",
        "InvoiceState(**fields) (validated)",
        lambda: state_mod.InvoiceState(**fields),
    )
    bench(
        "build state",
        "InvoiceState.model_construct(**fields), every field given",
        lambda: state_mod.InvoiceState.model_construct(**fields),
        number=200,
        repeat=3,
    )

    # ------------------------------------------------------------ per-event loops
    n_inv = statistics.mean(len(s.invoices) for s in states)
    n_pay = statistics.mean(len(s.payments) for s in states)
    n_con = statistics.mean(len(s.contacts) for s in states)
    grp = (
        f"per event, a state after {args.months} months ({n_inv:.1f} invoices, {n_pay:.1f} "
        f"payments, {n_con:.1f} contacts)"
    )
    far_past = datetime(2000, 1, 1).astimezone()
    policy = ctx.policy

    def each_state(fn: Any) -> Any:
        return over(states, fn)

    s_n = len(states)
    for label, fn in (
        ("reschedule_all(state)", lambda s: schedule.reschedule_all(s, policy)),
        (
            "due scan of engine.step.advance (nothing due)",
            lambda s: [
                i for i in s.invoices.values() if i.next_at is not None and i.next_at <= far_past
            ],
        ),
        (
            "engine.step.advance(state, past) (nothing due)",
            lambda s: step_mod.advance(s, far_past, ctx),
        ),
        ("state.next_wake()", lambda s: s.next_wake()),
        ("state.open_invoices()", lambda s: s.open_invoices()),
        (
            "sorted(payments) as in apply_credit",
            lambda s: sorted(s.payments.values(), key=lambda p: (p.received_at, p.payment_id)),
        ),
        (
            "any(p.unallocated_minor > 0)",
            lambda s: any(p.unallocated_minor > 0 for p in s.payments.values()),
        ),
    ):
        bench(grp, label, each_state(fn), 1)
        ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / s_n)

    ids = [f"cust-0001234-e{i:05d}" for i in range(256)]
    as_set = set(ids)
    probe = "cust-0001234-e99999"
    bench("duplicate check", "new id in seen_event_ids (list of 256)", lambda: probe in ids)
    bench("duplicate check", "new id in a set of 256", lambda: probe in as_set)

    # ------------------------------------------------------------ per decision
    open_pairs = [(s, i) for s in states for i in s.invoices.values() if not i.closed][:k]
    pack = ctx.pack
    if open_pairs:
        at_of = {
            id(i): datetime.combine(
                i.due_date + timedelta(days=5), datetime.min.time()
            ).astimezone()
            for _, i in open_pairs
        }
        bench(
            "per decision",
            f"evaluate() on {len(open_pairs)} open invoices",
            over(open_pairs, lambda p: check.evaluate(p[0], p[1], at_of[id(p[1])], pack)),
            1,
        )
        ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / len(open_pairs))
    bench(
        "per decision",
        "candidates(pack) (rebuilt on every evaluate)",
        lambda: check.candidates(pack),
    )

    # ------------------------------------------------------------ state size
    sizes = [len(s.model_dump_json()) for s in states]
    bench(
        "serialise a state (a changelog write)",
        f"model_dump_json() (median {statistics.median(sizes) / 1000:.1f} KB)",
        over(states[:500], lambda s: s.model_dump_json()),
        1,
    )
    ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / min(500, len(states)))
    dumped = [s.model_dump_json() for s in states[:500]]
    cls = type(states[0])
    bench(
        "serialise a state (a changelog write)",
        "model_validate_json() (restore)",
        over(dumped, cls.model_validate_json),
        1,
    )
    ROWS[-1] = (*ROWS[-1][:2], ROWS[-1][2] / len(dumped))

    group = None
    for g, label, us in ROWS:
        if g != group:
            print(f"\n{g}")
            group = g
        unit = f"{us * 1000:9.0f} ns" if us < 1 else f"{us:9.2f} us"
        print(f"  {unit}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
