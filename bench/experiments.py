"""What-if experiments: optimisation prototypes measured end to end on the benchmark log.

Each experiment patches the running process only (module attributes, class attributes, the
garbage collector): no file outside ``bench/`` is changed. Every prototype wraps or replaces a
function by one that must give *byte-identical* output, and the runner checks that: it hashes
the decisions, audit and dead-letter streams of every run and compares them with the
baseline's. An experiment whose output differs is reported as ``DIFFERS`` and must not be
trusted (the engine changed under it, or the prototype is wrong).

Runs are interleaved (baseline, A, B, ..., baseline, A, B, ...), timed in process CPU time
(``time.process_time``, so other processes on the 2 cores do not count), and the best of
``--repeat`` is kept.

Usage::

    python bench/experiments.py                      # all experiments, default log
    python bench/experiments.py --only gc_threshold tiered_state --repeat 3
    python bench/experiments.py --list
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.gen_log import generate  # noqa: E402
from duewise import embedded  # noqa: E402
from duewise import replay as replay_mod  # noqa: E402
from duewise.bootstrap import build_engine  # noqa: E402
from duewise.replay import ReplaySinks, replay_lines  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402

Undo = Callable[[], None]


@dataclass
class Experiment:
    """One prototype: what it changes, the code change it stands for, and how to apply it."""

    name: str
    summary: str
    apply: Callable[[], Undo]


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, summary: str) -> Callable[[Callable[[], Undo]], Callable[[], Undo]]:
    def register(fn: Callable[[], Undo]) -> Callable[[], Undo]:
        EXPERIMENTS[name] = Experiment(name, summary, fn)
        return fn

    return register


def patch(obj: Any, name: str, value: Any) -> Undo:
    """Set ``obj.name`` to ``value``; return the undo."""
    old = getattr(obj, name)
    setattr(obj, name, value)
    return lambda: setattr(obj, name, old)


def chain(*undos: Undo) -> Undo:
    def undo() -> None:
        for u in reversed(undos):
            u()

    return undo


# ---------------------------------------------------------------------------- the shell


@experiment("gc_threshold", "gc.freeze() + gc.set_threshold(100_000, 50, 100) in the shell")
def _gc_threshold() -> Undo:
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)

    def undo() -> None:
        gc.set_threshold(*old)
        gc.unfreeze()

    return undo


@experiment("encode_to_json", "encode(): model.__pydantic_serializer__.to_json(model)")
def _encode_to_json() -> Undo:
    def encode(model: Any) -> bytes:
        return model.__pydantic_serializer__.to_json(model)

    return patch(replay_mod, "encode", encode)


@experiment("decode_validate_json", "decode_event(): TypeAdapter.validate_json fast path")
def _decode_validate_json() -> Undo:
    from schemas import codec

    slow = codec.decode_event
    validate_json = codec._EVENT_ADAPTER.validate_json

    def decode_event(data: Any) -> Any:
        if isinstance(data, (bytes, str)):
            try:
                return validate_json(data)
            except Exception:
                pass
        return slow(data)

    return patch(replay_mod, "decode_event", decode_event)


# ---------------------------------------------------------------------------- the core


@experiment("reschedule_skip_closed", "reschedule_all(): skip closed invoices (next_at None)")
def _reschedule_skip_closed() -> Undo:
    schedule = importlib.import_module("engine.schedule")
    step = importlib.import_module("engine.step")

    def reschedule_all(customer: Any, policy: Any, *args: Any, **kwargs: Any) -> None:
        reschedule = schedule.reschedule
        for invoice in customer.invoices.values():
            if invoice.next_at is None and invoice.closed:
                continue  # reschedule would set next_at = None again
            reschedule(customer, invoice, policy, *args, **kwargs)

    return chain(
        patch(schedule, "reschedule_all", reschedule_all),
        patch(step, "reschedule_all", reschedule_all),
    )


@experiment(
    "ledger_credit_check",
    "apply_credit()/allocate(): return early when no money is "
    "unallocated (no sort of every payment, no open_invoices() sort)",
)
def _ledger_credit_check() -> Undo:
    from engine import ledger

    apply_credit, allocate, allocate_to = ledger.apply_credit, ledger.allocate, ledger._allocate_to

    def fast_apply_credit(customer: Any, invoice: Any, at: datetime) -> None:
        if any(p.unallocated_minor > 0 for p in customer.payments.values()):
            apply_credit(customer, invoice, at)

    def fast_allocate(customer: Any, payment: Any, target: Any, at: datetime) -> None:
        if target is not None:
            allocate_to(payment, target, at)
        if payment.unallocated_minor > 0:
            allocate(customer, payment, None, at)

    return chain(
        patch(ledger, "apply_credit", fast_apply_credit), patch(ledger, "allocate", fast_allocate)
    )


@experiment("candidates_cached", "guardrails.candidates(pack): computed once per pack")
def _candidates_cached() -> Undo:
    from engine.guardrails import check

    original = check.candidates
    cache: dict[int, tuple[Any, ...]] = {}

    def candidates(pack: Any) -> tuple[Any, ...]:
        key = id(pack)
        found = cache.get(key)
        if found is None:
            found = cache[key] = original(pack)
        return found

    return patch(check, "candidates", candidates)


@experiment(
    "state_plain_setattr",
    "state models: plain attribute writes (object.__setattr__), a stand-in for slotted dataclasses",
)
def _state_plain_setattr() -> Undo:
    from engine import state

    undos = []
    for name in (
        "CustomerState",
        "InvoiceState",
        "PaymentRecord",
        "ContactRecord",
        "ParkedEvent",
        "Instalment",
    ):
        cls = getattr(state, name, None)
        if cls is not None:
            cls.__setattr__ = object.__setattr__
            undos.append(lambda cls=cls: delattr(cls, "__setattr__"))
    return chain(*undos)


class TieredDict(dict):  # type: ignore[type-arg]
    """A dict whose iteration sees only hot entries; lookups also see the archived (cold) ones.

    A stand-in for keeping closed invoices (and spent payments) out of the per-event loops.
    """

    __slots__ = ("cold",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cold: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            return self.cold[key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        value = dict.get(self, key, self)
        if value is self:
            return self.cold.get(key, default)
        return value

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.cold

    def archive(self, key: str) -> None:
        self.cold[key] = dict.pop(self, key)


ARCHIVE_AFTER = timedelta(days=60)


def _sweep(state: Any, now: datetime) -> None:
    invoices = state.invoices
    if type(invoices) is dict:
        invoices = state.invoices = TieredDict(invoices)
    payments = state.payments
    if type(payments) is dict:
        payments = state.payments = TieredDict(payments)
    cutoff = now - ARCHIVE_AFTER
    old = [k for k, i in invoices.items() if i.closed and i.closed_at and i.closed_at < cutoff]
    for key in old:
        invoices.archive(key)
    spent = [
        k
        for k, p in payments.items()
        if p.received_at < cutoff
        and p.unallocated_minor <= 0
        and not any(dict.__contains__(invoices, a) for a in p.allocations)
    ]
    for key in spent:
        payments.archive(key)


@experiment(
    "tiered_state",
    "archive invoices closed > 60 days (and their spent payments) out "
    "of the dicts the per-event loops iterate; lookups still find them",
)
def _tiered_state() -> Undo:
    step, advance = embedded.step, embedded.advance
    sweeps: dict[str, int] = {}

    def tiered_step(state: Any, event: Any, ctx: Any) -> Any:
        result = step(state, event, ctx)
        if result.state is not None:
            month = event.occurred_at.month
            if sweeps.get(result.state.customer_id) != month:  # once a month per customer
                sweeps[result.state.customer_id] = month
                _sweep(result.state, event.occurred_at)
        return result

    return chain(patch(embedded, "step", tiered_step), patch(embedded, "advance", advance))


@experiment(
    "intern_blocked_policy",
    "decide: reuse identical frozen BlockedAction/PolicyInfo "
    "objects (lru_cache) instead of validating new ones per decision",
)
def _intern_blocked_policy() -> Undo:
    from functools import lru_cache

    decide = importlib.import_module("engine.decide")
    blocked_cls, policy_cls = decide.BlockedAction, decide.PolicyInfo

    @lru_cache(maxsize=65536)
    def blocked(action: Any, channel: Any, rule: str, detail: str) -> Any:
        return blocked_cls(action=action, channel=channel, rule=rule, detail=detail)

    @lru_cache(maxsize=1024)
    def policy(name: str, arm: str, propensity: float, model_version: Any) -> Any:
        return policy_cls(name=name, arm=arm, propensity=propensity, model_version=model_version)

    def blocked_action(*, action: Any, channel: Any = None, rule: str, detail: str = "") -> Any:
        return blocked(action, channel, rule, detail)

    def policy_info(*, name: str, arm: str, propensity: float, model_version: Any = None) -> Any:
        return policy(name, arm, propensity, model_version)

    return chain(
        patch(decide, "BlockedAction", blocked_action), patch(decide, "PolicyInfo", policy_info)
    )


@experiment(
    "evaluate_per_channel",
    "evaluate(): channel and frequency rules once per channel "
    "(5) instead of once per candidate (23)",
)
def _evaluate_per_channel() -> Undo:
    from dataclasses import replace

    check = importlib.import_module("engine.guardrails.check")
    decide = importlib.import_module("engine.decide")
    evaluate, channel_block, frequency_block = (
        check.evaluate,
        check.channel_block,
        check.frequency_block,
    )
    by_channel: dict[Any, Any] = {}
    by_freq: dict[Any, Any] = {}

    def cached_evaluate(*args: Any) -> Any:
        by_channel.clear()
        by_freq.clear()
        return evaluate(*args)

    def cached_channel(customer: Any, candidate: Any) -> Any:
        key = candidate.channel
        if key not in by_channel:
            by_channel[key] = channel_block(customer, candidate)
        block = by_channel[key]
        return (
            block
            if block is None or block.candidate == candidate
            else replace(block, candidate=candidate)
        )

    def cached_frequency(customer: Any, invoice: Any, candidate: Any, now: Any, pack: Any) -> Any:
        key = candidate.channel
        if key not in by_freq:
            by_freq[key] = frequency_block(customer, invoice, candidate, now, pack)
        block = by_freq[key]
        return (
            block
            if block is None or block.candidate == candidate
            else replace(block, candidate=candidate)
        )

    return chain(
        patch(decide, "evaluate", cached_evaluate),
        patch(check, "channel_block", cached_channel),
        patch(check, "frequency_block", cached_frequency),
    )


@experiment(
    "agenda_dedup",
    "Engine._keep(): push a customer on the agenda heap only when its "
    "wake time changed (not once per event)",
)
def _agenda_dedup() -> Undo:
    keep = embedded.Engine._keep
    dead = embedded.DEAD_LETTER_NOTICES

    def dedup_keep(self: Any, customer_id: str, result: Any) -> None:
        pushed = self.__dict__.setdefault("_bench_pushed", {})
        state = result.state
        if state is not None:
            wake = state.next_wake()
            if wake is not None and pushed.get(customer_id) == wake:
                for notice in result.notices:
                    self.notices[notice.kind] += 1
                    if notice.kind in dead:
                        self.dead_notices.append(notice)
                self.states[customer_id] = state
                return
            pushed[customer_id] = wake
        keep(self, customer_id, result)

    return patch(embedded.Engine, "_keep", dedup_keep)


# ---------------------------------------------------------------------------- the runner


class HashSink:
    """A write-only sink that keeps a SHA-256 of everything written."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.bytes += len(data)
        return len(data)


