"""Benchmark streaming stages on the real broker, in one run: events/s and ratios against raw.

Issue 8, point 6: how far is a stream processor from what the broker and aiokafka allow? Each
stage gets the same input in a fresh 4-partition topic: by default a simulator log (``duewise
simulate``, 5,000 customers x 12 months, ~177k events of ~340 B keyed by customer), or with
``--synthetic`` N seeded ~300-byte JSON events. It is started in its own process and timed until
its output topic holds its expected records (see :func:`bench.stream_stage.measure_stage`).
Stages:

``raw``    aiokafka getmany → orjson → send, acks gathered per batch, then commit (the ceiling)
``faust``  the idiomatic Faust agent with a changelogged Table (what users would write)
``duewise`` ``duewise worker`` (event clock, engine, state, every output), done when its audit
           holds the embedded replay's decision count, then checked equal to the replay
``pkg.module:attr``  any other :class:`bench.stream_stage.Stage` class or factory

Usage::

    .venv/bin/python -m bench.stream_bench --stages raw,faust,duewise --rounds 2
    .venv/bin/python -m bench.stream_bench --messages 20000          # the log's first 20,000
    .venv/bin/python -m bench.stream_bench --synthetic --messages 200000 --stages raw,faust

The broker must run (``scripts/kafka start``). The result goes to
``bench/results/stream_bench.json``; every topic of the run (``bench.<time>-<hex>.*``) is deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.paths import ROOT
from bench.stream_common import (
    broker_pid,
    delete_topics_with_prefix,
    machine,
    make_messages,
    new_run_prefix,
    warm_up,
    write_results,
)
from bench.stream_input import DEFAULT_LOG, ensure_log, input_order, load_log
from bench.stream_stage import Stage, StageResult, measure_stage

BUILTIN = {
    "raw": "bench.stream_raw:RawStage",
    "faust": "bench.stream_faust:FaustStage",
    "duewise": "bench.stream_duewise:DuewiseStage",
}


def load_stage(spec: str) -> Stage:
    """``raw``, ``faust`` or ``pkg.module:attr`` (a Stage class or a no-argument factory)."""
    target = BUILTIN.get(spec, spec)
    if ":" not in target:
        raise SystemExit(f"unknown stage {spec!r}: use raw, faust or pkg.module:attr")
    module, attr = target.split(":", 1)
    stage = getattr(importlib.import_module(module), attr)()
    if not isinstance(stage, Stage):
        raise SystemExit(f"{spec} does not implement bench.stream_stage.Stage")
    return stage


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summary(results: list[StageResult]) -> dict[str, dict[str, float]]:
    """Median events/s per stage over its rounds, and its ratio to raw's median (if raw ran)."""
    out: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r.stage for r in results):
        mine = [r for r in results if r.stage == name]
        out[name] = {
            "runs": len(mine),
            "events_per_s": _median([r.events_per_s for r in mine]),
            "steady_events_per_s": _median([r.steady_events_per_s or 0 for r in mine]),
        }
    base = out.get("raw")
    for row in out.values():
        row["vs_raw"] = round(row["events_per_s"] / base["events_per_s"], 4) if base else 0
        row["steady_vs_raw"] = (
            round(row["steady_events_per_s"] / base["steady_events_per_s"], 4)
            if base and base["steady_events_per_s"]
            else 0
        )
    return out


def report(results: list[StageResult], errors: dict[str, str]) -> str:
    """The terminal table: every measurement, then (over several rounds) medians per stage.

    Ratios are against the median of the ``raw`` runs, so one noisy raw run does not skew them.
    """
    medians = summary(results)
    head = (
        f"{'stage':<12}{'events/s':>10}{'vs raw':>8}{'steady/s':>10}{'vs raw':>8}"
        f"{'startup':>9}{'wall':>8}{'cpu s':>7}{'broker':>8}  check"
    )
    rows = [head, "-" * len(head)]
    for r in results:
        m = medians[r.stage]
        ratio = m["vs_raw"] * r.events_per_s / m["events_per_s"] if m["vs_raw"] else 0
        s_ratio = (
            m["steady_vs_raw"] * (r.steady_events_per_s or 0) / m["steady_events_per_s"]
            if m["steady_vs_raw"]
            else 0
        )
        c = r.check
        ok = c.get("ok", c["distinct_seq"] == r.n and c["order_violations"] == 0)
        check = f"{'ok' if ok else 'BAD'} {c['count']} out, {c['duplicates']} dup"
        if "replay_decisions" in c:
            check = f"{'ok' if ok else 'BAD'} audit = replay's {c['replay_decisions']}"
            check += "" if ok else f" (missing {c['missing']}, differ {c['differ']})"
        if c["order_violations"]:
            check += f", {c['order_violations']} out of order"
        rows.append(
            f"{r.label:<12}{r.events_per_s:>10,}{ratio:>8.3f}"
            f"{r.steady_events_per_s or 0:>10,}{s_ratio:>8.3f}"
            f"{r.startup_s or 0:>8.2f}s{r.wall_s:>7.2f}s{r.cpu_s or 0:>7.1f}"
            f"{r.broker_cpu_s or 0:>8.1f}  {check}"
        )
    if any(m["runs"] > 1 for m in medians.values()):
        rows.append("-" * len(head))
        rows += [
            f"{name + ' (med)':<12}{m['events_per_s']:>10,.0f}{m['vs_raw']:>8.3f}"
            f"{m['steady_events_per_s']:>10,.0f}{m['steady_vs_raw']:>8.3f}"
            for name, m in medians.items()
        ]
    rows += [f"{name:<12}FAILED: {msg.splitlines()[0]}" for name, msg in errors.items()]
    rows.append(
        "events/s: start of the stage's process → output holds N (end to end); steady/s: first →"
        " last output by broker stamps; cpu s: the stage's process; broker: the broker's CPU s"
    )
    return "\n".join(rows)


