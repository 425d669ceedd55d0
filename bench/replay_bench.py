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
import gc
import hashlib
import io
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
import zlib
from array import array
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.gen_log import generate  # noqa: E402
from duewise import embedded  # noqa: E402
from duewise.bootstrap import build_engine  # noqa: E402
from duewise.embedded import Engine  # noqa: E402
from duewise.replay import ReplaySinks, ReplaySummary, replay_lines  # noqa: E402
from duewise.settings import Settings  # noqa: E402
from duewise.validate import iter_lines  # noqa: E402
from schemas.codec import decode_event  # noqa: E402
from schemas.outbound import Decision  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
TARGET_EVENTS_PER_S = 50_000


class Probe:
    """Times the engine's per-customer calls while active, by wrapping the two names
    :class:`duewise.embedded.Engine` calls: ``step`` (one event) and ``advance`` (one customer's
    due decision points). Nothing outside this process is changed.

    Per decision it keeps the duration of the call that made it: the latency a decision has
    inside the engine. Per ``Engine.advance`` call that released decisions it keeps the batch
    size and duration: every customer whose decision point falls on the same instant (the ladder
    decides at 06:00 local) is released by one call, so the last of a batch waits for the rest.
    """

    def __init__(self) -> None:
        self.step_ns = array("q")  # every step call (one per valid event)
        self.decision_ns = array("q")  # per decision: its step/advance call's duration
        self.deciding_ns = array("q")  # per step/advance call that made >= 1 decision
        self.batch_ns = array("q")  # per Engine.advance call that released >= 1 decision
        self.batch_sizes = array("q")
        self.calls: Counter[str] = Counter()
        self._saved: tuple[Any, Any, Any] | None = None

    def _wrap(self, kind: str, fn: Any) -> Any:
        step_ns, decision_ns, deciding_ns, calls = (
            self.step_ns,
            self.decision_ns,
            self.deciding_ns,
            self.calls,
        )
        clock = time.perf_counter_ns

        def timed(*args: Any) -> Any:
            t0 = clock()
            result = fn(*args)
            ns = clock() - t0
            if kind == "step":
                step_ns.append(ns)
            made = len(result.decisions)
            if made:
                calls[f"{kind}_deciding"] += 1
                deciding_ns.append(ns)
                decision_ns.extend([ns] * made)
            return result

        return timed

    def __enter__(self) -> Probe:
        saved = (embedded.step, embedded.advance, Engine.advance)
        self._saved = saved
        embedded.step = self._wrap("step", saved[0])
        embedded.advance = self._wrap("advance", saved[1])
        engine_advance = saved[2]
        batch_ns, batch_sizes = self.batch_ns, self.batch_sizes

        def timed_advance(engine: Engine, now: datetime) -> list[Decision]:
            t0 = time.perf_counter_ns()
            out = engine_advance(engine, now)
            if out:
                batch_ns.append(time.perf_counter_ns() - t0)
                batch_sizes.append(len(out))
            return out

        Engine.advance = timed_advance  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        embedded.step, embedded.advance, Engine.advance = self._saved


class GcClock:
    """Total time and count of garbage collections while active (via ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.ns = 0
        self.count: Counter[int] = Counter()
        self.max_ns = 0
        self._t0 = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter_ns()
        else:
            ns = time.perf_counter_ns() - self._t0
            self.ns += ns
            self.max_ns = max(self.max_ns, ns)
            self.count[info["generation"]] += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def pct(values: array, q: float) -> float:
    """The q-quantile (nearest rank) of ``values`` in microseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return ordered[index] / 1000


