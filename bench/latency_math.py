"""The arithmetic of ``bench/stream_latency.py``: attributing each decision to the record that
released it, percentiles, the memory slope, and the raw timings file (see that module's
docstring for what latency means here)."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

import orjson


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of ``values``, in ms."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    cov = sum((t - mt) * (m - mm) for t, m in samples)
    return round(cov / var * 60, 3) if var else None


def latencies(
    rows: list[tuple[bytes, float, float, float]],
    where: dict[bytes, int],
    per: list[list[tuple[float, float, bytes]]],
    skip_until: float,
) -> dict[str, Any]:
    """Attribute each decision to its releasing record and summarise (see module docstring)."""
    times = [[at for at, _, _ in p] for p in per]
    receipt: list[float] = []
    stamped: list[float] = []
    by_event: list[float] = []
    by_clock: list[float] = []
    unattributed = negative = 0
    for key, decided, received, stamp in rows:
        p = where.get(key)
        idx = bisect.bisect_left(times[p], decided) if p is not None else -1
        if p is None or idx >= len(times[p]):
            unattributed += 1
            continue
        maker = _own_event(per[p], idx, decided, key)
        if maker is not None and received < per[p][maker][1]:
            maker = None  # received before its customer's record was sent: the clock made it
        sent_at = per[p][idx if maker is None else maker][1]
        if sent_at < skip_until:
            continue
        negative += received < sent_at
        receipt.append(received - sent_at)
        stamped.append(stamp - sent_at)
        (by_event if maker is not None else by_clock).append(received - sent_at)
    return {
        "decisions": len(rows),
        "measured": len(receipt),
        "unattributed": unattributed,
        "negative": negative,
        "receipt_ms": _summary(receipt),
        "broker_stamp_ms": _summary(stamped),
        "made_by_their_event_ms": _summary(by_event) | {"count": len(by_event)},
        "released_by_the_clock_ms": _summary(by_clock) | {"count": len(by_clock)},
    }


def _own_event(
    records: list[tuple[float, float, bytes]], idx: int, decided: float, key: bytes
) -> int | None:
    """The index of the decision's own customer's record at exactly ``decided``, among the
    partition's records from ``idx`` on that share that time, if there is one: the event
    itself called for the decision. Many records share a time (a billing run issues thousands
    of invoices at 05:00:00), so the first record at that time is not necessarily the maker;
    attributing to it would count the time between the two sends as latency. Otherwise the
    decision is a scheduled one (the 06:00 ladder) that time passing released, at ``idx``."""
    for i in range(idx, len(records)):
        at, _, rkey = records[i]
        if at != decided:
            return None
        if rkey == key:
            return i
    return None


def _summary(values: list[float]) -> dict[str, float | None]:
    return {"p50": pct(values, 0.5), "p99": pct(values, 0.99), "max": pct(values, 1.0)}


def write_raw(
    path: Path,
    rows: list[tuple[bytes, float, float, float]],
    where: dict[bytes, int],
    per: list[list[tuple[float, float, bytes]]],
    t0: float,
) -> None:
    """The run's raw timings, for analysis beyond the summary: each decision (customer,
    decided_at, receipt, broker stamp) and each partition's sent records (running max of
    occurred_at, send time, customer); wall times relative to the first send."""
    doc = {
        "t0": t0,
        "decisions": [(k.decode(), d, r - t0, s - t0) for k, d, r, s in rows],
        "partition_of": {k.decode(): p for k, p in where.items()},
        "sent": [[(at, now - t0, k.decode()) for at, now, k in p] for p in per],
    }
    path.write_bytes(orjson.dumps(doc))
