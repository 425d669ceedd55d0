"""The benchmark's terminal report: machine and git facts, latency and sharded rows, the table."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.paths import ROOT

TARGET_EVENTS_PER_S = 50_000


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