def run_once(lines: list[tuple[int, bytes]], settings: Settings) -> tuple[float, str]:
    engine = build_engine(settings)
    sinks = [HashSink(), HashSink(), HashSink()]
    gc.collect()
    t0 = time.process_time()  # CPU time: other processes on the 2 cores do not count
    summary = replay_lines(engine, lines, ReplaySinks(*sinks))  # type: ignore[arg-type]
    took = time.process_time() - t0
    digest = hashlib.sha256(b"".join(s.h.digest() for s in sinks))
    digest.update(repr(sorted(summary.notices.items())).encode())
    return took, digest.hexdigest()[:16]


GC_EXPERIMENTS = ("gc_threshold",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure optimisation prototypes end to end.")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="experiment names (default: all)")
    parser.add_argument("--no-combined", action="store_true", help="skip the all-together run")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list:
        for e in EXPERIMENTS.values():
            print(f"{e.name:24} {e.summary}")
        return 0
    log = args.log or ROOT / "bench" / "data" / (
        f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
    )
    if not log.exists():
        generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
    lines = list(iter_lines(log))
    settings = Settings()
    names = args.only or list(EXPERIMENTS)
    code = [n for n in names if n not in GC_EXPERIMENTS]
    # (label, experiments, gc enabled, compared with). Code prototypes run with the collector
    # off, against a baseline with it off: collections add +-10% of noise that would drown
    # changes of a few percent. The collector's own cost is measured with it on.
    variants: list[tuple[str, list[str], bool, str]] = [("baseline", [], True, "baseline")]
    variants += [(n, [n], True, "baseline") for n in names if n in GC_EXPERIMENTS]
    if code:
        variants.append(("baseline, gc off", [], False, "baseline"))
        variants += [(n, [n], False, "baseline, gc off") for n in code]
    if not args.no_combined and len(names) > 1:
        variants.append(("all together", [*names], True, "baseline"))
    print(f"{len(lines):,} events from {log}; {len(variants)} variants x {args.repeat}", flush=True)
    replay_lines(build_engine(settings), lines[:3000], ReplaySinks(HashSink()))  # warm up
    best: dict[str, float] = {}
    digests: dict[str, str] = {}
    for round_ in range(args.repeat):
        for label, exps, gc_on, _ in variants:
            undo = chain(*[EXPERIMENTS[n].apply() for n in exps])
            if not gc_on:
                gc.disable()
            try:
                took, digest = run_once(lines, settings)
            finally:
                gc.enable()
                undo()
            best[label] = min(best.get(label, float("inf")), took)
            digests.setdefault(label, digest)
            if digests[label] != digest:
                digests[label] = "nondeterministic"
            print(
                f"  round {round_ + 1} {label:24} {len(lines) / took:>9,.0f} events/cpu-s",
                flush=True,
            )
    print(
        f"\n{'experiment':24} {'events/s':>9} {'cpu time':>8} {'gain':>7} {'vs':>17}  output"
        "   change"
    )
    for label, exps, _, ref in sorted(variants, key=lambda v: best[v[0]]):
        same = "same" if digests[label] == digests["baseline"] else "DIFFERS"
        summary = EXPERIMENTS[exps[0]].summary if len(exps) == 1 else " + ".join(exps)
        gain = best[ref] / best[label] - 1
        print(
            f"{label:24} {len(lines) / best[label]:>9,.0f} {best[label]:>7.2f}s {gain:>+7.1%}"
            f" {ref:>17}  {same:7}  {summary}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
