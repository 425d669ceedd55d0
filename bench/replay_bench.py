"""Benchmark the embedded replay: events/s, per-decision latency, and a decode-only baseline.

It generates (or reuses) a realistic biller log with :mod:`bench.gen_log`, reads it into memory
(file reading is not measured), and then measures, in one process:

1. ``orjson``      ``orjson.loads`` over every line: the floor any JSON consumer pays.
2. ``decode``      ``schemas.codec.decode_event`` over every line: the contract's cost alone.
3. ``replay``      ``duewise.replay.replay_lines``, exactly what ``duewise replay`` runs:
                   decode + engine (advance + handle) + encode + write of every decision
                   (actionable ones to the decisions sink, all of them to the audit sink),
                   with the sinks writing to ``/dev/null``. This is the headline events/s.
4. ``latency``     the same replay again on a fresh engine whose ``handle``/``advance`` are
                   timed with ``perf_counter_ns``. Per decision it reports the duration of the
                   call that released it (p50/p99/max), plus per-call figures.

Absolute numbers depend on the machine, so the report also gives ``replay / decode``: the
replay's events/s as a share of decode-only events/s (equivalently, the share of replay time
that decoding takes). Results go to the terminal as a table and to
``bench/results/<date>-<customers>c-<months>m.json``.

Usage::

    python bench/replay_bench.py                       # 5,000 customers x 12 months
    python bench/replay_bench.py --customers 50000     # ~10x more events
    python bench/replay_bench.py --profile cprofile    # + a profiled pass, hotspots printed
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from array import array
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.gen_log import generate  # noqa: E402
from bench.paths import DATA, RESULTS  # noqa: E402
from bench.replay_measure import (  # noqa: E402
    GcClock,
    Probe,
    pct,
    run_replay,
    time_loop,
    warm_up,
)
from bench.replay_profile import profile_pass  # noqa: E402
from bench.replay_report import TARGET_EVENTS_PER_S, cpu_model, git_describe, report  # noqa: E402
from bench.replay_shard import run_sharded  # noqa: E402
from duewise.replay import ReplaySummary  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402
from schemas.codec import decode_event  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the embedded replay.")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log", type=Path, help="replay this log instead of a generated one")
    parser.add_argument("--regen", action="store_true", help="regenerate the cached log")
    parser.add_argument("--rules", default="se", help="rule pack (se, us_strict or a TOML path)")
    parser.add_argument("--repeat", type=int, default=2, help="best-of for the decode baselines")
    parser.add_argument("--no-latency", action="store_true", help="skip the timed second pass")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="also replay sharded by customer over N processes (0: skip)",
    )
    parser.add_argument("--profile", choices=("none", "cprofile", "pyinstrument"), default="none")
    parser.add_argument("--top", type=int, default=35, help="rows per profile table")
    parser.add_argument("--results", type=Path, default=RESULTS, help="directory for the JSON")
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON result")
    parser.add_argument(
        "--default-gc", action="store_true", help="keep CPython's GC defaults (the CLI tunes them)"
    )
    args = parser.parse_args(argv)
    if not args.default_gc:
        from duewise.gc_tuning import tune_gc

        tune_gc()  # as `duewise replay` and the workers run

    if args.log is None:
        log = DATA / f"log-{args.customers}c-{args.months}m-s{args.seed}.jsonl"
        if args.regen or not log.exists():
            t0 = time.perf_counter()
            generate(log, args.customers, args.months, args.seed, date(2026, 1, 1))
            print(f"generated {log.relative_to(ROOT)} in {time.perf_counter() - t0:.1f} s")
    else:
        log = args.log
    lines = list(iter_lines(log))
    n = len(lines)
    size = sum(len(raw) + 1 for _, raw in lines)
    settings = Settings(rules=args.rules)
    print(f"{n:,} events loaded from {log}; warming up ...", flush=True)
    warm_up(lines, settings)

    t_orjson, _ = time_loop(orjson.loads, lines, args.repeat)
    t_decode, c_decode = time_loop(decode_event, lines, args.repeat)
    print(f"decode-only: {n / t_decode:,.0f} events/s; replaying ...", flush=True)
    plain = run_replay(lines, settings, timed=False)
    summary: ReplaySummary = plain["summary"]
    timed = None if args.no_latency else run_replay(lines, settings, timed=True)
    sharded = run_sharded(lines, settings, args.workers) if args.workers > 1 else None
    if sharded is not None:
        sharded["same_decisions"] = sharded.pop("audit") == plain["audit"]
        sharded["speedup"] = sharded["events_per_s"] * plain["seconds"] / n

    probe: Probe | None = timed["probe"] if timed else None
    total_decisions = sum(summary.decisions.values())

    def lat(values: array | None) -> dict[str, float]:
        if not values:
            return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
        return {
            "p50": pct(values, 0.50),
            "p99": pct(values, 0.99),
            "max": max(values) / 1000,
            "mean": sum(values) / len(values) / 1000,
            "n": len(values),
        }

    gcc: GcClock = plain["gc"]
    res: dict[str, Any] = {
        "benchmark": "embedded replay (bench/replay_bench.py)",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_describe(),
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "log": {
            "path": str(log.relative_to(ROOT) if log.is_relative_to(ROOT) else log),
            "events": n,
            "bytes_per_event": size / n,
            "customers": args.customers,
            "months": args.months,
            "seed": args.seed,
            "rules": args.rules,
            "invalid": summary.invalid,
        },
        "decisions": {
            "total": total_decisions,
            "actionable": summary.actionable,
            "per_1000_events": 1000 * total_decisions / n,
            "by_action": {f"{a}/{c}": v for (a, c), v in sorted(summary.decisions.items())},
        },
        "throughput": {
            "orjson_events_per_s": n / t_orjson,
            "decode_events_per_s": n / t_decode,
            "replay_events_per_s": n / plain["seconds"],
            "replay_seconds": plain["seconds"],
            "replay_mb_per_s": size / plain["seconds"] / 1e6,
            "ratio_replay_to_decode": t_decode / plain["seconds"],
            "replay_cpu_seconds": plain["cpu_seconds"],
            "replay_events_per_cpu_s": n / plain["cpu_seconds"],
            "decode_events_per_cpu_s": n / c_decode,
            "contention": plain["seconds"] / plain["cpu_seconds"],
            "timed_replay_events_per_s": n / timed["seconds"] if timed else None,
            "target_events_per_s": TARGET_EVENTS_PER_S,
        },
        "gc": {
            "seconds": gcc.ns / 1e9,
            "collections": sum(gcc.count.values()),
            "by_generation": {str(k): v for k, v in sorted(gcc.count.items())},
            "max_ms": gcc.max_ns / 1e6,
        },
        "latency_us": {
            "per_decision": lat(probe.decision_ns if probe else None),
            "per_event": lat(probe.step_ns if probe else None),
            "release_batch": lat(probe.batch_ns if probe else None),
            "deciding_calls": dict(probe.calls) if probe else {},
        },
        "release_batches": {
            "count": len(probe.batch_sizes) if probe else 0,
            "p50_size": pct(probe.batch_sizes, 0.5) * 1000 if probe else None,
            "max_size": max(probe.batch_sizes, default=0) if probe else None,
        },
        "sharded": sharded,
        "states": plain["states"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print()
    print(report(res))
    if not args.no_save:
        args.results.mkdir(parents=True, exist_ok=True)
        tag = f"{datetime.now(UTC):%Y-%m-%d}-{args.customers}c-{args.months}m"
        path = args.results / f"{tag}.json"
        path.write_bytes(orjson.dumps(res, option=orjson.OPT_INDENT_2) + b"\n")
        print(
            f"\n  result written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
        )
    if args.profile != "none":
        tag = f"{args.customers}c-{args.months}m"
        print(f"\nprofiling one more replay with {args.profile} ...", flush=True)
        print(profile_pass(lines, settings, args.profile, args.top, tag))
    return 0


if __name__ == "__main__":
    sys.exit(main())