class ListSink:
    """Keeps every written record (the audit stream: ~10 k decisions, a few MB)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.write = self.parts.append

    def close(self) -> None:
        pass

    def digest(self) -> str:
        """A digest of the records as a set: the same decisions, whatever the interleaving."""
        h = hashlib.sha256()
        for line in sorted(self.parts):
            h.update(line)
        return h.hexdigest()[:16]


def _sinks(audit: Any = None) -> tuple[ReplaySinks, list[Any]]:
    handles = [open(os.devnull, "wb") for _ in range(3)]  # noqa: SIM115
    if audit is not None:
        handles[1] = audit
    return ReplaySinks(decisions=handles[0], audit=handles[1], dlq=handles[2]), handles


def run_replay(lines: list[tuple[int, bytes]], settings: Settings, timed: bool) -> dict[str, Any]:
    """One full replay over ``lines`` on a fresh engine; wall time, summary, probe, gc."""
    engine = build_engine(settings)
    audit = ListSink()
    sinks, handles = _sinks(audit)
    probe = Probe() if timed else None
    gc.collect()
    with GcClock() as gcc:
        if probe is not None:
            probe.__enter__()
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            summary = replay_lines(engine, lines, sinks)
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            if probe is not None:
                probe.__exit__()
    for h in handles:
        h.close()
    return {
        "seconds": took,
        "cpu_seconds": cpu,
        "summary": summary,
        "states": len(engine.states),
        "probe": probe,
        "gc": gcc,
        "audit": audit.digest(),
    }


def shard_of(raw: bytes, workers: int) -> int:
    """The worker a line goes to: a stable hash of its customer id, as Kafka keys by it."""
    start = raw.find(b'"customer_id":"')
    if start < 0:
        return 0
    start += 15
    return zlib.crc32(raw[start : raw.find(b'"', start)]) % workers


_SHARDS: list[list[tuple[int, bytes]]] = []


def _worker(index: int, settings: Settings, queue: Any) -> None:
    engine = build_engine(settings)
    audit = ListSink()
    sinks, _ = _sinks(audit)
    t0, c0 = time.perf_counter(), time.process_time()
    summary = replay_lines(engine, _SHARDS[index], sinks)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    queue.put((index, took, cpu, summary.events, audit.parts))


def run_sharded(lines: list[tuple[int, bytes]], settings: Settings, workers: int) -> dict[str, Any]:
    """Replay with ``workers`` forked processes, each owning the customers of its shard.

    This is how the design scales (Kafka partitions keyed by customer, one worker each): every
    customer's events stay in order in one process, so the decisions are the same as one
    process makes, only interleaved differently (checked with an order-free digest).
    """
    _SHARDS[:] = [[] for _ in range(workers)]
    for item in lines:
        _SHARDS[shard_of(item[1], workers)].append(item)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    gc.collect()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_worker, args=(i, settings, queue)) for i in range(workers)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    took = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    merged = ListSink()
    for *_, parts in results:
        merged.parts.extend(parts)
    _SHARDS.clear()
    return {
        "workers": workers,
        "seconds": took,
        "events_per_s": len(lines) / took,
        "shard_events": [r[3] for r in sorted(results)],
        "shard_seconds": [round(r[1], 3) for r in sorted(results)],
        "shard_cpu_seconds": [round(r[2], 3) for r in sorted(results)],
        "audit": merged.digest(),
    }


def time_loop(fn: Any, lines: list[tuple[int, bytes]], repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` (wall, CPU) seconds for ``fn`` over every line."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for _, raw in lines:
            fn(raw)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def warm_up(lines: list[tuple[int, bytes]], settings: Settings) -> None:
    """Run a small replay first, so imports, caches and first calls are not measured."""
    sinks, handles = _sinks()
    replay_lines(build_engine(settings), lines[:3000], sinks)
    for h in handles:
        h.close()


def profile_pass(
    lines: list[tuple[int, bytes]], settings: Settings, how: str, top: int, tag: str
) -> str:
    """Replay once under a profiler; return a text report (and save the raw profile)."""
    engine = build_engine(settings)
    sinks, handles = _sinks()
    DATA.mkdir(parents=True, exist_ok=True)
    if how == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        replay_lines(engine, lines, sinks)
        profiler.stop()
        (DATA / f"profile-{tag}.html").write_text(profiler.output_html())
        text = profiler.output_text(unicode=False, color=False, show_all=False)
    else:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        replay_lines(engine, lines, sinks)
        prof.disable()
        prof.dump_stats(DATA / f"profile-{tag}.prof")
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        text = out.getvalue() + "\n" + by_area(stats)
    for h in handles:
        h.close()
    return text


def _area(filename: str, func: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("/engine/", "/schemas/", "/duewise/", "/bench/"):
        if marker in path and "site-packages" not in path:
            return marker.strip("/") + "/" + path.rsplit(marker, 1)[1]
    if "pydantic" in path:
        return "pydantic (python side)"
    if filename == "~":  # "<method 'validate_python' of '...SchemaValidator' objects>"
        parts = func.strip("<>").split("'")
        name = parts[1] if len(parts) > 1 else func
        owner = parts[3].rsplit(".", 1)[-1] if len(parts) > 3 else ""
        return f"builtins: {name}" + (f" ({owner})" if owner else "")
    return "stdlib: " + Path(path).name


def by_area(stats: Any) -> str:
    """Self time grouped by source file (engine/*, schemas/*, builtins, ...)."""
    areas: Counter[str] = Counter()
    total = 0.0
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        areas[_area(filename, func)] += tt
        total += tt
    lines = [f"self time by area (total {total:.2f} s under the profiler):"]
    for area, tt in areas.most_common(40):
        lines.append(f"  {tt:8.3f} s  {tt / total:6.1%}  {area}")
    return "\n".join(lines)


def git_describe() -> dict[str, Any]:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    dirty = run("git", "status", "--short", "--", "engine", "duewise", "schemas").splitlines()
    return {"commit": run("git", "rev-parse", "HEAD"), "dirty": bool(dirty), "dirty_files": dirty}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _lat_row(d: dict[str, float]) -> str:
    unit = lambda us: f"{us:8.1f} us" if us < 10_000 else f"{us / 1000:8.1f} ms"  # noqa: E731
    return (
        f"p50 {unit(d['p50'])}   p99 {unit(d['p99'])}   max {unit(d['max'])}"
        f"   mean {unit(d.get('mean', float('nan')))}"
    )


def latency_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows of the timed pass."""
    return [
        (
            "  replay (timed pass)",
            f"{r['throughput']['timed_replay_events_per_s']:>10,.0f}"
            " events/s   (with latency probes)",
        ),
        ("latency per decision", _lat_row(r["latency_us"]["per_decision"])),
        ("latency per event", _lat_row(r["latency_us"]["per_event"])),
        (
            "release batch",
            _lat_row(r["latency_us"]["release_batch"])
            + f"   ({r['release_batches']['count']} batches, median "
            f"{r['release_batches']['p50_size']:.0f}, max {r['release_batches']['max_size']}"
            " decisions)",
        ),
        ("", ""),
    ]


def sharded_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows of the sharded run."""
    sh = r["sharded"]
    same = "same decisions" if sh["same_decisions"] else "DIFFERENT DECISIONS"
    return [
        (
            f"  {sh['workers']} workers by customer",
            f"{sh['events_per_s']:>10,.0f} events/s"
            f"   (x{sh['speedup']:.2f}, {same}; shards {sh['shard_seconds']} s)",
        )
    ]


def report(res: dict[str, Any]) -> str:
    """The terminal table."""
    r = res
    rows = [
        (
            "log",
            f"{r['log']['events']:,} events, {r['log']['customers']:,} customers, "
            f"{r['log']['months']} months, {r['log']['bytes_per_event']:.0f} B/event",
        ),
        (
            "decisions",
            f"{r['decisions']['total']:,} ({r['decisions']['actionable']:,} actionable,"
            f" {r['decisions']['per_1000_events']:.1f} per 1000 events)",
        ),
        ("", ""),
        ("orjson.loads only", f"{r['throughput']['orjson_events_per_s']:>10,.0f} events/s"),
        ("decode_event only", f"{r['throughput']['decode_events_per_s']:>10,.0f} events/s"),
        (
            "embedded replay",
            f"{r['throughput']['replay_events_per_s']:>10,.0f} events/s"
            f"   ({r['throughput']['replay_seconds']:.2f} s)",
        ),
        (
            "  per CPU second",
            f"{r['throughput']['replay_events_per_cpu_s']:>10,.0f} events/s"
            + (
                "   (wall/CPU {:.2f}: another process shared the cores)".format(
                    r["throughput"]["contention"]
                )
                if r["throughput"]["contention"] > 1.08
                else ""
            ),
        ),
        *(sharded_rows(r) if r.get("sharded") else []),
        (
            "  target",
            f"{TARGET_EVENTS_PER_S:>10,} events/s   "
            f"({r['throughput']['replay_events_per_s'] / TARGET_EVENTS_PER_S:.0%} of it)",
        ),
        (
            "  replay / decode",
            f"{r['throughput']['ratio_replay_to_decode']:>10.3f}"
            f"   (decode is {r['throughput']['ratio_replay_to_decode']:.0%}"
            " of replay time)",
        ),
        (
            "  gc during replay",
            f"{r['gc']['seconds']:.2f} s in {r['gc']['collections']} "
            f"collections, longest {r['gc']['max_ms']:.1f} ms",
        ),
        ("", ""),
        *(latency_rows(r) if r["latency_us"]["per_decision"]["n"] else []),
        ("peak RSS", f"{r['peak_rss_mb']:.0f} MB ({r['states']:,} customer states kept)"),
        (
            "machine",
            f"{r['machine']['cpu']} x{r['machine']['cpus']}, Python {r['machine']['python']}",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" if k else "" for k, v in rows)


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
