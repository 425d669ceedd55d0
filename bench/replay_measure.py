"""Measuring one replay of the benchmark: call probes, gc clock, percentiles, null sinks,
timed loops and the warm-up pass, used by :mod:`bench.replay_bench`.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from array import array
from collections import Counter
from datetime import datetime
from typing import Any

from duewise import embedded
from duewise.bootstrap import build_engine
from duewise.embedded import Engine
from duewise.replay import ReplaySinks, replay_lines
from duewise.settings import Settings
from schemas.outbound import Decision


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


def null_sinks(audit: Any = None) -> tuple[ReplaySinks, list[Any]]:
    handles = [open(os.devnull, "wb") for _ in range(3)]  # noqa: SIM115
    if audit is not None:
        handles[1] = audit
    return ReplaySinks(decisions=handles[0], audit=handles[1], dlq=handles[2]), handles


def run_replay(lines: list[tuple[int, bytes]], settings: Settings, timed: bool) -> dict[str, Any]:
    """One full replay over ``lines`` on a fresh engine; wall time, summary, probe, gc."""
    engine = build_engine(settings)
    audit = ListSink()
    sinks, handles = null_sinks(audit)
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
    sinks, handles = null_sinks()
    replay_lines(build_engine(settings), lines[:3000], sinks)
    for h in handles:
        h.close()