def plan(stages: str, rounds: int) -> list[tuple[str, Stage]]:
    """(label, stage) in run order: the stage list repeated per round; labels unique in the run."""
    out: list[tuple[str, Stage]] = []
    for rnd in range(1, rounds + 1):
        for spec in (s.strip() for s in stages.split(",") if s.strip()):
            stage = load_stage(spec)
            label = stage.name if rnd == 1 else f"{stage.name}-{rnd}"
            while any(label == seen for seen, _ in out):
                label += "b"
            out.append((label, stage))
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then measure every stage in order; topics are deleted whatever happens."""
    runs = plan(args.stages, args.rounds)
    prefix = new_run_prefix()
    workdir = Path(tempfile.mkdtemp(prefix="duewise-stream-bench-"))
    if args.synthetic:
        messages = make_messages(args.messages or 200_000, args.customers, args.seed)
        source = "synthetic"
    else:
        log = args.log or ensure_log(DEFAULT_LOG)
        messages, source = load_log(log, args.messages), str(log.relative_to(ROOT))
    order = input_order(messages)
    mean_size = sum(len(v) for _, v in messages) / max(1, len(messages))
    print(
        f"run {prefix}: {len(messages):,} messages of {source}, mean {mean_size:.0f} B", flush=True
    )
    results: list[StageResult] = []
    errors: dict[str, str] = {}
    pid = broker_pid()
    try:
        if args.warmup_s > 0:
            moved = await warm_up(args.bootstrap, f"{prefix}.warmup", args.warmup_s, messages)
            print(f"warm-up: {moved:,} messages through the broker in {args.warmup_s:.0f}s")
        for label, stage in runs:
            stage_dir = workdir / label
            stage_dir.mkdir()
            timeout = args.timeout or 60 + len(messages) / 500
            print(f"stage {label} ...", flush=True)
            try:
                result = await measure_stage(
                    stage,
                    messages,
                    bootstrap=args.bootstrap,
                    prefix=prefix,
                    workdir=stage_dir,
                    timeout_s=timeout,
                    broker_pid=pid,
                    label=label,
                    order=order,
                )
            except (RuntimeError, TimeoutError, OSError) as exc:
                tail = getattr(stage, "log_tail", lambda: "")()
                errors[label] = f"{exc}\n{tail}"
                print(f"stage {label} FAILED: {exc}\n{tail}", file=sys.stderr)
                continue
            results.append(result)
            print(
                f"  {result.events_per_s:,} events/s end to end, "
                f"{result.steady_events_per_s or 0:,} steady",
                flush=True,
            )
    finally:
        deleted = await delete_topics_with_prefix(args.bootstrap, prefix)
        print(f"deleted {len(deleted)} topics ({prefix}.*)")
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(results, errors))
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": prefix,
        "input": source,
        "messages": len(messages),
        "customers": args.customers,
        "mean_value_bytes": round(mean_size, 1),
        "partitions": 4,
        "warmup_s": args.warmup_s,
        "bootstrap": args.bootstrap,
        "machine": machine(),
        "load_avg_at_end": os.getloadavg(),
        "rounds": args.rounds,
        "summary": summary(results),
        "stages": [r.as_dict() for r in results],
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark streaming stages on the broker.")
    parser.add_argument("--messages", type=int, default=0, help="0: whole log (synthetic 200k)")
    parser.add_argument("--log", type=Path, help=f"event log (default {DEFAULT_LOG.name})")
    parser.add_argument("--synthetic", action="store_true", help="seeded synthetic events")
    parser.add_argument("--stages", default="raw,faust", help="comma list: raw, faust, mod:attr")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the stage list R times")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup-s", type=float, default=20.0, help="broker warm-up (0: skip)")
    parser.add_argument("--timeout", type=float, default=0, help="per stage (0: 60 s + N/500)")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("DUEWISE_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep stage logs/state")
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON result")
    parser.add_argument("--out", default="stream_bench.json", help="file name in bench/results")
    args = parser.parse_args(argv)
    started = time.monotonic()
    doc = asyncio.run(run(args))
    doc["bench_duration_s"] = round(time.monotonic() - started, 1)
    if not args.no_save:
        print(f"wrote {write_results(doc, args.out)}")
    return 1 if doc["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
