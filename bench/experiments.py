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
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench.exp_shell  # noqa: E402 (registers the shell prototypes, listed first)
from bench.exp_registry import EXPERIMENTS, chain  # noqa: E402

# isort: split
import bench.exp_core  # noqa: E402, F401 (registers the core prototypes, listed after)

# isort: split
from bench.gen_log import generate  # noqa: E402
from duewise.bootstrap import build_engine  # noqa: E402
from duewise.replay import ReplaySinks, replay_lines  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402

# ---------------------------------------------------------------------------- the runner


class HashSink:
    """A write-only sink that keeps a SHA-256 of everything written, its size and how many
    writes (lines) it took."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.bytes = 0
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.bytes += len(data)
        self.lines += 1
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
